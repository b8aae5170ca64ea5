//! Strict base64url (RFC 7515 §2): URL-safe alphabet, no padding, no whitespace, canonical
//! trailing bits. One encoding per value, so a token cannot be re-spelt to dodge the cache key
//! or a revocation list.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// Decodes one segment, or `None` if it is not canonical unpadded base64url.
pub fn decode(segment: &[u8]) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(segment).ok()
}

/// Encodes bytes as unpadded base64url.
pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict() {
        assert_eq!(decode(b"aGk").as_deref(), Some(&b"hi"[..]));
        // Padding, standard alphabet, whitespace, percent-encoding, non-zero trailing bits,
        // and an impossible length are all refused.
        for bad in [&b"aGk="[..], b"a+8", b"a/8", b"aG k", b"aG%6B", b"aGl", b"a", b"aGk\n"] {
            assert_eq!(decode(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(decode(b"").as_deref(), Some(&b""[..]));
        assert_eq!(encode(b"hi"), "aGk");
    }
}
