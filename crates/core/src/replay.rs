//! Replay protection: a token's `jti` is accepted once. The store that remembers which were
//! used lives outside this crate (the shared zone, or Redis, in the module); this file says
//! what it must do and what it is keyed by.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::BuildHasher;

use foldhash::fast::FixedState;

use crate::jose::claims::Claims;

/// What a store says of a token's first use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirstUse {
    /// Not seen before: now recorded.
    First,
    /// Seen before, and that record has not ended.
    Replayed,
    /// Cannot be recorded (the store is full, or unreachable): the token is refused, since
    /// accepting it would let it be used again.
    Unavailable,
}

/// Remembers used tokens until they expire.
pub trait ReplayStore {
    /// Records `key` until `until` unless it is recorded already (an unexpired record is
    /// never dropped to make room). `client` ([`replay_client`]) is whose share of the store
    /// the record counts against, where the store has shares.
    fn first_use(&self, key: &[u8], client: u64, until: i64, now: i64) -> FirstUse;
}

/// Whose share of a replay store a token's record counts against: its issuer with its
/// `client_id` (RFC 9068 §2.2), else its `sub`, as a content id (the same in every process).
/// One client using token after token once each must run into its own share, not fill the
/// store that every client's replay-protected requests need.
pub fn replay_client(claims: &Claims) -> u64 {
    let iss = claims.iss_bytes().unwrap_or_default();
    let who = claims.client_id_bytes().or_else(|| claims.sub_bytes()).unwrap_or_default();
    crate::fingerprint::content_id([b"replay client".as_slice(), iss, b"\0", who])
}

/// The claims a token needs at a location with replay protection: a `jti` to be remembered
/// by, and an `exp` to be remembered until.
pub const REQUIRED_CLAIMS: [&str; 2] = ["jti", "exp"];

/// `required` with [`REQUIRED_CLAIMS`] added where missing (a location with replay protection).
pub fn with_required_claims(mut required: Vec<Box<str>>) -> Vec<Box<str>> {
    for needed in REQUIRED_CLAIMS {
        if !required.iter().any(|name| &**name == needed) {
            required.push(needed.into());
        }
    }
    required
}

/// What a token is remembered by: its issuer and `jti` (two issuers may pick the same `jti`),
/// `None` without a `jti`.
pub fn replay_key(claims: &Claims) -> Option<Vec<u8>> {
    let jti = claims.jti_bytes()?;
    let iss = claims.iss_bytes().unwrap_or_default();
    // The issuer's length first: no (iss, jti) pair reads as another.
    let mut key = Vec::with_capacity(8 + iss.len() + jti.len());
    key.extend_from_slice(&(iss.len() as u64).to_le_bytes());
    key.extend_from_slice(iss);
    key.extend_from_slice(jti);
    Some(key)
}

/// The hash that picks a record's bucket in a store shared by processes: the same in each
/// for the same `seed` (a store keeps one random seed for its lifetime).
pub fn record_hash(seed: u64, key: &[u8]) -> u64 {
    FixedState::with_seed(seed).hash_one(key)
}

/// A [`ReplayStore`] in this process's memory, with a capacity: the reference the rules are
/// tested against.
#[derive(Debug, Default)]
pub struct InMemoryReplay {
    capacity: usize,
    seen: RefCell<HashMap<Vec<u8>, i64>>,
}

impl InMemoryReplay {
    /// A store of at most `capacity` unexpired records.
    pub fn new(capacity: usize) -> InMemoryReplay {
        InMemoryReplay { capacity, seen: RefCell::default() }
    }
}

impl ReplayStore for InMemoryReplay {
    fn first_use(&self, key: &[u8], _client: u64, until: i64, now: i64) -> FirstUse {
        let mut seen = self.seen.borrow_mut();
        if seen.get(key).is_some_and(|&end| end >= now) {
            return FirstUse::Replayed;
        }
        seen.retain(|_, end| *end >= now);
        if seen.len() >= self.capacity {
            return FirstUse::Unavailable;
        }
        seen.insert(key.to_vec(), until);
        FirstUse::First
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_issuer_and_jti_unambiguously() {
        let key = |json: &str| replay_key(&Claims::parse(json.as_bytes()).unwrap());
        assert_eq!(key(r#"{"iss":"a"}"#), None);
        assert_ne!(key(r#"{"iss":"ab","jti":"c"}"#), key(r#"{"iss":"a","jti":"bc"}"#));
        assert_eq!(key(r#"{"jti":"c"}"#), key(r#"{"iss":"","jti":"c"}"#));
    }

    #[test]
    fn the_reference_store_never_evicts_a_live_record() {
        let store = InMemoryReplay::new(1);
        assert_eq!(store.first_use(b"a", 0, 10, 0), FirstUse::First);
        assert_eq!(store.first_use(b"a", 0, 10, 5), FirstUse::Replayed);
        assert_eq!(store.first_use(b"b", 0, 10, 5), FirstUse::Unavailable);
        assert_eq!(store.first_use(b"b", 0, 20, 11), FirstUse::First, "a's record ended");
    }
}
