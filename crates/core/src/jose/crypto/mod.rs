//! jsonwebtoken's [`CryptoProvider`] backed by ring 0.17.
//!
//! jsonwebtoken 11 carries no cryptography of its own: every `encode`, `decode` and
//! `crypto::verify` goes through one process-wide provider, and panics when none is
//! installed. Call [`install_ring_provider`] before the first such call.
//!
//! Key bytes the provider expects, i.e. what jsonwebtoken's key constructors hand it:
//!
//! | family  | `DecodingKey` (verify)                              | `EncodingKey` (sign)          |
//! |---------|-----------------------------------------------------|-------------------------------|
//! | HMAC    | the raw secret, not empty                           | the raw secret, not empty     |
//! | RSA     | PKCS#1 `RSAPublicKey` DER (SPKI DER also accepted), | PKCS#1 `RSAPrivateKey` DER    |
//! |         | or `(n, e)` big-endian components; 2048–8192 bits   | (PKCS#8 too); 2048–4096 bits  |
//! | EC      | the uncompressed point `04 ‖ x ‖ y`                 | PKCS#8 holding the public key |
//! | Ed25519 | the raw 32-byte public key                          | PKCS#8 v1 or v2               |
//!
//! ECDSA signatures are the fixed-width `r ‖ s` form JWS mandates (RFC 7518 §3.4); a DER
//! signature never verifies.

use crate::jose::der::{DerReader, TAG_BIT_STRING, TAG_INTEGER, TAG_NULL, TAG_OID, TAG_SEQUENCE};
use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{new_error, ErrorKind, Result};
use jsonwebtoken::jwk::{EllipticCurve, ThumbprintHash};
use jsonwebtoken::signature::{Error as SignatureError, Signer, Verifier};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind, EncodingKey};
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, EcdsaSigningAlgorithm, Ed25519KeyPair, KeyPair, RsaEncoding, RsaKeyPair,
    RsaParameters, RsaPublicKeyComponents, UnparsedPublicKey, VerificationAlgorithm,
};
use ring::{digest, hmac, signature};

/// The ring-backed provider; install it with [`install_ring_provider`].
pub static RING_PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: new_signer,
    verifier_factory: new_verifier,
    key_utils: KeyUtils {
        rsa_pub_components_from_private_key: rsa_components_from_private_key,
        rsa_pub_components_from_public_key: rsa_components_from_public_key,
        ec_pub_components_from_private_key: ec_components_from_private_key,
        ed_pub_components_from_private_key: ed_component_from_private_key,
        compute_digest,
    },
};

/// Makes [`RING_PROVIDER`] jsonwebtoken's process-wide provider; safe to call any number of times.
///
/// Returns whether ring is the provider in force afterwards. It is not when another provider
/// was installed first, or when jsonwebtoken was used before any install: it then locks in its
/// own fallback, which panics on every operation.
pub fn install_ring_provider() -> bool {
    match RING_PROVIDER.install_default() {
        Ok(()) => true,
        Err(current) => std::ptr::eq(current, &RING_PROVIDER),
    }
}

// ---------------------------------------------------------------------------------------------
// Algorithm tables

const MIN_RSA_VERIFY_BYTES: usize = 2048 / 8;
const MAX_RSA_VERIFY_BYTES: usize = 8192 / 8;

fn hmac_algorithm(alg: Algorithm) -> Option<hmac::Algorithm> {
    match alg {
        Algorithm::HS256 => Some(hmac::HMAC_SHA256),
        Algorithm::HS384 => Some(hmac::HMAC_SHA384),
        Algorithm::HS512 => Some(hmac::HMAC_SHA512),
        _ => None,
    }
}

fn rsa_padding(alg: Algorithm) -> Option<&'static dyn RsaEncoding> {
    match alg {
        Algorithm::RS256 => Some(&signature::RSA_PKCS1_SHA256),
        Algorithm::RS384 => Some(&signature::RSA_PKCS1_SHA384),
        Algorithm::RS512 => Some(&signature::RSA_PKCS1_SHA512),
        Algorithm::PS256 => Some(&signature::RSA_PSS_SHA256),
        Algorithm::PS384 => Some(&signature::RSA_PSS_SHA384),
        Algorithm::PS512 => Some(&signature::RSA_PSS_SHA512),
        _ => None,
    }
}

fn rsa_parameters(alg: Algorithm) -> Option<&'static RsaParameters> {
    match alg {
        Algorithm::RS256 => Some(&signature::RSA_PKCS1_2048_8192_SHA256),
        Algorithm::RS384 => Some(&signature::RSA_PKCS1_2048_8192_SHA384),
        Algorithm::RS512 => Some(&signature::RSA_PKCS1_2048_8192_SHA512),
        Algorithm::PS256 => Some(&signature::RSA_PSS_2048_8192_SHA256),
        Algorithm::PS384 => Some(&signature::RSA_PSS_2048_8192_SHA384),
        Algorithm::PS512 => Some(&signature::RSA_PSS_2048_8192_SHA512),
        _ => None,
    }
}

/// What ES256 and ES384 differ in.
struct EcdsaParameters {
    signing: &'static EcdsaSigningAlgorithm,
    verification: &'static dyn VerificationAlgorithm,
    curve: EllipticCurve,
    /// Bytes in one coordinate, and in each of r and s.
    coordinate_len: usize,
}

fn ecdsa_parameters(alg: Algorithm) -> Option<EcdsaParameters> {
    match alg {
        Algorithm::ES256 => Some(EcdsaParameters {
            signing: &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            verification: &signature::ECDSA_P256_SHA256_FIXED,
            curve: EllipticCurve::P256,
            coordinate_len: 32,
        }),
        Algorithm::ES384 => Some(EcdsaParameters {
            signing: &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
            verification: &signature::ECDSA_P384_SHA384_FIXED,
            curve: EllipticCurve::P384,
            coordinate_len: 48,
        }),
        _ => None,
    }
}

/// Refuses a key of another family before any parsing, so that e.g. an RSA public key can
/// never be used as an HMAC secret (the classic alg-confusion attack).
fn require_family(alg: Algorithm, key_family: AlgorithmFamily) -> Result<()> {
    if alg.family() == key_family {
        Ok(())
    } else {
        Err(new_error(ErrorKind::InvalidAlgorithm))
    }
}

fn hmac_key(alg: hmac::Algorithm, secret: &[u8]) -> Result<hmac::Key> {
    // An empty secret makes every MAC forgeable by anyone.
    if secret.is_empty() {
        return Err(new_error(ErrorKind::InvalidKeyFormat));
    }
    Ok(hmac::Key::new(alg, secret))
}

// ---------------------------------------------------------------------------------------------
// Signing

enum SigningKey {
    Hmac(hmac::Key),
    Rsa(&'static dyn RsaEncoding, RsaKeyPair),
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

struct RingSigner {
    alg: Algorithm,
    key: SigningKey,
    rng: SystemRandom,
}

fn new_signer(alg: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
    let alg = *alg;
    require_family(alg, key.family())?;
    let bytes = key.as_bytes();
    let rng = SystemRandom::new();
    let key = if let Some(hmac_alg) = hmac_algorithm(alg) {
        SigningKey::Hmac(hmac_key(hmac_alg, bytes)?)
    } else if let Some(padding) = rsa_padding(alg) {
        SigningKey::Rsa(padding, rsa_key_pair(bytes)?)
    } else if let Some(params) = ecdsa_parameters(alg) {
        let pair = EcdsaKeyPair::from_pkcs8(params.signing, bytes, &rng)
            .map_err(|_| new_error(ErrorKind::InvalidEcdsaKey))?;
        SigningKey::Ecdsa(pair)
    } else if alg == Algorithm::EdDSA {
        SigningKey::Ed25519(ed25519_key_pair(bytes)?)
    } else {
        return Err(new_error(ErrorKind::UnsupportedAlgorithm));
    };
    Ok(Box::new(RingSigner { alg, key, rng }))
}

impl Signer<Vec<u8>> for RingSigner {
    fn try_sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, SignatureError> {
        match &self.key {
            SigningKey::Hmac(key) => Ok(hmac::sign(key, msg).as_ref().to_vec()),
            SigningKey::Rsa(padding, pair) => {
                let mut out = vec![0; pair.public().modulus_len()];
                pair.sign(*padding, &self.rng, msg, &mut out).map_err(|_| SignatureError::new())?;
                Ok(out)
            }
            SigningKey::Ecdsa(pair) => {
                let sig = pair.sign(&self.rng, msg).map_err(|_| SignatureError::new())?;
                Ok(sig.as_ref().to_vec())
            }
            SigningKey::Ed25519(pair) => Ok(pair.sign(msg).as_ref().to_vec()),
        }
    }
}

impl JwtSigner for RingSigner {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

/// Parses an RSA private key in PKCS#1 (what jsonwebtoken's PEM loader yields) or PKCS#8 DER.
fn rsa_key_pair(der: &[u8]) -> Result<RsaKeyPair> {
    // Pick the parser from the structure rather than trying both, so the error names the
    // real problem (e.g. "TooSmall") instead of the second parser's "InvalidEncoding".
    let parsed =
        if is_pkcs8(der) { RsaKeyPair::from_pkcs8(der) } else { RsaKeyPair::from_der(der) };
    parsed.map_err(|e| new_error(ErrorKind::InvalidRsaKey(e.to_string())))
}

fn ed25519_key_pair(pkcs8: &[u8]) -> Result<Ed25519KeyPair> {
    // "maybe_unchecked" accepts PKCS#8 v1 (no embedded public key), which is what OpenSSL
    // writes; ring derives the public key from the seed either way.
    Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8)
        .map_err(|_| new_error(ErrorKind::InvalidEddsaKey))
}

// ---------------------------------------------------------------------------------------------
// Verification

enum VerifyingKey {
    Hmac(hmac::Key),
    RsaPkcs1(&'static RsaParameters, Vec<u8>),
    RsaComponents(&'static RsaParameters, Vec<u8>, Vec<u8>),
    /// EC points and Ed25519 keys: ring takes both as unparsed bytes.
    Raw(&'static dyn VerificationAlgorithm, Vec<u8>),
}

/// A key prepared for one algorithm. jsonwebtoken gets it boxed from the provider's factory;
/// the module builds one per configured key and algorithm at config time, so a request pays
/// for ring's verification only (no key copy or HMAC key schedule per token).
pub struct RingVerifier {
    alg: Algorithm,
    key: VerifyingKey,
}

fn new_verifier(alg: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    Ok(Box::new(RingVerifier::new(*alg, key)?))
}

impl RingVerifier {
    /// Prepares `key` for verifying `alg` signatures; a key of another family is an error.
    pub fn new(alg: Algorithm, key: &DecodingKey) -> Result<RingVerifier> {
        require_family(alg, key.family())?;
        let key = match key.kind() {
            DecodingKeyKind::SecretOrDer(bytes) => verifying_key_from_bytes(alg, bytes)?,
            DecodingKeyKind::RsaModulusExponent { n, e } => {
                let params =
                    rsa_parameters(alg).ok_or_else(|| new_error(ErrorKind::InvalidAlgorithm))?;
                // ring refuses leading zero bytes; some JWK publishers emit one before a
                // high-bit modulus, and stripping it does not change the number.
                let (n, e) = (strip_leading_zeros(n), strip_leading_zeros(e));
                check_rsa_modulus(n)?;
                if e.is_empty() {
                    return Err(rsa_key_error("zero public exponent"));
                }
                VerifyingKey::RsaComponents(params, n.to_vec(), e.to_vec())
            }
        };
        Ok(RingVerifier { alg, key })
    }

    /// Whether `sig` is a valid signature of `msg`.
    pub fn verify_signature(&self, msg: &[u8], sig: &[u8]) -> bool {
        let outcome = match &self.key {
            // ring compares the recomputed tag in constant time, so timing reveals nothing.
            VerifyingKey::Hmac(key) => hmac::verify(key, msg, sig),
            VerifyingKey::RsaPkcs1(params, der) => {
                UnparsedPublicKey::new(*params, der).verify(msg, sig)
            }
            VerifyingKey::RsaComponents(params, n, e) => {
                RsaPublicKeyComponents { n, e }.verify(params, msg, sig)
            }
            VerifyingKey::Raw(alg, key) => UnparsedPublicKey::new(*alg, key).verify(msg, sig),
        };
        outcome.is_ok()
    }
}

fn verifying_key_from_bytes(alg: Algorithm, bytes: &[u8]) -> Result<VerifyingKey> {
    if let Some(hmac_alg) = hmac_algorithm(alg) {
        return Ok(VerifyingKey::Hmac(hmac_key(hmac_alg, bytes)?));
    }
    if let Some(params) = rsa_parameters(alg) {
        let parts = parse_rsa_public_key(bytes)
            .ok_or_else(|| rsa_key_error("not a PKCS#1 RSAPublicKey or SPKI DER"))?;
        check_rsa_modulus(parts.n)?;
        return Ok(VerifyingKey::RsaPkcs1(params, parts.pkcs1.to_vec()));
    }
    if let Some(params) = ecdsa_parameters(alg) {
        // Checked here so that a P-256 key offered for ES384 (or a compressed point) is a key
        // error up front, not an anonymous signature failure on every token.
        if uncompressed_point(bytes, params.coordinate_len).is_none() {
            return Err(new_error(ErrorKind::InvalidEcdsaKey));
        }
        return Ok(VerifyingKey::Raw(params.verification, bytes.to_vec()));
    }
    if alg == Algorithm::EdDSA {
        if bytes.len() != 32 {
            return Err(new_error(ErrorKind::InvalidEddsaKey));
        }
        return Ok(VerifyingKey::Raw(&signature::ED25519, bytes.to_vec()));
    }
    Err(new_error(ErrorKind::UnsupportedAlgorithm))
}

impl Verifier<Vec<u8>> for RingVerifier {
    fn verify(&self, msg: &[u8], sig: &Vec<u8>) -> std::result::Result<(), SignatureError> {
        match self.verify_signature(msg, sig) {
            true => Ok(()),
            false => Err(SignatureError::new()),
        }
    }
}

impl JwtVerifier for RingVerifier {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

fn rsa_key_error(reason: &str) -> jsonwebtoken::errors::Error {
    new_error(ErrorKind::InvalidRsaKey(reason.to_owned()))
}

/// Mirrors ring's verification bounds so a bad key is reported when it is loaded.
fn check_rsa_modulus(n: &[u8]) -> Result<()> {
    if (MIN_RSA_VERIFY_BYTES..=MAX_RSA_VERIFY_BYTES).contains(&n.len()) {
        Ok(())
    } else {
        Err(rsa_key_error("modulus must be 2048 to 8192 bits"))
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

// ---------------------------------------------------------------------------------------------
// Key utilities (JWK export and thumbprints)

fn rsa_components_from_private_key(der: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
    let pair = rsa_key_pair(der)?;
    let components = RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
    Ok((components.n, components.e))
}

fn rsa_components_from_public_key(der: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
    // ring can parse this DER only for verification, never into components.
    let parts = parse_rsa_public_key(der)
        .ok_or_else(|| rsa_key_error("not a PKCS#1 RSAPublicKey or SPKI DER"))?;
    Ok((parts.n.to_vec(), parts.e.to_vec()))
}

fn ec_components_from_private_key(
    pkcs8: &[u8],
    alg: Algorithm,
) -> Result<(EllipticCurve, Vec<u8>, Vec<u8>)> {
    let params = ecdsa_parameters(alg).ok_or_else(|| new_error(ErrorKind::InvalidAlgorithm))?;
    let pair = EcdsaKeyPair::from_pkcs8(params.signing, pkcs8, &SystemRandom::new())
        .map_err(|_| new_error(ErrorKind::InvalidEcdsaKey))?;
    let (x, y) = uncompressed_point(pair.public_key().as_ref(), params.coordinate_len)
        .ok_or_else(|| new_error(ErrorKind::InvalidEcdsaKey))?;
    Ok((params.curve, x.to_vec(), y.to_vec()))
}

/// Splits `04 ‖ x ‖ y` into its coordinates, if it is one for this coordinate size.
fn uncompressed_point(point: &[u8], coordinate_len: usize) -> Option<(&[u8], &[u8])> {
    match point.split_first() {
        Some((0x04, xy)) if xy.len() == 2 * coordinate_len => Some(xy.split_at(coordinate_len)),
        _ => None,
    }
}

fn ed_component_from_private_key(pkcs8: &[u8], curve: &EllipticCurve) -> Result<Vec<u8>> {
    if *curve != EllipticCurve::Ed25519 {
        return Err(new_error(ErrorKind::UnsupportedAlgorithm));
    }
    Ok(ed25519_key_pair(pkcs8)?.public_key().as_ref().to_vec())
}

fn compute_digest(data: &[u8], hash: ThumbprintHash) -> Result<Vec<u8>> {
    let alg = match hash {
        ThumbprintHash::SHA256 => &digest::SHA256,
        ThumbprintHash::SHA384 => &digest::SHA384,
        ThumbprintHash::SHA512 => &digest::SHA512,
        _ => return Err(new_error(ErrorKind::UnsupportedAlgorithm)),
    };
    Ok(digest::digest(alg, data).as_ref().to_vec())
}

// ---------------------------------------------------------------------------------------------
// Taking RSA keys apart, which ring does not offer.

/// The content octets of OID 1.2.840.113549.1.1.1 (rsaEncryption).
const OID_RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// An RSA public key taken apart: the PKCS#1 `RSAPublicKey` and its integers.
struct RsaPublicParts<'a> {
    pkcs1: &'a [u8],
    n: &'a [u8],
    e: &'a [u8],
}

/// Accepts a PKCS#1 `RSAPublicKey` or an SPKI `SubjectPublicKeyInfo` with rsaEncryption.
fn parse_rsa_public_key(der: &[u8]) -> Option<RsaPublicParts<'_>> {
    let mut outer = DerReader::new(der);
    let body = outer.read(TAG_SEQUENCE)?;
    if !outer.is_empty() {
        return None;
    }
    let mut fields = DerReader::new(body);
    match fields.peek_tag()? {
        TAG_INTEGER => {
            let n = fields.read_positive_integer()?;
            let e = fields.read_positive_integer()?;
            fields.is_empty().then_some(RsaPublicParts { pkcs1: der, n, e })
        }
        TAG_SEQUENCE => {
            let mut alg_id = DerReader::new(fields.read(TAG_SEQUENCE)?);
            if alg_id.read(TAG_OID)? != OID_RSA_ENCRYPTION {
                return None;
            }
            // The parameters must be NULL, though some encoders omit them.
            if !alg_id.is_empty() {
                let null = alg_id.read(TAG_NULL)?;
                if !null.is_empty() || !alg_id.is_empty() {
                    return None;
                }
            }
            let bits = fields.read(TAG_BIT_STRING)?;
            if !fields.is_empty() {
                return None;
            }
            match bits.split_first() {
                Some((0, pkcs1)) => {
                    let inner = parse_rsa_public_key(pkcs1)?;
                    // An SPKI nested in an SPKI is not a key.
                    (inner.pkcs1 == pkcs1 && starts_with_integer(pkcs1)).then_some(inner)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

fn starts_with_integer(der: &[u8]) -> bool {
    let mut outer = DerReader::new(der);
    outer.read(TAG_SEQUENCE).and_then(|body| DerReader::new(body).peek_tag()) == Some(TAG_INTEGER)
}

/// Tells a PKCS#8 `PrivateKeyInfo` (version, then an AlgorithmIdentifier SEQUENCE) from a
/// PKCS#1 `RSAPrivateKey` (version, then the modulus INTEGER).
fn is_pkcs8(der: &[u8]) -> bool {
    let mut outer = DerReader::new(der);
    let Some(body) = outer.read(TAG_SEQUENCE) else {
        return false;
    };
    let mut fields = DerReader::new(body);
    fields.read(TAG_INTEGER).is_some() && fields.peek_tag() == Some(TAG_SEQUENCE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use base64::Engine;
    use jsonwebtoken::crypto::{sign, verify};
    use jsonwebtoken::jwk::Jwk;
    use jsonwebtoken::{decode, encode, get_current_timestamp, Header, Validation};
    use serde_json::{json, Value};

    // RSA keys come from tests/fixtures/regenerate.sh (openssl): ring cannot generate RSA keys.
    const RSA_PRIVATE_PKCS8: &str = include_str!("../../../tests/fixtures/rsa-2048-private.pem");
    const RSA_PRIVATE_PKCS1: &str =
        include_str!("../../../tests/fixtures/rsa-2048-private-pkcs1.pem");
    const RSA_PUBLIC_SPKI: &str = include_str!("../../../tests/fixtures/rsa-2048-public.pem");
    const RSA_PUBLIC_PKCS1: &str =
        include_str!("../../../tests/fixtures/rsa-2048-public-pkcs1.pem");
    const RSA_1024_PRIVATE: &str = include_str!("../../../tests/fixtures/rsa-1024-private.pem");
    const RSA_1024_PUBLIC: &str = include_str!("../../../tests/fixtures/rsa-1024-public.pem");

    /// Every algorithm, in jsonwebtoken's vocabulary.
    fn all() -> impl Iterator<Item = Algorithm> {
        crate::jose::alg::Algorithm::ALL
            .into_iter()
            .map(crate::jose::alg::Algorithm::to_jsonwebtoken)
    }

    struct Keys {
        enc: EncodingKey,
        dec: DecodingKey,
    }

    fn setup() {
        assert!(install_ring_provider(), "ring must be the provider in force");
    }

    /// The DER inside a PEM file, without relying on jsonwebtoken's PEM handling.
    fn pem_der(pem: &str) -> Vec<u8> {
        let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        STANDARD.decode(b64).expect("fixture PEM is valid base64")
    }

    fn ec_pkcs8_and_point(alg: Algorithm) -> (Vec<u8>, Vec<u8>) {
        let params = ecdsa_parameters(alg).expect("an ECDSA algorithm");
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(params.signing, &rng).expect("EC key generation");
        let pair = EcdsaKeyPair::from_pkcs8(params.signing, pkcs8.as_ref(), &rng).expect("own key");
        (pkcs8.as_ref().to_vec(), pair.public_key().as_ref().to_vec())
    }

    fn ed_pkcs8_and_public() -> (Vec<u8>, Vec<u8>) {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("Ed25519 keygen");
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("own key");
        (pkcs8.as_ref().to_vec(), pair.public_key().as_ref().to_vec())
    }

    fn keys_for(alg: Algorithm) -> Keys {
        match alg.family() {
            AlgorithmFamily::Hmac => Keys {
                enc: EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
                dec: DecodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
            },
            AlgorithmFamily::Rsa => Keys {
                enc: EncodingKey::from_rsa_pem(RSA_PRIVATE_PKCS8.as_bytes()).expect("fixture"),
                dec: DecodingKey::from_rsa_pem(RSA_PUBLIC_SPKI.as_bytes()).expect("fixture"),
            },
            AlgorithmFamily::Ec => {
                let (pkcs8, point) = ec_pkcs8_and_point(alg);
                Keys {
                    enc: EncodingKey::from_ec_der(&pkcs8),
                    dec: DecodingKey::from_ec_der(&point),
                }
            }
            AlgorithmFamily::Ed => {
                let (pkcs8, public) = ed_pkcs8_and_public();
                Keys {
                    enc: EncodingKey::from_ed_der(&pkcs8),
                    dec: DecodingKey::from_ed_der(&public),
                }
            }
        }
    }

    /// One key of each family, none of them valid for anything but its own family.
    fn key_of_family(family: AlgorithmFamily) -> Keys {
        match family {
            AlgorithmFamily::Hmac => keys_for(Algorithm::HS256),
            AlgorithmFamily::Rsa => keys_for(Algorithm::RS256),
            AlgorithmFamily::Ec => keys_for(Algorithm::ES256),
            AlgorithmFamily::Ed => keys_for(Algorithm::EdDSA),
        }
    }

    fn claims() -> Value {
        json!({ "sub": "alice", "exp": get_current_timestamp() + 600 })
    }

    fn mint(alg: Algorithm, enc: &EncodingKey) -> String {
        encode(&Header::new(alg), &claims(), enc).expect("signing succeeds")
    }

    /// (signing input, signature) of a compact JWS.
    fn split(token: &str) -> (&str, &str) {
        token.rsplit_once('.').expect("a compact JWS")
    }

    fn verifies(token: &str, dec: &DecodingKey, alg: Algorithm) -> bool {
        let (message, sig) = split(token);
        verify(sig, message.as_bytes(), dec, alg).expect("the key is usable")
    }

    fn verifier_error(alg: Algorithm, key: &DecodingKey) -> ErrorKind {
        match (RING_PROVIDER.verifier_factory)(&alg, key) {
            Ok(_) => panic!("{alg:?} accepted the key"),
            Err(e) => e.into_kind(),
        }
    }

    fn signer_error(alg: Algorithm, key: &EncodingKey) -> ErrorKind {
        match (RING_PROVIDER.signer_factory)(&alg, key) {
            Ok(_) => panic!("{alg:?} accepted the key"),
            Err(e) => e.into_kind(),
        }
    }

    /// Re-encodes a fixed-width ECDSA signature as the DER `ECDSA-Sig-Value` X.509 uses.
    fn fixed_to_der(sig: &[u8]) -> Vec<u8> {
        let integer = |half: &[u8]| {
            let magnitude = strip_leading_zeros(half);
            let mut out = vec![TAG_INTEGER];
            let pad = magnitude.first().is_some_and(|b| b & 0x80 != 0);
            out.push(u8::try_from(magnitude.len() + usize::from(pad)).expect("short"));
            if pad {
                out.push(0);
            }
            out.extend_from_slice(magnitude);
            out
        };
        let (r, s) = sig.split_at(sig.len() / 2);
        let body = [integer(r), integer(s)].concat();
        let mut out = vec![TAG_SEQUENCE, u8::try_from(body.len()).expect("short")];
        out.extend(body);
        out
    }

    #[test]
    fn install_is_idempotent() {
        setup();
        assert!(install_ring_provider());
        assert!(install_ring_provider());
    }

    #[test]
    fn every_algorithm_round_trips() {
        setup();
        for alg in all() {
            let keys = keys_for(alg);
            let token = mint(alg, &keys.enc);
            assert!(verifies(&token, &keys.dec, alg), "{alg:?}");
            let data = decode::<Value>(&token, &keys.dec, &Validation::new(alg))
                .unwrap_or_else(|e| panic!("{alg:?}: {e}"));
            assert_eq!(data.claims["sub"], "alice");
            assert_eq!(data.header.alg, alg);
        }
    }

    #[test]
    fn signature_lengths_match_the_jwa() {
        setup();
        let expected = [
            (Algorithm::HS256, 32),
            (Algorithm::HS384, 48),
            (Algorithm::HS512, 64),
            (Algorithm::RS256, 256),
            (Algorithm::PS512, 256),
            (Algorithm::ES256, 64),
            (Algorithm::ES384, 96),
            (Algorithm::EdDSA, 64),
        ];
        for (alg, len) in expected {
            let sig = sign(b"message", &keys_for(alg).enc, alg).expect("signs");
            assert_eq!(URL_SAFE_NO_PAD.decode(sig).expect("base64url").len(), len, "{alg:?}");
        }
    }

    #[test]
    fn tampered_tokens_are_rejected() {
        setup();
        for alg in all() {
            let keys = keys_for(alg);
            let token = mint(alg, &keys.enc);
            let (message, sig) = split(&token);

            let mut forged = message.to_owned();
            forged.push('A');
            assert!(!verify(sig, forged.as_bytes(), &keys.dec, alg).expect("usable"), "{alg:?}");

            let mut sig_bytes = URL_SAFE_NO_PAD.decode(sig).expect("base64url");
            sig_bytes[0] ^= 1;
            let bad_sig = URL_SAFE_NO_PAD.encode(&sig_bytes);
            assert!(!verify(&bad_sig, message.as_bytes(), &keys.dec, alg).expect("usable"));

            assert!(!verify("", message.as_bytes(), &keys.dec, alg).expect("usable"), "{alg:?}");
        }
    }

    #[test]
    fn a_key_of_another_family_is_refused() {
        setup();
        let families =
            [AlgorithmFamily::Hmac, AlgorithmFamily::Rsa, AlgorithmFamily::Ec, AlgorithmFamily::Ed];
        for alg in all() {
            for family in families.into_iter().filter(|f| *f != alg.family()) {
                let keys = key_of_family(family);
                assert!(
                    matches!(verifier_error(alg, &keys.dec), ErrorKind::InvalidAlgorithm),
                    "{alg:?} verifier with a {family:?} key"
                );
                assert!(
                    matches!(signer_error(alg, &keys.enc), ErrorKind::InvalidAlgorithm),
                    "{alg:?} signer with a {family:?} key"
                );
            }
        }
    }

    #[test]
    fn rsa_public_key_bytes_never_verify_an_hmac_token() {
        setup();
        // The alg-confusion attack: an HS256 token MACed with the RSA public key's bytes,
        // presented to a verifier holding that RSA key.
        let rsa_public = DecodingKey::from_rsa_pem(RSA_PUBLIC_SPKI.as_bytes()).expect("fixture");
        let secret = pem_der(RSA_PUBLIC_SPKI);
        let token = mint(Algorithm::HS256, &EncodingKey::from_secret(&secret));
        let (message, sig) = split(&token);
        assert!(verify(sig, message.as_bytes(), &rsa_public, Algorithm::HS256).is_err());
    }

    #[test]
    fn an_empty_hmac_key_is_refused() {
        setup();
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let kind = verifier_error(alg, &DecodingKey::from_secret(b""));
            assert!(matches!(kind, ErrorKind::InvalidKeyFormat), "{alg:?}: {kind:?}");
            let kind = signer_error(alg, &EncodingKey::from_secret(b""));
            assert!(matches!(kind, ErrorKind::InvalidKeyFormat), "{alg:?}: {kind:?}");
        }
    }

    #[test]
    fn a_der_ecdsa_signature_is_rejected() {
        setup();
        for alg in [Algorithm::ES256, Algorithm::ES384] {
            let keys = keys_for(alg);
            let token = mint(alg, &keys.enc);
            let (message, sig) = split(&token);
            let der = fixed_to_der(&URL_SAFE_NO_PAD.decode(sig).expect("base64url"));
            let der_sig = URL_SAFE_NO_PAD.encode(der);
            assert!(!verify(&der_sig, message.as_bytes(), &keys.dec, alg).expect("usable"));
            assert!(verify(sig, message.as_bytes(), &keys.dec, alg).expect("usable"));
        }
    }

    #[test]
    fn rsa_signatures_do_not_cross_paddings_or_hashes() {
        setup();
        let keys = keys_for(Algorithm::RS256);
        let pairs = [
            (Algorithm::RS256, Algorithm::PS256),
            (Algorithm::PS256, Algorithm::RS256),
            (Algorithm::RS256, Algorithm::RS384),
            (Algorithm::PS384, Algorithm::PS512),
        ];
        for (signed_as, verified_as) in pairs {
            let token = mint(signed_as, &keys.enc);
            assert!(!verifies(&token, &keys.dec, verified_as), "{signed_as:?} as {verified_as:?}");
        }
    }

    #[test]
    fn ecdsa_keys_must_match_the_curve() {
        setup();
        let (p256_pkcs8, p256_point) = ec_pkcs8_and_point(Algorithm::ES256);
        let kind = verifier_error(Algorithm::ES384, &DecodingKey::from_ec_der(&p256_point));
        assert!(matches!(kind, ErrorKind::InvalidEcdsaKey), "{kind:?}");
        let kind = signer_error(Algorithm::ES384, &EncodingKey::from_ec_der(&p256_pkcs8));
        assert!(matches!(kind, ErrorKind::InvalidEcdsaKey), "{kind:?}");
        // A compressed point (02/03 prefix) is refused too.
        let mut compressed = p256_point[..33].to_vec();
        compressed[0] = 0x02;
        let kind = verifier_error(Algorithm::ES256, &DecodingKey::from_ec_der(&compressed));
        assert!(matches!(kind, ErrorKind::InvalidEcdsaKey), "{kind:?}");
    }

    #[test]
    fn every_rsa_key_form_works() {
        setup();
        let pkcs1_signer = EncodingKey::from_rsa_pem(RSA_PRIVATE_PKCS1.as_bytes()).expect("PKCS#1");
        let spki_der = pem_der(RSA_PUBLIC_SPKI);
        let (n, e) = rsa_components_from_public_key(&spki_der).expect("SPKI parses");
        let mut padded_n = vec![0];
        padded_n.extend_from_slice(&n);
        let verifiers = [
            DecodingKey::from_rsa_pem(RSA_PUBLIC_SPKI.as_bytes()).expect("SPKI PEM"),
            DecodingKey::from_rsa_pem(RSA_PUBLIC_PKCS1.as_bytes()).expect("PKCS#1 PEM"),
            DecodingKey::from_rsa_der(&pem_der(RSA_PUBLIC_PKCS1)),
            DecodingKey::from_rsa_der(&spki_der),
            DecodingKey::from_rsa_raw_components(&n, &e),
            DecodingKey::from_rsa_raw_components(&padded_n, &e),
        ];
        for alg in [Algorithm::RS256, Algorithm::PS256] {
            for signer in [&pkcs1_signer, &keys_for(alg).enc] {
                let token = mint(alg, signer);
                for (i, dec) in verifiers.iter().enumerate() {
                    assert!(verifies(&token, dec, alg), "{alg:?} with verifier key #{i}");
                }
            }
        }
    }

    #[test]
    fn rsa_keys_below_2048_bits_are_refused() {
        setup();
        let small = DecodingKey::from_rsa_pem(RSA_1024_PUBLIC.as_bytes()).expect("parses as PEM");
        let kind = verifier_error(Algorithm::RS256, &small);
        assert!(matches!(kind, ErrorKind::InvalidRsaKey(_)), "{kind:?}");
        let (n, e) = rsa_components_from_public_key(&pem_der(RSA_1024_PUBLIC)).expect("parses");
        let kind = verifier_error(Algorithm::RS256, &DecodingKey::from_rsa_raw_components(&n, &e));
        assert!(matches!(kind, ErrorKind::InvalidRsaKey(_)), "{kind:?}");
        let small = EncodingKey::from_rsa_pem(RSA_1024_PRIVATE.as_bytes()).expect("parses as PEM");
        let kind = signer_error(Algorithm::RS256, &small);
        assert!(matches!(kind, ErrorKind::InvalidRsaKey(_)), "{kind:?}");
    }

    #[test]
    fn key_utils_agree_with_the_keys() {
        setup();
        let from_private = rsa_components_from_private_key(&pem_der(RSA_PRIVATE_PKCS1)).unwrap();
        let from_pkcs8 = rsa_components_from_private_key(&pem_der(RSA_PRIVATE_PKCS8)).unwrap();
        let from_spki = rsa_components_from_public_key(&pem_der(RSA_PUBLIC_SPKI)).unwrap();
        let from_pkcs1 = rsa_components_from_public_key(&pem_der(RSA_PUBLIC_PKCS1)).unwrap();
        assert_eq!(from_private, from_pkcs8);
        assert_eq!(from_private, from_spki);
        assert_eq!(from_private, from_pkcs1);
        assert_eq!(from_private.0.len(), 256);
        assert_eq!(from_private.1, [1, 0, 1]);

        for (alg, curve) in
            [(Algorithm::ES256, EllipticCurve::P256), (Algorithm::ES384, EllipticCurve::P384)]
        {
            let (pkcs8, point) = ec_pkcs8_and_point(alg);
            let (got_curve, x, y) = ec_components_from_private_key(&pkcs8, alg).unwrap();
            assert_eq!(got_curve, curve);
            assert_eq!([&[4][..], &x, &y].concat(), point);
        }
        let (pkcs8, public) = ed_pkcs8_and_public();
        assert_eq!(ed_component_from_private_key(&pkcs8, &EllipticCurve::Ed25519).unwrap(), public);
        assert!(ed_component_from_private_key(&pkcs8, &EllipticCurve::P256).is_err());

        let abc = compute_digest(b"abc", ThumbprintHash::SHA256).unwrap();
        assert_eq!(
            abc,
            [
                0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
                0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
                0xf2, 0x00, 0x15, 0xad
            ]
        );
        assert_eq!(compute_digest(b"", ThumbprintHash::SHA384).unwrap().len(), 48);
        assert_eq!(compute_digest(b"", ThumbprintHash::SHA512).unwrap().len(), 64);
    }

    #[test]
    fn rfc7638_thumbprint() {
        setup();
        let jwk: Jwk = serde_json::from_value(json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSo\
                  c_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YG\
                  jQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt\
                  -bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        }))
        .expect("the RFC 7638 example key");
        let thumbprint = jwk.thumbprint(ThumbprintHash::SHA256).expect("computes");
        assert_eq!(thumbprint, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    #[test]
    fn jwks_built_from_keys_verify_tokens() {
        setup();
        for alg in all() {
            let keys = keys_for(alg);
            let token = mint(alg, &keys.enc);
            let from_public = Jwk::from_decoding_key(&keys.dec, Some(alg)).expect("exports");
            let dec = DecodingKey::from_jwk(&from_public).expect("imports");
            assert!(verifies(&token, &dec, alg), "{alg:?} via the public key's JWK");
            // jsonwebtoken's own Ed25519 export only takes 48-byte PKCS#8 v1 keys; ring makes v2.
            if alg != Algorithm::EdDSA {
                let from_private = Jwk::from_encoding_key(&keys.enc, alg).expect("exports");
                let dec = DecodingKey::from_jwk(&from_private).expect("imports");
                assert!(verifies(&token, &dec, alg), "{alg:?} via the private key's JWK");
            }
        }
    }

    #[test]
    fn garbage_keys_are_errors_not_panics() {
        setup();
        let lengths = [0, 1, 2, 31, 32, 33, 48, 64, 65, 97, 256, 300, 1100];
        for alg in all() {
            for &len in &lengths {
                for fill in [0x00u8, 0x04, 0x30, 0xff] {
                    let bytes = vec![fill; len];
                    let dec = match alg.family() {
                        AlgorithmFamily::Hmac => DecodingKey::from_secret(&bytes),
                        AlgorithmFamily::Rsa => DecodingKey::from_rsa_der(&bytes),
                        AlgorithmFamily::Ec => DecodingKey::from_ec_der(&bytes),
                        AlgorithmFamily::Ed => DecodingKey::from_ed_der(&bytes),
                    };
                    if let Ok(verifier) = (RING_PROVIDER.verifier_factory)(&alg, &dec) {
                        assert!(verifier.verify(b"m", &vec![fill; len]).is_err(), "{alg:?}");
                    }
                    let enc = match alg.family() {
                        AlgorithmFamily::Hmac => EncodingKey::from_secret(&bytes),
                        AlgorithmFamily::Rsa => EncodingKey::from_rsa_der(&bytes),
                        AlgorithmFamily::Ec => EncodingKey::from_ec_der(&bytes),
                        AlgorithmFamily::Ed => EncodingKey::from_ed_der(&bytes),
                    };
                    let signed = (RING_PROVIDER.signer_factory)(&alg, &enc);
                    assert_eq!(signed.is_ok(), alg.family() == AlgorithmFamily::Hmac && len > 0);
                }
            }
        }
        let rsa_empty = DecodingKey::from_rsa_raw_components(&[], &[]);
        assert!((RING_PROVIDER.verifier_factory)(&Algorithm::RS256, &rsa_empty).is_err());
        let (n, _) = rsa_components_from_public_key(&pem_der(RSA_PUBLIC_SPKI)).unwrap();
        let zero_e = DecodingKey::from_rsa_raw_components(&n, &[0, 0]);
        assert!((RING_PROVIDER.verifier_factory)(&Algorithm::RS256, &zero_e).is_err());
    }

    #[test]
    fn truncated_der_is_an_error_not_a_panic() {
        setup();
        for pem in [RSA_PUBLIC_SPKI, RSA_PUBLIC_PKCS1, RSA_PRIVATE_PKCS1, RSA_PRIVATE_PKCS8] {
            let der = pem_der(pem);
            for end in 0..der.len() {
                assert!(rsa_components_from_public_key(&der[..end]).is_err());
                assert!(rsa_components_from_private_key(&der[..end]).is_err());
            }
        }
        for alg in [Algorithm::ES256, Algorithm::ES384] {
            let (pkcs8, _) = ec_pkcs8_and_point(alg);
            for end in 0..pkcs8.len() {
                assert!(ec_components_from_private_key(&pkcs8[..end], alg).is_err());
            }
        }
        let (pkcs8, _) = ed_pkcs8_and_public();
        for end in 0..pkcs8.len() {
            assert!(ed_component_from_private_key(&pkcs8[..end], &EllipticCurve::Ed25519).is_err());
        }
    }

    #[test]
    fn der_reader_is_strict() {
        // Long-form length for a short value is not DER.
        assert!(DerReader::new(&[0x04, 0x81, 0x01, 0xaa]).read(0x04).is_none());
        assert_eq!(DerReader::new(&[0x04, 0x01, 0xaa]).read(0x04), Some(&[0xaa][..]));
        // Indefinite length, a leading zero length byte, and overlong input are refused.
        assert!(DerReader::new(&[0x30, 0x80, 0x00, 0x00]).read(0x30).is_none());
        assert!(DerReader::new(&[0x04, 0x82, 0x00, 0x81]).read(0x04).is_none());
        assert!(DerReader::new(&[0x04, 0x05, 0xaa]).read(0x04).is_none());
        // Integers: negative, zero and needlessly padded ones are refused.
        for bad in
            [&[0x02, 0x01, 0x80][..], &[0x02, 0x01, 0x00], &[0x02, 0x02, 0x00, 0x01], &[0x02, 0x00]]
        {
            assert!(DerReader::new(bad).read_positive_integer().is_none(), "{bad:02x?}");
        }
        assert_eq!(
            DerReader::new(&[0x02, 0x02, 0x00, 0x80]).read_positive_integer(),
            Some(&[0x80][..])
        );
        // Trailing bytes after the key, and an SPKI for another algorithm, are refused.
        let mut der = pem_der(RSA_PUBLIC_PKCS1);
        der.push(0);
        assert!(parse_rsa_public_key(&der).is_none());
        let mut spki = pem_der(RSA_PUBLIC_SPKI);
        let oid_at = spki.windows(OID_RSA_ENCRYPTION.len()).position(|w| w == OID_RSA_ENCRYPTION);
        spki[oid_at.expect("the OID is in the SPKI") + OID_RSA_ENCRYPTION.len() - 1] = 0x0b;
        assert!(parse_rsa_public_key(&spki).is_none());
        assert!(is_pkcs8(&pem_der(RSA_PRIVATE_PKCS8)));
        assert!(!is_pkcs8(&pem_der(RSA_PRIVATE_PKCS1)));
    }
}
