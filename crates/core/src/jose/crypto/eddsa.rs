//! EdDSA with Ed25519 (RFC 8037): the raw 32-byte public key to verify, PKCS#8 to sign.

use jsonwebtoken::errors::{new_error, ErrorKind, Result};

use super::backend::signature::{self, Ed25519KeyPair};
use super::PublicKey;

/// Bytes in an Ed25519 public key.
const PUBLIC_KEY_LEN: usize = 32;

/// The public key, prepared for verification.
pub(super) fn public_key(public: &[u8]) -> Result<PublicKey> {
    if public.len() != PUBLIC_KEY_LEN {
        return Err(new_error(ErrorKind::InvalidEddsaKey));
    }
    PublicKey::parse(&signature::ED25519, public).map_err(|_| new_error(ErrorKind::InvalidEddsaKey))
}

/// The key pair in a PKCS#8 v1 or v2 document.
pub(super) fn key_pair(pkcs8: &[u8]) -> Result<Ed25519KeyPair> {
    // "maybe_unchecked" accepts PKCS#8 v1 (no embedded public key), which is what OpenSSL
    // writes; the backend derives the public key from the seed either way.
    Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8)
        .map_err(|_| new_error(ErrorKind::InvalidEddsaKey))
}

/// The public key of a PKCS#8 private key (jsonwebtoken's JWK export, ring build).
#[cfg(feature = "ring")]
pub(super) fn public_from_private_key(
    pkcs8: &[u8],
    curve: &jsonwebtoken::jwk::EllipticCurve,
) -> Result<Vec<u8>> {
    use super::backend::signature::KeyPair;
    if *curve != jsonwebtoken::jwk::EllipticCurve::Ed25519 {
        return Err(new_error(ErrorKind::UnsupportedAlgorithm));
    }
    Ok(key_pair(pkcs8)?.public_key().as_ref().to_vec())
}
