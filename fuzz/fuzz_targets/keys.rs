//! Key files: format detection, JWKS, PEM and raw secrets; JWK Sets as an identity provider
//! publishes them (bad keys skipped), and what a fetched document makes of a key set.
#![no_main]

use credentialflow_core::jose::alg::Algorithm;
use std::sync::Arc;

use credentialflow_core::jose::keys::{jwks, parse_key_file, KeyFormat, LoadedKeys};
use credentialflow_core::remote_keys::{FetchOutcome, KeysNeed, RemoteKeyConfig, RemoteKeys};
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
    // A published set keeps every key a key file would, and never a secret's holder fails
    // where the strict parse succeeds.
    let published = jwks::parse_published(data);
    if let Ok(loaded) = &published {
        exercise(loaded);
    }
    if let Ok(strict) = parse_key_file(data, Some(KeyFormat::Jwks)) {
        let lenient = published.as_ref().expect("a valid key file is a valid published set");
        assert_eq!(strict.keys.len(), lenient.keys.len());
    }
    // A fetched document: used when it has a usable public key, else the old set stays.
    let config = RemoteKeyConfig { ttl: 600, refresh: 30, file_keys: Vec::new(), allowed: None };
    let mut remote = RemoteKeys::new(Arc::new(config));
    remote.fetch_started(0);
    match remote.fetch_finished(0, Ok(data)) {
        FetchOutcome::Refreshed { count, .. } => {
            assert!(count > 0);
            assert!(matches!(remote.need(1), KeysNeed::Ready(_)));
        }
        FetchOutcome::Failed { .. } => assert!(matches!(remote.need(1), KeysNeed::Unavailable)),
    }
});
