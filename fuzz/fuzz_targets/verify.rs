//! JWS parsing, signature verification and a location's whole decision (cache, claims,
//! policy, revocation, forwarded claims, scopes).
//!
//! Input: either a raw compact token, or — when it starts with `{` — `HEADER_JSON \n
//! PAYLOAD_JSON`, which is minted into a token signed with the fixture key that the header's
//! `alg` names, so the fuzzer gets past the signature into claim and policy handling.
#![no_main]

use credentialflow_core::claims_view::ClaimsView;
use credentialflow_core::reject::Rejection;
use credentialflow_core::credential::is_b64token;
use credentialflow_core::jose::header::HeaderMemo;
use credentialflow_core::jose::jws;
use credentialflow_core::{TokenCache, VerifiedToken};
use credentialflow_fuzz::{
    guard, live, mint, AUDIENCE, ISSUER, LEEWAY, NOW, REVOKED_JTI, REVOKED_SUB, SCOPE,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.first() == Some(&b'{') {
        let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
        let (header, payload) = (&data[..split], data.get(split + 1..).unwrap_or_default());
        check(&mint(header, payload));
    } else {
        check(data);
    }
});

fn check(token: &[u8]) {
    let guard = guard();
    let memo = &mut HeaderMemo::default();
    if let Ok(parsed) = jws::parse(token, memo) {
        assert!(token.starts_with(parsed.signing_input));
        assert_eq!(jws::payload_segment(token), Some(parsed.payload_segment));
    }
    let verified = credentialflow_fuzz::verifier().verify(token, memo);
    if let Ok(token_ok) = &verified {
        assert_eq!(token_ok.claims.token(), token);
        let view = ClaimsView::new(token_ok);
        for name in ["sub", "scope", "aud", "exp", "custom", "nested"] {
            let _ = view.has_claim(name);
            let _ = view.text(name);
        }
    }
    // A fresh cache per input keeps runs reproducible: miss, hit, then expiry.
    let mut cache = TokenCache::new(2);
    for now in [NOW, NOW, NOW + 7200] {
        let decision = guard.decide(token, &mut cache, live(), now);
        if token.len() > guard.max_token_size {
            assert_eq!(decision.verdict.err(), Some(Rejection::TooLarge));
            continue;
        }
        match &verified {
            // What is not b64token syntax is refused as such (and can never verify).
            _ if !is_b64token(token) => {
                assert_eq!(decision.verdict.as_ref().err(), Some(&Rejection::BadCredentialSyntax));
            }
            // The cache never turns a rejected token into a verified one.
            Err(rejection) => {
                assert_eq!(decision.verdict.as_ref().err(), Some(rejection));
            }
            // The guard's copy also holds the claims it stores (it forwards `tenant`).
            Ok(verified) => {
                if let Ok(accepted) = &decision.verdict {
                    assert_eq!(summary(&accepted.token), summary(verified));
                }
            }
        }
        if let Ok(accepted) = &decision.verdict {
            let claims = &accepted.token.claims;
            // Each forwarded claim is sent, withheld or absent: never two of these.
            assert!(accepted.forwarded.len() + accepted.withheld.len() <= guard.forwarded.len());
            assert!(claims.exp().is_some_and(|exp| now < exp.saturating_add(LEEWAY)));
            assert!(claims.sub().is_some());
            assert_eq!(claims.iss(), Some(ISSUER));
            assert!(claims.audiences().is_some_and(|mut a| a.any(|a| a == AUDIENCE)));
            assert!(claims.has_scope(SCOPE));
            assert_ne!(claims.jti(), Some(REVOKED_JTI));
            assert_ne!(claims.sub(), Some(REVOKED_SUB));
            for sent in &accepted.forwarded {
                let value = &sent.value;
                assert!(value.bytes().all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f)), "{value:?}");
            }
        }
    }
}

/// Everything a verification yields, except the custom claims a guard stores alongside.
fn summary(token: &VerifiedToken) -> impl PartialEq + std::fmt::Debug + '_ {
    let c = &token.claims;
    (
        (token.alg, c.token(), [c.exp(), c.nbf(), c.iat()]),
        [c.iss(), c.sub(), c.jti(), c.scope(), c.kid(), c.typ()],
        c.audiences().map(Iterator::collect::<Vec<_>>),
    )
}
