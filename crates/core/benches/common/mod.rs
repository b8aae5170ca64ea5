//! Shared by the criterion benches (`core.rs`) and the token minting helper (`mint_batch.rs`):
//! signing compact JWS with ring directly, one parsed key for many tokens (the CLI, and
//! jsonwebtoken's `encode`, re-parse the private key for every token, which for RSA costs
//! more than the signature itself).
#![allow(dead_code)]

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use credentialflow_core::Algorithm;
use ring::hmac;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};

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

/// A private key, parsed once.
pub enum SigningKey {
    Hmac(hmac::Key),
    Rsa(&'static dyn signature::RsaEncoding, RsaKeyPair),
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl SigningKey {
    /// `key` is the raw secret for HS*, else a PKCS#8 PEM private key.
    pub fn new(alg: Algorithm, key: &[u8]) -> SigningKey {
        let rng = SystemRandom::new();
        match alg {
            Algorithm::HS256 => SigningKey::Hmac(hmac::Key::new(hmac::HMAC_SHA256, key)),
            Algorithm::HS384 => SigningKey::Hmac(hmac::Key::new(hmac::HMAC_SHA384, key)),
            Algorithm::HS512 => SigningKey::Hmac(hmac::Key::new(hmac::HMAC_SHA512, key)),
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => {
                let padding: &'static dyn signature::RsaEncoding = match alg {
                    Algorithm::RS256 => &signature::RSA_PKCS1_SHA256,
                    Algorithm::RS384 => &signature::RSA_PKCS1_SHA384,
                    Algorithm::RS512 => &signature::RSA_PKCS1_SHA512,
                    Algorithm::PS256 => &signature::RSA_PSS_SHA256,
                    Algorithm::PS384 => &signature::RSA_PSS_SHA384,
                    _ => &signature::RSA_PSS_SHA512,
                };
                let der = pem_to_der(key);
                let pair = RsaKeyPair::from_pkcs8(&der)
                    .or_else(|_| RsaKeyPair::from_der(&der))
                    .expect("RSA private key (PKCS#8 or PKCS#1)");
                SigningKey::Rsa(padding, pair)
            }
            Algorithm::ES256 | Algorithm::ES384 => {
                let params = if alg == Algorithm::ES256 {
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING
                } else {
                    &signature::ECDSA_P384_SHA384_FIXED_SIGNING
                };
                let pair = EcdsaKeyPair::from_pkcs8(params, &pem_to_der(key), &rng)
                    .expect("EC private key (PKCS#8)");
                SigningKey::Ecdsa(pair)
            }
            Algorithm::EdDSA => SigningKey::Ed25519(
                Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pem_to_der(key))
                    .expect("Ed25519 private key (PKCS#8)"),
            ),
        }
    }

    /// The public key in ring's form (RSAPublicKey DER, uncompressed point, raw Ed25519).
    pub fn public_key(&self) -> Vec<u8> {
        match self {
            SigningKey::Hmac(_) => Vec::new(),
            SigningKey::Rsa(_, pair) => pair.public().as_ref().to_vec(),
            SigningKey::Ecdsa(pair) => pair.public_key().as_ref().to_vec(),
            SigningKey::Ed25519(pair) => pair.public_key().as_ref().to_vec(),
        }
    }

    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match self {
            SigningKey::Hmac(key) => hmac::sign(key, msg).as_ref().to_vec(),
            SigningKey::Rsa(padding, pair) => {
                let mut out = vec![0; pair.public().modulus_len()];
                pair.sign(*padding, &rng, msg, &mut out).expect("RSA signature");
                out
            }
            SigningKey::Ecdsa(pair) => {
                pair.sign(&rng, msg).expect("ECDSA signature").as_ref().to_vec()
            }
            SigningKey::Ed25519(pair) => pair.sign(msg).as_ref().to_vec(),
        }
    }
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A compact JWS of `claims` (a JSON object) signed with `key`.
pub fn mint(
    alg: Algorithm,
    key: &SigningKey,
    kid: Option<&str>,
    claims: &serde_json::Value,
) -> String {
    let mut header = serde_json::json!({ "alg": alg.name(), "typ": "JWT" });
    if let Some(kid) = kid {
        header["kid"] = kid.into();
    }
    let signing_input = format!(
        "{}.{}",
        b64(&serde_json::to_vec(&header).unwrap()),
        b64(&serde_json::to_vec(claims).unwrap())
    );
    let sig = key.sign(signing_input.as_bytes());
    format!("{signing_input}.{}", b64(&sig))
}

/// Seconds since the epoch.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}
