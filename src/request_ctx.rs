//! The per-request decision: made once, by the access handler or by the first variable read
//! before it (e.g. `limit_req_zone $credentialflow_claim_sub` in the preaccess phase), and kept
//! in the request's module context for the variables and the log phase.

use std::sync::Arc;

use credentialflow_core::token::extract::CredentialHeader;
use credentialflow_core::{Rejection, VerifiedToken};
use ngx::core::Pool;
use ngx::ffi::{ngx_cached_time, ngx_http_request_t, ngx_str_t};
use ngx::http::{HttpModule, HttpModuleLocationConf, Request};

use crate::conf::LocationGuard;
use crate::{worker_cache, Module};

/// What was decided for one request.
pub struct RequestCtx {
    /// The location configuration that decided: a read before `find_config` (server-level
    /// `set`) must not stand in for the real location's decision.
    guard: *const LocationGuard,
    /// The token's bytes, in the request's header memory (empty when none was found).
    raw: ngx_str_t,
    /// The verified token, whenever its signature verified.
    pub token: Option<VerifiedToken>,
    /// Whether the verification came from the cache; `None` when nothing was verified.
    pub cache_hit: Option<bool>,
    /// The forwarded claim values, or why the request is refused.
    pub verdict: Result<Vec<Option<String>>, Rejection>,
    /// Set once the access handler has acted (logged, forwarded), so it acts once.
    pub acted: bool,
}

impl RequestCtx {
    /// The token's bytes.
    pub fn raw(&self) -> &[u8] {
        if self.raw.len == 0 {
            return &[];
        }
        // SAFETY: `raw` points into a request header value, allocated in the request pool,
        // which lives at least as long as this context (also in that pool).
        unsafe { std::slice::from_raw_parts(self.raw.data, self.raw.len) }
    }
}

/// The cached second of nginx's clock: no system call per request.
fn now() -> i64 {
    // SAFETY: ngx_cached_time always points at a valid, current ngx_time_t in a worker.
    unsafe { (*std::ptr::read_volatile(&raw const ngx_cached_time)).sec }
}

fn as_ngx_str(bytes: &[u8]) -> ngx_str_t {
    ngx_str_t { len: bytes.len(), data: bytes.as_ptr().cast_mut() }
}

/// Finds the credential: `Authorization` (nginx already refuses duplicates with 400), or the
/// custom header, which must appear exactly once.
fn credential<'r>(r: &'r Request, header: &CredentialHeader) -> Result<&'r [u8], Rejection> {
    match header {
        CredentialHeader::AuthorizationBearer => {
            let element = r.as_ref().headers_in.authorization;
            if element.is_null() {
                return Err(Rejection::Missing);
            }
            // SAFETY: a non-null headers_in.authorization points at a live header element.
            let value = unsafe { (*element).value.as_bytes() };
            header.token(value)
        }
        CredentialHeader::Raw { lowercase, .. } => {
            let mut found = None;
            for (name, value) in r.headers_in_iterator() {
                if name.as_bytes().eq_ignore_ascii_case(lowercase) {
                    if found.is_some() {
                        return Err(Rejection::AmbiguousCredential);
                    }
                    found = Some(value.as_bytes());
                }
            }
            header.token(found.ok_or(Rejection::Missing)?)
        }
    }
}

fn decide_now(r: &Request, location: &LocationGuard) -> RequestCtx {
    let guard = location as *const LocationGuard;
    match credential(r, &location.header) {
        Err(rejection) => RequestCtx {
            guard,
            raw: as_ngx_str(&[]),
            token: None,
            cache_hit: None,
            verdict: Err(rejection),
            acted: false,
        },
        Ok(raw) => {
            let decision = worker_cache::with(|cache| location.guard.check(raw, cache, now()));
            RequestCtx {
                guard,
                raw: as_ngx_str(raw),
                token: decision.token,
                cache_hit: Some(decision.cache_hit),
                verdict: decision.verdict,
                acted: false,
            }
        }
    }
}

fn ctx_slot(r: &Request) -> *mut *mut core::ffi::c_void {
    let index = Module::module().ctx_index;
    // SAFETY: r->ctx is an array of one pointer per HTTP module; ctx_index is ours.
    unsafe { r.as_ref().ctx.add(index) }
}

/// The location guard in force for `r`, or `None` where the module is off.
pub fn location_guard(r: &Request) -> Option<Arc<LocationGuard>> {
    Module::location_conf(r).and_then(|conf| conf.guard.clone())
}

/// The decision for `r` under `location`, made now if not made yet by the same location.
/// `None` only when the request pool is out of memory.
// The context is pool memory reached through r->ctx, not part of the request struct, and a
// worker handles one request at a time: no second reference to it exists while this one lives.
#[allow(clippy::mut_from_ref)]
pub fn decide<'r>(r: &'r Request, location: &LocationGuard) -> Option<&'r mut RequestCtx> {
    let slot = ctx_slot(r);
    // SAFETY: the slot holds null or a RequestCtx this module stored in the request pool.
    let existing = unsafe { (*slot).cast::<RequestCtx>() };
    if !existing.is_null() {
        // SAFETY: as above; the context lives as long as the request pool.
        let ctx = unsafe { &mut *existing };
        if std::ptr::eq(ctx.guard, location) {
            return Some(ctx);
        }
        *ctx = decide_now(r, location);
        return Some(ctx);
    }
    let pool: Pool = r.pool();
    let ctx = pool.allocate(decide_now(r, location));
    if ctx.is_null() {
        return None;
    }
    // SAFETY: the slot is ours; the pool-allocated context is dropped with the pool.
    unsafe { *slot = ctx.cast() };
    // SAFETY: just allocated and initialised.
    Some(unsafe { &mut *ctx })
}

/// The decision already made for `r`'s main request, if any (no new work).
pub fn existing(r: &Request) -> Option<&RequestCtx> {
    let main = main_request(r);
    // SAFETY: the slot holds null or a RequestCtx this module stored.
    unsafe { (*ctx_slot(main)).cast::<RequestCtx>().as_ref() }
}

/// The main request: subrequests never run the access phase, so variables read its context.
pub fn main_request(r: &Request) -> &Request {
    let main: *mut ngx_http_request_t = r.as_ref().main;
    if main.is_null() {
        return r;
    }
    // SAFETY: r->main is the live main request of this request tree.
    unsafe { Request::from_ngx_http_request(main) }
}
