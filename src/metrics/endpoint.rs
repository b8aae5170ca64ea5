//! `credentialflow_metrics;`: the scrape endpoint. Reads the zone's table and what the zone
//! holds (shared cache entries, revocations by kind), and answers the core's Prometheus text.

use credentialflow_core::metrics::{render, Scrape};
use credentialflow_core::revocation::RevocationKind;
use ngx::ffi::{
    ngx_http_discard_request_body, ngx_http_request_t, ngx_int_t, ngx_uint_t,
    NGX_HTTP_INTERNAL_SERVER_ERROR, NGX_HTTP_NOT_ALLOWED, NGX_HTTP_OK,
};
use ngx::http::{HttpModuleMainConf, Method, Request};
use ngx::ngx_string;

use crate::ffi_guard::guarded;
use crate::oauth::respond;
use crate::Module;

/// The content handler.
pub unsafe extern "C" fn handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: nginx passes a live request.
    let request = unsafe { Request::from_ngx_http_request(r) };
    let failed = NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t;
    guarded(request.log(), "the metrics endpoint", failed, || scrape(request))
}

/// The cached second of nginx's clock.
fn now() -> i64 {
    // SAFETY: ngx_cached_time always points at a valid, current ngx_time_t in a worker.
    unsafe { (*std::ptr::read_volatile(&raw const ngx::ffi::ngx_cached_time)).sec }
}

fn scrape(r: &mut Request) -> ngx_int_t {
    if r.method() != Method::GET && r.method() != Method::HEAD {
        return NGX_HTTP_NOT_ALLOWED as ngx_int_t;
    }
    // SAFETY: r is the live request of this content handler.
    let rc = unsafe { ngx_http_discard_request_body(r.as_mut()) };
    if rc != 0 {
        return rc;
    }
    let Some(main) = Module::main_conf(r.as_ref()) else {
        return NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t;
    };
    let Some(table) = main.metrics.table() else {
        return NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t;
    };
    let counters = table.snapshot();
    let ((shared_entries, shared_evictions), by_kind) =
        main.zone.and_then(crate::zone::stats).unwrap_or(((0, 0), [0; 4]));
    let revocations: Vec<(RevocationKind, u64)> =
        RevocationKind::ALL.into_iter().zip(by_kind).collect();
    let labels = main.metrics.labels_with_slots();
    let key_sources = main.metrics.sources_with_slots();
    let text = render(&Scrape {
        counters: &counters,
        labels: &labels,
        key_sources: &key_sources,
        now: now(),
        shared_entries,
        shared_evictions,
        revocations: &revocations,
    });
    respond::send(
        r,
        NGX_HTTP_OK as ngx_uint_t,
        ngx_string!("text/plain; version=0.0.4; charset=utf-8"),
        &[("Cache-Control", "no-store")],
        &text,
    )
}
