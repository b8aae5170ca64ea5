//! Verification keys: loading them from files at config time, and choosing candidates for a
//! token at request time.

mod jwks;
mod pem;

use jsonwebtoken::DecodingKey;

use crate::alg::{Algorithm, AlgorithmSet, KeyFamily};

/// Weakest RSA modulus accepted (RFC 7518 §3.3).
pub const MIN_RSA_BITS: usize = 2048;
/// Shortest HMAC secret accepted: the HS256 output size (RFC 7518 §3.2).
pub const MIN_SECRET_LEN: usize = 32;

/// How a key file is to be read; `None` at load time means "detect JWKS or PEM".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyFormat {
    /// A JSON Web Key Set (`{"keys":[...]}`).
    Jwks,
    /// A PEM public key or certificate.
    Pem,
    /// A raw HMAC secret: the file's bytes, exactly.
    Secret,
}

impl std::str::FromStr for KeyFormat {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "jwks" => Ok(KeyFormat::Jwks),
            "pem" => Ok(KeyFormat::Pem),
            "secret" => Ok(KeyFormat::Secret),
            other => Err(KeyError::UnknownFormatWord(other.to_string())),
        }
    }
}

/// Why a key file cannot be used. Messages never quote key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The format word after the file name is not one of ours.
    #[error("unknown key format \"{0}\" (expected \"jwks\", \"pem\" or \"secret\")")]
    UnknownFormatWord(String),
    /// Neither JWKS nor PEM, and no explicit `secret`: secrets are never guessed.
    #[error("not a JWKS or PEM public key; add the \"secret\" parameter if the file holds an HMAC secret")]
    UnknownContent,
    /// A private key where a public key belongs.
    #[error("holds a private key; configure the public key instead")]
    PrivateKey,
    /// A PEM block that is not a supported public key.
    #[error("not a supported PEM public key or certificate ({0})")]
    BadPem(&'static str),
    /// A JWKS that cannot be used.
    #[error("invalid JWKS: {0}")]
    BadJwks(String),
    /// An RSA key under [`MIN_RSA_BITS`].
    #[error("RSA key of {0} bits is too weak (at least {MIN_RSA_BITS} bits required)")]
    WeakRsa(usize),
    /// An HMAC secret under [`MIN_SECRET_LEN`].
    #[error("HMAC secret of {0} bytes is too short (at least {MIN_SECRET_LEN} bytes required)")]
    ShortSecret(usize),
    /// An elliptic curve other than P-256, P-384 or Ed25519.
    #[error("unsupported key: {0}")]
    Unsupported(String),
}

/// One key that can verify signatures.
#[derive(Clone, Debug)]
pub struct VerifyKey {
    /// `kid` from a JWKS; PEM and secret keys have none and match any token `kid`.
    pub kid: Option<Box<str>>,
    /// What kind of key this is.
    pub family: KeyFamily,
    /// The JWK `alg`, which pins the key to one algorithm.
    pub pinned: Option<Algorithm>,
    /// HMAC secret length in bytes (0 for public keys).
    pub secret_len: usize,
    /// The key in jsonwebtoken's form, decoded once at config time.
    pub key: DecodingKey,
}

impl VerifyKey {
    /// Whether this key may verify a token signed with `alg`.
    pub fn can_verify(&self, alg: Algorithm) -> bool {
        alg.family() == self.family
            && self.pinned.is_none_or(|pinned| pinned == alg)
            && (self.family != KeyFamily::Hmac || self.secret_len >= alg.min_secret_len())
    }

    /// Whether this key is a candidate for a token with this `kid`.
    pub fn matches_kid(&self, kid: Option<&str>) -> bool {
        kid_matches(self.kid.as_deref(), kid)
    }

    /// Every algorithm this key may verify.
    pub fn algorithms(&self) -> AlgorithmSet {
        Algorithm::ALL.into_iter().filter(|alg| self.can_verify(*alg)).collect()
    }
}

/// Whether a key with id `key_kid` may verify a token with id `token_kid`: a key without a
/// `kid` (PEM, secret) matches any token, a token without one matches any key.
pub fn kid_matches(key_kid: Option<&str>, token_kid: Option<&str>) -> bool {
    match (key_kid, token_kid) {
        (Some(mine), Some(theirs)) => mine == theirs,
        _ => true,
    }
}

/// What one key file yielded.
#[derive(Debug)]
pub struct LoadedKeys {
    /// The usable keys, at least one.
    pub keys: Vec<VerifyKey>,
    /// Keys that were skipped, and why (e.g. `"use":"enc"`), for a config-time warning.
    pub skipped: Vec<String>,
    /// Whether the file holds secret material (an HMAC secret), so its permissions matter.
    pub holds_secret: bool,
}

fn hmac_key(
    secret: &[u8],
    kid: Option<Box<str>>,
    pinned: Option<Algorithm>,
) -> Result<VerifyKey, KeyError> {
    if secret.len() < MIN_SECRET_LEN {
        return Err(KeyError::ShortSecret(secret.len()));
    }
    Ok(VerifyKey {
        kid,
        family: KeyFamily::Hmac,
        pinned,
        secret_len: secret.len(),
        key: DecodingKey::from_secret(secret),
    })
}

/// Parses a key file's contents.
pub fn parse_key_file(bytes: &[u8], format: Option<KeyFormat>) -> Result<LoadedKeys, KeyError> {
    let format = match format {
        Some(format) => format,
        None => detect_format(bytes).ok_or(KeyError::UnknownContent)?,
    };
    match format {
        KeyFormat::Secret => Ok(LoadedKeys {
            keys: vec![hmac_key(bytes, None, None)?],
            skipped: Vec::new(),
            holds_secret: true,
        }),
        KeyFormat::Pem => Ok(LoadedKeys {
            keys: vec![pem::parse(bytes)?],
            skipped: Vec::new(),
            holds_secret: false,
        }),
        KeyFormat::Jwks => jwks::parse(bytes),
    }
}

/// JWKS is a JSON object with `keys`; PEM starts with `-----BEGIN`; nothing else is guessed.
fn detect_format(bytes: &[u8]) -> Option<KeyFormat> {
    let text = bytes.trim_ascii_start();
    if text.starts_with(b"-----BEGIN") {
        return Some(KeyFormat::Pem);
    }
    if text.starts_with(b"{") {
        let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
        return value.get("keys").is_some().then_some(KeyFormat::Jwks);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_never_guessed() {
        let secret = [b'k'; 64];
        assert!(matches!(parse_key_file(&secret, None), Err(KeyError::UnknownContent)));
        assert!(matches!(parse_key_file(b"{\"a\":1}", None), Err(KeyError::UnknownContent)));
        let loaded = parse_key_file(&secret, Some(KeyFormat::Secret)).unwrap();
        assert!(loaded.holds_secret);
        assert_eq!(loaded.keys[0].algorithms().to_string(), "HS256 HS384 HS512");
    }

    #[test]
    fn short_secrets_are_refused_and_limit_algorithms() {
        assert!(matches!(
            parse_key_file(&[1u8; 16], Some(KeyFormat::Secret)),
            Err(KeyError::ShortSecret(16))
        ));
        let loaded = parse_key_file(&[1u8; 40], Some(KeyFormat::Secret)).unwrap();
        assert_eq!(loaded.keys[0].algorithms().to_string(), "HS256");
    }

    #[test]
    fn format_words() {
        assert_eq!("jwks".parse::<KeyFormat>().unwrap(), KeyFormat::Jwks);
        assert!("JWKS".parse::<KeyFormat>().is_err());
    }

    #[test]
    fn kid_matching() {
        let mut key = parse_key_file(&[1u8; 32], Some(KeyFormat::Secret)).unwrap().keys.remove(0);
        assert!(key.matches_kid(Some("x")) && key.matches_kid(None));
        key.kid = Some("a".into());
        assert!(key.matches_kid(Some("a")) && !key.matches_kid(Some("b")) && key.matches_kid(None));
    }
}
