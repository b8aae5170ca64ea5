//! Claim policy of one location: time, issuer, audience, required claims and scopes.
//! Applied to every request, cache hit or not.

use crate::claims_view::ClaimsView;
use crate::defaults;
use crate::reject::Rejection;

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
    /// Scopes that must each be an item of the scope claim.
    pub required_scopes: Vec<Box<str>>,
    /// The claim the scopes are read from (`credentialflow_scope_claim`): a space-separated
    /// string or an array of strings.
    pub scope_claim: Box<str>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            issuers: Vec::new(),
            audiences: Vec::new(),
            leeway: defaults::LEEWAY,
            required_claims: defaults::REQUIRED_CLAIMS.iter().map(|&name| name.into()).collect(),
            required_scopes: Vec::new(),
            scope_claim: defaults::SCOPE_CLAIM.into(),
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

    /// The authentication checks an API key's credential gets, answered with 401: its expiry
    /// and the audience (a key without one is refused where an audience is required).
    pub fn check_api_key(&self, view: &ClaimsView<'_>, now: i64) -> Result<(), Rejection> {
        let claims = &view.token().claims;
        if claims.exp().is_some_and(|exp| now >= exp.saturating_add(self.leeway)) {
            return Err(Rejection::Expired);
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
    pub fn check_scopes(&self, view: &ClaimsView<'_>) -> Result<(), Rejection> {
        self.check_scopes_in(view, &self.scope_claim)
    }

    /// [`Policy::check_scopes`] reading the scopes from `claim` (an API key's are always in
    /// `scope`, whatever `credentialflow_scope_claim` says of tokens).
    pub fn check_scopes_in(&self, view: &ClaimsView<'_>, claim: &str) -> Result<(), Rejection> {
        match self.required_scopes.iter().all(|scope| view.has_scope(claim, scope)) {
            true => Ok(()),
            false => Err(Rejection::InsufficientScope),
        }
    }

    /// The space-separated required scopes, for the challenge's `scope` attribute.
    pub fn scope_list(&self) -> String {
        self.required_scopes.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::alg::Algorithm;
    use crate::jose::b64;
    use crate::jose::claims::Claims;
    use crate::verifier::VerifiedToken;

    const NOW: i64 = 1_700_000_000;

    /// A verified token with these claims (the signature plays no part in the policy).
    fn token(claims: &str) -> VerifiedToken {
        let raw = format!("e30.{}.c2ln", b64::encode(claims.as_bytes()));
        let claims = Claims::parse_for_token(claims.as_bytes(), None, None, raw.as_bytes());
        VerifiedToken { alg: Algorithm::HS256, claims: claims.expect("test claims parse") }
    }

    fn check(policy: &Policy, claims: &str, now: i64) -> Result<(), Rejection> {
        policy.check_token(&ClaimsView::new(&token(claims)), now)
    }

    fn with_leeway(leeway: i64) -> Policy {
        Policy { leeway, required_claims: Vec::new(), ..Policy::default() }
    }

    fn names(names: &[&str]) -> Vec<Box<str>> {
        names.iter().map(|&name| name.into()).collect()
    }

    #[test]
    fn time_claims_with_leeway() {
        use Rejection::{Expired, IssuedInFuture, NotYetValid};
        let (max, min) = (i64::MAX, i64::MIN);
        // (claim, its value relative to NOW, leeway, expected)
        let cases: [(&str, i64, i64, Result<(), Rejection>); 18] = [
            ("exp", 1, 0, Ok(())),
            ("exp", 0, 0, Err(Expired)), // valid strictly before exp (RFC 7519 §4.1.4)
            ("exp", -1, 0, Err(Expired)),
            ("exp", 0, 1, Ok(())),
            ("exp", -4, 5, Ok(())),
            ("exp", -5, 5, Err(Expired)),
            ("nbf", 0, 0, Ok(())), // valid from nbf on (RFC 7519 §4.1.5)
            ("nbf", 1, 0, Err(NotYetValid)),
            ("nbf", 5, 5, Ok(())),
            ("nbf", 6, 5, Err(NotYetValid)),
            ("nbf", -1_000_000, 0, Ok(())),
            ("iat", 0, 0, Ok(())),
            ("iat", 1, 0, Err(IssuedInFuture)),
            ("iat", 5, 5, Ok(())),
            ("iat", 6, 5, Err(IssuedInFuture)),
            ("iat", -1_000_000, 0, Ok(())),
            // A huge leeway saturates rather than wrapping around.
            ("exp", -1, max, Ok(())),
            ("nbf", 1, max, Ok(())),
        ];
        for (claim, offset, leeway, expected) in cases {
            let claims = format!(r#"{{"{claim}":{}}}"#, NOW + offset);
            assert_eq!(
                check(&with_leeway(leeway), &claims, NOW),
                expected,
                "{claims} leeway {leeway}"
            );
        }
        // Values at the i64 extremes, and beyond them (saturated when the claims are read).
        let extremes: [(&str, i64, i64, Result<(), Rejection>); 14] = [
            (r#"{"exp":9223372036854775807}"#, NOW, 60, Ok(())),
            (r#"{"exp":18446744073709551616}"#, NOW, 60, Ok(())),
            (r#"{"exp":1e300}"#, NOW, 60, Ok(())),
            (r#"{"exp":9223372036854775807}"#, max, max, Err(Expired)),
            (r#"{"exp":-9223372036854775808}"#, NOW, 60, Err(Expired)),
            (r#"{"exp":-1e300}"#, min, 0, Err(Expired)),
            (r#"{"exp":1700000000.9}"#, NOW, 0, Err(Expired)), // floored
            (r#"{"nbf":9223372036854775807}"#, NOW, 60, Err(NotYetValid)),
            (r#"{"nbf":9223372036854775807}"#, max, 0, Ok(())),
            (r#"{"nbf":9223372036854775807}"#, max - 60, 60, Ok(())),
            (r#"{"nbf":-1e300}"#, min, 0, Ok(())),
            (r#"{"iat":1e300}"#, max, 60, Ok(())),
            (r#"{"iat":1e300}"#, NOW, max, Ok(())),
            (r#"{"iat":9223372036854775807}"#, NOW, 60, Err(IssuedInFuture)),
        ];
        for (claims, now, leeway, expected) in extremes {
            assert_eq!(check(&with_leeway(leeway), claims, now), expected, "{claims} at {now}");
        }
    }

    #[test]
    fn time_is_checked_first_and_in_order() {
        let policy = Policy { issuers: names(&["https://a"]), ..with_leeway(0) };
        let all = r#"{"exp":1,"nbf":9999999999,"iat":9999999999,"iss":"https://b"}"#;
        assert_eq!(check(&policy, all, NOW), Err(Rejection::Expired));
        let future = r#"{"nbf":9999999999,"iat":9999999999,"iss":"https://b"}"#;
        assert_eq!(check(&policy, future, NOW), Err(Rejection::NotYetValid));
        let issued = r#"{"iat":9999999999,"iss":"https://b"}"#;
        assert_eq!(check(&policy, issued, NOW), Err(Rejection::IssuedInFuture));
        assert_eq!(check(&policy, r#"{"iss":"https://b"}"#, NOW), Err(Rejection::WrongIssuer));
    }

    #[test]
    fn required_claims() {
        let cases: [(&[&str], &str, Result<(), Rejection>); 9] = [
            (&["exp"], r#"{"exp":9999999999}"#, Ok(())),
            (&["exp"], r#"{"sub":"a"}"#, Err(Rejection::BadClaims)),
            (&["exp", "sub"], r#"{"exp":9999999999}"#, Err(Rejection::BadClaims)),
            (&["sub", "aud", "jti"], r#"{"sub":"a","aud":[],"jti":"j"}"#, Ok(())),
            (&["iat", "nbf"], r#"{"iat":0,"nbf":0}"#, Ok(())),
            (&["tenant"], r#"{"tenant":"t"}"#, Ok(())),
            (&["tenant"], r#"{"tenant":null}"#, Ok(())), // present, whatever its value
            (&["tenant"], r#"{"Tenant":"t"}"#, Err(Rejection::BadClaims)),
            (&[], r#"{}"#, Ok(())),
        ];
        for (required, claims, expected) in cases {
            let policy = Policy { required_claims: names(required), ..with_leeway(0) };
            assert_eq!(check(&policy, claims, NOW), expected, "{required:?} of {claims}");
        }
        assert_eq!(
            check(&Policy::default(), "{}", NOW),
            Err(Rejection::BadClaims),
            "exp by default"
        );
    }

    /// Each case under `policy`; a policy that checks nothing passes them all.
    fn check_cases(policy: &Policy, cases: &[(&str, Result<(), Rejection>)]) {
        for &(claims, expected) in cases {
            assert_eq!(check(policy, claims, NOW), expected, "{claims}");
            assert_eq!(check(&with_leeway(0), claims, NOW), Ok(()), "unchecked: {claims}");
        }
    }

    #[test]
    fn issuer_is_compared_exactly() {
        let accepted = names(&["https://a.example", "https://b.example"]);
        let cases: [(&str, Result<(), Rejection>); 8] = [
            (r#"{"iss":"https://a.example"}"#, Ok(())),
            (r#"{"iss":"https://b.example"}"#, Ok(())),
            (r#"{"iss":"https:\/\/a.example"}"#, Ok(())), // compared after unescaping
            (r#"{"iss":"https://a.example/"}"#, Err(Rejection::WrongIssuer)),
            (r#"{"iss":"https://A.example"}"#, Err(Rejection::WrongIssuer)),
            (r#"{"iss":"https://a.exampl"}"#, Err(Rejection::WrongIssuer)),
            (r#"{"iss":""}"#, Err(Rejection::WrongIssuer)),
            (r#"{}"#, Err(Rejection::WrongIssuer)),
        ];
        check_cases(&Policy { issuers: accepted, ..with_leeway(0) }, &cases);
    }

    #[test]
    fn audience_string_or_array() {
        let accepted = names(&["api://orders", "api://billing"]);
        let cases: [(&str, Result<(), Rejection>); 11] = [
            (r#"{"aud":"api://orders"}"#, Ok(())),
            (r#"{"aud":"api://billing"}"#, Ok(())),
            (r#"{"aud":["api://orders"]}"#, Ok(())),
            (r#"{"aud":["other","api://billing"]}"#, Ok(())),
            (r#"{"aud":"api:\/\/orders"}"#, Ok(())),
            (r#"{"aud":["other"]}"#, Err(Rejection::WrongAudience)),
            (r#"{"aud":[]}"#, Err(Rejection::WrongAudience)),
            (r#"{"aud":"api://orders "}"#, Err(Rejection::WrongAudience)),
            (r#"{"aud":"api://orders api://billing"}"#, Err(Rejection::WrongAudience)),
            (r#"{"aud":"API://orders"}"#, Err(Rejection::WrongAudience)),
            (r#"{}"#, Err(Rejection::WrongAudience)),
        ];
        check_cases(&Policy { audiences: accepted, ..with_leeway(0) }, &cases);
    }

    #[test]
    fn scopes_are_exact_items() {
        let cases: [(&[&str], &str, Result<(), Rejection>); 8] = [
            (&[], r#"{}"#, Ok(())),
            (&["read"], r#"{"scope":"read"}"#, Ok(())),
            (&["read", "write"], r#"{"scope":"write read admin"}"#, Ok(())),
            (&["read", "write"], r#"{"scope":"read"}"#, Err(Rejection::InsufficientScope)),
            (&["read"], r#"{"scope":"reader"}"#, Err(Rejection::InsufficientScope)),
            (&["read"], r#"{"scope":"Read"}"#, Err(Rejection::InsufficientScope)),
            (&["read"], r#"{"scope":""}"#, Err(Rejection::InsufficientScope)),
            (&["read"], r#"{}"#, Err(Rejection::InsufficientScope)),
        ];
        for (required, claims, expected) in cases {
            let policy = Policy { required_scopes: names(required), ..with_leeway(0) };
            let token = token(claims);
            let view = ClaimsView::new(&token);
            assert_eq!(policy.check_scopes(&view), expected, "{required:?} of {claims}");
        }
        let policy = Policy { required_scopes: names(&["a", "b:c"]), ..Policy::default() };
        assert_eq!(policy.scope_list(), "a b:c");
    }
}
