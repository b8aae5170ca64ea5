//! One location's whole decision for one token: size limit, cache, signature, claim policy,
//! revocation, scopes (authentication failures win over authorization), then replay (a token
//! is only recorded as used once it passed everything else), and the values of the forwarded
//! claims of a token that passed them all.

use std::sync::Arc;

use crate::cache::TokenCache;
use crate::claims_view::{ClaimsView, Withheld, TYPED_TEXT};
use crate::credential::is_b64token;
use crate::fingerprint::content_id;
use crate::jose::claims::Claims;
use crate::metrics::Clock;
use crate::policy::Policy;
use crate::reject::Rejection;
use crate::replay::{replay_client, replay_key, FirstUse, ReplayStore};
use crate::revocation::RevocationSet;
use crate::verifier::{VerifiedToken, Verifier};

/// A claim sent to the upstream in a request header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardedClaim {
    /// The claim name.
    pub claim: Box<str>,
    /// The request header that carries it, as configured.
    pub header: Box<str>,
    /// The header name lower-cased, as nginx keeps `lowcase_key` and for stripping copies.
    pub header_lowercase: Box<[u8]>,
}

impl ForwardedClaim {
    /// `claim` forwarded in the header `header`.
    pub fn new(claim: &str, header: &str) -> ForwardedClaim {
        ForwardedClaim {
            claim: claim.into(),
            header: header.into(),
            header_lowercase: header.to_ascii_lowercase().into_bytes().into(),
        }
    }
}

/// One forwarded claim of an accepted token: the header to set and its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forwarded {
    /// Which claim, in which header.
    pub to: Arc<ForwardedClaim>,
    /// The claim's value as header text (never holding a control character).
    pub value: String,
}

/// Everything a protected location checks of a token, decided at config time.
#[derive(Debug)]
pub struct AccessRules {
    /// Key set and algorithm allow-list (`None` where every key is fetched at run time, see
    /// [`AccessRules::decide_with`]).
    pub verifier: Option<Arc<Verifier>>,
    /// Time, issuer, audience, required claims and scopes.
    pub policy: Policy,
    /// Whether a token is accepted only once (its `iss` and `jti`).
    pub replay_protection: bool,
    /// Claims forwarded upstream.
    pub forwarded: Vec<Arc<ForwardedClaim>>,
    /// Longest token decoded at all.
    pub max_token_size: usize,
    /// Custom claims this location reads on every request (forwarded or required), stored
    /// with each cached verification so that a hit reads no JSON.
    stored_claims: Vec<Box<str>>,
    /// What these rules add to a key set's identity in a cache key (`None`: nothing, so
    /// every location with the same keys shares entries).
    stored_id: Option<u64>,
    /// The cache key's first part for `verifier`: the key set's identity, or one that also
    /// names the custom claims these rules store.
    cache_id: u64,
}

/// A token that passed every check of a location. Only an accepted token is ever handed
/// out: nothing of a rejected token (not even an authentic one that expired, was revoked or
/// names another audience) can reach a variable, a header or a rate-limit key.
#[derive(Debug)]
pub struct Accepted {
    /// The verified token.
    pub token: VerifiedToken,
    /// The forwarded claims the token has, with their values (an absent or withheld claim
    /// has no entry: its header is not sent).
    pub forwarded: Vec<Forwarded>,
    /// Forwarded claims withheld because their value holds a control character (see
    /// [`ClaimsView::header_text`]); empty in the normal case.
    pub withheld: Vec<Arc<ForwardedClaim>>,
}

/// The state every worker shares, as one decision sees it: the revocations in force and the
/// record of used tokens. The nginx layer keeps them in the shared zone (or Redis).
#[derive(Clone, Copy, Default)]
pub struct Live<'a> {
    /// The revocations this worker has in force (`None`: none).
    pub revocations: Option<&'a RevocationSet>,
    /// Where used tokens are recorded, for locations with replay protection (`None`: such a
    /// location refuses every token as [`Rejection::Unavailable`]).
    pub replay: Option<&'a dyn ReplayStore>,
    /// A clock to time verifications with (`None`: not timed); read only on a cache miss.
    pub clock: Option<&'a dyn Clock>,
}

impl Live<'_> {
    /// No revocation, no replay store: for tests and benchmarks.
    pub const NONE: Live<'static> = Live { revocations: None, replay: None, clock: None };
}

/// Where a verification came from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Found {
    /// This worker's cache.
    Worker,
    /// The cache shared by the workers.
    Shared,
    /// A signature check, just now.
    Verified,
}

/// The outcome of [`AccessRules::decide`].
#[derive(Debug)]
pub struct Decision {
    /// Whether the signature check was skipped thanks to the cache (either level).
    pub cache_hit: bool,
    /// Whether that hit came from the cache shared by the workers rather than this worker's.
    pub shared_hit: bool,
    /// The accepted token, or the reason for refusing.
    pub verdict: Result<Accepted, Rejection>,
    /// How long the signature check took, when one was made and [`Live::clock`] was given.
    pub verify_nanos: Option<u64>,
}

impl AccessRules {
    /// The rules of one protected location.
    pub fn new(
        verifier: Arc<Verifier>,
        policy: Policy,
        replay_protection: bool,
        forwarded: Vec<ForwardedClaim>,
        max_token_size: usize,
    ) -> AccessRules {
        AccessRules::build(Some(verifier), policy, replay_protection, forwarded, max_token_size)
    }

    /// Rules whose keys are all fetched at run time: every decision names its key set
    /// ([`AccessRules::decide_with`]); [`AccessRules::decide`] finds no key.
    pub fn without_keys(
        policy: Policy,
        replay_protection: bool,
        forwarded: Vec<ForwardedClaim>,
        max_token_size: usize,
    ) -> AccessRules {
        AccessRules::build(None, policy, replay_protection, forwarded, max_token_size)
    }

    fn build(
        verifier: Option<Arc<Verifier>>,
        policy: Policy,
        replay_protection: bool,
        forwarded: Vec<ForwardedClaim>,
        max_token_size: usize,
    ) -> AccessRules {
        let forwarded: Vec<_> = forwarded.into_iter().map(Arc::new).collect();
        let forwarded_names =
            forwarded.iter().map(|f| &f.claim).filter(|name| !TYPED_TEXT.contains(&&***name));
        let required_names =
            policy.required_claims.iter().filter(|name| !Claims::is_registered(name));
        let scope_claim = Some(&policy.scope_claim).filter(|name| !TYPED_TEXT.contains(&&***name));
        let mut stored_claims: Vec<Box<str>> = Vec::new();
        for name in forwarded_names.chain(required_names).chain(scope_claim) {
            if !stored_claims.contains(name) {
                stored_claims.push(name.clone());
            }
        }
        let stored_id = match (stored_claims.is_empty(), scope_claim) {
            (true, None) => None,
            // Entries that also carry these claims' values, and whose scope claim was checked
            // for its type: keyed by the names as well, never shared with other rules.
            (_, scope_claim) => {
                let names = stored_claims.iter().map(|name| name.as_bytes());
                let scope = scope_claim.map_or(&b""[..], |name| name.as_bytes());
                Some(content_id(
                    [&b"stored claims"[..]].into_iter().chain(names).chain([&b"scope"[..], scope]),
                ))
            }
        };
        let mut rules = AccessRules {
            verifier: None,
            policy,
            replay_protection,
            forwarded,
            max_token_size,
            stored_claims,
            stored_id,
            cache_id: 0,
        };
        rules.cache_id = verifier.as_deref().map_or(0, |verifier| rules.cache_id_for(verifier));
        rules.verifier = verifier;
        rules
    }

    /// The cache key's first part for decisions made with `verifier`.
    fn cache_id_for(&self, verifier: &Verifier) -> u64 {
        match self.stored_id {
            None => verifier.id(),
            Some(stored) => {
                content_id([&verifier.id().to_be_bytes()[..], &stored.to_be_bytes()[..]])
            }
        }
    }

    /// Keeps this location's custom claims with a fresh verification (read once, here).
    fn with_stored_claims(&self, token: VerifiedToken) -> VerifiedToken {
        if self.stored_claims.is_empty() {
            return token;
        }
        let view = ClaimsView::new(&token);
        let values: Vec<_> = self.stored_claims.iter().map(|name| view.text(name)).collect();
        let extras: Vec<_> =
            self.stored_claims.iter().zip(&values).map(|(n, v)| (&**n, v.as_deref())).collect();
        match token.claims.with_stored(&extras) {
            Ok(claims) => VerifiedToken { alg: token.alg, claims },
            // Too large to lay out: the claims are then read from the payload when needed.
            Err(_) => token,
        }
    }

    /// Decides on one token, with this worker's cache (and the shared one behind it) and the
    /// state shared by every worker.
    pub fn decide(&self, raw: &[u8], cache: &mut TokenCache, live: Live<'_>, now: i64) -> Decision {
        match &self.verifier {
            Some(verifier) => self.decide_with(verifier, raw, cache, live, now),
            None => Decision {
                cache_hit: false,
                shared_hit: false,
                verdict: Err(Rejection::NoMatchingKey),
                verify_nanos: None,
            },
        }
    }

    /// [`AccessRules::decide`] with another key set (one fetched at run time).
    pub fn decide_with(
        &self,
        verifier: &Verifier,
        raw: &[u8],
        cache: &mut TokenCache,
        live: Live<'_>,
        now: i64,
    ) -> Decision {
        if raw.len() > self.max_token_size {
            return Decision {
                cache_hit: false,
                shared_hit: false,
                verdict: Err(Rejection::TooLarge),
                verify_nanos: None,
            };
        }
        let mut verify_nanos = None;
        match self.verified(verifier, raw, cache, now, live.clock, &mut verify_nanos) {
            Ok((token, found)) => Decision {
                cache_hit: found != Found::Verified,
                shared_hit: found == Found::Shared,
                verdict: self.check_verified(token, live, now),
                verify_nanos,
            },
            Err(rejection) => Decision {
                cache_hit: false,
                shared_hit: false,
                verdict: Err(rejection),
                verify_nanos,
            },
        }
    }

    /// The token's verification: from this worker's cache, else from the shared one, else
    /// done now and given to both.
    fn verified(
        &self,
        verifier: &Verifier,
        raw: &[u8],
        cache: &mut TokenCache,
        now: i64,
        clock: Option<&dyn Clock>,
        verify_nanos: &mut Option<u64>,
    ) -> Result<(VerifiedToken, Found), Rejection> {
        let own = self.verifier.as_deref().is_some_and(|own| std::ptr::eq(own, verifier));
        let id = if own { self.cache_id } else { self.cache_id_for(verifier) };
        if let Some(token) = cache.get(id, raw, now) {
            return Ok((token, Found::Worker));
        }
        // A shared entry was verified by some worker under the same key set and allow-list
        // (the id says so); its algorithm is checked against the list all the same.
        let shared = cache.shared_get(id, raw, now);
        if let Some(token) = shared.filter(|token| verifier.algorithms().contains(token.alg)) {
            return Ok((token, Found::Shared));
        }
        let started = clock.map(Clock::nanos);
        let verified = verifier.verify(raw, cache.header_memo());
        if let (Some(clock), Some(started)) = (clock, started) {
            *verify_nanos = Some(clock.nanos().saturating_sub(started));
        }
        match verified {
            Ok(token) => {
                // A scope claim of a type no scope list has is an invalid token, whatever the
                // scopes required (checked once, before the verification is cached).
                if !ClaimsView::new(&token).scope_claim_is_well_typed(&self.policy.scope_claim) {
                    return Err(Rejection::BadClaims);
                }
                let token = self.with_stored_claims(token);
                cache.shared_put(id, &token, now);
                cache.insert(id, token.clone(), now);
                Ok((token, Found::Verified))
            }
            // A token that verified is made of base64url and dots, a subset of RFC 6750's
            // b64token: only a failure needs the syntax check, to tell a malformed credential
            // header from a token that is invalid for a later reason.
            Err(rejection) => Err(match is_b64token(raw) {
                true => rejection,
                false => Rejection::BadCredentialSyntax,
            }),
        }
    }

    /// Decides on a registered API key's credential ([`crate::api_key::registry`]): its
    /// expiry and audience, revocation (by `jti`, the key id, and by `sub`), its scopes, then
    /// the forwarded claims, as for a token. Not checked: the issuer and the required claims
    /// (a key has no issuer and only the claims its registry line gives), and replay (a key
    /// is meant to be used again).
    pub fn check_api_key(
        &self,
        token: VerifiedToken,
        live: Live<'_>,
        now: i64,
    ) -> Result<Accepted, Rejection> {
        let view = ClaimsView::new(&token);
        self.policy.check_api_key(&view, now)?;
        self.finish(token, live, now, None)
    }

    fn check_verified(
        &self,
        token: VerifiedToken,
        live: Live<'_>,
        now: i64,
    ) -> Result<Accepted, Rejection> {
        let view = ClaimsView::new(&token);
        self.policy.check_token(&view, now)?;
        drop(view);
        self.finish(token, live, now, Some(self.replay_protection))
    }

    /// Revocation, scopes, replay and the forwarded claims. `jwt_replay`: `None` for an API
    /// key (scopes in `scope`, never replay-checked), else whether replay is checked.
    fn finish(
        &self,
        token: VerifiedToken,
        live: Live<'_>,
        now: i64,
        jwt_replay: Option<bool>,
    ) -> Result<Accepted, Rejection> {
        let view = ClaimsView::new(&token);
        if live.revocations.is_some_and(|set| set.is_revoked(&token.claims, now)) {
            return Err(Rejection::Revoked);
        }
        match jwt_replay {
            Some(_) => self.policy.check_scopes(&view)?,
            None => self.policy.check_scopes_in(&view, "scope")?,
        }
        if jwt_replay == Some(true) {
            self.first_use(&token, live, now)?;
        }
        let mut forwarded = Vec::with_capacity(self.forwarded.len());
        let mut withheld = Vec::new();
        for to in &self.forwarded {
            match view.header_text(&to.claim) {
                Ok(Some(value)) => {
                    forwarded.push(Forwarded { to: Arc::clone(to), value: value.into_owned() })
                }
                Ok(None) => {}
                Err(Withheld) => withheld.push(Arc::clone(to)),
            }
        }
        drop(view);
        Ok(Accepted { token, forwarded, withheld })
    }

    /// Records the token's first use; a token without `jti` or `exp` cannot be remembered
    /// until it expires, so it is refused (the configuration also requires both).
    fn first_use(&self, token: &VerifiedToken, live: Live<'_>, now: i64) -> Result<(), Rejection> {
        let claims = &token.claims;
        let (Some(key), Some(exp)) = (replay_key(claims), claims.exp()) else {
            return Err(Rejection::BadClaims);
        };
        let store = live.replay.ok_or(Rejection::Unavailable)?;
        let client = replay_client(claims);
        match store.first_use(&key, client, exp.saturating_add(self.policy.leeway), now) {
            FirstUse::First => Ok(()),
            FirstUse::Replayed => Err(Rejection::Replayed),
            FirstUse::Unavailable => Err(Rejection::Unavailable),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::defaults;
    use crate::jose::keys::{parse_key_file, KeyFormat};
    use crate::jose::sign;
    use crate::shared_cache::{alg_code, InMemorySharedTokens, SharedTokens};

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn hs256(claims: &str) -> String {
        let key = jsonwebtoken::EncodingKey::from_secret(SECRET);
        let key = sign::SigningKey::new(jsonwebtoken::Algorithm::HS256, &key).expect("HS256 key");
        sign::mint(br#"{"alg":"HS256"}"#, claims.as_bytes(), &key).expect("signs")
    }

    fn verifier() -> Arc<Verifier> {
        let keys = parse_key_file(SECRET, Some(KeyFormat::Secret)).unwrap().keys;
        Arc::new(Verifier::new(keys, None).unwrap())
    }

    fn forwarding(verifier: &Arc<Verifier>, claims: &[&str], required: &[&str]) -> AccessRules {
        let policy = Policy {
            required_claims: required.iter().map(|&name| name.into()).collect(),
            ..Policy::default()
        };
        let forwarded =
            claims.iter().map(|&claim| ForwardedClaim::new(claim, &format!("X-{claim}"))).collect();
        AccessRules::new(Arc::clone(verifier), policy, false, forwarded, defaults::MAX_TOKEN_SIZE)
    }

    /// (header, value) of each forwarded claim, in order.
    fn sent(accepted: &Accepted) -> Vec<(&str, &str)> {
        accepted.forwarded.iter().map(|f| (&*f.to.header, f.value.as_str())).collect()
    }

    #[test]
    fn custom_claims_are_read_once_and_served_from_the_cache() {
        let token = hs256(r#"{"sub":"s","exp":100,"email":"a@b","n":[1,"x"]}"#);
        let verifier = verifier();
        let rules = forwarding(&verifier, &["email", "n", "sub", "missing"], &["exp", "tenant"]);
        let mut cache = TokenCache::new(8);
        let first = rules.decide(token.as_bytes(), &mut cache, Live::NONE, 0);
        assert_eq!(first.verdict.err(), Some(Rejection::BadClaims), "tenant is required");
        let rules = forwarding(&verifier, &["email", "n", "sub", "missing"], &["exp", "email"]);
        let miss = rules.decide(token.as_bytes(), &mut cache, Live::NONE, 0);
        let hit = rules.decide(token.as_bytes(), &mut cache, Live::NONE, 0);
        assert!(!miss.cache_hit && hit.cache_hit);
        let expected = [("X-email", "a@b"), ("X-n", "[1,\"x\"]"), ("X-sub", "s")];
        assert_eq!(sent(miss.verdict.as_ref().unwrap()), expected);
        let hit = hit.verdict.unwrap();
        assert_eq!(sent(&hit), expected, "an absent claim has no entry");
        assert!(hit.withheld.is_empty());
        let claims = &hit.token.claims;
        assert_eq!(claims.stored("email"), Some(Some("a@b")));
        assert_eq!(claims.stored("missing"), Some(None));
        assert_eq!(claims.stored("sub"), None, "typed claims are not stored twice");
    }

    #[test]
    fn locations_share_cache_entries_unless_they_store_claims_of_their_own() {
        let token = hs256(r#"{"sub":"s","exp":100,"email":"a@b"}"#);
        let verifier = verifier();
        let (plain, also_plain) =
            (forwarding(&verifier, &["sub"], &[]), forwarding(&verifier, &[], &[]));
        let custom = forwarding(&verifier, &["email"], &[]);
        let mut cache = TokenCache::new(8);
        assert!(!plain.decide(token.as_bytes(), &mut cache, Live::NONE, 0).cache_hit);
        assert!(also_plain.decide(token.as_bytes(), &mut cache, Live::NONE, 0).cache_hit);
        assert!(!custom.decide(token.as_bytes(), &mut cache, Live::NONE, 0).cache_hit);
        assert!(custom.decide(token.as_bytes(), &mut cache, Live::NONE, 0).cache_hit);
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn syntax_errors_are_told_from_invalid_tokens_on_a_miss() {
        let rules = forwarding(&verifier(), &[], &[]);
        let mut cache = TokenCache::new(8);
        let verdict = |raw: &str, cache: &mut TokenCache| {
            rules
                .decide(raw.as_bytes(), cache, Live::NONE, 0)
                .verdict
                .map(|accepted| accepted.forwarded.len())
        };
        assert_eq!(verdict("a b.c.d", &mut cache).err(), Some(Rejection::BadCredentialSyntax));
        assert_eq!(verdict("abc.def.ghi", &mut cache).err(), Some(Rejection::Malformed));
        let mut forged = hs256(r#"{"exp":100}"#);
        forged.push('A');
        assert!(verdict(&forged, &mut cache).is_err());
        assert_eq!(verdict(&hs256(r#"{"exp":100}"#), &mut cache).ok(), Some(0));
    }

    #[test]
    fn only_an_accepted_token_is_handed_out() {
        let verifier = verifier();
        let policy = Policy {
            audiences: vec!["api".into()],
            required_scopes: vec!["read".into()],
            ..Policy::default()
        };
        let rules = AccessRules::new(verifier, policy, false, Vec::new(), defaults::MAX_TOKEN_SIZE);
        let mut cache = TokenCache::new(8);
        // Authentic tokens that fail a later check: the verdict carries no token at all.
        let cases = [
            (r#"{"sub":"victim","exp":10,"aud":"api","scope":"read"}"#, Rejection::Expired),
            (
                r#"{"sub":"victim","exp":100,"aud":"other","scope":"read"}"#,
                Rejection::WrongAudience,
            ),
            (
                r#"{"sub":"victim","exp":100,"aud":"api","scope":"write"}"#,
                Rejection::InsufficientScope,
            ),
        ];
        for (claims, expected) in cases {
            let decision = rules.decide(hs256(claims).as_bytes(), &mut cache, Live::NONE, 50);
            assert_eq!(decision.verdict.err(), Some(expected), "{claims}");
        }
        let ok = hs256(r#"{"sub":"victim","exp":100,"aud":"api","scope":"read"}"#);
        let accepted = rules.decide(ok.as_bytes(), &mut cache, Live::NONE, 50).verdict.unwrap();
        assert_eq!(accepted.token.claims.sub(), Some("victim"));
    }

    #[test]
    fn scopes_from_another_claim_as_a_string_or_an_array() {
        let verifier = verifier();
        let scp = |required: &[&str]| {
            let policy = Policy {
                required_scopes: required.iter().map(|&s| s.into()).collect(),
                scope_claim: "scp".into(),
                ..Policy::default()
            };
            AccessRules::new(Arc::clone(&verifier), policy, false, Vec::new(), 8192)
        };
        let (read, admin) = (scp(&["read"]), scp(&["admin"]));
        let mut cache = TokenCache::new(8);
        let verdict = |rules: &AccessRules, claims: &str, cache: &mut TokenCache| {
            rules.decide(hs256(claims).as_bytes(), cache, Live::NONE, 0).verdict.err()
        };
        for claims in [r#"{"exp":9,"scp":["read","write"]}"#, r#"{"exp":9,"scp":"write read"}"#] {
            assert_eq!(verdict(&read, claims, &mut cache), None, "{claims}");
            assert_eq!(verdict(&read, claims, &mut cache), None, "{claims}, cached");
            assert_eq!(verdict(&admin, claims, &mut cache), Some(Rejection::InsufficientScope));
        }
        // `scope` is not looked at when the scope claim is `scp`.
        let scope_only = r#"{"exp":9,"scope":"read"}"#;
        assert_eq!(verdict(&read, scope_only, &mut cache), Some(Rejection::InsufficientScope));
        // Other types are invalid tokens, scopes required or not.
        let none = scp(&[]);
        for claims in [
            r#"{"exp":9,"scp":7}"#,
            r#"{"exp":9,"scp":["read",1]}"#,
            r#"{"exp":9,"scp":["read write"]}"#,
        ] {
            assert_eq!(verdict(&none, claims, &mut cache), Some(Rejection::BadClaims), "{claims}");
            // A location that reads `scope` accepts the same token, and never shares its
            // cache entry with the `scp` rules (which would skip the type check on a hit).
            let plain = forwarding(&verifier, &["scp"], &[]);
            assert_eq!(verdict(&plain, claims, &mut cache), None, "{claims}");
            assert_eq!(verdict(&none, claims, &mut cache), Some(Rejection::BadClaims), "{claims}");
        }
    }

    /// One store shared by several "workers" (each with its own `TokenCache`).
    struct SharedHandle(std::rc::Rc<InMemorySharedTokens>);

    impl SharedTokens for SharedHandle {
        fn get(&self, id: u64, token: &[u8], now: i64) -> Option<VerifiedToken> {
            self.0.get(id, token, now)
        }
        fn put(&self, id: u64, token: &VerifiedToken, now: i64) {
            self.0.put(id, token, now)
        }
    }

    /// A worker's cache of `l1` entries, attached to `store`.
    fn worker(store: &std::rc::Rc<InMemorySharedTokens>, l1: usize) -> TokenCache {
        let mut cache = TokenCache::new(l1);
        cache.set_shared(Some(Box::new(SharedHandle(std::rc::Rc::clone(store)))));
        cache
    }

    fn workers(n: usize, l1: usize) -> (std::rc::Rc<InMemorySharedTokens>, Vec<TokenCache>) {
        let store = std::rc::Rc::new(InMemorySharedTokens::new(64));
        let caches = (0..n).map(|_| worker(&store, l1)).collect();
        (store, caches)
    }

    /// (cache_hit, shared_hit, accepted) of one decision.
    fn outcome(
        rules: &AccessRules,
        token: &str,
        cache: &mut TokenCache,
        now: i64,
    ) -> (bool, bool, bool) {
        let d = rules.decide(token.as_bytes(), cache, Live::NONE, now);
        (d.cache_hit, d.shared_hit, d.verdict.is_ok())
    }

    #[test]
    fn a_token_is_verified_once_for_all_workers() {
        let token = hs256(r#"{"sub":"s","exp":100,"email":"a@b"}"#);
        let rules = forwarding(&verifier(), &["email"], &[]);
        let (store, mut caches) = workers(3, 8);
        let [a, b, c] = &mut caches[..] else { unreachable!() };
        assert_eq!(outcome(&rules, &token, a, 0), (false, false, true), "verified");
        assert_eq!(outcome(&rules, &token, b, 0), (true, true, true), "from the shared cache");
        assert_eq!(outcome(&rules, &token, b, 0), (true, false, true), "then from its own");
        assert_eq!(outcome(&rules, &token, c, 0), (true, true, true));
        assert_eq!(store.puts.get(), 1, "one verification, one store");
        // The shared entry carries the location's stored claims: a hit reads no JSON.
        let hit = rules.decide(token.as_bytes(), c, Live::NONE, 0).verdict.unwrap();
        assert_eq!(sent(&hit), [("X-email", "a@b")]);
        assert_eq!(hit.token.claims.stored("email"), Some(Some("a@b")));
        // credentialflow_cache_size 0 turns caching off, the shared level's included.
        let (store, mut off) = workers(2, 0);
        assert_eq!(outcome(&rules, &token, &mut off[0], 0), (false, false, true));
        assert_eq!(outcome(&rules, &token, &mut off[1], 0), (false, false, true));
        assert_eq!((store.puts.get(), store.len()), (0, 0));
    }

    #[test]
    fn another_key_set_never_gets_the_shared_entry() {
        let token = hs256(r#"{"sub":"s","exp":100}"#);
        let rules = forwarding(&verifier(), &[], &[]);
        // The same secret plus another one: a new key set, which also verifies the token.
        let mut keys = parse_key_file(SECRET, Some(KeyFormat::Secret)).unwrap().keys;
        let other_secret = b"fedcba9876543210fedcba9876543210";
        keys.extend(parse_key_file(other_secret, Some(KeyFormat::Secret)).unwrap().keys);
        let rotated = forwarding(&Arc::new(Verifier::new(keys, None).unwrap()), &[], &[]);
        // Keys that cannot verify the token at all.
        let other = parse_key_file(other_secret, Some(KeyFormat::Secret)).unwrap().keys;
        let foreign = forwarding(&Arc::new(Verifier::new(other, None).unwrap()), &[], &[]);
        let (store, mut caches) = workers(2, 8);
        assert_eq!(outcome(&rules, &token, &mut caches[0], 0), (false, false, true));
        assert_eq!(outcome(&rotated, &token, &mut caches[1], 0), (false, false, true));
        assert_eq!(outcome(&foreign, &token, &mut caches[1], 0), (false, false, false));
        assert_eq!(store.puts.get(), 2, "a refused token is never stored");
        assert_eq!(store.len(), 2);
    }

    #[test]
    fn what_the_shared_store_returns_is_checked_again() {
        let token = hs256(r#"{"sub":"s","exp":100}"#);
        let other = hs256(r#"{"sub":"mallory","exp":100}"#);
        let rules = forwarding(&verifier(), &[], &[]);
        // A new worker for every request: its own cache is empty, so the shared one answers.
        let store = std::rc::Rc::new(InMemorySharedTokens::new(64));
        let id = rules.cache_id;
        assert!(rules
            .decide(other.as_bytes(), &mut worker(&store, 8), Live::NONE, 0)
            .verdict
            .is_ok());
        let other_record = rules.decide(other.as_bytes(), &mut worker(&store, 8), Live::NONE, 0);
        assert!(other_record.shared_hit);
        let other_record = other_record.verdict.unwrap().token.claims.record().to_vec();
        // Another token's record under this token's key: not served, verified instead.
        store.overwrite(id, token.as_bytes(), 0, &other_record);
        let d = rules.decide(token.as_bytes(), &mut worker(&store, 8), Live::NONE, 0);
        assert!(!d.cache_hit && d.verdict.unwrap().token.claims.sub() == Some("s"));
        // Damaged bytes and unknown algorithms: not served.
        let good = store.get(id, token.as_bytes(), 0).unwrap();
        let mut torn = good.claims.record().to_vec();
        torn.truncate(torn.len() - 1);
        store.overwrite(id, token.as_bytes(), 0, &torn);
        assert_eq!(outcome(&rules, &token, &mut worker(&store, 8), 0), (false, false, true));
        store.overwrite(id, token.as_bytes(), 200, good.claims.record());
        assert_eq!(outcome(&rules, &token, &mut worker(&store, 8), 0), (false, false, true));
        // An algorithm the location does not allow: not served.
        store.overwrite(
            id,
            token.as_bytes(),
            alg_code(crate::Algorithm::RS256),
            good.claims.record(),
        );
        assert_eq!(outcome(&rules, &token, &mut worker(&store, 8), 0), (false, false, true));
        // The real thing again: served.
        store.overwrite(id, token.as_bytes(), 0, good.claims.record());
        assert_eq!(outcome(&rules, &token, &mut worker(&store, 8), 0), (true, true, true));
    }

    #[test]
    fn an_expired_shared_entry_is_never_served_nor_stored() {
        let token = hs256(r#"{"sub":"s","exp":100}"#);
        let rules = forwarding(&verifier(), &[], &[]);
        let (store, mut caches) = workers(2, 8);
        assert_eq!(outcome(&rules, &token, &mut caches[0], 99), (false, false, true));
        assert_eq!(outcome(&rules, &token, &mut caches[1], 99), (true, true, true));
        // The store keeps it (the in-memory one never expires entries): the cache refuses it.
        assert_eq!(store.len(), 1);
        let d = rules.decide(token.as_bytes(), &mut worker(&store, 8), Live::NONE, 100);
        assert!(!d.cache_hit && !d.shared_hit);
        assert_eq!(d.verdict.err(), Some(Rejection::Expired));
        assert_eq!(store.puts.get(), 1, "verified again at exp: not stored");
        // Without exp: verified, never stored.
        let no_exp = forwarding(&verifier(), &[], &["sub"]);
        assert!(no_exp
            .decide(hs256(r#"{"sub":"s"}"#).as_bytes(), &mut caches[0], Live::NONE, 0)
            .verdict
            .is_ok());
        assert_eq!(store.puts.get(), 1);
    }

    #[test]
    fn forwarded_claims_with_control_characters_are_withheld_not_refused() {
        let token = hs256(r#"{"sub":"a\r\nX-Admin: true","exp":100,"email":"a@b"}"#);
        let rules = forwarding(&verifier(), &["sub", "email"], &[]);
        let mut cache = TokenCache::new(8);
        for _miss_then_hit in 0..2 {
            let accepted =
                rules.decide(token.as_bytes(), &mut cache, Live::NONE, 0).verdict.unwrap();
            assert_eq!(sent(&accepted), [("X-email", "a@b")]);
            let withheld: Vec<_> = accepted.withheld.iter().map(|f| &*f.claim).collect();
            assert_eq!(withheld, ["sub"]);
        }
    }
}
