//! The 8 KiB limit on the bodies of the token, revocation and introspection endpoints, applied
//! while the body arrives, as nginx applies `client_max_body_size`: a request body filter
//! (nginx's `ngx_http_top_request_body_filter` chain, before the filter that buffers the body
//! and writes it to `client_body_temp`) refuses the request with 413 once the body read so
//! far is over the limit. A body with a `Content-Length` over it is refused before any of it
//! is read (`body::start`); this catches the ones without: chunked HTTP/1.1 bodies and HTTP/2
//! or HTTP/3 streams, which nginx would otherwise spool to disk up to `client_max_body_size`.

use credentialflow_core::defaults;
use ngx::ffi::{
    ngx_chain_t, ngx_http_request_body_filter_pt, ngx_http_request_t,
    ngx_http_top_request_body_filter, ngx_int_t, NGX_HTTP_INTERNAL_SERVER_ERROR,
    NGX_HTTP_REQUEST_ENTITY_TOO_LARGE, NGX_LOG_INFO,
};
use ngx::http::{HttpModuleLocationConf, Request};
use ngx::ngx_log_error;

use crate::ffi_guard::guarded;
use crate::Module;

/// The filter that was at the top of the chain before ours.
static mut NEXT: ngx_http_request_body_filter_pt = None;

/// Puts the filter at the top of the request body filter chain.
///
/// # Safety
/// Call once, from `postconfiguration`, while nginx reads the configuration in one thread.
pub unsafe fn install() {
    // SAFETY: nginx's filter chain is only changed while the configuration is read.
    unsafe {
        NEXT = ngx_http_top_request_body_filter;
        ngx_http_top_request_body_filter = Some(filter);
    }
}

/// The body bytes received so far: HTTP/1.1's chunked parser keeps the running total in
/// `content_length_n`, HTTP/2 and HTTP/3 in the body's `received`.
fn received(r: &ngx_http_request_t) -> i64 {
    // SAFETY: a request whose body is being read has its request_body allocated.
    let stream = unsafe { r.request_body.as_ref() }.map_or(0, |body| body.received);
    r.headers_in.content_length_n.max(stream)
}

unsafe extern "C" fn filter(r: *mut ngx_http_request_t, chain: *mut ngx_chain_t) -> ngx_int_t {
    // SAFETY: nginx passes the live request whose body it is reading.
    let request = unsafe { Request::from_ngx_http_request(r) };
    let log = request.log();
    let over = guarded(log, "the request body limit", None, || {
        let endpoint = Module::location_conf(request)
            .and_then(|conf| conf.oauth.endpoint_ready.as_ref().map(|e| e.kind));
        let limited = endpoint.is_some_and(|kind| kind.takes_clients());
        let seen = received(request.as_ref());
        (limited && seen > defaults::OAUTH_MAX_BODY as i64).then_some(seen)
    });
    if let Some(seen) = over {
        ngx_log_error!(
            NGX_LOG_INFO,
            log,
            "credentialflow: request body refused after {seen} bytes: the limit is {} bytes",
            defaults::OAUTH_MAX_BODY
        );
        // SAFETY: as above; nginx closes the connection lingering, as for its own 413.
        unsafe { (*r).set_lingering_close(1) };
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE as ngx_int_t;
    }
    // SAFETY: NEXT was set by `install` before any request was read.
    match unsafe { NEXT } {
        // SAFETY: the next filter of nginx's chain, with the arguments nginx gave us.
        Some(next) => unsafe { next(r, chain) },
        None => NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t,
    }
}
