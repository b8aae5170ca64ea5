//! The `credentialflow_oauth_*` and `credentialflow_accept_own_tokens` directive handlers:
//! read the arguments, refuse duplicates, load keys and the registry. Their table entries are
//! in `conf/directives.rs`; cross-directive checks run at merge time (`oauth/mod.rs`).

use credentialflow_core::oauth::issuer::PublishedScopes;
use credentialflow_core::oauth::resource::{is_plain_url, ResourceMetadata};
use credentialflow_core::oauth::IssuerKey;
use credentialflow_core::Algorithm;
use ngx::ffi::{ngx_http_handler_pt, NGX_LOG_WARN};
use ngx::http::{HttpModuleLocationConf, HttpModuleServerConf, NgxHttpCoreModule};
use ngx::ngx_conf_log_error;

use super::EndpointKind;
use crate::conf::args::{Directive, DirectiveError};
use crate::conf::directives::watched_file;
use crate::conf::LocConf;
use crate::Module;

fn set_once<T>(slot: &mut Option<T>, value: T) -> Result<(), DirectiveError> {
    if slot.is_some() {
        return Err(DirectiveError::Duplicate);
    }
    *slot = Some(value);
    Ok(())
}

/// `credentialflow_oauth_clients file;`
pub fn clients(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    if conf.oauth.clients.is_some() {
        return Err(DirectiveError::Duplicate);
    }
    conf.oauth.clients = Some(watched_file(d, |main| &mut main.oauth_registries)?);
    Ok(())
}

/// `credentialflow_oauth_signing_key file [kid=name] [alg=name] [publish_only];`
pub fn signing_key(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    let name = d.arg(0)?;
    let fail = |why: String| DirectiveError::Invalid(format!("{} \"{name}\": {why}", d.name));
    let (mut kid, mut alg, mut publish_only) = (None, None, false);
    for word in d.args.iter().skip(1) {
        if let Some(value) = word.strip_prefix("kid=") {
            set_once(&mut kid, value)?;
        } else if let Some(value) = word.strip_prefix("alg=") {
            let parsed = value.parse::<Algorithm>().map_err(|e| fail(e.to_string()))?;
            set_once(&mut alg, parsed)?;
        } else if *word == "publish_only" && !publish_only {
            publish_only = true;
        } else {
            return Err(d.invalid(word, "expected kid=, alg= or publish_only"));
        }
    }
    let path = d.full_path(name);
    let bytes = std::fs::read(&path).map_err(|e| fail(d.cannot_read(name, &path, &e)))?;
    let key =
        IssuerKey::from_pem(&bytes, alg, kid, publish_only).map_err(|e| fail(e.to_string()))?;
    if credentialflow_core::file_access::secret_exposed(&path) {
        ngx_conf_log_error!(
            NGX_LOG_WARN,
            d.cf,
            "{} \"{name}\": the private key is readable by group or others; restrict it with \
             chmod 600",
            d.name
        );
    }
    if conf.oauth.pending_keys.is_empty() {
        conf.oauth.keys_at = d.site();
    }
    conf.oauth.pending_keys.push(key);
    Ok(())
}

/// `credentialflow_oauth_issuer url;`
pub fn issuer(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    let url = d.arg(0)?;
    let valid = (url.starts_with("https://") || url.starts_with("http://"))
        && !url.contains(['?', '#', '"', '\\'])
        && url.bytes().all(|b| (0x21..0x7f).contains(&b));
    if !valid {
        return Err(d.invalid(
            url,
            "it must be an http or https URL without query or fragment (RFC 8414 §2)",
        ));
    }
    set_once(&mut conf.oauth.issuer_url, url.trim_end_matches('/').into())
}

/// `credentialflow_oauth_token_ttl time;`
pub fn token_ttl(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    let value = d.arg(0)?;
    let seconds = d.seconds(value)?;
    if seconds <= 0 {
        return Err(d.invalid(value, "it must be longer than 0s"));
    }
    set_once(&mut conf.oauth.token_ttl, seconds)
}

/// `credentialflow_accept_own_tokens on|off;`
pub fn accept_own_tokens(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    set_once(&mut conf.oauth.accept_own, d.on_off()?)?;
    conf.oauth.accept_own_at = d.site();
    Ok(())
}

/// `credentialflow_oauth_resource_metadata resource=uri authorization_server=url ...
/// [scopes="..."];` A value with spaces is written `"scopes=a b"` or `scopes="a b"` (which nginx
/// splits into words, joined again here).
pub fn resource_metadata(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    if conf.oauth.resource_document.is_some() {
        return Err(DirectiveError::Duplicate);
    }
    let (mut resource, mut servers, mut scopes) = (None, Vec::new(), None::<String>);
    let mut words = d.args.iter();
    while let Some(word) = words.next() {
        if let Some(value) = word.strip_prefix("resource=") {
            set_once(&mut resource, value)?;
        } else if let Some(value) = word.strip_prefix("authorization_server=") {
            servers.push(value);
        } else if let Some(value) = word.strip_prefix("scopes=") {
            let mut value = value.to_owned();
            if let Some(open) = value.strip_prefix('"') {
                value = open.to_owned();
                while !value.ends_with('"') {
                    let next = words.next().ok_or_else(|| d.invalid(word, "unclosed quote"))?;
                    value.push(' ');
                    value.push_str(next);
                }
                value.pop();
            }
            set_once(&mut scopes, value)?;
        } else {
            return Err(d.invalid(word, "expected resource=, authorization_server= or scopes="));
        }
    }
    let scopes = scopes.unwrap_or_default();
    let scopes: Vec<&str> = scopes.split(' ').filter(|s| !s.is_empty()).collect();
    let metadata = ResourceMetadata::new(resource, &servers, &scopes)
        .map_err(|e| DirectiveError::Invalid(format!("{}: {e}", d.name)))?;
    d.claim_content_handler(Some(super::documents::resource_handler))?;
    conf.oauth.resource_document = Some(metadata.document().into());
    Ok(())
}

/// `credentialflow_resource_metadata_url url;`
pub fn resource_metadata_url(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    let url = d.arg(0)?;
    if !is_plain_url(url) {
        return Err(d.invalid(
            url,
            "it must be an http or https URL without a fragment, spaces, quotes or backslashes",
        ));
    }
    set_once(&mut conf.resource_metadata_url, url.into())
}

/// `credentialflow_oauth_token;`
pub fn token(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    endpoint(d, conf, EndpointKind::Token, Some(super::token::handler))
}

/// `credentialflow_oauth_jwks;`
pub fn jwks(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    endpoint(d, conf, EndpointKind::Jwks, Some(super::documents::handler))
}

/// `credentialflow_oauth_revoke;` Revocations are appended to the location's
/// `credentialflow_revocation_file` (checked at merge time), on nginx's `default` thread pool.
pub fn revoke(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    endpoint(d, conf, EndpointKind::Revoke, Some(super::revoke::handler))?;
    // SAFETY: cf is the configuration being read.
    conf.oauth.thread_pool = unsafe { super::revocation_commit::ThreadPool::default_pool(d.cf) };
    Ok(())
}

/// `credentialflow_oauth_introspect;`
pub fn introspect(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    endpoint(d, conf, EndpointKind::Introspect, Some(super::introspect::handler))
}

/// `credentialflow_oauth_metadata [scopes=all|none|scope,...];`
pub fn metadata(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    for arg in &d.args {
        let Some(value) = arg.strip_prefix("scopes=") else {
            return Err(d.invalid(arg, "the only parameter is \"scopes=all|none|scope,...\""));
        };
        conf.oauth.published_scopes = PublishedScopes::parse(value).ok_or_else(|| {
            d.invalid(arg, "scopes= takes \"all\", \"none\" or scopes separated by commas")
        })?;
    }
    endpoint(d, conf, EndpointKind::Metadata, Some(super::documents::handler))
}

/// Makes the location a content handler, and records an exact-match location's path on its
/// server's level for the metadata.
fn endpoint(
    d: &Directive<'_>,
    conf: &mut LocConf,
    kind: EndpointKind,
    handler: ngx_http_handler_pt,
) -> Result<(), DirectiveError> {
    if conf.oauth.endpoint.is_some() {
        return Err(DirectiveError::Duplicate);
    }
    let clcf = d.claim_content_handler(handler)?;
    // SAFETY: cf is the configuration being read, inside a server.
    let cf = unsafe { &*d.cf };
    let path = (clcf.exact_match() != 0)
        .then(|| String::from_utf8_lossy(clcf.name.as_bytes()).into_owned());
    conf.oauth.endpoint = Some(kind);
    conf.oauth.endpoint_at = d.site();
    if let Some(path) = path {
        let server = NgxHttpCoreModule::server_conf(cf)
            .and_then(Module::location_conf_mut)
            .ok_or_else(|| format!("\"{}\" directive outside a server", d.name))?;
        let slot = match kind {
            EndpointKind::Token => &mut server.oauth.token_path,
            EndpointKind::Jwks => &mut server.oauth.jwks_path,
            EndpointKind::Revoke => &mut server.oauth.revoke_path,
            EndpointKind::Introspect => &mut server.oauth.introspect_path,
            EndpointKind::Metadata => return Ok(()),
        };
        if slot.is_some() {
            return Err(DirectiveError::Invalid(format!(
                "\"{}\": a second exact-match location in the same server serves it",
                d.name
            )));
        }
        *slot = Some(path.into());
    }
    Ok(())
}
