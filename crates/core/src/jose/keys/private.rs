//! Private keys from PEM files: the one loader everything that signs uses (the issuer's
//! `credentialflow_oauth_signing_key`, the CLI's `mint`). It reads PKCS#8 (`PRIVATE KEY`),
//! PKCS#1 RSA (`RSA PRIVATE KEY`) and SEC1 EC (`EC PRIVATE KEY`, wrapped in PKCS#8, which is
//! all the backends read), says what kind of key it found, and refuses public keys,
//! certificates and encrypted keys with a message that says what to do. What may be done
//! with the key (which algorithm, what size) is the caller's policy.

use jsonwebtoken::EncodingKey;

use crate::jose::der::{self, KeyKind};

/// A private key, ready to be prepared for signing.
pub struct PrivateKey {
    /// What it is.
    pub kind: KeyKind,
    /// The key as jsonwebtoken holds it.
    pub key: EncodingKey,
    /// An RSA key's modulus size in bits (`None` for other keys).
    pub rsa_bits: Option<usize>,
}

/// Why a PEM file holds no usable private key. Messages never quote key material.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PrivateKeyError {
    /// Not PEM at all.
    #[error("not a PEM file")]
    NotPem,
    /// Only public keys or certificates.
    #[error("holds a public key or certificate; signing needs the private key")]
    PublicKey,
    /// PEM blocks, none of them a key.
    #[error("holds no private key (found: {0})")]
    NoPrivateKey(String),
    /// An encrypted PKCS#8 key.
    #[error("the private key is encrypted; decrypt it first (openssl pkcs8 -in KEY -out PLAIN)")]
    Encrypted,
    /// A block that does not parse.
    #[error("malformed {0}")]
    Malformed(&'static str),
    /// A SEC1 key that names no curve, and no curve to assume.
    #[error("an \"EC PRIVATE KEY\" that names no curve; name one with alg=ES256 or alg=ES384")]
    NoCurve,
    /// A key of a type nothing here signs with.
    #[error("holds {}, which cannot sign", .0.describe())]
    Unsupported(KeyKind),
}

/// The private key of a PEM file (blocks before it, such as the `EC PARAMETERS` block
/// `openssl ecparam -genkey` writes first, are skipped). `curve` is the curve a SEC1 key that
/// names none is taken to be on (the backend checks the key's public point against the
/// private scalar, so a wrong guess fails).
pub fn parse_private_pem(
    bytes: &[u8],
    curve: Option<KeyKind>,
) -> Result<PrivateKey, PrivateKeyError> {
    let blocks = pem::parse_many(bytes).map_err(|_| PrivateKeyError::NotPem)?;
    let tags: Vec<&str> = blocks.iter().map(pem::Pem::tag).collect();
    let is_key = |tag: &&str| tag.ends_with("PRIVATE KEY") && *tag != "ENCRYPTED PRIVATE KEY";
    let Some(block) = blocks.iter().find(|b| is_key(&b.tag())) else {
        return Err(match tags.as_slice() {
            [] => PrivateKeyError::NotPem,
            _ if tags.contains(&"ENCRYPTED PRIVATE KEY") => PrivateKeyError::Encrypted,
            _ if tags
                .iter()
                .all(|t| matches!(*t, "PUBLIC KEY" | "RSA PUBLIC KEY" | "CERTIFICATE")) =>
            {
                PrivateKeyError::PublicKey
            }
            _ => PrivateKeyError::NoPrivateKey(tags.join(", ")),
        });
    };
    let contents = block.contents();
    let (kind, key) = match block.tag() {
        "PRIVATE KEY" => {
            let kind =
                der::pkcs8_key_kind(contents).ok_or(PrivateKeyError::Malformed("PKCS#8 key"))?;
            let key = match kind {
                KeyKind::Rsa => EncodingKey::from_rsa_der(contents),
                KeyKind::P256 | KeyKind::P384 => EncodingKey::from_ec_der(contents),
                KeyKind::Ed25519 => EncodingKey::from_ed_der(contents),
                other => return Err(PrivateKeyError::Unsupported(other)),
            };
            (kind, key)
        }
        "RSA PRIVATE KEY" => (KeyKind::Rsa, EncodingKey::from_rsa_der(contents)),
        "EC PRIVATE KEY" => {
            let kind = match der::sec1_curve(contents) {
                None => return Err(PrivateKeyError::Malformed("EC PRIVATE KEY")),
                Some(Some(named @ (KeyKind::P256 | KeyKind::P384))) => named,
                Some(Some(other)) => return Err(PrivateKeyError::Unsupported(other)),
                Some(None) => curve.ok_or(PrivateKeyError::NoCurve)?,
            };
            let oid = if kind == KeyKind::P384 { der::OID_P384 } else { der::OID_P256 };
            (
                kind,
                EncodingKey::from_ec_der(&der::pkcs8(der::OID_EC_PUBLIC_KEY, Some(oid), contents)),
            )
        }
        _ => return Err(PrivateKeyError::Unsupported(KeyKind::Other)),
    };
    let rsa_bits = match kind {
        KeyKind::Rsa => Some(
            der::rsa_private_modulus_bits(contents).ok_or(PrivateKeyError::Malformed("RSA key"))?,
        ),
        _ => None,
    };
    Ok(PrivateKey { kind, key, rsa_bits })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::der::{sequence, tlv, TAG_INTEGER, TAG_OCTET_STRING, TAG_OID};

    fn pem_text(tag: &str, der: &[u8]) -> String {
        pem::encode(&pem::Pem::new(tag, der.to_vec()))
    }

    fn error(text: &str) -> PrivateKeyError {
        parse_private_pem(text.as_bytes(), None).err().expect("refused")
    }

    #[test]
    fn refusals_say_what_was_found() {
        assert_eq!(error("no pem here"), PrivateKeyError::NotPem);
        assert_eq!(error(&pem_text("PUBLIC KEY", &[1])), PrivateKeyError::PublicKey);
        assert_eq!(error(&pem_text("CERTIFICATE", &[1])), PrivateKeyError::PublicKey);
        assert_eq!(error(&pem_text("ENCRYPTED PRIVATE KEY", &[1])), PrivateKeyError::Encrypted);
        assert_eq!(
            error(&pem_text("EC PARAMETERS", &[1])),
            PrivateKeyError::NoPrivateKey("EC PARAMETERS".into())
        );
        assert_eq!(error(&pem_text("PRIVATE KEY", &[1])), PrivateKeyError::Malformed("PKCS#8 key"));
        let ed448 = der::pkcs8(&[0x2b, 0x65, 0x71], None, &[]);
        assert_eq!(
            error(&pem_text("PRIVATE KEY", &ed448)),
            PrivateKeyError::Unsupported(KeyKind::Other)
        );
    }

    #[test]
    fn a_sec1_key_without_a_curve_needs_one_named() {
        let sec1 = sequence(&[&tlv(TAG_INTEGER, &[1]), &tlv(TAG_OCTET_STRING, &[1; 32])]);
        assert_eq!(error(&pem_text("EC PRIVATE KEY", &sec1)), PrivateKeyError::NoCurve);
        let parsed =
            parse_private_pem(pem_text("EC PRIVATE KEY", &sec1).as_bytes(), Some(KeyKind::P384));
        assert_eq!(parsed.ok().map(|k| k.kind), Some(KeyKind::P384));
        let k1 = [0x2b, 0x81, 0x04, 0x00, 0x0a];
        let named = sequence(&[
            &tlv(TAG_INTEGER, &[1]),
            &tlv(TAG_OCTET_STRING, &[1; 32]),
            &tlv(der::CONTEXT_0, &tlv(TAG_OID, &k1)),
        ]);
        assert_eq!(
            error(&pem_text("EC PRIVATE KEY", &named)),
            PrivateKeyError::Unsupported(KeyKind::OtherCurve)
        );
    }
}
