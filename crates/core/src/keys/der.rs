//! Just enough DER to measure an RSA modulus in a PKCS#1 `RSAPublicKey`.

/// Reads one TLV, returning (tag, contents, rest).
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let (len_bytes, rest) = rest.split_at(count);
        (len_bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b)), rest)
    };
    if rest.len() < len {
        return None;
    }
    let (contents, rest) = rest.split_at(len);
    Some((tag, contents, rest))
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

/// The modulus size of `SEQUENCE { INTEGER n, INTEGER e }`, or `None` if it is not one.
pub fn rsa_modulus_bits(pkcs1: &[u8]) -> Option<usize> {
    let (0x30, body, _) = tlv(pkcs1)? else { return None };
    let (0x02, modulus, rest) = tlv(body)? else { return None };
    let (0x02, _exponent, _) = tlv(rest)? else { return None };
    Some(bit_length(modulus))
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
}
