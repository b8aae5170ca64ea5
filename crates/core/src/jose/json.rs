//! Strict JSON for token segments and key files: bounded nesting, a top-level object, no
//! duplicate members.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Deepest nesting of arrays/objects accepted inside a header or claims set.
pub const MAX_DEPTH: usize = 16;

/// Why a segment is not acceptable JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    /// Nesting deeper than [`MAX_DEPTH`]: refused before parsing allocates anything.
    #[error("JSON nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// Not a JSON object, invalid JSON, or a member name repeated (RFC 7515 §4, RFC 8725 §2.6).
    #[error("invalid JSON object: {0}")]
    Invalid(String),
}

/// Checks nesting depth with a single pass and no allocation; strings are skipped properly so
/// brackets inside them do not count.
pub fn check_depth(bytes: &[u8], max: usize) -> Result<(), JsonError> {
    // Nesting cannot exceed the number of opening brackets: counting them is a vectorised
    // search (memchr), and real tokens have a handful, so the exact walk is rarely needed.
    if memchr::memchr2_iter(b'{', b'[', bytes).count() <= max {
        return Ok(());
    }
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max {
                    return Err(JsonError::TooDeep);
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// A JSON string that borrows from the input when it has no escapes.
pub(crate) struct JsonStr<'a>(pub Cow<'a, str>);

impl<'de> Deserialize<'de> for JsonStr<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;
        impl<'de> Visitor<'de> for StrVisitor {
            type Value = JsonStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<JsonStr<'de>, E> {
                Ok(JsonStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<JsonStr<'de>, E> {
                Ok(JsonStr(Cow::Owned(v.to_string())))
            }
        }
        deserializer.deserialize_str(StrVisitor)
    }
}

/// Reads the members whose names `wanted` accepts; every other value is checked and skipped,
/// never built.
struct MemberFinder<F>(F);

impl<'de, F: Fn(&str) -> bool> DeserializeSeed<'de> for MemberFinder<F> {
    type Value = Vec<(String, Value)>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, F: Fn(&str) -> bool> Visitor<'de> for MemberFinder<F> {
    type Value = Vec<(String, Value)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut names: Vec<Cow<'de, str>> = Vec::new();
        let mut found = Vec::new();
        while let Some(JsonStr(name)) = access.next_key::<JsonStr<'de>>()? {
            if names.contains(&name) {
                return Err(de::Error::custom("duplicate member"));
            }
            if (self.0)(&name) {
                found.push((name.to_string(), access.next_value::<Value>()?));
            } else {
                access.next_value::<IgnoredAny>()?;
            }
            names.push(name);
        }
        Ok(found)
    }
}

/// The top-level members of a JSON object whose names `wanted` accepts, in order. The same
/// strictness as [`parse_object`] (depth, one object, no repeated member name anywhere at the
/// top level), without building the members nobody asked for.
pub fn find_members(
    bytes: &[u8],
    wanted: impl Fn(&str) -> bool,
) -> Result<Vec<(String, Value)>, JsonError> {
    check_depth(bytes, MAX_DEPTH)?;
    let text = utf8(bytes)?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let found = MemberFinder(wanted)
        .deserialize(&mut deserializer)
        .and_then(|found| deserializer.end().map(|()| found))
        .map_err(|e| JsonError::Invalid(e.classify_name().to_string()))?;
    Ok(found)
}

/// The segment as text: JSON is UTF-8 (RFC 8259 §8.1), skipped members included, which
/// serde_json does not check in values it skips.
pub fn utf8(bytes: &[u8]) -> Result<&str, JsonError> {
    std::str::from_utf8(bytes).map_err(|_| JsonError::Invalid("not UTF-8".into()))
}

/// A JSON value in which no object, at any depth, repeats a member name (after unescaping):
/// with a repeated name, which value counts depends on the parser, and two parsers that
/// disagree let one document mean two things (RFC 8725 §2.6, RFC 7517 §4: a JWK with two
/// `alg` or two `k` members).
struct StrictValue(Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = StrictValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::from(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<StrictValue, E> {
        // serde_json never hands a non-finite number to a visitor.
        Ok(StrictValue(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::String(v.to_string())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::String(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::Null))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut access: A) -> Result<StrictValue, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictValue(item)) = access.next_element()? {
            items.push(item);
        }
        Ok(StrictValue(Value::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<StrictValue, A::Error> {
        let mut map = Map::new();
        while let Some(name) = access.next_key::<String>()? {
            let StrictValue(value) = access.next_value()?;
            if map.contains_key(&name) {
                return Err(de::Error::custom("duplicate member"));
            }
            map.insert(name, value);
        }
        Ok(StrictValue(Value::Object(map)))
    }
}

/// Parses a JSON object strictly: depth-checked, an object, no repeated member name in any
/// object at any depth, nothing but whitespace after it; serde_json rejects invalid UTF-8, NaN
/// and comments. Key files (JWKS, a single JWK) are read this way.
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, JsonError> {
    check_depth(bytes, MAX_DEPTH)?;
    match serde_json::from_str::<StrictValue>(utf8(bytes)?) {
        Ok(StrictValue(Value::Object(object))) => Ok(object),
        Ok(_) => Err(JsonError::Invalid("not an object".into())),
        Err(e) => Err(JsonError::Invalid(e.classify_name().to_string())),
    }
}

trait Classify {
    fn classify_name(&self) -> &'static str;
}

impl Classify for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "io",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "not an object, or a duplicate member",
            serde_json::error::Category::Eof => "truncated",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_objects() {
        let map = parse_object(br#" {"a":1,"b":[1,{"c":"}]"}]} "#).unwrap();
        assert_eq!(map.len(), 2);
    }

    #[test]
    fn rejects_duplicates_even_when_escaped() {
        assert!(parse_object(br#"{"exp":1,"exp":2}"#).is_err());
        assert!(parse_object(br#"{"keys":[{"kty":"oct","k":"a","k":"b"}]}"#).is_err());
        assert!(parse_object(br#"{"a":{"b":{"c":1,"\u0063":2}}}"#).is_err());
        assert!(parse_object(br#"[{"a":1}]"#).is_err());
        assert!(parse_object(br#"{"exp":1,"\u0065xp":2}"#).is_err());
    }

    #[test]
    fn rejects_non_objects_and_junk() {
        for bad in
            [&b"[]"[..], b"\"x\"", b"1", b"{", b"{}x", b"\xef\xbb\xbf{}", b"{\"a\":NaN}", b""]
        {
            assert!(parse_object(bad).is_err(), "{bad:?}");
        }
        assert!(parse_object(b"{\"a\":\"\xff\"}").is_err());
    }

    #[test]
    fn finds_members_with_the_same_strictness() {
        let json = br#"{"a":1,"b":{"x":[1,2]},"B":"s","c":null}"#;
        let found = find_members(json, |name| name.eq_ignore_ascii_case("b")).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].0, "b");
        assert_eq!(found[1].1, Value::String("s".into()));
        assert!(find_members(json, |name| name == "z").unwrap().is_empty());
        assert!(find_members(br#"{"a":1,"\u0061":2}"#, |name| name == "z").is_err());
        for bad in [&b"[]"[..], b"{", b"{}x", b"{\"a\":NaN}", b"{\"a\":\"\xff\"}"] {
            assert!(find_members(bad, |_| false).is_err(), "{bad:?}");
            assert!(parse_object(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn depth_is_bounded_before_parsing() {
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(100), "]".repeat(100));
        assert_eq!(parse_object(deep.as_bytes()), Err(JsonError::TooDeep));
        let ok = format!("{{\"a\":{}1{}}}", "[".repeat(10), "]".repeat(10));
        assert!(parse_object(ok.as_bytes()).is_ok());
        // Brackets inside strings, including after an escaped quote, do not count.
        let quoted = format!("{{\"a\":\"\\\"{}\"}}", "[".repeat(100));
        assert!(parse_object(quoted.as_bytes()).is_ok());
    }
}
