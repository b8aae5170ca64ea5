//! The directive table and one short handler per directive: read the arguments, refuse
//! duplicates, parse into typed values. Cross-directive checks run at merge time (`mod.rs`).

use std::ffi::{c_char, c_void};
use std::ptr;
use std::sync::Arc;

use credentialflow_core::api_key::Accept;
use credentialflow_core::credential::{same_header_name, CredentialHeader};
use credentialflow_core::jose::keys::{parse_key_file, KeyFormat};
use credentialflow_core::watched::{Contents, Watched};
use credentialflow_core::{Algorithm, AlgorithmSet, ForwardedClaim};
use ngx::core::NGX_CONF_ERROR;
use ngx::ffi::{
    ngx_command_t, ngx_conf_t, ngx_str_t, NGX_CONF_1MORE, NGX_CONF_2MORE, NGX_CONF_FLAG,
    NGX_CONF_NOARGS, NGX_CONF_TAKE1, NGX_CONF_TAKE12, NGX_CONF_TAKE2, NGX_HTTP_LOC_CONF,
    NGX_HTTP_LOC_CONF_OFFSET, NGX_HTTP_MAIN_CONF, NGX_HTTP_MAIN_CONF_OFFSET, NGX_HTTP_SRV_CONF,
    NGX_LOG_EMERG, NGX_LOG_WARN,
};
use ngx::http::HttpModuleMainConf;
use ngx::{ngx_conf_log_error, ngx_string};

use super::args::{is_quotable, is_token, Directive, DirectiveError};
use super::{LocConf, MainConf};
use crate::disk_file::DiskFile;
use crate::ffi_guard::guarded;
use crate::Module;

type Handler<C> = fn(&Directive<'_>, &mut C) -> Result<(), DirectiveError>;

/// Runs a typed handler behind the C signature: panics and errors become config errors.
unsafe fn run<C>(cf: *mut ngx_conf_t, conf: *mut c_void, handler: Handler<C>) -> *mut c_char {
    guarded((*cf).log, "a directive handler", NGX_CONF_ERROR as _, || {
        // SAFETY: nginx passes this directive's conf struct, allocated by our create_*_conf.
        let conf = unsafe { &mut *conf.cast::<C>() };
        // SAFETY: cf is the configuration nginx passed to the directive handler.
        let result = unsafe { Directive::read(cf) }.and_then(|d| handler(&d, conf));
        match result {
            Ok(()) => ptr::null_mut(),
            Err(DirectiveError::Duplicate) => c"is duplicate".as_ptr().cast_mut(),
            Err(DirectiveError::Invalid(message)) => {
                ngx_conf_log_error!(NGX_LOG_EMERG, cf, "{message}");
                NGX_CONF_ERROR as _
            }
        }
    })
}

macro_rules! handlers {
    ($($name:ident: $conf:ty => $body:path;)*) => {
        $(
            unsafe extern "C" fn $name(
                cf: *mut ngx_conf_t,
                _cmd: *mut ngx_command_t,
                conf: *mut c_void,
            ) -> *mut c_char {
                // SAFETY: forwarded unchanged from nginx.
                unsafe { run::<$conf>(cf, conf, $body) }
            }
        )*
    };
}

handlers! {
    set_enabled: LocConf => enabled;
    set_jwt_key: LocConf => jwt_key;
    set_algorithms: LocConf => algorithms;
    set_header: LocConf => header;
    set_issuer: LocConf => issuer;
    set_audience: LocConf => audience;
    set_leeway: LocConf => leeway;
    set_require_claims: LocConf => require_claims;
    set_require_scope: LocConf => require_scope;
    set_forward_claim: LocConf => forward_claim;
    set_realm: LocConf => realm;
    set_revocation_file: LocConf => revocation_file;
    set_replay_protection: LocConf => replay_protection;
    set_max_token_size: LocConf => max_token_size;
    set_scope_claim: LocConf => super::claim_rules::scope_claim;
    set_claim_set: LocConf => super::claim_rules::claim_set;
    set_require: LocConf => super::claim_rules::require;
    set_allow_preflight: LocConf => super::claim_rules::allow_preflight;
    set_token: LocConf => super::claim_rules::token;
    set_key_request: LocConf => super::claim_rules::key_request;
    set_key_cache: LocConf => super::claim_rules::key_cache;
    set_cache_size: MainConf => cache_size;
    set_zone: MainConf => zone;
    set_redis: MainConf => crate::redis::directive;
    set_oauth_clients: LocConf => crate::oauth::directives::clients;
    set_oauth_signing_key: LocConf => crate::oauth::directives::signing_key;
    set_oauth_issuer: LocConf => crate::oauth::directives::issuer;
    set_oauth_token_ttl: LocConf => crate::oauth::directives::token_ttl;
    set_oauth_token: LocConf => crate::oauth::directives::token;
    set_oauth_jwks: LocConf => crate::oauth::directives::jwks;
    set_oauth_metadata: LocConf => crate::oauth::directives::metadata;
    set_oauth_revoke: LocConf => crate::oauth::directives::revoke;
    set_oauth_introspect: LocConf => crate::oauth::directives::introspect;
    set_accept_own_tokens: LocConf => crate::oauth::directives::accept_own_tokens;
    set_oauth_resource_metadata: LocConf => crate::oauth::directives::resource_metadata;
    set_resource_metadata_url: LocConf => crate::oauth::directives::resource_metadata_url;
    set_api_keys: LocConf => api_keys;
    set_api_key_header: LocConf => api_key_header;
    set_accept: LocConf => accept;
    set_metrics: LocConf => crate::metrics::directives::metrics;
    set_metrics_label: LocConf => crate::metrics::directives::metrics_label;
}

fn set_once<T>(slot: &mut Option<T>, value: T) -> Result<(), DirectiveError> {
    if slot.is_some() {
        return Err(DirectiveError::Duplicate);
    }
    *slot = Some(value);
    Ok(())
}

fn words(d: &Directive<'_>) -> Vec<Box<str>> {
    d.args.iter().map(|arg| Box::from(*arg)).collect()
}

fn enabled(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    set_once(&mut conf.enabled, d.on_off()?)?;
    conf.enabled_at = d.site();
    Ok(())
}

fn jwt_key(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    let name = d.arg(0)?;
    let fail = |why: String| DirectiveError::Invalid(format!("{} \"{name}\": {why}", d.name));
    let format = d
        .args
        .get(1)
        .map(|word| word.parse::<KeyFormat>())
        .transpose()
        .map_err(|e| fail(e.to_string()))?;
    let path = d.full_path(name);
    let bytes = std::fs::read(&path).map_err(|e| fail(d.cannot_read(name, &path, &e)))?;
    let loaded = parse_key_file(&bytes, format).map_err(|e| fail(e.to_string()))?;
    for skipped in &loaded.skipped {
        ngx_conf_log_error!(NGX_LOG_WARN, d.cf, "{} \"{name}\": skipped {skipped}", d.name);
    }
    for warning in &loaded.warnings {
        ngx_conf_log_error!(NGX_LOG_WARN, d.cf, "{} \"{name}\": {warning}", d.name);
    }
    if loaded.holds_secret && credentialflow_core::file_access::secret_exposed(&path) {
        ngx_conf_log_error!(
            NGX_LOG_WARN,
            d.cf,
            "{} \"{name}\": the secret is readable by group or others; restrict it with chmod 600",
            d.name
        );
    }
    if conf.keys.is_none() {
        conf.keys_at = d.site();
    }
    conf.keys.get_or_insert_with(Vec::new).extend(loaded.keys);
    Ok(())
}

fn algorithms(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    let set = d
        .args
        .iter()
        .map(|word| word.parse::<Algorithm>())
        .collect::<Result<AlgorithmSet, _>>()
        .map_err(|e| DirectiveError::Invalid(format!("{}: {e}", d.name)))?;
    set_once(&mut conf.algorithms, set)?;
    conf.algorithms_at = d.site();
    Ok(())
}

fn header(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    let name = d.arg(0)?;
    if !is_token(name) {
        return Err(d.invalid(name, "it must be an HTTP header name"));
    }
    let header = match name.eq_ignore_ascii_case("Authorization") {
        true => CredentialHeader::AuthorizationBearer,
        false => CredentialHeader::raw(name),
    };
    set_once(&mut conf.header, header)
}

fn issuer(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    set_once(&mut conf.issuers, words(d))
}

fn audience(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    set_once(&mut conf.audiences, words(d))
}

fn leeway(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    let seconds = d.seconds(d.arg(0)?)?;
    set_once(&mut conf.leeway, seconds)
}

fn require_claims(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    set_once(&mut conf.required_claims, words(d))
}

fn require_scope(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    // RFC 6749 §3.3 scope-token characters, so the challenge's scope="..." needs no escaping.
    if let Some(bad) = d.args.iter().find(|s| s.is_empty() || !is_quotable(s) || s.contains(' ')) {
        return Err(d.invalid(bad, "a scope may not contain spaces, quotes or backslashes"));
    }
    set_once(&mut conf.required_scopes, words(d))
}

/// Headers a claim must never set: they frame the request or steer the connection (a claim
/// in `Content-Length` or `Transfer-Encoding` would let a token holder smuggle a request to
/// the upstream), or identify the virtual host, or carry credentials.
const RESERVED_HEADERS: [&str; 13] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
    "expect",
    "authorization",
    "proxy-authorization",
    "cookie",
];

fn forward_claim(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    let (claim, header) = (d.arg(0)?, d.arg(1)?);
    if !is_token(header) {
        return Err(d.invalid(header, "it must be an HTTP header name"));
    }
    if RESERVED_HEADERS
        .iter()
        .any(|reserved| same_header_name(header.as_bytes(), reserved.as_bytes()))
    {
        return Err(d.invalid(
            header,
            "a claim may not set a header that frames the request, steers the connection or \
             carries credentials",
        ));
    }
    let list = conf.forwarded.get_or_insert_with(Vec::new);
    if list.iter().any(|f| same_header_name(header.as_bytes(), &f.header_lowercase)) {
        return Err(d.invalid(header, "the header already carries another claim"));
    }
    list.push(ForwardedClaim::new(claim, header));
    Ok(())
}

fn realm(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    let realm = d.arg(0)?;
    if !is_quotable(realm) {
        return Err(
            d.invalid(realm, "it may not contain quotes, backslashes or control characters")
        );
    }
    set_once(&mut conf.realm, realm.into())
}

/// The watched file the directive names, opened once per path however often it is named:
/// `files` picks the main conf's list of that kind, which each worker's timer refreshes.
pub(crate) fn watched_file<T: Contents>(
    d: &Directive<'_>,
    files: impl FnOnce(&mut MainConf) -> &mut Vec<Arc<Watched<T>>>,
) -> Result<Arc<Watched<T>>, DirectiveError> {
    let name = d.arg(0)?;
    let path = d.full_path(name);
    // SAFETY: cf is the configuration being read; the http main conf exists inside http{}.
    let main = unsafe { Module::main_conf_mut(&*d.cf) }
        .ok_or_else(|| format!("\"{}\" directive outside http", d.name))?;
    let files = files(main);
    if let Some(file) = files.iter().find(|file| file.path() == path) {
        return Ok(Arc::clone(file));
    }
    let file =
        Watched::<T>::open(Box::new(DiskFile::new(path.clone()))).map_err(
            |e| match T::io_message(&e) {
                Some(io) => format!("{} \"{name}\": {}", d.name, d.cannot_read(name, &path, &io)),
                None => format!("{} \"{name}\": {e}", d.name),
            },
        )?;
    let file = Arc::new(file);
    files.push(Arc::clone(&file));
    Ok(file)
}

fn revocation_file(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    if conf.revocation.is_some() {
        return Err(DirectiveError::Duplicate);
    }
    let mut count = 0;
    let file = watched_file(d, |main| {
        count = main.revocation_sources.len() + 1;
        &mut main.revocation_sources
    })?;
    if count > crate::zone::revocations::MAX_FILES {
        let most = crate::zone::revocations::MAX_FILES;
        return Err(DirectiveError::Invalid(format!(
            "{}: at most {most} revocation files can be named",
            d.name
        )));
    }
    conf.revocation = Some(file);
    Ok(())
}

fn replay_protection(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    set_once(&mut conf.replay_protection, d.on_off()?)
}

fn max_token_size(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    let size = d.size(d.arg(0)?)?;
    set_once(&mut conf.max_token_size, size)
}

fn cache_size(d: &Directive<'_>, conf: &mut MainConf) -> Result<(), DirectiveError> {
    let value = d.arg(0)?;
    let size =
        value.parse::<usize>().map_err(|_| d.invalid(value, "it must be a number of entries"))?;
    set_once(&mut conf.cache_size, size)
}

fn zone(d: &Directive<'_>, conf: &mut MainConf) -> Result<(), DirectiveError> {
    let value = d.arg(0)?;
    let size = d.size(value)?;
    let min = crate::zone::min_size();
    if size < min {
        let why = format!("the zone must be at least {}k (8 memory pages)", min / 1024);
        return Err(d.invalid(value, &why));
    }
    set_once(&mut conf.zone_size, size)
}

fn api_keys(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    if conf.api_keys.is_some() {
        return Err(DirectiveError::Duplicate);
    }
    conf.api_keys = Some(watched_file(d, |main| &mut main.api_key_registries)?);
    Ok(())
}

fn api_key_header(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    let name = d.arg(0)?;
    if !is_token(name) {
        return Err(d.invalid(name, "it must be an HTTP header name"));
    }
    if RESERVED_HEADERS
        .iter()
        .any(|reserved| same_header_name(name.as_bytes(), reserved.as_bytes()))
    {
        return Err(d.invalid(name, "an API key is read from a header of its own"));
    }
    set_once(&mut conf.api_key_header, CredentialHeader::raw(name))
}

fn accept(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    let accept = Accept::from_words(d.args.iter().copied())
        .map_err(|word| d.invalid(word, "it must be \"jwt\" or \"api_key\""))?;
    set_once(&mut conf.accept, accept)?;
    conf.accept_at = d.site();
    Ok(())
}

#[cfg(feature = "panic-test")]
fn panic_test(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    use super::PanicTest;
    let place = match d.args.first().copied() {
        None => PanicTest::Guarded,
        Some("outside") => PanicTest::Outside,
        Some(other) => return Err(d.invalid(other, "it must be \"outside\" or nothing")),
    };
    set_once(&mut conf.panic_test, place)
}

#[cfg(feature = "panic-test")]
handlers! { set_panic_test: LocConf => panic_test; }

const ANY_LEVEL: u32 = NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF;

const fn command(
    name: ngx_str_t,
    flags: u32,
    set: unsafe extern "C" fn(*mut ngx_conf_t, *mut ngx_command_t, *mut c_void) -> *mut c_char,
) -> ngx_command_t {
    let conf = if flags & NGX_HTTP_LOC_CONF != 0 {
        NGX_HTTP_LOC_CONF_OFFSET
    } else {
        NGX_HTTP_MAIN_CONF_OFFSET
    };
    ngx_command_t {
        name,
        type_: flags as _,
        set: Some(set),
        conf: conf as _,
        offset: 0,
        post: ptr::null_mut(),
    }
}

/// An http/server directive kept in the location conf of its level, so locations inherit it.
const fn server_level(
    name: ngx_str_t,
    flags: u32,
    set: unsafe extern "C" fn(*mut ngx_conf_t, *mut ngx_command_t, *mut c_void) -> *mut c_char,
) -> ngx_command_t {
    let mut entry = command(name, flags, set);
    entry.conf = NGX_HTTP_LOC_CONF_OFFSET as _;
    entry
}

const SERVER_LEVEL: u32 = NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF;
const OAUTH_COUNT: usize = 12;
const CLAIM_RULES_COUNT: usize = 7;
const API_KEY_COUNT: usize = 3;
const METRICS_COUNT: usize = 2;

#[cfg(not(feature = "panic-test"))]
const COUNT: usize = 18 + OAUTH_COUNT + CLAIM_RULES_COUNT + API_KEY_COUNT + METRICS_COUNT;
#[cfg(feature = "panic-test")]
const COUNT: usize = 19 + OAUTH_COUNT + CLAIM_RULES_COUNT + API_KEY_COUNT + METRICS_COUNT;

/// The directive table nginx reads.
pub static mut COMMANDS: [ngx_command_t; COUNT] = [
    command(ngx_string!("credentialflow"), ANY_LEVEL | NGX_CONF_FLAG, set_enabled),
    command(ngx_string!("credentialflow_jwt_key"), ANY_LEVEL | NGX_CONF_TAKE12, set_jwt_key),
    command(ngx_string!("credentialflow_algorithms"), ANY_LEVEL | NGX_CONF_1MORE, set_algorithms),
    command(ngx_string!("credentialflow_header"), ANY_LEVEL | NGX_CONF_TAKE1, set_header),
    command(ngx_string!("credentialflow_issuer"), ANY_LEVEL | NGX_CONF_1MORE, set_issuer),
    command(ngx_string!("credentialflow_audience"), ANY_LEVEL | NGX_CONF_1MORE, set_audience),
    command(ngx_string!("credentialflow_leeway"), ANY_LEVEL | NGX_CONF_TAKE1, set_leeway),
    command(
        ngx_string!("credentialflow_require_claims"),
        ANY_LEVEL | NGX_CONF_1MORE,
        set_require_claims,
    ),
    command(
        ngx_string!("credentialflow_require_scope"),
        ANY_LEVEL | NGX_CONF_1MORE,
        set_require_scope,
    ),
    command(
        ngx_string!("credentialflow_forward_claim"),
        ANY_LEVEL | NGX_CONF_TAKE2,
        set_forward_claim,
    ),
    command(ngx_string!("credentialflow_realm"), ANY_LEVEL | NGX_CONF_TAKE1, set_realm),
    command(
        ngx_string!("credentialflow_revocation_file"),
        ANY_LEVEL | NGX_CONF_TAKE1,
        set_revocation_file,
    ),
    command(
        ngx_string!("credentialflow_replay_protection"),
        ANY_LEVEL | NGX_CONF_TAKE1,
        set_replay_protection,
    ),
    command(
        ngx_string!("credentialflow_max_token_size"),
        ANY_LEVEL | NGX_CONF_TAKE1,
        set_max_token_size,
    ),
    command(ngx_string!("credentialflow_scope_claim"), ANY_LEVEL | NGX_CONF_TAKE1, set_scope_claim),
    command(ngx_string!("credentialflow_claim_set"), ANY_LEVEL | NGX_CONF_2MORE, set_claim_set),
    command(ngx_string!("credentialflow_require"), NGX_HTTP_LOC_CONF | NGX_CONF_1MORE, set_require),
    command(
        ngx_string!("credentialflow_allow_preflight"),
        ANY_LEVEL | NGX_CONF_TAKE1,
        set_allow_preflight,
    ),
    command(ngx_string!("credentialflow_token"), ANY_LEVEL | NGX_CONF_TAKE1, set_token),
    command(
        ngx_string!("credentialflow_jwt_key_request"),
        ANY_LEVEL | NGX_CONF_TAKE1,
        set_key_request,
    ),
    command(
        ngx_string!("credentialflow_jwt_key_cache"),
        ANY_LEVEL | NGX_CONF_TAKE12,
        set_key_cache,
    ),
    command(
        ngx_string!("credentialflow_cache_size"),
        // Also accepted in server{} (the corpus config sets it there); it sizes one
        // per-worker cache, so a second setting anywhere is a duplicate.
        NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_CONF_TAKE1,
        set_cache_size,
    ),
    command(ngx_string!("credentialflow_zone"), NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1, set_zone),
    command(ngx_string!("credentialflow_redis"), NGX_HTTP_MAIN_CONF | NGX_CONF_1MORE, set_redis),
    server_level(
        ngx_string!("credentialflow_oauth_clients"),
        SERVER_LEVEL | NGX_CONF_TAKE1,
        set_oauth_clients,
    ),
    server_level(
        ngx_string!("credentialflow_oauth_signing_key"),
        SERVER_LEVEL | NGX_CONF_1MORE,
        set_oauth_signing_key,
    ),
    server_level(
        ngx_string!("credentialflow_oauth_issuer"),
        SERVER_LEVEL | NGX_CONF_TAKE1,
        set_oauth_issuer,
    ),
    server_level(
        ngx_string!("credentialflow_oauth_token_ttl"),
        SERVER_LEVEL | NGX_CONF_TAKE1,
        set_oauth_token_ttl,
    ),
    command(
        ngx_string!("credentialflow_oauth_token"),
        NGX_HTTP_LOC_CONF | NGX_CONF_NOARGS,
        set_oauth_token,
    ),
    command(
        ngx_string!("credentialflow_oauth_jwks"),
        NGX_HTTP_LOC_CONF | NGX_CONF_NOARGS,
        set_oauth_jwks,
    ),
    command(
        ngx_string!("credentialflow_oauth_metadata"),
        NGX_HTTP_LOC_CONF | NGX_CONF_NOARGS | NGX_CONF_TAKE1,
        set_oauth_metadata,
    ),
    command(
        ngx_string!("credentialflow_oauth_revoke"),
        NGX_HTTP_LOC_CONF | NGX_CONF_NOARGS,
        set_oauth_revoke,
    ),
    command(
        ngx_string!("credentialflow_oauth_introspect"),
        NGX_HTTP_LOC_CONF | NGX_CONF_NOARGS,
        set_oauth_introspect,
    ),
    command(
        ngx_string!("credentialflow_accept_own_tokens"),
        ANY_LEVEL | NGX_CONF_FLAG,
        set_accept_own_tokens,
    ),
    command(
        ngx_string!("credentialflow_oauth_resource_metadata"),
        NGX_HTTP_LOC_CONF | NGX_CONF_1MORE,
        set_oauth_resource_metadata,
    ),
    command(
        ngx_string!("credentialflow_resource_metadata_url"),
        ANY_LEVEL | NGX_CONF_TAKE1,
        set_resource_metadata_url,
    ),
    command(ngx_string!("credentialflow_api_keys"), ANY_LEVEL | NGX_CONF_TAKE1, set_api_keys),
    command(
        ngx_string!("credentialflow_api_key_header"),
        ANY_LEVEL | NGX_CONF_TAKE1,
        set_api_key_header,
    ),
    command(ngx_string!("credentialflow_accept"), ANY_LEVEL | NGX_CONF_TAKE12, set_accept),
    command(
        ngx_string!("credentialflow_metrics"),
        NGX_HTTP_LOC_CONF | NGX_CONF_NOARGS,
        set_metrics,
    ),
    command(
        ngx_string!("credentialflow_metrics_label"),
        ANY_LEVEL | NGX_CONF_TAKE1,
        set_metrics_label,
    ),
    #[cfg(feature = "panic-test")]
    command(
        ngx_string!("credentialflow_panic_test"),
        NGX_HTTP_LOC_CONF | ngx::ffi::NGX_CONF_NOARGS | ngx::ffi::NGX_CONF_TAKE1,
        set_panic_test,
    ),
    ngx_command_t::empty(),
];
