//! Writing headers: the `WWW-Authenticate` challenge on the response, and forwarded claims on
//! the request that goes upstream (client-sent copies removed first).

use std::mem::size_of;

use credentialflow_core::credential::{same_header_name, CredentialHeader};
use credentialflow_core::{Forwarded, Rejection};
use ngx::ffi::{
    ngx_hash_key, ngx_list_create, ngx_list_part_t, ngx_list_push, ngx_list_t, ngx_pool_t,
    ngx_str_t, ngx_table_elt_t,
};
use ngx::http::Request;

use crate::conf::ProtectedLocation;

fn pool_str(pool: *mut ngx_pool_t, bytes: &[u8]) -> Option<ngx_str_t> {
    // SAFETY: the pool is the request's live pool.
    unsafe { ngx_str_t::from_bytes(pool, bytes) }
}

/// A header element whose strings are copied into `pool`. `lowercase` must be `key`
/// lower-cased.
fn element(
    pool: *mut ngx_pool_t,
    key: &[u8],
    lowercase: &[u8],
    value: &[u8],
) -> Option<ngx_table_elt_t> {
    let key = pool_str(pool, key)?;
    let lowcase = pool_str(pool, lowercase)?;
    let value = pool_str(pool, value)?;
    // SAFETY: an all-zero ngx_table_elt_t is valid (null pointers, zero lengths); every field
    // nginx reads is set below.
    let mut element: ngx_table_elt_t = unsafe { std::mem::zeroed() };
    // SAFETY: lowcase was just copied into the pool, `len` bytes at `data`.
    element.hash = unsafe { ngx_hash_key(lowcase.data, lowcase.len) };
    element.key = key;
    element.value = value;
    element.lowcase_key = lowcase.data;
    Some(element)
}

/// The challenge of RFC 6750 §3.
fn challenge(location: &ProtectedLocation, rejection: Rejection) -> String {
    let mut value = match (location.accept.jwt, &location.api_key_header) {
        // A location that takes only API keys names its header (the name is an HTTP token:
        // no quoting needed).
        (false, CredentialHeader::Raw { name, .. }) => {
            format!("APIKey realm=\"{}\", header=\"{name}\"", location.realm)
        }
        _ => format!("Bearer realm=\"{}\"", location.realm),
    };
    if let Some(error) = rejection.challenge_error().as_str() {
        value.push_str(&format!(
            ", error=\"{error}\", error_description=\"{}\"",
            rejection.description()
        ));
    }
    if rejection == Rejection::InsufficientScope {
        value.push_str(&format!(", scope=\"{}\"", location.rules.policy.scope_list()));
    }
    if let Some(url) = &location.resource_metadata {
        // RFC 9728 §5.1: where OAuth clients (MCP's among them) find this resource's
        // authorization servers.
        value.push_str(&format!(", resource_metadata=\"{url}\""));
    }
    value
}

/// Adds `WWW-Authenticate` the way auth_basic does, linked from `headers_out.www_authenticate`
/// so that `satisfy any` can withdraw it when another module grants access.
pub fn set_challenge(
    r: &mut Request,
    location: &ProtectedLocation,
    rejection: Rejection,
) -> Option<()> {
    let pool = r.pool().as_ptr();
    let value = challenge(location, rejection);
    let challenge = element(pool, b"WWW-Authenticate", b"www-authenticate", value.as_bytes())?;
    let headers_out = &mut r.as_mut().headers_out;
    let slot = push(&mut headers_out.headers)?;
    *slot = challenge;
    headers_out.www_authenticate = slot;
    Some(())
}

/// Iterates over the elements of an nginx list of header elements.
fn elements(list: &ngx_list_t) -> impl Iterator<Item = &ngx_table_elt_t> {
    let mut part: *const ngx_list_part_t = &list.part;
    std::iter::from_fn(move || {
        if part.is_null() {
            return None;
        }
        // SAFETY: list parts are valid until the list's pool dies; nelts elements each.
        let current = unsafe { &*part };
        part = current.next;
        Some(unsafe {
            std::slice::from_raw_parts(current.elts.cast::<ngx_table_elt_t>(), current.nelts)
        })
    })
    .flatten()
}

/// A fresh element at the end of a list of header elements.
fn push(list: &mut ngx_list_t) -> Option<&mut ngx_table_elt_t> {
    // SAFETY: the list holds ngx_table_elt_t elements; a non-null result is a fresh one.
    unsafe { ngx_list_push(list).cast::<ngx_table_elt_t>().as_mut() }
}

/// Removes every request header named like one of the location's forwarded headers (in any
/// case, `_` for `-`). Called before any access decision, whatever the verdict and whoever
/// grants access (`satisfy any`), and for subrequests, which skip the access phase: a
/// client's copy can never pass for a verified claim.
pub fn strip_forwarded(r: &mut Request, location: &ProtectedLocation) -> Option<()> {
    let forwarded = &location.rules.forwarded;
    if forwarded.is_empty() {
        return Some(());
    }
    let pool = r.pool().as_ptr();
    let headers = &mut r.as_mut().headers_in.headers;
    let named = |h: &ngx_table_elt_t| {
        forwarded.iter().any(|f| same_header_name(h.key.as_bytes(), &f.header_lowercase))
    };
    if !elements(headers).any(named) {
        return Some(());
    }
    // nginx lists cannot delete: rebuild the list without those headers. Pointers such as
    // headers_in.host keep pointing at the old elements, which stay in the pool.
    let kept: Vec<ngx_table_elt_t> = elements(headers).filter(|h| !named(h)).copied().collect();
    // SAFETY: a new list in the request pool, for elements of this size.
    let fresh = unsafe {
        ngx_list_create(pool, kept.len() + forwarded.len() + 1, size_of::<ngx_table_elt_t>())
    };
    if fresh.is_null() {
        return None;
    }
    // SAFETY: fresh is a valid, initialised list header; the struct is copied by value, and
    // `last` must then point at the copy's own first part, not the original's.
    *headers = unsafe { *fresh };
    headers.last = &mut headers.part;
    for element in kept {
        *push(headers)? = element;
    }
    Some(())
}

/// The request header elements for an accepted token's forwarded claims, copied into the
/// request pool (so they outlive the decision they were read from).
pub fn forwarded_elements(r: &Request, forwarded: &[Forwarded]) -> Option<Vec<ngx_table_elt_t>> {
    let pool = r.pool().as_ptr();
    forwarded
        .iter()
        .map(|Forwarded { to, value }| {
            element(pool, to.header.as_bytes(), &to.header_lowercase, value.as_bytes())
        })
        .collect()
}

/// Replaces the location's forwarded headers with `elements` (from [`forwarded_elements`]; a
/// claim that is absent or withheld has none, and its header is not sent at all).
pub fn forward_claims(
    r: &mut Request,
    location: &ProtectedLocation,
    elements: Vec<ngx_table_elt_t>,
) -> Option<()> {
    strip_forwarded(r, location)?;
    let headers = &mut r.as_mut().headers_in.headers;
    for element in elements {
        *push(headers)? = element;
    }
    Some(())
}
