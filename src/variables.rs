//! `$credentialflow_claim_<name>`, `$credentialflow_header_<name>`, `$credentialflow_status`
//! and `$credentialflow_cache`. Reading a claim before the access phase verifies the token then,
//! once per request, so `limit_req_zone $credentialflow_claim_sub` keys on a verified subject.
//! Claim and header variables are empty unless the token was accepted (signature, time,
//! issuer, audience, revocation and scopes all passed), and a claim value holding a control
//! character never reaches a variable.

use std::ptr::addr_of_mut;

use credentialflow_core::api_key::CredentialKind::Jwt;
use credentialflow_core::claims_view::{is_header_safe, ClaimsView, Withheld};
use ngx::core::Status;
use ngx::ffi::{
    ngx_conf_t, ngx_http_add_variable, ngx_http_request_t, ngx_http_variable_t, ngx_int_t,
    ngx_str_t, ngx_uint_t, ngx_variable_value_t, NGX_HTTP_VAR_NOCACHEABLE, NGX_HTTP_VAR_PREFIX,
    NGX_LOG_INFO,
};
use ngx::http::Request;
use ngx::{ngx_log_error, ngx_string};

use crate::ffi_guard::guarded;
use crate::request_ctx;

const CLAIM_PREFIX: &str = "credentialflow_claim_";
const HEADER_PREFIX: &str = "credentialflow_header_";

type Getter =
    unsafe extern "C" fn(*mut ngx_http_request_t, *mut ngx_variable_value_t, usize) -> ngx_int_t;

struct Variable {
    name: ngx_str_t,
    flags: u32,
    get: Getter,
    /// Passed to `get` (an [`Audit`] for the audit variables).
    data: usize,
}

/// The audit trail's variables (issue 13): what an access log line needs to trace a decision
/// or an issued token, never a secret or a whole token.
#[derive(Clone, Copy)]
enum Audit {
    Reason,
    Credential,
    Kid,
    Jti,
    ClientId,
    Scope,
    TokenHash,
}

const AUDIT: [Audit; 7] = [
    Audit::Reason,
    Audit::Credential,
    Audit::Kid,
    Audit::Jti,
    Audit::ClientId,
    Audit::Scope,
    Audit::TokenHash,
];

const fn audit_variable(name: ngx_str_t, which: Audit) -> Variable {
    Variable { name, flags: NGX_HTTP_VAR_NOCACHEABLE, get: get_audit, data: which as usize }
}

static mut VARIABLES: [Variable; 4 + AUDIT.len()] = [
    Variable {
        name: ngx_string!("credentialflow_claim_"),
        flags: NGX_HTTP_VAR_PREFIX | NGX_HTTP_VAR_NOCACHEABLE,
        get: get_claim,
        data: 0,
    },
    Variable {
        name: ngx_string!("credentialflow_header_"),
        flags: NGX_HTTP_VAR_PREFIX | NGX_HTTP_VAR_NOCACHEABLE,
        get: get_header,
        data: 0,
    },
    Variable {
        name: ngx_string!("credentialflow_status"),
        flags: NGX_HTTP_VAR_NOCACHEABLE,
        get: get_status,
        data: 0,
    },
    Variable {
        name: ngx_string!("credentialflow_cache"),
        flags: NGX_HTTP_VAR_NOCACHEABLE,
        get: get_cache,
        data: 0,
    },
    audit_variable(ngx_string!("credentialflow_reason"), Audit::Reason),
    audit_variable(ngx_string!("credentialflow_credential"), Audit::Credential),
    audit_variable(ngx_string!("credentialflow_kid"), Audit::Kid),
    audit_variable(ngx_string!("credentialflow_jti"), Audit::Jti),
    audit_variable(ngx_string!("credentialflow_client_id"), Audit::ClientId),
    audit_variable(ngx_string!("credentialflow_scope"), Audit::Scope),
    audit_variable(ngx_string!("credentialflow_token_hash"), Audit::TokenHash),
];

/// Registers the variables (from `preconfiguration`).
///
/// # Safety
/// `cf` must be the configuration nginx passed to `preconfiguration`.
pub unsafe fn register(cf: *mut ngx_conf_t) -> Result<(), ()> {
    // SAFETY: only touched here, single-threaded, during configuration.
    let variables = unsafe { &mut *addr_of_mut!(VARIABLES) };
    for variable in variables.iter_mut() {
        // SAFETY: nginx copies the name; the returned variable lives in the cycle pool.
        let registered: *mut ngx_http_variable_t =
            unsafe { ngx_http_add_variable(cf, &mut variable.name, variable.flags as ngx_uint_t) };
        if registered.is_null() {
            return Err(());
        }
        // SAFETY: non-null, freshly registered.
        unsafe {
            (*registered).get_handler = Some(variable.get);
            (*registered).data = variable.data;
        }
    }
    Ok(())
}

/// The claim path of one `credentialflow_claim_set` variable, in the configuration pool.
struct ClaimPath(Vec<Box<str>>);

/// Defines `$variable` as the value at `path` in the accepted token's claims
/// (`credentialflow_claim_set`). Variables are global in nginx: a second definition of the
/// same name is refused by nginx ("the duplicate variable").
///
/// # Safety
/// `cf` must be the configuration nginx passed to a directive handler.
pub unsafe fn register_claim_path(
    cf: *mut ngx_conf_t,
    variable: &str,
    path: Vec<Box<str>>,
) -> Result<(), String> {
    // SAFETY: cf->pool is the live configuration pool; it drops the path with the cycle.
    let pool = unsafe { ngx::core::Pool::from_ngx_pool((*cf).pool) };
    let path = pool.allocate(ClaimPath(path));
    // SAFETY: as above; nginx copies the name.
    let name = unsafe { ngx_str_t::from_bytes((*cf).pool, variable.as_bytes()) };
    let (false, Some(mut name)) = (path.is_null(), name) else {
        return Err("out of memory".into());
    };
    // SAFETY: called while the configuration is read; the result lives in the cycle pool.
    let registered = unsafe { ngx_http_add_variable(cf, &mut name, NGX_HTTP_VAR_NOCACHEABLE as _) };
    if registered.is_null() {
        return Err(format!("cannot define \"${variable}\""));
    }
    // SAFETY: non-null, freshly registered.
    unsafe {
        (*registered).get_handler = Some(get_claim_path);
        (*registered).data = path as usize;
    }
    Ok(())
}

/// Sets the variable to `value`, copied into the request pool, or marks it not found.
fn set_value(r: &Request, v: *mut ngx_variable_value_t, value: Option<&[u8]>) -> Status {
    // SAFETY: nginx passes a valid variable value to fill.
    let v = unsafe { &mut *v };
    let Some(value) = value else {
        v.set_not_found(1);
        return Status::NGX_OK;
    };
    // SAFETY: the request pool is live.
    let Some(copy) = (unsafe { ngx_str_t::from_bytes(r.pool().as_ptr(), value) }) else {
        return Status::NGX_ERROR;
    };
    v.data = copy.data;
    v.set_len(copy.len as _);
    v.set_valid(1);
    v.set_no_cacheable(0);
    v.set_not_found(0);
    Status::NGX_OK
}

/// The suffix of a prefix variable's full name, which nginx passes as `data`.
fn suffix(data: usize, prefix: &str) -> Option<String> {
    // SAFETY: for prefix variables nginx passes a pointer to the variable's full name.
    let name = unsafe { (*(data as *const ngx_str_t)).as_bytes() };
    let rest = name.get(prefix.len()..)?;
    std::str::from_utf8(rest).ok().map(str::to_string)
}

fn entry(
    r: *mut ngx_http_request_t,
    v: *mut ngx_variable_value_t,
    what: &str,
    body: impl FnOnce(&Request) -> Status,
) -> ngx_int_t {
    // SAFETY: nginx passes a live request.
    let request = unsafe { Request::from_ngx_http_request(r) };
    let _ = v;
    guarded(request.log(), what, Status::NGX_ERROR, || body(request)).into()
}

unsafe extern "C" fn get_claim(
    r: *mut ngx_http_request_t,
    v: *mut ngx_variable_value_t,
    data: usize,
) -> ngx_int_t {
    entry(r, v, "$credentialflow_claim_", |r| {
        let name = suffix(data, CLAIM_PREFIX);
        let accepted = request_ctx::current(r).and_then(|ctx| ctx.verdict.as_ref().ok());
        let (Some(name), Some(accepted)) = (name, accepted) else {
            return set_value(r, v, None);
        };
        match ClaimsView::new(&accepted.token).header_text(&name) {
            Ok(text) => set_value(r, v, text.as_deref().map(str::as_bytes)),
            Err(Withheld) => {
                ngx_log_error!(
                    NGX_LOG_INFO,
                    r.log(),
                    "credentialflow: $credentialflow_claim_{name} is empty: the claim's value \
                     holds a control character"
                );
                set_value(r, v, None)
            }
        }
    })
}

unsafe extern "C" fn get_claim_path(
    r: *mut ngx_http_request_t,
    v: *mut ngx_variable_value_t,
    data: usize,
) -> ngx_int_t {
    entry(r, v, "a credentialflow_claim_set variable", |r| {
        // SAFETY: data is the ClaimPath register_claim_path stored, alive with the cycle.
        let path = unsafe { &(*(data as *const ClaimPath)).0 };
        let accepted = request_ctx::current(r).and_then(|ctx| ctx.verdict.as_ref().ok());
        let Some(accepted) = accepted else {
            return set_value(r, v, Some(b""));
        };
        match ClaimsView::new(&accepted.token).path_text(path) {
            Ok(text) => set_value(r, v, Some(text.as_deref().unwrap_or("").as_bytes())),
            Err(Withheld) => {
                ngx_log_error!(
                    NGX_LOG_INFO,
                    r.log(),
                    "credentialflow: claim \"{}\" is empty: its value holds a control character",
                    path.join(".")
                );
                set_value(r, v, Some(b""))
            }
        }
    })
}

unsafe extern "C" fn get_header(
    r: *mut ngx_http_request_t,
    v: *mut ngx_variable_value_t,
    data: usize,
) -> ngx_int_t {
    entry(r, v, "$credentialflow_header_", |r| {
        let text = suffix(data, HEADER_PREFIX).and_then(|name| {
            // An API key has no JOSE header.
            let ctx = request_ctx::current(r).filter(|ctx| ctx.credential_kind() == Jwt)?;
            let token = &ctx.verdict.as_ref().ok()?.token;
            match name.as_str() {
                "alg" => Some(token.alg.name()),
                "kid" => token.claims.kid(),
                "typ" => token.claims.typ(),
                _ => None,
            }
        });
        // kid and typ are the issuer's free text, held to the claims' rule.
        set_value(r, v, text.filter(|text| is_header_safe(text)).map(str::as_bytes))
    })
}

unsafe extern "C" fn get_status(
    r: *mut ngx_http_request_t,
    v: *mut ngx_variable_value_t,
    _data: usize,
) -> ngx_int_t {
    entry(r, v, "$credentialflow_status", |r| {
        let ctx = request_ctx::current(r);
        let status = match ctx.map(|ctx| (ctx.verdict.as_ref().err(), ctx.rule_refusal.get())) {
            None => "",
            Some((None, None)) => "ok",
            Some((Some(&rejection), _) | (None, Some(rejection))) => rejection.status_name(),
        };
        set_value(r, v, Some(status.as_bytes()))
    })
}

unsafe extern "C" fn get_cache(
    r: *mut ngx_http_request_t,
    v: *mut ngx_variable_value_t,
    _data: usize,
) -> ngx_int_t {
    entry(r, v, "$credentialflow_cache", |r| {
        let state = match request_ctx::current(r).map(|ctx| (ctx.cache_hit, ctx.shared_hit)) {
            None | Some((None, _)) => "",
            Some((Some(true), false)) => "hit",
            Some((Some(true), true)) => "shared",
            Some((Some(false), _)) => "miss",
        };
        set_value(r, v, Some(state.as_bytes()))
    })
}

/// The value of an audit variable: on the token endpoint, what it issued (or why it refused);
/// elsewhere, the decision: the reason and the fingerprint of any token, refused or not (the
/// error log shows the same), but `kid`, `jti`, `client_id` and `scope` only of an accepted
/// token, like every claim variable.
fn audit_value(r: &Request, which: Audit) -> Option<String> {
    use crate::oauth::token::{audit, TokenAudit};
    if let Some(done) = audit(r) {
        return match (done, which) {
            (TokenAudit::Refused(code), Audit::Reason) => Some(code.name().into()),
            (TokenAudit::Refused(_), _) => None,
            (TokenAudit::Issued { .. }, Audit::Reason | Audit::Credential) => None,
            (TokenAudit::Issued { kid, .. }, Audit::Kid) => Some(kid.clone()),
            (TokenAudit::Issued { jti, .. }, Audit::Jti) => Some(jti.clone()),
            (TokenAudit::Issued { client_id, .. }, Audit::ClientId) => Some(client_id.clone()),
            (TokenAudit::Issued { scope, .. }, Audit::Scope) => Some(scope.clone()),
            (TokenAudit::Issued { token_hash, .. }, Audit::TokenHash) => Some(token_hash.clone()),
        }
        .filter(|text| is_header_safe(text));
    }
    let ctx = request_ctx::current(r)?;
    let refusal = ctx.verdict.as_ref().err().copied().or(ctx.rule_refusal.get());
    let accepted = ctx.verdict.as_ref().ok();
    let claim = |name: &str| {
        let token = &accepted?.token;
        ClaimsView::new(token).header_text(name).ok().flatten().map(|text| text.into_owned())
    };
    match which {
        Audit::Reason => refusal.map(|rejection| rejection.reason().to_string()),
        Audit::Credential => Some(request_ctx::credential_kind(ctx).to_string()),
        Audit::Kid => accepted
            .and_then(|accepted| accepted.token.claims.kid())
            .filter(|kid| is_header_safe(kid))
            .map(str::to_string),
        Audit::Jti => claim("jti"),
        Audit::ClientId => claim("client_id"),
        Audit::Scope => claim("scope"),
        Audit::TokenHash => match ctx.raw() {
            [] => None,
            raw => Some(credentialflow_core::fingerprint(raw)),
        },
    }
}

unsafe extern "C" fn get_audit(
    r: *mut ngx_http_request_t,
    v: *mut ngx_variable_value_t,
    data: usize,
) -> ngx_int_t {
    entry(r, v, "an audit variable", |r| {
        let which = AUDIT.into_iter().find(|which| *which as usize == data);
        let value = which.and_then(|which| audit_value(r, which));
        set_value(r, v, Some(value.as_deref().unwrap_or("").as_bytes()))
    })
}
