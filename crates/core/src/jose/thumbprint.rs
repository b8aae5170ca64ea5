//! The JWK thumbprint of RFC 7638: the SHA-256 of a key's required members in canonical JSON,
//! base64url. The issuer's default `kid` and the CLI's `keygen` both use it.

use crate::jose::b64;
use crate::jose::crypto::backend::digest;

/// The thumbprint of a JWK given by its required members (RFC 7638 §3.2: `e`, `kty`, `n` for
/// RSA; `crv`, `kty`, `x`, `y` for EC; `crv`, `kty`, `x` for OKP). The canonical form orders
/// the members by name and has no whitespace (§3.3); the values are base64url strings and
/// names, which JSON writes without escapes.
pub fn jwk_thumbprint<'a>(members: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut members: Vec<_> = members.into_iter().collect();
    members.sort_unstable_by_key(|(name, _)| *name);
    let body: Vec<String> =
        members.iter().map(|(name, value)| format!("\"{name}\":\"{value}\"")).collect();
    let canonical = format!("{{{}}}", body.join(","));
    b64::encode(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7638_example_in_any_order() {
        // RFC 7638 §3.1's example key and its thumbprint.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let expected = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
        assert_eq!(jwk_thumbprint([("e", "AQAB"), ("kty", "RSA"), ("n", n)]), expected);
        assert_eq!(jwk_thumbprint([("n", n), ("kty", "RSA"), ("e", "AQAB")]), expected);
    }
}
