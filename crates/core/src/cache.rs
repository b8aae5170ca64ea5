//! A per-worker LRU of verified tokens, with the worker's memo of parsed JOSE headers.
//!
//! Keyed by the verifier's identity and the *whole* token, compared in full on a hit: no hash
//! collision can ever return another token's claims. Entries never outlive the token's `exp`;
//! tokens without `exp` are not cached. The caller still applies the location's policy,
//! revocation and scopes to every hit.
//!
//! Each entry is one allocation (the claims record, which holds the token) plus a 40-byte slot
//! in a vector and a 4-byte index in a hash table; the recency list links slots by index. A
//! general-purpose LRU map would add a boxed node and a 16-byte bucket per entry, about 70
//! bytes, which a 100,000-entry cache in 64 MiB cannot afford.

use foldhash::fast::RandomState;
use hashbrown::HashTable;
use std::hash::BuildHasher;

use crate::jose::header::HeaderMemo;
use crate::shared_cache::SharedTokens;
use crate::verifier::VerifiedToken;

/// "No slot": the end of the recency list or of the free list.
const NIL: u32 = u32::MAX;

/// Largest supported capacity: slot numbers are `u32`, and `NIL` is reserved.
pub const MAX_CAPACITY: usize = (u32::MAX - 1) as usize;

struct Slot {
    verifier_id: u64,
    /// `None` while the slot is on the free list.
    token: Option<VerifiedToken>,
    /// The next more recently used slot (or the next free slot).
    newer: u32,
    /// The next less recently used slot.
    older: u32,
}

/// The cache; `capacity == 0` turns caching off, the shared level's included (the header
/// memo stays): a worker that caches nothing itself asks no one else either.
pub struct TokenCache {
    /// The last few JOSE headers parsed on a miss (see [`HeaderMemo`]).
    headers: HeaderMemo,
    capacity: usize,
    slots: Vec<Slot>,
    /// Slot numbers, hashed by (verifier id, token).
    index: HashTable<u32>,
    hasher: RandomState,
    len: usize,
    newest: u32,
    oldest: u32,
    free: u32,
    /// The second level, shared by every worker (see [`crate::shared_cache`]); asked only
    /// after a miss here.
    shared: Option<Box<dyn SharedTokens>>,
    /// Entries evicted to make room (for metrics).
    evictions: u64,
}

/// Bytes of the token's end that are hashed.
const HASHED_TAIL: usize = 32;

/// Hashes the verifier, the length and the token's last bytes: the end of a compact JWS is its
/// signature, which differs between any two tokens a key has signed, and only verified tokens
/// are stored, so the tail spreads entries as well as the whole token would, at a tenth of the
/// cost. Hits still compare the whole token.
fn key_hash(hasher: &RandomState, verifier_id: u64, token: &[u8]) -> u64 {
    let tail = token.get(token.len().saturating_sub(HASHED_TAIL)..).unwrap_or(token);
    hasher.hash_one((verifier_id, token.len(), tail))
}

fn slot_hash(hasher: &RandomState, slot: Option<&Slot>) -> u64 {
    match slot {
        Some(Slot { verifier_id, token: Some(token), .. }) => {
            key_hash(hasher, *verifier_id, token.claims.token())
        }
        _ => 0,
    }
}

impl TokenCache {
    /// A cache of at most `capacity` tokens (at most [`MAX_CAPACITY`]).
    pub fn new(capacity: usize) -> Self {
        TokenCache {
            headers: HeaderMemo::default(),
            capacity: capacity.min(MAX_CAPACITY),
            slots: Vec::new(),
            index: HashTable::new(),
            hasher: RandomState::default(),
            len: 0,
            newest: NIL,
            oldest: NIL,
            free: NIL,
            shared: None,
            evictions: 0,
        }
    }

    /// How many entries were evicted to make room, since the cache was made.
    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    /// Sets (or removes) the second level asked after a miss.
    pub fn set_shared(&mut self, shared: Option<Box<dyn SharedTokens>>) {
        self.shared = shared;
    }

    /// Whether a second level is set.
    pub fn has_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// The second level's verification of `token` under `verifier_id`, checked here whatever
    /// the store did: it must be for this very token (compared in full) and unexpired. A hit
    /// is also kept in this worker's cache, so the next one takes no lock.
    pub fn shared_get(
        &mut self,
        verifier_id: u64,
        token: &[u8],
        now: i64,
    ) -> Option<VerifiedToken> {
        if self.capacity == 0 {
            return None;
        }
        let found = self.shared.as_ref()?.get(verifier_id, token, now)?;
        if found.claims.token() != token || found.claims.exp().is_none_or(|exp| now >= exp) {
            return None;
        }
        self.insert(verifier_id, found.clone(), now);
        Some(found)
    }

    /// Gives a fresh verification to the second level (tokens without `exp`, or past it, are
    /// not kept, as here).
    pub fn shared_put(&self, verifier_id: u64, verified: &VerifiedToken, now: i64) {
        if self.capacity == 0 || verified.claims.exp().is_none_or(|exp| now >= exp) {
            return;
        }
        if let Some(shared) = &self.shared {
            shared.put(verifier_id, verified, now);
        }
    }

    /// The memo of recently parsed JOSE headers, for verifying a token that missed.
    pub fn header_memo(&mut self) -> &mut HeaderMemo {
        &mut self.headers
    }

    /// The configured capacity.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The number of cached tokens.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn slot(&mut self, at: u32) -> Option<&mut Slot> {
        self.slots.get_mut(at as usize)
    }

    /// Takes slot `at` out of the recency list.
    fn unlink(&mut self, at: u32) {
        let Some(slot) = self.slot(at) else { return };
        let (newer, older) = (slot.newer, slot.older);
        match self.slot(newer) {
            Some(slot) => slot.older = older,
            None => self.newest = older,
        }
        match self.slot(older) {
            Some(slot) => slot.newer = newer,
            None => self.oldest = newer,
        }
    }

    /// Puts slot `at` at the recent end of the list.
    fn link_newest(&mut self, at: u32) {
        let previous = self.newest;
        if let Some(slot) = self.slot(at) {
            slot.newer = NIL;
            slot.older = previous;
        }
        match self.slot(previous) {
            Some(slot) => slot.newer = at,
            None => self.oldest = at,
        }
        self.newest = at;
    }

    /// Forgets the token in slot `at` and puts the slot on the free list.
    fn remove(&mut self, at: u32) {
        if self.slots.get(at as usize).is_none_or(|slot| slot.token.is_none()) {
            return;
        }
        let hash = slot_hash(&self.hasher, self.slots.get(at as usize));
        if let Ok(entry) = self.index.find_entry(hash, |&i| i == at) {
            entry.remove();
        }
        self.unlink(at);
        let free = self.free;
        if let Some(slot) = self.slot(at) {
            slot.token = None;
            slot.newer = free;
            self.free = at;
            self.len = self.len.saturating_sub(1);
        }
    }

    /// The cached verification of `token` by verifier `verifier_id`, if still unexpired.
    pub fn get(&mut self, verifier_id: u64, token: &[u8], now: i64) -> Option<VerifiedToken> {
        if self.len == 0 {
            return None;
        }
        let hash = key_hash(&self.hasher, verifier_id, token);
        let slots = &self.slots;
        let at = *self.index.find(hash, |&i| {
            slots.get(i as usize).is_some_and(|slot| {
                slot.verifier_id == verifier_id
                    && slot.token.as_ref().is_some_and(|t| t.claims.token() == token)
            })
        })?;
        let found = self.slot(at)?.token.clone()?;
        if found.claims.exp().is_some_and(|exp| now < exp) {
            self.unlink(at);
            self.link_newest(at);
            return Some(found);
        }
        self.remove(at);
        None
    }

    /// Remembers a verification; tokens without `exp`, or already past it, are not kept. The
    /// key is `verified`'s own token (see [`crate::jose::claims::Claims::token`]).
    pub fn insert(&mut self, verifier_id: u64, verified: VerifiedToken, now: i64) {
        if self.capacity == 0 || verified.claims.exp().is_none_or(|exp| now >= exp) {
            return;
        }
        let key = verified.claims.token();
        let hash = key_hash(&self.hasher, verifier_id, key);
        let slots = &self.slots;
        let existing = self.index.find(hash, |&i| {
            slots.get(i as usize).is_some_and(|slot| {
                slot.verifier_id == verifier_id
                    && slot.token.as_ref().is_some_and(|t| t.claims.token() == key)
            })
        });
        if let Some(&at) = existing {
            self.remove(at);
        }
        if self.len >= self.capacity {
            self.remove(self.oldest);
            self.evictions = self.evictions.wrapping_add(1);
        }
        let at = match self.free {
            NIL => {
                let Ok(at) = u32::try_from(self.slots.len()) else { return };
                self.slots.push(Slot { verifier_id, token: None, newer: NIL, older: NIL });
                at
            }
            free => {
                self.free = self.slot(free).map_or(NIL, |slot| slot.newer);
                free
            }
        };
        let Some(slot) = self.slot(at) else { return };
        slot.verifier_id = verifier_id;
        slot.token = Some(verified);
        self.len += 1;
        self.link_newest(at);
        let (slots, hasher) = (&self.slots, &self.hasher);
        self.index.insert_unique(hash, at, |&i| slot_hash(hasher, slots.get(i as usize)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::alg::Algorithm;
    use crate::jose::claims::Claims;

    fn verified(token: &str, exp: Option<i64>) -> VerifiedToken {
        let json = match exp {
            Some(exp) => format!(r#"{{"sub":"alice","exp":{exp}}}"#),
            None => r#"{"sub":"alice"}"#.to_string(),
        };
        let claims = Claims::parse_for_token(json.as_bytes(), None, None, token.as_bytes());
        VerifiedToken { alg: Algorithm::HS256, claims: claims.unwrap() }
    }

    #[test]
    fn hits_need_the_same_verifier_and_the_whole_token() {
        let mut cache = TokenCache::new(4);
        cache.insert(1, verified("a.b.c", Some(100)), 0);
        assert_eq!(cache.get(1, b"a.b.c", 0).unwrap().claims.token(), b"a.b.c");
        assert!(cache.get(2, b"a.b.c", 0).is_none());
        assert!(cache.get(1, b"a.b.cd", 0).is_none());
        assert!(cache.get(1, b"a.b.", 0).is_none());
        cache.insert(2, verified("a.b.c", Some(100)), 0);
        cache.insert(1, verified("a.b.c", Some(100)), 0);
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn entries_never_outlive_exp() {
        let mut cache = TokenCache::new(4);
        cache.insert(1, verified("t", Some(100)), 0);
        assert!(cache.get(1, b"t", 99).is_some());
        assert!(cache.get(1, b"t", 100).is_none());
        assert!(cache.is_empty());
        cache.insert(1, verified("n", None), 0);
        cache.insert(1, verified("old", Some(5)), 5);
        assert!(cache.is_empty());
    }

    #[test]
    fn evicts_least_recent_and_can_be_off() {
        let mut cache = TokenCache::new(2);
        for t in ["1", "2"] {
            cache.insert(1, verified(t, Some(100)), 0);
        }
        assert!(cache.get(1, b"1", 0).is_some());
        cache.insert(1, verified("3", Some(100)), 0);
        assert_eq!(cache.len(), 2);
        assert!(cache.get(1, b"2", 0).is_none());
        assert!(cache.get(1, b"1", 0).is_some() && cache.get(1, b"3", 0).is_some());
        let mut off = TokenCache::new(0);
        off.insert(1, verified("1", Some(100)), 0);
        assert!(off.get(1, b"1", 0).is_none());
        assert_eq!(off.capacity(), 0);
    }

    #[test]
    fn matches_a_reference_model_under_churn() {
        // Random inserts, hits and expiries against a plain Vec-based LRU.
        let mut cache = TokenCache::new(8);
        let mut model: Vec<(u64, String, i64)> = Vec::new();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for now in 0..5_000i64 {
            let r = next();
            let id = r % 2;
            let token = format!("t{}", (r >> 8) % 20);
            if r & 0x10000 == 0 {
                let exp = now + 1 + (r >> 32) as i64 % 50;
                cache.insert(id, verified(&token, Some(exp)), now);
                model.retain(|(i, t, _)| !(*i == id && *t == token));
                if model.len() == 8 {
                    model.remove(0);
                }
                model.push((id, token, exp));
            } else {
                let got = cache.get(id, token.as_bytes(), now).map(|v| v.claims.exp());
                let at = model.iter().position(|(i, t, _)| *i == id && *t == token);
                let want = at.and_then(|at| {
                    let entry = model.remove(at);
                    (now < entry.2).then(|| {
                        model.push(entry.clone());
                        Some(entry.2)
                    })
                });
                assert_eq!(got, want, "step {now}");
            }
            assert_eq!(cache.len(), model.len(), "step {now}");
        }
    }
}
