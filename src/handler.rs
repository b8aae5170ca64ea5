//! The phase handlers: the rewrite-phase one removes client copies of forwarded headers before
//! anything can grant access; the access-phase one allows, or answers 401/403 with a challenge.

use credentialflow_core::fingerprint;
use credentialflow_core::Rejection;
use ngx::core::Status;
use ngx::ffi::{ngx_http_request_t, ngx_int_t, NGX_LOG_INFO};
use ngx::http::{HTTPStatus, Method, Request};
use ngx::ngx_log_error;

use crate::conf::ProtectedLocation;
use crate::ffi_guard::guarded;
use crate::headers;
use crate::remote_keys::{self, Keys};
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
    if location.allow_preflight && is_cors_preflight(r) {
        return Status::NGX_DECLINED;
    }
    let rp: *mut ngx_http_request_t = std::ptr::from_ref(r.as_ref()).cast_mut();
    // What the decision asks for, read out of the context (which borrows `r`) before `r` is
    // changed: the forwarded headers, already built in the request pool, or the refusal.
    let decided = match &location.remote_keys {
        None => request_ctx::decide(r, &location),
        // No token, or a malformed credential: refused without any key, so a request that
        // carries nothing neither starts nor waits for a fetch.
        Some(_) if !request_ctx::has_token(r, &location) => {
            request_ctx::decide_with(r, &location, None)
        }
        Some(source) => match remote_keys::for_request(r, source) {
            Keys::Ready(verifier) => {
                let ctx = request_ctx::decide_with(r, &location, Some(&verifier));
                // A key the set does not have (or a key type it has none of): fetch the set again (at most once per refresh
                // interval, and once per request whatever the sets fetched meanwhile), then
                // decide again with it.
                let lacking = ctx.filter(|ctx| {
                    ctx.verdict.as_ref().err().is_some_and(|r| r.asks_for_other_keys())
                });
                let unknown_key = lacking.is_some_and(|ctx| !ctx.refetched.replace(true));
                // Run again while the fetch it asked for is still under way (some nginx
                // versions run a parked request's phases when its subrequest starts): wait on.
                let again = lacking.is_some() && !unknown_key;
                let waits = again.then(|| remote_keys::while_fetching(r, source)).flatten();
                match waits.or_else(|| {
                    unknown_key.then(|| remote_keys::for_unknown_key(r, source)).flatten()
                }) {
                    Some(Keys::Suspended) => return Status::NGX_AGAIN,
                    Some(Keys::Failed) => return HTTPStatus::INTERNAL_SERVER_ERROR.into(),
                    _ => ctx,
                }
            }
            Keys::Suspended => return Status::NGX_AGAIN,
            Keys::Unavailable => request_ctx::keys_unavailable(r, &location),
            Keys::Failed => return HTTPStatus::INTERNAL_SERVER_ERROR.into(),
        },
    };
    let outcome = match decided {
        None => return HTTPStatus::INTERNAL_SERVER_ERROR.into(),
        Some(ctx) => {
            // Accepted, but for its first use, which Redis records: wait for it.
            if ctx.verdict.is_ok() && ctx.replay_pending.is_some() {
                if let Some(waiting) = crate::redis::replay::suspend(rp, ctx) {
                    return waiting;
                }
            }
            let first = ctx.first_to_log();
            // `credentialflow_require` reads variables, which may read this decision: it is
            // checked once the decision is kept, and its refusal is kept beside it.
            let refused_by_rule = match (&ctx.verdict, ctx.rule_refusal.get()) {
                (Ok(_), None) => match unmet_requirement(r, &location) {
                    Ok(refusal) => {
                        ctx.rule_refusal.set(refusal);
                        refusal
                    }
                    Err(()) => return HTTPStatus::INTERNAL_SERVER_ERROR.into(),
                },
                (_, refusal) => refusal,
            };
            if first {
                let outcome = match (&ctx.verdict, refused_by_rule) {
                    (Ok(_), None) => Ok(()),
                    (Ok(_), Some(rejection)) | (&Err(rejection), _) => Err(rejection),
                };
                let kind = request_ctx::credential_kind(ctx);
                crate::metrics::decision(r, location.metrics_label, kind, outcome);
            }
            match (&ctx.verdict, refused_by_rule) {
                (Ok(_), Some(rejection)) => {
                    if first {
                        log_refusal(r, rejection, ctx.raw());
                    }
                    Err(rejection)
                }
                (Ok(accepted), None) => {
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
                (Err(rejection), _) => {
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

/// A CORS preflight (Fetch standard, "CORS-preflight request"): `OPTIONS` with `Origin` and
/// `Access-Control-Request-Method`. Any other `OPTIONS` needs a token like every method.
fn is_cors_preflight(r: &Request) -> bool {
    if r.method() != Method::OPTIONS {
        return false;
    }
    let (mut origin, mut method) = (false, false);
    for (name, _) in r.headers_in_iterator() {
        origin |= name.as_bytes().eq_ignore_ascii_case(b"origin");
        method |= name.as_bytes().eq_ignore_ascii_case(b"access-control-request-method");
    }
    origin && method
}

/// The refusal of the first `credentialflow_require` line with a value that is empty or `0`;
/// `Err` when a value cannot be evaluated (out of memory).
fn unmet_requirement(r: &Request, location: &ProtectedLocation) -> Result<Option<Rejection>, ()> {
    for requirement in &location.requirements {
        for value in &requirement.values {
            match value.evaluate(r).ok_or(())? {
                b"" | b"0" => return Ok(Some(requirement.refusal)),
                _ => {}
            }
        }
    }
    Ok(None)
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
