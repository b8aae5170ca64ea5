//! JSON Web Key Sets (RFC 7517): public keys only; `"use":"enc"` keys never verify.

use jsonwebtoken::DecodingKey;
use serde_json::{Map, Value};

use super::{hmac_key, KeyError, LoadedKeys, VerifyKey, MIN_RSA_BITS};
use crate::jose::alg::{Algorithm, KeyFamily};
use crate::jose::b64;
use crate::jose::der;
use crate::jose::json;

/// Members that only a private JWK has.
const PRIVATE_MEMBERS: [&str; 6] = ["d", "p", "q", "dp", "dq", "qi"];

fn member<'a>(jwk: &'a Map<String, Value>, name: &str) -> Result<&'a str, String> {
    jwk.get(name).and_then(Value::as_str).ok_or_else(|| format!("member \"{name}\" missing"))
}

fn bytes(jwk: &Map<String, Value>, name: &str) -> Result<Vec<u8>, String> {
    b64::decode(member(jwk, name)?.as_bytes())
        .ok_or_else(|| format!("member \"{name}\" is not base64url"))
}

/// Why one JWK is skipped rather than failing the whole set.
enum Skip {
    /// Not for signatures, or of a kind we cannot verify with: skip with a warning.
    Unusable(String),
    /// Broken or dangerous: fail the whole file.
    Fatal(KeyError),
}

impl From<KeyError> for Skip {
    fn from(e: KeyError) -> Self {
        Skip::Fatal(e)
    }
}

fn parse_jwk(jwk: &Map<String, Value>) -> Result<VerifyKey, Skip> {
    let fatal = |msg: String| Skip::Fatal(KeyError::BadJwks(msg));
    let kid = match jwk.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(Box::<str>::from(kid.as_str())),
        Some(_) => return Err(fatal("\"kid\" is not a string".into())),
    };
    let name = kid.as_deref().map_or_else(|| "without kid".to_string(), |k| format!("\"{k}\""));
    if let Some(usage) = jwk.get("use") {
        if usage != "sig" {
            return Err(Skip::Unusable(format!("key {name} is not for signatures (\"use\")")));
        }
    }
    if let Some(Value::Array(ops)) = jwk.get("key_ops") {
        if !ops.iter().any(|op| op == "verify") {
            return Err(Skip::Unusable(format!("key {name} does not allow \"verify\"")));
        }
    }
    let pinned = match jwk.get("alg") {
        None => None,
        Some(Value::String(alg)) => match Algorithm::from_name(alg.as_bytes()) {
            Some(alg) => Some(alg),
            None => {
                return Err(Skip::Unusable(format!("key {name} has unsupported alg \"{alg}\"")))
            }
        },
        Some(_) => return Err(fatal(format!("key {name}: \"alg\" is not a string"))),
    };
    let kty = member(jwk, "kty").map_err(|e| fatal(format!("key {name}: {e}")))?;
    if kty != "oct" && PRIVATE_MEMBERS.iter().any(|m| jwk.contains_key(*m)) {
        return Err(Skip::Fatal(KeyError::PrivateKey));
    }
    let field = |n: &str| bytes(jwk, n).map_err(|e| fatal(format!("key {name}: {e}")));
    let (family, key, secret_len) = match kty {
        "RSA" => {
            let (n, e) = (field("n")?, field("e")?);
            let bits = der::bit_length(&n);
            if bits < MIN_RSA_BITS {
                return Err(KeyError::WeakRsa(bits).into());
            }
            (KeyFamily::Rsa, DecodingKey::from_rsa_raw_components(&n, &e), 0)
        }
        "EC" => {
            let (family, size) = match member(jwk, "crv").unwrap_or("") {
                "P-256" => (KeyFamily::EcP256, 32),
                "P-384" => (KeyFamily::EcP384, 48),
                crv => {
                    return Err(Skip::Unusable(format!(
                        "key {name} has unsupported curve \"{crv}\""
                    )))
                }
            };
            let (x, y) = (field("x")?, field("y")?);
            if x.len() != size || y.len() != size {
                return Err(fatal(format!("key {name}: coordinates of the wrong length")));
            }
            let point: Vec<u8> = [&[4u8][..], &x, &y].concat();
            (family, DecodingKey::from_ec_der(&point), 0)
        }
        "OKP" => {
            let crv = member(jwk, "crv").unwrap_or("");
            if crv != "Ed25519" {
                return Err(Skip::Unusable(format!("key {name} has unsupported curve \"{crv}\"")));
            }
            let x = field("x")?;
            if x.len() != 32 {
                return Err(fatal(format!("key {name}: Ed25519 key of the wrong length")));
            }
            (KeyFamily::Ed25519, DecodingKey::from_ed_der(&x), 0)
        }
        "oct" => {
            let key = hmac_key(&field("k")?, kid, pinned)?;
            check_pin(&key, &name, kty)?;
            return Ok(key);
        }
        other => return Err(Skip::Unusable(format!("key {name} has unsupported kty \"{other}\""))),
    };
    let key = VerifyKey { kid, family, pinned, secret_len, key, issuer: None };
    check_pin(&key, &name, kty)?;
    Ok(key)
}

/// One rule for every key type: a key whose `alg` it cannot verify (another family, or an
/// HMAC secret too short for it) would silently verify nothing, so the set is refused.
fn check_pin(key: &VerifyKey, name: &str, kty: &str) -> Result<(), Skip> {
    let Some(alg) = key.pinned else {
        return Ok(());
    };
    if alg.family() != key.family {
        return Err(Skip::Fatal(KeyError::BadJwks(format!(
            "key {name}: \"alg\" {} does not fit its \"kty\" {kty}",
            alg.name()
        ))));
    }
    if !key.can_verify(alg) {
        return Err(Skip::Fatal(KeyError::BadJwks(format!(
            "key {name}: \"alg\" {} needs a secret of at least {} bytes, the key has {}",
            alg.name(),
            alg.min_secret_len(),
            key.secret_len
        ))));
    }
    Ok(())
}

/// Parses a JWK Set, or a single JWK as a set of one.
pub fn parse(text: &[u8]) -> Result<LoadedKeys, KeyError> {
    parse_set(text, false)
}

/// Parses a JWK Set published by an identity provider: a key that a key file would be refused
/// for (weak, private, with a pinned `alg` that does not fit it) is skipped with the reason
/// instead, so one bad key does not take the good ones down with it. The document itself
/// must still be one strict JSON object with at least one usable key.
pub fn parse_published(text: &[u8]) -> Result<LoadedKeys, KeyError> {
    parse_set(super::shape::strip_bom(text), true)
}

fn parse_set(text: &[u8], skip_bad_keys: bool) -> Result<LoadedKeys, KeyError> {
    // Strict: a key with two "alg" or two "k" members means what the last parser says.
    let mut object = json::parse_object(text).map_err(|e| KeyError::BadJwks(e.to_string()))?;
    let not_a_set = || KeyError::BadJwks("neither a JWK Set (\"keys\") nor a JWK (\"kty\")".into());
    let entries = match object.remove("keys") {
        Some(Value::Array(entries)) => entries,
        Some(_) => return Err(KeyError::BadJwks("\"keys\" is not an array".into())),
        None if object.contains_key("kty") => vec![Value::Object(object)],
        None => return Err(not_a_set()),
    };
    let mut loaded = LoadedKeys {
        keys: Vec::new(),
        skipped: Vec::new(),
        warnings: Vec::new(),
        holds_secret: false,
    };
    for entry in &entries {
        let Value::Object(jwk) = entry else {
            return Err(KeyError::BadJwks("a key is not a JSON object".into()));
        };
        match parse_jwk(jwk) {
            Ok(key) => {
                loaded.holds_secret |= key.family == KeyFamily::Hmac;
                loaded.keys.push(key);
            }
            Err(Skip::Unusable(why)) => loaded.skipped.push(why),
            Err(Skip::Fatal(e)) if skip_bad_keys => {
                let kid = jwk.get("kid").and_then(Value::as_str).unwrap_or("-");
                loaded.skipped.push(format!("key \"{kid}\": {e}"));
            }
            Err(Skip::Fatal(e)) => return Err(e),
        }
    }
    if loaded.keys.is_empty() {
        return Err(KeyError::BadJwks("no key usable for signature verification".into()));
    }
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ec_jwk(extra: &str) -> String {
        let coord = b64::encode(&[7u8; 32]);
        format!(r#"{{"kty":"EC","crv":"P-256","x":"{coord}","y":"{coord}","kid":"e1"{extra}}}"#)
    }

    #[test]
    fn loads_keys_and_skips_enc() {
        let set = format!(
            r#"{{"keys":[{},{},{{"kty":"EC","crv":"P-521","x":"AA","y":"AA"}}]}}"#,
            ec_jwk(r#","alg":"ES256""#),
            ec_jwk(r#","use":"enc""#)
        );
        let loaded = parse(set.as_bytes()).unwrap();
        assert_eq!(loaded.keys.len(), 1);
        assert_eq!(loaded.keys[0].pinned, Some(Algorithm::ES256));
        assert_eq!(loaded.keys[0].kid.as_deref(), Some("e1"));
        assert_eq!(loaded.skipped.len(), 2, "{:?}", loaded.skipped);
        assert!(!loaded.holds_secret);
    }

    #[test]
    fn a_published_set_skips_bad_keys_and_keeps_the_good_ones() {
        let weak =
            format!(r#"{{"kty":"RSA","kid":"w","n":"{}","e":"AQAB"}}"#, b64::encode(&[0xff; 128]));
        let private = ec_jwk(r#","d":"AA""#);
        let set = format!(r#"{{"keys":[{weak},{private},{}]}}"#, ec_jwk(""));
        assert!(parse(set.as_bytes()).is_err(), "a key file with a weak key is refused");
        let loaded = parse_published(set.as_bytes()).unwrap();
        assert_eq!(loaded.keys.len(), 1);
        assert_eq!(loaded.skipped.len(), 2, "{:?}", loaded.skipped);
        assert!(loaded.skipped[0].starts_with("key \"w\": "), "{:?}", loaded.skipped);
        let only_weak = format!(r#"{{"keys":[{weak}]}}"#);
        assert!(parse_published(only_weak.as_bytes()).is_err());
        assert!(parse_published(br#"{"keys":[],"keys":[]}"#).is_err(), "strict JSON");
    }

    #[test]
    fn refuses_dangerous_sets() {
        let private = format!(r#"{{"keys":[{}]}}"#, ec_jwk(r#","d":"AA""#));
        assert!(matches!(parse(private.as_bytes()), Err(KeyError::PrivateKey)));
        let weak = format!(
            r#"{{"keys":[{{"kty":"RSA","n":"{}","e":"AQAB"}}]}}"#,
            b64::encode(&[0xff; 128])
        );
        assert!(matches!(parse(weak.as_bytes()), Err(KeyError::WeakRsa(1024))));
        let only_enc = format!(r#"{{"keys":[{}]}}"#, ec_jwk(r#","use":"enc""#));
        assert!(matches!(parse(only_enc.as_bytes()), Err(KeyError::BadJwks(_))));
        let mismatch = format!(r#"{{"keys":[{}]}}"#, ec_jwk(r#","alg":"ES384""#));
        assert!(matches!(parse(mismatch.as_bytes()), Err(KeyError::BadJwks(_))));
        assert!(parse(b"{\"keys\":{}}").is_err());
    }

    #[test]
    fn a_pinned_alg_must_fit_the_key_whatever_its_type() {
        let oct = |k: &[u8], alg: &str| {
            format!(
                r#"{{"keys":[{{"kty":"oct","k":"{}","kid":"h","alg":"{alg}"}}]}}"#,
                b64::encode(k)
            )
        };
        let refused = |set: String| match parse(set.as_bytes()) {
            Err(KeyError::BadJwks(message)) => message,
            other => panic!("expected a refusal, got {other:?}"),
        };
        let message = refused(oct(&[9; 32], "RS256"));
        assert_eq!(message, r#"key "h": "alg" RS256 does not fit its "kty" oct"#);
        let message = refused(format!(r#"{{"keys":[{}]}}"#, ec_jwk(r#","alg":"ES384""#)));
        assert_eq!(message, r#"key "e1": "alg" ES384 does not fit its "kty" EC"#);
        let message = refused(oct(&[9; 32], "HS512"));
        assert!(message.starts_with(r#"key "h": "alg" HS512 needs a secret of at least 64"#));
        let loaded = parse(oct(&[9; 64], "HS512").as_bytes()).unwrap();
        assert_eq!(loaded.keys[0].algorithms().to_string(), "HS512");
    }

    #[test]
    fn a_single_jwk_is_a_set_of_one() {
        let loaded = parse(ec_jwk("").as_bytes()).unwrap();
        assert_eq!(loaded.keys.len(), 1);
        assert_eq!(loaded.keys[0].kid.as_deref(), Some("e1"));
        assert!(matches!(parse(b"{\"kid\":\"x\"}"), Err(KeyError::BadJwks(_))));
        assert!(matches!(parse(b"[]"), Err(KeyError::BadJwks(_))));
    }

    #[test]
    fn oct_keys_hold_secrets() {
        let set =
            format!(r#"{{"keys":[{{"kty":"oct","k":"{}","kid":"h"}}]}}"#, b64::encode(&[9; 32]));
        let loaded = parse(set.as_bytes()).unwrap();
        assert!(loaded.holds_secret);
        assert_eq!(loaded.keys[0].family, KeyFamily::Hmac);
    }
}

#[cfg(test)]
mod strictness_tests {
    use super::*;

    #[test]
    fn a_jwk_with_a_repeated_member_is_refused() {
        // Two "alg" members: one parser pins HS256, another RS256. Two "k": two secrets.
        let k = b64::encode(&[7; 32]);
        let twice_alg =
            format!(r#"{{"keys":[{{"kty":"oct","k":"{k}","alg":"HS256","alg":"HS512"}}]}}"#);
        let twice_k = format!(r#"{{"kty":"oct","k":"{k}","k":"{}"}}"#, b64::encode(&[8; 32]));
        let twice_keys = format!(r#"{{"keys":[],"keys":[{{"kty":"oct","k":"{k}"}}]}}"#);
        for file in [twice_alg, twice_k, twice_keys] {
            assert!(matches!(parse(file.as_bytes()), Err(KeyError::BadJwks(_))), "{file}");
        }
        let once = format!(r#"{{"keys":[{{"kty":"oct","k":"{k}","alg":"HS256"}}]}}"#);
        assert_eq!(parse(once.as_bytes()).unwrap().keys.len(), 1);
    }
}
