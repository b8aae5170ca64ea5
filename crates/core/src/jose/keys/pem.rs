//! PEM public keys and certificates.

use jsonwebtoken::DecodingKey;

use super::{KeyError, VerifyKey, MIN_RSA_BITS};
use crate::jose::alg::KeyFamily;
use crate::jose::der;

/// The label of the first PEM block, e.g. `PUBLIC KEY`.
fn label(text: &[u8]) -> Option<&[u8]> {
    let start = text.windows(11).position(|w| w == b"-----BEGIN ")? + 11;
    let len = text[start..].windows(5).position(|w| w == b"-----")?;
    Some(&text[start..start + len])
}

fn public_key(family: KeyFamily, key: DecodingKey) -> VerifyKey {
    VerifyKey { kid: None, family, pinned: None, secret_len: 0, key, issuer: None }
}

/// Parses one PEM public key (SPKI, PKCS#1 RSA, or a certificate's key).
pub fn parse(text: &[u8]) -> Result<VerifyKey, KeyError> {
    let label = label(text).ok_or(KeyError::BadPem("no PEM block"))?;
    if label.windows(7).any(|w| w == b"PRIVATE") {
        return Err(KeyError::PrivateKey);
    }
    if !matches!(label, b"PUBLIC KEY" | b"RSA PUBLIC KEY" | b"CERTIFICATE") {
        return Err(KeyError::BadPem("expected PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE"));
    }
    if let Ok(key) = DecodingKey::from_rsa_pem(text) {
        let der = key.try_get_as_bytes().map_err(|_| KeyError::BadPem("RSA key"))?;
        let bits = der::rsa_modulus_bits(der).ok_or(KeyError::BadPem("malformed RSA key"))?;
        if bits < MIN_RSA_BITS {
            return Err(KeyError::WeakRsa(bits));
        }
        return Ok(public_key(KeyFamily::Rsa, key));
    }
    if let Ok(key) = DecodingKey::from_ec_pem(text) {
        let point = key.try_get_as_bytes().map_err(|_| KeyError::BadPem("EC key"))?;
        let family = match (point.first(), point.len()) {
            (Some(4), 65) => KeyFamily::EcP256,
            (Some(4), 97) => KeyFamily::EcP384,
            _ => return Err(KeyError::Unsupported("EC key not on P-256 or P-384".into())),
        };
        return Ok(public_key(family, key));
    }
    if let Ok(key) = DecodingKey::from_ed_pem(text) {
        if key.try_get_as_bytes().map(<[u8]>::len).ok() != Some(32) {
            return Err(KeyError::Unsupported("OKP key that is not Ed25519".into()));
        }
        return Ok(public_key(KeyFamily::Ed25519, key));
    }
    Err(KeyError::BadPem("unsupported key type"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const P256: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEVs/o5+uQbTjL3chynL4wXgUg2R9
q9UU8I5mEovUf86QZ7kOBIjJwqnzD1omageEHWwHdBO6B+dFabmdT9POxg==
-----END PUBLIC KEY-----
";

    #[test]
    fn reads_an_ec_key() {
        let key = parse(P256.as_bytes()).unwrap();
        assert_eq!(key.family, KeyFamily::EcP256);
    }

    #[test]
    fn refuses_private_and_junk() {
        let private = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        assert!(matches!(parse(private.as_bytes()), Err(KeyError::PrivateKey)));
        let ec_private = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n";
        assert!(matches!(parse(ec_private.as_bytes()), Err(KeyError::PrivateKey)));
        assert!(matches!(parse(b"-----BEGIN PUBLIC KEY-----\n!!\n"), Err(KeyError::BadPem(_))));
        assert!(parse(b"hello").is_err());
    }
}
