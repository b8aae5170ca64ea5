//! Fixtures shared by the fuzz targets and the seed generator: fixed test keys, a way to mint
//! correctly signed tokens from arbitrary header/payload bytes, and the `Verifier` and `AccessRules`
//! every `verify` run goes through.
//!
//! The keys are fixed (see `keys/README.md`) so that tokens minted by `gen-seeds` in one
//! process verify in the fuzzing process.

use std::sync::{Arc, OnceLock};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use credentialflow_core::defaults::MAX_TOKEN_SIZE;
use credentialflow_core::{AccessRules, ForwardedClaim};
use credentialflow_core::jose::keys::{parse_key_file, KeyFormat, VerifyKey};
use credentialflow_core::policy::Policy;
use credentialflow_core::revocation::{FileVersion, ListFile, RevocationSource};
use credentialflow_core::verifier::Verifier;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};

/// The HMAC secret (64 bytes: long enough for HS512).
pub const HS_SECRET: &[u8; 64] =
    b"credentialflow-fuzz-hmac-secret-0123456789abcdefghijklmnopqrstuv";
/// The Ed25519 private seed.
pub const ED25519_SEED: [u8; 32] = *b"credentialflow-fuzz-ed25519-seed";

pub const P256_KEY_PEM: &str = include_str!("../keys/ec-p256.key.pem");
pub const P384_KEY_PEM: &str = include_str!("../keys/ec-p384.key.pem");
pub const RSA_KEY_PEM: &str = include_str!("../keys/rsa-2048.key.pem");
pub const P256_PUB_PEM: &str = include_str!("../keys/ec-p256.pub.pem");
pub const P384_PUB_PEM: &str = include_str!("../keys/ec-p384.pub.pem");
pub const RSA_PUB_PEM: &str = include_str!("../keys/rsa-2048.pub.pem");

/// The policy the `AccessRules` apply (the corpus's values).
pub const ISSUER: &str = "https://issuer.credentialflow.test";
pub const AUDIENCE: &str = "api://credentialflow-gateway";
pub const SCOPE: &str = "orders:read";
pub const LEEWAY: i64 = 30;
/// "Now" for the fuzzing process: seeds are minted valid around it.
pub const NOW: i64 = 1_800_000_000;
/// Revoked values written to the fuzzing process's revocation file.
pub const REVOKED_JTI: &str = "fz-revoked-jti";
pub const REVOKED_SUB: &str = "fz-revoked-sub";

/// DER body of a PEM document.
pub fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body).expect("fixture PEM is base64")
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The signing halves of the fixture keys.
pub struct SigningKeys {
    pub ed25519: Ed25519KeyPair,
    pub p256: EcdsaKeyPair,
    pub p384: EcdsaKeyPair,
    pub rsa: RsaKeyPair,
    rng: SystemRandom,
}

pub fn signing_keys() -> &'static SigningKeys {
    static KEYS: OnceLock<SigningKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let rng = SystemRandom::new();
        let ecdsa = |alg, pem| EcdsaKeyPair::from_pkcs8(alg, &pem_der(pem), &rng).unwrap();
        SigningKeys {
            ed25519: Ed25519KeyPair::from_seed_unchecked(&ED25519_SEED).unwrap(),
            p256: ecdsa(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, P256_KEY_PEM),
            p384: ecdsa(&signature::ECDSA_P384_SHA384_FIXED_SIGNING, P384_KEY_PEM),
            rsa: RsaKeyPair::from_pkcs8(&pem_der(RSA_KEY_PEM)).unwrap(),
            rng,
        }
    })
}

/// The public keys as a JWKS: one key per family (kids `fz-*`), plus a `"use":"enc"` key that
/// must never verify anything and an HMAC (`oct`) key.
pub fn jwks_json() -> String {
    let keys = signing_keys();
    let ec = |kid: &str, crv: &str, point: &[u8], extra: &str| {
        let half = (point.len() - 1) / 2;
        format!(
            r#"{{"kty":"EC","crv":"{crv}","kid":"{kid}","x":"{}","y":"{}"{extra}}}"#,
            b64(&point[1..1 + half]),
            b64(&point[1 + half..])
        )
    };
    let rsa = signature::RsaPublicKeyComponents::<Vec<u8>>::from(keys.rsa.public());
    let entries = [
        ec("fz-p256", "P-256", keys.p256.public_key().as_ref(), r#","alg":"ES256","use":"sig""#),
        ec("fz-p384", "P-384", keys.p384.public_key().as_ref(), ""),
        format!(
            r#"{{"kty":"OKP","crv":"Ed25519","kid":"fz-ed","x":"{}"}}"#,
            b64(keys.ed25519.public_key().as_ref())
        ),
        format!(
            r#"{{"kty":"RSA","kid":"fz-rsa","n":"{}","e":"{}","key_ops":["verify"]}}"#,
            b64(&rsa.n),
            b64(&rsa.e)
        ),
        // Same P-256 key, but for encryption only: must be skipped.
        ec("fz-enc", "P-256", keys.p256.public_key().as_ref(), r#","use":"enc""#),
        format!(r#"{{"kty":"oct","kid":"fz-oct","alg":"HS384","k":"{}"}}"#, b64(&[0x42; 48])),
    ];
    format!(r#"{{"keys":[{}]}}"#, entries.join(","))
}

/// Signs `input` with the fixture key for `alg` (JWS name); `None` for an unknown name.
pub fn sign(alg: &str, input: &[u8]) -> Option<Vec<u8>> {
    let keys = signing_keys();
    let hmac = |algorithm| {
        let key = ring::hmac::Key::new(algorithm, HS_SECRET);
        ring::hmac::sign(&key, input).as_ref().to_vec()
    };
    let rsa = |padding: &'static dyn signature::RsaEncoding| {
        let mut sig = vec![0; keys.rsa.public().modulus_len()];
        keys.rsa.sign(padding, &keys.rng, input, &mut sig).unwrap();
        sig
    };
    Some(match alg {
        "HS256" => hmac(ring::hmac::HMAC_SHA256),
        "HS384" => hmac(ring::hmac::HMAC_SHA384),
        "HS512" => hmac(ring::hmac::HMAC_SHA512),
        "ES256" => keys.p256.sign(&keys.rng, input).unwrap().as_ref().to_vec(),
        "ES384" => keys.p384.sign(&keys.rng, input).unwrap().as_ref().to_vec(),
        "EdDSA" => keys.ed25519.sign(input).as_ref().to_vec(),
        "RS256" => rsa(&signature::RSA_PKCS1_SHA256),
        "RS384" => rsa(&signature::RSA_PKCS1_SHA384),
        "RS512" => rsa(&signature::RSA_PKCS1_SHA512),
        "PS256" => rsa(&signature::RSA_PSS_SHA256),
        "PS384" => rsa(&signature::RSA_PSS_SHA384),
        "PS512" => rsa(&signature::RSA_PSS_SHA512),
        _ => return None,
    })
}

/// A compact JWS of the given header and payload bytes, signed with the fixture key that the
/// header's `alg` names (HS256 when it names none we have), so arbitrary header and claims
/// bytes get past the signature check.
pub fn mint(header: &[u8], payload: &[u8]) -> Vec<u8> {
    let alg = serde_json::from_slice::<serde_json::Value>(header)
        .ok()
        .and_then(|h| h.get("alg").and_then(|a| a.as_str()).map(str::to_owned))
        .unwrap_or_default();
    let mut token = format!("{}.{}", b64(header), b64(payload)).into_bytes();
    let sig = sign(&alg, &token).unwrap_or_else(|| sign("HS256", &token).unwrap());
    token.push(b'.');
    token.extend_from_slice(b64(&sig).as_bytes());
    token
}

/// The Ed25519 public key as an SPKI PEM document.
pub fn ed25519_pub_pem() -> String {
    let mut der = vec![0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
    der.extend_from_slice(signing_keys().ed25519.public_key().as_ref());
    format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", STANDARD.encode(der))
}

/// Every fixture key, loaded through the crate's own loaders (secret, JWKS and PEM).
pub fn verify_keys() -> Vec<VerifyKey> {
    let mut keys = Vec::new();
    keys.extend(parse_key_file(HS_SECRET, Some(KeyFormat::Secret)).unwrap().keys);
    keys.extend(parse_key_file(jwks_json().as_bytes(), Some(KeyFormat::Jwks)).unwrap().keys);
    for pem in [P256_PUB_PEM, P384_PUB_PEM, RSA_PUB_PEM, &ed25519_pub_pem()] {
        keys.extend(parse_key_file(pem.as_bytes(), None).unwrap().keys);
    }
    keys
}

/// The verifier: all fixture keys, every algorithm they can verify.
pub fn verifier() -> Arc<Verifier> {
    static VERIFIER: OnceLock<Arc<Verifier>> = OnceLock::new();
    VERIFIER.get_or_init(|| Arc::new(Verifier::new(verify_keys(), None).unwrap())).clone()
}

/// A location's whole check: the verifier above, the corpus's policy (issuer, audience,
/// leeway, `exp` required, scope `orders:read`), a revocation file, two forwarded claims.
pub fn guard() -> &'static AccessRules {
    static GUARD: OnceLock<AccessRules> = OnceLock::new();
    GUARD.get_or_init(|| {
        let list = format!("# fuzz\njti {REVOKED_JTI}\nsub {REVOKED_SUB}\n");
        let revocation = RevocationSource::open(Box::new(FixedList(list.into_bytes()))).unwrap();
        AccessRules::new(
            verifier(),
            Policy {
                issuers: vec![ISSUER.into()],
                audiences: vec![AUDIENCE.into()],
                leeway: LEEWAY,
                required_claims: vec!["exp".into(), "sub".into()],
                required_scopes: vec![SCOPE.into()],
            },
            Some(Arc::new(revocation)),
            vec![
                ForwardedClaim::new("sub", "X-CredentialFlow-Sub"),
                ForwardedClaim::new("scope", "X-CredentialFlow-Scope"),
                ForwardedClaim::new("tenant", "X-CredentialFlow-Tenant"),
            ],
            MAX_TOKEN_SIZE,
        )
    })
}

/// A JOSE header for `alg` with an optional kid.
pub fn header_json(alg: &str, kid: Option<&str>) -> String {
    match kid {
        Some(kid) => format!(r#"{{"alg":"{alg}","typ":"JWT","kid":"{kid}"}}"#),
        None => format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#),
    }
}

/// Claims that pass the guard's policy at [`NOW`].
pub fn valid_claims(sub: &str, jti: &str) -> String {
    format!(
        r#"{{"iss":"{ISSUER}","sub":"{sub}","aud":["{AUDIENCE}","other"],"iat":{},"nbf":{},"exp":{},"jti":"{jti}","scope":"profile {SCOPE}"}}"#,
        NOW - 10,
        NOW - 10,
        NOW + 3600
    )
}

/// The fuzzers' revocation list, in memory: it never changes.
#[derive(Debug)]
struct FixedList(Vec<u8>);

impl ListFile for FixedList {
    fn path(&self) -> &std::path::Path {
        std::path::Path::new("fuzz-revoked.txt")
    }

    fn version(&self) -> std::io::Result<FileVersion> {
        Ok(FileVersion { modified: None, len: self.0.len() as u64, inode: 0, changed: (0, 0) })
    }

    fn read(&self) -> std::io::Result<Vec<u8>> {
        Ok(self.0.clone())
    }
}
