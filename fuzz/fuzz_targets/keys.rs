//! Key files: format detection, JWKS, PEM and raw secrets.
#![no_main]

use credentialflow_core::alg::Algorithm;
use credentialflow_core::keys::{parse_key_file, KeyFormat, LoadedKeys};
use libfuzzer_sys::fuzz_target;

fn exercise(loaded: &LoadedKeys) {
    assert!(!loaded.keys.is_empty());
    for key in &loaded.keys {
        let _ = key.algorithms();
        let _ = key.matches_kid(Some("kid"));
        for alg in Algorithm::ALL {
            let _ = key.can_verify(alg);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let detected = parse_key_file(data, None);
    if let Ok(loaded) = &detected {
        exercise(loaded);
        // Detection never picks the secret format.
        assert!(!loaded.holds_secret || data.trim_ascii_start().starts_with(b"{"));
    }
    for format in [KeyFormat::Jwks, KeyFormat::Pem, KeyFormat::Secret] {
        if let Ok(loaded) = parse_key_file(data, Some(format)) {
            exercise(&loaded);
        }
    }
});
