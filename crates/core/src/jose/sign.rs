//! Minting a compact JWS (RFC 7515 §7.1): the one way this project makes tokens, used by the
//! CLI's `mint`, the benches, the fuzz harnesses and the tests (and the coming token endpoint).
//!
//! The header and claims are taken as the JSON the caller wrote, byte for byte: tests need
//! tokens a library would refuse to make (a wrong `alg`, duplicate members, odd types). A
//! caller issuing real tokens writes `alg` as [`SigningKey::algorithm`] says.

use crate::jose::b64;
pub use crate::jose::crypto::{SignError, SigningKey};

/// `header.claims.signature`, signed with `key`.
pub fn mint(header: &[u8], claims: &[u8], key: &SigningKey) -> Result<String, SignError> {
    let signing_input = signing_input(header, claims);
    let signature = key.sign(signing_input.as_bytes())?;
    Ok(format!("{signing_input}.{}", b64::encode(&signature)))
}

/// `header.claims.` with an empty signature, as `"alg":"none"` tokens have.
pub fn unsigned(header: &[u8], claims: &[u8]) -> String {
    format!("{}.", signing_input(header, claims))
}

/// What the signature covers: `base64url(header).base64url(claims)`.
pub fn signing_input(header: &[u8], claims: &[u8]) -> String {
    format!("{}.{}", b64::encode(header), b64::encode(claims))
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{Algorithm, EncodingKey};

    use super::*;
    use crate::jose::header::HeaderMemo;
    use crate::jose::jws;

    #[test]
    fn a_minted_token_parses_and_its_signature_covers_header_and_claims() {
        let key = SigningKey::new(Algorithm::HS256, &EncodingKey::from_secret(&[7; 32]))
            .expect("an HMAC key");
        let token = mint(br#"{"alg":"HS256","kid":"k"}"#, br#"{"sub":"a"}"#, &key).expect("signs");
        let parsed =
            jws::parse(token.as_bytes(), &mut HeaderMemo::default()).expect("a compact JWS");
        assert_eq!(parsed.header.kid.as_deref(), Some("k"));
        assert_eq!(
            parsed.signing_input,
            signing_input(br#"{"alg":"HS256","kid":"k"}"#, br#"{"sub":"a"}"#).as_bytes()
        );
        assert_eq!(parsed.signature, key.sign(parsed.signing_input).expect("signs"));
    }

    #[test]
    fn an_unsigned_token_ends_with_a_dot() {
        let token = unsigned(br#"{"alg":"none"}"#, b"{}");
        assert_eq!(token, "eyJhbGciOiJub25lIn0.e30.");
    }
}
