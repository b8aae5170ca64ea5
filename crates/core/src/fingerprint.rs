//! Naming a token in a log line without writing the token, and configuration content by a
//! stable identity.

use crate::jose::crypto::backend::digest;

/// A short name for a token in logs, never the token itself: 8 hex digits of its SHA-256.
pub fn fingerprint(raw: &[u8]) -> String {
    let digest = digest::digest(&digest::SHA256, raw);
    digest.as_ref().iter().take(4).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn fingerprint_is_short_and_stable() {
        assert_eq!(super::fingerprint(b"abc"), "ba7816bf");
    }
}

/// A stable identity for configuration content (a key set, a list of claim names): the first
/// 8 bytes of a SHA-256 over length-prefixed parts. Equal content gives the same identity in
/// every worker and after a reload, so it can key state that workers share and that outlives a
/// reload; different content (another key, algorithm or name) gives another.
pub(crate) fn content_id<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> u64 {
    let mut context = digest::Context::new(&digest::SHA256);
    for part in parts {
        context.update(&(part.len() as u64).to_be_bytes());
        context.update(part);
    }
    let digest = context.finish();
    let mut id = [0u8; 8];
    id.copy_from_slice(digest.as_ref().get(..8).unwrap_or(&[0; 8]));
    u64::from_be_bytes(id)
}

#[cfg(test)]
mod content_id_tests {
    use super::content_id;

    #[test]
    fn parts_are_length_prefixed_so_boundaries_count() {
        let ab_c = content_id([&b"ab"[..], b"c"]);
        assert_eq!(ab_c, content_id([&b"ab"[..], b"c"]));
        assert_ne!(ab_c, content_id([&b"a"[..], b"bc"]));
        assert_ne!(ab_c, content_id([&b"abc"[..]]));
    }
}
