//! jsonwebtoken's [`CryptoProvider`] over our prepared keys: the ring build's only, since
//! jsonwebtoken ships no ring provider (with aws-lc it uses its own). Every key utility
//! returns an error where jsonwebtoken's placeholders would panic.

use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{new_error, ErrorKind, Result};
use jsonwebtoken::jwk::ThumbprintHash;
use jsonwebtoken::signature::{Error as SignatureError, Signer, Verifier};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};

use super::backend::digest;
use super::{ecdsa, eddsa, rsa, PreparedVerifier, SigningKey};

/// The ring-backed provider; install it with [`super::install_provider`].
pub static RING_PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: new_signer,
    verifier_factory: new_verifier,
    key_utils: KeyUtils {
        rsa_pub_components_from_private_key: rsa::components_from_private_key,
        rsa_pub_components_from_public_key: rsa::components_from_public_key,
        ec_pub_components_from_private_key: ecdsa::components_from_private_key,
        ed_pub_components_from_private_key: eddsa::public_from_private_key,
        compute_digest,
    },
};

fn new_signer(alg: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
    Ok(Box::new(SigningKey::new(*alg, key)?))
}

fn new_verifier(alg: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    Ok(Box::new(PreparedVerifier::new(*alg, key)?))
}

impl Signer<Vec<u8>> for SigningKey {
    fn try_sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, SignatureError> {
        self.sign(msg).map_err(|_| SignatureError::new())
    }
}

impl JwtSigner for SigningKey {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

impl Verifier<Vec<u8>> for PreparedVerifier {
    fn verify(&self, msg: &[u8], sig: &Vec<u8>) -> std::result::Result<(), SignatureError> {
        match self.verify_signature(msg, sig) {
            true => Ok(()),
            false => Err(SignatureError::new()),
        }
    }
}

impl JwtVerifier for PreparedVerifier {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
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
