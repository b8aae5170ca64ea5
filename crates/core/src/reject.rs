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
    /// A forwarded claim holds a control character (CR, LF, NUL, ...).
    UnsafeForwardedClaim,
    /// Authenticated, but a required scope is missing.
    InsufficientScope,
}

/// How a rejection is reported to the client (RFC 6750 §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChallengeError {
    /// No `error` attribute: the request carried no credential at all.
    None,
    /// `error="invalid_request"`.
    InvalidRequest,
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
            ChallengeError::InvalidRequest => Some("invalid_request"),
            ChallengeError::InvalidToken => Some("invalid_token"),
            ChallengeError::InsufficientScope => Some("insufficient_scope"),
        }
    }
}

impl Rejection {
    /// The HTTP status: 403 for a missing scope, 401 for everything else.
    pub fn http_status(self) -> u16 {
        match self {
            Rejection::InsufficientScope => 403,
            _ => 401,
        }
    }

    /// The RFC 6750 error code for the challenge.
    pub fn challenge_error(self) -> ChallengeError {
        match self {
            Rejection::Missing => ChallengeError::None,
            Rejection::BadCredentialSyntax | Rejection::AmbiguousCredential => {
                ChallengeError::InvalidRequest
            }
            Rejection::InsufficientScope => ChallengeError::InsufficientScope,
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
            _ => "invalid",
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
            Rejection::UnsafeForwardedClaim => "claim not forwardable",
            Rejection::InsufficientScope => "insufficient scope",
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

    #[test]
    fn scope_is_the_only_403() {
        assert_eq!(Rejection::InsufficientScope.http_status(), 403);
        assert_eq!(Rejection::Revoked.http_status(), 401);
        assert_eq!(Rejection::Missing.challenge_error().as_str(), None);
        assert_eq!(Rejection::Expired.challenge_error().as_str(), Some("invalid_token"));
        assert_eq!(Rejection::Expired.status_name(), "expired");
        assert_eq!(Rejection::BadSignature.status_name(), "invalid");
    }

    #[test]
    fn descriptions_need_no_quoting() {
        for r in [Rejection::Missing, Rejection::BadSignature, Rejection::UnsafeForwardedClaim] {
            assert!(!r.description().contains('"') && !r.description().contains('\\'));
        }
    }
}
