//! What each worker keeps for itself: its token cache, and its handles on the shared zone
//! (the cache's second level, the revocations it enforces, the replay records). Workers are
//! single-threaded, so a thread-local needs no lock.

use std::cell::RefCell;
use std::ptr::NonNull;

use credentialflow_core::{defaults, Live, Rejection, TokenCache};
use ngx::ffi::ngx_shm_zone_t;

use crate::zone::replay::ShmReplay;
use crate::zone::revocations::ShmRevocations;
use crate::zone::{self, Identity};

/// The worker's cache and the zone its handles are attached to.
struct WorkerState {
    cache: TokenCache,
    revocations: Option<ShmRevocations>,
    replay: Option<ShmReplay>,
    attached: Option<Identity>,
}

thread_local! {
    static STATE: RefCell<Option<WorkerState>> = const { RefCell::new(None) };
}

fn fresh(capacity: usize) -> WorkerState {
    WorkerState {
        cache: TokenCache::new(capacity),
        revocations: None,
        replay: None,
        attached: None,
    }
}

/// Sizes the cache for this worker (an existing state is replaced).
pub fn init(capacity: usize) {
    STATE.with(|state| *state.borrow_mut() = Some(fresh(capacity)));
}

/// Drops every entry and handle.
pub fn clear() {
    STATE.with(|state| *state.borrow_mut() = None);
}

/// Runs `f` with this worker's state, created default-sized if `init` never ran (e.g. when
/// nginx runs without a master process and skips `init_process`). The handles are `zone`'s,
/// attached on first use and again whenever the zone is another one (a reload with
/// `master_process off`, where the same process serves the new cycle).
fn with_state<T>(
    zone: Option<NonNull<ngx_shm_zone_t>>,
    f: impl FnOnce(&mut WorkerState) -> T,
) -> T {
    STATE.with(|state| {
        let mut state = state.borrow_mut();
        let worker = state.get_or_insert_with(|| fresh(defaults::CACHE_SIZE));
        let identity = zone.and_then(zone::identity);
        if identity != worker.attached {
            let handles = zone.filter(|_| identity.is_some()).and_then(zone::attach);
            let (tokens, revocations, replay) = match handles {
                Some(h) => (Some(h.tokens), Some(h.revocations), Some(h.replay)),
                None => (None, None, None),
            };
            worker.cache.set_shared(tokens);
            worker.revocations = revocations;
            worker.replay = replay;
            worker.attached = identity;
        }
        f(worker)
    })
}

/// Runs `decide` with this worker's cache and the shared state as it is now; while the zone
/// holds only part of the revocations (it ran out of memory), every token is refused as
/// [`Rejection::Unavailable`] instead.
pub fn with<T>(
    zone: Option<NonNull<ngx_shm_zone_t>>,
    decide: impl FnOnce(&mut TokenCache, Live<'_>) -> T,
) -> Result<T, Rejection> {
    with_state(zone, |worker| {
        let revocations = match worker.revocations.as_mut() {
            Some(handle) => Some(handle.current().ok_or(Rejection::Unavailable)?),
            None => None,
        };
        let replay =
            worker.replay.as_ref().map(|r| r as &dyn credentialflow_core::replay::ReplayStore);
        Ok(decide(&mut worker.cache, Live { revocations, replay, clock: None }))
    })
}

/// Runs `f` with this worker's handle on the zone's revocations (`None` without a zone).
pub fn with_revocations<T>(
    zone: Option<NonNull<ngx_shm_zone_t>>,
    f: impl FnOnce(Option<&mut ShmRevocations>) -> T,
) -> T {
    with_state(zone, |worker| f(worker.revocations.as_mut()))
}
