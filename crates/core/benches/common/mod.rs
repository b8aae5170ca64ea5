//! Shared by the criterion benches (`core.rs`) and the token minting helper (`mint_batch.rs`):
//! signing compact JWS with the core's minting helper and one prepared key for many tokens
//! (jsonwebtoken's `encode` re-parses the private key for every token, which for RSA costs
//! more than the signature itself).
#![allow(dead_code)]

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use credentialflow_core::jose::alg::KeyFamily;
use credentialflow_core::jose::sign;
use credentialflow_core::Algorithm;
use jsonwebtoken::EncodingKey;

/// The HMAC secret of the criterion benches (44 bytes: long enough for HS256).
pub const BENCH_SECRET: &[u8] = b"credentialflow-bench-secret-0123456789abcdef";

/// A test key pair checked in under `benches/fixtures/` (never used for anything real).
pub struct Fixture {
    pub alg: Algorithm,
    pub private_pem: &'static [u8],
    pub public_pem: &'static [u8],
}

/// The algorithms the issue benchmarks, with their fixture keys (HS256 uses [`BENCH_SECRET`]).
pub fn fixtures() -> Vec<Fixture> {
    let rsa_private = include_bytes!("../fixtures/rsa2048-private.pem");
    let rsa_public = include_bytes!("../fixtures/rsa2048-public.pem");
    vec![
        Fixture { alg: Algorithm::HS256, private_pem: b"", public_pem: b"" },
        Fixture { alg: Algorithm::RS256, private_pem: rsa_private, public_pem: rsa_public },
        Fixture { alg: Algorithm::PS256, private_pem: rsa_private, public_pem: rsa_public },
        Fixture {
            alg: Algorithm::ES256,
            private_pem: include_bytes!("../fixtures/p256-private.pem"),
            public_pem: include_bytes!("../fixtures/p256-public.pem"),
        },
        Fixture {
            alg: Algorithm::ES384,
            private_pem: include_bytes!("../fixtures/p384-private.pem"),
            public_pem: include_bytes!("../fixtures/p384-public.pem"),
        },
        Fixture {
            alg: Algorithm::EdDSA,
            private_pem: include_bytes!("../fixtures/ed25519-private.pem"),
            public_pem: include_bytes!("../fixtures/ed25519-public.pem"),
        },
    ]
}

/// The DER inside the first PEM block.
pub fn pem_to_der(pem: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(pem).expect("PEM is text");
    let body: String = text
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    STANDARD.decode(body.trim()).expect("PEM body is base64")
}

/// A private key (PKCS#8 or PKCS#1 PEM) or, for HS*, the raw secret, parsed once into the
/// core's [`sign::SigningKey`].
pub fn signing_key(alg: Algorithm, key: &[u8]) -> sign::SigningKey {
    let key = match alg.family() {
        KeyFamily::Hmac => EncodingKey::from_secret(key),
        KeyFamily::Rsa => EncodingKey::from_rsa_der(&pem_to_der(key)),
        KeyFamily::EcP256 | KeyFamily::EcP384 => EncodingKey::from_ec_der(&pem_to_der(key)),
        KeyFamily::Ed25519 => EncodingKey::from_ed_der(&pem_to_der(key)),
    };
    sign::SigningKey::new(alg.to_jsonwebtoken(), &key).expect("a usable signing key")
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A compact JWS of `claims` (a JSON object) signed with `key`, by the core's one minting
/// helper.
pub fn mint(
    alg: Algorithm,
    key: &sign::SigningKey,
    kid: Option<&str>,
    claims: &serde_json::Value,
) -> String {
    let mut header = serde_json::json!({ "alg": alg.name(), "typ": "JWT" });
    if let Some(kid) = kid {
        header["kid"] = kid.into();
    }
    let (header, claims) = (header.to_string(), claims.to_string());
    sign::mint(header.as_bytes(), claims.as_bytes(), key).expect("signs")
}

/// Seconds since the epoch.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}
