//! The JOSE header: what CredentialFlow reads from it, and what makes it refuse a token.

use serde_json::{Map, Value};

use crate::alg::Algorithm;
use crate::reject::Rejection;

/// The header fields that matter. Key-carrying fields (`jwk`, `jku`, `x5u`, `x5c`) are never
/// read: trust comes only from configured keys (RFC 8725 §3.10).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoseHeader {
    /// The signature algorithm; never `none`.
    pub alg: Algorithm,
    /// The key id, used to pick a configured key.
    pub kid: Option<Box<str>>,
    /// The media type, for `$credentialflow_header_typ`.
    pub typ: Option<Box<str>>,
}

fn optional_string(map: &Map<String, Value>, name: &str) -> Result<Option<Box<str>>, Rejection> {
    match map.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str().into())),
        Some(_) => Err(Rejection::BadHeader),
    }
}

impl JoseHeader {
    /// Reads a parsed header object.
    pub fn from_object(map: &Map<String, Value>) -> Result<JoseHeader, Rejection> {
        let alg = match map.get("alg") {
            Some(Value::String(name)) => {
                Algorithm::from_name(name.as_bytes()).ok_or(Rejection::BadHeader)?
            }
            _ => return Err(Rejection::BadHeader),
        };
        // No JWS extension is understood, so any `crit` makes the token invalid
        // (RFC 7515 §4.1.11); JWE (`enc`), compression (`zip`) and unencoded payloads
        // (`b64`, RFC 7797) are not JWTs we accept.
        if map.contains_key("crit") || map.contains_key("enc") || map.contains_key("zip") {
            return Err(Rejection::BadHeader);
        }
        if map.get("b64").is_some_and(|b64| b64 != &Value::Bool(true)) {
            return Err(Rejection::BadHeader);
        }
        // A nested JWT would need a second verification that is not offered.
        if let Some(Value::String(cty)) = map.get("cty") {
            if cty.eq_ignore_ascii_case("JWT") {
                return Err(Rejection::BadHeader);
            }
        }
        Ok(JoseHeader { alg, kid: optional_string(map, "kid")?, typ: optional_string(map, "typ")? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn header(value: Value) -> Result<JoseHeader, Rejection> {
        JoseHeader::from_object(value.as_object().unwrap())
    }

    #[test]
    fn reads_alg_kid_typ() {
        let h = header(json!({"alg":"ES256","kid":"k1","typ":"at+jwt","jku":"http://x"})).unwrap();
        assert_eq!(h.alg, Algorithm::ES256);
        assert_eq!(h.kid.as_deref(), Some("k1"));
        assert_eq!(h.typ.as_deref(), Some("at+jwt"));
    }

    #[test]
    fn refuses_unusable_headers() {
        for bad in [
            json!({}),
            json!({"alg":"none"}),
            json!({"alg":"NONE"}),
            json!({"alg":256}),
            json!({"alg":["RS256"]}),
            json!({"alg":"RS256","kid":{"kid":"a"}}),
            json!({"alg":"RS256","crit":["exp"]}),
            json!({"alg":"RS256","crit":[]}),
            json!({"alg":"RS256","enc":"A256GCM"}),
            json!({"alg":"RS256","b64":false}),
            json!({"alg":"RS256","cty":"jwt"}),
            json!({"alg":"RS256","typ":1}),
        ] {
            assert!(header(bad.clone()).is_err(), "{bad}");
        }
        assert!(header(json!({"alg":"RS256","b64":true,"cty":"JSON"})).is_ok());
    }
}
