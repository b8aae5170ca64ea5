//! No panic may cross into nginx: every `extern "C"` entry point runs its body through
//! [`guarded`], which turns a panic into an `alert` line and the entry point's failure value
//! (a 500 for a request, a config error at `nginx -t`). The worker lives on.
//!
//! The panic hook that keeps such panics off stderr is `credentialflow-panic-guard`'s: it
//! claims only panics inside a [`guarded`] call on the same thread and passes every other
//! panic to the hook installed before it.

use credentialflow_panic_guard::contain;
use ngx::ffi::{ngx_log_t, NGX_LOG_ALERT};
use ngx::ngx_log_error;

/// Runs `body`; on a panic logs an alert with the panic's location to `log` (if not null) and
/// returns `on_panic`.
pub fn guarded<T>(log: *mut ngx_log_t, what: &str, on_panic: T, body: impl FnOnce() -> T) -> T {
    match contain(body) {
        Ok(value) => value,
        Err(panic) => {
            if !log.is_null() {
                let at = panic.location.map(|at| format!(" at {at}")).unwrap_or_default();
                let message = panic.message;
                ngx_log_error!(
                    NGX_LOG_ALERT,
                    log,
                    "credentialflow: panic in {what}{at}: {message}"
                );
            }
            on_panic
        }
    }
}
