//! Key files: format detection, JWKS, PEM and raw secrets.
#![no_main]

use credentialflow_core::jose::alg::Algorithm;
use credentialflow_core::jose::keys::{parse_key_file, KeyFormat, LoadedKeys};
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
    let secret = parse_key_file(data, Some(KeyFormat::Secret));
    if let Ok(loaded) = &detected {
        exercise(loaded);
        // Detection never picks the secret format (JWKS "oct" keys aside).
        let text = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
        assert!(!loaded.holds_secret || text.trim_ascii_start().starts_with(b"{"));
        // Whatever loads as a key file is never accepted as an HMAC secret.
        assert!(secret.is_err());
    }
    if let Ok(loaded) = &secret {
        exercise(loaded);
    }
    for format in [KeyFormat::Jwks, KeyFormat::Pem] {
        if let Ok(loaded) = parse_key_file(data, Some(format)) {
            exercise(&loaded);
        }
    }
});
