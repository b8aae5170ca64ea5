//! The token endpoint's content handler: reads the POST body (at most 8 KiB), hands it with the
//! headers to the core's decision, and answers with a token or an RFC 6749 §5.2 error.

use credentialflow_core::oauth::decide;
use ngx::ffi::{ngx_http_request_t, ngx_int_t, ngx_uint_t, NGX_HTTP_OK, NGX_LOG_ERR, NGX_LOG_INFO};
use ngx::http::Request;
use ngx::ngx_log_error;

use super::body::{self, Outcome, NO_CACHE, NO_STORE};
use super::respond;

const WHAT: &str = "the token endpoint";

/// `credentialflow_oauth_token`'s content handler.
pub unsafe extern "C" fn handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: forwarded from nginx.
    unsafe { body::start(r, WHAT, token_body) }
}

/// Runs once the whole body is read; finalizes the request exactly once.
unsafe extern "C" fn token_body(r: *mut ngx_http_request_t) {
    // SAFETY: forwarded from nginx.
    unsafe { body::post(r, WHAT, |r| Outcome::Answered(answer(r))) }
}

fn answer(r: &mut Request) -> ngx_int_t {
    let Some(endpoint) = body::endpoint(r) else { return body::internal_error() };
    let Some(clients) = &endpoint.clients else { return body::internal_error() };
    let body = match body::read_body(r) {
        Ok(body) => body,
        Err(rc) => return rc,
    };
    let registry = clients.current();
    let grant = match decide(&registry, &body::client_request(r, &body), endpoint.token_ttl) {
        Ok(grant) => grant,
        Err(refusal) => return body::refuse(r, &endpoint, "token request", &refusal),
    };
    match endpoint.issuer.token_response(&grant, body::now()) {
        Ok(json) => {
            ngx_log_error!(
                NGX_LOG_INFO,
                r.log(),
                "credentialflow: token issued to client id \"{}\" for \"{}\", {}s",
                grant.client_id,
                grant.audience,
                grant.ttl
            );
            respond::json(r, NGX_HTTP_OK as ngx_uint_t, &[NO_STORE, NO_CACHE], &json)
        }
        Err(error) => {
            ngx_log_error!(NGX_LOG_ERR, r.log(), "credentialflow: cannot issue a token: {error}");
            body::internal_error()
        }
    }
}
