//! Claim policy of one location: time, issuer, audience, required claims and scopes.
//! Applied to every request, cache hit or not.

use crate::claims_view::ClaimsView;
use crate::reject::Rejection;
use crate::verifier::VerifiedToken;

/// What a location demands of a verified token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Accepted `iss` values (exact match); empty: not checked.
    pub issuers: Vec<Box<str>>,
    /// Accepted `aud` values (exact match of any item); empty: not checked.
    pub audiences: Vec<Box<str>>,
    /// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
    pub leeway: i64,
    /// Claims that must be present.
    pub required_claims: Vec<Box<str>>,
    /// Scopes that must each be an item of the `scope` claim.
    pub required_scopes: Vec<Box<str>>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            issuers: Vec::new(),
            audiences: Vec::new(),
            leeway: 0,
            required_claims: vec!["exp".into()],
            required_scopes: Vec::new(),
        }
    }
}

impl Policy {
    /// Authentication checks, all answered with 401: time, required claims, issuer, audience.
    pub fn check_token(&self, view: &ClaimsView<'_>, now: i64) -> Result<(), Rejection> {
        let claims = &view.token().claims;
        if claims.exp().is_some_and(|exp| now >= exp.saturating_add(self.leeway)) {
            return Err(Rejection::Expired);
        }
        if claims.nbf().is_some_and(|nbf| now.saturating_add(self.leeway) < nbf) {
            return Err(Rejection::NotYetValid);
        }
        if claims.iat().is_some_and(|iat| now.saturating_add(self.leeway) < iat) {
            return Err(Rejection::IssuedInFuture);
        }
        for name in &self.required_claims {
            if !view.has_claim(name) {
                return Err(Rejection::BadClaims);
            }
        }
        if !self.issuers.is_empty()
            && !claims
                .iss_bytes()
                .is_some_and(|iss| self.issuers.iter().any(|i| i.as_bytes() == iss))
        {
            return Err(Rejection::WrongIssuer);
        }
        if !self.audiences.is_empty()
            && !claims.audience_bytes().is_some_and(|mut aud| {
                aud.any(|a| self.audiences.iter().any(|x| x.as_bytes() == a))
            })
        {
            return Err(Rejection::WrongAudience);
        }
        Ok(())
    }

    /// The authorization check, answered with 403: every required scope is granted.
    pub fn check_scopes(&self, token: &VerifiedToken) -> Result<(), Rejection> {
        match self.required_scopes.iter().all(|scope| token.claims.has_scope(scope)) {
            true => Ok(()),
            false => Err(Rejection::InsufficientScope),
        }
    }

    /// The space-separated required scopes, for the challenge's `scope` attribute.
    pub fn scope_list(&self) -> String {
        self.required_scopes.join(" ")
    }
}
