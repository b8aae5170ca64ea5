//! The registered claims CredentialFlow checks, read once with strict types.
//!
//! A registered claim of the wrong JSON type makes the token invalid; it is never treated as
//! absent (the mistake behind CVE-2026-25537). The claims are parsed straight into typed
//! fields (no intermediate JSON map), and their strings are kept in one allocation, because
//! the cache holds many of them.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use crate::json;
use crate::reject::Rejection;

/// A string that borrows from the input when it has no escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

/// `null` is a wrong type, not an absent claim: `Option<T>` would take it as `None`.
fn present_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Text<'de>>, D::Error> {
    Text::deserialize(d).map(Some)
}

/// A NumericDate (RFC 7519 §2): any finite JSON number, floored and saturated to i64, so
/// 2^64 never wraps to 0 and 2^63 never wraps negative. Anything else (`null` included) fails.
fn numeric_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let number = serde_json::Number::deserialize(d)?;
    if let Some(i) = number.as_i64() {
        return Ok(Some(i));
    }
    if number.as_u64().is_some() {
        return Ok(Some(i64::MAX));
    }
    match number.as_f64() {
        Some(f) if f.is_finite() => Ok(Some(f.floor() as i64)),
        _ => Err(de::Error::custom("not a NumericDate")),
    }
}

/// `aud`: a string or an array of strings (RFC 7519 §4.1.3).
fn audience<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Text<'de>>>, D::Error> {
    struct AudienceVisitor;
    impl<'de> Visitor<'de> for AudienceVisitor {
        type Value = Vec<Text<'de>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or an array of strings")
        }
        fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(vec![Text(Cow::Borrowed(v))])
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(vec![Text(Cow::Owned(v.to_string()))])
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element::<Text<'de>>()? {
                items.push(item);
            }
            Ok(items)
        }
    }
    d.deserialize_any(AudienceVisitor).map(Some)
}

/// The registered claims as they appear in the JSON; unknown members are skipped, a repeated
/// registered member is an error (serde refuses duplicate fields, escaped spellings included).
#[derive(Deserialize)]
struct RawClaims<'a> {
    #[serde(default, deserialize_with = "numeric_date")]
    exp: Option<i64>,
    #[serde(default, deserialize_with = "numeric_date")]
    nbf: Option<i64>,
    #[serde(default, deserialize_with = "numeric_date")]
    iat: Option<i64>,
    #[serde(default, borrow, deserialize_with = "present_text")]
    iss: Option<Text<'a>>,
    #[serde(default, borrow, deserialize_with = "present_text")]
    sub: Option<Text<'a>>,
    #[serde(default, borrow, deserialize_with = "present_text")]
    jti: Option<Text<'a>>,
    #[serde(default, borrow, deserialize_with = "present_text")]
    scope: Option<Text<'a>>,
    #[serde(default, borrow, deserialize_with = "audience")]
    aud: Option<Vec<Text<'a>>>,
}

const ISS: usize = 0;
const SUB: usize = 1;
const JTI: usize = 2;
const SCOPE: usize = 3;
const KID: usize = 4;
const TYP: usize = 5;
/// Fixed string fields before the audiences.
const FIXED: usize = 6;
/// Bit in `present` that says `aud` was present.
const AUD: usize = FIXED;
/// Span ends kept inline: the fixed fields and one audience (the usual case).
const INLINE: usize = FIXED + 1;

/// Typed registered claims of a verified token.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Claims {
    /// `exp` as whole seconds since the epoch (fractions dropped, saturating).
    pub exp: Option<i64>,
    /// `nbf`, likewise.
    pub nbf: Option<i64>,
    /// `iat`, likewise.
    pub iat: Option<i64>,
    /// `iss`, `sub`, `jti`, `scope`, the header's `kid` and `typ`, then every audience, one
    /// after another in one allocation.
    text: Box<str>,
    /// End offsets in `text` of the fixed fields and the first audience.
    ends: [u32; INLINE],
    /// End offsets of further audiences (empty, and unallocated, for most tokens).
    more_ends: Box<[u32]>,
    /// How many audiences there are.
    audiences: u32,
    /// Bit i: fixed field i is present; bit `AUD`: `aud` is present.
    present: u8,
}

impl Claims {
    /// Parses a decoded claims segment: depth-checked, a JSON object, typed registered claims.
    /// The header's `kid` and `typ` are kept alongside, in the same allocation.
    pub fn parse_with_header(
        bytes: &[u8],
        kid: Option<&str>,
        typ: Option<&str>,
    ) -> Result<Claims, Rejection> {
        json::check_depth(bytes, json::MAX_DEPTH).map_err(|_| Rejection::Malformed)?;
        // serde would also take a JSON array as a struct: only an object is a claims set.
        if bytes.trim_ascii_start().first() != Some(&b'{') {
            return Err(Rejection::Malformed);
        }
        let raw: RawClaims<'_> = serde_json::from_slice(bytes).map_err(|e| match e.classify() {
            serde_json::error::Category::Data => Rejection::BadClaims,
            _ => Rejection::Malformed,
        })?;
        let fixed: [Option<&str>; FIXED] = [
            raw.iss.as_ref().map(|t| &*t.0),
            raw.sub.as_ref().map(|t| &*t.0),
            raw.jti.as_ref().map(|t| &*t.0),
            raw.scope.as_ref().map(|t| &*t.0),
            kid,
            typ,
        ];
        let audiences = raw.aud.as_deref().unwrap_or_default();
        let mut text = String::new();
        let mut ends = Vec::with_capacity(FIXED + audiences.len());
        let mut present = 0u8;
        let end = |text: &String| u32::try_from(text.len()).map_err(|_| Rejection::Malformed);
        for (i, field) in fixed.into_iter().enumerate() {
            if let Some(value) = field {
                text.push_str(value);
                present |= 1 << i;
            }
            ends.push(end(&text)?);
        }
        if raw.aud.is_some() {
            present |= 1 << AUD;
        }
        for Text(audience) in audiences {
            text.push_str(audience);
            ends.push(end(&text)?);
        }
        let mut inline = [0u32; INLINE];
        let split = ends.len().min(INLINE);
        inline[..split].copy_from_slice(&ends[..split]);
        Ok(Claims {
            exp: raw.exp,
            nbf: raw.nbf,
            iat: raw.iat,
            text: text.into_boxed_str(),
            ends: inline,
            more_ends: ends[split..].into(),
            audiences: u32::try_from(audiences.len()).map_err(|_| Rejection::Malformed)?,
            present,
        })
    }

    /// [`Claims::parse_with_header`] without header fields.
    pub fn parse(bytes: &[u8]) -> Result<Claims, Rejection> {
        Claims::parse_with_header(bytes, None, None)
    }

    fn end(&self, index: usize) -> usize {
        let end = match index.checked_sub(INLINE) {
            None => self.ends.get(index),
            Some(extra) => self.more_ends.get(extra),
        };
        end.copied().unwrap_or(0) as usize
    }

    fn span(&self, index: usize) -> &str {
        let start = index.checked_sub(1).map_or(0, |previous| self.end(previous));
        self.text.get(start..self.end(index)).unwrap_or_default()
    }

    fn fixed(&self, index: usize) -> Option<&str> {
        (self.present & (1 << index) != 0).then(|| self.span(index))
    }

    /// `iss`.
    pub fn iss(&self) -> Option<&str> {
        self.fixed(ISS)
    }

    /// `sub`.
    pub fn sub(&self) -> Option<&str> {
        self.fixed(SUB)
    }

    /// `jti`.
    pub fn jti(&self) -> Option<&str> {
        self.fixed(JTI)
    }

    /// `scope`, the space-separated string of RFC 8693 §4.2 / RFC 9068.
    pub fn scope(&self) -> Option<&str> {
        self.fixed(SCOPE)
    }

    /// The header's `kid`.
    pub fn kid(&self) -> Option<&str> {
        self.fixed(KID)
    }

    /// The header's `typ`.
    pub fn typ(&self) -> Option<&str> {
        self.fixed(TYP)
    }

    /// The audiences (`aud` as a string counts as one), or `None` without `aud`.
    pub fn audiences(&self) -> Option<impl Iterator<Item = &str>> {
        let count = self.audiences as usize;
        (self.present & (1 << AUD) != 0)
            .then(|| (FIXED..FIXED + count).map(move |index| self.span(index)))
    }

    /// Whether the named registered claim is present; `None` for a name that is not one of
    /// the typed claims (the caller must then look at the whole claims object).
    pub fn has_registered(&self, name: &str) -> Option<bool> {
        Some(match name {
            "exp" => self.exp.is_some(),
            "nbf" => self.nbf.is_some(),
            "iat" => self.iat.is_some(),
            "iss" => self.iss().is_some(),
            "sub" => self.sub().is_some(),
            "jti" => self.jti().is_some(),
            "scope" => self.scope().is_some(),
            "aud" => self.present & (1 << AUD) != 0,
            _ => return None,
        })
    }

    /// Whether `scope` lists `wanted` as one exact space-separated item.
    pub fn has_scope(&self, wanted: &str) -> bool {
        self.scope().is_some_and(|scope| scope.split(' ').any(|item| item == wanted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(json: &str) -> Result<Claims, Rejection> {
        Claims::parse(json.as_bytes())
    }

    #[test]
    fn numeric_dates() {
        let c = claims(r#"{"exp": 1.9e9, "nbf": -5, "iat": 18446744073709551615}"#).unwrap();
        assert_eq!(c.exp, Some(1_900_000_000));
        assert_eq!(c.nbf, Some(-5));
        assert_eq!(c.iat, Some(i64::MAX));
        assert_eq!(claims(r#"{"nbf": 18446744073709551616}"#).unwrap().nbf, Some(i64::MAX));
        assert_eq!(claims(r#"{"exp": -0}"#).unwrap().exp, Some(0));
        assert_eq!(claims(r#"{"exp": 1.5}"#).unwrap().exp, Some(1));
    }

    #[test]
    fn wrong_types_are_invalid_not_absent() {
        for bad in [
            r#"{"exp": "99999999999"}"#,
            r#"{"exp": null}"#,
            r#"{"nbf": true}"#,
            r#"{"iat": [1]}"#,
            r#"{"iss": ["a"]}"#,
            r#"{"iss": null}"#,
            r#"{"aud": {"a": 1}}"#,
            r#"{"aud": 5}"#,
            r#"{"aud": null}"#,
            r#"{"aud": ["a", 1]}"#,
            r#"{"sub": {"x": 1}}"#,
            r#"{"scope": ["a"]}"#,
        ] {
            assert_eq!(claims(bad), Err(Rejection::BadClaims), "{bad}");
        }
    }

    #[test]
    fn duplicates_and_non_objects_are_refused() {
        assert!(claims(r#"{"exp":1,"exp":2}"#).is_err());
        assert!(claims(r#"{"exp":1,"\u0065xp":2}"#).is_err());
        assert!(claims(r#"{"iss":"a","iss":"b"}"#).is_err());
        for bad in ["[]", "[1,2]", "\"x\"", "{", "{}x", "\u{feff}{}", r#"{"a":NaN}"#, ""] {
            assert!(claims(bad).is_err(), "{bad:?}");
        }
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(100), "]".repeat(100));
        assert_eq!(claims(&deep), Err(Rejection::Malformed));
    }

    #[test]
    fn strings_audiences_and_scopes() {
        let c = claims(
            r#"{"iss":"https:\/\/i","sub":"al\u0069ce","aud":["a","b"],"scope":"orders:read  profile","x":{"y":[1]}}"#,
        )
        .unwrap();
        assert_eq!(c.iss(), Some("https://i"));
        assert_eq!(c.sub(), Some("alice"));
        assert_eq!(c.jti(), None);
        assert_eq!(c.audiences().unwrap().collect::<Vec<_>>(), ["a", "b"]);
        assert!(c.has_scope("orders:read") && c.has_scope("profile"));
        assert!(!c.has_scope("orders") && !c.has_scope("orders:read profile"));
        assert_eq!(c.has_registered("aud"), Some(true));
        assert_eq!(c.has_registered("tenant"), None);
        let empty = claims(r#"{"aud": []}"#).unwrap();
        assert_eq!(empty.audiences().unwrap().count(), 0);
        assert!(claims(r#"{"aud": "one"}"#).unwrap().audiences().unwrap().eq(["one"]));
        assert!(claims("{}").unwrap().audiences().is_none());
        let many = claims(r#"{"aud":["a","bb","ccc"],"sub":"s"}"#).unwrap();
        assert_eq!(many.audiences().unwrap().collect::<Vec<_>>(), ["a", "bb", "ccc"]);
        let with_header = Claims::parse_with_header(br#"{"sub":"s"}"#, Some("k1"), None).unwrap();
        assert_eq!(
            (with_header.sub(), with_header.kid(), with_header.typ()),
            (Some("s"), Some("k1"), None)
        );
    }
}
