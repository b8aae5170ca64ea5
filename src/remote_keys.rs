//! Keys fetched from an identity provider (`credentialflow_jwt_key_request`): one fetch per
//! worker at a time, made as a subrequest to the configured URI (normally an `internal`
//! location that `proxy_pass`es to the IdP, so TLS, resolver, timeouts and `proxy_cache` are
//! nginx's own); the requests that need its result wait for it and are woken when it ends.
//! When to fetch and what stays in force is the core's (`credentialflow_core::remote_keys`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::c_void;
use std::ptr;
use std::sync::Arc;

use credentialflow_core::remote_keys::{FetchOutcome, KeysNeed, RemoteKeyConfig, RemoteKeys};
use credentialflow_core::Verifier;
use ngx::ffi::{
    ngx_cached_time, ngx_http_core_run_phases, ngx_http_post_subrequest_t, ngx_http_request_body_t,
    ngx_http_request_empty_handler, ngx_http_request_t, ngx_http_subrequest, ngx_int_t, ngx_log_t,
    ngx_pcalloc, ngx_post_event, ngx_posted_events, ngx_str_t, NGX_HTTP_CLIENT_CLOSED_REQUEST,
    NGX_HTTP_SUBREQUEST_BACKGROUND, NGX_HTTP_SUBREQUEST_IN_MEMORY, NGX_LOG_ERR, NGX_LOG_INFO,
    NGX_LOG_WARN, NGX_OK,
};
use ngx::http::Request;
use ngx::ngx_log_error;

use crate::ffi_guard::guarded;

/// One `credentialflow_jwt_key_request` as configured (shared by the locations that inherit
/// it, so one fetch serves them all).
pub struct RemoteSource {
    /// The URI the subrequest asks for.
    pub uri: Box<str>,
    /// TTL, refresh interval, file keys, allow-list.
    pub config: Arc<RemoteKeyConfig>,
    /// Where its fetches are counted (`None`: past the metrics table's room).
    pub metrics_source: Option<usize>,
}

/// A worker's state for one source.
struct WorkerKeys {
    keys: RemoteKeys,
    /// Requests waiting for the fetch under way (each removes itself if its pool goes first).
    waiters: Vec<*mut ngx_http_request_t>,
}

thread_local! {
    /// Per worker (one thread), per source (by address: a source lives as long as the
    /// configuration, which a worker never outlives).
    static WORKER: RefCell<HashMap<usize, WorkerKeys>> = RefCell::new(HashMap::new());
    /// Requests suspended for a fetch, with the number of fetches that had ended then: once a
    /// fetch has ended while it waited (with keys or a failure), a request is never suspended
    /// again (a failing fetch, or a refresh interval of 0, must not keep one request going
    /// round).
    static SUSPENDED: RefCell<HashMap<usize, u64>> = RefCell::new(HashMap::new());
}

/// Forgets a suspended request when its pool is destroyed.
struct SuspendedOnce(usize);

impl Drop for SuspendedOnce {
    fn drop(&mut self) {
        SUSPENDED.with(|map| map.borrow_mut().remove(&self.0));
    }
}

fn request_id(r: &Request) -> usize {
    let request: *const ngx_http_request_t = r.as_ref();
    request as usize
}

/// Records that `r` is being suspended; `false` if a fetch ended since it was suspended
/// before (or out of memory).
fn suspend_once(r: &Request, source: &Arc<RemoteSource>) -> bool {
    let id = request_id(r);
    let completed = with_state(source, |state| state.keys.completed());
    match SUSPENDED.with(|map| map.borrow().get(&id).copied()) {
        Some(at) if at != completed => return false,
        Some(_) => {}
        None => {
            if r.pool().allocate(SuspendedOnce(id)).is_null() {
                return false;
            }
        }
    }
    SUSPENDED.with(|map| map.borrow_mut().insert(id, completed));
    true
}

fn key_of(source: &Arc<RemoteSource>) -> usize {
    Arc::as_ptr(source) as usize
}

fn with_state<T>(source: &Arc<RemoteSource>, f: impl FnOnce(&mut WorkerKeys) -> T) -> T {
    WORKER.with(|worker| {
        let mut worker = worker.borrow_mut();
        let state = worker.entry(key_of(source)).or_insert_with(|| WorkerKeys {
            keys: RemoteKeys::new(Arc::clone(&source.config)),
            waiters: Vec::new(),
        });
        f(state)
    })
}

/// The cached second of nginx's clock.
fn now() -> i64 {
    // SAFETY: ngx_cached_time always points at a valid, current ngx_time_t in a worker.
    unsafe { (*std::ptr::read_volatile(&raw const ngx_cached_time)).sec }
}

/// What the access handler does about the keys.
pub enum Keys {
    /// Decide with these.
    Ready(Arc<Verifier>),
    /// The request waits (a fetch was started or is under way): return `NGX_AGAIN`.
    Suspended,
    /// No key set yet: 503.
    Unavailable,
    /// The request could not be suspended (out of memory): 500.
    Failed,
}

/// Parks `r` again if a fetch of `source` is under way (a request whose token asked for other
/// keys, run again before the fetch it waits for ended); `None` when none is.
pub fn while_fetching(r: &Request, source: &Arc<RemoteSource>) -> Option<Keys> {
    if !with_state(source, |state| state.keys.fetching()) {
        return None;
    }
    Some(match park(r, source) {
        Some(()) => Keys::Suspended,
        None => Keys::Failed,
    })
}

/// The keys a request arriving now is decided with, fetching or waiting first if needed.
pub fn for_request(r: &Request, source: &Arc<RemoteSource>) -> Keys {
    let need = with_state(source, |state| state.keys.need(now()));
    act(r, source, need)
}

/// After a token found no key in `verifier`'s set: fetch again (at most once per refresh
/// interval) or wait for the fetch under way; `None`: the refusal stands.
pub fn for_unknown_key(r: &Request, source: &Arc<RemoteSource>) -> Option<Keys> {
    let need = with_state(source, |state| state.keys.need_for_unknown_key(now()))?;
    Some(act(r, source, need))
}

/// The key set in force, however stale, for a decision made before the access phase (a
/// variable read by `limit_req`); `None` before the first fetch.
pub fn current(source: &Arc<RemoteSource>) -> Option<Arc<Verifier>> {
    with_state(source, |state| match state.keys.need(now()) {
        KeysNeed::Ready(verifier) => Some(verifier),
        _ => state.keys.current(),
    })
}

fn act(r: &Request, source: &Arc<RemoteSource>, need: KeysNeed) -> Keys {
    let need = match need {
        // Suspended once already: decide with what there is.
        KeysNeed::Fetch | KeysNeed::Wait if !suspend_once(r, source) => {
            match with_state(source, |state| state.keys.current()) {
                Some(verifier) => KeysNeed::Ready(verifier),
                None => KeysNeed::Unavailable,
            }
        }
        need => need,
    };
    match need {
        KeysNeed::Ready(verifier) => Keys::Ready(verifier),
        KeysNeed::Unavailable => Keys::Unavailable,
        KeysNeed::Wait => match park(r, source) {
            Some(()) => Keys::Suspended,
            None => Keys::Failed,
        },
        KeysNeed::Fetch => match start_fetch(r, source) {
            Some(()) => Keys::Suspended,
            None => {
                // Nothing was started: the next request tries again.
                let outcome = with_state(source, |state| {
                    state.keys.fetch_finished(now(), Err("the subrequest could not start".into()))
                });
                report(r.log(), source, &outcome);
                wake_all(source);
                Keys::Failed
            }
        },
    }
}

/// Removes a waiting request from its source's list when its pool is destroyed first.
struct Waiter {
    source: Arc<RemoteSource>,
    request: *mut ngx_http_request_t,
}

impl Drop for Waiter {
    fn drop(&mut self) {
        let request = self.request;
        with_state(&self.source, |state| state.waiters.retain(|&w| w != request));
    }
}

fn park(r: &Request, source: &Arc<RemoteSource>) -> Option<()> {
    let request: *const ngx_http_request_t = r.as_ref();
    let request = request.cast_mut();
    let guard = r.pool().allocate(Waiter { source: Arc::clone(source), request });
    if guard.is_null() {
        return None;
    }
    with_state(source, |state| {
        if !state.waiters.contains(&request) {
            state.waiters.push(request);
        }
    });
    // Parked: events on its connection (a write event that says the socket is ready) must
    // not run its phases again before the fetch ends; `wake_all` gives the handler back.
    // SAFETY: r is the live request in its access phase, on this worker's thread.
    unsafe { (*request).write_event_handler = Some(ngx_http_request_empty_handler) };
    Some(())
}

/// Wakes every request waiting on `source`: each runs its phases again from the access
/// phase, on its own connection, from nginx's posted events.
fn wake_all(source: &Arc<RemoteSource>) {
    let waiters = with_state(source, |state| std::mem::take(&mut state.waiters));
    for request in waiters {
        // SAFETY: a waiter is removed from the list when its pool is destroyed (Waiter's
        // Drop), so each one here is a live request parked in its access phase; its
        // connection's write handler runs r->write_event_handler, ngx_http_core_run_phases.
        unsafe {
            (*request).write_event_handler = Some(ngx_http_core_run_phases);
            let connection = (*request).connection;
            ngx_post_event((*connection).write, &raw mut ngx_posted_events);
        }
    }
}

/// The state of the one fetch a request started, in that request's pool: if the pool goes
/// before the subrequest reports (nginx ended the request: the fetch runs in the background,
/// so a client going away does not do it), the fetch is over all the same.
struct Fetch {
    source: Arc<RemoteSource>,
    log: *mut ngx_log_t,
    done: bool,
}

impl Drop for Fetch {
    fn drop(&mut self) {
        if !self.done {
            self.done = true;
            abandon(self.log, &self.source);
        }
    }
}

/// The fetch ended without an answer because nginx ended the request carrying it: not the
/// identity provider's failure, but the refresh interval is used up all the same (at most one
/// fetch per interval, whatever happens to requests); the set in force, if any, serves.
fn abandon(log: *mut ngx_log_t, source: &Arc<RemoteSource>) {
    with_state(source, |state| state.keys.fetch_abandoned());
    ngx_log_error!(
        NGX_LOG_WARN,
        log,
        "credentialflow: the fetch of keys from \"{}\" was abandoned (nginx ended the request \
         that made it); the next fetch waits for the refresh interval",
        source.uri
    );
    wake_all(source);
}

fn start_fetch(r: &Request, source: &Arc<RemoteSource>) -> Option<()> {
    let pool = r.pool();
    let fetch = pool.allocate(Fetch { source: Arc::clone(source), log: r.log(), done: true });
    // SAFETY: the request pool is live; pcalloc returns zeroed memory or null.
    let post = unsafe { ngx_pcalloc(pool.as_ptr(), size_of::<ngx_http_post_subrequest_t>()) }
        .cast::<ngx_http_post_subrequest_t>();
    // SAFETY: as above.
    let body = unsafe { ngx_pcalloc(pool.as_ptr(), size_of::<ngx_http_request_body_t>()) }
        .cast::<ngx_http_request_body_t>();
    // SAFETY: as above; the URI is copied into the pool.
    let uri = unsafe { ngx_str_t::from_bytes(pool.as_ptr(), source.uri.as_bytes()) };
    let (false, false, false, Some(mut uri)) =
        (fetch.is_null(), post.is_null(), body.is_null(), uri)
    else {
        return None;
    };
    // SAFETY: post is a fresh zeroed ngx_http_post_subrequest_t; fetch lives in the same
    // request pool as the subrequest, so it outlives every call of fetch_done.
    unsafe {
        (*post).handler = Some(fetch_done);
        (*post).data = fetch.cast();
    }
    let parent: *const ngx_http_request_t = r.as_ref();
    let mut subrequest: *mut ngx_http_request_t = ptr::null_mut();
    // In the background: nginx keeps the request that started it (and so `fetch`) alive until
    // it ends, and the client connection's events stay with that request, which is parked in
    // its access phase and does not read them: a client going away does not end the fetch
    // (nor, through it, use up the refresh interval for nothing). Its result wakes every
    // waiting request, the one that started it included.
    let flags = NGX_HTTP_SUBREQUEST_BACKGROUND | NGX_HTTP_SUBREQUEST_IN_MEMORY;
    // SAFETY: r is a live main request in its access phase; nginx copies what it keeps.
    let rc = unsafe {
        ngx_http_subrequest(
            parent.cast_mut(),
            &mut uri,
            ptr::null_mut(),
            &mut subrequest,
            post,
            flags as ngx_uint_t,
        )
    };
    if rc != NGX_OK as ngx_int_t || subrequest.is_null() {
        return None;
    }
    // SAFETY: a subrequest nginx just created; an empty body, as auth_request gives its own.
    unsafe { (*subrequest).request_body = body };
    with_state(source, |state| state.keys.fetch_started(now()));
    // SAFETY: fetch is the live Fetch allocated above.
    unsafe { (*fetch).done = false };
    // The starting request waits like any other: the fetch's end wakes it.
    park(r, source)
}

use ngx::ffi::ngx_uint_t;

/// The document of a finished subrequest, or why there is none.
///
/// # Safety
/// `sr` must be a finished in-memory subrequest.
unsafe fn document(sr: *mut ngx_http_request_t, rc: ngx_int_t) -> Result<Vec<u8>, String> {
    // SAFETY: per the contract.
    let sr = unsafe { &*sr };
    if rc < 0 {
        return Err(format!("the subrequest failed ({rc})"));
    }
    let status = if rc >= 300 { rc as usize } else { sr.headers_out.status };
    if status != 200 {
        return Err(format!("status {status}"));
    }
    if !sr.headers_out.content_encoding.is_null() {
        return Err("the document is content-encoded (turn off gzip towards the IdP)".into());
    }
    let out = sr.out;
    let body = match out.is_null() {
        true => &[][..],
        // SAFETY: an in-memory subrequest's output is one buffer in its pool.
        false => unsafe {
            let buf = &*(*out).buf;
            let len = buf.last.offset_from(buf.pos).max(0) as usize;
            std::slice::from_raw_parts(buf.pos, len)
        },
    };
    let expected = sr.headers_out.content_length_n;
    if expected >= 0 && expected as usize != body.len() {
        return Err(format!("truncated: {} of {expected} bytes", body.len()));
    }
    Ok(body.to_vec())
}

/// The post-subrequest handler: the fetch is over. Called once more after nginx's own
/// error page on upstream errors; only the first call counts. Returns `rc` unchanged.
unsafe extern "C" fn fetch_done(
    sr: *mut ngx_http_request_t,
    data: *mut c_void,
    rc: ngx_int_t,
) -> ngx_int_t {
    // SAFETY: nginx passes the live subrequest.
    let log = unsafe { (*(*sr).connection).log };
    guarded(log, "the key fetch", rc, || {
        // SAFETY: data is the Fetch start_fetch allocated in the parent's pool, alive.
        let fetch = unsafe { &mut *data.cast::<Fetch>() };
        if fetch.done {
            return rc;
        }
        fetch.done = true;
        // nginx ended the fetch without the identity provider's answer (499): the provider
        // did not fail; the interval is used up all the same.
        if rc == NGX_HTTP_CLIENT_CLOSED_REQUEST as ngx_int_t {
            abandon(log, &fetch.source);
            return rc;
        }
        // SAFETY: the subrequest has finished.
        let result = unsafe { document(sr, rc) };
        let outcome = with_state(&fetch.source, |state| {
            state.keys.fetch_finished(now(), result.as_deref().map_err(Clone::clone))
        });
        report(log, &fetch.source, &outcome);
        // SAFETY: the subrequest is live; its main conf is the cycle's.
        let request = unsafe { Request::from_ngx_http_request(sr) };
        let ok = matches!(outcome, FetchOutcome::Refreshed { .. });
        crate::metrics::key_fetch(request, fetch.source.metrics_source, ok, now());
        wake_all(&fetch.source);
        rc
    })
}

/// Logs a refresh at `info` (with the kids) and the first failure of a streak at `error`.
fn report(log: *mut ngx_log_t, source: &RemoteSource, outcome: &FetchOutcome) {
    match outcome {
        FetchOutcome::Refreshed { count, kids, skipped } => {
            for why in skipped {
                ngx_log_error!(
                    NGX_LOG_WARN,
                    log,
                    "credentialflow: keys from \"{}\": skipped {why}",
                    source.uri
                );
            }
            ngx_log_error!(
                NGX_LOG_INFO,
                log,
                "credentialflow: keys from \"{}\" refreshed: {count} key(s), kid {}",
                source.uri,
                kids.join(", ")
            );
        }
        FetchOutcome::Failed { reason, first_in_streak: true } => {
            ngx_log_error!(
                NGX_LOG_ERR,
                log,
                "credentialflow: cannot fetch keys from \"{}\": {reason}; the last good key set \
                 (if any) stays in force, and this is logged again only after a success",
                source.uri
            );
        }
        FetchOutcome::Failed { first_in_streak: false, .. } => {}
    }
}
