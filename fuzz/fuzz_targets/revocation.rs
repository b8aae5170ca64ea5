//! Revocation list files: `jti <value>` / `sub <value>` lines.
#![no_main]

use credentialflow_core::revocation::RevocationList;
use credentialflow_core::jose::claims::Claims;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(list) = RevocationList::parse(data) else { return };
    assert_eq!(list.is_empty(), list.len() == 0);
    // Every listed value revokes; the claims of an empty token never are.
    assert!(!list.is_revoked(&Claims::default()));
    for line in data.split(|&b| b == b'\n') {
        let line = line.trim_ascii();
        let Some(split) = line.iter().position(u8::is_ascii_whitespace) else { continue };
        let (kind, value) = line.split_at(split);
        let Ok(value) = std::str::from_utf8(value.trim_ascii()) else { continue };
        let name = match kind {
            b"jti" => "jti",
            b"sub" => "sub",
            _ => continue,
        };
        let json = serde_json::json!({ name: value }).to_string();
        let claims = Claims::parse(json.as_bytes()).expect("a claims object with one string");
        assert!(list.is_revoked(&claims), "{value:?} listed but not revoked");
    }
});
