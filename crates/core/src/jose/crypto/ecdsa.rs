//! ES256 and ES384 (RFC 7518 §3.4): the uncompressed point to verify, PKCS#8 to sign, and
//! signatures in the fixed-width `r ‖ s` form (a DER signature never verifies).

use jsonwebtoken::errors::{new_error, ErrorKind, Result};
use jsonwebtoken::Algorithm;

use super::backend::rand::SystemRandom;
use super::backend::signature::{self, EcdsaKeyPair, EcdsaSigningAlgorithm};
use super::{PublicKey, SignError};

/// What ES256 and ES384 differ in.
pub(super) struct Parameters {
    pub(super) signing: &'static EcdsaSigningAlgorithm,
    verification: &'static signature::EcdsaVerificationAlgorithm,
    #[cfg_attr(not(feature = "ring"), allow(dead_code))]
    curve: jsonwebtoken::jwk::EllipticCurve,
    /// Bytes in one coordinate, and in each of r and s.
    coordinate_len: usize,
}

pub(super) fn parameters(alg: Algorithm) -> Option<Parameters> {
    use jsonwebtoken::jwk::EllipticCurve;
    match alg {
        Algorithm::ES256 => Some(Parameters {
            signing: &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            verification: &signature::ECDSA_P256_SHA256_FIXED,
            curve: EllipticCurve::P256,
            coordinate_len: 32,
        }),
        Algorithm::ES384 => Some(Parameters {
            signing: &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
            verification: &signature::ECDSA_P384_SHA384_FIXED,
            curve: EllipticCurve::P384,
            coordinate_len: 48,
        }),
        _ => None,
    }
}

/// The point `04 ‖ x ‖ y`, prepared for verifying `alg`.
pub(super) fn public_key(alg: Algorithm, point: &[u8]) -> Result<PublicKey> {
    let params = parameters(alg).ok_or_else(|| new_error(ErrorKind::InvalidAlgorithm))?;
    // Checked here so that a P-256 key offered for ES384 (or a compressed point) is a key
    // error up front, not an anonymous signature failure on every token.
    if uncompressed_point(point, params.coordinate_len).is_none() {
        return Err(new_error(ErrorKind::InvalidEcdsaKey));
    }
    PublicKey::parse(params.verification, point).map_err(|_| new_error(ErrorKind::InvalidEcdsaKey))
}

/// The key pair in a PKCS#8 document, for `alg`'s curve.
pub(super) fn key_pair(alg: Algorithm, pkcs8: &[u8]) -> Result<EcdsaKeyPair> {
    let params = parameters(alg).ok_or_else(|| new_error(ErrorKind::InvalidAlgorithm))?;
    from_pkcs8(params.signing, pkcs8).map_err(|_| new_error(ErrorKind::InvalidEcdsaKey))
}

#[cfg(feature = "aws-lc")]
fn from_pkcs8(
    alg: &'static EcdsaSigningAlgorithm,
    pkcs8: &[u8],
) -> std::result::Result<EcdsaKeyPair, super::backend::error::KeyRejected> {
    EcdsaKeyPair::from_pkcs8(alg, pkcs8)
}

/// ring wants a random number generator to check the key pair with.
#[cfg(all(feature = "ring", not(feature = "aws-lc")))]
fn from_pkcs8(
    alg: &'static EcdsaSigningAlgorithm,
    pkcs8: &[u8],
) -> std::result::Result<EcdsaKeyPair, super::backend::error::KeyRejected> {
    EcdsaKeyPair::from_pkcs8(alg, pkcs8, &SystemRandom::new())
}

/// A fixed-width signature of `msg`.
pub(super) fn sign(
    pair: &EcdsaKeyPair,
    rng: &SystemRandom,
    msg: &[u8],
) -> std::result::Result<Vec<u8>, SignError> {
    Ok(pair.sign(rng, msg).map_err(|_| SignError)?.as_ref().to_vec())
}

/// Splits `04 ‖ x ‖ y` into its coordinates, if it is one for this coordinate size.
pub(super) fn uncompressed_point(point: &[u8], coordinate_len: usize) -> Option<(&[u8], &[u8])> {
    match point.split_first() {
        Some((0x04, xy)) if xy.len() == 2 * coordinate_len => Some(xy.split_at(coordinate_len)),
        _ => None,
    }
}

/// The curve and coordinates of a PKCS#8 private key (jsonwebtoken's JWK export, ring build).
#[cfg(feature = "ring")]
pub(super) fn components_from_private_key(
    pkcs8: &[u8],
    alg: Algorithm,
) -> Result<(jsonwebtoken::jwk::EllipticCurve, Vec<u8>, Vec<u8>)> {
    use super::backend::signature::KeyPair;
    let params = parameters(alg).ok_or_else(|| new_error(ErrorKind::InvalidAlgorithm))?;
    let pair = key_pair(alg, pkcs8)?;
    let (x, y) = uncompressed_point(pair.public_key().as_ref(), params.coordinate_len)
        .ok_or_else(|| new_error(ErrorKind::InvalidEcdsaKey))?;
    Ok((params.curve, x.to_vec(), y.to_vec()))
}
