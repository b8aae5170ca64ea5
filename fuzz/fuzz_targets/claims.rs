//! Typed claims (`Claims::parse_with_header`: serde straight into one-allocation spans),
//! checked against a plain `serde_json::Value` reading of the same bytes.
//!
//! Input: `KID \n TYP \n CLAIMS_JSON` when it has two newlines (an empty line: no kid/typ),
//! else the whole input is the claims JSON.
#![no_main]

use credentialflow_core::jose::claims::Claims;
use credentialflow_core::jose::json::parse_object;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

fn nonempty(b: &[u8]) -> Option<&str> {
    std::str::from_utf8(b).ok().filter(|s| !s.is_empty())
}

fn split(data: &[u8]) -> (Option<&str>, Option<&str>, &[u8]) {
    let mut parts = data.splitn(3, |&b| b == b'\n');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(kid), Some(typ), Some(json)) => {
            match (std::str::from_utf8(kid), std::str::from_utf8(typ)) {
                (Ok(_), Ok(_)) => (nonempty(kid), nonempty(typ), json),
                _ => (None, None, data),
            }
        }
        _ => (None, None, data),
    }
}

/// The registered claims the record keeps typed (RFC 7519 §4.1; `scope` and `client_id`,
/// RFC 9068 §2.2): a claim of another type is refused, never read as absent.
const REGISTERED: [&str; 9] =
    ["exp", "nbf", "iat", "iss", "sub", "jti", "scope", "client_id", "aud"];

/// What the claims must read as, from the JSON object.
fn date(map: &Map<String, Value>, name: &str) -> Option<Option<i64>> {
    match map.get(name) {
        None => Some(None),
        Some(Value::Number(n)) => Some(Some(match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i,
            (None, Some(_), _) => i64::MAX,
            (None, None, Some(f)) if f.is_finite() => f.floor() as i64,
            _ => return None,
        })),
        Some(_) => None,
    }
}

fn text<'a>(map: &'a Map<String, Value>, name: &str) -> Option<Option<&'a str>> {
    match map.get(name) {
        None => Some(None),
        Some(Value::String(s)) => Some(Some(s)),
        Some(_) => None,
    }
}

/// `scope`: a string, or an array of non-empty scope-tokens without a space, read joined.
fn scope(map: &Map<String, Value>) -> Option<Option<String>> {
    match map.get("scope") {
        None => Some(None),
        Some(Value::String(s)) => Some(Some(s.clone())),
        Some(Value::Array(items)) => {
            let tokens: Option<Vec<&str>> = items
                .iter()
                .map(|item| item.as_str().filter(|s| !s.is_empty() && !s.contains(' ')))
                .collect();
            tokens.map(|tokens| Some(tokens.join(" ")))
        }
        Some(_) => None,
    }
}

fn audiences(map: &Map<String, Value>) -> Option<Option<Vec<&str>>> {
    match map.get("aud") {
        None => Some(None),
        Some(Value::String(s)) => Some(Some(vec![s])),
        Some(Value::Array(items)) => {
            items.iter().map(Value::as_str).collect::<Option<_>>().map(Some)
        }
        Some(_) => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let (kid, typ, json) = split(data);
    let parsed = Claims::parse_with_header(json, kid, typ);
    if let Ok(claims) = &parsed {
        assert_eq!(claims.kid(), kid);
        assert_eq!(claims.typ(), typ);
        for name in REGISTERED {
            assert!(claims.has_registered(name).is_some());
        }
        assert_eq!(claims.has_registered("x"), None);
        let _ = claims.clone() == *claims;
        // The record round-trips: the token, and custom claims stored alongside, change
        // nothing else.
        let with_token = Claims::parse_for_token(json, kid, typ, data).unwrap();
        assert_eq!(with_token.token(), data);
        let value = typ.unwrap_or("v");
        let stored = with_token.with_stored(&[("x", Some(value)), ("y", None)]).unwrap();
        assert_eq!(
            (stored.stored("x"), stored.stored("y"), stored.stored("z")),
            (Some(Some(value)), Some(None), None)
        );
        assert_eq!(stored.token(), data);
        assert_eq!(
            [stored.exp(), stored.nbf(), stored.iat()],
            [claims.exp(), claims.nbf(), claims.iat()]
        );
        assert_eq!(
            [stored.iss(), stored.sub(), stored.jti(), stored.scope(), stored.client_id()],
            [claims.iss(), claims.sub(), claims.jti(), claims.scope(), claims.client_id()]
        );
        assert_eq!([stored.kid(), stored.typ()], [claims.kid(), claims.typ()]);
        assert_eq!(
            stored.audiences().map(Iterator::collect::<Vec<_>>),
            claims.audiences().map(Iterator::collect::<Vec<_>>)
        );
    }
    // The reference: a strict JSON object (no duplicate member at all) read with Value.
    let Ok(map) = parse_object(json) else { return };
    let expected = (|| {
        Some((
            [date(&map, "exp")?, date(&map, "nbf")?, date(&map, "iat")?],
            [text(&map, "iss")?, text(&map, "sub")?, text(&map, "jti")?, text(&map, "client_id")?],
            scope(&map)?,
            audiences(&map)?,
        ))
    })();
    match (expected, parsed) {
        (Some((dates, texts, scope, aud)), Ok(claims)) => {
            assert_eq!([claims.exp(), claims.nbf(), claims.iat()], dates);
            let read = [claims.iss(), claims.sub(), claims.jti(), claims.client_id()];
            assert_eq!(read, texts);
            assert_eq!(claims.scope(), scope.as_deref());
            assert_eq!(claims.audiences().map(|a| a.collect::<Vec<_>>()), aud);
            for name in REGISTERED {
                assert_eq!(claims.has_registered(name), Some(map.contains_key(name)), "{name}");
            }
        }
        // Well-typed registered claims in a strict object always parse.
        (Some(_), Err(e)) => panic!("strict object with well-typed claims refused: {e:?}"),
        // A mistyped registered claim is never accepted (never read as absent).
        (None, Ok(_)) => panic!("mistyped registered claim accepted"),
        (None, Err(_)) => {}
    }
});
