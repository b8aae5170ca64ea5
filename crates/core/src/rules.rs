//! One location's whole decision for one token: size limit, cache, signature, claim policy,
//! revocation, then scopes (authentication failures win over authorization), and the values
//! of the forwarded claims of a token that passed them all.

use std::sync::Arc;

use crate::cache::TokenCache;
use crate::claims_view::{ClaimsView, Withheld, TYPED_TEXT};
use crate::credential::is_b64token;
use crate::fingerprint::content_id;
use crate::jose::claims::Claims;
use crate::policy::Policy;
use crate::reject::Rejection;
use crate::revocation::RevocationSource;
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
    /// Key set and algorithm allow-list.
    pub verifier: Arc<Verifier>,
    /// Time, issuer, audience, required claims and scopes.
    pub policy: Policy,
    /// The revocation list in force, if any.
    pub revocation: Option<Arc<RevocationSource>>,
    /// Claims forwarded upstream.
    pub forwarded: Vec<Arc<ForwardedClaim>>,
    /// Longest token decoded at all.
    pub max_token_size: usize,
    /// Custom claims this location reads on every request (forwarded or required), stored
    /// with each cached verification so that a hit reads no JSON.
    stored_claims: Vec<Box<str>>,
    /// The cache key's first part: the verifier's identity, shared by every location with the
    /// same keys, or one that also names the custom claims these rules store.
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

/// The outcome of [`AccessRules::decide`].
#[derive(Debug)]
pub struct Decision {
    /// Whether the signature check was skipped thanks to the cache.
    pub cache_hit: bool,
    /// The accepted token, or the reason for refusing.
    pub verdict: Result<Accepted, Rejection>,
}

impl AccessRules {
    /// The rules of one protected location.
    pub fn new(
        verifier: Arc<Verifier>,
        policy: Policy,
        revocation: Option<Arc<RevocationSource>>,
        forwarded: Vec<ForwardedClaim>,
        max_token_size: usize,
    ) -> AccessRules {
        let forwarded: Vec<_> = forwarded.into_iter().map(Arc::new).collect();
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
            // Entries that also carry these claims' values: keyed by the names as well.
            false => {
                let id = verifier.id().to_be_bytes();
                let names = stored_claims.iter().map(|name| name.as_bytes());
                content_id([&b"stored claims"[..], &id].into_iter().chain(names))
            }
        };
        AccessRules {
            verifier,
            policy,
            revocation,
            forwarded,
            max_token_size,
            stored_claims,
            cache_id,
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

    /// Decides on one token, with this worker's cache.
    pub fn decide(&self, raw: &[u8], cache: &mut TokenCache, now: i64) -> Decision {
        if raw.len() > self.max_token_size {
            return Decision { cache_hit: false, verdict: Err(Rejection::TooLarge) };
        }
        let id = self.cache_id;
        let (token, cache_hit) = match cache.get(id, raw, now) {
            Some(token) => (token, true),
            None => match self.verifier.verify(raw, cache.header_memo()) {
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
                    return Decision { cache_hit: false, verdict: Err(rejection) };
                }
            },
        };
        Decision { cache_hit, verdict: self.check_verified(token, now) }
    }

    fn check_verified(&self, token: VerifiedToken, now: i64) -> Result<Accepted, Rejection> {
        let view = ClaimsView::new(&token);
        self.policy.check_token(&view, now)?;
        if self.revocation.as_ref().is_some_and(|source| source.is_revoked(&token.claims)) {
            return Err(Rejection::Revoked);
        }
        self.policy.check_scopes(&token)?;
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::defaults;
    use crate::jose::keys::{parse_key_file, KeyFormat};
    use crate::jose::sign;

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
        AccessRules::new(Arc::clone(verifier), policy, None, forwarded, defaults::MAX_TOKEN_SIZE)
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
        let first = rules.decide(token.as_bytes(), &mut cache, 0);
        assert_eq!(first.verdict.err(), Some(Rejection::BadClaims), "tenant is required");
        let rules = forwarding(&verifier, &["email", "n", "sub", "missing"], &["exp", "email"]);
        let miss = rules.decide(token.as_bytes(), &mut cache, 0);
        let hit = rules.decide(token.as_bytes(), &mut cache, 0);
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
        assert!(!plain.decide(token.as_bytes(), &mut cache, 0).cache_hit);
        assert!(also_plain.decide(token.as_bytes(), &mut cache, 0).cache_hit);
        assert!(!custom.decide(token.as_bytes(), &mut cache, 0).cache_hit);
        assert!(custom.decide(token.as_bytes(), &mut cache, 0).cache_hit);
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn syntax_errors_are_told_from_invalid_tokens_on_a_miss() {
        let rules = forwarding(&verifier(), &[], &[]);
        let mut cache = TokenCache::new(8);
        let verdict = |raw: &str, cache: &mut TokenCache| {
            rules.decide(raw.as_bytes(), cache, 0).verdict.map(|accepted| accepted.forwarded.len())
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
        let rules = AccessRules::new(verifier, policy, None, Vec::new(), defaults::MAX_TOKEN_SIZE);
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
            let decision = rules.decide(hs256(claims).as_bytes(), &mut cache, 50);
            assert_eq!(decision.verdict.err(), Some(expected), "{claims}");
        }
        let ok = hs256(r#"{"sub":"victim","exp":100,"aud":"api","scope":"read"}"#);
        let accepted = rules.decide(ok.as_bytes(), &mut cache, 50).verdict.unwrap();
        assert_eq!(accepted.token.claims.sub(), Some("victim"));
    }

    #[test]
    fn forwarded_claims_with_control_characters_are_withheld_not_refused() {
        let token = hs256(r#"{"sub":"a\r\nX-Admin: true","exp":100,"email":"a@b"}"#);
        let rules = forwarding(&verifier(), &["sub", "email"], &[]);
        let mut cache = TokenCache::new(8);
        for _miss_then_hit in 0..2 {
            let accepted = rules.decide(token.as_bytes(), &mut cache, 0).verdict.unwrap();
            assert_eq!(sent(&accepted), [("X-email", "a@b")]);
            let withheld: Vec<_> = accepted.withheld.iter().map(|f| &*f.claim).collect();
            assert_eq!(withheld, ["sub"]);
        }
    }
}
