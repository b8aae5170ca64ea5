//! Just enough strict DER to take keys apart: ring parses keys but does not expose their
//! parts. Used by the crypto provider, key loading and the CLI.

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
}
