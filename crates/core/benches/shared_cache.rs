//! The cost of a hit in the cache the workers share (L2) against a hit in the worker's own
//! cache (L1), in `AccessRules::decide`, with an in-memory `SharedTokens`: what the core adds
//! to an L2 hit (reading the entry back with `Claims::from_record`, the checks, the copy into
//! L1). The shared-memory store's own cost (the slab lock, the bucket walk, the copy out of
//! the zone) is measured through nginx; see README, "credentialflow_zone".
//!
//! Run: `cargo bench -p credentialflow-core --bench shared_cache`.
//! Two HS256 tokens are decided in turn (the same issuer/audience/scope policy as the `core`
//! bench):
//!   shared/l1_hit    a 16-entry worker cache: both tokens are L1 hits
//!   shared/l2_hit    a 1-entry worker cache: each token evicts the other, so every decision
//!                    misses L1, hits L2 and is copied back into L1
use std::hint::black_box;
use std::sync::Arc;

use credentialflow_core::defaults::MAX_TOKEN_SIZE;
use credentialflow_core::jose::keys::{parse_key_file, KeyFormat};
use credentialflow_core::revocation::{RevocationList, RevocationSet};
use credentialflow_core::shared_cache::InMemorySharedTokens;
use credentialflow_core::{AccessRules, Algorithm, Live, Policy, TokenCache, Verifier};
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;

mod common;
use common::{mint, signing_key, unix_now, BENCH_SECRET};

fn rules() -> AccessRules {
    let keys = parse_key_file(BENCH_SECRET, Some(KeyFormat::Secret)).expect("bench secret").keys;
    let verifier = Arc::new(Verifier::new(keys, None).expect("verifier"));
    let policy = Policy {
        issuers: vec!["https://issuer.bench.example".into()],
        audiences: vec!["bench-api".into()],
        required_scopes: vec!["read".into()],
        ..Policy::default()
    };
    AccessRules::new(verifier, policy, false, Vec::new(), MAX_TOKEN_SIZE)
}

fn tokens(now: i64) -> [String; 2] {
    let key = signing_key(Algorithm::HS256, BENCH_SECRET);
    [1, 2].map(|n| {
        let claims = json!({
            "iss": "https://issuer.bench.example", "sub": format!("user-{n:06}"),
            "aud": "bench-api", "scope": "read write", "jti": format!("bench-{n:08}"),
            "email": format!("user-{n:06}@example.com"), "iat": now, "exp": now + 24 * 3600,
        });
        mint(Algorithm::HS256, &key, None, &claims)
    })
}

fn bench(c: &mut Criterion) {
    let now = unix_now();
    let rules = rules();
    let tokens = tokens(now);
    let mut group = c.benchmark_group("shared");
    for (name, l1) in [("l1_hit", 16), ("l2_hit", 1)] {
        let mut cache = TokenCache::new(l1);
        cache.set_shared(Some(Box::new(InMemorySharedTokens::new(16))));
        for token in &tokens {
            assert!(rules.decide(token.as_bytes(), &mut cache, Live::NONE, now).verdict.is_ok());
        }
        let expect_shared = l1 == 1;
        let mut turn = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                turn ^= 1;
                let token = &tokens[turn];
                let d = rules.decide(black_box(token.as_bytes()), &mut cache, Live::NONE, now);
                debug_assert!(d.cache_hit && d.shared_hit == expect_shared && d.verdict.is_ok());
                d
            })
        });
    }
    // An L1 hit with 10,000 revocations in force (none matching): the revocation check's cost
    // on the hottest path (target: within 0.3 µs of the L1 hit above).
    let lines: Vec<String> = (0..9_997)
        .map(|n| format!("jti revoked-{n:08} until=4102444800"))
        .chain([
            "kid retired".into(),
            "sub former before=1700000000".into(),
            "client_id old".into(),
        ])
        .collect();
    let list = RevocationList::parse(lines.join("\n").as_bytes()).expect("revocations");
    let revocations: RevocationSet = list.entries().iter().collect();
    let live = Live { revocations: Some(&revocations), ..Live::NONE };
    let mut cache = TokenCache::new(16);
    for token in &tokens {
        assert!(rules.decide(token.as_bytes(), &mut cache, live, now).verdict.is_ok());
    }
    let mut turn = 0;
    group.bench_function("l1_hit_10k_revocations", |b| {
        b.iter(|| {
            turn ^= 1;
            let d = rules.decide(black_box(tokens[turn].as_bytes()), &mut cache, live, now);
            debug_assert!(d.cache_hit && d.verdict.is_ok());
            d
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
