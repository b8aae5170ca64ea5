//! The access-phase handler: allow, or answer 401/403 with a challenge.

use credentialflow_core::token::fingerprint;
use ngx::core::Status;
use ngx::ffi::{ngx_http_request_t, ngx_int_t, NGX_LOG_INFO};
use ngx::http::{HTTPStatus, Request};
use ngx::ngx_log_error;

use crate::ffi_guard::guarded;
use crate::headers;
use crate::request_ctx::{self, RequestCtx};

/// The `extern "C"` entry point nginx calls for every main request.
pub unsafe extern "C" fn access_handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: nginx passes a live request.
    let request = unsafe { Request::from_ngx_http_request(r) };
    let log = request.log();
    let failed: Status = HTTPStatus::INTERNAL_SERVER_ERROR.into();
    guarded(log, "the access handler", failed, || check(request)).into()
}

fn check(r: &mut Request) -> Status {
    let Some(location) = request_ctx::location_guard(r) else {
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
    let Some(ctx) = request_ctx::decide(r, &location) else {
        return HTTPStatus::INTERNAL_SERVER_ERROR.into();
    };
    if ctx.acted {
        return verdict_status(ctx);
    }
    ctx.acted = true;
    let ctx: *mut RequestCtx = ctx;
    // SAFETY: the context lives in the request pool; the request is not otherwise touched
    // through it while headers are written below.
    let ctx = unsafe { &mut *ctx };
    match &ctx.verdict {
        Ok(values) => match headers::forward_claims(r, &location, values) {
            Some(()) => Status::NGX_OK,
            None => HTTPStatus::INTERNAL_SERVER_ERROR.into(),
        },
        Err(rejection) => {
            let rejection = *rejection;
            ngx_log_error!(
                NGX_LOG_INFO,
                r.log(),
                "credentialflow: request refused ({}): {}{}",
                rejection.status_name(),
                rejection.description(),
                match ctx.raw() {
                    [] => String::new(),
                    raw => format!(", token {}", fingerprint(raw)),
                }
            );
            if headers::set_challenge(r, &location, rejection).is_none() {
                return HTTPStatus::INTERNAL_SERVER_ERROR.into();
            }
            HTTPStatus(rejection.http_status().into()).into()
        }
    }
}

fn verdict_status(ctx: &RequestCtx) -> Status {
    match &ctx.verdict {
        Ok(_) => Status::NGX_OK,
        Err(rejection) => HTTPStatus(rejection.http_status().into()).into(),
    }
}
