//! The little DER the CLI needs: writing SPKI/PKCS#8 wrappers for ring's keys, and reading
//! just enough of a private key to tell what kind it is.

pub use credentialflow_core::jose::der::{
    DerReader as Reader, TAG_BIT_STRING as BIT_STRING, TAG_INTEGER as INTEGER,
    TAG_OCTET_STRING as OCTET_STRING, TAG_OID as OID, TAG_SEQUENCE as SEQUENCE,
};

/// SEC1 `ECPrivateKey`'s `[0] parameters`.
pub const CONTEXT_0: u8 = 0xa0;

/// OID content octets of rsaEncryption (1.2.840.113549.1.1.1).
pub const OID_RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// OID content octets of id-ecPublicKey (1.2.840.10045.2.1).
pub const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// OID content octets of prime256v1 / P-256 (1.2.840.10045.3.1.7).
pub const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// OID content octets of secp384r1 / P-384 (1.3.132.0.34).
pub const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
/// OID content octets of id-Ed25519 (1.3.101.112).
pub const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

/// Encodes one element with a definite, minimal length.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// A SEQUENCE of already-encoded elements.
pub fn sequence(elements: &[&[u8]]) -> Vec<u8> {
    tlv(SEQUENCE, &elements.concat())
}

/// `SubjectPublicKeyInfo`: the "BEGIN PUBLIC KEY" structure.
pub fn spki(algorithm_oid: &[u8], curve_oid: Option<&[u8]>, public_key: &[u8]) -> Vec<u8> {
    let algorithm = algorithm_identifier(algorithm_oid, curve_oid);
    let bits = tlv(BIT_STRING, &[&[0u8][..], public_key].concat());
    sequence(&[&algorithm, &bits])
}

/// A PKCS#8 v1 `PrivateKeyInfo` around an algorithm-specific private key.
pub fn pkcs8(algorithm_oid: &[u8], curve_oid: Option<&[u8]>, private_key: &[u8]) -> Vec<u8> {
    let version = tlv(INTEGER, &[0]);
    let algorithm = algorithm_identifier(algorithm_oid, curve_oid);
    sequence(&[&version, &algorithm, &tlv(OCTET_STRING, private_key)])
}

fn algorithm_identifier(algorithm_oid: &[u8], curve_oid: Option<&[u8]>) -> Vec<u8> {
    let oid = tlv(OID, algorithm_oid);
    match curve_oid {
        Some(curve) => sequence(&[&oid, &tlv(OID, curve)]),
        None => sequence(&[&oid]),
    }
}

/// What a PKCS#8 `PrivateKeyInfo` says it holds.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum KeyKind {
    /// An RSA key.
    Rsa,
    /// An EC key on P-256.
    P256,
    /// An EC key on P-384.
    P384,
    /// An EC key on a curve JWS has no algorithm for here.
    OtherCurve,
    /// An Ed25519 key.
    Ed25519,
    /// Something else (DSA, X25519, Ed448, ...).
    Other,
}

impl KeyKind {
    /// A name for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Rsa => "an RSA key",
            Self::P256 => "an EC P-256 key",
            Self::P384 => "an EC P-384 key",
            Self::OtherCurve => "an EC key on an unsupported curve",
            Self::Ed25519 => "an Ed25519 key",
            Self::Other => "a key of an unsupported type",
        }
    }
}

/// The kind of key in a PKCS#8 `PrivateKeyInfo` (or, given an SPKI, of its public key).
pub fn pkcs8_key_kind(der: &[u8]) -> Option<KeyKind> {
    let mut outer = Reader::new(der);
    let mut fields = Reader::new(outer.read(SEQUENCE)?);
    if fields.peek_tag() == Some(INTEGER) {
        fields.read(INTEGER)?;
    }
    let mut algorithm = Reader::new(fields.read(SEQUENCE)?);
    let oid = algorithm.read(OID)?;
    Some(if oid == OID_RSA_ENCRYPTION {
        KeyKind::Rsa
    } else if oid == OID_ED25519 {
        KeyKind::Ed25519
    } else if oid == OID_EC_PUBLIC_KEY {
        curve_kind(algorithm.read(OID))
    } else {
        KeyKind::Other
    })
}

fn curve_kind(curve: Option<&[u8]>) -> KeyKind {
    match curve {
        Some(OID_P256) => KeyKind::P256,
        Some(OID_P384) => KeyKind::P384,
        _ => KeyKind::OtherCurve,
    }
}

/// The curve named inside a SEC1 `ECPrivateKey` ("BEGIN EC PRIVATE KEY"), if it names one.
pub fn sec1_curve(der: &[u8]) -> Option<Option<KeyKind>> {
    let mut outer = Reader::new(der);
    let mut fields = Reader::new(outer.read(SEQUENCE)?);
    if fields.read(INTEGER)? != [1] {
        return None;
    }
    fields.read(OCTET_STRING)?;
    if fields.peek_tag() != Some(CONTEXT_0) {
        return Some(None);
    }
    let mut parameters = Reader::new(fields.read(CONTEXT_0)?);
    Some(Some(curve_kind(parameters.read(OID))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_minimal() {
        assert_eq!(tlv(OCTET_STRING, &[7; 3]), [4, 3, 7, 7, 7]);
        assert_eq!(&tlv(OCTET_STRING, &[0; 0x80])[..3], [4, 0x81, 0x80]);
        assert_eq!(&tlv(OCTET_STRING, &[0; 0x100])[..4], [4, 0x82, 1, 0]);
        assert_eq!(tlv(OCTET_STRING, &[0; 0x10000]).len(), 0x10000 + 5);
    }

    #[test]
    fn written_structures_read_back() {
        let point = [4u8; 65];
        let der = spki(OID_EC_PUBLIC_KEY, Some(OID_P256), &point);
        assert_eq!(pkcs8_key_kind(&der), Some(KeyKind::P256));
        let der = pkcs8(OID_ED25519, None, &tlv(OCTET_STRING, &[9; 32]));
        assert_eq!(der.len(), 48, "the size OpenSSL's Ed25519 PKCS#8 v1 keys have");
        assert_eq!(pkcs8_key_kind(&der), Some(KeyKind::Ed25519));
        let der = pkcs8(OID_EC_PUBLIC_KEY, Some(OID_P384), &[]);
        assert_eq!(pkcs8_key_kind(&der), Some(KeyKind::P384));
        let der = pkcs8(&[0x2b, 0x65, 0x71], None, &[]);
        assert_eq!(pkcs8_key_kind(&der), Some(KeyKind::Other));
    }

    #[test]
    fn sec1_curves() {
        let version = tlv(INTEGER, &[1]);
        let secret = tlv(OCTET_STRING, &[1; 32]);
        let with_curve = sequence(&[&version, &secret, &tlv(CONTEXT_0, &tlv(OID, OID_P256))]);
        assert_eq!(sec1_curve(&with_curve), Some(Some(KeyKind::P256)));
        let without = sequence(&[&version, &secret]);
        assert_eq!(sec1_curve(&without), Some(None));
        assert_eq!(sec1_curve(&[0x30, 0x05, 0x02]), None);
    }

    #[test]
    fn truncated_input_is_refused() {
        let der = spki(OID_RSA_ENCRYPTION, None, &[0; 300]);
        for end in 0..der.len() {
            assert!(Reader::new(&der[..end]).read(SEQUENCE).is_none());
        }
        assert!(Reader::new(&[0x30, 0x84, 0, 0, 0, 1, 0]).read(SEQUENCE).is_none());
    }
}
