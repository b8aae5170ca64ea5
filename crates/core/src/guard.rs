//! One location's whole decision for one token: size limit, cache, signature, claim policy,
//! revocation, forwarded claims, then scopes (authentication failures win over authorization).

use std::sync::Arc;

use crate::cache::TokenCache;
use crate::claims_view::{is_header_safe, ClaimsView, TYPED_TEXT};
use crate::policy::Policy;
use crate::reject::Rejection;
use crate::revocation::RevocationSource;
use crate::token::claims::Claims;
use crate::token::extract::is_b64token;
use crate::verifier::{VerifiedToken, Verifier};

/// Default `credentialflow_max_token_size`: 8 KiB.
pub const DEFAULT_MAX_TOKEN_SIZE: usize = 8 * 1024;

/// A claim sent to the upstream in a request header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardedClaim {
    /// The claim name.
    pub claim: Box<str>,
    /// The request header that carries it.
    pub header: Box<str>,
}

/// Everything a location checks.
#[derive(Debug)]
pub struct Guard {
    /// Key set and algorithm allow-list.
    pub verifier: Arc<Verifier>,
    /// Time, issuer, audience, required claims and scopes.
    pub policy: Policy,
    /// The revocation list in force, if any.
    pub revocation: Option<Arc<RevocationSource>>,
    /// Claims forwarded upstream.
    pub forwarded: Vec<ForwardedClaim>,
    /// Longest token decoded at all.
    pub max_token_size: usize,
    /// Custom claims this location reads on every request (forwarded or required), stored
    /// with each cached verification so that a hit reads no JSON.
    stored_claims: Vec<Box<str>>,
    /// The cache key's first part: the verifier's identity, shared by every location with the
    /// same keys, or this guard's own when it stores custom claims of its own choosing.
    cache_id: u64,
}

/// The outcome of [`Guard::check`].
#[derive(Debug)]
pub struct Decision {
    /// The verified token, whenever the signature verified (even if a later check failed),
    /// so variables can describe a rejected but authentic token.
    pub token: Option<VerifiedToken>,
    /// Whether the verification came from the cache.
    pub cache_hit: bool,
    /// The values of the forwarded claims (in `Guard::forwarded` order; `None`: absent), or
    /// the reason for refusing.
    pub verdict: Result<Vec<Option<String>>, Rejection>,
}

impl Guard {
    /// A location's guard.
    pub fn new(
        verifier: Arc<Verifier>,
        policy: Policy,
        revocation: Option<Arc<RevocationSource>>,
        forwarded: Vec<ForwardedClaim>,
        max_token_size: usize,
    ) -> Guard {
        let forwarded_names =
            forwarded.iter().map(|f| &f.claim).filter(|name| !TYPED_TEXT.contains(&&***name));
        let required_names =
            policy.required_claims.iter().filter(|name| !Claims::is_registered(name));
        let mut stored_claims: Vec<Box<str>> = Vec::new();
        for name in forwarded_names.chain(required_names) {
            if !stored_claims.contains(name) {
                stored_claims.push(name.clone());
            }
        }
        let cache_id = match stored_claims.is_empty() {
            true => verifier.id(),
            false => crate::verifier::unique_id(),
        };
        Guard { verifier, policy, revocation, forwarded, max_token_size, stored_claims, cache_id }
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

    /// Decides on one token.
    pub fn check(&self, raw: &[u8], cache: &mut TokenCache, now: i64) -> Decision {
        if raw.len() > self.max_token_size {
            return Decision { token: None, cache_hit: false, verdict: Err(Rejection::TooLarge) };
        }
        let id = self.cache_id;
        let (token, cache_hit) = match cache.get(id, raw, now) {
            Some(token) => (token, true),
            None => match self.verifier.verify(raw) {
                Ok(token) => {
                    let token = self.with_stored_claims(token);
                    cache.insert(id, token.clone(), now);
                    (token, false)
                }
                Err(rejection) => {
                    // A token that verified is made of base64url and dots, a subset of RFC
                    // 6750's b64token: only a failure needs the syntax check, to tell a
                    // malformed credential (400) from an invalid token (401).
                    let rejection = match is_b64token(raw) {
                        true => rejection,
                        false => Rejection::BadCredentialSyntax,
                    };
                    return Decision { token: None, cache_hit: false, verdict: Err(rejection) };
                }
            },
        };
        let verdict = self.check_verified(&token, now);
        Decision { token: Some(token), cache_hit, verdict }
    }

    fn check_verified(
        &self,
        token: &VerifiedToken,
        now: i64,
    ) -> Result<Vec<Option<String>>, Rejection> {
        let view = ClaimsView::new(token);
        self.policy.check_token(&view, now)?;
        if self.revocation.as_ref().is_some_and(|source| source.is_revoked(&token.claims)) {
            return Err(Rejection::Revoked);
        }
        let mut values = Vec::with_capacity(self.forwarded.len());
        for forwarded in &self.forwarded {
            let value = view.text(&forwarded.claim);
            if value.as_deref().is_some_and(|v| !is_header_safe(v)) {
                return Err(Rejection::UnsafeForwardedClaim);
            }
            values.push(value.map(|v| v.into_owned()));
        }
        self.policy.check_scopes(token)?;
        Ok(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{parse_key_file, KeyFormat};
    use crate::token::b64;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn hs256(claims: &str) -> String {
        let signing_input =
            format!("{}.{}", b64::encode(br#"{"alg":"HS256"}"#), b64::encode(claims.as_bytes()));
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SECRET);
        let tag = ring::hmac::sign(&key, signing_input.as_bytes());
        format!("{signing_input}.{}", b64::encode(tag.as_ref()))
    }

    fn verifier() -> Arc<Verifier> {
        let keys = parse_key_file(SECRET, Some(KeyFormat::Secret)).unwrap().keys;
        Arc::new(Verifier::new(keys, None).unwrap())
    }

    fn forwarding(verifier: &Arc<Verifier>, claims: &[&str], required: &[&str]) -> Guard {
        let policy = Policy {
            required_claims: required.iter().map(|&name| name.into()).collect(),
            ..Policy::default()
        };
        let forwarded = claims
            .iter()
            .map(|&claim| ForwardedClaim { claim: claim.into(), header: "X-Claim".into() })
            .collect();
        Guard::new(Arc::clone(verifier), policy, None, forwarded, DEFAULT_MAX_TOKEN_SIZE)
    }

    #[test]
    fn custom_claims_are_read_once_and_served_from_the_cache() {
        let token = hs256(r#"{"sub":"s","exp":100,"email":"a@b","n":[1,"x"]}"#);
        let verifier = verifier();
        let guard = forwarding(&verifier, &["email", "n", "sub", "missing"], &["exp", "tenant"]);
        let mut cache = TokenCache::new(8);
        let first = guard.check(token.as_bytes(), &mut cache, 0);
        assert_eq!(first.verdict, Err(Rejection::BadClaims), "tenant is required");
        let guard = forwarding(&verifier, &["email", "n", "sub", "missing"], &["exp", "email"]);
        let miss = guard.check(token.as_bytes(), &mut cache, 0);
        let hit = guard.check(token.as_bytes(), &mut cache, 0);
        assert!(!miss.cache_hit && hit.cache_hit);
        let expected = [Some("a@b"), Some("[1,\"x\"]"), Some("s"), None];
        let expected: Vec<_> = expected.iter().map(|v| v.map(str::to_string)).collect();
        assert_eq!(miss.verdict.as_ref().unwrap(), &expected);
        assert_eq!(hit.verdict.as_ref().unwrap(), &expected);
        let claims = &hit.token.as_ref().unwrap().claims;
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
        assert!(!plain.check(token.as_bytes(), &mut cache, 0).cache_hit);
        assert!(also_plain.check(token.as_bytes(), &mut cache, 0).cache_hit);
        assert!(!custom.check(token.as_bytes(), &mut cache, 0).cache_hit);
        assert!(custom.check(token.as_bytes(), &mut cache, 0).cache_hit);
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn syntax_errors_are_told_from_invalid_tokens_on_a_miss() {
        let guard = forwarding(&verifier(), &[], &[]);
        let mut cache = TokenCache::new(8);
        let verdict =
            |raw: &str, cache: &mut TokenCache| guard.check(raw.as_bytes(), cache, 0).verdict;
        assert_eq!(verdict("a b.c.d", &mut cache), Err(Rejection::BadCredentialSyntax));
        assert_eq!(verdict("abc.def.ghi", &mut cache), Err(Rejection::Malformed));
        let mut forged = hs256(r#"{"exp":100}"#);
        forged.push('A');
        assert_ne!(verdict(&forged, &mut cache), Ok(Vec::new()));
        assert_eq!(verdict(&hs256(r#"{"exp":100}"#), &mut cache), Ok(Vec::new()));
    }
}
