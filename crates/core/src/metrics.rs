//! Metrics: where each counter sits in the flat table of `u64`s the shared zone keeps (every
//! worker adds to it), and the Prometheus text (exposition format 0.0.4) a scrape of that
//! table becomes. No nginx and no atomics here: the nginx layer owns the memory and hands a
//! copy of the values to [`render`].
//!
//! The table: decisions per (location label, credential kind, result); cache lookups;
//! the verification-time histogram; fetches per key source (and when the last one
//! succeeded); tokens issued and issuance refusals by error; each worker's cache entries.

use std::fmt::Write;

use crate::oauth::ErrorCode;
use crate::reject::Rejection;
use crate::revocation::RevocationKind;

/// Location labels (`credentialflow_metrics_label`) the table has room for, `default` included.
pub const MAX_LABELS: usize = 64;
/// The longest label.
pub const MAX_LABEL_LEN: usize = 64;
/// Key sources (`credentialflow_jwt_key_request` URIs) whose fetches are counted.
pub const MAX_KEY_SOURCES: usize = 16;
/// Workers whose cache entries are reported (by `ngx_worker`; later workers are not).
pub const MAX_WORKERS: usize = 64;

/// The label of a location that sets none.
pub const DEFAULT_LABEL: &str = "default";

/// Credential kinds: `none` (no credential was found), `jwt`, `api_key`.
pub const KINDS: [&str; 3] = ["none", "jwt", "api_key"];

/// Every value of `$credentialflow_status` a decision can have: `ok` and each
/// [`Rejection::status_name`].
pub const RESULTS: [&str; 10] = [
    "ok",
    "missing",
    "invalid",
    "expired",
    "not_yet_valid",
    "revoked",
    "insufficient_scope",
    "forbidden",
    "replayed",
    "unavailable",
];

/// Upper bounds of the verification-time histogram's buckets, in nanoseconds (`+Inf` after).
pub const VERIFY_BUCKETS_NS: [u64; 11] = [
    10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000,
    25_000_000,
];

/// The token endpoint's refusals, by RFC 6749 §5.2 error.
pub const ISSUE_ERRORS: [ErrorCode; 7] = [
    ErrorCode::InvalidRequest,
    ErrorCode::InvalidClient,
    ErrorCode::UnauthorizedClient,
    ErrorCode::UnsupportedGrantType,
    ErrorCode::InvalidScope,
    ErrorCode::InvalidTarget,
    ErrorCode::UnsupportedTokenType,
];

/// A cache lookup's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheEvent {
    /// Found in the worker's own cache.
    WorkerHit,
    /// Found in the cache the workers share.
    SharedHit,
    /// Not found: the token was verified (or refused before a cache could answer).
    Miss,
    /// A worker cache entry evicted to make room.
    WorkerEviction,
}

/// Something that tells elapsed time; the nginx layer's monotonic clock, or a test's.
pub trait Clock {
    /// Nanoseconds since some fixed point.
    fn nanos(&self) -> u64;
}

const DECISIONS: usize = 0;
const DECISION_COUNT: usize = MAX_LABELS * KINDS.len() * RESULTS.len();
const CACHE: usize = DECISIONS + DECISION_COUNT;
const CACHE_COUNT: usize = 4;
const VERIFY: usize = CACHE + CACHE_COUNT;
/// Buckets, then `+Inf`, then the sum in nanoseconds.
const VERIFY_COUNT: usize = VERIFY_BUCKETS_NS.len() + 2;
const KEYS: usize = VERIFY + VERIFY_COUNT;
/// Per source: fetches that succeeded, fetches that failed, when the last success was.
const KEYS_PER_SOURCE: usize = 3;
const KEYS_COUNT: usize = MAX_KEY_SOURCES * KEYS_PER_SOURCE;
const ISSUED: usize = KEYS + KEYS_COUNT;
const REFUSED: usize = ISSUED + 1;
const ENTRIES: usize = REFUSED + ISSUE_ERRORS.len();

/// How many counters the table holds.
pub const COUNTERS: usize = ENTRIES + MAX_WORKERS;

/// Where a counter is in the table. Every function returns an index below [`COUNTERS`]
/// (out-of-range arguments are clamped to the last slot of their group, never beyond).
pub mod at {
    use super::*;

    /// A decision at the location labelled by table slot `label`, for a credential of kind
    /// `kind` (an index into [`KINDS`]), with `result` (an index into [`RESULTS`]).
    pub fn decision(label: usize, kind: usize, result: usize) -> usize {
        let label = label.min(MAX_LABELS - 1);
        let kind = kind.min(KINDS.len() - 1);
        let result = result.min(RESULTS.len() - 1);
        DECISIONS + (label * KINDS.len() + kind) * RESULTS.len() + result
    }

    /// A cache lookup's outcome.
    pub fn cache(event: CacheEvent) -> usize {
        CACHE
            + match event {
                CacheEvent::WorkerHit => 0,
                CacheEvent::SharedHit => 1,
                CacheEvent::Miss => 2,
                CacheEvent::WorkerEviction => 3,
            }
    }

    /// The histogram bucket a verification of `nanos` falls in (not cumulative).
    pub fn verify_bucket(nanos: u64) -> usize {
        VERIFY
            + VERIFY_BUCKETS_NS
                .iter()
                .position(|&bound| nanos <= bound)
                .unwrap_or(VERIFY_BUCKETS_NS.len())
    }

    /// The sum of every verification's time, in nanoseconds.
    pub const VERIFY_SUM: usize = VERIFY + VERIFY_BUCKETS_NS.len() + 1;

    /// A fetch of key source `source` that succeeded (`ok`) or failed.
    pub fn key_fetch(source: usize, ok: bool) -> usize {
        KEYS + source.min(MAX_KEY_SOURCES - 1) * KEYS_PER_SOURCE + usize::from(!ok)
    }

    /// When key source `source` was last fetched successfully (Unix seconds; 0: never).
    pub fn key_fetched_at(source: usize) -> usize {
        KEYS + source.min(MAX_KEY_SOURCES - 1) * KEYS_PER_SOURCE + 2
    }

    /// Tokens issued by the token endpoint.
    pub const ISSUED: usize = super::ISSUED;

    /// A token request refused with `code`.
    pub fn issue_refused(code: ErrorCode) -> usize {
        REFUSED + ISSUE_ERRORS.iter().position(|&c| c == code).unwrap_or(0)
    }

    /// The entries in worker `worker`'s cache, as it last reported (a gauge, stored).
    pub fn worker_entries(worker: usize) -> Option<usize> {
        (worker < MAX_WORKERS).then_some(ENTRIES + worker)
    }
}

/// The index into [`RESULTS`] of a decision's outcome.
pub fn result_index(outcome: Result<(), Rejection>) -> usize {
    let name = match outcome {
        Ok(()) => "ok",
        Err(rejection) => rejection.status_name(),
    };
    RESULTS.iter().position(|&r| r == name).unwrap_or(RESULTS.len() - 1)
}

/// The index into [`KINDS`] of a credential kind (`""`: none found; unknown kinds count as
/// the last).
pub fn kind_index(kind: &str) -> usize {
    match kind {
        "" => 0,
        kind => KINDS.iter().position(|&k| k == kind).unwrap_or(KINDS.len() - 1),
    }
}

/// The identity a label or key source owns its table slot by: a 64-bit FNV-1a hash of its
/// name, never 0 (0 marks a free slot). The same in every worker and after a reload.
pub fn slot_id(name: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash.max(1)
}

/// Table slots for `wanted` ids, given the ids that own the slots now (`existing`; 0: free):
/// an id keeps its slot; a new id takes a free slot, else one whose owner is not wanted any
/// more. Returns each wanted id's slot (in `wanted` order; ids beyond the table get the
/// last slot, never counted under another's name since callers refuse so many) and the slots
/// that change owner, with their new id (their counters start again from 0).
pub fn assign_slots(existing: &[u64], wanted: &[u64]) -> (Vec<usize>, Vec<(usize, u64)>) {
    let mut owners = existing.to_vec();
    let mut fresh = Vec::new();
    let mut slots = Vec::with_capacity(wanted.len());
    for &id in wanted {
        if let Some(slot) = owners.iter().position(|&owner| owner == id) {
            slots.push(slot);
            continue;
        }
        let free = owners
            .iter()
            .position(|&owner| owner == 0)
            .or_else(|| owners.iter().position(|owner| !wanted.contains(owner)));
        match free {
            Some(slot) => {
                if let Some(owner) = owners.get_mut(slot) {
                    *owner = id;
                }
                fresh.push((slot, id));
                slots.push(slot);
            }
            None => slots.push(owners.len().saturating_sub(1)),
        }
    }
    (slots, fresh)
}

/// Whether `label` may be a location label: 1 to [`MAX_LABEL_LEN`] bytes of ASCII letters,
/// digits, `_`, `-`, `.`, `:` and `/` (no quoting is ever needed).
pub fn is_valid_label(label: &str) -> bool {
    (1..=MAX_LABEL_LEN).contains(&label.len())
        && label.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.:/".contains(&b))
}

/// Everything a scrape shows, read by the nginx layer.
pub struct Scrape<'a> {
    /// A copy of the table ([`COUNTERS`] values; missing ones read as 0).
    pub counters: &'a [u64],
    /// The configured labels, with their table slots.
    pub labels: &'a [(usize, &'a str)],
    /// The configured key sources (their URIs), with their table slots.
    pub key_sources: &'a [(usize, &'a str)],
    /// The current time, Unix seconds.
    pub now: i64,
    /// Entries in the shared token cache.
    pub shared_entries: u64,
    /// Shared cache entries evicted to make room.
    pub shared_evictions: u64,
    /// Revocations held in the zone, by kind ([`RevocationKind::ALL`] order).
    pub revocations: &'a [(RevocationKind, u64)],
}

impl Scrape<'_> {
    fn value(&self, at: usize) -> u64 {
        self.counters.get(at).copied().unwrap_or(0)
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A label value with Prometheus's escapes (`\\`, `\"`, `\n`).
fn escaped(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Seconds as Prometheus writes a float.
fn seconds(nanos: u64) -> String {
    let text = format!("{:.9}", nanos as f64 / 1e9);
    let text = text.trim_end_matches('0');
    text.strip_suffix('.').map_or_else(|| text.to_string(), |t| t.to_string())
}

/// The Prometheus text of a scrape: HELP and TYPE lines for every metric, then its samples.
pub fn render(scrape: &Scrape<'_>) -> String {
    let mut out = String::with_capacity(8192);

    header(
        &mut out,
        "credentialflow_decisions_total",
        "counter",
        "Access decisions, by location label, credential kind and result ($credentialflow_status).",
    );
    for &(slot, label) in scrape.labels {
        for (kind_at, kind) in KINDS.iter().enumerate() {
            for (result_at, result) in RESULTS.iter().enumerate() {
                let value = scrape.value(at::decision(slot, kind_at, result_at));
                let _ = writeln!(
                    out,
                    "credentialflow_decisions_total{{label=\"{}\",credential=\"{kind}\",result=\"{result}\"}} {value}",
                    escaped(label)
                );
            }
        }
    }

    header(
        &mut out,
        "credentialflow_cache_lookups_total",
        "counter",
        "Token cache lookups: hits in the worker's cache, in the shared zone, and misses.",
    );
    for (event, result) in [
        (CacheEvent::WorkerHit, "worker_hit"),
        (CacheEvent::SharedHit, "shared_hit"),
        (CacheEvent::Miss, "miss"),
    ] {
        let value = scrape.value(at::cache(event));
        let _ = writeln!(out, "credentialflow_cache_lookups_total{{result=\"{result}\"}} {value}");
    }
    header(
        &mut out,
        "credentialflow_cache_evictions_total",
        "counter",
        "Cache entries evicted to make room, by cache level.",
    );
    let worker_evictions = scrape.value(at::cache(CacheEvent::WorkerEviction));
    let _ = writeln!(
        out,
        "credentialflow_cache_evictions_total{{level=\"worker\"}} {worker_evictions}"
    );
    let _ = writeln!(
        out,
        "credentialflow_cache_evictions_total{{level=\"shared\"}} {}",
        scrape.shared_evictions
    );
    header(
        &mut out,
        "credentialflow_cache_entries",
        "gauge",
        "Verified tokens cached: in every worker's cache (summed), and in the shared zone.",
    );
    let worker_entries: u64 = (0..MAX_WORKERS)
        .filter_map(at::worker_entries)
        .map(|at| scrape.value(at))
        .fold(0u64, u64::saturating_add);
    let _ = writeln!(out, "credentialflow_cache_entries{{level=\"worker\"}} {worker_entries}");
    let _ =
        writeln!(out, "credentialflow_cache_entries{{level=\"shared\"}} {}", scrape.shared_entries);

    header(
        &mut out,
        "credentialflow_verify_duration_seconds",
        "histogram",
        "Time spent verifying a token that no cache held (signature and claims).",
    );
    let mut cumulative = 0u64;
    for (i, bound) in VERIFY_BUCKETS_NS.iter().enumerate() {
        cumulative = cumulative.saturating_add(scrape.value(VERIFY + i));
        let _ = writeln!(
            out,
            "credentialflow_verify_duration_seconds_bucket{{le=\"{}\"}} {cumulative}",
            seconds(*bound)
        );
    }
    cumulative = cumulative.saturating_add(scrape.value(VERIFY + VERIFY_BUCKETS_NS.len()));
    let _ =
        writeln!(out, "credentialflow_verify_duration_seconds_bucket{{le=\"+Inf\"}} {cumulative}");
    let _ = writeln!(
        out,
        "credentialflow_verify_duration_seconds_sum {}",
        seconds(scrape.value(at::VERIFY_SUM))
    );
    let _ = writeln!(out, "credentialflow_verify_duration_seconds_count {cumulative}");

    header(
        &mut out,
        "credentialflow_key_fetches_total",
        "counter",
        "Key set fetches from an identity provider (credentialflow_jwt_key_request), by result.",
    );
    for &(slot, uri) in scrape.key_sources {
        for (ok, result) in [(true, "ok"), (false, "failed")] {
            let value = scrape.value(at::key_fetch(slot, ok));
            let _ = writeln!(
                out,
                "credentialflow_key_fetches_total{{uri=\"{}\",result=\"{result}\"}} {value}",
                escaped(uri)
            );
        }
    }
    header(
        &mut out,
        "credentialflow_key_set_age_seconds",
        "gauge",
        "Seconds since a worker last fetched the key set successfully (absent: never).",
    );
    for &(slot, uri) in scrape.key_sources {
        let fetched_at = scrape.value(at::key_fetched_at(slot));
        if fetched_at > 0 {
            let age = scrape.now.saturating_sub(fetched_at as i64).max(0);
            let _ = writeln!(
                out,
                "credentialflow_key_set_age_seconds{{uri=\"{}\"}} {age}",
                escaped(uri)
            );
        }
    }

    header(
        &mut out,
        "credentialflow_tokens_issued_total",
        "counter",
        "Tokens issued by the token endpoint.",
    );
    let _ = writeln!(out, "credentialflow_tokens_issued_total {}", scrape.value(at::ISSUED));
    header(
        &mut out,
        "credentialflow_token_requests_refused_total",
        "counter",
        "Token requests refused by the token endpoint, by RFC 6749 error.",
    );
    for code in ISSUE_ERRORS {
        let value = scrape.value(at::issue_refused(code));
        let _ = writeln!(
            out,
            "credentialflow_token_requests_refused_total{{error=\"{}\"}} {value}",
            code.name()
        );
    }

    header(
        &mut out,
        "credentialflow_revocations",
        "gauge",
        "Revocations held in the shared zone, by kind.",
    );
    for &(kind, count) in scrape.revocations {
        let _ = writeln!(out, "credentialflow_revocations{{kind=\"{}\"}} {count}", kind.word());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_is_a_result_and_indices_stay_in_the_table() {
        for r in Rejection::ALL {
            assert_eq!(RESULTS[result_index(Err(r))], r.status_name(), "{r:?}");
        }
        assert_eq!(result_index(Ok(())), 0);
        let mut seen = std::collections::HashSet::new();
        for label in 0..MAX_LABELS {
            for kind in 0..KINDS.len() {
                for result in 0..RESULTS.len() {
                    assert!(seen.insert(at::decision(label, kind, result)));
                }
            }
        }
        let others = [
            at::cache(CacheEvent::WorkerHit),
            at::cache(CacheEvent::SharedHit),
            at::cache(CacheEvent::Miss),
            at::cache(CacheEvent::WorkerEviction),
            at::verify_bucket(0),
            at::verify_bucket(u64::MAX),
            at::VERIFY_SUM,
            at::key_fetch(0, true),
            at::key_fetch(MAX_KEY_SOURCES - 1, false),
            at::key_fetched_at(MAX_KEY_SOURCES - 1),
            at::ISSUED,
            at::issue_refused(ErrorCode::UnsupportedTokenType),
            at::worker_entries(MAX_WORKERS - 1).unwrap(),
        ];
        for index in others {
            assert!(seen.insert(index), "{index} is used once");
            assert!(index < COUNTERS);
        }
        assert_eq!(at::decision(MAX_LABELS + 5, 9, 99), at::decision(MAX_LABELS - 1, 2, 9));
        assert_eq!(at::worker_entries(MAX_WORKERS), None);
    }

    #[test]
    fn kinds_and_labels() {
        assert_eq!(KINDS[kind_index("")], "none");
        assert_eq!(KINDS[kind_index("jwt")], "jwt");
        assert_eq!(KINDS[kind_index("api_key")], "api_key");
        assert!(is_valid_label("orders-api"));
        assert!(is_valid_label("default"));
        assert!(!is_valid_label(""));
        assert!(!is_valid_label("a b"));
        assert!(!is_valid_label("a\"b"));
        assert!(!is_valid_label(&"x".repeat(MAX_LABEL_LEN + 1)));
    }

    #[test]
    fn slots_are_kept_by_name_across_reloads() {
        let (a, b, c) = (slot_id("a"), slot_id("b"), slot_id("c"));
        assert_ne!(a, b);
        let (slots, fresh) = assign_slots(&[0, 0, 0], &[a, b]);
        assert_eq!(slots, vec![0, 1]);
        assert_eq!(fresh, vec![(0, a), (1, b)]);
        // Reordered, and c added: a and b keep their slots, c takes the free one.
        let (slots, fresh) = assign_slots(&[a, b, 0], &[c, b, a]);
        assert_eq!(slots, vec![2, 1, 0]);
        assert_eq!(fresh, vec![(2, c)]);
        // A full table: a label no longer configured gives its slot up.
        let (slots, fresh) = assign_slots(&[a, b, c], &[a, slot_id("d"), c]);
        assert_eq!(slots, vec![0, 1, 2]);
        assert_eq!(fresh, vec![(1, slot_id("d"))]);
    }

    #[test]
    fn verify_buckets_are_inclusive_upper_bounds() {
        assert_eq!(at::verify_bucket(0), VERIFY);
        assert_eq!(at::verify_bucket(10_000), VERIFY);
        assert_eq!(at::verify_bucket(10_001), VERIFY + 1);
        assert_eq!(at::verify_bucket(30_000_000), VERIFY + VERIFY_BUCKETS_NS.len());
    }

    #[test]
    fn renders_prometheus_text_with_help_and_type_for_every_metric() {
        let mut counters = vec![0u64; COUNTERS];
        counters[at::decision(1, 1, result_index(Ok(())))] = 3;
        counters[at::decision(1, 1, result_index(Err(Rejection::Expired)))] = 2;
        counters[at::decision(0, 0, result_index(Err(Rejection::Missing)))] = 1;
        counters[at::cache(CacheEvent::Miss)] = 4;
        counters[at::verify_bucket(40_000)] = 1;
        counters[at::verify_bucket(2_000_000)] = 2;
        counters[at::VERIFY_SUM] = 4_040_000;
        counters[at::key_fetch(0, true)] = 5;
        counters[at::key_fetched_at(0)] = 990;
        counters[at::ISSUED] = 7;
        counters[at::issue_refused(ErrorCode::InvalidClient)] = 2;
        counters[at::worker_entries(0).unwrap()] = 2;
        counters[at::worker_entries(1).unwrap()] = 3;
        let text = render(&Scrape {
            counters: &counters,
            labels: &[(0, "default"), (1, "orders")],
            key_sources: &[(0, "/_jwks")],
            now: 1000,
            shared_entries: 9,
            shared_evictions: 1,
            revocations: &[(RevocationKind::Jti, 2), (RevocationKind::Sub, 1)],
        });
        for line in [
            "credentialflow_decisions_total{label=\"orders\",credential=\"jwt\",result=\"ok\"} 3",
            "credentialflow_decisions_total{label=\"orders\",credential=\"jwt\",result=\"expired\"} 2",
            "credentialflow_decisions_total{label=\"default\",credential=\"none\",result=\"missing\"} 1",
            "credentialflow_cache_lookups_total{result=\"miss\"} 4",
            "credentialflow_cache_entries{level=\"worker\"} 5",
            "credentialflow_cache_entries{level=\"shared\"} 9",
            "credentialflow_cache_evictions_total{level=\"shared\"} 1",
            "credentialflow_verify_duration_seconds_bucket{le=\"0.00001\"} 0",
            "credentialflow_verify_duration_seconds_bucket{le=\"0.00005\"} 1",
            "credentialflow_verify_duration_seconds_bucket{le=\"0.0025\"} 3",
            "credentialflow_verify_duration_seconds_bucket{le=\"+Inf\"} 3",
            "credentialflow_verify_duration_seconds_sum 0.00404",
            "credentialflow_verify_duration_seconds_count 3",
            "credentialflow_key_fetches_total{uri=\"/_jwks\",result=\"ok\"} 5",
            "credentialflow_key_set_age_seconds{uri=\"/_jwks\"} 10",
            "credentialflow_tokens_issued_total 7",
            "credentialflow_token_requests_refused_total{error=\"invalid_client\"} 2",
            "credentialflow_revocations{kind=\"jti\"} 2",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
        }
        // Every sample's metric has HELP and TYPE lines before it.
        let mut declared = std::collections::HashSet::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                declared.insert(rest.split(' ').next().unwrap().to_string());
            } else if !line.starts_with('#') {
                let name = line.split(['{', ' ']).next().unwrap();
                let base = ["_bucket", "_sum", "_count"]
                    .iter()
                    .find_map(|s| name.strip_suffix(s).filter(|b| declared.contains(*b)))
                    .unwrap_or(name);
                assert!(declared.contains(base), "{name} has no TYPE line");
            }
        }
        assert_eq!(text.matches("# HELP ").count(), text.matches("# TYPE ").count());
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escaped("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(seconds(25_000_000), "0.025");
        assert_eq!(seconds(0), "0");
    }
}
