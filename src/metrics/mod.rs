//! Metrics, the nginx side: what the configuration says (`credentialflow_metrics`,
//! `credentialflow_metrics_label`), the few relaxed atomic adds the request path makes into
//! the zone's table (`crate::zone::metrics`), and the scrape endpoint (`endpoint.rs`). The
//! counters' layout and the Prometheus text are the core's (`credentialflow_core::metrics`).

pub mod directives;
pub mod endpoint;

use std::ptr::NonNull;
use std::sync::OnceLock;
use std::time::Instant;

use credentialflow_core::metrics::{
    at, kind_index, result_index, slot_id, CacheEvent, Clock, DEFAULT_LABEL, MAX_KEY_SOURCES,
    MAX_LABELS,
};
use credentialflow_core::oauth::ErrorCode;
use credentialflow_core::Rejection;
use ngx::http::{HttpModuleMainConf, Request};

use crate::conf::MainConf;
use crate::zone::metrics::MetricsTable;
use crate::Module;

/// What the configuration asks of the metrics, and (once the zone is initialised) where the
/// counters are.
#[derive(Default)]
pub struct MetricsConf {
    /// Whether some location serves `credentialflow_metrics`: only then is the table made
    /// and anything counted.
    endpoint: bool,
    /// Every label named by `credentialflow_metrics_label` but `default` (index + 1).
    labels: Vec<Box<str>>,
    /// Every `credentialflow_jwt_key_request` URI, at most [`MAX_KEY_SOURCES`].
    key_sources: Vec<Box<str>>,
    /// The table in the zone, set by the zone's `init` (in the master, before the fork).
    table: Option<NonNull<MetricsTable>>,
    /// The table slot of each label (by index) and each key source.
    label_slots: Vec<usize>,
    source_slots: Vec<usize>,
}

impl MetricsConf {
    /// Whether a metrics endpoint is configured.
    pub fn enabled(&self) -> bool {
        self.endpoint
    }

    /// A `credentialflow_metrics` location exists.
    pub fn enable(&mut self) {
        self.endpoint = true;
    }

    /// The index of `label`, registered now if new; `Err` beyond [`MAX_LABELS`].
    pub fn add_label(&mut self, label: &str) -> Result<usize, String> {
        if label == DEFAULT_LABEL {
            return Ok(0);
        }
        if let Some(at) = self.labels.iter().position(|known| **known == *label) {
            return Ok(at + 1);
        }
        if self.labels.len() + 1 >= MAX_LABELS {
            return Err(format!(
                "at most {MAX_LABELS} metrics labels (\"{DEFAULT_LABEL}\" included) can be named"
            ));
        }
        self.labels.push(label.into());
        Ok(self.labels.len())
    }

    /// The index of a registered label (`default` for any other).
    pub fn label_index(&self, label: Option<&str>) -> usize {
        label
            .and_then(|label| self.labels.iter().position(|known| **known == *label))
            .map_or(0, |at| at + 1)
    }

    /// The index of a key source's URI, registered now if new; `None` past the table's room.
    pub fn key_source(&mut self, uri: &str) -> Option<usize> {
        if let Some(at) = self.key_sources.iter().position(|known| **known == *uri) {
            return Some(at);
        }
        if self.key_sources.len() >= MAX_KEY_SOURCES {
            return None;
        }
        self.key_sources.push(uri.into());
        Some(self.key_sources.len() - 1)
    }

    fn label_names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(DEFAULT_LABEL).chain(self.labels.iter().map(|l| &**l))
    }

    /// The zone's `init` found or made the table: claims its slots (in the master).
    pub fn attach(&mut self, table: &MetricsTable) {
        let labels: Vec<u64> = self.label_names().map(slot_id).collect();
        let sources: Vec<u64> = self.key_sources.iter().map(|uri| slot_id(uri)).collect();
        let (label_slots, source_slots) = table.claim(&labels, &sources);
        self.label_slots = label_slots;
        self.source_slots = source_slots;
        self.table = Some(NonNull::from(table));
    }

    /// The table, where metrics are on.
    pub fn table(&self) -> Option<&MetricsTable> {
        // SAFETY: set by the zone's init to a table in the zone, which stays mapped for the
        // life of every process of this cycle.
        self.table.map(|table| unsafe { table.as_ref() })
    }

    /// Configured labels with their table slots.
    pub fn labels_with_slots(&self) -> Vec<(usize, &str)> {
        self.label_names().zip(self.label_slots.iter().copied()).map(|(n, s)| (s, n)).collect()
    }

    /// Configured key sources with their table slots.
    pub fn sources_with_slots(&self) -> Vec<(usize, &str)> {
        self.key_sources.iter().zip(&self.source_slots).map(|(n, &s)| (s, &**n)).collect()
    }
}

fn table(r: &Request) -> Option<&MetricsTable> {
    Module::main_conf(r.as_ref()).and_then(|main| main.metrics.table())
}

/// A decision's outcome at the location whose label has index `label`, for a credential of
/// `kind` (see `request_ctx::credential_kind`).
pub fn decision(r: &Request, label: usize, kind: &str, outcome: Result<(), Rejection>) {
    let Some(main) = Module::main_conf(r.as_ref()) else { return };
    let Some(table) = main.metrics.table() else { return };
    let slot = main.metrics.label_slots.get(label).copied().unwrap_or(0);
    table.add(at::decision(slot, kind_index(kind), result_index(outcome)), 1);
}

/// What one cache lookup found: a hit (worker or shared) or a miss, how long a signature
/// check took, how many worker entries were evicted, and how many the worker now holds.
pub fn lookup(
    main: &MainConf,
    cache_hit: bool,
    shared_hit: bool,
    verify_nanos: Option<u64>,
    evicted: u64,
    entries: usize,
) {
    let Some(table) = main.metrics.table() else { return };
    let event = match (cache_hit, shared_hit) {
        (true, true) => CacheEvent::SharedHit,
        (true, false) => CacheEvent::WorkerHit,
        (false, _) => CacheEvent::Miss,
    };
    table.add(at::cache(event), 1);
    if let Some(nanos) = verify_nanos {
        table.add(at::verify_bucket(nanos), 1);
        table.add(at::VERIFY_SUM, nanos);
    }
    if evicted > 0 {
        table.add(at::cache(CacheEvent::WorkerEviction), evicted);
    }
    if event == CacheEvent::Miss {
        // SAFETY: ngx_worker is set once by nginx before a worker serves requests.
        let worker: usize = unsafe { ngx::ffi::ngx_worker };
        if let Some(at) = at::worker_entries(worker) {
            table.set(at, entries as u64);
        }
    }
}

/// A key fetch for key source `source` ended, successfully or not, at `now`.
pub fn key_fetch(r: &Request, source: Option<usize>, ok: bool, now: i64) {
    let Some(main) = Module::main_conf(r.as_ref()) else { return };
    let (Some(table), Some(source)) = (main.metrics.table(), source) else { return };
    let Some(&slot) = main.metrics.source_slots.get(source) else { return };
    table.add(at::key_fetch(slot, ok), 1);
    if ok {
        table.raise(at::key_fetched_at(slot), now.max(0) as u64);
    }
}

/// The token endpoint issued a token (`Ok`) or refused the request with an error.
pub fn token_request(r: &Request, outcome: Result<(), ErrorCode>) {
    let Some(table) = table(r) else { return };
    match outcome {
        Ok(()) => table.add(at::ISSUED, 1),
        Err(code) => table.add(at::issue_refused(code), 1),
    }
}

/// The monotonic clock verifications are timed with.
pub struct Monotonic;

impl Clock for Monotonic {
    fn nanos(&self) -> u64 {
        static START: OnceLock<Instant> = OnceLock::new();
        let start = START.get_or_init(Instant::now);
        u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}
