//! Runs the built `credentialflow` binary end to end and checks its tokens with jsonwebtoken.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use credentialflow_core::jose::crypto::install_provider;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{JwkSet, ThumbprintHash};
use jsonwebtoken::{decode, decode_header, Algorithm, AlgorithmFamily, DecodingKey, Validation};
use serde_json::{json, Value};

const ISSUER: &str = "https://issuer.example";

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_credentialflow")).args(args).output().expect("binary runs")
}

fn run_with_stdin(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_credentialflow"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    child.wait_with_output().expect("binary finishes")
}

fn stdout_of(args: &[&str]) -> String {
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?} failed: {stderr}");
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Runs a command that must fail with `code` and a prefixed message; returns the message.
fn failure_of(args: &[&str], code: i32) -> String {
    let out = run(args);
    let stderr = String::from_utf8(out.stderr).expect("UTF-8 stderr");
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    assert!(stderr.starts_with("credentialflow: "), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    stderr
}

fn mint(args: &[&str]) -> String {
    let mut all = vec!["mint"];
    all.extend_from_slice(args);
    let out = stdout_of(&all);
    let token = out.strip_suffix('\n').expect("a newline after the token");
    assert!(!token.contains('\n') && token.split('.').count() == 3, "{out:?}");
    token.to_owned()
}

fn inspect_json(token: &str) -> Value {
    serde_json::from_str(&stdout_of(&["inspect", token, "--json"])).expect("inspect --json")
}

fn now() -> i64 {
    let seconds = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs();
    i64::try_from(seconds).expect("sane clock")
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).expect("file exists").permissions().mode() & 0o777
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temp path")
}

/// The key as a verifier would load it from keygen's PEM (or secret) output.
fn file_key(alg: Algorithm, dir: &Path) -> DecodingKey {
    let read = |name: &str| std::fs::read(dir.join(name)).expect("keygen wrote it");
    match alg.family() {
        AlgorithmFamily::Hmac => DecodingKey::from_secret(&read("secret")),
        AlgorithmFamily::Rsa => DecodingKey::from_rsa_pem(&read("public.pem")).expect("RSA PEM"),
        AlgorithmFamily::Ec => DecodingKey::from_ec_pem(&read("public.pem")).expect("EC PEM"),
        AlgorithmFamily::Ed => DecodingKey::from_ed_pem(&read("public.pem")).expect("Ed PEM"),
    }
}

fn validation(alg: Algorithm) -> Validation {
    let mut validation = Validation::new(alg);
    validation.set_audience(&["api"]);
    validation.set_issuer(&[ISSUER]);
    validation
}

/// keygen, mint, verify (PEM and JWKS), expire and inspect for one algorithm.
fn round_trip(alg: Algorithm) {
    assert!(install_provider());
    let name = format!("{alg:?}");
    let temp = tempfile::tempdir().expect("temp dir");
    let dir: PathBuf = temp.path().join("nested").join("keys");
    let report = stdout_of(&["keygen", "--alg", &name, "--out", path_str(&dir)]);

    let hmac = alg.family() == AlgorithmFamily::Hmac;
    let key_file = dir.join(if hmac { "secret" } else { "private.pem" });
    assert!(report.contains(&key_file.display().to_string()), "{report}");
    assert_eq!(mode(&key_file), 0o600);
    if hmac {
        let expected_len = match alg {
            Algorithm::HS256 => 32,
            Algorithm::HS384 => 48,
            _ => 64,
        };
        assert_eq!(std::fs::read(&key_file).expect("secret").len(), expected_len);
        assert_eq!(mode(&dir.join("jwks.json")), 0o600);
        assert!(!dir.join("public.pem").exists());
    } else {
        let private = std::fs::read_to_string(&key_file).expect("private.pem");
        assert!(private.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{private}");
        let public = std::fs::read_to_string(dir.join("public.pem")).expect("public.pem");
        assert!(public.starts_with("-----BEGIN PUBLIC KEY-----\n"), "{public}");
        assert_eq!(mode(&dir.join("public.pem")), 0o644);
        assert_eq!(mode(&dir.join("jwks.json")), 0o644);
    }

    let jwks_text = std::fs::read_to_string(dir.join("jwks.json")).expect("jwks.json");
    let raw: Value = serde_json::from_str(&jwks_text).expect("JSON");
    let raw_jwk = &raw["keys"][0];
    assert_eq!(raw["keys"].as_array().map(Vec::len), Some(1));
    assert_eq!((&raw_jwk["alg"], &raw_jwk["use"]), (&json!(name), &json!("sig")));
    if !hmac {
        for private_member in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(raw_jwk.get(private_member).is_none(), "{name} JWK leaks {private_member}");
        }
    }
    let jwks: JwkSet = serde_json::from_str(&jwks_text).expect("a JWK Set");
    let jwk = &jwks.keys[0];
    let kid = jwk.common.key_id.clone().expect("a kid");
    assert_eq!(kid, jwk.thumbprint(ThumbprintHash::SHA256).expect("thumbprint"), "{name}");

    let key = path_str(&key_file);
    let token = mint(&[
        "--key",
        key,
        "--alg",
        &name,
        "--sub",
        "alice",
        "--scope",
        "read write",
        "--iss",
        ISSUER,
        "--aud",
        "api",
        "--kid",
        &kid,
    ]);

    let data = decode::<Value>(&token, &file_key(alg, &dir), &validation(alg))
        .unwrap_or_else(|e| panic!("{name} token does not verify with the key file: {e}"));
    assert_eq!(data.header.alg, alg);
    assert_eq!(data.header.kid.as_deref(), Some(kid.as_str()));
    assert_eq!(data.header.typ.as_deref(), Some("JWT"));
    assert_eq!(data.claims["sub"], "alice");
    assert_eq!(data.claims["scope"], "read write");
    assert_eq!(data.claims["aud"], "api");
    let exp = data.claims["exp"].as_i64().expect("numeric exp");
    let iat = data.claims["iat"].as_i64().expect("numeric iat");
    assert!((exp - iat - 900).abs() <= 1 && (iat - now()).abs() <= 60, "{}", data.claims);

    let header_kid = decode_header(&token).expect("header").kid.expect("kid");
    let from_jwks =
        DecodingKey::from_jwk(jwks.find(&header_kid).expect("kid in JWKS")).expect("JWK usable");
    decode::<Value>(&token, &from_jwks, &validation(alg))
        .unwrap_or_else(|e| panic!("{name} token does not verify with the JWKS: {e}"));

    // A flipped payload character must break the signature.
    let (payload_at, _) = token.match_indices('.').next().expect("dots");
    let mut tampered = token.clone().into_bytes();
    tampered[payload_at + 2] = if tampered[payload_at + 2] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ASCII");
    assert!(decode::<Value>(&tampered, &from_jwks, &validation(alg)).is_err());

    let expired =
        mint(&["--key", key, "--alg", &name, "--ttl", "-1h", "--iss", ISSUER, "--aud", "api"]);
    let error = decode::<Value>(&expired, &from_jwks, &validation(alg)).expect_err("expired");
    assert!(matches!(error.kind(), ErrorKind::ExpiredSignature), "{error:?}");
    let expired_claims = inspect_json(&expired)["claims"].clone();
    let expired_exp = expired_claims["exp"].as_i64().expect("numeric exp");
    assert!(expired_exp <= now() - 3540, "exp {expired_exp} is not an hour ago");

    let inspected = inspect_json(&token);
    assert_eq!(inspected["claims"], data.claims);
    assert_eq!(inspected["header"]["alg"], json!(name));
    assert_eq!(inspected["header"]["kid"], json!(kid));
    assert_eq!(inspected["signature_verified"], json!(false));
    let text = stdout_of(&["inspect", &token]);
    assert!(text.contains("NOT verified"), "{text}");
    assert!(text.contains("exp: ") && text.contains("expires in"), "{text}");
}

macro_rules! round_trip_tests {
    ($($test:ident => $alg:ident,)*) => {
        $(
            #[test]
            fn $test() {
                round_trip(Algorithm::$alg);
            }
        )*
    };
}

round_trip_tests! {
    round_trip_hs256 => HS256,
    round_trip_hs384 => HS384,
    round_trip_hs512 => HS512,
    round_trip_rs256 => RS256,
    round_trip_rs384 => RS384,
    round_trip_rs512 => RS512,
    round_trip_ps256 => PS256,
    round_trip_ps384 => PS384,
    round_trip_ps512 => PS512,
    round_trip_es256 => ES256,
    round_trip_es384 => ES384,
    round_trip_eddsa => EdDSA,
}

/// A directory with an ES256 key from keygen.
fn es256_dir() -> tempfile::TempDir {
    let temp = tempfile::tempdir().expect("temp dir");
    stdout_of(&["keygen", "--alg", "ES256", "--out", path_str(temp.path())]);
    temp
}

#[test]
fn odd_tokens_for_negative_tests() {
    let temp = es256_dir();
    let key = temp.path().join("private.pem");
    let token = mint(&[
        "--key",
        path_str(&key),
        "--alg",
        "ES256",
        "--claim",
        "exp=\"123\"",
        "--header",
        "typ=at+jwt",
        "--claim",
        "roles=[\"a\",\"b\"]",
        "--header",
        "alg=HS256",
        "--no-iat",
        "--aud",
        "a",
        "--aud",
        "b",
        "--nbf-in",
        "1h",
    ]);
    let inspected = inspect_json(&token);
    assert_eq!(inspected["claims"]["exp"], json!("123"));
    assert_eq!(inspected["claims"]["roles"], json!(["a", "b"]));
    assert_eq!(inspected["claims"]["aud"], json!(["a", "b"]));
    assert!(inspected["claims"].get("iat").is_none());
    assert!(inspected["claims"]["nbf"].as_i64().expect("nbf") > now() + 3500);
    assert_eq!(inspected["header"], json!({ "alg": "HS256", "typ": "at+jwt" }));

    let unsigned = mint(&["--alg", "none", "--sub", "x", "--drop-header", "typ"]);
    assert!(unsigned.ends_with('.'), "{unsigned}");
    assert_eq!(inspect_json(&unsigned)["header"], json!({ "alg": "none" }));
    let text = stdout_of(&["inspect", &unsigned]);
    assert!(text.contains("signature: 0 bytes, NOT verified"), "{text}");
}

#[test]
fn hmac_with_a_public_key_as_secret() {
    // The classic alg-confusion token: HS256 keyed with the RSA/EC public key file's bytes.
    assert!(install_provider());
    let temp = es256_dir();
    let public = temp.path().join("public.pem");
    let token =
        mint(&["--key", path_str(&public), "--alg", "HS256", "--aud", "api", "--iss", ISSUER]);
    let secret = std::fs::read(&public).expect("public.pem");
    decode::<Value>(&token, &DecodingKey::from_secret(&secret), &validation(Algorithm::HS256))
        .expect("MACed with the public key's bytes");
}

#[test]
fn inspect_reads_stdin() {
    let token = mint(&["--alg", "none", "--sub", "stdin-user"]);
    let out = run_with_stdin(&["inspect", "-", "--json"], &format!("{token}\n"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["claims"]["sub"], "stdin-user");
    let out = run_with_stdin(&["inspect", "-"], "garbage");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn malformed_tokens_fail_cleanly() {
    for bad in [
        "",
        "abc",
        "a.b",
        "a.b.c",
        "e30.e30.e30.e30.e30",
        "!!.??.**",
        "e30.bm90IGpzb24.",
        "W10.e30.",
    ] {
        failure_of(&["inspect", bad], 1);
    }
}

#[test]
fn usage_errors_exit_2() {
    failure_of(&[], 2);
    failure_of(&["frob"], 2);
    failure_of(&["keygen", "--out", "x"], 2);
    failure_of(&["keygen", "--alg", "XS256", "--out", "x"], 2);
    failure_of(&["keygen", "--alg", "ES256", "--out", "x", "--bits", "4096"], 2);
    failure_of(&["mint", "--alg", "RS256"], 2);
    failure_of(&["mint", "--key", "k", "--alg", "RS256", "--ttl", "15 minutes"], 2);
    failure_of(&["mint", "--key", "k", "--alg", "RS256", "--claim", "nameonly"], 2);
    failure_of(&["inspect"], 2);
    failure_of(&["inspect", "a", "b"], 2);
}

#[test]
fn runtime_errors_exit_1_without_leaking_the_key() {
    let temp = es256_dir();
    let key = temp.path().join("private.pem");
    let private = std::fs::read_to_string(&key).expect("private.pem");
    let body_line = private.lines().nth(1).expect("a base64 line");
    let stderr = failure_of(&["mint", "--key", path_str(&key), "--alg", "RS256"], 1);
    assert!(stderr.contains("cannot sign RS256") && !stderr.contains(body_line), "{stderr}");
    let stderr = failure_of(&["mint", "--key", path_str(&key), "--alg", "ES384"], 1);
    assert!(!stderr.contains(body_line), "{stderr}");
    failure_of(&["mint", "--key", "/nonexistent/key.pem", "--alg", "ES256"], 1);
    let token = mint(&["--key", path_str(&key), "--alg", "ES256"]);
    assert!(!token.contains(body_line));
}

#[test]
fn keygen_does_not_overwrite_without_force() {
    let temp = es256_dir();
    let dir = path_str(temp.path());
    let before = std::fs::read(temp.path().join("private.pem")).expect("key");
    let stderr = failure_of(&["keygen", "--alg", "ES256", "--out", dir], 1);
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(std::fs::read(temp.path().join("private.pem")).expect("key"), before);
    std::fs::set_permissions(temp.path().join("private.pem"), PermissionsExt::from_mode(0o644))
        .expect("chmod");
    stdout_of(&["keygen", "--alg", "ES256", "--out", dir, "--force", "--kid", "rotated"]);
    assert_ne!(std::fs::read(temp.path().join("private.pem")).expect("key"), before);
    assert_eq!(mode(&temp.path().join("private.pem")), 0o600);
    let jwks: Value =
        serde_json::from_slice(&std::fs::read(temp.path().join("jwks.json")).expect("jwks"))
            .expect("JSON");
    assert_eq!(jwks["keys"][0]["kid"], "rotated");
}

#[test]
fn help_is_printed() {
    assert!(stdout_of(&["--help"]).contains("Usage:"));
    assert!(stdout_of(&["help", "keygen"]).contains("--bits"));
    for command in ["keygen", "mint", "inspect"] {
        let text = stdout_of(&[command, "--help"]);
        assert!(text.starts_with(&format!("Usage: credentialflow {command}")), "{text}");
    }
}
