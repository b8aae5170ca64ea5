//! Credential header parsing: `Authorization: Bearer <token>` and raw-token headers, and the
//! `b64token` syntax check the guard applies to tokens not found in the cache.
#![no_main]

use credentialflow_core::credential::{bearer_token, is_b64token, raw_token, CredentialHeader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let bearer = bearer_token(data);
    let raw = raw_token(data);
    assert_eq!(CredentialHeader::AuthorizationBearer.token(data), bearer);
    assert_eq!(CredentialHeader::raw("X-CredentialFlow-Token").token(data), raw);
    for token in [bearer, raw].into_iter().flatten() {
        // A token is a non-empty slice of the header value, trimmed of spaces and tabs.
        assert!(!token.is_empty());
        let range = data.as_ptr_range();
        assert!(range.start <= token.as_ptr() && token.as_ptr_range().end <= range.end);
        for edge in [token[0], token[token.len() - 1]] {
            assert!(edge != b' ' && edge != b'\t', "{token:?}");
        }
        // Extraction is idempotent: a token is its own raw token, and `Bearer <token>` gives it back.
        assert_eq!(raw_token(token), Ok(token));
        let header = [&b"Bearer "[..], token].concat();
        assert_eq!(bearer_token(&header), Ok(&header[7..]));
    }
    // b64token: base64url/base64 characters, '-', '.', '_', '~', then only trailing '='.
    if is_b64token(data) {
        assert!(data.iter().all(|&b| b.is_ascii_graphic()), "{data:?}");
        let body = data.iter().rposition(|&b| b != b'=').unwrap() + 1;
        assert!(!data[..body].contains(&b'='));
    }
});
