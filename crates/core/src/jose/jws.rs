//! Splitting a compact JWS (RFC 7515 §7.1) and decoding its parts, strictly.

use crate::jose::b64;
use crate::jose::header::{HeaderMemo, JoseHeader};
use crate::reject::Rejection;

/// A compact JWS whose header is decoded and whose signature is not yet checked.
#[derive(Debug)]
pub struct UnverifiedJws<'a> {
    /// `BASE64URL(header) '.' BASE64URL(payload)`: the bytes the signature covers.
    pub signing_input: &'a [u8],
    /// The payload segment, still encoded: decoded only after the signature verifies.
    pub payload_segment: &'a [u8],
    /// The decoded header.
    pub header: JoseHeader,
    /// The decoded signature.
    pub signature: Vec<u8>,
}

/// Header, payload and signature segments, still encoded.
type Segments<'a> = (&'a [u8], &'a [u8], &'a [u8]);

/// The three segments of a compact JWS, or `Malformed`. Five segments (JWE) or any other
/// count is refused without decoding anything.
fn split(token: &[u8]) -> Result<Segments<'_>, Rejection> {
    let mut dots = memchr::memchr_iter(b'.', token);
    match (dots.next(), dots.next(), dots.next()) {
        (Some(first), Some(second), None) => {
            Ok((&token[..first], &token[first + 1..second], &token[second + 1..]))
        }
        _ => Err(Rejection::Malformed),
    }
}

/// Splits the token and decodes header and signature; the header is taken from or kept in
/// `memo`.
pub fn parse<'t>(token: &'t [u8], memo: &mut HeaderMemo) -> Result<UnverifiedJws<'t>, Rejection> {
    let (header_segment, payload_segment, signature_segment) = split(token)?;
    if header_segment.is_empty() || payload_segment.is_empty() || signature_segment.is_empty() {
        return Err(Rejection::Malformed);
    }
    let header = JoseHeader::from_segment(header_segment, memo)?;
    // Strict decoding: non-canonical spellings would let one signed token take many forms.
    let signature = b64::decode(signature_segment).ok_or(Rejection::Malformed)?;
    let signing_input = &token[..header_segment.len() + 1 + payload_segment.len()];
    Ok(UnverifiedJws { signing_input, payload_segment, header, signature })
}

/// The payload segment of a compact JWS, for reading claims of an already verified token.
pub fn payload_segment(token: &[u8]) -> Option<&[u8]> {
    split(token).ok().map(|(_, payload, _)| payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::alg::Algorithm;

    fn token(header: &str, payload: &str, sig: &[u8]) -> String {
        format!(
            "{}.{}.{}",
            b64::encode(header.as_bytes()),
            b64::encode(payload.as_bytes()),
            b64::encode(sig)
        )
    }

    #[test]
    fn parses_three_segments() {
        let t = token(r#"{"alg":"HS256","kid":"a"}"#, r#"{"sub":"x"}"#, b"sig");
        let jws = parse(t.as_bytes(), &mut HeaderMemo::default()).unwrap();
        assert_eq!(jws.header.alg, Algorithm::HS256);
        assert_eq!(jws.signature, b"sig");
        assert_eq!(jws.signing_input, &t.as_bytes()[..t.rfind('.').unwrap()]);
        assert_eq!(b64::decode(jws.payload_segment).unwrap(), br#"{"sub":"x"}"#);
    }

    #[test]
    fn refuses_structure_errors() {
        let good = token(r#"{"alg":"HS256"}"#, "{}", b"s");
        for bad in [
            "a".to_string(),
            "..".to_string(),
            "....".to_string(),
            format!("{good}."),
            format!("{good}.{good}"),
            format!(".{}", &good[good.find('.').unwrap() + 1..]),
            good.replace('.', "%2E"),
            token(r#"{"alg":"HS256"}"#, "{}", b""),
        ] {
            assert!(parse(bad.as_bytes(), &mut HeaderMemo::default()).is_err(), "{bad}");
        }
        assert!(parse(good.as_bytes(), &mut HeaderMemo::default()).is_ok());
    }

    #[test]
    fn payload_is_found_again() {
        let t = token(r#"{"alg":"HS256"}"#, r#"{"a":1}"#, b"s");
        assert_eq!(payload_segment(t.as_bytes()).unwrap(), b64::encode(br#"{"a":1}"#).as_bytes());
    }
}
