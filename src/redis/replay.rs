//! Replay protection across instances: with Redis configured, a token's first use is
//! recorded there by one atomic `SET key 1 NX PX ttl`, so a token used on one instance is a
//! replay on every other. The decision is made as without Redis, but the replay store only
//! notes the key ([`Deferred`]); if the token is otherwise accepted, the access handler
//! suspends the request ([`suspend`]: `NGX_AGAIN`), a task asks Redis, and the request
//! resumes through its phase handler when the answer comes. No answer within `timeout=`
//! (or an error) refuses the token with 503: accepting it could let it be used twice (fail
//! closed). The connection comes from the worker's pool (`pool.rs`).

use std::cell::RefCell;

use credentialflow_core::redis::{replay_command, replay_reply};
use credentialflow_core::replay::{FirstUse, ReplayStore};
use credentialflow_core::Rejection;
use ngx::async_::spawn;
use ngx::core::Status;
use ngx::ffi::{
    ngx_http_finalize_request, ngx_http_request_t, ngx_http_run_posted_requests, ngx_time,
    NGX_HTTP_INTERNAL_SERVER_ERROR, NGX_LOG_ERR,
};
use ngx::http::Request;
use ngx::ngx_log_error;

use super::peer::{deadline_in, PeerError};
use super::{Guarded, SETTINGS};
use crate::request_ctx::{self, RequestCtx};

/// A replay store that only notes what the decision asked for; the check itself is made in
/// Redis once the rest of the decision has accepted the token.
#[derive(Default)]
pub struct Deferred {
    asked: RefCell<Option<(Vec<u8>, i64)>>,
}

impl Deferred {
    /// The key and until-time the decision asked about, if it got that far.
    pub fn take(&self) -> Option<(Vec<u8>, i64)> {
        self.asked.borrow_mut().take()
    }
}

impl ReplayStore for Deferred {
    fn first_use(&self, key: &[u8], _client: u64, until: i64, _now: i64) -> FirstUse {
        *self.asked.borrow_mut() = Some((key.to_vec(), until));
        FirstUse::First
    }
}

/// Resolves on the first poll's next turn of the event loop: what follows never runs inside
/// the access handler that spawned it.
async fn yield_once() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            return std::task::Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    })
    .await
}

/// Asks Redis whether this is the token's first use.
async fn first_use(key: Vec<u8>, until: i64) -> FirstUse {
    let Some(settings) = SETTINGS.with_borrow(Option::clone) else { return FirstUse::Unavailable };
    let log = ngx::log::ngx_cycle_log();
    let command = replay_command(&settings.prefix, &key, until, ngx_time());
    let deadline = deadline_in(settings.timeout_ms);
    let asked = super::pool::exchange(&settings, &[command], deadline)
        .await
        .and_then(|replies| replies.first().map(replay_reply).ok_or(PeerError::Closed));
    match asked {
        Ok(FirstUse::Unavailable) | Err(_) => {
            let why = match asked {
                Err(e) => e.to_string(),
                Ok(_) => "unexpected answer".to_string(),
            };
            ngx_log_error!(
                NGX_LOG_ERR,
                log.as_ptr(),
                "credentialflow: redis {}: replay check failed ({why}): the token is refused \
                 with 503",
                settings.address
            );
            FirstUse::Unavailable
        }
        Ok(answer) => answer,
    }
}

/// In the access handler, for a token accepted but for its first use: starts the check in
/// Redis (once) and suspends the request until the answer; `None` once the answer is in and
/// says first use (the handler goes on with the decision).
pub fn suspend(r: *mut ngx_http_request_t, ctx: &RequestCtx) -> Option<Status> {
    if ctx.replay_confirmed.get() {
        return None;
    }
    if ctx.replay_started.replace(true) {
        // Woken by some other event while the check runs: keep waiting.
        return Some(Status::NGX_AGAIN);
    }
    let (key, until) = ctx.replay_pending.clone()?;
    // `blocked` keeps nginx from freeing the request while the task holds it (as for
    // thread-pool I/O): a request terminated meanwhile is finalized when the task resumes it.
    // SAFETY: r is the live main request in its access phase.
    unsafe { (*(*r).main).set_blocked((*(*r).main).blocked() + 1) };
    spawn(async move {
        yield_once().await;
        let checked =
            Guarded::new("the Redis replay check", FirstUse::Unavailable, first_use(key, until));
        let outcome = checked.await;
        let log = ngx::log::ngx_cycle_log().as_ptr();
        // SAFETY: the request was kept alive by `blocked`; this runs from the event loop, not
        // inside any of the request's handlers.
        crate::ffi_guard::guarded(log, "the replay check's resumption", (), || unsafe {
            resume(r, outcome)
        });
    })
    .detach();
    Some(Status::NGX_AGAIN)
}

/// Records the answer in the request's decision and runs its phases again.
///
/// # Safety
/// `r` is the request `suspend` blocked, still blocked.
unsafe fn resume(r: *mut ngx_http_request_t, outcome: FirstUse) {
    // SAFETY: per the contract.
    unsafe {
        let main = (*r).main;
        (*main).set_blocked((*main).blocked().saturating_sub(1));
        let c = (*r).connection;
        let request = Request::from_ngx_http_request(r);
        let recorded = match request_ctx::current(request) {
            Some(ctx) => match outcome {
                FirstUse::First => {
                    ctx.replay_confirmed.set(true);
                    true
                }
                FirstUse::Replayed => {
                    request_ctx::refuse_after_replay_check(request, ctx, Rejection::Replayed)
                }
                FirstUse::Unavailable => {
                    request_ctx::refuse_after_replay_check(request, ctx, Rejection::Unavailable)
                }
            },
            None => false,
        };
        if !recorded {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR as _);
        } else if let Some(handler) = (*r).write_event_handler {
            handler(r);
        }
        ngx_http_run_posted_requests(c);
    }
}
