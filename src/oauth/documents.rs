//! The JWKS and metadata endpoints' content handler: public documents, answered to GET and
//! HEAD.

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

fn answer(r: &mut Request) -> ngx_int_t {
    let failed = NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t;
    let Some(endpoint) = Module::location_conf(r).and_then(|c| c.oauth.endpoint_ready.clone())
    else {
        return failed;
    };
    // SAFETY: r is the live request of this content handler.
    let rc = unsafe { ngx_http_discard_request_body(r.as_mut()) };
    if rc != 0 {
        return rc;
    }
    if !matches!(r.method(), Method::GET | Method::HEAD) {
        let body = r#"{"error":"invalid_request","error_description":"use GET"}"#;
        return respond::json(
            r,
            NGX_HTTP_NOT_ALLOWED as ngx_uint_t,
            &[("Allow", "GET, HEAD")],
            body,
        );
    }
    let body = match endpoint.kind {
        EndpointKind::Jwks => endpoint.issuer.jwks(),
        EndpointKind::Metadata => {
            let registry = endpoint.clients.as_ref().map(|c| c.current());
            let scopes = registry.as_ref().map(|r| r.all_scopes()).unwrap_or_default();
            metadata(endpoint.issuer.issuer(), &endpoint.urls, &scopes)
        }
        EndpointKind::Token => return failed,
    };
    // Verifiers cache the key set for this long: a key published ahead of a rotation
    // (`publish_only`) reaches them within it, so it is the least wait before the swap.
    let cache = format!("max-age={}", defaults::OAUTH_JWKS_MAX_AGE);
    respond::json(r, NGX_HTTP_OK as ngx_uint_t, &[("Cache-Control", cache.as_str())], &body)
}
