//! A key set fetched from an identity provider's JWKS URI (`credentialflow_jwt_key_request`):
//! when to fetch, what a fetched document becomes, and what stays in force when a fetch
//! fails. No I/O here: the nginx layer fetches (a subrequest) and reports back.
//!
//! The rules:
//! - a set is used for `ttl`, then fetched again; until a fetch succeeds the old set stays
//!   in force, however old (the IdP being down must not lock every client out);
//! - a token whose key is not in the set (`NoMatchingKey`) makes the set be fetched at once,
//!   but at most once per `refresh` interval, whatever the tokens say (random `kid`s must not
//!   become a flood towards the IdP);
//! - one fetch at a time: a request that needs the fetch under way waits for it;
//! - with no good set ever fetched, a request is answered 503, never 401 (its token may be
//!   fine) and never 200;
//! - a fetched set passes the checks of a key file, and HMAC keys are never taken from a
//!   document anyone can read: a bad key is skipped with a warning, the rest are used.

use std::sync::Arc;

use crate::jose::alg::{AlgorithmSet, KeyFamily};
use crate::jose::keys::{jwks, VerifyKey};
use crate::verifier::Verifier;

/// Largest JWKS document read (1 MiB); a larger one is a failed fetch.
pub const MAX_DOCUMENT: usize = 1024 * 1024;
/// Most keys taken from a published set, in document order; the rest are skipped with a
/// warning (identity providers publish a handful; a set of thousands is an attack on the
/// verifier, or a misconfiguration).
pub const MAX_PUBLISHED_KEYS: usize = 100;

/// How a location uses its fetched keys, decided at config time.
#[derive(Clone, Debug)]
pub struct RemoteKeyConfig {
    /// Seconds a fetched set is used before it is fetched again.
    pub ttl: i64,
    /// Shortest interval between two fetches, in seconds.
    pub refresh: i64,
    /// Keys from `credentialflow_jwt_key` files at the same level: always in the set.
    pub file_keys: Vec<VerifyKey>,
    /// `credentialflow_algorithms`.
    pub allowed: Option<AlgorithmSet>,
}

/// What a request should do about the keys.
#[derive(Clone, Debug)]
pub enum KeysNeed {
    /// Decide with this verifier.
    Ready(Arc<Verifier>),
    /// Start a fetch (this request fetches; the others will wait for it).
    Fetch,
    /// A fetch is under way: wait for it.
    Wait,
    /// No set was ever fetched and the last try failed within `refresh`: answer 503.
    Unavailable,
}

/// What became of a fetch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchOutcome {
    /// The set in force now: how many keys, their `kid`s, and what was skipped.
    Refreshed {
        /// Keys fetched (file keys not counted).
        count: usize,
        /// Their `kid`s (`-` for none).
        kids: Vec<String>,
        /// Keys skipped, and why.
        skipped: Vec<String>,
    },
    /// The old set (if any) stays in force.
    Failed {
        /// Why, never quoting the document.
        reason: String,
        /// The first failure after a success (or ever): log it; later ones are not logged.
        first_in_streak: bool,
    },
}

/// One location's fetched keys in one worker.
#[derive(Debug)]
pub struct RemoteKeys {
    config: Arc<RemoteKeyConfig>,
    /// The file keys and the fetched keys, ready; `None` until a fetch succeeds (or when
    /// only file keys exist, they are used until then).
    current: Option<Arc<Verifier>>,
    /// When `current` was fetched (`None`: never).
    fetched_at: Option<i64>,
    /// When the last fetch started.
    last_attempt: Option<i64>,
    /// How many fetches ended (succeeded or failed); an abandoned one does not count.
    completed: u64,
    in_flight: bool,
    failing: bool,
}

impl RemoteKeys {
    /// No keys fetched yet; file keys (if any) are in force from the start.
    pub fn new(config: Arc<RemoteKeyConfig>) -> RemoteKeys {
        let current = match config.file_keys.is_empty() {
            true => None,
            false => Verifier::new(config.file_keys.clone(), config.allowed).ok().map(Arc::new),
        };
        RemoteKeys {
            config,
            current,
            fetched_at: None,
            last_attempt: None,
            completed: 0,
            in_flight: false,
            failing: false,
        }
    }

    /// Whether a fetch may start now: none under way, none started within `refresh`.
    fn may_fetch(&self, now: i64) -> bool {
        !self.in_flight
            && self.last_attempt.is_none_or(|at| now >= at.saturating_add(self.config.refresh))
    }

    /// What a request arriving now needs before it can be decided.
    pub fn need(&self, now: i64) -> KeysNeed {
        let expired = self.fetched_at.is_none_or(|at| now >= at.saturating_add(self.config.ttl));
        match (&self.current, self.fetched_at) {
            // Fetched and fresh.
            (Some(current), Some(_)) if !expired => KeysNeed::Ready(Arc::clone(current)),
            // Stale, or only file keys so far: fetch if allowed, else use what there is.
            _ if self.may_fetch(now) => KeysNeed::Fetch,
            // A fetch is under way and nothing was ever fetched: its result is needed.
            (_, None) if self.in_flight => KeysNeed::Wait,
            (Some(current), _) => KeysNeed::Ready(Arc::clone(current)),
            (None, _) if self.in_flight => KeysNeed::Wait,
            (None, _) => KeysNeed::Unavailable,
        }
    }

    /// What a request whose token has no key in the set does: fetch (if allowed), wait for
    /// the fetch under way, or accept the refusal (`None`).
    pub fn need_for_unknown_key(&self, now: i64) -> Option<KeysNeed> {
        if self.in_flight {
            return Some(KeysNeed::Wait);
        }
        self.may_fetch(now).then_some(KeysNeed::Fetch)
    }

    /// A fetch starts now.
    pub fn fetch_started(&mut self, now: i64) {
        self.in_flight = true;
        self.last_attempt = Some(now);
    }

    /// The fetch under way ended without an answer from the identity provider (nginx ended
    /// the request that carried it). It used up the refresh interval all the same: whatever
    /// happens to the requests that start fetches, at most one starts per interval (the nginx
    /// layer keeps a client going away from ending a fetch: its fetches run in the background).
    pub fn fetch_abandoned(&mut self) {
        self.in_flight = false;
    }

    /// How many fetches have ended with an answer (success or failure): a request that waited
    /// and sees this number unchanged waited for an abandoned fetch, and may wait again.
    pub fn completed(&self) -> u64 {
        self.completed
    }

    /// The set in force, however stale (file keys alone before the first fetch).
    pub fn current(&self) -> Option<Arc<Verifier>> {
        self.current.clone()
    }

    /// Whether a fetch is under way.
    pub fn fetching(&self) -> bool {
        self.in_flight
    }

    /// The fetch ended: `Ok` with the document of a 200 answer, `Err` with why not.
    pub fn fetch_finished(&mut self, now: i64, result: Result<&[u8], String>) -> FetchOutcome {
        self.in_flight = false;
        self.completed += 1;
        match result.and_then(|document| self.prepare(document)) {
            Ok((verifier, outcome)) => {
                self.current = Some(Arc::new(verifier));
                self.fetched_at = Some(now);
                self.failing = false;
                outcome
            }
            Err(reason) => {
                let first_in_streak = !self.failing;
                self.failing = true;
                FetchOutcome::Failed { reason, first_in_streak }
            }
        }
    }

    /// A document's keys joined with the file keys, checked as a key file's are.
    fn prepare(&self, document: &[u8]) -> Result<(Verifier, FetchOutcome), String> {
        if document.len() > MAX_DOCUMENT {
            return Err(format!("the document is larger than {} bytes", MAX_DOCUMENT));
        }
        let loaded = jwks::parse_published(document).map_err(|e| e.to_string())?;
        let mut skipped = loaded.skipped;
        let mut fetched = Vec::new();
        for key in loaded.keys {
            match key.family {
                KeyFamily::Hmac => skipped.push(format!(
                    "key \"{}\": a secret (kty oct) in a published key set",
                    key.kid.as_deref().unwrap_or("-")
                )),
                _ => fetched.push(key),
            }
        }
        if fetched.is_empty() {
            return Err("no usable key in the document".into());
        }
        if fetched.len() > MAX_PUBLISHED_KEYS {
            skipped.push(format!(
                "{} keys after the first {MAX_PUBLISHED_KEYS} (at most {MAX_PUBLISHED_KEYS} are \
                 taken from a published set)",
                fetched.len() - MAX_PUBLISHED_KEYS
            ));
            fetched.truncate(MAX_PUBLISHED_KEYS);
        }
        let kids = fetched.iter().map(|k| k.kid.as_deref().unwrap_or("-").to_string()).collect();
        let count = fetched.len();
        let keys = self.config.file_keys.iter().cloned().chain(fetched).collect();
        let verifier = Verifier::new(keys, self.config.allowed).map_err(|e| e.to_string())?;
        Ok((verifier, FetchOutcome::Refreshed { count, kids, skipped }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::alg::Algorithm;
    use crate::jose::keys::{parse_key_file, KeyFormat};

    const JWKS: &str = r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#;

    fn keys(ttl: i64, refresh: i64) -> RemoteKeys {
        let config = RemoteKeyConfig { ttl, refresh, file_keys: Vec::new(), allowed: None };
        RemoteKeys::new(Arc::new(config))
    }

    fn is(need: KeysNeed) -> &'static str {
        match need {
            KeysNeed::Ready(_) => "ready",
            KeysNeed::Fetch => "fetch",
            KeysNeed::Wait => "wait",
            KeysNeed::Unavailable => "unavailable",
        }
    }

    #[test]
    fn a_published_set_gives_at_most_its_first_hundred_keys() {
        let key = JWKS.trim_start_matches(r#"{"keys":["#).trim_end_matches("]}");
        let many: Vec<String> = (0..MAX_PUBLISHED_KEYS + 5)
            .map(|at| key.replace(r#""k1""#, &format!(r#""k{at}""#)))
            .collect();
        let document = format!(r#"{{"keys":[{}]}}"#, many.join(","));
        let mut k = keys(600, 30);
        k.fetch_started(0);
        match k.fetch_finished(0, Ok(document.as_bytes())) {
            FetchOutcome::Refreshed { count, skipped, .. } => {
                assert_eq!(count, MAX_PUBLISHED_KEYS);
                assert!(
                    skipped.iter().any(|s| s.starts_with("5 keys after the first 100")),
                    "{skipped:?}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_cold_set_is_fetched_once_and_waited_for() {
        let mut k = keys(600, 30);
        assert_eq!(is(k.need(0)), "fetch");
        k.fetch_started(0);
        assert_eq!(is(k.need(0)), "wait", "others wait for the one fetch");
        assert_eq!(is(k.need(100)), "wait", "however long it takes");
        let outcome = k.fetch_finished(1, Ok(JWKS.as_bytes()));
        assert!(matches!(outcome, FetchOutcome::Refreshed { count: 1, .. }), "{outcome:?}");
        assert_eq!(is(k.need(1)), "ready");
        assert_eq!(is(k.need(600)), "ready", "ttl counts from the fetch");
        assert_eq!(is(k.need(601)), "fetch");
    }

    #[test]
    fn a_failed_cold_fetch_answers_503_until_the_next_try() {
        let mut k = keys(600, 30);
        k.fetch_started(0);
        let first = k.fetch_finished(0, Err("connection refused".into()));
        assert_eq!(
            first,
            FetchOutcome::Failed { reason: "connection refused".into(), first_in_streak: true }
        );
        assert_eq!(is(k.need(10)), "unavailable");
        assert_eq!(is(k.need(30)), "fetch", "tried again after refresh");
        k.fetch_started(30);
        let again = k.fetch_finished(30, Err("status 500".into()));
        assert!(matches!(again, FetchOutcome::Failed { first_in_streak: false, .. }));
        k.fetch_started(60);
        k.fetch_finished(60, Ok(JWKS.as_bytes()));
        k.fetch_started(700);
        let after_success = k.fetch_finished(700, Err("timeout".into()));
        assert!(matches!(after_success, FetchOutcome::Failed { first_in_streak: true, .. }));
    }

    #[test]
    fn the_last_good_set_stays_when_fetches_fail() {
        let mut k = keys(600, 30);
        k.fetch_started(0);
        k.fetch_finished(0, Ok(JWKS.as_bytes()));
        assert_eq!(is(k.need(700)), "fetch");
        k.fetch_started(700);
        assert_eq!(is(k.need(700)), "ready", "a stale set serves while the fetch is under way");
        k.fetch_finished(701, Err("status 502".into()));
        assert_eq!(is(k.need(702)), "ready", "and after it failed");
        assert_eq!(is(k.need(730)), "fetch", "tried again after refresh");
        for bad in [
            "{",
            r#"{"keys":[]}"#,
            r#"{"keys":[{"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]}"#,
        ] {
            k.fetch_started(800);
            assert!(
                matches!(k.fetch_finished(800, Ok(bad.as_bytes())), FetchOutcome::Failed { .. }),
                "{bad}"
            );
            assert_eq!(is(k.need(801)), "ready");
        }
        let huge = vec![b' '; MAX_DOCUMENT + 1];
        k.fetch_started(900);
        assert!(matches!(k.fetch_finished(900, Ok(&huge)), FetchOutcome::Failed { .. }));
    }

    #[test]
    fn an_abandoned_fetch_uses_up_the_refresh_interval() {
        // However many fetches end without an answer, at most one starts per interval.
        let mut k = keys(600, 30);
        k.fetch_started(0);
        k.fetch_abandoned();
        assert_eq!(is(k.need(0)), "unavailable", "cold: 503 until the interval has passed");
        assert_eq!(k.completed(), 0);
        assert_eq!(is(k.need(30)), "fetch");
        k.fetch_started(30);
        k.fetch_finished(30, Ok(JWKS.as_bytes()));
        assert_eq!(k.completed(), 1);
        // An unknown kid's refetch, abandoned: the next unknown kid waits for the interval.
        assert!(k.need_for_unknown_key(60).is_some());
        k.fetch_started(60);
        k.fetch_abandoned();
        for at in 60..90 {
            assert!(k.need_for_unknown_key(at).is_none(), "{at}");
            assert_eq!(is(k.need(at)), "ready", "the set in force serves meanwhile");
        }
        assert!(matches!(k.need_for_unknown_key(90), Some(KeysNeed::Fetch)));
    }

    #[test]
    fn unknown_keys_refetch_at_most_once_per_refresh() {
        let mut k = keys(600, 30);
        k.fetch_started(0);
        k.fetch_finished(0, Ok(JWKS.as_bytes()));
        assert!(k.need_for_unknown_key(10).is_none(), "within refresh of the last fetch");
        assert!(matches!(k.need_for_unknown_key(30), Some(KeysNeed::Fetch)));
        k.fetch_started(30);
        assert!(matches!(k.need_for_unknown_key(30), Some(KeysNeed::Wait)));
        k.fetch_finished(31, Ok(JWKS.as_bytes()));
        // A stream of random kids: one fetch per interval at most.
        let fetches = (31..331).filter(|&now| {
            let fetch = matches!(k.need_for_unknown_key(now), Some(KeysNeed::Fetch));
            if fetch {
                k.fetch_started(now);
                k.fetch_finished(now, Ok(JWKS.as_bytes()));
            }
            fetch
        });
        assert_eq!(fetches.count(), 10);
    }

    #[test]
    fn secrets_in_a_published_set_are_skipped_and_file_keys_always_count() {
        let mixed =
            r#"{"keys":[{"kty":"oct","kid":"s","k":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},"#
                .to_string()
                + &JWKS[9..];
        let mut k = keys(600, 30);
        k.fetch_started(0);
        match k.fetch_finished(0, Ok(mixed.as_bytes())) {
            FetchOutcome::Refreshed { count, kids, skipped } => {
                assert_eq!((count, kids), (1, vec!["k1".to_string()]));
                assert!(skipped.iter().any(|s| s.contains("kty oct")), "{skipped:?}");
            }
            other => panic!("{other:?}"),
        }
        let secret = parse_key_file(b"0123456789abcdef0123456789abcdef", Some(KeyFormat::Secret));
        let config = RemoteKeyConfig {
            ttl: 600,
            refresh: 30,
            file_keys: secret.unwrap().keys,
            allowed: None,
        };
        let mut with_file = RemoteKeys::new(Arc::new(config));
        assert_eq!(is(with_file.need(0)), "fetch", "file keys alone: still fetch");
        with_file.fetch_started(0);
        assert!(matches!(with_file.need(0), KeysNeed::Wait));
        with_file.fetch_finished(0, Err("down".into()));
        match with_file.need(1) {
            KeysNeed::Ready(v) => assert!(v.algorithms().contains(Algorithm::HS256)),
            other => panic!("file keys serve while the IdP is down: {other:?}"),
        }
    }
}
