//! The per-request decision: made once, by the access handler or by the first variable read
//! before it (e.g. `limit_req_zone $credentialflow_claim_sub` in the preaccess phase), and kept
//! for the variables and the log phase, also across internal redirects (`X-Accel-Redirect`,
//! `error_page`, `try_files`), which clear nginx's per-module contexts. A context is never
//! changed once made: a new decision (another location after a redirect) is a new context.

use std::cell::Cell;
use std::ffi::c_void;
use std::sync::Arc;

use credentialflow_core::api_key::{presented, CredentialKind, Presented};
use credentialflow_core::credential::{same_header_name, CredentialHeader};
use credentialflow_core::metrics::Clock;
use credentialflow_core::{Accepted, Live, Rejection, Verifier};
use ngx::ffi::{
    ngx_cached_time, ngx_http_request_t, ngx_pool_cleanup_add, ngx_str_t, NGX_ALIGNMENT,
};
use ngx::http::{HttpModule, HttpModuleLocationConf, HttpModuleMainConf, Request};

use crate::complex_value::ComplexValue;
use crate::conf::ProtectedLocation;
use crate::metrics::Monotonic;
use crate::{worker_state, Module};

/// What was decided for one request.
pub struct RequestCtx {
    /// The location whose rules decided, compared by address only: a read before
    /// `find_config` (a server-level `set`) must not stand in for the real location's decision.
    location: *const ProtectedLocation,
    /// The key set fetched at run time that decided (its generation; 0 for configured keys):
    /// a decision made with an older set is made again once a newer one is fetched.
    key_set: u64,
    /// Whether this request already had the key set fetched again for a key it lacked (once
    /// per request, carried over to a decision made again with the new set).
    pub refetched: Cell<bool>,
    /// The token's bytes, in the request's header memory (empty when none was found).
    raw: ngx_str_t,
    /// Whether the verification came from the cache; `None` when no token was checked.
    pub cache_hit: Option<bool>,
    /// Whether that hit came from the cache the workers share.
    pub shared_hit: bool,
    /// The accepted token, or why the request is refused. Variables read only an accepted
    /// token: nothing of a refused one reaches a header, a log line or a rate-limit key.
    pub verdict: Result<Accepted, Rejection>,
    /// The refusal of a `credentialflow_require` line, once checked (the access handler
    /// checks them after the decision is kept: their variables may read it).
    pub rule_refusal: Cell<Option<Rejection>>,
    /// Set once the decision has been logged, so a second pass through the access phase
    /// (after an internal redirect) does not log it again.
    logged: Cell<bool>,
    /// With Redis configured, an accepted token's first use still to be confirmed there
    /// (`crate::redis::replay`): the replay key and until when to keep it.
    pub replay_pending: Option<(Vec<u8>, i64)>,
    /// Whether that check was started, and whether Redis confirmed the first use.
    pub replay_started: Cell<bool>,
    pub replay_confirmed: Cell<bool>,
    /// The kind of credential decided on: an API key when one was presented where the
    /// location takes them, else a JWT (also when none was found).
    kind: CredentialKind,
}

// The context lives in memory nginx allocates for a pool cleanup, aligned to NGX_ALIGNMENT.
const _: () = assert!(std::mem::align_of::<RequestCtx>() <= NGX_ALIGNMENT);

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

    /// The kind of credential the decision is about (for metrics, logs and variables).
    pub fn credential_kind(&self) -> CredentialKind {
        self.kind
    }

    /// True the first time it is asked: whether the decision still has to be logged.
    pub fn first_to_log(&self) -> bool {
        !self.logged.replace(true)
    }
}

/// The kind of credential a decision was about, as `$credentialflow_credential` and the
/// metrics name it: `jwt` or `api_key`, or empty when the request carried none.
pub fn credential_kind(ctx: &RequestCtx) -> &'static str {
    match ctx.verdict {
        Err(Rejection::Missing) => "",
        _ => ctx.credential_kind().as_str(),
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
/// custom header, which must appear exactly once: spellings that differ in case or in `_` for
/// `-` count as the same header, since CGI/WSGI upstreams fold them together.
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
                if same_header_name(name.as_bytes(), lowercase) {
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

/// The token of `credentialflow_token`'s value (in the request pool): none when empty.
fn credential_from_value<'r>(r: &'r Request, source: &ComplexValue) -> Result<&'r [u8], Rejection> {
    match source.evaluate(r) {
        Some([]) | None => Err(Rejection::Missing),
        Some(token) => Ok(token),
    }
}

/// The token of `r` under `location`'s rules: from `credentialflow_token`'s value or the
/// credential header.
fn find_token<'r>(r: &'r Request, location: &ProtectedLocation) -> Result<&'r [u8], Rejection> {
    if !location.accept.jwt {
        return Err(Rejection::Missing);
    }
    match &location.token_source {
        Some(source) => credential_from_value(r, source),
        None => credential(r, &location.header),
    }
}

/// Whether `r` carries a token at all: a request without one is refused without any key
/// (it neither waits for nor starts a fetch of keys).
pub fn has_token(r: &Request, location: &ProtectedLocation) -> bool {
    find_token(r, location).is_ok()
}

fn decide_now(r: &Request, location: &ProtectedLocation, keys: Option<&Verifier>) -> RequestCtx {
    // With Redis, the first use is recorded there, after the decision (the request waits).
    let deferred = Module::main_conf(r.as_ref())
        .filter(|main| main.redis.is_some())
        .map(|_| crate::redis::replay::Deferred::default());
    let found = find_token(r, location);
    let key = location.api_keys.as_ref().map(|_| credential(r, &location.api_key_header));
    let max_size = location.rules.max_token_size;
    let mut kind = if location.accept.jwt { CredentialKind::Jwt } else { CredentialKind::ApiKey };
    let (raw, cache_hit, shared_hit, verdict) =
        match presented(location.accept, found, key, max_size) {
            Presented::Refused(refused_as, rejection, raw) => {
                kind = refused_as;
                (raw, None, false, Err(rejection))
            }
            Presented::ApiKey(raw) => {
                kind = CredentialKind::ApiKey;
                let decided = match &location.api_keys {
                    Some(keys) => decide_api_key(r, location, keys, raw),
                    None => Err(Rejection::Missing),
                };
                (raw, None, false, decided)
            }
            Presented::Jwt(raw) => {
                let main = Module::main_conf(r.as_ref());
                let zone = main.and_then(|main| main.zone);
                // Verifications are timed only where metrics are kept.
                let clock =
                    main.and_then(|main| main.metrics.table()).map(|_| &Monotonic as &dyn Clock);
                let decision = worker_state::with(zone, |cache, live| {
                    let live = match &deferred {
                        Some(deferred) => Live { replay: Some(deferred), clock, ..live },
                        None => Live { clock, ..live },
                    };
                    let evicted = cache.evictions();
                    let decision = match keys {
                        Some(verifier) => {
                            location.rules.decide_with(verifier, raw, cache, live, now())
                        }
                        None => location.rules.decide(raw, cache, live, now()),
                    };
                    (decision, cache.evictions().wrapping_sub(evicted), cache.len())
                });
                match decision {
                    Ok((decision, evicted, entries)) => {
                        if let Some(main) = main {
                            crate::metrics::lookup(
                                main,
                                decision.cache_hit,
                                decision.shared_hit,
                                decision.verify_nanos,
                                evicted,
                                entries,
                            );
                        }
                        (raw, Some(decision.cache_hit), decision.shared_hit, decision.verdict)
                    }
                    Err(unavailable) => (raw, None, false, Err(unavailable)),
                }
            }
        };
    let raw = as_ngx_str(raw);
    let replay_pending = deferred.and_then(|d| d.take()).filter(|_| verdict.is_ok());
    RequestCtx {
        location,
        key_set: keys.map_or(0, Verifier::id),
        refetched: Cell::new(false),
        raw,
        cache_hit,
        shared_hit,
        verdict,
        rule_refusal: Cell::new(None),
        logged: Cell::new(false),
        replay_pending,
        replay_started: Cell::new(false),
        replay_confirmed: Cell::new(false),
        kind,
    }
}

/// The decision on an API key: looked up in the registry in force, then the location's rules
/// (expiry, audience, revocation, scopes, forwarded claims), as for a verified token.
fn decide_api_key(
    r: &Request,
    location: &ProtectedLocation,
    keys: &credentialflow_core::api_key::registry::ApiKeySource,
    raw: &[u8],
) -> Result<Accepted, Rejection> {
    let registry = keys.current();
    let token = registry.check(raw)?.clone();
    let zone = Module::main_conf(r.as_ref()).and_then(|main| main.zone);
    worker_state::with(zone, |_cache, live| {
        location.rules.check_api_key(token, Live { replay: None, ..live }, now())
    })
    .and_then(std::convert::identity)
}

/// Redis refused the first use of the token `ctx` accepted: a new decision for `r`, the
/// refusal (a context is never changed once made). `false` when the request pool is out of
/// memory.
pub fn refuse_after_replay_check(r: &Request, ctx: &RequestCtx, rejection: Rejection) -> bool {
    let refused = RequestCtx {
        location: ctx.location,
        key_set: ctx.key_set,
        refetched: Cell::new(ctx.refetched.get()),
        raw: ctx.raw,
        cache_hit: ctx.cache_hit,
        shared_hit: ctx.shared_hit,
        verdict: Err(rejection),
        rule_refusal: Cell::new(None),
        logged: Cell::new(false),
        replay_pending: None,
        replay_started: Cell::new(false),
        replay_confirmed: Cell::new(false),
        kind: ctx.kind,
    };
    store(r, refused).is_some()
}

/// Drops the context with the request pool; its address also marks our cleanup entry (one
/// definition, never inlined: the address stored and the address compared are the same).
#[inline(never)]
unsafe extern "C" fn drop_ctx(data: *mut c_void) {
    // SAFETY: nginx calls this once, with the data of the cleanup entry `store` filled.
    unsafe { std::ptr::drop_in_place(data.cast::<RequestCtx>()) };
}

/// The newest context of `r`, if one was made. An internal redirect zeroes `r->ctx`, but the
/// pool cleanup that owns the context survives it (nginx's realip module finds its context
/// after a redirect the same way), so the decision stays visible to the log phase.
fn find(r: &Request) -> Option<&RequestCtx> {
    let module = Module::module();
    if let Some(ctx) = r.get_module_ctx::<RequestCtx>(module) {
        return Some(ctx);
    }
    if r.as_ref().internal() == 0 {
        return None;
    }
    // SAFETY: the request pool and its cleanup list are live for the request's lifetime.
    let mut cleanup = unsafe { (*r.as_ref().pool).cleanup };
    while !cleanup.is_null() {
        // SAFETY: every entry of the list is a valid ngx_pool_cleanup_t.
        let entry = unsafe { &*cleanup };
        let ours = entry.handler.is_some_and(|handler| {
            std::ptr::fn_addr_eq(handler, drop_ctx as unsafe extern "C" fn(*mut c_void))
        });
        if ours {
            r.set_module_ctx(entry.data, module);
            // SAFETY: an entry with our handler holds a live RequestCtx (the newest first:
            // nginx adds cleanups at the head of the list).
            return unsafe { entry.data.cast::<RequestCtx>().as_ref() };
        }
        cleanup = entry.next;
    }
    None
}

/// Moves `ctx` into the request pool (dropped with it) and makes it `r`'s context.
fn store(r: &Request, ctx: RequestCtx) -> Option<&RequestCtx> {
    // SAFETY: the request pool is live; the cleanup's data is sized and aligned for ctx.
    let cleanup = unsafe { ngx_pool_cleanup_add(r.as_ref().pool, size_of::<RequestCtx>()) };
    if cleanup.is_null() {
        return None;
    }
    // SAFETY: a fresh cleanup entry with room for one RequestCtx, which is written before
    // the handler that drops it is set.
    let data = unsafe {
        let data = (*cleanup).data.cast::<RequestCtx>();
        data.write(ctx);
        (*cleanup).handler = Some(drop_ctx);
        data
    };
    r.set_module_ctx(data.cast(), Module::module());
    // SAFETY: just initialised; lives as long as the request pool.
    unsafe { data.as_ref() }
}

/// The protected location `r` is in, or `None` where the module is off.
pub fn protected_location(r: &Request) -> Option<Arc<ProtectedLocation>> {
    Module::location_conf(r).and_then(|conf| conf.protected.clone())
}

/// The decision for `r` under `location`, made now if not made yet by the same location.
/// `None` only when the request pool is out of memory.
pub fn decide<'r>(r: &'r Request, location: &ProtectedLocation) -> Option<&'r RequestCtx> {
    match &location.remote_keys {
        None => decide_with(r, location, None),
        Some(source) => match find(r) {
            Some(ctx) if std::ptr::eq(ctx.location, location) => Some(ctx),
            // Keys fetched at run time: the set in force, if one was ever fetched (the access
            // handler fetches); before that there is no decision to read.
            _ => decide_with(r, location, Some(&*crate::remote_keys::current(source)?)),
        },
    }
}

/// [`decide`] with a key set fetched at run time: a decision made with another set is made
/// again.
pub fn decide_with<'r>(
    r: &'r Request,
    location: &ProtectedLocation,
    keys: Option<&Verifier>,
) -> Option<&'r RequestCtx> {
    let key_set = keys.map_or(0, Verifier::id);
    let refetched = match find(r) {
        Some(ctx) if std::ptr::eq(ctx.location, location) && ctx.key_set == key_set => {
            return Some(ctx)
        }
        Some(ctx) if std::ptr::eq(ctx.location, location) => ctx.refetched.get(),
        _ => false,
    };
    let ctx = decide_now(r, location, keys);
    ctx.refetched.set(refetched);
    store(r, ctx)
}

/// Records that no key set could be had for `r` (503), unless a decision was made already.
pub fn keys_unavailable<'r>(
    r: &'r Request,
    location: &ProtectedLocation,
) -> Option<&'r RequestCtx> {
    match find(r) {
        Some(ctx) if std::ptr::eq(ctx.location, location) => Some(ctx),
        _ => store(
            r,
            RequestCtx {
                location,
                key_set: 0,
                refetched: Cell::new(false),
                raw: as_ngx_str(&[]),
                cache_hit: None,
                shared_hit: false,
                verdict: Err(Rejection::KeysUnavailable),
                rule_refusal: Cell::new(None),
                logged: Cell::new(false),
                replay_pending: None,
                replay_started: Cell::new(false),
                replay_confirmed: Cell::new(false),
                kind: CredentialKind::Jwt,
            },
        ),
    }
}

/// The decision that holds for `r`: its main request's location decides (now, if it has not
/// yet); where the module is off there, the decision made before an internal redirect, if any.
pub fn current(r: &Request) -> Option<&RequestCtx> {
    let main = main_request(r);
    match protected_location(main) {
        Some(location) => decide(main, &location),
        None => find(main),
    }
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
