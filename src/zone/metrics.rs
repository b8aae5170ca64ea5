//! The metrics table in the zone: a fixed array of `AtomicU64` counters every worker adds to
//! with relaxed atomics (no lock on the request path), laid out by
//! `credentialflow_core::metrics`, and the identities of the location labels and key sources
//! that own its slots. It is allocated only when some location serves `credentialflow_metrics`
//! (17 KiB, five slab pages): a zone without a metrics endpoint keeps all its room for tokens and revocations.
//!
//! Slots are claimed by name, not by position in the configuration: a reload that adds,
//! removes or reorders labels keeps each label's counters. Claiming happens in the zone's
//! `init`, in the master, before any worker of the new cycle runs.

use core::sync::atomic::{AtomicU64, Ordering};

use credentialflow_core::metrics::{assign_slots, COUNTERS, MAX_KEY_SOURCES, MAX_LABELS};

/// The table; its address is the same in every worker (the zone is mapped before the fork).
#[repr(C)]
pub struct MetricsTable {
    /// Which label owns each decision slot (its name's id; 0: free).
    label_ids: [AtomicU64; MAX_LABELS],
    /// Which key source owns each fetch slot.
    source_ids: [AtomicU64; MAX_KEY_SOURCES],
    counters: [AtomicU64; COUNTERS],
}

impl MetricsTable {
    /// An empty table.
    pub fn new() -> MetricsTable {
        MetricsTable {
            label_ids: [const { AtomicU64::new(0) }; MAX_LABELS],
            source_ids: [const { AtomicU64::new(0) }; MAX_KEY_SOURCES],
            counters: [const { AtomicU64::new(0) }; COUNTERS],
        }
    }

    /// Adds `n` to counter `at` (an index from `credentialflow_core::metrics::at`).
    #[inline]
    pub fn add(&self, at: usize, n: u64) {
        if let Some(counter) = self.counters.get(at) {
            counter.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Sets counter `at` to `value` (a gauge).
    pub fn set(&self, at: usize, value: u64) {
        if let Some(counter) = self.counters.get(at) {
            counter.store(value, Ordering::Relaxed);
        }
    }

    /// Raises counter `at` to `value` if it is lower (the time of the latest event).
    pub fn raise(&self, at: usize, value: u64) {
        if let Some(counter) = self.counters.get(at) {
            counter.fetch_max(value, Ordering::Relaxed);
        }
    }

    /// A copy of every counter.
    pub fn snapshot(&self) -> Vec<u64> {
        self.counters.iter().map(|c| c.load(Ordering::Relaxed)).collect()
    }

    /// Claims a slot for each label id and each key source id (the master, in `init`): a
    /// name keeps the slot it had; a slot whose owner is gone is reused, zeroed first.
    pub fn claim(&self, labels: &[u64], sources: &[u64]) -> (Vec<usize>, Vec<usize>) {
        let label_slots = self.claim_in(&self.label_ids, labels, |slot| {
            for kind in 0..credentialflow_core::metrics::KINDS.len() {
                for result in 0..credentialflow_core::metrics::RESULTS.len() {
                    let at = credentialflow_core::metrics::at::decision(slot, kind, result);
                    self.set(at, 0);
                }
            }
        });
        let source_slots = self.claim_in(&self.source_ids, sources, |slot| {
            use credentialflow_core::metrics::at;
            for at in
                [at::key_fetch(slot, true), at::key_fetch(slot, false), at::key_fetched_at(slot)]
            {
                self.set(at, 0);
            }
        });
        (label_slots, source_slots)
    }

    fn claim_in(&self, owners: &[AtomicU64], wanted: &[u64], reset: impl Fn(usize)) -> Vec<usize> {
        let existing: Vec<u64> = owners.iter().map(|o| o.load(Ordering::Relaxed)).collect();
        let (slots, fresh) = assign_slots(&existing, wanted);
        for (slot, id) in fresh {
            reset(slot);
            if let Some(owner) = owners.get(slot) {
                owner.store(id, Ordering::Relaxed);
            }
        }
        slots
    }
}
