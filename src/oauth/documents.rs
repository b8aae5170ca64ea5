//! The content handlers of the public documents (JWKS, RFC 8414 authorization server metadata,
//! RFC 9728 protected resource metadata), answered to GET and HEAD.

use credentialflow_core::defaults;
use credentialflow_core::oauth::issuer::metadata;
use ngx::ffi::{
    ngx_http_discard_request_body, ngx_http_request_t, ngx_int_t, ngx_uint_t,
    NGX_HTTP_INTERNAL_SERVER_ERROR, NGX_HTTP_NOT_ALLOWED, NGX_HTTP_OK,
};
use ngx::http::{HttpModuleLocationConf, Method, Request};

use super::{respond, EndpointKind};
use crate::ffi_guard::guarded;
use crate::Module;

/// `credentialflow_oauth_jwks`'s and `credentialflow_oauth_metadata`'s content handler.
pub unsafe extern "C" fn handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: nginx passes a live request.
    let request = unsafe { Request::from_ngx_http_request(r) };
    let log = request.log();
    let failed = NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t;
    guarded(log, "an OAuth document endpoint", failed, || answer(request))
}

/// `credentialflow_oauth_resource_metadata`'s content handler (RFC 9728).
pub unsafe extern "C" fn resource_handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: nginx passes a live request.
    let request = unsafe { Request::from_ngx_http_request(r) };
    let log = request.log();
    let failed = NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t;
    guarded(log, "the resource metadata endpoint", failed, || {
        let Some(body) =
            Module::location_conf(request).and_then(|c| c.oauth.resource_document.clone())
        else {
            return failed;
        };
        serve(request, &body)
    })
}

/// Refuses what is not GET or HEAD (the request body discarded first); `None` when the
/// request may be answered.
fn refuse_method(r: &mut Request) -> Option<ngx_int_t> {
    // SAFETY: r is the live request of this content handler.
    let rc = unsafe { ngx_http_discard_request_body(r.as_mut()) };
    if rc != 0 {
        return Some(rc);
    }
    if matches!(r.method(), Method::GET | Method::HEAD) {
        return None;
    }
    let body = r#"{"error":"invalid_request","error_description":"use GET"}"#;
    Some(respond::json(r, NGX_HTTP_NOT_ALLOWED as ngx_uint_t, &[("Allow", "GET, HEAD")], body))
}

/// Answers GET and HEAD with a public document.
fn serve(r: &mut Request, body: &str) -> ngx_int_t {
    if let Some(rc) = refuse_method(r) {
        return rc;
    }
    // Verifiers cache the key set for this long: a key published ahead of a rotation
    // (`publish_only`) reaches them within it, so it is the least wait before the swap. The
    // metadata documents change with the configuration only, and take the same age.
    let cache = format!("max-age={}", defaults::OAUTH_JWKS_MAX_AGE);
    respond::json(r, NGX_HTTP_OK as ngx_uint_t, &[("Cache-Control", cache.as_str())], body)
}

fn answer(r: &mut Request) -> ngx_int_t {
    let failed = NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t;
    let Some(endpoint) = Module::location_conf(r).and_then(|c| c.oauth.endpoint_ready.clone())
    else {
        return failed;
    };
    let body = match endpoint.kind {
        EndpointKind::Jwks => endpoint.issuer.jwks(),
        EndpointKind::Metadata => {
            let registry = endpoint.clients.as_ref().map(|c| c.current());
            let scopes = registry.as_ref().map(|r| r.all_scopes()).unwrap_or_default();
            let published = endpoint.published_scopes.select(&scopes);
            metadata(endpoint.issuer.issuer(), &endpoint.urls, published.as_deref())
        }
        EndpointKind::Token | EndpointKind::Revoke | EndpointKind::Introspect => return failed,
    };
    serve(r, &body)
}
