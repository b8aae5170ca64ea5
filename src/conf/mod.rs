//! Configuration: the conf structs, their creation and merging, and the cross-directive checks
//! that turn a protected location's directives into one ready [`ProtectedLocation`].

pub(crate) mod args;
pub(crate) mod claim_rules;
pub(crate) mod directives;

use std::ffi::{c_char, c_void};
use std::ptr::{self, NonNull};
use std::sync::Arc;

use credentialflow_core::api_key::registry::ApiKeySource;
use credentialflow_core::api_key::Accept;
use credentialflow_core::credential::{same_header_name, CredentialHeader};
use credentialflow_core::defaults;
use credentialflow_core::jose::keys::VerifyKey;
use credentialflow_core::oauth::source::RegistrySource;
use credentialflow_core::remote_keys::RemoteKeyConfig;
use credentialflow_core::revocation::RevocationSource;
use credentialflow_core::{AccessRules, AlgorithmSet, ForwardedClaim, Policy, Verifier};
use ngx::core::Pool;
use ngx::core::NGX_CONF_ERROR;
use ngx::ffi::{ngx_conf_t, ngx_shm_zone_t, NGX_LOG_EMERG};
use ngx::http::HttpModuleMainConf;
use ngx::{ngx_conf_log_error, ngx_log_error};

use args::ConfSite;
use claim_rules::Requirement;

pub use directives::COMMANDS;

use crate::complex_value::ComplexValue;
use crate::ffi_guard::guarded;
use crate::remote_keys::RemoteSource;
use crate::Module;

/// `http`-level settings.
#[derive(Default)]
pub struct MainConf {
    /// `credentialflow_cache_size`.
    cache_size: Option<usize>,
    /// Every revocation file named anywhere, once each, for the per-worker watcher.
    pub revocation_sources: Vec<Arc<RevocationSource>>,
    /// `credentialflow_zone`.
    zone_size: Option<usize>,
    /// Whether any location has the module on, or serves the revocation or introspection
    /// endpoint (set while merging): only then is the zone created.
    pub protects_somewhere: bool,
    /// The revocation files a revocation endpoint appends to: the workers must be able to
    /// write them (checked at `nginx -t`).
    /// With the `credentialflow_oauth_revoke` that appends to each, for the error's file:line.
    pub appended_files: Vec<(Arc<RevocationSource>, Option<ConfSite>)>,
    /// The shared-memory zone, once requested (`postconfiguration`).
    pub zone: Option<NonNull<ngx_shm_zone_t>>,
    /// Every client registry named anywhere, once each, for the same watcher.
    pub oauth_registries: Vec<Arc<RegistrySource>>,
    /// Every API key registry named anywhere, once each, for the same watcher.
    pub api_key_registries: Vec<Arc<ApiKeySource>>,
    /// `credentialflow_redis` (issue 11).
    pub redis: Option<Arc<crate::redis::RedisSettings>>,
    /// `credentialflow_metrics` and the labels (issue 13).
    pub metrics: crate::metrics::MetricsConf,
}

impl MainConf {
    /// Entries per worker in the token cache.
    pub fn cache_size(&self) -> usize {
        self.cache_size.unwrap_or(defaults::CACHE_SIZE)
    }

    /// The shared-memory zone's size in bytes.
    pub fn zone_size(&self) -> usize {
        self.zone_size.unwrap_or(defaults::ZONE_SIZE)
    }
}

/// What one `http`, `server` or `location` level says; unset values are inherited.
#[derive(Default)]
pub struct LocConf {
    enabled: Option<bool>,
    keys: Option<Vec<VerifyKey>>,
    algorithms: Option<AlgorithmSet>,
    /// Where `credentialflow`, the first `credentialflow_jwt_key` and
    /// `credentialflow_algorithms` of the level that set them were written: merge-time
    /// errors point there, not at the end of `http`.
    enabled_at: Option<ConfSite>,
    keys_at: Option<ConfSite>,
    algorithms_at: Option<ConfSite>,
    header: Option<CredentialHeader>,
    issuers: Option<Vec<Box<str>>>,
    audiences: Option<Vec<Box<str>>>,
    leeway: Option<i64>,
    required_claims: Option<Vec<Box<str>>>,
    required_scopes: Option<Vec<Box<str>>>,
    forwarded: Option<Vec<ForwardedClaim>>,
    realm: Option<Box<str>>,
    /// `credentialflow_resource_metadata_url` (RFC 9728 §5.1).
    pub(crate) resource_metadata_url: Option<Box<str>>,
    /// `credentialflow_revocation_file`: the file this level's revocation endpoint appends to
    /// (every file named anywhere is loaded into the shared zone and applies everywhere).
    pub(crate) revocation: Option<Arc<RevocationSource>>,
    replay_protection: Option<bool>,
    max_token_size: Option<usize>,
    /// `credentialflow_scope_claim`.
    scope_claim: Option<Box<str>>,
    /// `credentialflow_allow_preflight`.
    allow_preflight: Option<bool>,
    /// `credentialflow_token`.
    token_source: Option<ComplexValue>,
    /// Every `credentialflow_require` of the level (inherited as a whole, like nginx arrays).
    requirements: Option<Vec<Requirement>>,
    /// `credentialflow_jwt_key_request`.
    key_request: Option<Box<str>>,
    /// `credentialflow_jwt_key_cache`: (ttl, refresh) in seconds.
    key_cache: Option<(i64, i64)>,
    /// The fetched-keys source of this level, built once where `key_request` is known and
    /// shared by every level that inherits it unchanged (one fetch serves them all).
    remote: Option<Arc<RemoteSource>>,
    #[cfg(feature = "panic-test")]
    panic_test: Option<PanicTest>,
    /// `credentialflow_api_keys`.
    pub(crate) api_keys: Option<Arc<ApiKeySource>>,
    /// `credentialflow_api_key_header`.
    pub(crate) api_key_header: Option<CredentialHeader>,
    /// `credentialflow_accept`, and where it was written.
    pub(crate) accept: Option<Accept>,
    pub(crate) accept_at: Option<ConfSite>,

    /// Built when keys are known: shared by every level that inherits the same keys and
    /// algorithms, so they share cache entries too.
    verifier: Option<Arc<Verifier>>,
    /// The finished configuration of a location where the module is on; `None` elsewhere.
    pub protected: Option<Arc<ProtectedLocation>>,
    /// The authorization server's settings (`credentialflow_oauth_*`, issue 10).
    pub oauth: crate::oauth::OAuthConf,
    /// `credentialflow_metrics_label`.
    pub(crate) metrics_label: Option<Box<str>>,
}

/// Everything the request path needs for one protected location, decided at config time.
pub struct ProtectedLocation {
    /// What a token must pass, and which claims go upstream.
    pub rules: AccessRules,
    /// Where the token is read from.
    pub header: CredentialHeader,
    /// The challenge realm, already validated to need no escaping.
    pub realm: Box<str>,
    /// The RFC 9728 metadata URL every challenge names, validated to need no escaping.
    pub resource_metadata: Option<Box<str>>,
    /// `credentialflow_token`: the token is this value rather than a header's.
    pub token_source: Option<ComplexValue>,
    /// `credentialflow_require`: conditions an accepted token's request must meet.
    pub requirements: Vec<Requirement>,
    /// `credentialflow_allow_preflight`: a CORS preflight passes without a token.
    pub allow_preflight: bool,
    /// `credentialflow_jwt_key_request`: keys fetched from an identity provider.
    pub remote_keys: Option<Arc<RemoteSource>>,
    /// The index of the location's metrics label (`credentialflow_metrics_label`).
    pub metrics_label: usize,
    /// A test-only switch: panic in the access handler.
    #[cfg(feature = "panic-test")]
    pub panic_test: Option<PanicTest>,
    /// `credentialflow_accept`: which credential kinds the location takes.
    pub accept: Accept,
    /// `credentialflow_api_keys`: where API keys are looked up (set when `accept` takes them).
    pub api_keys: Option<Arc<ApiKeySource>>,
    /// `credentialflow_api_key_header`: where an API key is read from (a raw header).
    pub api_key_header: CredentialHeader,
}

/// Where the test-only `credentialflow_panic_test` directive makes the access handler panic.
#[cfg(feature = "panic-test")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PanicTest {
    /// In the handler itself, inside its `guarded` call.
    Guarded,
    /// On a thread of its own, outside any `guarded` call: not the module's to silence.
    Outside,
}

fn inherit<T: Clone>(value: &mut Option<T>, prev: &Option<T>) {
    if value.is_none() {
        value.clone_from(prev);
    }
}

/// Inherits a value together with the place it was set.
fn inherit_at<T: Clone>(
    (value, at): (&mut Option<T>, &mut Option<ConfSite>),
    (prev, prev_at): (&Option<T>, &Option<ConfSite>),
) {
    if value.is_none() {
        value.clone_from(prev);
        at.clone_from(prev_at);
    }
}

/// A cross-directive error, with the directive it is about when known.
struct MergeError {
    message: String,
    at: Option<ConfSite>,
}

impl LocConf {
    /// The verifier for this level's keys and algorithms, built once. An error points at the
    /// algorithm list when one is set (it asks for what the keys cannot do), else at the keys.
    fn verifier(&mut self) -> Result<Option<Arc<Verifier>>, MergeError> {
        if self.verifier.is_none() {
            // Empty only where `credentialflow_accept_own_tokens off` removed the issuer's keys.
            if let Some(keys) = self.keys.as_ref().filter(|keys| !keys.is_empty()) {
                let verifier = Verifier::new(keys.clone(), self.algorithms).map_err(|e| {
                    let (name, at) = match self.algorithms_at.is_some() {
                        true => ("credentialflow_algorithms", &self.algorithms_at),
                        false => ("credentialflow_jwt_key", &self.keys_at),
                    };
                    MergeError { message: format!("{name}: {e}"), at: at.clone() }
                })?;
                self.verifier = Some(Arc::new(verifier));
            }
        }
        Ok(self.verifier.clone())
    }

    fn merge(&mut self, prev: &mut LocConf, main: &mut MainConf) -> Result<(), MergeError> {
        let realm = self.realm.as_ref().or(prev.realm.as_ref()).cloned();
        let realm = realm.unwrap_or_else(|| defaults::REALM.into());
        self.oauth.merge(&mut prev.oauth, &realm)?;
        self.trust_own_tokens(prev)?;
        if self.keys.is_none() && self.algorithms.is_none() {
            self.verifier = prev.verifier()?;
            if self.key_request.is_none() && self.key_cache.is_none() {
                self.remote.clone_from(&prev.remote);
            }
        }
        inherit(&mut self.key_request, &prev.key_request);
        inherit(&mut self.key_cache, &prev.key_cache);
        inherit_at((&mut self.keys, &mut self.keys_at), (&prev.keys, &prev.keys_at));
        inherit_at(
            (&mut self.algorithms, &mut self.algorithms_at),
            (&prev.algorithms, &prev.algorithms_at),
        );
        inherit_at((&mut self.enabled, &mut self.enabled_at), (&prev.enabled, &prev.enabled_at));
        inherit(&mut self.header, &prev.header);
        inherit(&mut self.issuers, &prev.issuers);
        if let (Some(own), Some(issuers)) = (self.oauth.keys_trust(), &mut self.issuers) {
            if !issuers.iter().any(|iss| **iss == *own.issuer()) {
                issuers.push(own.issuer().into());
            }
        }
        inherit(&mut self.audiences, &prev.audiences);
        inherit(&mut self.leeway, &prev.leeway);
        inherit(&mut self.required_claims, &prev.required_claims);
        inherit(&mut self.required_scopes, &prev.required_scopes);
        inherit(&mut self.forwarded, &prev.forwarded);
        inherit(&mut self.realm, &prev.realm);
        inherit(&mut self.resource_metadata_url, &prev.resource_metadata_url);
        inherit(&mut self.revocation, &prev.revocation);
        inherit(&mut self.replay_protection, &prev.replay_protection);
        inherit(&mut self.max_token_size, &prev.max_token_size);
        inherit(&mut self.scope_claim, &prev.scope_claim);
        inherit(&mut self.allow_preflight, &prev.allow_preflight);
        inherit(&mut self.token_source, &prev.token_source);
        inherit(&mut self.requirements, &prev.requirements);
        inherit(&mut self.api_keys, &prev.api_keys);
        inherit(&mut self.api_key_header, &prev.api_key_header);
        inherit_at((&mut self.accept, &mut self.accept_at), (&prev.accept, &prev.accept_at));
        inherit(&mut self.metrics_label, &prev.metrics_label);
        self.finish_token_endpoint(main)?;
        let verifier = self.verifier()?;
        if let (None, Some(uri)) = (&self.remote, &self.key_request) {
            let (ttl, refresh) =
                self.key_cache.unwrap_or((defaults::KEY_CACHE_TTL, defaults::KEY_CACHE_REFRESH));
            let config = RemoteKeyConfig {
                ttl,
                refresh,
                file_keys: self.keys.clone().unwrap_or_default(),
                allowed: self.algorithms,
            };
            let metrics_source = main.metrics.key_source(uri);
            self.remote = Some(Arc::new(RemoteSource {
                uri: uri.clone(),
                config: Arc::new(config),
                metrics_source,
            }));
        }
        if self.enabled != Some(true) {
            return Ok(());
        }
        if let (Some(CredentialHeader::Raw { lowercase, .. }), Some(forwarded)) =
            (&self.header, &self.forwarded)
        {
            // The rewrite phase strips forwarded headers: it would remove the token itself.
            if let Some(clash) =
                forwarded.iter().find(|f| same_header_name(&f.header_lowercase, lowercase))
            {
                return Err(MergeError {
                    message: format!(
                        "\"credentialflow_forward_claim\" may not set \"{}\", the header the \
                         token is read from (\"credentialflow_header\")",
                        clash.header
                    ),
                    at: self.enabled_at.clone(),
                });
            }
        }
        if self.oauth.keys_trust().is_some() && self.audiences.as_ref().is_none_or(Vec::is_empty) {
            // RFC 9068 §4: the resource server MUST check that `aud` names it; this server
            // issues tokens for every resource its clients may ask for.
            return Err(MergeError {
                message: "\"credentialflow_accept_own_tokens\" needs \"credentialflow_audience\" \
                          where \"credentialflow\" is on: this server issues tokens for other \
                          resources too, and a location must accept only those issued for it \
                          (RFC 9068 section 4)"
                    .into(),
                at: self.oauth.accept_own_site().or_else(|| self.enabled_at.clone()),
            });
        }
        let accept = self.accept.unwrap_or_default();
        self.check_api_keys(accept)?;
        if accept.jwt && verifier.is_none() && self.remote.is_none() {
            return Err(MergeError {
                message: "\"credentialflow\" is on but neither \"credentialflow_jwt_key\" nor \
                          \"credentialflow_jwt_key_request\" is set"
                    .into(),
                at: self.enabled_at.clone(),
            });
        }
        let mut protected = self.protected_location(verifier);
        protected.metrics_label = main.metrics.label_index(self.metrics_label.as_deref());
        self.protected = Some(Arc::new(protected));
        Ok(())
    }

    /// A location that takes API keys needs a registry, and reads keys and tokens from
    /// different headers.
    fn check_api_keys(&self, accept: Accept) -> Result<(), MergeError> {
        let fail = |message: String| MergeError { message, at: self.accept_at.clone() };
        if !accept.api_key {
            return Ok(());
        }
        if self.api_keys.is_none() {
            return Err(fail(
                "\"credentialflow_accept\" takes \"api_key\" but no \"credentialflow_api_keys\" \
                 is set"
                    .into(),
            ));
        }
        let key_header = self.api_key_header.clone().unwrap_or_else(default_api_key_header);
        if let (true, CredentialHeader::Raw { lowercase, .. }) = (accept.jwt, &key_header) {
            let same = match self.header.as_ref() {
                Some(CredentialHeader::Raw { lowercase: token, .. }) => {
                    same_header_name(token, lowercase)
                }
                _ => same_header_name(lowercase, b"authorization"),
            };
            if same && self.token_source.is_none() {
                return Err(fail(
                    "\"credentialflow_api_key_header\" and \"credentialflow_header\" name the \
                     same header"
                        .into(),
                ));
            }
        }
        if let (Some(forwarded), CredentialHeader::Raw { lowercase, .. }) =
            (&self.forwarded, &key_header)
        {
            // The rewrite phase strips forwarded headers: it would remove the key itself.
            if let Some(clash) =
                forwarded.iter().find(|f| same_header_name(&f.header_lowercase, lowercase))
            {
                return Err(fail(format!(
                    "\"credentialflow_forward_claim\" may not set \"{}\", the header API keys \
                     are read from (\"credentialflow_api_key_header\")",
                    clash.header
                )));
            }
        }
        Ok(())
    }

    /// A revocation or introspection endpoint checks tokens with this level's keys,
    /// algorithms and leeway; the revocation endpoint writes to Redis when it is configured,
    /// else appends to this level's revocation file, without either of which it is refused (a
    /// revocation must survive a restart).
    fn finish_token_endpoint(&mut self, main: &mut MainConf) -> Result<(), MergeError> {
        let Some((kind, at)) = self.oauth.endpoint() else { return Ok(()) };
        if !kind.checks_tokens() {
            return Ok(());
        }
        let at = at.cloned();
        let mut store = None;
        if kind == crate::oauth::EndpointKind::Revoke && main.redis.is_some() {
            // Every instance learns a revocation through Redis, and it outlives restarts there.
            store = Some(Box::new(crate::oauth::RedisStore) as Box<dyn crate::oauth::DurableStore>);
        } else if kind == crate::oauth::EndpointKind::Revoke {
            let file = self.revocation.as_ref().ok_or_else(|| MergeError {
                message:
                    "\"credentialflow_oauth_revoke\" needs a \"credentialflow_revocation_file\" \
                          at its location or above, or \"credentialflow_redis\": revocations are \
                          written to one of them, so that they survive a restart"
                        .into(),
                at: at.clone(),
            })?;
            let index = main
                .revocation_sources
                .iter()
                .position(|source| Arc::ptr_eq(source, file))
                .ok_or_else(|| MergeError {
                    message: "unknown revocation file".into(),
                    at: at.clone(),
                })?;
            if !main.appended_files.iter().any(|(known, _)| Arc::ptr_eq(known, file)) {
                main.appended_files.push((Arc::clone(file), at.clone()));
            }
            let pool = self.oauth.thread_pool;
            let file_store = crate::oauth::FileStore::new(file.path().to_path_buf(), index, pool);
            store = Some(Box::new(file_store) as Box<dyn crate::oauth::DurableStore>);
        }
        let leeway = self.leeway.unwrap_or(defaults::LEEWAY);
        self.oauth.attach_checks(self.keys.as_deref(), self.algorithms, leeway, store)?;
        main.protects_somewhere = true;
        Ok(())
    }

    /// `credentialflow_accept_own_tokens`: adds the public halves of this server's signing
    /// keys to the level's verification keys (once per issuer along the inheritance), or
    /// removes them where it is turned off.
    fn trust_own_tokens(&mut self, prev: &mut LocConf) -> Result<(), MergeError> {
        let own = self.oauth.trusted_issuer()?;
        let inherited = if self.keys.is_none() { prev.oauth.keys_trust().cloned() } else { None };
        match (own, inherited) {
            (Some(own), Some(old)) if Arc::ptr_eq(&own, &old) => {
                self.oauth.set_keys_trust(Some(own));
            }
            (Some(own), old) => {
                let mut keys = self.keys.take().or_else(|| prev.keys.clone()).unwrap_or_default();
                if let Some(old) = old {
                    keys.retain(|key| !crate::oauth::is_issuer_key(&old, key));
                }
                keys.extend(own.verify_keys());
                if self.keys_at.is_none() {
                    self.keys_at.clone_from(&prev.keys_at);
                }
                self.keys = Some(keys);
                self.oauth.set_keys_trust(Some(own));
            }
            (None, Some(old)) => {
                let mut keys = prev.keys.clone().unwrap_or_default();
                keys.retain(|key| !crate::oauth::is_issuer_key(&old, key));
                self.keys = Some(keys);
                self.keys_at.clone_from(&prev.keys_at);
                self.oauth.set_keys_trust(None);
            }
            (None, None) => self.oauth.set_keys_trust(None),
        }
        Ok(())
    }

    fn protected_location(&self, verifier: Option<Arc<Verifier>>) -> ProtectedLocation {
        let default_policy = Policy::default();
        let replay_protection = self.replay_protection.unwrap_or(false);
        let mut required_claims =
            self.required_claims.clone().unwrap_or(default_policy.required_claims);
        if replay_protection {
            required_claims = credentialflow_core::replay::with_required_claims(required_claims);
        }
        let policy = Policy {
            issuers: self.issuers.clone().unwrap_or_default(),
            audiences: self.audiences.clone().unwrap_or_default(),
            leeway: self.leeway.unwrap_or(default_policy.leeway),
            required_claims,
            required_scopes: self.required_scopes.clone().unwrap_or_default(),
            scope_claim: self.scope_claim.clone().unwrap_or(default_policy.scope_claim),
        };
        let forwarded = self.forwarded.clone().unwrap_or_default();
        let max_token_size = self.max_token_size.unwrap_or(defaults::MAX_TOKEN_SIZE);
        let rules = match verifier {
            Some(verifier) => {
                AccessRules::new(verifier, policy, replay_protection, forwarded, max_token_size)
            }
            None => AccessRules::without_keys(policy, replay_protection, forwarded, max_token_size),
        };
        ProtectedLocation {
            rules,
            header: self.header.clone().unwrap_or(CredentialHeader::AuthorizationBearer),
            realm: self.realm.clone().unwrap_or_else(|| defaults::REALM.into()),
            resource_metadata: self.resource_metadata_url.clone(),
            token_source: self.token_source,
            requirements: self.requirements.clone().unwrap_or_default(),
            allow_preflight: self.allow_preflight.unwrap_or(false),
            // A location that takes only API keys never waits for a key set.
            remote_keys: self.remote.clone().filter(|_| self.accept.unwrap_or_default().jwt),
            metrics_label: 0,
            #[cfg(feature = "panic-test")]
            panic_test: self.panic_test,
            accept: self.accept.unwrap_or_default(),
            api_keys: self.api_keys.clone().filter(|_| self.accept.unwrap_or_default().api_key),
            api_key_header: self.api_key_header.clone().unwrap_or_else(default_api_key_header),
        }
    }
}

/// `credentialflow_api_key_header`'s default.
fn default_api_key_header() -> CredentialHeader {
    CredentialHeader::raw(defaults::API_KEY_HEADER)
}

impl From<crate::oauth::OAuthMergeError> for MergeError {
    fn from(crate::oauth::OAuthMergeError(message, at): crate::oauth::OAuthMergeError) -> Self {
        MergeError { message, at }
    }
}

/// Allocates a conf struct in the configuration pool; the pool drops it with the cycle.
unsafe fn allocate<T: Default>(cf: *mut ngx_conf_t) -> *mut c_void {
    // SAFETY: nginx passes a valid configuration whose pool outlives the conf.
    let pool = unsafe { Pool::from_ngx_pool((*cf).pool) };
    pool.allocate(T::default()).cast()
}

/// `create_main_conf`.
pub unsafe extern "C" fn create_main_conf(cf: *mut ngx_conf_t) -> *mut c_void {
    guarded((*cf).log, "create_main_conf", ptr::null_mut(), || unsafe { allocate::<MainConf>(cf) })
}

/// `create_loc_conf`.
pub unsafe extern "C" fn create_loc_conf(cf: *mut ngx_conf_t) -> *mut c_void {
    guarded((*cf).log, "create_loc_conf", ptr::null_mut(), || unsafe { allocate::<LocConf>(cf) })
}

/// `merge_loc_conf`: inheritance plus the checks that need several directives at once.
pub unsafe extern "C" fn merge_loc_conf(
    cf: *mut ngx_conf_t,
    prev: *mut c_void,
    conf: *mut c_void,
) -> *mut c_char {
    guarded((*cf).log, "merge_loc_conf", NGX_CONF_ERROR as _, || {
        // SAFETY: nginx passes two distinct LocConf structs allocated by create_loc_conf.
        let (prev, conf) = unsafe { (&mut *prev.cast::<LocConf>(), &mut *conf.cast::<LocConf>()) };
        // SAFETY: cf is the configuration being merged, inside http{}.
        let Some(main) = Module::main_conf_mut(unsafe { &*cf }) else {
            return NGX_CONF_ERROR as _;
        };
        match conf.merge(prev, main) {
            Ok(()) => {
                if conf.protected.is_some() {
                    main.protects_somewhere = true;
                }
                ptr::null_mut()
            }
            Err(MergeError { message, at: Some(at) }) => {
                // Reported as ngx_conf_log_error would, but at the directive's own line.
                // SAFETY: cf is the configuration being merged; its log is valid.
                ngx_log_error!(NGX_LOG_EMERG, unsafe { (*cf).log }, "{message} in {at}");
                NGX_CONF_ERROR as _
            }
            Err(MergeError { message, at: None }) => {
                ngx_conf_log_error!(NGX_LOG_EMERG, cf, "{message}");
                NGX_CONF_ERROR as _
            }
        }
    })
}
