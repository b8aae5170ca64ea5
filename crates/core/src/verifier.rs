//! Signature verification: a key set plus an algorithm allow-list, fixed at config time.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::alg::{Algorithm, AlgorithmSet, KeyFamily};
use crate::crypto_provider::RingVerifier;
use crate::keys::{kid_matches, VerifyKey};
use crate::reject::Rejection;
use crate::token::claims::Claims;
use crate::token::{b64, jws};

/// A token whose signature verified: its algorithm and typed claims (with the header's `kid`
/// and `typ`, and the token itself). Cloning shares the claims: no copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    /// The algorithm that verified it.
    pub alg: Algorithm,
    /// The registered claims, `kid` and `typ`.
    pub claims: Claims,
}

/// Why a verifier cannot be built from a configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifierError {
    /// No key was configured.
    #[error("no key configured")]
    NoKeys,
    /// The allow-list and the keys have no algorithm in common.
    #[error("no configured key can verify any of the allowed algorithms ({0})")]
    NothingVerifiable(AlgorithmSet),
    /// An allowed HMAC algorithm needs a longer secret than any configured one.
    #[error("no configured HMAC secret is long enough for {0} (at least {1} bytes required)")]
    SecretTooShortFor(&'static str, usize),
    /// ring refused a key.
    #[error("a key cannot be used for {0}: {1}")]
    UnusableKey(&'static str, String),
}

/// One configured key made ready, at config time, for one algorithm it may verify.
struct PreparedKey {
    kid: Option<Box<str>>,
    alg: Algorithm,
    verifier: RingVerifier,
}

impl std::fmt::Debug for PreparedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedKey").field("kid", &self.kid).field("alg", &self.alg).finish()
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A process-unique identity for a cache key (verifiers and guards draw from one sequence).
pub(crate) fn unique_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// Verifies compact JWS tokens against a fixed key set and allow-list.
#[derive(Debug)]
pub struct Verifier {
    id: u64,
    keys: Vec<PreparedKey>,
    algorithms: AlgorithmSet,
}

impl Verifier {
    /// Builds a verifier. `allowed: None` allows every algorithm the keys can verify.
    pub fn new(keys: Vec<VerifyKey>, allowed: Option<AlgorithmSet>) -> Result<Self, VerifierError> {
        crate::crypto_provider::install_ring_provider();
        if keys.is_empty() {
            return Err(VerifierError::NoKeys);
        }
        let verifiable: AlgorithmSet = keys.iter().flat_map(|k| k.algorithms().iter()).collect();
        let algorithms = match allowed {
            None => verifiable,
            Some(allowed) => {
                let has_hmac = keys.iter().any(|k| k.family == KeyFamily::Hmac);
                if let Some(alg) = allowed.iter().find(|alg| {
                    has_hmac && alg.family() == KeyFamily::Hmac && !verifiable.contains(*alg)
                }) {
                    return Err(VerifierError::SecretTooShortFor(alg.name(), alg.min_secret_len()));
                }
                allowed.intersection(verifiable)
            }
        };
        if algorithms.is_empty() {
            return Err(VerifierError::NothingVerifiable(allowed.unwrap_or_default()));
        }
        let mut prepared = Vec::new();
        for key in &keys {
            for alg in key.algorithms().intersection(algorithms).iter() {
                let verifier = RingVerifier::new(alg.to_jsonwebtoken(), &key.key)
                    .map_err(|e| VerifierError::UnusableKey(alg.name(), e.to_string()))?;
                prepared.push(PreparedKey { kid: key.kid.clone(), alg, verifier });
            }
        }
        Ok(Verifier { id: unique_id(), keys: prepared, algorithms })
    }

    /// A process-unique identity: tokens verified by one verifier are cached under it, so a
    /// token verified by one key set never satisfies a location with another.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The algorithms this verifier accepts.
    pub fn algorithms(&self) -> AlgorithmSet {
        self.algorithms
    }

    /// Verifies the signature, then decodes and types the claims. At most one signature check
    /// per configured key; claims are not even decoded unless the signature verifies.
    pub fn verify(&self, token: &[u8]) -> Result<VerifiedToken, Rejection> {
        let jws = jws::parse(token)?;
        let alg = jws.header.alg;
        if !self.algorithms.contains(alg) {
            return Err(Rejection::AlgorithmNotAllowed);
        }
        let kid = jws.header.kid.as_deref();
        // Each configured key appears at most once per algorithm: at most one check per key.
        let mut candidates = self
            .keys
            .iter()
            .filter(|key| key.alg == alg && kid_matches(key.kid.as_deref(), kid))
            .peekable();
        if candidates.peek().is_none() {
            return Err(Rejection::NoMatchingKey);
        }
        if !candidates.any(|key| key.verifier.verify_signature(jws.signing_input, &jws.signature)) {
            return Err(Rejection::BadSignature);
        }
        let payload = b64::decode(jws.payload_segment).ok_or(Rejection::Malformed)?;
        let header = &jws.header;
        let (kid, typ) = (header.kid.as_deref(), header.typ.as_deref());
        let claims = Claims::parse_for_token(&payload, kid, typ, token)?;
        Ok(VerifiedToken { alg, claims })
    }
}
