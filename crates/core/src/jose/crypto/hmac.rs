//! HS256, HS384, HS512 (RFC 7518 §3.2): one prepared key serves both directions, and the
//! backend's `hmac::sign` and constant-time `hmac::verify` need nothing more.

use jsonwebtoken::errors::{new_error, ErrorKind, Result};
use jsonwebtoken::Algorithm;

use super::backend::hmac;

fn algorithm(alg: Algorithm) -> Option<hmac::Algorithm> {
    match alg {
        Algorithm::HS256 => Some(hmac::HMAC_SHA256),
        Algorithm::HS384 => Some(hmac::HMAC_SHA384),
        Algorithm::HS512 => Some(hmac::HMAC_SHA512),
        _ => None,
    }
}

/// The key schedule for `secret`, done once.
pub(super) fn key(alg: Algorithm, secret: &[u8]) -> Result<hmac::Key> {
    let alg = algorithm(alg).ok_or_else(|| new_error(ErrorKind::InvalidAlgorithm))?;
    // An empty secret makes every MAC forgeable by anyone.
    if secret.is_empty() {
        return Err(new_error(ErrorKind::InvalidKeyFormat));
    }
    Ok(hmac::Key::new(alg, secret))
}
