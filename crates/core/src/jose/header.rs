//! The JOSE header: what CredentialFlow reads from it, and what makes it refuse a token.

use std::sync::Arc;

use serde::de::{Deserializer, IgnoredAny};
use serde::Deserialize;
use serde_json::Value;

use crate::jose::alg::Algorithm;
use crate::jose::b64;
use crate::jose::json;
use crate::reject::Rejection;

/// The header fields that matter. Key-carrying fields (`jwk`, `jku`, `x5u`, `x5c`) are never
/// read: trust comes only from configured keys (RFC 8725 §3.10).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoseHeader {
    /// The signature algorithm; never `none`.
    pub alg: Algorithm,
    /// The key id, used to pick a configured key.
    pub kid: Option<Arc<str>>,
    /// The media type, for `$credentialflow_header_typ`.
    pub typ: Option<Arc<str>>,
}

/// How many parsed headers a memo remembers.
const MEMO_SIZE: usize = 4;
/// Longer header segments are parsed every time rather than remembered.
const MEMO_MAX_SEGMENT: usize = 512;

/// Recently parsed header segments: an issuer signs its tokens with a handful of distinct
/// headers, so on a cache miss the header is rarely decoded and parsed again. Parsing is a
/// pure function of the segment, so remembering it cannot change an outcome; failures are
/// not remembered. Owned by whoever verifies (each nginx worker keeps one with its token
/// cache); [`HeaderMemo::default`] starts empty.
#[derive(Default)]
pub struct HeaderMemo {
    entries: [Option<(Box<[u8]>, JoseHeader)>; MEMO_SIZE],
    next: usize,
}

impl HeaderMemo {
    fn recall(&self, segment: &[u8]) -> Option<JoseHeader> {
        self.entries.iter().flatten().find(|(seen, _)| **seen == *segment).map(|e| e.1.clone())
    }

    fn remember(&mut self, segment: &[u8], header: &JoseHeader) {
        if segment.len() > MEMO_MAX_SEGMENT {
            return;
        }
        let slot = self.next % MEMO_SIZE;
        if let Some(entry) = self.entries.get_mut(slot) {
            *entry = Some((segment.into(), header.clone()));
        }
        self.next = slot + 1;
    }
}

/// Present in any form, `null` included.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    IgnoredAny::deserialize(d).map(|_| true)
}

/// Present with its value, `null` included (`Option<Value>` would read `null` as absent).
fn present_value<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// A string member; `null` or another type is an error.
fn present_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    String::deserialize(d).map(Some)
}

/// The header members read, straight from the JSON; serde refuses a repeated member among
/// these (escaped spellings included), unknown members are skipped.
#[derive(Deserialize)]
struct RawHeader {
    #[serde(default, deserialize_with = "present_string")]
    alg: Option<String>,
    #[serde(default, deserialize_with = "present_string")]
    kid: Option<String>,
    #[serde(default, deserialize_with = "present_string")]
    typ: Option<String>,
    #[serde(default, deserialize_with = "present_value")]
    cty: Option<Value>,
    #[serde(default, deserialize_with = "present_value")]
    b64: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    crit: bool,
    #[serde(default, deserialize_with = "present")]
    enc: bool,
    #[serde(default, deserialize_with = "present")]
    zip: bool,
}

impl JoseHeader {
    /// Decodes and parses a header segment (still base64url), or takes it from `memo`.
    pub fn from_segment(segment: &[u8], memo: &mut HeaderMemo) -> Result<JoseHeader, Rejection> {
        if let Some(header) = memo.recall(segment) {
            return Ok(header);
        }
        let json = b64::decode(segment).ok_or(Rejection::Malformed)?;
        let header = JoseHeader::parse(&json)?;
        memo.remember(segment, &header);
        Ok(header)
    }

    /// Parses a decoded header segment.
    pub fn parse(bytes: &[u8]) -> Result<JoseHeader, Rejection> {
        json::check_depth(bytes, json::MAX_DEPTH).map_err(|_| Rejection::Malformed)?;
        // serde would also take a JSON array as a struct: only an object is a header.
        if bytes.trim_ascii_start().first() != Some(&b'{') {
            return Err(Rejection::Malformed);
        }
        let text = json::utf8(bytes).map_err(|_| Rejection::Malformed)?;
        let raw: RawHeader = serde_json::from_str(text).map_err(|e| match e.classify() {
            serde_json::error::Category::Data => Rejection::BadHeader,
            _ => Rejection::Malformed,
        })?;
        let alg = raw
            .alg
            .as_deref()
            .and_then(|name| Algorithm::from_name(name.as_bytes()))
            .ok_or(Rejection::BadHeader)?;
        // No JWS extension is understood, so any `crit` makes the token invalid
        // (RFC 7515 §4.1.11); JWE (`enc`), compression (`zip`) and unencoded payloads
        // (`b64`, RFC 7797) are not JWTs we accept.
        if raw.crit || raw.enc || raw.zip {
            return Err(Rejection::BadHeader);
        }
        if raw.b64.is_some_and(|b64| b64 != Value::Bool(true)) {
            return Err(Rejection::BadHeader);
        }
        // A nested JWT would need a second verification that is not offered.
        if let Some(Value::String(cty)) = &raw.cty {
            if cty.eq_ignore_ascii_case("JWT") {
                return Err(Rejection::BadHeader);
            }
        }
        Ok(JoseHeader { alg, kid: raw.kid.map(Into::into), typ: raw.typ.map(Into::into) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn header(value: Value) -> Result<JoseHeader, Rejection> {
        JoseHeader::parse(value.to_string().as_bytes())
    }

    #[test]
    fn reads_alg_kid_typ() {
        let h = header(json!({"alg":"ES256","kid":"k1","typ":"at+jwt","jku":"http://x"})).unwrap();
        assert_eq!(h.alg, Algorithm::ES256);
        assert_eq!(h.kid.as_deref(), Some("k1"));
        assert_eq!(h.typ.as_deref(), Some("at+jwt"));
    }

    #[test]
    fn remembered_headers_parse_the_same() {
        let memo = &mut HeaderMemo::default();
        let good = b64::encode(br#"{"alg":"ES256","kid":"memo"}"#);
        for _ in 0..3 {
            let h = JoseHeader::from_segment(good.as_bytes(), memo).unwrap();
            assert_eq!((h.alg, h.kid.as_deref()), (Algorithm::ES256, Some("memo")));
        }
        let bad = b64::encode(br#"{"alg":"none"}"#);
        for _ in 0..2 {
            assert!(JoseHeader::from_segment(bad.as_bytes(), memo).is_err());
        }
        assert_eq!(JoseHeader::from_segment(b"e30=", memo), Err(Rejection::Malformed));
        for n in 0..2 * MEMO_SIZE {
            let other = b64::encode(format!(r#"{{"alg":"HS256","kid":"{n}"}}"#).as_bytes());
            assert_eq!(
                JoseHeader::from_segment(other.as_bytes(), memo).unwrap().kid.unwrap(),
                n.to_string().into()
            );
        }
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
        for bad in [
            r#"{"alg":"RS256","alg":"HS256"}"#,
            r#"{"alg":"RS256","\u0061lg":"HS256"}"#,
            r#"["RS256"]"#,
            r#"{"alg":"RS256","crit":null}"#,
            r#"{"alg":"RS256","b64":null}"#,
            r#"{"alg":"RS256","kid":null}"#,
        ] {
            assert!(JoseHeader::parse(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
