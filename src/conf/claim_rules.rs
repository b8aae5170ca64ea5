//! The directives that fit the module to an identity provider and to nginx's own idiom
//! (issue 12): `credentialflow_jwt_key_request`, `credentialflow_jwt_key_cache`,
//! `credentialflow_scope_claim`, `credentialflow_claim_set`, `credentialflow_require`,
//! `credentialflow_allow_preflight` and `credentialflow_token`.

use credentialflow_core::claims_view::is_header_safe;
use credentialflow_core::Rejection;

use super::args::{Directive, DirectiveError};
use super::LocConf;
use crate::complex_value::ComplexValue;

/// One `credentialflow_require` line: every value must be non-empty and not `0`.
#[derive(Clone, Debug)]
pub struct Requirement {
    /// The values, compiled.
    pub values: Vec<ComplexValue>,
    /// The refusal when one is empty or `0`.
    pub refusal: Rejection,
}

/// `credentialflow_scope_claim name;`
pub fn scope_claim(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    let name = d.arg(0)?;
    if name.is_empty() || !is_header_safe(name) {
        return Err(d.invalid(name, "it must be a claim name"));
    }
    if conf.scope_claim.is_some() {
        return Err(DirectiveError::Duplicate);
    }
    conf.scope_claim = Some(name.into());
    Ok(())
}

/// `credentialflow_allow_preflight on | off;`
pub fn allow_preflight(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    if conf.allow_preflight.is_some() {
        return Err(DirectiveError::Duplicate);
    }
    conf.allow_preflight = Some(d.on_off()?);
    Ok(())
}

/// A `$variable` argument: its name without the `$`.
fn variable_name<'a>(d: &Directive<'a>, value: &'a str) -> Result<&'a str, DirectiveError> {
    match value.strip_prefix('$') {
        Some(name)
            if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
        {
            Ok(name)
        }
        _ => Err(d.invalid(value, "it must be a variable such as $cookie_token")),
    }
}

/// `credentialflow_token $variable;`
pub fn token(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    let value = d.arg(0)?;
    variable_name(d, value)?;
    if conf.token_source.is_some() {
        return Err(DirectiveError::Duplicate);
    }
    // SAFETY: d.cf is the configuration nginx passed to this directive's handler.
    let compiled = unsafe { ComplexValue::compile(d.cf, value) }
        .map_err(|why| format!("{}: {why}", d.name))?;
    conf.token_source = Some(compiled);
    Ok(())
}

/// `credentialflow_require $value ... [error=401 | error=403];` (repeatable: every line must
/// hold).
pub fn require(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    let mut refusal = Rejection::RuleForbids;
    let mut values = Vec::new();
    for (i, arg) in d.args.iter().enumerate() {
        if let Some(status) = arg.strip_prefix("error=") {
            if i + 1 != d.args.len() || values.is_empty() {
                return Err(d.invalid(arg, "\"error=\" comes last, after at least one value"));
            }
            refusal = match status {
                "403" => Rejection::RuleForbids,
                "401" => Rejection::RuleRefusesToken,
                _ => return Err(d.invalid(arg, "it must be error=401 or error=403")),
            };
            continue;
        }
        if !arg.contains('$') {
            return Err(d.invalid(arg, "a value without a variable is always the same"));
        }
        // SAFETY: d.cf is the configuration nginx passed to this directive's handler.
        let compiled = unsafe { ComplexValue::compile(d.cf, arg) }
            .map_err(|why| format!("{}: {why}", d.name))?;
        values.push(compiled);
    }
    conf.requirements.get_or_insert_with(Vec::new).push(Requirement { values, refusal });
    Ok(())
}

/// `credentialflow_claim_set $variable name [name ...];`
pub fn claim_set(d: &Directive<'_>, _conf: &mut LocConf) -> Result<(), DirectiveError> {
    let variable = variable_name(d, d.arg(0)?)?;
    let path: Vec<Box<str>> = d.args[1..].iter().map(|&name| name.into()).collect();
    if let Some(bad) = path.iter().find(|name| name.is_empty()) {
        return Err(d.invalid(bad, "it must be a claim name"));
    }
    // SAFETY: d.cf is the configuration nginx passed to this directive's handler.
    unsafe { crate::variables::register_claim_path(d.cf, variable, path) }
        .map_err(|why| format!("{}: {why}", d.name).into())
}

/// `credentialflow_jwt_key_request uri;`
pub fn key_request(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    let uri = d.arg(0)?;
    if !uri.starts_with('/') || !is_header_safe(uri) || uri.contains(' ') {
        return Err(d.invalid(uri, "it must be a URI of this server, such as /_jwks"));
    }
    if conf.key_request.is_some() {
        return Err(DirectiveError::Duplicate);
    }
    conf.key_request = Some(uri.into());
    Ok(())
}

/// `credentialflow_jwt_key_cache time [refresh=time];`
pub fn key_cache(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    let ttl = d.seconds(d.arg(0)?)?;
    let refresh = match d.args.get(1) {
        None => credentialflow_core::defaults::KEY_CACHE_REFRESH.min(ttl),
        Some(arg) => {
            let value = arg
                .strip_prefix("refresh=")
                .ok_or_else(|| d.invalid(arg, "it must be refresh=time"))?;
            d.seconds(value)?
        }
    };
    if ttl < 1 || refresh > ttl {
        return Err(d.invalid(
            d.arg(0)?,
            "the cache time must be at least 1s and no shorter than refresh=",
        ));
    }
    if conf.key_cache.is_some() {
        return Err(DirectiveError::Duplicate);
    }
    conf.key_cache = Some((ttl, refresh));
    Ok(())
}
