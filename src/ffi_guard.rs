//! No panic may cross into nginx: every `extern "C"` entry point runs its body through
//! [`guarded`], which turns a panic into an `alert` line and the entry point's failure value
//! (a 500 for a request, a config error at `nginx -t`). The worker lives on.

use std::panic::{catch_unwind, AssertUnwindSafe};

use ngx::ffi::{ngx_log_t, NGX_LOG_ALERT};
use ngx::ngx_log_error;

/// Runs `body`; on a panic logs an alert to `log` (if not null) and returns `on_panic`.
pub fn guarded<T>(log: *mut ngx_log_t, what: &str, on_panic: T, body: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("(no message)");
            if !log.is_null() {
                ngx_log_error!(NGX_LOG_ALERT, log, "credentialflow: panic in {what}: {message}");
            }
            on_panic
        }
    }
}

/// Replaces the default panic hook, which would print to stderr (nginx's error log) without
/// the request context; [`guarded`] logs the panic itself.
pub fn quiet_panics() {
    std::panic::set_hook(Box::new(|_| {}));
}
