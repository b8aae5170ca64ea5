//! The revocation endpoint's content handler (RFC 7009): the core authenticates the client
//! and decides what to revoke; the token is verified with the endpoint's keys; the revocation
//! is then committed (`revocation_commit.rs`: durable first, then in the zone) and only then
//! answered 200. Nothing to revoke (an invalid, unknown or expired token) is answered 200 at
//! once (RFC 7009 §2.2).

use credentialflow_core::jose::header::HeaderMemo;
use credentialflow_core::oauth::revoke::{self, Target, REVOKED};
use ngx::ffi::{
    ngx_http_request_t, ngx_int_t, ngx_uint_t, NGX_HTTP_OK, NGX_LOG_ALERT, NGX_LOG_WARN,
};
use ngx::http::{HttpModuleMainConf, Request};
use ngx::ngx_log_error;

use super::body::{self, Outcome, NO_CACHE, NO_STORE};
use super::respond;
use super::revocation_commit::{self, Commit};
use crate::zone::revocations::Reserve;
use crate::{worker_state, Module};

const WHAT: &str = "the revocation endpoint";

/// `credentialflow_oauth_revoke`'s content handler.
pub unsafe extern "C" fn handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: forwarded from nginx.
    unsafe { body::start(r, WHAT, revoke_body) }
}

unsafe extern "C" fn revoke_body(r: *mut ngx_http_request_t) {
    // SAFETY: forwarded from nginx.
    unsafe { body::post(r, WHAT, answer) }
}

/// The 200 of RFC 7009 §2.2.
pub fn revoked(r: &mut Request) -> ngx_int_t {
    respond::json(r, NGX_HTTP_OK as ngx_uint_t, &[NO_STORE, NO_CACHE], REVOKED)
}

fn answer(r: &mut Request) -> Outcome {
    let Some(endpoint) = body::endpoint(r) else {
        return Outcome::Answered(body::internal_error());
    };
    let (Some(clients), Some(checks)) = (&endpoint.clients, &endpoint.checks) else {
        return Outcome::Answered(body::internal_error());
    };
    let Some(store) = &checks.store else { return Outcome::Answered(body::internal_error()) };
    let body = match body::read_body(r) {
        Ok(body) => body,
        Err(rc) => return Outcome::Answered(rc),
    };
    let registry = clients.current();
    let request = match revoke::read(&registry, &body::client_request(r, &body)) {
        Ok(request) => request,
        Err(refusal) => {
            return Outcome::Answered(body::refuse(r, &endpoint, "revocation request", &refusal))
        }
    };
    let now = body::now();
    let revocation = match &request.target {
        Target::Token(token) => {
            let verified = match &checks.rules.verifier {
                Some(verifier) => verifier.verify(token.as_bytes(), &mut HeaderMemo::default()),
                None => Err(credentialflow_core::Rejection::NoMatchingKey),
            };
            let claims = verified.as_ref().ok().map(|token| &token.claims);
            match request.revocation_of_token(claims, now, checks.rules.policy.leeway) {
                Ok(Some(revocation)) => revocation,
                Ok(None) => return Outcome::Answered(revoked(r)),
                Err(refusal) => {
                    return Outcome::Answered(body::refuse(
                        r,
                        &endpoint,
                        "revocation request",
                        &refusal,
                    ))
                }
            }
        }
        Target::All(..) => match request.revocation_by_value(now) {
            Some(revocation) => revocation,
            None => return Outcome::Answered(body::internal_error()),
        },
    };
    let client = request.client.id.to_string();
    let zone = Module::main_conf(r).and_then(|main| main.zone);
    let exempt = request.is_administrator();
    let reserved = worker_state::with_revocations(zone, |handle| {
        handle.map(|handle| handle.reserve(store.source(), &revocation, exempt, now))
    });
    let reservation = match reserved {
        None => None,
        Some(Reserve::Reserved(reservation)) => Some(reservation),
        // RFC 7009 §2.2: revoking a revoked token changes nothing; nothing is written.
        Some(Reserve::AlreadyInForce) => return Outcome::Answered(revoked(r)),
        Some(Reserve::ClientOverShare) => {
            ngx_log_error!(
                NGX_LOG_WARN,
                r.log(),
                "credentialflow: revocation refused: client id \"{client}\" holds its share of \
                 the zone's revocations (a sixteenth; they end as its tokens expire)"
            );
            let why = "this client holds as many revocations in force as it may; retry later";
            return Outcome::Answered(revocation_commit::unavailable(r, why));
        }
        Some(Reserve::Full) => {
            ngx_log_error!(
                NGX_LOG_ALERT,
                r.log(),
                "credentialflow: revocation refused: the zone's revocations hold their share \
                 of it (a quarter; raise \"credentialflow_zone\")"
            );
            let why = "the server holds as many revocations as it can; retry later";
            return Outcome::Answered(revocation_commit::unavailable(r, why));
        }
    };
    let commit = Commit::new(r, revocation, client, zone, reservation);
    revocation_commit::begin(store.as_ref(), commit)
}
