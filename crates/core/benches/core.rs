//! Criterion benchmarks of the per-request work in `credentialflow-core`.
//!
//! Run: `cargo bench -p credentialflow-core --bench core` (add a filter, e.g. `-- verify/`);
//! on ring: `cargo bench -p credentialflow-core --no-default-features --features ring ...`.
//! Groups:
//!   extract/bearer           `Authorization: Bearer` parsing (`bearer_token`)
//!   jws_parse/ALG            split + header decode + signature canonicality (`jws::parse`)
//!   mint/ALG                 `jose::sign::mint`: encode, sign, assemble (a token endpoint's floor)
//!   sig_verify/ALG           the prepared key's signature check alone (`PreparedVerifier`,
//!                            key and signature already decoded): the backend's floor
//!   verify/ALG               `Verifier::verify`: parse, key choice, signature check,
//!                            claims decode (our overhead = verify - sig_verify)
//!   cache_hit/ALG            `AccessRules::decide` with a warm `TokenCache` and issuer, audience,
//!                            scope policy: the steady state of a repeated token
//!   cache_hit_forward/ES256  the same plus two forwarded claims (`sub`, custom `email`)
//!   cold/ALG                 `AccessRules::decide` with the cache off (`credentialflow_cache_size 0`)
//!   rotate/ALG               `AccessRules::decide` cycling 2048 tokens through a 1024-entry cache:
//!                            verify + insert + LRU eviction on every call
//!   jwks/*                   a 20-key ES256 JWKS: kid lookup alone (unknown kid, no crypto)
//!                            and a full verify of a token signed by the last key
use std::hint::black_box;
use std::sync::Arc;

use credentialflow_core::credential::bearer_token;
use credentialflow_core::defaults::MAX_TOKEN_SIZE;
use credentialflow_core::jose::header::HeaderMemo;
use credentialflow_core::jose::jws;
use credentialflow_core::jose::keys::{parse_key_file, KeyFormat};
use credentialflow_core::{
    AccessRules, Algorithm, ForwardedClaim, Live, Policy, TokenCache, Verifier,
};
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;

mod common;
use common::{b64, fixtures, mint, unix_now, Fixture, BENCH_SECRET};
use credentialflow_core::jose::crypto::{backend, PreparedVerifier, BACKEND_NAME};
use credentialflow_core::jose::sign::SigningKey;

const ISSUER: &str = "https://issuer.bench.example";
const AUDIENCE: &str = "bench-api";

fn claims(now: i64, n: usize) -> serde_json::Value {
    json!({
        "iss": ISSUER,
        "sub": format!("user-{n:06}"),
        "aud": AUDIENCE,
        "scope": "read write",
        "email": format!("user-{n:06}@example.com"),
        "jti": format!("bench-{n:08}"),
        "iat": now,
        "exp": now + 24 * 3600,
    })
}

fn signing_key(f: &Fixture) -> SigningKey {
    match f.alg {
        Algorithm::HS256 => common::signing_key(f.alg, BENCH_SECRET),
        _ => common::signing_key(f.alg, f.private_pem),
    }
}

fn verifier(f: &Fixture) -> Arc<Verifier> {
    let loaded = match f.alg {
        Algorithm::HS256 => parse_key_file(BENCH_SECRET, Some(KeyFormat::Secret)),
        _ => parse_key_file(f.public_pem, Some(KeyFormat::Pem)),
    }
    .expect("fixture key loads");
    Arc::new(Verifier::new(loaded.keys, Some([f.alg].into_iter().collect())).expect("verifier"))
}

fn policy() -> Policy {
    Policy {
        issuers: vec![ISSUER.into()],
        audiences: vec![AUDIENCE.into()],
        required_scopes: vec!["read".into()],
        ..Policy::default()
    }
}

fn guard(verifier: Arc<Verifier>, forwarded: Vec<ForwardedClaim>) -> AccessRules {
    AccessRules::new(verifier, policy(), false, forwarded, MAX_TOKEN_SIZE)
}

/// The fixture's public key, prepared as the module prepares it at config time.
fn prepared_verifier(f: &Fixture) -> PreparedVerifier {
    let key = match f.alg {
        Algorithm::HS256 => jsonwebtoken::DecodingKey::from_secret(BENCH_SECRET),
        _ => {
            let loaded = parse_key_file(f.public_pem, Some(KeyFormat::Pem)).expect("fixture");
            loaded.keys.into_iter().next().expect("one key").key
        }
    };
    PreparedVerifier::new(f.alg.to_jsonwebtoken(), &key).expect("a usable key")
}

fn benches(c: &mut Criterion) {
    eprintln!("crypto backend: {BACKEND_NAME}");
    let now = unix_now();
    let fixtures = fixtures();

    // Header extraction and JWS parsing.
    {
        let es = fixtures.iter().find(|f| f.alg == Algorithm::ES256).unwrap();
        let token = mint(es.alg, &signing_key(es), None, &claims(now, 1));
        let header = format!("Bearer {token}");
        c.bench_function("extract/bearer", |b| {
            b.iter(|| bearer_token(black_box(header.as_bytes())).unwrap().len())
        });
    }
    let mut group = c.benchmark_group("jws_parse");
    for f in fixtures.iter().filter(|f| matches!(f.alg, Algorithm::ES256 | Algorithm::RS256)) {
        let token = mint(f.alg, &signing_key(f), None, &claims(now, 1));
        group.bench_function(f.alg.name(), |b| {
            let memo = &mut HeaderMemo::default();
            b.iter(|| jws::parse(black_box(token.as_bytes()), memo).unwrap().signing_input.len())
        });
    }
    group.finish();

    // The stages of a miss besides the signature check, on the ES256 fixture token.
    {
        use credentialflow_core::credential::is_b64token;
        use credentialflow_core::jose::header::JoseHeader;
        use credentialflow_core::jose::{b64 as b64url, claims::Claims};
        let es = fixtures.iter().find(|f| f.alg == Algorithm::ES256).unwrap();
        let token = mint(es.alg, &signing_key(es), None, &claims(now, 1));
        let mut parts = token.split('.');
        let (header, payload) = (parts.next().unwrap(), parts.next().unwrap());
        let header_json = b64url::decode(header.as_bytes()).unwrap();
        let payload_json = b64url::decode(payload.as_bytes()).unwrap();
        let mut group = c.benchmark_group("stage");
        group
            .bench_function("is_b64token", |b| b.iter(|| is_b64token(black_box(token.as_bytes()))));
        group.bench_function("b64_decode_payload", |b| {
            b.iter(|| b64url::decode(black_box(payload.as_bytes())).unwrap().len())
        });
        group.bench_function("header_parse", |b| {
            b.iter(|| JoseHeader::parse(black_box(&header_json)).unwrap().alg)
        });
        group.bench_function("claims_parse", |b| {
            b.iter(|| Claims::parse_with_header(black_box(&payload_json), Some("k"), None).unwrap())
        });
        group.bench_function("check_depth_payload", |b| {
            b.iter(|| {
                credentialflow_core::jose::json::check_depth(black_box(&payload_json), 16).is_ok()
            })
        });
        group.finish();
    }

    // Minting a token (what the token endpoint signs per request): the whole `sign::mint`
    // (header and claims encoded, signed, assembled), the floor of an issuance.
    let mut group = c.benchmark_group("mint");
    for f in &fixtures {
        let key = signing_key(f);
        let header = serde_json::to_vec(&json!({ "alg": f.alg.name(), "typ": "at+jwt" })).unwrap();
        let body = serde_json::to_vec(&claims(now, 1)).unwrap();
        group.bench_function(f.alg.name(), |b| {
            b.iter(|| credentialflow_core::jose::sign::mint(&header, black_box(&body), &key))
        });
    }
    group.finish();

    // Signature verification: the prepared key alone, then the whole verifier.
    let mut group = c.benchmark_group("sig_verify");
    for f in &fixtures {
        let token = mint(f.alg, &signing_key(f), None, &claims(now, 1));
        let (msg, sig) = token.rsplit_once('.').unwrap();
        let sig = credentialflow_core::jose::b64::decode(sig.as_bytes()).unwrap();
        let verifier = prepared_verifier(f);
        assert!(verifier.verify_signature(msg.as_bytes(), &sig));
        group.bench_function(f.alg.name(), |b| {
            b.iter(|| verifier.verify_signature(black_box(msg.as_bytes()), &sig))
        });
    }
    group.finish();
    let mut group = c.benchmark_group("verify");
    for f in &fixtures {
        let token = mint(f.alg, &signing_key(f), None, &claims(now, 1));
        let verifier = verifier(f);
        let memo = &mut HeaderMemo::default();
        verifier.verify(token.as_bytes(), memo).expect("fixture token verifies");
        group.bench_function(f.alg.name(), |b| {
            b.iter(|| verifier.verify(black_box(token.as_bytes()), memo).unwrap())
        });
    }
    group.finish();

    // The whole per-request decision: cache hit, cache off, cache churn.
    let mut group = c.benchmark_group("cache_hit");
    for f in &fixtures {
        let token = mint(f.alg, &signing_key(f), None, &claims(now, 1));
        let guard = guard(verifier(f), Vec::new());
        let mut cache = TokenCache::new(10_000);
        let first = guard.decide(token.as_bytes(), &mut cache, Live::NONE, now);
        assert!(first.verdict.is_ok() && !first.cache_hit);
        group.bench_function(f.alg.name(), |b| {
            b.iter(|| {
                let d = guard.decide(black_box(token.as_bytes()), &mut cache, Live::NONE, now);
                debug_assert!(d.cache_hit && d.verdict.is_ok());
                d
            })
        });
    }
    group.finish();
    {
        let f = fixtures.iter().find(|f| f.alg == Algorithm::ES256).unwrap();
        let token = mint(f.alg, &signing_key(f), None, &claims(now, 1));
        let forwarded =
            vec![ForwardedClaim::new("sub", "X-User"), ForwardedClaim::new("email", "X-Email")];
        let guard = guard(verifier(f), forwarded);
        let mut cache = TokenCache::new(10_000);
        let first = guard.decide(token.as_bytes(), &mut cache, Live::NONE, now);
        assert_eq!(first.verdict.as_ref().unwrap().forwarded.len(), 2);
        c.bench_function("cache_hit_forward/ES256", |b| {
            b.iter(|| guard.decide(black_box(token.as_bytes()), &mut cache, Live::NONE, now))
        });
    }
    let mut group = c.benchmark_group("cold");
    for f in &fixtures {
        let token = mint(f.alg, &signing_key(f), None, &claims(now, 1));
        let guard = guard(verifier(f), Vec::new());
        let mut cache = TokenCache::new(0);
        assert!(guard.decide(token.as_bytes(), &mut cache, Live::NONE, now).verdict.is_ok());
        group.bench_function(f.alg.name(), |b| {
            b.iter(|| guard.decide(black_box(token.as_bytes()), &mut cache, Live::NONE, now))
        });
    }
    group.finish();
    let mut group = c.benchmark_group("rotate");
    for f in fixtures.iter().filter(|f| matches!(f.alg, Algorithm::HS256 | Algorithm::ES256)) {
        let key = signing_key(f);
        let tokens: Vec<String> =
            (0..2048).map(|n| mint(f.alg, &key, None, &claims(now, n))).collect();
        let guard = guard(verifier(f), Vec::new());
        let mut cache = TokenCache::new(1024);
        for t in &tokens {
            assert!(guard.decide(t.as_bytes(), &mut cache, Live::NONE, now).verdict.is_ok());
        }
        let mut next = 0;
        group.bench_function(f.alg.name(), |b| {
            b.iter(|| {
                next = (next + 1) % tokens.len();
                let d =
                    guard.decide(black_box(tokens[next].as_bytes()), &mut cache, Live::NONE, now);
                debug_assert!(!d.cache_hit);
                d
            })
        });
    }
    group.finish();

    // JWKS: 20 ES256 keys with kids; the token names the last one.
    {
        let rng = backend::rand::SystemRandom::new();
        let mut jwks = Vec::new();
        let mut last = None;
        for i in 0..20 {
            let pkcs8 = backend::signature::EcdsaKeyPair::generate_pkcs8(
                &backend::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &rng,
            )
            .unwrap();
            let key = SigningKey::new(
                Algorithm::ES256.to_jsonwebtoken(),
                &jsonwebtoken::EncodingKey::from_ec_der(pkcs8.as_ref()),
            )
            .unwrap();
            let point = key.public_key().unwrap();
            jwks.push(json!({
                "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256",
                "kid": format!("key-{i:02}"),
                "x": b64(&point[1..33]), "y": b64(&point[33..]),
            }));
            last = Some(key);
        }
        let text = serde_json::to_vec(&json!({ "keys": jwks })).unwrap();
        let loaded = parse_key_file(&text, Some(KeyFormat::Jwks)).unwrap();
        assert_eq!(loaded.keys.len(), 20);
        let verifier = Verifier::new(loaded.keys, None).unwrap();
        let key = last.unwrap();
        let token = mint(Algorithm::ES256, &key, Some("key-19"), &claims(now, 1));
        let unknown = mint(Algorithm::ES256, &key, Some("key-99"), &claims(now, 1));
        let memo = &mut HeaderMemo::default();
        verifier.verify(token.as_bytes(), memo).unwrap();
        assert!(verifier.verify(unknown.as_bytes(), memo).is_err());
        c.bench_function("jwks/kid_lookup_20_keys_unknown_kid", |b| {
            b.iter(|| verifier.verify(black_box(unknown.as_bytes()), memo).is_err())
        });
        c.bench_function("jwks/verify_ES256_kid_19_of_20", |b| {
            b.iter(|| verifier.verify(black_box(token.as_bytes()), memo).unwrap())
        });
        let guard = guard(Arc::new(verifier), Vec::new());
        let mut cache = TokenCache::new(10_000);
        guard.decide(token.as_bytes(), &mut cache, Live::NONE, now);
        c.bench_function("jwks/cache_hit_ES256_20_keys", |b| {
            b.iter(|| guard.decide(black_box(token.as_bytes()), &mut cache, Live::NONE, now))
        });
    }
}

criterion_group! {
    name = core;
    config = Criterion::default()
        .sample_size(50)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = benches
}
criterion_main!(core);
