//! RS256/384/512 and PS256/384/512 (RFC 7518 §3.3, §3.5): a PKCS#1 or SPKI public key, or its
//! `(n, e)`, to verify; a PKCS#1 or PKCS#8 private key to sign. Moduli of 2048 to 8192 bits
//! verify (2048 to 4096 sign), checked when the key is loaded so a bad key is reported then.

use jsonwebtoken::errors::{new_error, ErrorKind, Result};
use jsonwebtoken::Algorithm;

use super::backend::rand::SystemRandom;
use super::backend::signature::{self, KeyPair, RsaEncoding, RsaKeyPair, RsaParameters};
use super::{strip_leading_zeros, PublicKey, SignError};
use crate::jose::der::{DerReader, TAG_BIT_STRING, TAG_INTEGER, TAG_NULL, TAG_OID, TAG_SEQUENCE};

const MIN_VERIFY_BYTES: usize = 2048 / 8;
const MAX_VERIFY_BYTES: usize = 8192 / 8;

fn padding(alg: Algorithm) -> Option<&'static dyn RsaEncoding> {
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

fn parameters(alg: Algorithm) -> Option<&'static RsaParameters> {
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

fn key_error(reason: &str) -> jsonwebtoken::errors::Error {
    new_error(ErrorKind::InvalidRsaKey(reason.to_owned()))
}

/// A PKCS#1 `RSAPublicKey` or SPKI DER, prepared for verifying `alg`.
pub(super) fn public_key_from_der(alg: Algorithm, der: &[u8]) -> Result<PublicKey> {
    let params = parameters(alg).ok_or_else(|| new_error(ErrorKind::InvalidAlgorithm))?;
    let parts =
        parse_public_key(der).ok_or_else(|| key_error("not a PKCS#1 RSAPublicKey or SPKI DER"))?;
    check_modulus(parts.n)?;
    PublicKey::parse(params, parts.pkcs1).map_err(|e| key_error(&e.to_string()))
}

/// A key given as big-endian `n` and `e` (a JWK), prepared for verifying `alg`.
pub(super) fn public_key_from_components(alg: Algorithm, n: &[u8], e: &[u8]) -> Result<PublicKey> {
    let params = parameters(alg).ok_or_else(|| new_error(ErrorKind::InvalidAlgorithm))?;
    // Both backends refuse leading zero bytes; some JWK publishers emit one before a
    // high-bit modulus, and stripping it does not change the number.
    let (n, e) = (strip_leading_zeros(n), strip_leading_zeros(e));
    check_modulus(n)?;
    if e.is_empty() {
        return Err(key_error("zero public exponent"));
    }
    PublicKey::rsa_components(params, n, e).map_err(|e| key_error(&e.to_string()))
}

/// The padding for `alg` and the key pair in a PKCS#1 or PKCS#8 private key.
pub(super) fn key_pair(
    alg: Algorithm,
    der: &[u8],
) -> Result<(&'static dyn RsaEncoding, RsaKeyPair)> {
    let padding = padding(alg).ok_or_else(|| new_error(ErrorKind::InvalidAlgorithm))?;
    Ok((padding, parse_private_key(der)?))
}

/// Parses an RSA private key in PKCS#1 (what jsonwebtoken's PEM loader yields) or PKCS#8 DER.
pub(super) fn parse_private_key(der: &[u8]) -> Result<RsaKeyPair> {
    // Pick the parser from the structure rather than trying both, so the error names the
    // real problem (e.g. "TooSmall") instead of the second parser's "InvalidEncoding".
    let parsed =
        if is_pkcs8(der) { RsaKeyPair::from_pkcs8(der) } else { RsaKeyPair::from_der(der) };
    parsed.map_err(|e| key_error(&e.to_string()))
}

/// The signature of `msg`, as long as the modulus.
pub(super) fn sign(
    padding: &'static dyn RsaEncoding,
    pair: &RsaKeyPair,
    rng: &SystemRandom,
    msg: &[u8],
) -> std::result::Result<Vec<u8>, SignError> {
    let mut out = vec![0; KeyPair::public_key(pair).modulus_len()];
    pair.sign(padding, rng, msg, &mut out).map_err(|_| SignError)?;
    Ok(out)
}

/// Mirrors the backends' verification bounds so a bad key is reported when it is loaded.
fn check_modulus(n: &[u8]) -> Result<()> {
    if (MIN_VERIFY_BYTES..=MAX_VERIFY_BYTES).contains(&n.len()) {
        Ok(())
    } else {
        Err(key_error("modulus must be 2048 to 8192 bits"))
    }
}

/// `(n, e)` of a private key (jsonwebtoken's JWK export, ring build).
#[cfg(feature = "ring")]
pub(super) fn components_from_private_key(der: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
    let pair = parse_private_key(der)?;
    let components = signature::RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
    Ok((components.n, components.e))
}

/// `(n, e)` of a PKCS#1 or SPKI public key (jsonwebtoken's JWK export, ring build).
#[cfg(feature = "ring")]
pub(super) fn components_from_public_key(der: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
    // ring can parse this DER only for verification, never into components.
    let parts =
        parse_public_key(der).ok_or_else(|| key_error("not a PKCS#1 RSAPublicKey or SPKI DER"))?;
    Ok((parts.n.to_vec(), parts.e.to_vec()))
}

// ---------------------------------------------------------------------------------------------
// Taking RSA keys apart: ring does not, and neither backend checks the size up front.

/// The content octets of OID 1.2.840.113549.1.1.1 (rsaEncryption).
pub(super) const OID_RSA_ENCRYPTION: &[u8] =
    &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// An RSA public key taken apart: the PKCS#1 `RSAPublicKey` and its integers.
pub(super) struct PublicParts<'a> {
    pub(super) pkcs1: &'a [u8],
    pub(super) n: &'a [u8],
    #[cfg_attr(not(feature = "ring"), allow(dead_code))]
    pub(super) e: &'a [u8],
}

/// Accepts a PKCS#1 `RSAPublicKey` or an SPKI `SubjectPublicKeyInfo` with rsaEncryption.
pub(super) fn parse_public_key(der: &[u8]) -> Option<PublicParts<'_>> {
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
            fields.is_empty().then_some(PublicParts { pkcs1: der, n, e })
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
                    let inner = parse_public_key(pkcs1)?;
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
pub(super) fn is_pkcs8(der: &[u8]) -> bool {
    let mut outer = DerReader::new(der);
    let Some(body) = outer.read(TAG_SEQUENCE) else {
        return false;
    };
    let mut fields = DerReader::new(body);
    fields.read(TAG_INTEGER).is_some() && fields.peek_tag() == Some(TAG_SEQUENCE)
}
