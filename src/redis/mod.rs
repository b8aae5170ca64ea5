//! Redis (or Valkey) shared by many nginx instances (`credentialflow_redis`): revocations are
//! stored there and announced on a channel; every instance applies them to its zone.
//!
//! - [`settings`]: the directive, read at configuration time.
//! - [`peer`]: one non-blocking connection on nginx's event loop.
//! - [`subscriber`]: worker 0's task: subscribe, load the whole set, apply what is announced,
//!   reconnect with backoff; the outage logged once per streak.
//! - [`replay`]: replay protection across instances (the access phase waits for Redis).
//! - here: the write path other code calls ([`commit_revocation`]) and the worker hooks.
//!
//! What is said to Redis, and the key layout, is the core's (`credentialflow_core::redis`).

mod peer;
mod pool;
pub mod replay;
pub mod settings;
mod subscriber;

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::Arc;
use std::task::{Context, Poll};

use credentialflow_core::redis::commit_commands;
use credentialflow_core::redis::resp::expect_integer;
use credentialflow_core::revocation::Revocation;
use ngx::async_::{spawn, Task};
use ngx::ffi::{ngx_cycle_t, ngx_log_t, ngx_shm_zone_t, ngx_time, NGX_LOG_ALERT, NGX_LOG_ERR};
use ngx::ngx_log_error;

use crate::conf::args::{Directive, DirectiveError};
use crate::conf::MainConf;
use peer::deadline_in;
pub use settings::RedisSettings;

thread_local! {
    /// This worker's settings (`init_process`), for the write path.
    static SETTINGS: RefCell<Option<Arc<RedisSettings>>> = const { RefCell::new(None) };
    /// This worker's zone, where a committed revocation is applied at once.
    static ZONE: std::cell::Cell<Option<NonNull<ngx_shm_zone_t>>> = const { std::cell::Cell::new(None) };
    /// Worker 0's subscriber; dropped (connection closed) in `exit_process`.
    static SUBSCRIBER: RefCell<Option<Task<()>>> = const { RefCell::new(None) };
}

/// `credentialflow_redis address [password_file=file] [db=n] [prefix=string] [timeout=time]`.
pub fn directive(d: &Directive<'_>, conf: &mut MainConf) -> Result<(), DirectiveError> {
    if conf.redis.is_some() {
        return Err(DirectiveError::Duplicate);
    }
    conf.redis = Some(Arc::new(settings::read(d)?));
    Ok(())
}

/// Why Redis could not take a write: it is down, slow (past `timeout=`), or refused it. The
/// caller answers 503 (`temporarily_unavailable`); the reason has been logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unavailable;

/// Stores `revocation` in Redis with its end as its TTL and announces it to every instance
/// (this one included: its subscriber adds it to the zone within a second). Fails within the
/// configured `timeout=` when Redis is down or slow; without Redis configured, fails at once.
/// A revocation that has already ended is not stored (`Ok`); a `jti` revocation should carry
/// `until = exp` so that Redis forgets it when the token expires. The future owns what it
/// needs; from a content handler (this is the shape checked by hand against Redis, with a
/// 204/503 answer, Redis paused and stopped):
/// ```text
/// (*(*r).main).set_count((*(*r).main).count() + 1);   // keep r until the task finalizes it
/// let commit = crate::redis::commit_revocation(&revocation);
/// ngx::async_::spawn(async move {
///     let rc = match commit.await { Ok(()) => answer_200(r), Err(Unavailable) => answer_503(r) };
///     let c = (*r).connection;
///     ngx_http_finalize_request(r, rc);                // exactly once, drops our count
///     ngx_http_run_posted_requests(c);
/// }).detach();
/// return NGX_DONE;
/// ```
/// From a request-body post handler, which already holds the body's count, skip the
/// `set_count` and let the task's finalize be the one the post handler would have made.
pub fn commit_revocation(
    revocation: &Revocation,
) -> impl Future<Output = Result<(), Unavailable>> + 'static {
    let settings = SETTINGS.with_borrow(Option::clone);
    let revocation = revocation.clone();
    Guarded::new("a Redis write", Err(Unavailable), async move {
        let log = ngx::log::ngx_cycle_log();
        let Some(settings) = settings else { return Err(Unavailable) };
        let now = ngx_time();
        let commands = match commit_commands(&settings.names, &revocation, now) {
            Ok(Some(commands)) => commands,
            Ok(None) => return Ok(()),
            Err(e) => {
                ngx_log_error!(NGX_LOG_ERR, log.as_ptr(), "credentialflow: redis: {e}");
                return Err(Unavailable);
            }
        };
        let deadline = deadline_in(settings.timeout_ms);
        let result = async {
            for reply in pool::exchange(&settings, &commands, deadline).await? {
                expect_integer(&reply)?;
            }
            Ok::<(), peer::PeerError>(())
        }
        .await;
        if result.is_ok() {
            // Enforced here at once; the other instances apply the announcement.
            let _ = subscriber::apply(log, ZONE.get(), std::slice::from_ref(&revocation));
        }
        result.map_err(|e| {
            ngx_log_error!(
                NGX_LOG_ERR,
                log.as_ptr(),
                "credentialflow: redis {}: revocation not stored: {e}",
                settings.address
            );
            Unavailable
        })
    })
}

/// Per worker (`init_process`): keeps the settings for the write path and, in worker 0 (or
/// a single process), starts the subscriber that keeps the zone in step with Redis.
///
/// # Safety
/// Called from `init_process` with nginx's cycle.
pub unsafe fn start(cycle: &ngx_cycle_t, main: &MainConf) {
    let Some(settings) = main.redis.clone() else { return };
    SETTINGS.with_borrow_mut(|s| *s = Some(Arc::clone(&settings)));
    ZONE.set(main.zone);
    // SAFETY: nginx's process role, set before init_process.
    let first = unsafe {
        ngx::ffi::ngx_process == ngx::ffi::NGX_PROCESS_SINGLE as usize
            || (ngx::ffi::ngx_process == ngx::ffi::NGX_PROCESS_WORKER as usize
                && ngx::ffi::ngx_worker == 0)
    };
    let Some(zone) = main.zone.filter(|_| first) else { return };
    let Some(log) = NonNull::new(cycle.log) else { return };
    let task =
        spawn(Guarded::new("the Redis subscriber", (), subscriber::run(settings, zone, log)));
    SUBSCRIBER.with_borrow_mut(|s| *s = Some(task));
}

/// Per worker (`exit_process`): closes the subscriber's connection before nginx checks for
/// open sockets.
pub fn stop() {
    let task = SUBSCRIBER.with_borrow_mut(Option::take);
    drop(task);
    pool::clear();
    SETTINGS.with_borrow_mut(|s| *s = None);
    ZONE.set(None);
}

/// A future whose every poll is guarded: a panic becomes an alert and `on_panic`, never an
/// unwind into nginx's event handler (which would abort the worker).
struct Guarded<F: Future> {
    future: Pin<Box<F>>,
    what: &'static str,
    on_panic: Option<F::Output>,
}

impl<F: Future> Guarded<F> {
    fn new(what: &'static str, on_panic: F::Output, future: F) -> Self {
        Guarded { future: Box::pin(future), what, on_panic: Some(on_panic) }
    }
}

// The future is boxed, and the output is only ever moved: nothing here is pinned.
impl<F: Future> Unpin for Guarded<F> {}

impl<F: Future> Future for Guarded<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // Guarded is Unpin (the future is boxed).
        let this = self.get_mut();
        let log: *mut ngx_log_t = ngx::log::ngx_cycle_log().as_ptr();
        let polled =
            crate::ffi_guard::guarded(log, this.what, None, || Some(this.future.as_mut().poll(cx)));
        match polled {
            Some(poll) => poll,
            None => match this.on_panic.take() {
                Some(value) => Poll::Ready(value),
                None => {
                    ngx_log_error!(
                        NGX_LOG_ALERT,
                        log,
                        "credentialflow: {} polled again",
                        this.what
                    );
                    Poll::Pending
                }
            },
        }
    }
}
