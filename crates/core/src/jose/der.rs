//! Just enough strict DER to take keys apart (ring parses keys but does not expose their
//! parts) and to write the SPKI and PKCS#8 wrappers keys travel in. Used by the crypto
//! provider, key loading (public and private) and the CLI's keygen.

/// INTEGER.
pub const TAG_INTEGER: u8 = 0x02;
/// BIT STRING.
pub const TAG_BIT_STRING: u8 = 0x03;
/// OCTET STRING.
pub const TAG_OCTET_STRING: u8 = 0x04;
/// NULL.
pub const TAG_NULL: u8 = 0x05;
/// OBJECT IDENTIFIER.
pub const TAG_OID: u8 = 0x06;
/// SEQUENCE.
pub const TAG_SEQUENCE: u8 = 0x30;

/// Reads definite-length DER elements one after another, refusing anything malformed.
pub struct DerReader<'a> {
    rest: &'a [u8],
}

impl<'a> DerReader<'a> {
    /// Starts reading at the beginning of `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Self { rest: input }
    }

    /// Whether everything has been read.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The tag of the next element, if any.
    pub fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Reads one element with the given tag and returns its content octets.
    pub fn read(&mut self, tag: u8) -> Option<&'a [u8]> {
        let (&actual, rest) = self.rest.split_first()?;
        if actual != tag {
            return None;
        }
        let (&first, mut rest) = rest.split_first()?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            // Long form, at most 3 length bytes (16 MiB) and minimal, as DER requires.
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 3 || rest.len() < count {
                return None;
            }
            let (len_bytes, after) = rest.split_at(count);
            rest = after;
            let len = len_bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            if len < 0x80 || len_bytes.first() == Some(&0) {
                return None;
            }
            len
        };
        if rest.len() < len {
            return None;
        }
        let (content, after) = rest.split_at(len);
        self.rest = after;
        Some(content)
    }

    /// Reads a positive INTEGER and returns its magnitude without the sign-padding zero.
    pub fn read_positive_integer(&mut self) -> Option<&'a [u8]> {
        let bytes = self.read(TAG_INTEGER)?;
        match bytes {
            [] => None,
            [first, ..] if first & 0x80 != 0 => None,
            [0] => None,
            [0, second, ..] if second & 0x80 == 0 => None,
            [0, magnitude @ ..] => Some(magnitude),
            _ => Some(bytes),
        }
    }
}

/// The bit length of an unsigned big-endian integer.
pub fn bit_length(mut integer: &[u8]) -> usize {
    while let [0, rest @ ..] = integer {
        integer = rest;
    }
    match integer.first() {
        Some(&top) => (integer.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
        None => 0,
    }
}

/// The modulus size of a PKCS#1 `RSAPublicKey` (`SEQUENCE { INTEGER n, INTEGER e }`).
pub fn rsa_modulus_bits(pkcs1: &[u8]) -> Option<usize> {
    let mut outer = DerReader::new(pkcs1);
    let mut fields = DerReader::new(outer.read(TAG_SEQUENCE)?);
    let n = fields.read_positive_integer()?;
    fields.read_positive_integer()?;
    (outer.is_empty() && fields.is_empty()).then(|| bit_length(n))
}

/// The modulus size of an RSA private key: a PKCS#1 `RSAPrivateKey` (`SEQUENCE { INTEGER
/// version, INTEGER n, ... }`), or the same inside a PKCS#8 `PrivateKeyInfo`'s octet string.
/// Read before any backend sees the key: some refuse small moduli with no reason given.
pub fn rsa_private_modulus_bits(der: &[u8]) -> Option<usize> {
    let mut outer = DerReader::new(der);
    let mut fields = DerReader::new(outer.read(TAG_SEQUENCE)?);
    fields.read(TAG_INTEGER)?;
    match fields.peek_tag()? {
        // PKCS#8: the algorithm, then the PKCS#1 key in an octet string.
        TAG_SEQUENCE => {
            fields.read(TAG_SEQUENCE)?;
            rsa_private_modulus_bits(fields.read(TAG_OCTET_STRING)?)
        }
        _ => fields.read_positive_integer().map(bit_length),
    }
}

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
    tlv(TAG_SEQUENCE, &elements.concat())
}

/// `SubjectPublicKeyInfo`: the "BEGIN PUBLIC KEY" structure.
pub fn spki(algorithm_oid: &[u8], curve_oid: Option<&[u8]>, public_key: &[u8]) -> Vec<u8> {
    let algorithm = algorithm_identifier(algorithm_oid, curve_oid);
    let bits = tlv(TAG_BIT_STRING, &[&[0u8][..], public_key].concat());
    sequence(&[&algorithm, &bits])
}

/// A PKCS#8 v1 `PrivateKeyInfo` around an algorithm-specific private key.
pub fn pkcs8(algorithm_oid: &[u8], curve_oid: Option<&[u8]>, private_key: &[u8]) -> Vec<u8> {
    let version = tlv(TAG_INTEGER, &[0]);
    let algorithm = algorithm_identifier(algorithm_oid, curve_oid);
    sequence(&[&version, &algorithm, &tlv(TAG_OCTET_STRING, private_key)])
}

fn algorithm_identifier(algorithm_oid: &[u8], curve_oid: Option<&[u8]>) -> Vec<u8> {
    let oid = tlv(TAG_OID, algorithm_oid);
    match curve_oid {
        Some(curve) => sequence(&[&oid, &tlv(TAG_OID, curve)]),
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
    let mut outer = DerReader::new(der);
    let mut fields = DerReader::new(outer.read(TAG_SEQUENCE)?);
    if fields.peek_tag() == Some(TAG_INTEGER) {
        fields.read(TAG_INTEGER)?;
    }
    let mut algorithm = DerReader::new(fields.read(TAG_SEQUENCE)?);
    let oid = algorithm.read(TAG_OID)?;
    Some(if oid == OID_RSA_ENCRYPTION {
        KeyKind::Rsa
    } else if oid == OID_ED25519 {
        KeyKind::Ed25519
    } else if oid == OID_EC_PUBLIC_KEY {
        curve_kind(algorithm.read(TAG_OID))
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
    let mut outer = DerReader::new(der);
    let mut fields = DerReader::new(outer.read(TAG_SEQUENCE)?);
    if fields.read(TAG_INTEGER)? != [1] {
        return None;
    }
    fields.read(TAG_OCTET_STRING)?;
    if fields.peek_tag() != Some(CONTEXT_0) {
        return Some(None);
    }
    let mut parameters = DerReader::new(fields.read(CONTEXT_0)?);
    Some(Some(curve_kind(parameters.read(TAG_OID))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_moduli() {
        assert_eq!(bit_length(&[0, 0x80, 0]), 16);
        assert_eq!(bit_length(&[0x01]), 1);
        assert_eq!(bit_length(&[]), 0);
        // SEQUENCE { INTEGER 0x00C1 (8 bits), INTEGER 3 }
        assert_eq!(
            rsa_modulus_bits(&[0x30, 0x07, 0x02, 0x02, 0x00, 0xc1, 0x02, 0x01, 0x03]),
            Some(8)
        );
        assert_eq!(rsa_modulus_bits(&[0x30, 0x82, 0xff]), None);
        assert_eq!(rsa_modulus_bits(&[]), None);
    }

    #[test]
    fn lengths_must_be_minimal_and_present() {
        // A long-form length for a short element is not DER.
        assert_eq!(DerReader::new(&[0x04, 0x81, 0x01, 0xaa]).read(TAG_OCTET_STRING), None);
        assert_eq!(DerReader::new(&[0x04, 0x02, 0xaa]).read(TAG_OCTET_STRING), None);
        assert_eq!(DerReader::new(&[0x04, 0x01, 0xaa]).read(TAG_OCTET_STRING), Some(&[0xaa][..]));
        assert_eq!(DerReader::new(&[0x02, 0x01, 0x80]).read_positive_integer(), None);
    }

    #[test]
    fn lengths_are_minimal() {
        assert_eq!(tlv(TAG_OCTET_STRING, &[7; 3]), [4, 3, 7, 7, 7]);
        assert_eq!(&tlv(TAG_OCTET_STRING, &[0; 0x80])[..3], [4, 0x81, 0x80]);
        assert_eq!(&tlv(TAG_OCTET_STRING, &[0; 0x100])[..4], [4, 0x82, 1, 0]);
        assert_eq!(tlv(TAG_OCTET_STRING, &[0; 0x10000]).len(), 0x10000 + 5);
    }

    #[test]
    fn written_structures_read_back() {
        let point = [4u8; 65];
        let der = spki(OID_EC_PUBLIC_KEY, Some(OID_P256), &point);
        assert_eq!(pkcs8_key_kind(&der), Some(KeyKind::P256));
        let der = pkcs8(OID_ED25519, None, &tlv(TAG_OCTET_STRING, &[9; 32]));
        assert_eq!(der.len(), 48, "the size OpenSSL's Ed25519 PKCS#8 v1 keys have");
        assert_eq!(pkcs8_key_kind(&der), Some(KeyKind::Ed25519));
        let der = pkcs8(OID_EC_PUBLIC_KEY, Some(OID_P384), &[]);
        assert_eq!(pkcs8_key_kind(&der), Some(KeyKind::P384));
        let der = pkcs8(&[0x2b, 0x65, 0x71], None, &[]);
        assert_eq!(pkcs8_key_kind(&der), Some(KeyKind::Other));
    }

    #[test]
    fn sec1_curves() {
        let version = tlv(TAG_INTEGER, &[1]);
        let secret = tlv(TAG_OCTET_STRING, &[1; 32]);
        let with_curve = sequence(&[&version, &secret, &tlv(CONTEXT_0, &tlv(TAG_OID, OID_P256))]);
        assert_eq!(sec1_curve(&with_curve), Some(Some(KeyKind::P256)));
        let without = sequence(&[&version, &secret]);
        assert_eq!(sec1_curve(&without), Some(None));
        assert_eq!(sec1_curve(&[0x30, 0x05, 0x02]), None);
    }

    #[test]
    fn truncated_input_is_refused() {
        let der = spki(OID_RSA_ENCRYPTION, None, &[0; 300]);
        for end in 0..der.len() {
            assert!(DerReader::new(&der[..end]).read(TAG_SEQUENCE).is_none());
        }
        assert!(DerReader::new(&[0x30, 0x84, 0, 0, 0, 1, 0]).read(TAG_SEQUENCE).is_none());
    }
}
