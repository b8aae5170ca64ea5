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
use credentialflow_core::{AccessRules, ForwardedClaim, Live};
use credentialflow_core::jose::keys::{parse_key_file, KeyFormat, VerifyKey};
use credentialflow_core::jose::sign::{self, SigningKey};
use credentialflow_core::policy::Policy;
use credentialflow_core::revocation::{RevocationList, RevocationSet};
use credentialflow_core::verifier::Verifier;
use jsonwebtoken::{Algorithm, EncodingKey};

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

/// The fixture's signing keys, prepared once by the core: one per algorithm, by JWS name.
pub struct SigningKeys {
    keys: Vec<(&'static str, SigningKey)>,
}

impl SigningKeys {
    /// The key for `alg` (JWS name), if there is one.
    pub fn get(&self, alg: &str) -> Option<&SigningKey> {
        self.keys.iter().find(|(name, _)| *name == alg).map(|(_, key)| key)
    }

    /// The public half of the key for `alg`.
    fn public(&self, alg: &str) -> Vec<u8> {
        self.get(alg).and_then(SigningKey::public_key).expect("a fixture key pair")
    }
}

/// PKCS#8 v1 for an Ed25519 seed (RFC 8410): a fixed prefix, then the seed.
fn ed25519_pkcs8(seed: &[u8; 32]) -> Vec<u8> {
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(seed);
    der
}

pub fn signing_keys() -> &'static SigningKeys {
    static KEYS: OnceLock<SigningKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let rsa = EncodingKey::from_rsa_der(&pem_der(RSA_KEY_PEM));
        let p256 = EncodingKey::from_ec_der(&pem_der(P256_KEY_PEM));
        let p384 = EncodingKey::from_ec_der(&pem_der(P384_KEY_PEM));
        let ed = EncodingKey::from_ed_der(&ed25519_pkcs8(&ED25519_SEED));
        let hs = EncodingKey::from_secret(HS_SECRET);
        let table = [
            ("HS256", Algorithm::HS256, &hs),
            ("HS384", Algorithm::HS384, &hs),
            ("HS512", Algorithm::HS512, &hs),
            ("ES256", Algorithm::ES256, &p256),
            ("ES384", Algorithm::ES384, &p384),
            ("EdDSA", Algorithm::EdDSA, &ed),
            ("RS256", Algorithm::RS256, &rsa),
            ("RS384", Algorithm::RS384, &rsa),
            ("RS512", Algorithm::RS512, &rsa),
            ("PS256", Algorithm::PS256, &rsa),
            ("PS384", Algorithm::PS384, &rsa),
            ("PS512", Algorithm::PS512, &rsa),
        ];
        let keys = table
            .into_iter()
            .map(|(name, alg, key)| (name, SigningKey::new(alg, key).expect("fixture key")))
            .collect();
        SigningKeys { keys }
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
    let rsa_spki = pem_der(RSA_PUB_PEM);
    let (n, e) = rsa_components(&rsa_spki);
    let (p256, p384) = (keys.public("ES256"), keys.public("ES384"));
    let entries = [
        ec("fz-p256", "P-256", &p256, r#","alg":"ES256","use":"sig""#),
        ec("fz-p384", "P-384", &p384, ""),
        format!(
            r#"{{"kty":"OKP","crv":"Ed25519","kid":"fz-ed","x":"{}"}}"#,
            b64(&keys.public("EdDSA"))
        ),
        format!(
            r#"{{"kty":"RSA","kid":"fz-rsa","n":"{}","e":"{}","key_ops":["verify"]}}"#,
            b64(n),
            b64(e)
        ),
        // Same P-256 key, but for encryption only: must be skipped.
        ec("fz-enc", "P-256", &p256, r#","use":"enc""#),
        format!(r#"{{"kty":"oct","kid":"fz-oct","alg":"HS384","k":"{}"}}"#, b64(&[0x42; 48])),
    ];
    format!(r#"{{"keys":[{}]}}"#, entries.join(","))
}

/// `n` and `e` of the fixture's RSA SPKI, read with the core's DER reader.
fn rsa_components(spki: &[u8]) -> (&[u8], &[u8]) {
    use credentialflow_core::jose::der::{DerReader, TAG_BIT_STRING, TAG_SEQUENCE};
    let mut outer = DerReader::new(spki);
    let mut fields = DerReader::new(outer.read(TAG_SEQUENCE).unwrap());
    fields.read(TAG_SEQUENCE).unwrap();
    let bits = fields.read(TAG_BIT_STRING).unwrap();
    let mut pkcs1 = DerReader::new(DerReader::new(&bits[1..]).read(TAG_SEQUENCE).unwrap());
    let n = pkcs1.read_positive_integer().unwrap();
    let e = pkcs1.read_positive_integer().unwrap();
    (n, e)
}

/// Signs `input` with the fixture key for `alg` (JWS name); `None` for an unknown name.
pub fn sign(alg: &str, input: &[u8]) -> Option<Vec<u8>> {
    Some(signing_keys().get(alg)?.sign(input).unwrap())
}

/// A compact JWS of the given header and payload bytes, signed with the fixture key that the
/// header's `alg` names (HS256 when it names none we have), so arbitrary header and claims
/// bytes get past the signature check. Made by the core's one minting helper.
pub fn mint(header: &[u8], payload: &[u8]) -> Vec<u8> {
    let alg = serde_json::from_slice::<serde_json::Value>(header)
        .ok()
        .and_then(|h| h.get("alg").and_then(|a| a.as_str()).map(str::to_owned))
        .unwrap_or_default();
    let keys = signing_keys();
    let key = keys.get(&alg).or_else(|| keys.get("HS256")).unwrap();
    sign::mint(header, payload, key).unwrap().into_bytes()
}

/// The Ed25519 public key as an SPKI PEM document.
pub fn ed25519_pub_pem() -> String {
    let mut der = vec![0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
    der.extend_from_slice(&signing_keys().public("EdDSA"));
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
        AccessRules::new(
            verifier(),
            Policy {
                issuers: vec![ISSUER.into()],
                audiences: vec![AUDIENCE.into()],
                leeway: LEEWAY,
                required_claims: vec!["exp".into(), "sub".into()],
                required_scopes: vec![SCOPE.into()],
                ..Policy::default()
            },
            false,
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

/// The fuzzers' revocations: a `jti` and a `sub`, as the revocation file would give them.
pub fn revocations() -> &'static RevocationSet {
    static SET: OnceLock<RevocationSet> = OnceLock::new();
    SET.get_or_init(|| {
        let list = format!("# fuzz\njti {REVOKED_JTI}\nsub {REVOKED_SUB}\n");
        let list = RevocationList::parse(list.as_bytes()).expect("the fuzz list parses");
        list.entries().iter().collect()
    })
}

/// What the fuzzers decide with: their revocations, no replay store.
pub fn live() -> Live<'static> {
    Live { revocations: Some(revocations()), ..Live::NONE }
}
