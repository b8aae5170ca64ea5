//! The introspection endpoint's decisions (RFC 7662): the caller authenticates as at the token
//! endpoint and must hold the registry's `introspect` permission (RFC 7662 §4: the server
//! must know who asks); the answer says whether the token is active and, only then, what it
//! carries. Whether a token is active (signature, time, revocation) is decided by the same
//! rules as a protected location's, without replay protection: introspecting a token never
//! consumes it.

use serde_json::{Map, Value};

use super::client_auth::Presented;
use super::registry::ClientRegistry;
use super::request::{ErrorCode, Refusal, TokenRequest};
use crate::jose::claims::Claims;

/// The answer for every token that is not active, with nothing more (RFC 7662 §2.2: "the
/// authorization server SHOULD NOT include any additional information").
pub const INACTIVE: &str = r#"{"active":false}"#;

/// Reads an introspection request: the client authenticated and permitted, and the token.
///
/// Errors (RFC 7662 §2.3 refers to RFC 6749 §5.2): failed client authentication is
/// `invalid_client` (401); an authenticated client without the `introspect` permission, or a
/// disabled one, is `unauthorized_client` (400); no `token` is `invalid_request` (400).
pub fn read(registry: &ClientRegistry, request: &TokenRequest<'_>) -> Result<String, Refusal> {
    use ErrorCode::*;
    let presented = Presented::read(request)?;
    let client = presented.authenticate(registry)?;
    if client.disabled {
        return Err(presented.with(UnauthorizedClient, "the client is disabled"));
    }
    if !client.permissions.introspect {
        return Err(presented.with(UnauthorizedClient, "the client may not introspect tokens"));
    }
    // token_type_hint is advisory (RFC 7662 §2.1): ignored.
    match presented.form.get("token") {
        Some(token) => Ok(token.to_owned()),
        None => Err(presented.with(InvalidRequest, "token is missing")),
    }
}

/// The answer for an active token (RFC 7662 §2.2): `active`, `token_type`, and those of
/// `scope`, `client_id`, `sub`, `aud`, `iss`, `exp`, `iat`, `nbf`, `jti` the token has.
pub fn active(claims: &Claims) -> String {
    let mut members = Map::new();
    members.insert("active".into(), true.into());
    let text = [
        ("scope", claims.scope()),
        ("client_id", claims.client_id()),
        ("sub", claims.sub()),
        ("iss", claims.iss()),
        ("jti", claims.jti()),
    ];
    for (name, value) in text {
        if let Some(value) = value {
            members.insert(name.into(), value.into());
        }
    }
    if let Some(audiences) = claims.audiences() {
        let audiences: Vec<&str> = audiences.collect();
        let aud = match audiences.as_slice() {
            [one] => Value::from(*one),
            many => Value::from(many.to_vec()),
        };
        members.insert("aud".into(), aud);
    }
    for (name, value) in [("exp", claims.exp()), ("iat", claims.iat()), ("nbf", claims.nbf())] {
        if let Some(value) = value {
            members.insert(name.into(), value.into());
        }
    }
    members.insert("token_type".into(), "Bearer".into());
    Value::Object(members).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::client_auth::testing;

    fn ask(id: &str, secret: &str, body: &str) -> Result<String, Refusal> {
        let registry = testing::registry(&[
            ("rs", "r", "- https://api.a introspect"),
            ("svc", "s", "- https://api.a"),
        ]);
        testing::with_basic(id, secret, body, |request| read(&registry, request))
    }

    #[test]
    fn only_a_permitted_client_may_introspect() {
        assert_eq!(ask("rs", "r", "token=abc&token_type_hint=access_token"), Ok("abc".into()));
        // RFC 7662 §2.3 → RFC 6749 §5.2: a failed authentication is a 401 invalid_client.
        let wrong = ask("rs", "x", "token=abc").unwrap_err();
        assert_eq!((wrong.code, wrong.code.status()), (ErrorCode::InvalidClient, 401));
        // Authenticated, not permitted: unauthorized_client, 400.
        let plain = ask("svc", "s", "token=abc").unwrap_err();
        assert_eq!((plain.code, plain.code.status()), (ErrorCode::UnauthorizedClient, 400));
        assert_eq!(ask("rs", "r", "").unwrap_err().code, ErrorCode::InvalidRequest);
    }

    #[test]
    fn an_active_token_shows_its_members_and_nothing_else() {
        let claims = Claims::parse(
            br#"{"iss":"https://a","sub":"svc","client_id":"svc","aud":"https://api","exp":9,"iat":1,"nbf":1,"jti":"j","scope":"a b","email":"x@y"}"#,
        )
        .unwrap();
        let answer: Value = serde_json::from_str(&active(&claims)).unwrap();
        assert_eq!(
            answer,
            serde_json::json!({"active": true, "scope": "a b", "client_id": "svc", "sub": "svc",
                "aud": "https://api", "iss": "https://a", "exp": 9, "iat": 1, "nbf": 1,
                "jti": "j", "token_type": "Bearer"})
        );
        let minimal = Claims::parse(br#"{"aud":["a","b"]}"#).unwrap();
        let answer: Value = serde_json::from_str(&active(&minimal)).unwrap();
        assert_eq!(
            answer,
            serde_json::json!({"active": true, "aud": ["a", "b"], "token_type": "Bearer"})
        );
        assert_eq!(INACTIVE, r#"{"active":false}"#);
    }
}
