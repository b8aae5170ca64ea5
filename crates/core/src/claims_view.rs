//! Reading any claim of a verified token as text, for variables and forwarded headers.
//!
//! Typed registered claims are served from the verified token; anything else decodes the
//! token's payload once per view (the cache does not keep the whole claims object, to stay
//! small).

use std::borrow::Cow;
use std::cell::OnceCell;

use serde_json::{Map, Value};

use crate::token::jws;
use crate::verifier::VerifiedToken;

/// A verified token together with its raw text.
pub struct ClaimsView<'a> {
    token: &'a VerifiedToken,
    raw: &'a [u8],
    object: OnceCell<Option<Map<String, Value>>>,
}

/// Formats a claim value: strings as they are, arrays of strings joined by a space, anything
/// else as compact JSON.
pub fn format_value(value: &Value) -> Cow<'_, str> {
    match value {
        Value::String(s) => Cow::Borrowed(s),
        Value::Array(items) if items.iter().all(Value::is_string) => {
            Cow::Owned(items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" "))
        }
        other => Cow::Owned(other.to_string()),
    }
}

impl<'a> ClaimsView<'a> {
    /// A view of `token`, whose compact form is `raw`.
    pub fn new(token: &'a VerifiedToken, raw: &'a [u8]) -> Self {
        ClaimsView { token, raw, object: OnceCell::new() }
    }

    /// The verified token.
    pub fn token(&self) -> &'a VerifiedToken {
        self.token
    }

    fn object(&self) -> Option<&Map<String, Value>> {
        self.object
            .get_or_init(|| jws::payload_segment(self.raw).and_then(|p| jws::decode_object(p).ok()))
            .as_ref()
    }

    /// Whether the claim is present.
    pub fn has_claim(&self, name: &str) -> bool {
        match self.token.claims.has_registered(name) {
            Some(present) => present,
            None => self.object().is_some_and(|object| object.contains_key(name)),
        }
    }

    /// The claim as text, or `None` when absent.
    pub fn text(&self, name: &str) -> Option<Cow<'_, str>> {
        let claims = &self.token.claims;
        let typed = match name {
            "sub" => claims.sub(),
            "iss" => claims.iss(),
            "jti" => claims.jti(),
            "scope" => claims.scope(),
            _ => None,
        };
        if let Some(text) = typed {
            return Some(Cow::Borrowed(text));
        }
        self.object()?.get(name).map(format_value)
    }

    /// Like [`ClaimsView::text`], but a name with no exact match also matches one claim whose
    /// name differs only in ASCII case: nginx lower-cases variable names, so
    /// `$credentialflow_claim_userid` must still reach `userId`. Two such claims: no match.
    pub fn text_ignoring_case(&self, name: &str) -> Option<Cow<'_, str>> {
        if let Some(text) = self.text(name) {
            return Some(text);
        }
        let object = self.object()?;
        let mut matches = object.iter().filter(|(key, _)| key.eq_ignore_ascii_case(name));
        match (matches.next(), matches.next()) {
            (Some((_, value)), None) => Some(format_value(value)),
            _ => None,
        }
    }
}

/// Whether a value may travel in an HTTP header: no control characters but HTAB (RFC 9110
/// §5.5 forbids CR, LF and NUL; the other controls have no legitimate use in a claim).
pub fn is_header_safe(value: &str) -> bool {
    value.bytes().all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn formats_values() {
        assert_eq!(format_value(&json!("a b")), "a b");
        assert_eq!(format_value(&json!(["a", "b"])), "a b");
        assert_eq!(format_value(&json!(12)), "12");
        assert_eq!(format_value(&json!(1.5)), "1.5");
        assert_eq!(format_value(&json!(["a", 1])), "[\"a\",1]");
        assert_eq!(format_value(&json!({"k": true})), "{\"k\":true}");
    }

    #[test]
    fn variable_names_reach_mixed_case_claims() {
        use crate::alg::Algorithm;
        use crate::token::{b64, claims::Claims};
        let payload = b64::encode(br#"{"userId":"u1","Tenant":"a","tenant":"b","Dup":1,"dUP":2}"#);
        let raw = format!("e30.{payload}.c2ln");
        let token = VerifiedToken { alg: Algorithm::HS256, claims: Claims::default() };
        let view = ClaimsView::new(&token, raw.as_bytes());
        assert_eq!(view.text_ignoring_case("userid").as_deref(), Some("u1"));
        assert_eq!(view.text_ignoring_case("tenant").as_deref(), Some("b"));
        assert_eq!(view.text_ignoring_case("dup"), None);
        assert_eq!(view.text("userid"), None);
    }

    #[test]
    fn header_safety() {
        assert!(is_header_safe("alice\tsmith é"));
        for bad in ["a\r\nb", "a\nb", "a\0b", "a\x7fb", "a\x0bb"] {
            assert!(!is_header_safe(bad), "{bad:?}");
        }
    }
}
