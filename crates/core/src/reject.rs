//! Why a request was refused: one enum drives the status code, the `WWW-Authenticate`
//! error, the log line and `$credentialflow_status`.

use std::fmt;

/// A reason to refuse a request. Descriptions are short and never quote the token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// No credential was presented.
    Missing,
    /// The credential header was present but not a usable bearer token.
    BadCredentialSyntax,
    /// More than one credential header was sent, so which one counts is ambiguous.
    AmbiguousCredential,
    /// Longer than `credentialflow_max_token_size`; not decoded at all.
    TooLarge,
    /// Not a compact JWS: wrong number of segments, bad base64url, bad JSON, too deep.
    Malformed,
    /// The JOSE header is unusable: `alg` missing, unknown, `none`, `crit`, JWE, `b64`.
    BadHeader,
    /// The token's `alg` is not allowed at this location.
    AlgorithmNotAllowed,
    /// No configured key can verify this `alg`/`kid`.
    NoMatchingKey,
    /// No candidate key verified the signature.
    BadSignature,
    /// A registered claim has the wrong JSON type, or a required claim is absent.
    BadClaims,
    /// `exp` (plus leeway) has passed.
    Expired,
    /// `nbf` (minus leeway) is still in the future.
    NotYetValid,
    /// `iat` (minus leeway) is in the future.
    IssuedInFuture,
    /// `iss` is not one of the accepted issuers.
    WrongIssuer,
    /// `aud` names none of the accepted audiences.
    WrongAudience,
    /// The token's `jti` or `sub` is on the revocation list.
    Revoked,
    /// Authenticated, but a required scope is missing.
    InsufficientScope,
    /// Replay protection: this token (its `iss` and `jti`) was used before.
    Replayed,
    /// A `credentialflow_require` value is empty or `0` (configured with `error=403`).
    RuleForbids,
    /// A `credentialflow_require` value is empty or `0` (configured with `error=401`).
    RuleRefusesToken,
    /// The location's keys are fetched from an identity provider, and no good key set has
    /// been fetched yet (503: the token may well be fine).
    KeysUnavailable,
    /// The shared state a check needs cannot answer (replay records full or unreachable, the
    /// revocation set incomplete): refused with 503 rather than let a token through unchecked.
    Unavailable,
}

/// How a rejection is reported to the client (RFC 6750 §3.1). `invalid_request` is not used:
/// RFC 6750 pairs it with 400, which under nginx's `satisfy any` would end the request before
/// `allow` or `auth_basic` could grant it, and a malformed or doubled credential is an access
/// token that is "malformed, or invalid for other reasons": `invalid_token`, 401.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChallengeError {
    /// No `error` attribute: the request carried no credential at all.
    None,
    /// `error="invalid_token"`.
    InvalidToken,
    /// `error="insufficient_scope"`.
    InsufficientScope,
}

impl ChallengeError {
    /// The `error` attribute value, if any.
    pub fn as_str(self) -> Option<&'static str> {
        match self {
            ChallengeError::None => None,
            ChallengeError::InvalidToken => Some("invalid_token"),
            ChallengeError::InsufficientScope => Some("insufficient_scope"),
        }
    }
}

impl Rejection {
    /// Whether a set of keys fetched from an identity provider may lack what the token needs
    /// (a key with its `kid`, or of its type), so that fetching the set again may change the
    /// answer: the refusals that ask for a refetch (`credentialflow_jwt_key_request`).
    pub fn asks_for_other_keys(self) -> bool {
        matches!(self, Rejection::NoMatchingKey | Rejection::AlgorithmNotAllowed)
    }

    /// Every rejection, for tests and for anything that must list them all (metrics).
    pub const ALL: [Rejection; 22] = [
        Rejection::Missing,
        Rejection::BadCredentialSyntax,
        Rejection::AmbiguousCredential,
        Rejection::TooLarge,
        Rejection::Malformed,
        Rejection::BadHeader,
        Rejection::AlgorithmNotAllowed,
        Rejection::NoMatchingKey,
        Rejection::BadSignature,
        Rejection::BadClaims,
        Rejection::Expired,
        Rejection::NotYetValid,
        Rejection::IssuedInFuture,
        Rejection::WrongIssuer,
        Rejection::WrongAudience,
        Rejection::Revoked,
        Rejection::InsufficientScope,
        Rejection::Replayed,
        Rejection::RuleForbids,
        Rejection::RuleRefusesToken,
        Rejection::KeysUnavailable,
        Rejection::Unavailable,
    ];

    /// The HTTP status each error code has in RFC 6750 §3.1: 403 for `insufficient_scope`,
    /// 401 for `invalid_token` and for no credential at all; 503 when the shared state is
    /// unavailable (no challenge then: the credential was not found wanting).
    pub fn http_status(self) -> u16 {
        if !self.has_challenge() {
            return 503;
        }
        match self.challenge_error() {
            ChallengeError::InsufficientScope => 403,
            ChallengeError::None | ChallengeError::InvalidToken => 401,
        }
    }

    /// Whether the answer carries a `WWW-Authenticate` challenge: every refusal of the
    /// credential does; a 503 for unavailable state does not (no credential would do better).
    pub fn has_challenge(self) -> bool {
        !matches!(self, Rejection::Unavailable | Rejection::KeysUnavailable)
    }

    /// The RFC 6750 error code for the challenge.
    pub fn challenge_error(self) -> ChallengeError {
        match self {
            Rejection::Missing | Rejection::Unavailable | Rejection::KeysUnavailable => {
                ChallengeError::None
            }
            Rejection::InsufficientScope | Rejection::RuleForbids => {
                ChallengeError::InsufficientScope
            }
            _ => ChallengeError::InvalidToken,
        }
    }

    /// The value of `$credentialflow_status`.
    pub fn status_name(self) -> &'static str {
        match self {
            Rejection::Missing => "missing",
            Rejection::Expired => "expired",
            Rejection::NotYetValid => "not_yet_valid",
            Rejection::Revoked => "revoked",
            Rejection::InsufficientScope => "insufficient_scope",
            Rejection::Replayed => "replayed",
            Rejection::RuleForbids => "forbidden",
            Rejection::Unavailable | Rejection::KeysUnavailable => "unavailable",
            _ => "invalid",
        }
    }

    /// A stable, machine-readable reason (`$credentialflow_reason`): one word per rejection,
    /// finer than [`Rejection::status_name`], for access logs and alerts.
    pub fn reason(self) -> &'static str {
        match self {
            Rejection::Missing => "missing",
            Rejection::BadCredentialSyntax => "malformed_credential",
            Rejection::AmbiguousCredential => "ambiguous_credential",
            Rejection::TooLarge => "too_large",
            Rejection::Malformed => "malformed_token",
            Rejection::BadHeader => "unsupported_header",
            Rejection::AlgorithmNotAllowed => "algorithm_not_allowed",
            Rejection::NoMatchingKey => "no_matching_key",
            Rejection::BadSignature => "signature_invalid",
            Rejection::BadClaims => "claims_invalid",
            Rejection::Expired => "expired",
            Rejection::NotYetValid => "not_yet_valid",
            Rejection::IssuedInFuture => "issued_in_future",
            Rejection::WrongIssuer => "issuer_not_accepted",
            Rejection::WrongAudience => "audience_not_accepted",
            Rejection::Revoked => "revoked",
            Rejection::InsufficientScope => "insufficient_scope",
            Rejection::Replayed => "replayed",
            Rejection::RuleForbids => "rule_forbids",
            Rejection::RuleRefusesToken => "rule_refuses_token",
            Rejection::KeysUnavailable => "keys_unavailable",
            Rejection::Unavailable => "state_unavailable",
        }
    }

    /// A short `error_description`; safe to show a client and to log.
    pub fn description(self) -> &'static str {
        match self {
            Rejection::Missing => "no bearer token",
            Rejection::BadCredentialSyntax => "malformed credential header",
            Rejection::AmbiguousCredential => "more than one credential header",
            Rejection::TooLarge => "token too large",
            Rejection::Malformed => "malformed token",
            Rejection::BadHeader => "unsupported token header",
            Rejection::AlgorithmNotAllowed => "algorithm not allowed",
            Rejection::NoMatchingKey => "no key for this token",
            Rejection::BadSignature => "signature verification failed",
            Rejection::BadClaims => "invalid or missing claims",
            Rejection::Expired => "token expired",
            Rejection::NotYetValid => "token not yet valid",
            Rejection::IssuedInFuture => "token issued in the future",
            Rejection::WrongIssuer => "issuer not accepted",
            Rejection::WrongAudience => "audience not accepted",
            Rejection::Revoked => "token revoked",
            Rejection::InsufficientScope => "insufficient scope",
            Rejection::Replayed => "token already used",
            Rejection::RuleForbids => "access rule not met",
            Rejection::RuleRefusesToken => "token refused by an access rule",
            Rejection::KeysUnavailable => "no key set fetched yet",
            Rejection::Unavailable => "shared state unavailable",
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

impl std::error::Error for Rejection {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Position in [`Rejection::ALL`]; the exhaustive match makes a new variant that is
    /// missing from `ALL` a compile error here.
    fn position(r: Rejection) -> usize {
        match r {
            Rejection::Missing => 0,
            Rejection::BadCredentialSyntax => 1,
            Rejection::AmbiguousCredential => 2,
            Rejection::TooLarge => 3,
            Rejection::Malformed => 4,
            Rejection::BadHeader => 5,
            Rejection::AlgorithmNotAllowed => 6,
            Rejection::NoMatchingKey => 7,
            Rejection::BadSignature => 8,
            Rejection::BadClaims => 9,
            Rejection::Expired => 10,
            Rejection::NotYetValid => 11,
            Rejection::IssuedInFuture => 12,
            Rejection::WrongIssuer => 13,
            Rejection::WrongAudience => 14,
            Rejection::Revoked => 15,
            Rejection::InsufficientScope => 16,
            Rejection::Replayed => 17,
            Rejection::RuleForbids => 18,
            Rejection::RuleRefusesToken => 19,
            Rejection::KeysUnavailable => 20,
            Rejection::Unavailable => 21,
        }
    }

    #[test]
    fn every_rejection_has_a_description_status_challenge_and_variable_value() {
        let mut descriptions = std::collections::HashSet::new();
        for (index, r) in Rejection::ALL.into_iter().enumerate() {
            assert_eq!(position(r), index, "{r:?} is listed once, in order");
            assert!(descriptions.insert(r.description()), "{r:?}: description is its own");
            assert!(descriptions.insert(r.reason()), "{r:?}: reason is its own");
            assert!(r.reason().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{r:?}");
            assert!(!r.description().is_empty());
            assert!(matches!(r.http_status(), 401 | 403 | 503), "{r:?}");
            assert!(!r.status_name().is_empty() && r.status_name() != "ok", "{r:?}");
            let challenge = r.challenge_error();
            // RFC 6750 §3.1: each error code has its status.
            let expected = match challenge {
                _ if !r.has_challenge() => 503,
                ChallengeError::None | ChallengeError::InvalidToken => 401,
                ChallengeError::InsufficientScope => 403,
            };
            assert_eq!(r.http_status(), expected, "{r:?}");
            // RFC 6750 §3.1: no error code when the request carried no credential at all.
            let no_error = matches!(r, Rejection::Missing) || !r.has_challenge();
            assert_eq!(challenge == ChallengeError::None, no_error, "{r:?}");
        }
    }

    #[test]
    fn statuses_follow_rfc6750() {
        assert_eq!(Rejection::InsufficientScope.http_status(), 403);
        for malformed in [Rejection::BadCredentialSyntax, Rejection::AmbiguousCredential] {
            assert_eq!(malformed.http_status(), 401);
            assert_eq!(malformed.challenge_error().as_str(), Some("invalid_token"));
        }
        assert_eq!(Rejection::Revoked.http_status(), 401);
        assert_eq!(Rejection::Replayed.challenge_error().as_str(), Some("invalid_token"));
        assert_eq!(Rejection::Unavailable.http_status(), 503);
        assert_eq!(Rejection::Missing.challenge_error().as_str(), None);
        assert_eq!(Rejection::Expired.challenge_error().as_str(), Some("invalid_token"));
        assert_eq!(Rejection::Expired.status_name(), "expired");
        assert_eq!(Rejection::BadSignature.status_name(), "invalid");
    }

    #[test]
    fn descriptions_need_no_quoting() {
        for r in Rejection::ALL {
            assert!(!r.description().contains('"') && !r.description().contains('\\'));
        }
    }
}
