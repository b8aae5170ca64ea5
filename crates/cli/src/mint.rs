//! `credentialflow mint`: one compact JWS with the requested header and claims.

use std::time::{SystemTime, UNIX_EPOCH};

use credentialflow_core::jose::sign;
use serde_json::{Map, Value};

use crate::cli::{MintAlg, MintArgs};
use crate::error::CliError;
use crate::keys::load_signing_key;

/// A JSON object, as header and claims are.
pub type JsonObject = Map<String, Value>;

/// Builds and signs the token.
pub fn run(args: &MintArgs) -> Result<String, CliError> {
    let now = unix_now()?;
    let (header, claims) = build(args, now)?;
    // jsonwebtoken's typed Header cannot carry the odd headers (a wrong alg, a numeric typ)
    // that tests need: the core's minting helper takes the JSON as written.
    let to_json = |part: JsonObject| {
        serde_json::to_vec(&Value::Object(part))
            .map_err(|e| CliError::failed(format!("cannot serialise the token: {e}")))
    };
    let (header, claims) = (to_json(header)?, to_json(claims)?);
    match (args.alg, &args.key) {
        (MintAlg::Signed(alg), Some(path)) => {
            let key = load_signing_key(path, alg)?;
            sign::mint(&header, &claims, &key)
                .map_err(|e| CliError::failed(format!("{e} ({alg:?})")))
        }
        (MintAlg::None, _) => Ok(sign::unsigned(&header, &claims)),
        (MintAlg::Signed(_), None) => Err(CliError::usage("mint needs --key")),
    }
}

/// The current time in whole seconds since the epoch.
pub fn unix_now() -> Result<i64, CliError> {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| CliError::failed("the system clock is before 1970"))?;
    i64::try_from(since_epoch.as_secs()).map_err(|_| CliError::failed("the system clock is absurd"))
}

/// The header and claims `args` ask for, given the current time.
pub fn build(args: &MintArgs, now: i64) -> Result<(JsonObject, JsonObject), CliError> {
    let at = |offset: i64, option: &str| {
        now.checked_add(offset)
            .map(Value::from)
            .ok_or_else(|| CliError::usage(format!("{option} is out of range")))
    };

    let mut header = JsonObject::new();
    let alg_name = match args.alg {
        MintAlg::None => "none".to_owned(),
        MintAlg::Signed(alg) => format!("{alg:?}"),
    };
    header.insert("alg".to_owned(), Value::String(alg_name));
    header.insert("typ".to_owned(), Value::String("JWT".to_owned()));
    if let Some(kid) = &args.kid {
        header.insert("kid".to_owned(), Value::String(kid.clone()));
    }

    let mut claims = JsonObject::new();
    let strings =
        [("iss", &args.iss), ("sub", &args.sub), ("jti", &args.jti), ("scope", &args.scope)];
    for (name, value) in strings {
        if let Some(value) = value {
            claims.insert(name.to_owned(), Value::String(value.clone()));
        }
    }
    match args.audiences.as_slice() {
        [] => {}
        [one] => {
            claims.insert("aud".to_owned(), Value::String(one.clone()));
        }
        many => {
            claims.insert("aud".to_owned(), many.iter().cloned().map(Value::String).collect());
        }
    }
    if let Some(ttl) = args.ttl {
        claims.insert("exp".to_owned(), at(ttl, "--ttl")?);
    }
    if let Some(nbf_in) = args.nbf_in {
        claims.insert("nbf".to_owned(), at(nbf_in, "--nbf-in")?);
    }
    if let Some(iat_in) = args.iat_in {
        claims.insert("iat".to_owned(), at(iat_in, "--iat-in")?);
    }

    for (name, value) in &args.headers {
        header.insert(name.clone(), value.clone());
    }
    for (name, value) in &args.claims {
        claims.insert(name.clone(), value.clone());
    }
    for name in &args.drop_headers {
        header.remove(name);
    }
    for name in &args.drop_claims {
        claims.remove(name);
    }
    Ok((header, claims))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{parse, Command};
    use serde_json::json;

    const NOW: i64 = 1_700_000_000;

    fn built(words: &[&str]) -> (JsonObject, JsonObject) {
        let mut all = vec!["mint".to_owned()];
        all.extend(words.iter().map(|w| (*w).to_owned()));
        let Ok(Command::Mint(args)) = parse(all) else { panic!("{words:?} did not parse") };
        build(&args, NOW).expect("builds")
    }

    #[test]
    fn registered_claims() {
        let (header, claims) =
            built(&["--key", "k", "--alg", "PS384", "--sub", "alice", "--aud", "a"]);
        assert_eq!(Value::Object(header), json!({ "alg": "PS384", "typ": "JWT" }));
        assert_eq!(
            Value::Object(claims),
            json!({ "sub": "alice", "aud": "a", "exp": NOW + 900, "iat": NOW })
        );
    }

    #[test]
    fn several_audiences_become_an_array() {
        let (_, claims) = built(&["--key", "k", "--alg", "ES256", "--aud", "a", "--aud", "b"]);
        assert_eq!(claims["aud"], json!(["a", "b"]));
    }

    #[test]
    fn times() {
        let (_, claims) = built(&[
            "--key", "k", "--alg", "ES256", "--ttl", "-1h", "--nbf-in", "10m", "--iat-in", "-2d",
        ]);
        assert_eq!(claims["exp"], json!(NOW - 3600));
        assert_eq!(claims["nbf"], json!(NOW + 600));
        assert_eq!(claims["iat"], json!(NOW - 172_800));
        let (_, claims) = built(&["--key", "k", "--alg", "ES256", "--no-exp", "--no-iat"]);
        assert!(claims.is_empty());
    }

    #[test]
    fn overrides_and_removals() {
        let (header, claims) = built(&[
            "--alg",
            "none",
            "--kid",
            "k1",
            "--sub",
            "a",
            "--jti",
            "j",
            "--claim",
            "exp=\"123\"",
            "--claim",
            "sub=42",
            "--header",
            "alg=HS256",
            "--header",
            "typ=at+jwt",
            "--drop-claim",
            "jti",
            "--drop-header",
            "kid",
        ]);
        assert_eq!(Value::Object(header), json!({ "alg": "HS256", "typ": "at+jwt" }));
        assert_eq!(Value::Object(claims), json!({ "exp": "123", "sub": 42, "iat": NOW }));
    }

    #[test]
    fn out_of_range_times_are_errors() {
        let mut all = vec!["mint", "--alg", "none", "--ttl"];
        all.push("9223372036854775807");
        let Ok(Command::Mint(args)) = parse(all.iter().map(|w| (*w).to_owned()).collect()) else {
            panic!("did not parse");
        };
        assert!(build(&args, NOW).is_err());
    }
}
