//! Naming a token in a log line without writing the token.

/// A short name for a token in logs, never the token itself: 8 hex digits of its SHA-256.
pub fn fingerprint(raw: &[u8]) -> String {
    let digest = crate::jose::crypto::backend::digest::digest(
        &crate::jose::crypto::backend::digest::SHA256,
        raw,
    );
    digest.as_ref()[..4].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn fingerprint_is_short_and_stable() {
        assert_eq!(super::fingerprint(b"abc"), "ba7816bf");
    }
}
