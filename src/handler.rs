//! The phase handlers: the rewrite-phase one removes client copies of forwarded headers before
//! anything can grant access; the access-phase one allows, or answers 401/403 with a challenge.

use credentialflow_core::fingerprint;
use credentialflow_core::Rejection;
use ngx::core::Status;
use ngx::ffi::{ngx_http_request_t, ngx_int_t, NGX_LOG_INFO};
use ngx::http::{HTTPStatus, Request};
use ngx::ngx_log_error;

use crate::ffi_guard::guarded;
use crate::headers;
use crate::request_ctx;

/// The rewrite-phase entry point: runs for main requests, internal redirects and subrequests
/// alike, before the access phase (which subrequests skip).
pub unsafe extern "C" fn strip_handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: nginx passes a live request.
    let request = unsafe { Request::from_ngx_http_request(r) };
    let log = request.log();
    let failed: Status = HTTPStatus::INTERNAL_SERVER_ERROR.into();
    guarded(log, "the rewrite handler", failed, || {
        let Some(location) = request_ctx::protected_location(request) else {
            return Status::NGX_DECLINED;
        };
        match headers::strip_forwarded(request, &location) {
            Some(()) => Status::NGX_DECLINED,
            None => HTTPStatus::INTERNAL_SERVER_ERROR.into(),
        }
    })
    .into()
}

/// The access-phase entry point nginx calls for every main request.
pub unsafe extern "C" fn access_handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: nginx passes a live request.
    let request = unsafe { Request::from_ngx_http_request(r) };
    let log = request.log();
    let failed: Status = HTTPStatus::INTERNAL_SERVER_ERROR.into();
    guarded(log, "the access handler", failed, || check(request)).into()
}

fn check(r: &mut Request) -> Status {
    let Some(location) = request_ctx::protected_location(r) else {
        return Status::NGX_DECLINED;
    };
    #[cfg(feature = "panic-test")]
    match location.panic_test {
        Some(crate::conf::PanicTest::Guarded) => panic!("credentialflow_panic_test"),
        Some(crate::conf::PanicTest::Outside) => {
            // Another thread is outside this thread's `guarded` call: the panic is not ours,
            // and must reach the hook installed before ours (std's prints it to stderr).
            let thread = std::thread::spawn(|| panic!("credentialflow_panic_test outside"));
            if thread.join().is_ok() {
                return Status::NGX_ERROR;
            }
        }
        None => {}
    }
    let rp: *mut ngx_http_request_t = std::ptr::from_ref(r.as_ref()).cast_mut();
    // What the decision asks for, read out of the context (which borrows `r`) before `r` is
    // changed: the forwarded headers, already built in the request pool, or the refusal.
    let outcome = match request_ctx::decide(r, &location) {
        None => return HTTPStatus::INTERNAL_SERVER_ERROR.into(),
        Some(ctx) => {
            // Accepted, but for its first use, which Redis records: wait for it.
            if ctx.verdict.is_ok() && ctx.replay_pending.is_some() {
                if let Some(waiting) = crate::redis::replay::suspend(rp, ctx) {
                    return waiting;
                }
            }
            let first = ctx.first_to_log();
            match &ctx.verdict {
                Ok(accepted) => {
                    if first {
                        for withheld in &accepted.withheld {
                            ngx_log_error!(
                                NGX_LOG_INFO,
                                r.log(),
                                "credentialflow: claim \"{}\" not forwarded: its value holds a \
                                 control character, token {}",
                                withheld.claim,
                                fingerprint(ctx.raw())
                            );
                        }
                    }
                    match headers::forwarded_elements(r, &accepted.forwarded) {
                        Some(elements) => Ok(elements),
                        None => return HTTPStatus::INTERNAL_SERVER_ERROR.into(),
                    }
                }
                Err(rejection) => {
                    if first {
                        log_refusal(r, *rejection, ctx.raw());
                    }
                    Err(*rejection)
                }
            }
        }
    };
    match outcome {
        // Again after an internal redirect: the rewrite phase stripped the headers anew.
        Ok(elements) => match headers::forward_claims(r, &location, elements) {
            Some(()) => Status::NGX_OK,
            None => HTTPStatus::INTERNAL_SERVER_ERROR.into(),
        },
        Err(rejection) => {
            if rejection.has_challenge()
                && headers::set_challenge(r, &location, rejection).is_none()
            {
                return HTTPStatus::INTERNAL_SERVER_ERROR.into();
            }
            HTTPStatus(rejection.http_status().into()).into()
        }
    }
}

/// One `info` line per refused request: the reason and the token's fingerprint, never the token.
fn log_refusal(r: &Request, rejection: Rejection, raw: &[u8]) {
    ngx_log_error!(
        NGX_LOG_INFO,
        r.log(),
        "credentialflow: request refused ({}): {}{}",
        rejection.status_name(),
        rejection.description(),
        match raw {
            [] => String::new(),
            raw => format!(", token {}", fingerprint(raw)),
        }
    );
}
