//! The cryptography per family, verify and sign side by side: [`hmac`](self::hmac),
//! [`rsa`](self::rsa), [`ecdsa`](self::ecdsa), [`eddsa`](self::eddsa). One backend per build,
//! chosen by cargo feature and named [`backend`] everywhere else: aws-lc-rs (`aws-lc`, the
//! default; `fips` for aws-lc's FIPS module) or ring (`ring`). docs/crypto.md explains why.
//!
//! Keys are prepared once, when the configuration is read: a [`PreparedVerifier`] holds the
//! backend's parsed public key (aws-lc-rs) or its checked bytes (ring, which parses on each
//! verification and has no parsed form), a [`SigningKey`] the backend's key pair.
//!
//! Key bytes, as jsonwebtoken's key constructors hand them over:
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

#[cfg(all(feature = "aws-lc", feature = "ring"))]
compile_error!(
    "credentialflow-core: choose ONE crypto backend: the features \"aws-lc\" (the default) and \
     \"ring\" exclude each other; for ring build with --no-default-features --features ring"
);
#[cfg(not(any(feature = "aws-lc", feature = "ring")))]
compile_error!(
    "credentialflow-core: no crypto backend: enable the feature \"aws-lc\" (the default) or \"ring\""
);

/// The crypto backend of this build: aws-lc-rs and ring share the API used here.
#[cfg(feature = "aws-lc")]
pub use aws_lc_rs as backend;
/// The crypto backend of this build: aws-lc-rs and ring share the API used here.
#[cfg(all(feature = "ring", not(feature = "aws-lc")))]
pub use ring as backend;

mod ecdsa;
mod eddsa;
mod hmac;
#[cfg(feature = "ring")]
mod provider;
mod rsa;

#[cfg(feature = "ring")]
pub use provider::RING_PROVIDER;

use backend::rand::SystemRandom;
use jsonwebtoken::errors::{new_error, ErrorKind, Result};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind, EncodingKey};

/// The backend's name in version lines, logs, benchmarks and test output: `aws-lc`,
/// `aws-lc-fips` or `ring`.
pub const BACKEND_NAME: &str = if cfg!(feature = "fips") {
    "aws-lc-fips"
} else if cfg!(feature = "aws-lc") {
    "aws-lc"
} else {
    "ring"
};

/// In a `fips` build, `Ok` only if aws-lc's FIPS module runs in FIPS mode (its power-on
/// self-tests passed); a program built for FIPS refuses to start otherwise. Always `Ok` in
/// other builds, which make no FIPS claim.
pub fn check_fips_mode() -> std::result::Result<(), String> {
    #[cfg(feature = "fips")]
    {
        backend::try_fips_mode()
            .map_err(|why| format!("aws-lc's FIPS module is not in FIPS mode: {why}"))
    }
    #[cfg(not(feature = "fips"))]
    {
        Ok(())
    }
}

/// Makes this build's backend jsonwebtoken's process-wide provider, for the callers of
/// jsonwebtoken's own crypto (`encode`, `decode`, `crypto::sign`, the JWK helpers). The core
/// never calls those: verification and signing go through [`PreparedVerifier`] and
/// [`SigningKey`]. Safe to call any number of times.
///
/// With aws-lc, jsonwebtoken picks its own aws-lc provider by itself (its `aws_lc_rs`
/// feature), so this only makes the choice explicit. With ring, jsonwebtoken has no provider
/// and, unless one is installed before its first use, locks in a placeholder that panics.
///
/// Returns whether the backend's provider is the one in force afterwards.
pub fn install_provider() -> bool {
    #[cfg(feature = "aws-lc")]
    let provider = &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;
    #[cfg(all(feature = "ring", not(feature = "aws-lc")))]
    let provider = &RING_PROVIDER;
    match provider.install_default() {
        Ok(()) => true,
        Err(current) => std::ptr::eq(current, provider),
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

// ---------------------------------------------------------------------------------------------
// The backend's prepared public key: the one place where the two backends differ.

/// A public key, parsed once by aws-lc-rs.
#[cfg(feature = "aws-lc")]
struct PublicKey(backend::signature::ParsedPublicKey);

#[cfg(feature = "aws-lc")]
impl PublicKey {
    fn parse(
        alg: &'static dyn backend::signature::VerificationAlgorithm,
        bytes: &[u8],
    ) -> std::result::Result<Self, backend::error::KeyRejected> {
        backend::signature::ParsedPublicKey::new(alg, bytes).map(PublicKey)
    }

    /// `n` and `e` without leading zero bytes.
    fn rsa_components(
        params: &'static backend::signature::RsaParameters,
        n: &[u8],
        e: &[u8],
    ) -> std::result::Result<Self, backend::error::KeyRejected> {
        backend::signature::RsaPublicKeyComponents { n, e }
            .to_parsed_public_key(params)
            .map(PublicKey)
    }

    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        self.0.verify_sig(msg, sig).is_ok()
    }
}

/// A public key for ring, which has no parsed form: it parses the bytes on every verification
/// (the family code has checked them when the key was loaded).
#[cfg(all(feature = "ring", not(feature = "aws-lc")))]
enum PublicKey {
    Bytes(backend::signature::UnparsedPublicKey<Vec<u8>>),
    RsaComponents(
        &'static backend::signature::RsaParameters,
        backend::signature::RsaPublicKeyComponents<Vec<u8>>,
    ),
}

#[cfg(all(feature = "ring", not(feature = "aws-lc")))]
impl PublicKey {
    fn parse(
        alg: &'static dyn backend::signature::VerificationAlgorithm,
        bytes: &[u8],
    ) -> std::result::Result<Self, backend::error::KeyRejected> {
        Ok(PublicKey::Bytes(backend::signature::UnparsedPublicKey::new(alg, bytes.to_vec())))
    }

    /// `n` and `e` without leading zero bytes.
    fn rsa_components(
        params: &'static backend::signature::RsaParameters,
        n: &[u8],
        e: &[u8],
    ) -> std::result::Result<Self, backend::error::KeyRejected> {
        let components =
            backend::signature::RsaPublicKeyComponents { n: n.to_vec(), e: e.to_vec() };
        Ok(PublicKey::RsaComponents(params, components))
    }

    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        match self {
            PublicKey::Bytes(key) => key.verify(msg, sig).is_ok(),
            PublicKey::RsaComponents(params, key) => key.verify(params, msg, sig).is_ok(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Verification

// One per configured key, built at config time and never moved on the request path: its size
// does not matter, a pointer chase per HMAC check would.
#[allow(clippy::large_enum_variant)]
enum VerifyingKey {
    Hmac(backend::hmac::Key),
    Public(PublicKey),
}

/// A key prepared for one algorithm. The module builds one per configured key and algorithm at
/// config time, so a request pays for the signature check only: no key parsing, copy or HMAC
/// key schedule per token (jsonwebtoken's own providers redo all of that on every call).
pub struct PreparedVerifier {
    alg: Algorithm,
    key: VerifyingKey,
}

impl PreparedVerifier {
    /// Prepares `key` for verifying `alg` signatures; a key of another family is an error.
    pub fn new(alg: Algorithm, key: &DecodingKey) -> Result<PreparedVerifier> {
        require_family(alg, key.family())?;
        let key = match (alg.family(), key.kind()) {
            (AlgorithmFamily::Hmac, DecodingKeyKind::SecretOrDer(secret)) => {
                VerifyingKey::Hmac(hmac::key(alg, secret)?)
            }
            (AlgorithmFamily::Rsa, DecodingKeyKind::SecretOrDer(der)) => {
                VerifyingKey::Public(rsa::public_key_from_der(alg, der)?)
            }
            (AlgorithmFamily::Rsa, DecodingKeyKind::RsaModulusExponent { n, e }) => {
                VerifyingKey::Public(rsa::public_key_from_components(alg, n, e)?)
            }
            (AlgorithmFamily::Ec, DecodingKeyKind::SecretOrDer(point)) => {
                VerifyingKey::Public(ecdsa::public_key(alg, point)?)
            }
            (AlgorithmFamily::Ed, DecodingKeyKind::SecretOrDer(public)) => {
                VerifyingKey::Public(eddsa::public_key(public)?)
            }
            _ => return Err(new_error(ErrorKind::InvalidKeyFormat)),
        };
        Ok(PreparedVerifier { alg, key })
    }

    /// The algorithm this key verifies.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// Whether `sig` is a valid signature of `msg`.
    pub fn verify_signature(&self, msg: &[u8], sig: &[u8]) -> bool {
        match &self.key {
            // Both backends compare the recomputed tag in constant time.
            VerifyingKey::Hmac(key) => backend::hmac::verify(key, msg, sig).is_ok(),
            VerifyingKey::Public(key) => key.verify(msg, sig),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Signing

/// Signing failed: the backend's random number generator or its signing operation failed.
/// Says nothing about the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("signing failed")]
pub struct SignError;

// One per signing key, built once: its size does not matter.
#[allow(clippy::large_enum_variant)]
enum SigningPair {
    Hmac(backend::hmac::Key),
    Rsa(&'static dyn backend::signature::RsaEncoding, backend::signature::RsaKeyPair),
    Ecdsa(backend::signature::EcdsaKeyPair),
    Ed25519(backend::signature::Ed25519KeyPair),
}

/// A private key (or HMAC secret) prepared once for signing one algorithm.
pub struct SigningKey {
    alg: Algorithm,
    pair: SigningPair,
    rng: SystemRandom,
}

impl SigningKey {
    /// Prepares `key` for signing with `alg`; a key of another family is an error.
    pub fn new(alg: Algorithm, key: &EncodingKey) -> Result<SigningKey> {
        require_family(alg, key.family())?;
        let bytes = key.as_bytes();
        let pair = match alg.family() {
            AlgorithmFamily::Hmac => SigningPair::Hmac(hmac::key(alg, bytes)?),
            AlgorithmFamily::Rsa => {
                let (padding, pair) = rsa::key_pair(alg, bytes)?;
                SigningPair::Rsa(padding, pair)
            }
            AlgorithmFamily::Ec => SigningPair::Ecdsa(ecdsa::key_pair(alg, bytes)?),
            AlgorithmFamily::Ed => SigningPair::Ed25519(eddsa::key_pair(bytes)?),
        };
        Ok(SigningKey { alg, pair, rng: SystemRandom::new() })
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The public half, in the form [`DecodingKey`] takes it (PKCS#1 DER for RSA, the
    /// uncompressed point for EC, the raw key for Ed25519): what a JWKS publishes. `None`
    /// for an HMAC secret, which has no public half.
    pub fn public_key(&self) -> Option<Vec<u8>> {
        use backend::signature::KeyPair;
        match &self.pair {
            SigningPair::Hmac(_) => None,
            SigningPair::Rsa(_, pair) => Some(pair.public_key().as_ref().to_vec()),
            SigningPair::Ecdsa(pair) => Some(pair.public_key().as_ref().to_vec()),
            SigningPair::Ed25519(pair) => Some(pair.public_key().as_ref().to_vec()),
        }
    }

    /// The signature of `msg`, in the form JWS carries it.
    pub fn sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, SignError> {
        match &self.pair {
            SigningPair::Hmac(key) => Ok(backend::hmac::sign(key, msg).as_ref().to_vec()),
            SigningPair::Rsa(padding, pair) => rsa::sign(*padding, pair, &self.rng, msg),
            SigningPair::Ecdsa(pair) => ecdsa::sign(pair, &self.rng, msg),
            SigningPair::Ed25519(pair) => Ok(pair.sign(msg).as_ref().to_vec()),
        }
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key itself.
        f.debug_struct("SigningKey").field("alg", &self.alg).finish_non_exhaustive()
    }
}

impl std::fmt::Debug for PreparedVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedVerifier").field("alg", &self.alg).finish_non_exhaustive()
    }
}

/// Bytes without their leading zeros (big-endian integers).
fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

#[cfg(test)]
mod tests;
