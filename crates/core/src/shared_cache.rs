//! The second-level token cache: verified tokens shared by every worker of one nginx.
//!
//! The worker's own [`TokenCache`](crate::TokenCache) stays first (a hit there takes no lock);
//! a miss asks the [`SharedTokens`] store before verifying, and a fresh verification is given
//! to both. With N workers a token is then verified once, not N times. The store lives outside
//! this crate (nginx shared memory, in the module); this file defines what it must do and the
//! pieces every implementation shares: how an entry is encoded and read back, and its hash.
//!
//! An entry is keyed by the rules' cache id (the key set's generation, see
//! [`Verifier::id`](crate::Verifier::id)) and the *whole* token, compared in full on a hit; its
//! value is the algorithm and the claims record ([`Claims::record`]). What a store hands back
//! is checked again by [`TokenCache::shared_get`](crate::TokenCache::shared_get): the record in
//! full, the token byte for byte, and `exp`, so a store's mistake cannot serve another token's
//! claims or an expired token.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;

use foldhash::fast::FixedState;

use crate::jose::alg::Algorithm;
use crate::jose::claims::Claims;
use crate::verifier::VerifiedToken;

/// Verified tokens shared between the processes of one server.
pub trait SharedTokens {
    /// The verification of `token` stored under cache id `id`, if unexpired at `now`.
    fn get(&self, id: u64, token: &[u8], now: i64) -> Option<VerifiedToken>;
    /// Stores a verification under `id` (keyed by its own token). Implementations must never
    /// fail the request: a full store evicts, or drops the entry.
    fn put(&self, id: u64, token: &VerifiedToken, now: i64);
}

/// The byte that names `alg` in a stored entry: its place in [`Algorithm::ALL`].
pub fn alg_code(alg: Algorithm) -> u8 {
    Algorithm::ALL.iter().position(|&a| a == alg).map_or(u8::MAX, |at| at as u8)
}

/// A stored entry read back: `None` unless `alg` names an algorithm and `record` is a claims
/// record in every detail (see [`Claims::from_record`]).
pub fn decode(alg: u8, record: &[u8]) -> Option<VerifiedToken> {
    let alg = *Algorithm::ALL.get(usize::from(alg))?;
    let claims = Claims::from_record(record).ok()?;
    Some(VerifiedToken { alg, claims })
}

/// Bytes of the token's end that are hashed (as in the worker's cache).
const HASHED_TAIL: usize = 32;

/// The hash that picks an entry's bucket: the same in every process for the same `seed`
/// (a store keeps one random seed for its lifetime). Like the worker cache, it covers the
/// id, the length and the token's tail (its signature); a hit still compares the whole token.
pub fn key_hash(seed: u64, id: u64, token: &[u8]) -> u64 {
    let tail = token.get(token.len().saturating_sub(HASHED_TAIL)..).unwrap_or(token);
    FixedState::with_seed(seed).hash_one((id, token.len(), tail))
}

/// (cache id, token).
type Key = (u64, Box<[u8]>);
/// (algorithm code, claims record).
type Stored = (u8, Box<[u8]>);

/// A [`SharedTokens`] in this process's memory, LRU by insertion and use: the reference the
/// cache logic is tested and benchmarked against. It keeps entries as encoded bytes, so a hit
/// pays the same decoding as a hit in shared memory.
pub struct InMemorySharedTokens {
    capacity: usize,
    entries: RefCell<HashMap<Key, Stored>>,
    recency: RefCell<VecDeque<Key>>,
    /// How many `put` calls were made, stored or not.
    pub puts: Cell<usize>,
}

impl InMemorySharedTokens {
    /// A store of at most `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        InMemorySharedTokens {
            capacity,
            entries: RefCell::default(),
            recency: RefCell::default(),
            puts: Cell::new(0),
        }
    }

    /// Entries stored.
    pub fn len(&self) -> usize {
        self.entries.borrow().len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Replaces the entry of (`id`, `token`) by raw bytes, as a torn or foreign write would.
    pub fn overwrite(&self, id: u64, token: &[u8], alg: u8, record: &[u8]) {
        self.entries.borrow_mut().insert((id, token.into()), (alg, record.into()));
    }

    fn touch(&self, key: &Key) {
        let mut recency = self.recency.borrow_mut();
        recency.retain(|k| k != key);
        recency.push_back(key.clone());
    }
}

impl SharedTokens for InMemorySharedTokens {
    fn get(&self, id: u64, token: &[u8], now: i64) -> Option<VerifiedToken> {
        let key = (id, Box::<[u8]>::from(token));
        let found = self.entries.borrow().get(&key).cloned()?;
        self.touch(&key);
        // Expiry is the caller's to check too; this store deliberately leaves it to the
        // caller, so that the caller's check is what the tests exercise.
        let _ = now;
        decode(found.0, &found.1)
    }

    fn put(&self, id: u64, token: &VerifiedToken, now: i64) {
        self.puts.set(self.puts.get() + 1);
        if self.capacity == 0 || token.claims.exp().is_none_or(|exp| now >= exp) {
            return;
        }
        let key = (id, Box::<[u8]>::from(token.claims.token()));
        let value = (alg_code(token.alg), Box::<[u8]>::from(token.claims.record()));
        if self.entries.borrow_mut().insert(key.clone(), value).is_none()
            && self.len() > self.capacity
        {
            let oldest = self.recency.borrow_mut().pop_front();
            if let Some(oldest) = oldest {
                self.entries.borrow_mut().remove(&oldest);
            }
        }
        self.touch(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithms_round_trip_and_unknown_codes_are_refused() {
        let claims = Claims::parse_for_token(br#"{"exp":5}"#, None, None, b"a.b.c").unwrap();
        for alg in Algorithm::ALL {
            let back = decode(alg_code(alg), claims.record()).unwrap();
            assert_eq!((back.alg, back.claims), (alg, claims.clone()));
        }
        assert!(decode(Algorithm::ALL.len() as u8, claims.record()).is_none());
        assert!(decode(0, &claims.record()[1..]).is_none());
    }

    #[test]
    fn the_hash_is_a_function_of_seed_id_and_token() {
        let token = b"header.payload.signature-bytes-that-are-long-enough-to-be-cut";
        assert_eq!(key_hash(7, 1, token), key_hash(7, 1, token));
        assert_ne!(key_hash(7, 1, token), key_hash(8, 1, token));
        assert_ne!(key_hash(7, 1, token), key_hash(7, 2, token));
        assert_ne!(key_hash(7, 1, token), key_hash(7, 1, &token[1..]));
    }
}
