//! Revocation files: `jti|kid|sub|client_id <value> [before=<time>] [until=<time>]` lines.
#![no_main]

use credentialflow_core::jose::claims::Claims;
use credentialflow_core::revocation::{Revocation, RevocationKind, RevocationList, RevocationSet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(list) = RevocationList::parse(data) else { return };
    assert_eq!(list.is_empty(), list.len() == 0);
    let set: RevocationSet = list.entries().iter().collect();
    // The claims of an empty token are never revoked.
    assert!(!set.is_revoked(&Claims::default(), 0));
    for revocation in list.entries() {
        // What a line can say, written back, reads the same (the endpoint and Redis rely on it).
        if let Some(line) = revocation.to_line() {
            assert_eq!(Revocation::parse_line(line.as_bytes()).as_ref(), Ok(revocation));
        }
        // A token with the value, issued before the time and checked before the end, is revoked.
        let Ok(value) = std::str::from_utf8(&revocation.value) else { continue };
        let iat = revocation.before.map_or(0, |before| before.saturating_sub(1));
        let now = revocation.until.unwrap_or(i64::MAX).min(iat.max(0));
        let mut claims = serde_json::json!({ "iat": iat });
        let kid = match revocation.kind {
            RevocationKind::Kid => Some(value),
            RevocationKind::Jti => { claims["jti"] = value.into(); None }
            RevocationKind::Sub => { claims["sub"] = value.into(); None }
            RevocationKind::ClientId => { claims["client_id"] = value.into(); None }
        };
        let claims = Claims::parse_with_header(claims.to_string().as_bytes(), kid, None)
            .expect("a claims object with strings and a date");
        if revocation.until.is_none_or(|until| until >= now) {
            assert!(set.is_revoked(&claims, now), "{value:?} listed but not revoked");
        }
    }
});
