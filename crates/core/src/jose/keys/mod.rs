//! Verification keys: loading them from files at config time, and choosing candidates for a
//! token at request time.

pub mod jwks;
mod pem;
pub mod private;
mod shape;

use jsonwebtoken::DecodingKey;

use crate::jose::alg::{Algorithm, AlgorithmSet, KeyFamily};
pub use shape::{shape, Shape};

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
    /// A key format we recognise but do not read; the message says how to convert it.
    #[error("{} is not supported; convert it to PEM ({})", .0.describe(), convert_hint(*.0))]
    Convert(Shape),
    /// JSON that is neither a JWK Set nor a single JWK.
    #[error("JSON that is neither a JWK Set (\"keys\") nor a JWK (\"kty\")")]
    NotJwk,
    /// Key material given as an HMAC secret: its bytes may be public, so anyone could sign.
    #[error(
        "the file is {}, not an HMAC secret, and must not be used as one; {}",
        .0.describe(),
        secret_hint(*.0)
    )]
    KeyAsSecret(Shape),
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
    /// The one issuer whose tokens it may verify (this server's own keys are bound to this
    /// server's issuer); `None`: any issuer the location accepts.
    pub issuer: Option<std::sync::Arc<str>>,
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

fn convert_hint(shape: Shape) -> &'static str {
    match shape {
        Shape::Ssh => "ssh-keygen -e -m PKCS8 -f FILE",
        _ => "openssl pkey -pubin -inform DER, or openssl x509 -inform DER for a certificate",
    }
}

fn secret_hint(shape: Shape) -> &'static str {
    match shape {
        Shape::Pem | Shape::JwkSet | Shape::Jwk => "remove the \"secret\" parameter",
        Shape::Ssh | Shape::Der => "remove the \"secret\" parameter and convert the file to PEM",
        Shape::OtherJson | Shape::Opaque => "configure the issuer's HMAC secret or public key",
    }
}

/// What one key file yielded.
#[derive(Debug)]
pub struct LoadedKeys {
    /// The usable keys, at least one.
    pub keys: Vec<VerifyKey>,
    /// Keys that were skipped, and why (e.g. `"use":"enc"`), for a config-time warning.
    pub skipped: Vec<String>,
    /// Other config-time warnings about the file (never quoting key material).
    pub warnings: Vec<String>,
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
        issuer: None,
    })
}

/// Parses a key file's contents. A leading UTF-8 byte order mark is ignored in PEM and JSON;
/// a secret is the file's bytes exactly, and is refused if the file looks like a key.
pub fn parse_key_file(bytes: &[u8], format: Option<KeyFormat>) -> Result<LoadedKeys, KeyError> {
    let format = match format {
        Some(format) => format,
        None => detect_format(shape(bytes))?,
    };
    let text = shape::strip_bom(bytes);
    match format {
        KeyFormat::Secret => parse_secret(bytes),
        KeyFormat::Pem => Ok(LoadedKeys {
            keys: vec![pem::parse(text)?],
            skipped: Vec::new(),
            warnings: Vec::new(),
            holds_secret: false,
        }),
        KeyFormat::Jwks => jwks::parse(text),
    }
}

/// A raw HMAC secret: only opaque bytes qualify (see [`shape`]).
fn parse_secret(bytes: &[u8]) -> Result<LoadedKeys, KeyError> {
    match shape(bytes) {
        Shape::Opaque => {}
        other => return Err(KeyError::KeyAsSecret(other)),
    }
    let mut warnings = Vec::new();
    if bytes.ends_with(b"\n") {
        warnings.push(
            "the secret ends with a line break, which is part of the secret (the file's bytes \
             are used exactly); write the file without it unless the issuer signs with it"
                .to_string(),
        );
    }
    Ok(LoadedKeys {
        keys: vec![hmac_key(bytes, None, None)?],
        skipped: Vec::new(),
        warnings,
        holds_secret: true,
    })
}

/// PEM and JWK(S) are read; other key encodings get a conversion hint; opaque bytes are
/// never guessed to be a secret.
fn detect_format(shape: Shape) -> Result<KeyFormat, KeyError> {
    match shape {
        Shape::Pem => Ok(KeyFormat::Pem),
        Shape::JwkSet | Shape::Jwk => Ok(KeyFormat::Jwks),
        Shape::OtherJson => Err(KeyError::NotJwk),
        Shape::Ssh | Shape::Der => Err(KeyError::Convert(shape)),
        Shape::Opaque => Err(KeyError::UnknownContent),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_never_guessed() {
        let secret = [b'k'; 64];
        assert!(matches!(parse_key_file(&secret, None), Err(KeyError::UnknownContent)));
        assert!(matches!(parse_key_file(b"{\"a\":1}", None), Err(KeyError::NotJwk)));
        let loaded = parse_key_file(&secret, Some(KeyFormat::Secret)).unwrap();
        assert!(loaded.holds_secret);
        assert_eq!(loaded.keys[0].algorithms().to_string(), "HS256 HS384 HS512");
    }

    const P256_PEM: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEVs/o5+uQbTjL3chynL4wXgUg2R9
q9UU8I5mEovUf86QZ7kOBIjJwqnzD1omageEHWwHdBO6B+dFabmdT9POxg==
-----END PUBLIC KEY-----
";

    fn p256_jwk() -> String {
        let coord = crate::jose::b64::encode(&[7u8; 32]);
        format!(r#"{{"kty":"EC","crv":"P-256","x":"{coord}","y":"{coord}","kid":"e1"}}"#)
    }

    #[test]
    fn key_files_are_never_accepted_as_secrets() {
        let jwk = p256_jwk();
        let set = format!(r#"{{"keys":[{jwk}]}}"#);
        let bom_set = format!("\u{feff}{set}");
        let body: String = P256_PEM.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, body).unwrap();
        let ssh = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDx4 user@host\n";
        let files: [&[u8]; 6] = [
            P256_PEM.as_bytes(),
            set.as_bytes(),
            jwk.as_bytes(),
            bom_set.as_bytes(),
            &der,
            ssh.as_bytes(),
        ];
        for file in files {
            let error = parse_key_file(file, Some(KeyFormat::Secret)).unwrap_err();
            assert!(matches!(error, KeyError::KeyAsSecret(_)), "{error}");
            // Whatever the file, no message ever suggests "secret" for it.
            let detected = parse_key_file(file, None).err().map(|e| e.to_string());
            for message in [Some(error.to_string()), detected].into_iter().flatten() {
                assert!(!message.contains("add the \"secret\""), "{message}");
            }
        }
        assert_eq!(
            parse_key_file(P256_PEM.as_bytes(), Some(KeyFormat::Secret)).unwrap_err().to_string(),
            "the file is a PEM key or certificate, not an HMAC secret, and must not be used as \
             one; remove the \"secret\" parameter"
        );
        assert!(matches!(parse_key_file(&der, None), Err(KeyError::Convert(Shape::Der))));
    }

    #[test]
    fn a_single_jwk_and_a_byte_order_mark_load() {
        let jwk = p256_jwk();
        for file in [jwk.clone(), format!("\u{feff}{{\"keys\":[{jwk}]}}"), format!("\u{feff}{jwk}")]
        {
            for format in [None, Some(KeyFormat::Jwks)] {
                let loaded = parse_key_file(file.as_bytes(), format).unwrap();
                assert_eq!(loaded.keys[0].kid.as_deref(), Some("e1"));
            }
        }
        let bom_pem = format!("\u{feff}{P256_PEM}");
        assert_eq!(
            parse_key_file(bom_pem.as_bytes(), None).unwrap().keys[0].family,
            KeyFamily::EcP256
        );
    }

    #[test]
    fn a_secret_ending_in_a_line_break_loads_with_a_warning() {
        let mut secret = [b'k'; 65];
        secret[64] = b'\n';
        let loaded = parse_key_file(&secret, Some(KeyFormat::Secret)).unwrap();
        assert_eq!(loaded.keys[0].secret_len, 65, "the line break is part of the secret");
        assert_eq!(loaded.warnings.len(), 1);
        assert!(parse_key_file(&secret[..64], Some(KeyFormat::Secret))
            .unwrap()
            .warnings
            .is_empty());
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
