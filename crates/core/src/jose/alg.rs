//! The JWS algorithms CredentialFlow verifies, and allow-lists of them.

use std::fmt;
use std::str::FromStr;

use jsonwebtoken::Algorithm as JwtAlgorithm;

/// The kind of key an algorithm needs; a token's `alg` must match its key's family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyFamily {
    /// A shared HMAC secret.
    Hmac,
    /// An RSA public key.
    Rsa,
    /// An EC public key on NIST P-256.
    EcP256,
    /// An EC public key on NIST P-384.
    EcP384,
    /// An Ed25519 public key.
    Ed25519,
}

/// One supported JWS algorithm (RFC 7518 names; `none` is deliberately absent).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(clippy::upper_case_acronyms)]
pub enum Algorithm {
    HS256,
    HS384,
    HS512,
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    EdDSA,
}

impl Algorithm {
    /// Every supported algorithm, in a stable order.
    pub const ALL: [Algorithm; 12] = [
        Algorithm::HS256,
        Algorithm::HS384,
        Algorithm::HS512,
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
    ];

    /// The registered name, as it appears in a JOSE header.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::HS256 => "HS256",
            Algorithm::HS384 => "HS384",
            Algorithm::HS512 => "HS512",
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::EdDSA => "EdDSA",
        }
    }

    /// Exact, case-sensitive lookup of a header `alg` value (RFC 7518 §3.1).
    pub fn from_name(name: &[u8]) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|alg| alg.name().as_bytes() == name)
    }

    /// The key family that can verify this algorithm.
    pub fn family(self) -> KeyFamily {
        match self {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => KeyFamily::Hmac,
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => KeyFamily::Rsa,
            Algorithm::ES256 => KeyFamily::EcP256,
            Algorithm::ES384 => KeyFamily::EcP384,
            Algorithm::EdDSA => KeyFamily::Ed25519,
        }
    }

    /// Minimum HMAC secret length in bytes: the hash output size (RFC 7518 §3.2).
    pub fn min_secret_len(self) -> usize {
        match self {
            Algorithm::HS384 => 48,
            Algorithm::HS512 => 64,
            _ => 32,
        }
    }

    /// The same algorithm in jsonwebtoken's vocabulary.
    pub fn to_jsonwebtoken(self) -> JwtAlgorithm {
        match self {
            Algorithm::HS256 => JwtAlgorithm::HS256,
            Algorithm::HS384 => JwtAlgorithm::HS384,
            Algorithm::HS512 => JwtAlgorithm::HS512,
            Algorithm::RS256 => JwtAlgorithm::RS256,
            Algorithm::RS384 => JwtAlgorithm::RS384,
            Algorithm::RS512 => JwtAlgorithm::RS512,
            Algorithm::PS256 => JwtAlgorithm::PS256,
            Algorithm::PS384 => JwtAlgorithm::PS384,
            Algorithm::PS512 => JwtAlgorithm::PS512,
            Algorithm::ES256 => JwtAlgorithm::ES256,
            Algorithm::ES384 => JwtAlgorithm::ES384,
            Algorithm::EdDSA => JwtAlgorithm::EdDSA,
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An algorithm name that CredentialFlow does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown algorithm \"{0}\" (expected one of HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 EdDSA)")]
pub struct UnknownAlgorithm(pub String);

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Algorithm::from_name(s.as_bytes()).ok_or_else(|| UnknownAlgorithm(s.to_string()))
    }
}

/// A set of algorithms, as a bit mask: cheap to copy, compare and hash.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AlgorithmSet(u16);

impl AlgorithmSet {
    /// The empty set.
    pub const EMPTY: AlgorithmSet = AlgorithmSet(0);

    /// Adds one algorithm.
    pub fn insert(&mut self, alg: Algorithm) {
        self.0 |= alg.bit();
    }

    /// Whether the set holds `alg`.
    pub fn contains(self, alg: Algorithm) -> bool {
        self.0 & alg.bit() != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The algorithms in both sets.
    pub fn intersection(self, other: AlgorithmSet) -> AlgorithmSet {
        AlgorithmSet(self.0 & other.0)
    }

    /// The set as a 16-bit mask (stable across processes; used in cache identities).
    pub fn bits(self) -> u16 {
        self.0
    }

    /// The algorithms in the set, in `Algorithm::ALL` order.
    pub fn iter(self) -> impl Iterator<Item = Algorithm> {
        Algorithm::ALL.into_iter().filter(move |alg| self.contains(*alg))
    }
}

impl FromIterator<Algorithm> for AlgorithmSet {
    fn from_iter<I: IntoIterator<Item = Algorithm>>(iter: I) -> Self {
        let mut set = AlgorithmSet::EMPTY;
        for alg in iter {
            set.insert(alg);
        }
        set
    }
}

impl fmt::Display for AlgorithmSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Algorithm::name).collect();
        f.write_str(&names.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_exact_and_case_sensitive() {
        for alg in Algorithm::ALL {
            assert_eq!(Algorithm::from_name(alg.name().as_bytes()), Some(alg));
        }
        for bad in ["none", "None", "hs256", "RS256 ", "ES256\0", "Ed25519", "ES256K", ""] {
            assert_eq!(Algorithm::from_name(bad.as_bytes()), None, "{bad:?}");
        }
        assert!("rs256".parse::<Algorithm>().unwrap_err().to_string().contains("\"rs256\""));
    }

    #[test]
    fn families_pin_curves() {
        assert_eq!(Algorithm::ES256.family(), KeyFamily::EcP256);
        assert_eq!(Algorithm::ES384.family(), KeyFamily::EcP384);
        assert_eq!(Algorithm::PS512.family(), KeyFamily::Rsa);
        assert_eq!(Algorithm::HS384.min_secret_len(), 48);
    }

    #[test]
    fn set_operations() {
        let set: AlgorithmSet = [Algorithm::RS256, Algorithm::EdDSA].into_iter().collect();
        assert!(set.contains(Algorithm::RS256) && !set.contains(Algorithm::PS256));
        assert_eq!(set.to_string(), "RS256 EdDSA");
        assert!(set.intersection(AlgorithmSet::EMPTY).is_empty());
    }
}
