//! One location's whole decision for one token: size limit, cache, signature, claim policy,
//! revocation, forwarded claims, then scopes (authentication failures win over authorization).

use std::sync::Arc;

use crate::cache::TokenCache;
use crate::claims_view::{is_header_safe, ClaimsView};
use crate::policy::Policy;
use crate::reject::Rejection;
use crate::revocation::RevocationSource;
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
    /// Decides on one token.
    pub fn check(&self, raw: &[u8], cache: &mut TokenCache, now: i64) -> Decision {
        if raw.len() > self.max_token_size {
            return Decision { token: None, cache_hit: false, verdict: Err(Rejection::TooLarge) };
        }
        let id = self.verifier.id();
        let (token, cache_hit) = match cache.get(id, raw, now) {
            Some(token) => (token, true),
            None => match self.verifier.verify(raw) {
                Ok(token) => {
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
