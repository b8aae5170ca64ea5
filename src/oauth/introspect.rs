//! The introspection endpoint's content handler (RFC 7662): the caller is authenticated and
//! permitted by the core, the token is checked by the location's rules with this worker's
//! cache and the revocations in the zone (never the replay records), and the answer is the
//! core's.

use credentialflow_core::oauth::introspect::{self, INACTIVE};
use credentialflow_core::Live;
use ngx::ffi::{ngx_http_request_t, ngx_int_t, ngx_uint_t, NGX_HTTP_OK};
use ngx::http::{HttpModuleMainConf, Request};

use super::body::{self, Outcome, NO_CACHE, NO_STORE};
use super::respond;
use crate::{worker_state, Module};

const WHAT: &str = "the introspection endpoint";

/// `credentialflow_oauth_introspect`'s content handler.
pub unsafe extern "C" fn handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: forwarded from nginx.
    unsafe { body::start(r, WHAT, introspect_body) }
}

unsafe extern "C" fn introspect_body(r: *mut ngx_http_request_t) {
    // SAFETY: forwarded from nginx.
    unsafe { body::post(r, WHAT, |r| Outcome::Answered(answer(r))) }
}

fn answer(r: &mut Request) -> ngx_int_t {
    let Some(endpoint) = body::endpoint(r) else { return body::internal_error() };
    let (Some(clients), Some(checks)) = (&endpoint.clients, &endpoint.checks) else {
        return body::internal_error();
    };
    let body = match body::read_body(r) {
        Ok(body) => body,
        Err(rc) => return rc,
    };
    let registry = clients.current();
    let token = match introspect::read(&registry, &body::client_request(r, &body)) {
        Ok(token) => token,
        Err(refusal) => return body::refuse(r, &endpoint, "introspection request", &refusal),
    };
    let zone = Module::main_conf(r).and_then(|main| main.zone);
    let now = body::now();
    // Without replay records: introspecting a token must not use it up.
    let decided = worker_state::with(zone, |cache, live| {
        let live = Live { replay: None, ..live };
        checks.rules.decide(token.as_bytes(), cache, live, now).verdict
    });
    // A zone holding only part of the revocations (out of memory) answers as inactive.
    let json = match decided {
        Ok(Ok(accepted)) => introspect::active(&accepted.token.claims),
        _ => INACTIVE.to_owned(),
    };
    respond::json(r, NGX_HTTP_OK as ngx_uint_t, &[NO_STORE, NO_CACHE], &json)
}
