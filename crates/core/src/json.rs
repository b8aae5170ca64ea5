//! Strict JSON for token segments: bounded nesting, a top-level object, no duplicate members.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
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

/// A JSON object whose top-level member names are unique (after unescaping).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StrictObject(pub Map<String, Value>);

impl<'de> Deserialize<'de> for StrictObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;

        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = StrictObject;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<StrictObject, A::Error> {
                let mut map = Map::new();
                while let Some(name) = access.next_key::<String>()? {
                    let value: Value = access.next_value()?;
                    if map.contains_key(&name) {
                        return Err(de::Error::custom("duplicate member"));
                    }
                    map.insert(name, value);
                }
                Ok(StrictObject(map))
            }
        }

        deserializer.deserialize_map(ObjectVisitor)
    }
}

/// Parses a decoded header or claims segment: depth-checked, an object, no duplicate names,
/// nothing but whitespace after it. serde_json rejects invalid UTF-8, NaN and comments.
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, JsonError> {
    check_depth(bytes, MAX_DEPTH)?;
    serde_json::from_slice::<StrictObject>(bytes)
        .map(|object| object.0)
        .map_err(|e| JsonError::Invalid(e.classify_name().to_string()))
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
