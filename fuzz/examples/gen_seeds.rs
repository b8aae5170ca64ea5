//! Writes seed inputs for every fuzz target under `DIR/<target>/` (default `fuzz/corpus`):
//! valid tokens minted with the fixture keys for every algorithm, structured
//! (`HEADER\nPAYLOAD`) seeds, classic forgeries, key files, revocation lists and API keys.
//! With `--corpus public.jsonl`, also the hostile corpus's header values and tokens.
//!
//! Usage: cargo run --example gen-seeds -- [DIR] [--corpus FILE.jsonl] [--keys DIR]

use std::fs;
use std::path::{Path, PathBuf};

use credentialflow_fuzz::*;

struct Out {
    dir: PathBuf,
    count: usize,
}

impl Out {
    fn put(&mut self, target: &str, name: &str, data: &[u8]) {
        let dir = self.dir.join(target);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(format!("seed-{name}")), data).unwrap();
        self.count += 1;
    }
}

const ALGS: [&str; 12] = [
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
    "ES384", "EdDSA",
];

fn kid_for(alg: &str) -> Option<&'static str> {
    match alg {
        "ES256" => Some("fz-p256"),
        "ES384" => Some("fz-p384"),
        "EdDSA" => Some("fz-ed"),
        a if a.starts_with("RS") || a.starts_with("PS") => Some("fz-rsa"),
        _ => None,
    }
}

fn tokens(out: &mut Out) {
    let guard = guard();
    for (i, alg) in ALGS.iter().enumerate() {
        let header = header_json(alg, kid_for(alg));
        let claims = valid_claims(&format!("user-{i}"), &format!("jti-{i}"));
        let token = mint(header.as_bytes(), claims.as_bytes());
        let decision =
            guard.decide(&token, &mut credentialflow_core::TokenCache::new(4), live(), NOW);
        assert!(decision.verdict.is_ok(), "seed {alg} must pass: {:?}", decision.verdict);
        out.put("verify", &format!("valid-{alg}"), &token);
        if let Ok(accepted) = &decision.verdict {
            out.put("record", &format!("valid-{alg}"), accepted.token.claims.record());
        }
        out.put("verify", &format!("structured-{alg}"), format!("{header}\n{claims}").as_bytes());
        out.put("extract", &format!("bearer-{alg}"), &[&b"Bearer "[..], &token].concat());
        // Tampered signature and alg none.
        let mut tampered = token.clone();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        out.put("verify", &format!("tampered-{alg}"), &tampered);
    }
    let claims = valid_claims("plain", "plain");
    let none = format!("{}.{}.", b64(br#"{"alg":"none","typ":"JWT"}"#), b64(claims.as_bytes()));
    out.put("verify", "alg-none", none.as_bytes());
    // Policy failures that still verify: wrong issuer, revoked, scope missing, expired, odd types.
    let bad_claims = [
        ("revoked-jti", valid_claims("someone", REVOKED_JTI)),
        ("revoked-sub", valid_claims(REVOKED_SUB, "j")),
        ("expired", valid_claims("u", "j").replace(&format!("{}", NOW + 3600), "1")),
        ("no-scope", valid_claims("u", "j").replace(SCOPE, "orders:write")),
        ("exp-string", valid_claims("u", "j").replace(&format!("{}", NOW + 3600), "\"9\"")),
        ("exp-float", valid_claims("u", "j").replace(&format!("{}", NOW + 3600), "1.9e300")),
        ("sub-crlf", valid_claims("a\\r\\nX-Injected: 1", "j")),
        (
            "custom",
            valid_claims("u", "j").replace("}", r#","custom":{"nested":[1,2,{"x":null}]}}"#),
        ),
    ];
    for (name, claims) in bad_claims {
        let header = header_json("HS256", None);
        out.put("verify", &format!("structured-{name}"), format!("{header}\n{claims}").as_bytes());
    }
    for (name, header) in [
        ("crit", r#"{"alg":"HS256","crit":["exp"]}"#),
        ("jwk", r#"{"alg":"ES256","jwk":{"kty":"EC"},"kid":"nope"}"#),
        ("b64", r#"{"alg":"HS256","b64":false}"#),
        ("cty", r#"{"alg":"EdDSA","cty":"JWT"}"#),
        ("kid-enc", r#"{"alg":"ES256","kid":"fz-enc"}"#),
        ("kid-oct", r#"{"alg":"HS384","kid":"fz-oct"}"#),
    ] {
        out.put(
            "verify",
            &format!("structured-h-{name}"),
            format!("{header}\n{claims}").as_bytes(),
        );
    }
    for (name, value) in [
        ("basic", &b"Basic dXNlcjpwYXNz"[..]),
        ("lower", b"bearer abc.def.ghi"),
        ("tabs", b"\tBearer\t\tabc==\t"),
        ("empty", b"Bearer "),
        ("padding", b"Bearer abc=="),
        ("bad", b"Bearer a b"),
    ] {
        out.put("extract", name, value);
    }
}

fn keys(out: &mut Out, keys_dir: Option<&Path>) {
    out.put("keys", "jwks", jwks_json().as_bytes());
    out.put("keys", "p256-pem", P256_PUB_PEM.as_bytes());
    out.put("keys", "p384-pem", P384_PUB_PEM.as_bytes());
    out.put("keys", "rsa-pem", RSA_PUB_PEM.as_bytes());
    out.put("keys", "ed-pem", ed25519_pub_pem().as_bytes());
    out.put("keys", "p256-private-pem", P256_KEY_PEM.as_bytes());
    out.put("keys", "secret", HS_SECRET);
    let Some(dir) = keys_dir else { return };
    let mut paths: Vec<PathBuf> = Vec::new();
    for sub in [dir.to_path_buf(), dir.join("private")] {
        if let Ok(entries) = fs::read_dir(&sub) {
            paths.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_file()));
        }
    }
    paths.sort();
    for path in paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let data = fs::read(&path).unwrap();
        let target = if name.starts_with("revoked") { "revocation" } else { "keys" };
        out.put(target, &format!("corpus-{name}"), &data);
    }
}

fn revocation(out: &mut Out) {
    out.put("revocation", "basic", b"# revoked\njti abc\nsub alice\n\n  jti   spaced value  \n");
    out.put("revocation", "crlf", b"jti a\r\nsub b\r\n");
    out.put("revocation", "bad", b"jti\nxyz 1\n");
}

/// API keys and key registries: a well-formed key, and a registry with every optional field.
fn api_key(out: &mut Out) {
    use credentialflow_core::api_key::format_key;
    use credentialflow_core::api_key::registry::{format_line, KeyEntry};
    let key = format_key("3f9a0c2d81b7e645", &[0x5a; 32]).expect("a valid id");
    out.put("api_key", "key", key.as_bytes());
    let entry = |id: &str, expires| KeyEntry {
        id: id.into(),
        subject: "billing".into(),
        scopes: vec!["orders:read".into(), "orders:write".into()],
        audiences: vec!["https://api.example".into()],
        expires,
    };
    let registry = format!(
        "# id digest subject scopes audiences expires\n{}\n{}\nc3 {} reports -\n",
        format_line(&key, &entry("3f9a0c2d81b7e645", Some(1_800_000_000))),
        format_line(&key, &entry("b2", None)),
        credentialflow_core::oauth::registry::format_digest(b"x"),
    );
    out.put("api_key", "registry", registry.as_bytes());
    out.put("api_key", "dates", b"a sha256:0000000000000000000000000000000000000000000000000000000000000000 s - - 2027-03-07\n");
}

fn claims(out: &mut Out) {
    let claims = valid_claims("u", "j");
    out.put("claims", "valid", claims.as_bytes());
    out.put("claims", "with-header", format!("kid-1\nJWT\n{claims}").as_bytes());
    out.put("claims", "aud-many", br#"{"aud":["a","b","c","d","e","f","g","h"],"sub":"x"}"#);
    out.put("claims", "escapes", br#"{"iss":"a\u00e9\n","sub":"\ud83d\ude00","aud":"\"q\""}"#);
    out.put("claims", "types", br#"{"exp":1.5e9,"nbf":-1,"iat":18446744073709551615,"x":[{}]}"#);
    out.put("claims", "null", br#"{"sub":null}"#);
    out.put("claims", "dup", br#"{"sub":"a","s\u0075b":"b"}"#);
    // client_id is typed too (RFC 9068 §2.2): a number is refused, not read as absent.
    out.put("claims", "client-id-number", br#"{"ss":"httpy","client_id":2}"#);
    out.put("claims", "client-id", br#"{"client_id":"c-1","scope":"a b"}"#);
}

fn json(out: &mut Out) {
    out.put("json", "claims", valid_claims("u", "j").as_bytes());
    out.put("json", "header", header_json("ES256", Some("k")).as_bytes());
    out.put("json", "escapes", br#"{"a\u0000":"\ud83d\ude00","b":[1.5e3,-0,true,null,{"c":{}}]}"#);
    out.put("json", "dup", br#"{"exp":1,"\u0065xp":2}"#);
}

/// Replies from Redis: the first byte is the piece size the rest is read in.
fn resp(out: &mut Out) {
    let seeds: [(&str, &[u8]); 6] = [
        ("ok", b"\x03+OK\r\n:12\r\n"),
        (
            "message",
            b"\x05*3\r\n$7\r\nmessage\r\n$26\r\ncredentialflow:revocations\r\n$9\r\nsub alice\r\n",
        ),
        ("subscribe", b"\x00*3\r\n$9\r\nsubscribe\r\n$26\r\ncredentialflow:revocations\r\n:1\r\n"),
        ("lines", b"\x02*2\r\n$19\r\njti j-1 until=99999\r\n$6\r\nkid k1\r\n"),
        ("errors", b"\x01-WRONGPASS invalid\r\n$-1\r\n*-1\r\n*0\r\n"),
        ("nested", b"\x04*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n"),
    ];
    for (name, bytes) in seeds {
        out.put("resp", name, bytes);
    }
}

/// The hostile corpus (JSON lines with a `header_value`): each value as an extract seed and,
/// with any `Bearer ` scheme removed, as a verify seed.
fn hostile(out: &mut Out, path: &Path) {
    let text = fs::read_to_string(path).unwrap();
    for (i, line) in text.lines().enumerate() {
        let Ok(case) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        let Some(value) = case.get("header_value").and_then(|v| v.as_str()) else { continue };
        let id = case.get("id").and_then(|v| v.as_str()).map_or(format!("line{i}"), str::to_owned);
        out.put("extract", &format!("corpus-{id}"), value.as_bytes());
        let token = value.strip_prefix("Bearer ").unwrap_or(value);
        out.put("verify", &format!("corpus-{id}"), token.as_bytes());
        if let Some(payload) = token.split('.').nth(1) {
            if let Ok(bytes) =
                base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            {
                out.put("json", &format!("corpus-{id}"), &bytes);
                out.put("claims", &format!("corpus-{id}"), &bytes);
            }
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut dir = PathBuf::from("corpus");
    let (mut corpus, mut keys_dir) = (None, None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--corpus" => corpus = Some(PathBuf::from(args.next().expect("--corpus FILE"))),
            "--keys" => keys_dir = Some(PathBuf::from(args.next().expect("--keys DIR"))),
            _ => dir = PathBuf::from(arg),
        }
    }
    let mut out = Out { dir, count: 0 };
    tokens(&mut out);
    keys(&mut out, keys_dir.as_deref());
    revocation(&mut out);
    api_key(&mut out);
    claims(&mut out);
    json(&mut out);
    resp(&mut out);
    if let Some(corpus) = corpus {
        hostile(&mut out, &corpus);
    }
    println!("gen-seeds: wrote {} seeds under {}", out.count, out.dir.display());
}
