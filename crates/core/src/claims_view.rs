//! Reading any claim of a verified token as text, for variables and forwarded headers.
//!
//! Typed registered claims are served from the verified token; any other claim is looked up
//! in the token's payload, decoded once per view (the cache does not keep the whole claims
//! object, to stay small) and scanned for just that member.

use std::borrow::Cow;
use std::cell::OnceCell;

use serde_json::Value;

use crate::jose::json;
use crate::jose::{b64, jws};
use crate::verifier::VerifiedToken;

/// Claims always read from the typed fields: absent there means absent.
pub const TYPED_TEXT: [&str; 5] = ["sub", "iss", "jti", "scope", "client_id"];

/// A claim value kept from headers and variables: it holds a control character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Withheld;

/// A verified token, with its payload decoded on first need.
pub struct ClaimsView<'a> {
    token: &'a VerifiedToken,
    payload: OnceCell<Option<Vec<u8>>>,
}

/// Formats a claim value: strings as they are, arrays of strings joined by a space, anything
/// else as compact JSON. An array with an item that is empty or holds a space is compact JSON
/// too: joined, `["user", "x admin"]` would read as three items, one of them `admin`.
pub fn format_value(value: &Value) -> Cow<'_, str> {
    let plain_item =
        |item: &Value| item.as_str().is_some_and(|s| !s.is_empty() && !s.contains(' '));
    match value {
        Value::String(s) => Cow::Borrowed(s),
        Value::Array(items) if items.iter().all(plain_item) => {
            Cow::Owned(items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" "))
        }
        other => Cow::Owned(other.to_string()),
    }
}

/// The value of a single match, as text; none or several matches: `None`.
fn only(found: Vec<(String, Value)>) -> Option<Cow<'static, str>> {
    match <[_; 1]>::try_from(found) {
        Ok([(_, value)]) => Some(Cow::Owned(format_value(&value).into_owned())),
        Err(_) => None,
    }
}

impl<'a> ClaimsView<'a> {
    /// A view of `token`.
    pub fn new(token: &'a VerifiedToken) -> Self {
        ClaimsView { token, payload: OnceCell::new() }
    }

    /// The verified token.
    pub fn token(&self) -> &'a VerifiedToken {
        self.token
    }

    /// The members of the claims object whose names `wanted` accepts; `None` if the payload
    /// cannot be read as one strict JSON object (e.g. a repeated member name).
    fn members(&self, wanted: impl Fn(&str) -> bool) -> Option<Vec<(String, Value)>> {
        let payload = self
            .payload
            .get_or_init(|| jws::payload_segment(self.token.claims.token()).and_then(b64::decode));
        json::find_members(payload.as_deref()?, wanted).ok()
    }

    /// Whether the claim is present.
    pub fn has_claim(&self, name: &str) -> bool {
        if let Some(present) = self.token.claims.has_registered(name) {
            return present;
        }
        if let Some(stored) = self.token.claims.stored(name) {
            return stored.is_some();
        }
        self.members(|n| n == name).is_some_and(|found| !found.is_empty())
    }

    /// The claim as text, or `None` when absent.
    pub fn text(&self, name: &str) -> Option<Cow<'_, str>> {
        let claims = &self.token.claims;
        // A registered string claim is typed: when absent there, it is absent.
        let typed = match name {
            "sub" => claims.sub(),
            "iss" => claims.iss(),
            "jti" => claims.jti(),
            "scope" => claims.scope(),
            "client_id" => claims.client_id(),
            _ => None,
        };
        if typed.is_some() || TYPED_TEXT.contains(&name) {
            return typed.map(Cow::Borrowed);
        }
        if let Some(stored) = claims.stored(name) {
            return stored.map(Cow::Borrowed);
        }
        only(self.members(|n| n == name)?)
    }

    /// The value at `path` (a top-level claim, then member names into nested objects), as
    /// text held to [`ClaimsView::header_text`]'s rule: `Ok(None)` when any step is absent
    /// or not an object. `credentialflow_claim_set $roles realm_access roles` reads
    /// `{"realm_access": {"roles": ["a", "b"]}}` as `a b`.
    pub fn path_text<S: AsRef<str>>(&self, path: &[S]) -> Result<Option<Cow<'_, str>>, Withheld> {
        let Some((first, rest)) = path.split_first() else {
            return Ok(None);
        };
        if rest.is_empty() {
            return self.header_text(first.as_ref());
        }
        let Some(Ok([(_, mut value)])) =
            self.members(|n| n == first.as_ref()).map(<[_; 1]>::try_from)
        else {
            return Ok(None);
        };
        for name in rest {
            value = match value {
                Value::Object(mut members) => match members.remove(name.as_ref()) {
                    Some(inner) => inner,
                    None => return Ok(None),
                },
                _ => return Ok(None),
            };
        }
        let text = format_value(&value).into_owned();
        match is_header_safe(&text) {
            true => Ok(Some(Cow::Owned(text))),
            false => Err(Withheld),
        }
    }

    /// Whether the claim `name`, read as a list of scopes, has a type that can be one: absent,
    /// a string, or an array of strings none of which is empty or holds a space (RFC 6749
    /// §3.3's scope-token; Okta and node-oidc-provider send `scp` as such an array). A number,
    /// an object or an array of anything else is refused rather than read as text.
    pub fn scope_claim_is_well_typed(&self, name: &str) -> bool {
        if name == "scope" {
            // Typed on parsing: a `scope` that is not a string never gets this far.
            return true;
        }
        let Some(found) = self.members(|n| n == name) else {
            return false;
        };
        match found.as_slice() {
            [] => true,
            [(_, Value::String(_))] => true,
            [(_, Value::Array(items))] => items
                .iter()
                .all(|item| item.as_str().is_some_and(|s| !s.is_empty() && !s.contains(' '))),
            _ => false,
        }
    }

    /// Whether the claim `name`, a space-separated string or the array joined, lists
    /// `wanted` as one exact item.
    pub fn has_scope(&self, name: &str, wanted: &str) -> bool {
        if name == "scope" {
            return self.token.claims.has_scope(wanted);
        }
        self.text(name).is_some_and(|list| list.split(' ').any(|item| item == wanted))
    }

    /// The claim as text that may become a request header or an nginx variable: a value
    /// holding a control character (CR, LF, NUL, ...) is withheld, so it can never inject a
    /// header, whichever way the configuration uses it. Names are exact (case-sensitive).
    pub fn header_text(&self, name: &str) -> Result<Option<Cow<'_, str>>, Withheld> {
        match self.text(name) {
            Some(text) if !is_header_safe(&text) => Err(Withheld),
            text => Ok(text),
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
        // Joined, these would be ambiguous: an item with a space (or an empty one) keeps the
        // array as JSON, so "x admin" never reads as the role "admin".
        assert_eq!(format_value(&json!(["user", "x admin"])), r#"["user","x admin"]"#);
        assert_eq!(format_value(&json!(["a", ""])), r#"["a",""]"#);
        assert_eq!(format_value(&json!({"k": true})), "{\"k\":true}");
    }

    #[test]
    fn claim_names_are_exact() {
        use crate::jose::alg::Algorithm;
        use crate::jose::claims::Claims;
        let json = br#"{"userId":"u1","Tenant":"a","tenant":"b","Dup":1,"dUP":2,"n":[1]}"#;
        let raw = format!("e30.{}.c2ln", b64::encode(json));
        let claims = Claims::parse_for_token(json, None, None, raw.as_bytes()).unwrap();
        let token = VerifiedToken { alg: Algorithm::HS256, claims };
        let view = ClaimsView::new(&token);
        assert_eq!(view.text("userId").as_deref(), Some("u1"));
        assert_eq!(view.text("userid"), None, "names are exact");
        assert_eq!(view.text("tenant").as_deref(), Some("b"));
        assert_eq!(view.header_text("Tenant"), Ok(Some(Cow::Borrowed("a"))));
        assert_eq!(view.header_text("dup"), Ok(None));
        assert_eq!(view.text("n").as_deref(), Some("[1]"));
        assert!(view.has_claim("Dup") && !view.has_claim("dup"));
        let repeated = br#"{"a":1,"a":2,"b":3}"#;
        let raw = format!("e30.{}.c2ln", b64::encode(repeated));
        let claims = Claims::parse_for_token(repeated, None, None, raw.as_bytes()).unwrap();
        let token = VerifiedToken { alg: Algorithm::HS256, claims };
        let view = ClaimsView::new(&token);
        assert_eq!(view.text("b"), None, "a repeated member makes the whole object unreadable");
    }

    #[test]
    fn control_characters_are_withheld() {
        use crate::jose::alg::Algorithm;
        use crate::jose::claims::Claims;
        let json = br#"{"sub":"a\r\nX-Admin: true","name":"Alice\nX","tab":"a\tb","ok":"x"}"#;
        let raw = format!("e30.{}.c2ln", b64::encode(json));
        let claims = Claims::parse_for_token(json, None, None, raw.as_bytes()).unwrap();
        let token = VerifiedToken { alg: Algorithm::HS256, claims };
        let view = ClaimsView::new(&token);
        assert_eq!(view.header_text("sub"), Err(Withheld));
        assert_eq!(view.header_text("name"), Err(Withheld));
        assert_eq!(view.header_text("tab").unwrap().as_deref(), Some("a\tb"));
        assert_eq!(view.header_text("ok").unwrap().as_deref(), Some("x"));
        assert_eq!(view.header_text("absent"), Ok(None));
    }

    fn view_of(json: &str) -> VerifiedToken {
        use crate::jose::alg::Algorithm;
        use crate::jose::claims::Claims;
        let raw = format!("e30.{}.c2ln", b64::encode(json.as_bytes()));
        let claims = Claims::parse_for_token(json.as_bytes(), None, None, raw.as_bytes()).unwrap();
        VerifiedToken { alg: Algorithm::HS256, claims }
    }

    #[test]
    fn nested_paths() {
        let token = view_of(
            r#"{"realm_access":{"roles":["admin","ops"]},"org":{"id":7,"ok":true,"x":null,"deep":{"k":"v"},"bad":"a\nb"},"sub":"s"}"#,
        );
        let view = ClaimsView::new(&token);
        let text = |path: &[&str]| view.path_text(path).map(|t| t.map(Cow::into_owned));
        assert_eq!(text(&["realm_access", "roles"]), Ok(Some("admin ops".into())));
        assert_eq!(text(&["org", "id"]), Ok(Some("7".into())));
        assert_eq!(text(&["org", "ok"]), Ok(Some("true".into())));
        assert_eq!(text(&["org", "deep"]), Ok(Some(r#"{"k":"v"}"#.into())));
        assert_eq!(text(&["org", "deep", "k"]), Ok(Some("v".into())));
        assert_eq!(text(&["org", "x"]), Ok(Some("null".into())));
        assert_eq!(text(&["org", "missing"]), Ok(None));
        assert_eq!(text(&["org", "id", "deeper"]), Ok(None), "a number has no members");
        assert_eq!(text(&["missing", "roles"]), Ok(None));
        assert_eq!(text(&["org", "bad"]), Err(Withheld));
        assert_eq!(text(&["sub"]), Ok(Some("s".into())));
        assert_eq!(text(&[]), Ok(None));
    }

    #[test]
    fn scope_claims_as_strings_or_arrays() {
        let cases = [
            (r#"{"scp":"read write"}"#, true, true),
            (r#"{"scp":["read","write"]}"#, true, true),
            (r#"{"scp":["write"]}"#, true, false),
            (r#"{}"#, true, false),
            (r#"{"scp":["read write"]}"#, false, true),
            (r#"{"scp":[""]}"#, false, false),
            (r#"{"scp":["read",1]}"#, false, true),
            (r#"{"scp":7}"#, false, false),
            (r#"{"scp":{"read":true}}"#, false, false),
            (r#"{"scp":null}"#, false, false),
        ];
        for (json, well_typed, has_read) in cases {
            let token = view_of(json);
            let view = ClaimsView::new(&token);
            assert_eq!(view.scope_claim_is_well_typed("scp"), well_typed, "{json}");
            if well_typed {
                assert_eq!(view.has_scope("scp", "read"), has_read, "{json}");
            }
        }
        let token = view_of(r#"{"scope":"read"}"#);
        let view = ClaimsView::new(&token);
        assert!(view.scope_claim_is_well_typed("scope") && view.has_scope("scope", "read"));
    }

    #[test]
    fn header_safety() {
        assert!(is_header_safe("alice\tsmith é"));
        for bad in ["a\r\nb", "a\nb", "a\0b", "a\x7fb", "a\x0bb"] {
            assert!(!is_header_safe(bad), "{bad:?}");
        }
    }
}
