//! API keys: the key parser (`cfk_<id>_<secret><checksum>`) and the key registry
//! (`id sha256:<hex> subject scopes [audiences] [expiry]` lines), and a lookup of every
//! registered id with the input as the presented key.
#![no_main]

use credentialflow_core::api_key::registry::{format_line, ApiKeyRegistry};
use credentialflow_core::api_key::{format_key, key_id, SECRET_BYTES};
use credentialflow_core::jose::b64;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A well-formed key is exactly what format_key makes of its id and secret.
    if let Ok(id) = key_id(data) {
        let secret = &data[data.len() - 49..data.len() - 6];
        let secret: [u8; SECRET_BYTES] =
            b64::decode(secret).and_then(|s| s.try_into().ok()).expect("a checked secret");
        assert_eq!(format_key(id, &secret).as_deref().map(str::as_bytes), Some(data));
    }
    let Ok(registry) = ApiKeyRegistry::parse(data) else { return };
    assert_eq!(registry.is_empty(), registry.len() == 0);
    // The input is no registered key: a key would have to hash to a digest in itself.
    let _ = registry.check(data);
    for entry in registry.entries() {
        // A line written for an entry reads back as the same entry, and its key then verifies.
        let key = format_key(&entry.id, &[7; SECRET_BYTES]).expect("a registered id is valid");
        let line = format_line(&key, entry);
        let again = ApiKeyRegistry::parse(line.as_bytes()).expect("a written line parses");
        assert_eq!(again.entries(), std::slice::from_ref(entry));
        let token = again.check(key.as_bytes()).expect("the key of the line");
        assert_eq!(token.claims.jti(), Some(&*entry.id));
        assert_eq!(token.claims.sub(), Some(&*entry.subject));
        assert_eq!(token.claims.exp(), entry.expires);
    }
});
