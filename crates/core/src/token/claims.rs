//! The registered claims CredentialFlow checks, read once with strict types.
//!
//! A registered claim of the wrong JSON type makes the token invalid; it is never treated as
//! absent (the mistake behind CVE-2026-25537).

use serde_json::{Map, Value};

use crate::reject::Rejection;

/// Typed registered claims of a verified token.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Claims {
    /// `exp` as whole seconds since the epoch (fractions dropped, saturating).
    pub exp: Option<i64>,
    /// `nbf`, likewise.
    pub nbf: Option<i64>,
    /// `iat`, likewise.
    pub iat: Option<i64>,
    /// `iss`.
    pub iss: Option<Box<str>>,
    /// `sub`.
    pub sub: Option<Box<str>>,
    /// `jti`.
    pub jti: Option<Box<str>>,
    /// `aud`, a string or an array of strings, as a list.
    pub aud: Option<Box<[Box<str>]>>,
    /// `scope`, the space-separated string of RFC 8693 §4.2 / RFC 9068.
    pub scope: Option<Box<str>>,
}

/// A NumericDate (RFC 7519 §2): any finite JSON number, floored and saturated to i64, so
/// 2^64 never wraps to 0 and 2^63 never wraps negative.
fn numeric_date(value: &Value) -> Result<i64, Rejection> {
    let Value::Number(number) = value else { return Err(Rejection::BadClaims) };
    if let Some(i) = number.as_i64() {
        return Ok(i);
    }
    if number.as_u64().is_some() {
        return Ok(i64::MAX);
    }
    match number.as_f64() {
        Some(f) if f.is_finite() => Ok(f.floor() as i64),
        _ => Err(Rejection::BadClaims),
    }
}

fn time(map: &Map<String, Value>, name: &str) -> Result<Option<i64>, Rejection> {
    map.get(name).map(numeric_date).transpose()
}

fn string(map: &Map<String, Value>, name: &str) -> Result<Option<Box<str>>, Rejection> {
    match map.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str().into())),
        Some(_) => Err(Rejection::BadClaims),
    }
}

fn audience(map: &Map<String, Value>) -> Result<Option<Box<[Box<str>]>>, Rejection> {
    match map.get("aud") {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(vec![s.as_str().into()].into())),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(Box::from).ok_or(Rejection::BadClaims))
            .collect::<Result<Vec<_>, _>>()
            .map(|list| Some(list.into())),
        Some(_) => Err(Rejection::BadClaims),
    }
}

impl Claims {
    /// Reads the registered claims from a parsed claims object.
    pub fn from_object(map: &Map<String, Value>) -> Result<Claims, Rejection> {
        Ok(Claims {
            exp: time(map, "exp")?,
            nbf: time(map, "nbf")?,
            iat: time(map, "iat")?,
            iss: string(map, "iss")?,
            sub: string(map, "sub")?,
            jti: string(map, "jti")?,
            aud: audience(map)?,
            scope: string(map, "scope")?,
        })
    }

    /// Whether the named registered claim is present; `None` for a name that is not one of
    /// the typed claims (the caller must then look at the whole claims object).
    pub fn has_registered(&self, name: &str) -> Option<bool> {
        Some(match name {
            "exp" => self.exp.is_some(),
            "nbf" => self.nbf.is_some(),
            "iat" => self.iat.is_some(),
            "iss" => self.iss.is_some(),
            "sub" => self.sub.is_some(),
            "jti" => self.jti.is_some(),
            "aud" => self.aud.is_some(),
            "scope" => self.scope.is_some(),
            _ => return None,
        })
    }

    /// Whether `scope` lists `wanted` as one exact space-separated item.
    pub fn has_scope(&self, wanted: &str) -> bool {
        self.scope.as_deref().is_some_and(|scope| scope.split(' ').any(|item| item == wanted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(value: Value) -> Result<Claims, Rejection> {
        Claims::from_object(value.as_object().unwrap())
    }

    #[test]
    fn numeric_dates() {
        let c = claims(json!({"exp": 1.9e9, "nbf": -5, "iat": 18446744073709551615u64})).unwrap();
        assert_eq!(c.exp, Some(1_900_000_000));
        assert_eq!(c.nbf, Some(-5));
        assert_eq!(c.iat, Some(i64::MAX));
        let huge: Value = serde_json::from_str(r#"{"nbf": 18446744073709551616}"#).unwrap();
        assert_eq!(claims(huge).unwrap().nbf, Some(i64::MAX));
        let neg_zero: Value = serde_json::from_str(r#"{"exp": -0}"#).unwrap();
        assert_eq!(claims(neg_zero).unwrap().exp, Some(0));
        assert_eq!(claims(json!({"exp": 1.5})).unwrap().exp, Some(1));
    }

    #[test]
    fn wrong_types_are_invalid_not_absent() {
        for bad in [
            json!({"exp": "99999999999"}),
            json!({"exp": null}),
            json!({"nbf": true}),
            json!({"iat": [1]}),
            json!({"iss": ["a"]}),
            json!({"iss": null}),
            json!({"aud": {"a": 1}}),
            json!({"aud": 5}),
            json!({"aud": ["a", 1]}),
            json!({"sub": {"x": 1}}),
            json!({"scope": ["a"]}),
        ] {
            assert_eq!(claims(bad.clone()), Err(Rejection::BadClaims), "{bad}");
        }
    }

    #[test]
    fn audience_and_scope() {
        let c = claims(json!({"aud": ["a", "b"], "scope": "orders:read  profile"})).unwrap();
        assert_eq!(c.aud.as_deref().map(<[_]>::len), Some(2));
        assert!(c.has_scope("orders:read") && c.has_scope("profile"));
        assert!(!c.has_scope("orders") && !c.has_scope("orders:read profile"));
        assert_eq!(c.has_registered("aud"), Some(true));
        assert_eq!(c.has_registered("tenant"), None);
        assert_eq!(claims(json!({"aud": []})).unwrap().aud.as_deref().map(<[_]>::len), Some(0));
    }
}
