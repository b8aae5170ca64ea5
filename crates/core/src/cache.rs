//! A per-worker LRU of verified tokens.
//!
//! Keyed by the verifier's identity and the *whole* token, compared in full on a hit: no hash
//! collision can ever return another token's claims. Entries never outlive the token's `exp`;
//! tokens without `exp` are not cached. The caller still applies the location's policy,
//! revocation and scopes to every hit.

use std::num::NonZeroUsize;
use std::sync::Arc;

use lru::LruCache;

use crate::verifier::VerifiedToken;

/// The cache; `capacity == 0` turns it off.
pub struct TokenCache {
    entries: Option<LruCache<Box<[u8]>, Arc<VerifiedToken>>>,
    /// Reused for lookups so that a hit allocates nothing.
    scratch: Vec<u8>,
}

impl TokenCache {
    /// A cache of at most `capacity` tokens.
    pub fn new(capacity: usize) -> Self {
        TokenCache { entries: NonZeroUsize::new(capacity).map(LruCache::new), scratch: Vec::new() }
    }

    /// The configured capacity.
    pub fn capacity(&self) -> usize {
        self.entries.as_ref().map_or(0, |lru| lru.cap().get())
    }

    /// The number of cached tokens.
    pub fn len(&self) -> usize {
        self.entries.as_ref().map_or(0, LruCache::len)
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn key_into(scratch: &mut Vec<u8>, verifier_id: u64, token: &[u8]) {
        scratch.clear();
        scratch.extend_from_slice(&verifier_id.to_le_bytes());
        scratch.extend_from_slice(token);
    }

    /// The cached verification of `token` by verifier `verifier_id`, if still unexpired.
    pub fn get(&mut self, verifier_id: u64, token: &[u8], now: i64) -> Option<Arc<VerifiedToken>> {
        let entries = self.entries.as_mut()?;
        Self::key_into(&mut self.scratch, verifier_id, token);
        let entry = entries.get(self.scratch.as_slice())?;
        if entry.claims.exp.is_some_and(|exp| now < exp) {
            return Some(Arc::clone(entry));
        }
        entries.pop(self.scratch.as_slice());
        None
    }

    /// Remembers a verification; tokens without `exp`, or already past it, are not kept.
    pub fn insert(
        &mut self,
        verifier_id: u64,
        token: &[u8],
        verified: Arc<VerifiedToken>,
        now: i64,
    ) {
        let Some(entries) = self.entries.as_mut() else { return };
        if verified.claims.exp.is_none_or(|exp| now >= exp) {
            return;
        }
        Self::key_into(&mut self.scratch, verifier_id, token);
        entries.put(self.scratch.as_slice().into(), verified);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alg::Algorithm;
    use crate::token::claims::Claims;

    fn verified(exp: Option<i64>) -> Arc<VerifiedToken> {
        Arc::new(VerifiedToken {
            alg: Algorithm::HS256,
            claims: {
                let mut claims = Claims::parse(br#"{"sub":"alice"}"#).unwrap();
                claims.exp = exp;
                claims
            },
        })
    }

    #[test]
    fn hits_need_the_same_verifier_and_the_whole_token() {
        let mut cache = TokenCache::new(4);
        cache.insert(1, b"a.b.c", verified(Some(100)), 0);
        assert!(cache.get(1, b"a.b.c", 0).is_some());
        assert!(cache.get(2, b"a.b.c", 0).is_none());
        assert!(cache.get(1, b"a.b.cd", 0).is_none());
        assert!(cache.get(1, b"a.b.", 0).is_none());
    }

    #[test]
    fn entries_never_outlive_exp() {
        let mut cache = TokenCache::new(4);
        cache.insert(1, b"t", verified(Some(100)), 0);
        assert!(cache.get(1, b"t", 99).is_some());
        assert!(cache.get(1, b"t", 100).is_none());
        assert!(cache.is_empty());
        cache.insert(1, b"n", verified(None), 0);
        cache.insert(1, b"old", verified(Some(5)), 5);
        assert!(cache.is_empty());
    }

    #[test]
    fn evicts_least_recent_and_can_be_off() {
        let mut cache = TokenCache::new(2);
        for t in [&b"1"[..], b"2", b"3"] {
            cache.insert(1, t, verified(Some(100)), 0);
        }
        assert_eq!(cache.len(), 2);
        assert!(cache.get(1, b"1", 0).is_none());
        let mut off = TokenCache::new(0);
        off.insert(1, b"1", verified(Some(100)), 0);
        assert!(off.get(1, b"1", 0).is_none());
        assert_eq!(off.capacity(), 0);
    }
}
