//! The token endpoint's content handler: reads the POST body (at most 8 KiB), hands it with the
//! headers to the core's decision, and answers with a token or an RFC 6749 §5.2 error.

use std::ffi::c_void;

use credentialflow_core::oauth::{decide, ErrorCode};
use ngx::ffi::{
    ngx_http_request_t, ngx_int_t, ngx_pool_cleanup_add, ngx_uint_t, NGX_HTTP_OK, NGX_LOG_ERR,
    NGX_LOG_INFO,
};
use ngx::http::Request;
use ngx::ngx_log_error;

use super::body::{self, Outcome, NO_CACHE, NO_STORE};
use super::respond;

const WHAT: &str = "the token endpoint";

/// `credentialflow_oauth_token`'s content handler.
pub unsafe extern "C" fn handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: forwarded from nginx.
    unsafe { body::start(r, WHAT, token_body) }
}

/// Runs once the whole body is read; finalizes the request exactly once.
unsafe extern "C" fn token_body(r: *mut ngx_http_request_t) {
    // SAFETY: forwarded from nginx.
    unsafe { body::post(r, WHAT, |r| Outcome::Answered(answer(r))) }
}

fn answer(r: &mut Request) -> ngx_int_t {
    let Some(endpoint) = body::endpoint(r) else { return body::internal_error() };
    let Some(clients) = &endpoint.clients else { return body::internal_error() };
    let body = match body::read_body(r) {
        Ok(body) => body,
        Err(rc) => return rc,
    };
    let registry = clients.current();
    let grant = match decide(&registry, &body::client_request(r, &body), endpoint.token_ttl) {
        Ok(grant) => grant,
        Err(refusal) => {
            crate::metrics::token_request(r, Err(refusal.code));
            keep(r, TokenAudit::Refused(refusal.code));
            return body::refuse(r, &endpoint, "token request", &refusal);
        }
    };
    match endpoint.issuer.issue(&grant, body::now()) {
        Ok(issued) => {
            crate::metrics::token_request(r, Ok(()));
            keep(
                r,
                TokenAudit::Issued {
                    client_id: grant.client_id.clone(),
                    scope: grant.scope(),
                    jti: issued.jti,
                    kid: issued.kid,
                    token_hash: credentialflow_core::fingerprint(issued.token.as_bytes()),
                },
            );
            let json = issued.response;
            ngx_log_error!(
                NGX_LOG_INFO,
                r.log(),
                "credentialflow: token issued to client id \"{}\" for \"{}\", {}s",
                grant.client_id,
                grant.audience,
                grant.ttl
            );
            respond::json(r, NGX_HTTP_OK as ngx_uint_t, &[NO_STORE, NO_CACHE], &json)
        }
        Err(error) => {
            ngx_log_error!(NGX_LOG_ERR, r.log(), "credentialflow: cannot issue a token: {error}");
            body::internal_error()
        }
    }
}

/// What the token endpoint did with a request, for the access log's variables
/// (`$credentialflow_client_id`, `_scope`, `_jti`, `_kid`, `_token_hash`, `_reason`): the
/// identifiers of the token issued, never the token; or the error of a refusal, never the
/// client id a refused request claimed.
pub enum TokenAudit {
    /// A token was issued.
    Issued {
        /// The authenticated client.
        client_id: String,
        /// The granted scopes, space-separated.
        scope: String,
        /// The token's `jti`.
        jti: String,
        /// The `kid` that signed it.
        kid: String,
        /// The token's fingerprint, as the error log names tokens.
        token_hash: String,
    },
    /// The request was refused with this error.
    Refused(ErrorCode),
}

/// Drops a kept [`TokenAudit`] with the request pool; its address marks the cleanup entry.
#[inline(never)]
unsafe extern "C" fn drop_audit(data: *mut c_void) {
    // SAFETY: nginx calls this once, with the data `keep` wrote.
    unsafe { std::ptr::drop_in_place(data.cast::<TokenAudit>()) };
}

/// Keeps `audit` in the request pool, for the log phase.
fn keep(r: &Request, audit: TokenAudit) {
    // SAFETY: the request pool is live; the entry is sized for one TokenAudit.
    let cleanup = unsafe { ngx_pool_cleanup_add(r.as_ref().pool, size_of::<TokenAudit>()) };
    if cleanup.is_null() {
        return; // out of memory: the variables are then empty
    }
    // SAFETY: a fresh entry with room for one TokenAudit (the pool aligns to NGX_ALIGNMENT),
    // written before the handler that drops it is set.
    unsafe {
        (*cleanup).data.cast::<TokenAudit>().write(audit);
        (*cleanup).handler = Some(drop_audit);
    }
}

const _: () = assert!(std::mem::align_of::<TokenAudit>() <= ngx::ffi::NGX_ALIGNMENT);

/// What the token endpoint kept for `r`'s main request, if it answered it.
pub fn audit(r: &Request) -> Option<&TokenAudit> {
    let main = crate::request_ctx::main_request(r);
    // SAFETY: the request pool and its cleanup list are live for the request's lifetime.
    let mut cleanup = unsafe { (*main.as_ref().pool).cleanup };
    while !cleanup.is_null() {
        // SAFETY: every entry of the list is a valid ngx_pool_cleanup_t.
        let entry = unsafe { &*cleanup };
        let ours = entry.handler.is_some_and(|handler| {
            std::ptr::fn_addr_eq(handler, drop_audit as unsafe extern "C" fn(*mut c_void))
        });
        if ours {
            // SAFETY: an entry with our handler holds a live TokenAudit.
            return unsafe { entry.data.cast::<TokenAudit>().as_ref() };
        }
        cleanup = entry.next;
    }
    None
}
