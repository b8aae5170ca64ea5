//! The authorization server in nginx (issue 10): the `credentialflow_oauth_*` configuration,
//! its inheritance, and the content handlers of the token, JWKS and metadata endpoints. The
//! decisions (registry, grant, tokens, documents) are the core's (`credentialflow_core::oauth`).

mod body;
pub mod body_limit;
pub mod directives;
mod documents;
mod introspect;
pub(crate) mod respond;
mod revocation_commit;
mod revoke;
pub(crate) mod token;

use std::sync::Arc;

use credentialflow_core::jose::keys::VerifyKey;
use credentialflow_core::oauth::issuer::{join_url, Endpoints, PublishedScopes};
use credentialflow_core::oauth::source::RegistrySource;
use credentialflow_core::oauth::{Issuer, IssuerKey};
use credentialflow_core::{defaults, AccessRules, AlgorithmSet, Policy, Verifier};

use crate::conf::args::ConfSite;
pub use revocation_commit::{DurableStore, FileStore, RedisStore};

/// Which endpoint a location serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointKind {
    /// `credentialflow_oauth_token`.
    Token,
    /// `credentialflow_oauth_jwks`.
    Jwks,
    /// `credentialflow_oauth_metadata`.
    Metadata,
    /// `credentialflow_oauth_revoke` (RFC 7009).
    Revoke,
    /// `credentialflow_oauth_introspect` (RFC 7662).
    Introspect,
}

impl EndpointKind {
    fn directive(self) -> &'static str {
        match self {
            EndpointKind::Token => "credentialflow_oauth_token",
            EndpointKind::Jwks => "credentialflow_oauth_jwks",
            EndpointKind::Metadata => "credentialflow_oauth_metadata",
            EndpointKind::Revoke => "credentialflow_oauth_revoke",
            EndpointKind::Introspect => "credentialflow_oauth_introspect",
        }
    }

    /// Whether the endpoint authenticates clients (and so needs the registry).
    fn takes_clients(self) -> bool {
        matches!(self, EndpointKind::Token | EndpointKind::Revoke | EndpointKind::Introspect)
    }

    /// Whether the endpoint checks tokens (and so needs keys and the zone's revocations).
    pub fn checks_tokens(self) -> bool {
        matches!(self, EndpointKind::Revoke | EndpointKind::Introspect)
    }
}

/// What an endpoint's content handler needs, decided at config time.
pub struct Endpoint {
    /// Which endpoint.
    pub kind: EndpointKind,
    /// The issuer and its keys.
    pub issuer: Arc<Issuer>,
    /// The client registry (token and metadata endpoints).
    pub clients: Option<Arc<RegistrySource>>,
    /// The default token lifetime in seconds.
    pub token_ttl: i64,
    /// The `realm` of the `Basic` challenge of an `invalid_client` answer.
    pub realm: Box<str>,
    /// The metadata's endpoint URLs.
    pub urls: Endpoints,
    /// Which scopes the metadata publishes.
    pub published_scopes: PublishedScopes,
    /// How the revocation and introspection endpoints check a token (set once the location's
    /// keys are inherited, see [`OAuthConf::attach_checks`]).
    pub checks: Option<TokenChecks>,
}

/// What the revocation and introspection endpoints check a token with.
pub struct TokenChecks {
    /// The issuer's keys and the location's: signature, time (with the location's leeway),
    /// and the revocations in force; never replay protection, so that neither endpoint
    /// consumes a token.
    pub rules: AccessRules,
    /// Where the revocation endpoint makes revocations durable (the revocation file; a
    /// Redis store would be another [`revocation_commit::DurableStore`]).
    pub store: Option<Box<dyn revocation_commit::DurableStore>>,
}

/// The `credentialflow_oauth_*` settings of one level; unset values are inherited.
#[derive(Default)]
pub struct OAuthConf {
    clients: Option<Arc<RegistrySource>>,
    /// Keys named at this level, until they are shared as `keys`.
    pending_keys: Vec<IssuerKey>,
    keys: Option<Arc<Vec<IssuerKey>>>,
    keys_at: Option<ConfSite>,
    issuer_url: Option<Box<str>>,
    token_ttl: Option<i64>,
    accept_own: Option<bool>,
    /// Where `credentialflow_accept_own_tokens` was written, for the merge-time error.
    accept_own_at: Option<ConfSite>,
    /// Built once keys and issuer are known; shared by every level that inherits both.
    issuer: Option<Arc<Issuer>>,
    endpoint: Option<EndpointKind>,
    endpoint_at: Option<ConfSite>,
    /// The exact-match locations of this server holding the token, JWKS, revocation and
    /// introspection endpoints (set on the server's level by the endpoint directives,
    /// inherited by its locations).
    token_path: Option<Box<str>>,
    jwks_path: Option<Box<str>>,
    revoke_path: Option<Box<str>>,
    introspect_path: Option<Box<str>>,
    /// nginx's `default` thread pool, which the revocation endpoint writes files on.
    pub(crate) thread_pool: Option<revocation_commit::ThreadPool>,
    /// The issuer whose public keys the level's verification keys include
    /// (`credentialflow_accept_own_tokens`).
    keys_trust: Option<Arc<Issuer>>,
    /// The finished endpoint of a location that serves one.
    pub endpoint_ready: Option<Arc<Endpoint>>,
    /// `credentialflow_oauth_metadata scopes=`.
    pub(crate) published_scopes: PublishedScopes,
    /// The RFC 9728 document of a `credentialflow_oauth_resource_metadata` location, built at
    /// config time (not inherited: only that location serves it).
    pub resource_document: Option<Arc<str>>,
}

/// A cross-directive error: the message and the directive it is about.
pub struct OAuthMergeError(pub String, pub Option<ConfSite>);

fn inherit<T: Clone>(value: &mut Option<T>, prev: &Option<T>) {
    if value.is_none() {
        value.clone_from(prev);
    }
}

impl OAuthConf {
    fn shared_keys(&mut self) -> Option<Arc<Vec<IssuerKey>>> {
        if self.keys.is_none() && !self.pending_keys.is_empty() {
            self.keys = Some(Arc::new(std::mem::take(&mut self.pending_keys)));
        }
        self.keys.clone()
    }

    /// The issuer of this level, built once when both keys and `iss` are known.
    fn issuer(&mut self) -> Result<Option<Arc<Issuer>>, OAuthMergeError> {
        if self.issuer.is_none() {
            if let (Some(keys), Some(url)) = (self.shared_keys(), self.issuer_url.clone()) {
                let issuer = Issuer::new(&url, keys).map_err(|e| {
                    OAuthMergeError(
                        format!("credentialflow_oauth_signing_key: {e}"),
                        self.keys_at.clone(),
                    )
                })?;
                self.issuer = Some(Arc::new(issuer));
            }
        }
        Ok(self.issuer.clone())
    }

    /// The issuer whose tokens this level trusts (`credentialflow_accept_own_tokens on`).
    pub fn trusted_issuer(&mut self) -> Result<Option<Arc<Issuer>>, OAuthMergeError> {
        match self.accept_own {
            Some(true) => self.issuer(),
            _ => Ok(None),
        }
    }

    /// Where `credentialflow_accept_own_tokens` was written (for merge-time errors).
    pub fn accept_own_site(&self) -> Option<ConfSite> {
        self.accept_own_at.clone()
    }

    /// The issuer whose keys are already in the inherited verification keys.
    pub fn keys_trust(&self) -> Option<&Arc<Issuer>> {
        self.keys_trust.as_ref()
    }

    /// Records that this level's verification keys include `issuer`'s (or no issuer's).
    pub fn set_keys_trust(&mut self, issuer: Option<Arc<Issuer>>) {
        self.keys_trust = issuer;
    }

    /// Inheritance, and the endpoint of a location that serves one. `realm` is the level's
    /// challenge realm.
    pub fn merge(&mut self, prev: &mut OAuthConf, realm: &str) -> Result<(), OAuthMergeError> {
        if self.pending_keys.is_empty() && self.issuer_url.is_none() {
            self.issuer = prev.issuer()?;
        }
        if self.pending_keys.is_empty() {
            self.keys = prev.shared_keys();
            self.keys_at.clone_from(&prev.keys_at);
        }
        inherit(&mut self.issuer_url, &prev.issuer_url);
        inherit(&mut self.clients, &prev.clients);
        inherit(&mut self.token_ttl, &prev.token_ttl);
        if self.accept_own.is_none() {
            self.accept_own = prev.accept_own;
            self.accept_own_at.clone_from(&prev.accept_own_at);
        }
        inherit(&mut self.token_path, &prev.token_path);
        inherit(&mut self.jwks_path, &prev.jwks_path);
        inherit(&mut self.revoke_path, &prev.revoke_path);
        inherit(&mut self.introspect_path, &prev.introspect_path);
        let issuer = self.issuer()?;
        if self.accept_own == Some(true) && issuer.is_none() {
            return Err(OAuthMergeError(
                "\"credentialflow_accept_own_tokens\" is on but this server issues no tokens \
                 (\"credentialflow_oauth_issuer\" and \"credentialflow_oauth_signing_key\")"
                    .into(),
                self.accept_own_at.clone(),
            ));
        }
        let Some(kind) = self.endpoint else {
            return Ok(());
        };
        let at = self.endpoint_at.clone();
        let Some(issuer) = issuer else {
            return Err(OAuthMergeError(
                format!(
                    "\"{}\" needs \"credentialflow_oauth_issuer\" and a \
                     \"credentialflow_oauth_signing_key\"",
                    kind.directive()
                ),
                at,
            ));
        };
        if kind.takes_clients() && self.clients.is_none() {
            return Err(OAuthMergeError(
                format!("\"{}\" needs \"credentialflow_oauth_clients\"", kind.directive()),
                at,
            ));
        }
        let mut urls = Endpoints::default();
        if kind == EndpointKind::Metadata {
            let Some(token) = &self.token_path else {
                return Err(OAuthMergeError(
                    "\"credentialflow_oauth_metadata\" needs a \"credentialflow_oauth_token\" \
                     endpoint in an exact-match location (location = /path) of the same server"
                        .into(),
                    at,
                ));
            };
            urls.token = join_url(issuer.issuer(), token);
            urls.jwks = self.jwks_path.as_deref().map(|path| join_url(issuer.issuer(), path));
            urls.revocation =
                self.revoke_path.as_deref().map(|path| join_url(issuer.issuer(), path));
            urls.introspection =
                self.introspect_path.as_deref().map(|path| join_url(issuer.issuer(), path));
        }
        self.endpoint_ready = Some(Arc::new(Endpoint {
            kind,
            issuer,
            clients: self.clients.clone(),
            token_ttl: self.token_ttl.unwrap_or(defaults::OAUTH_TOKEN_TTL),
            realm: realm.into(),
            urls,
            checks: None,
            published_scopes: self.published_scopes.clone(),
        }));
        Ok(())
    }

    /// The endpoint this level serves, if any, and where its directive was written.
    pub fn endpoint(&self) -> Option<(EndpointKind, Option<&ConfSite>)> {
        self.endpoint.map(|kind| (kind, self.endpoint_at.as_ref()))
    }

    /// Completes a revocation or introspection endpoint with the location's keys,
    /// algorithms and leeway (known once the location has inherited them) and, for
    /// revocation, the file revocations are appended to.
    pub fn attach_checks(
        &mut self,
        location_keys: Option<&[VerifyKey]>,
        algorithms: Option<AlgorithmSet>,
        leeway: i64,
        store: Option<Box<dyn revocation_commit::DurableStore>>,
    ) -> Result<(), OAuthMergeError> {
        let Some(endpoint) = self.endpoint_ready.as_mut() else { return Ok(()) };
        if !endpoint.kind.checks_tokens() {
            return Ok(());
        }
        let at = self.endpoint_at.clone();
        let issuer = Arc::clone(&endpoint.issuer);
        let mut keys: Vec<VerifyKey> = location_keys
            .unwrap_or_default()
            .iter()
            .filter(|key| !is_issuer_key(&issuer, key))
            .cloned()
            .collect();
        keys.extend(issuer.verify_keys());
        // The location's allow-list, widened by the issuer's own algorithms.
        let algorithms =
            algorithms.map(|set| set.iter().chain(issuer.algorithms().iter()).collect());
        let verifier = Verifier::new(keys, algorithms).map_err(|e| {
            OAuthMergeError(format!("\"{}\": {e}", endpoint.kind.directive()), at.clone())
        })?;
        let policy = Policy { leeway, ..Policy::default() };
        let rules = AccessRules::new(
            Arc::new(verifier),
            policy,
            false,
            Vec::new(),
            defaults::MAX_TOKEN_SIZE,
        );
        let Some(endpoint) = Arc::get_mut(endpoint) else {
            return Err(OAuthMergeError("the endpoint is already shared".into(), at));
        };
        endpoint.checks = Some(TokenChecks { rules, store });
        Ok(())
    }
}

/// Whether `key` is one of `issuer`'s published keys (same `kid`, family and algorithm).
pub fn is_issuer_key(issuer: &Issuer, key: &VerifyKey) -> bool {
    issuer.keys().iter().any(|own| {
        let own = own.verify_key();
        own.kid == key.kid && own.family == key.family && own.pinned == key.pinned
    })
}
