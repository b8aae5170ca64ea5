//! The per-worker token cache, and its handle on the shared one. Workers are single-threaded,
//! so a thread-local needs no lock.

use std::cell::RefCell;
use std::ptr::NonNull;

use credentialflow_core::{defaults, TokenCache};
use ngx::ffi::ngx_shm_zone_t;

use crate::zone::{self, Identity};

/// The worker's cache and the zone its second level is attached to.
struct WorkerCache {
    cache: TokenCache,
    attached: Option<Identity>,
}

thread_local! {
    static CACHE: RefCell<Option<WorkerCache>> = const { RefCell::new(None) };
}

fn fresh(capacity: usize) -> WorkerCache {
    WorkerCache { cache: TokenCache::new(capacity), attached: None }
}

/// Sizes the cache for this worker (an existing cache is replaced).
pub fn init(capacity: usize) {
    CACHE.with(|cache| *cache.borrow_mut() = Some(fresh(capacity)));
}

/// Drops every entry.
pub fn clear() {
    CACHE.with(|cache| *cache.borrow_mut() = None);
}

/// Runs `f` with this worker's cache, creating a default-sized one if `init` never ran
/// (e.g. when nginx runs without a master process and skips `init_process`). The shared level
/// is `zone`'s, attached on first use and again whenever the zone is another one (a reload
/// with `master_process off`, where the same process serves the new cycle).
pub fn with<T>(zone: Option<NonNull<ngx_shm_zone_t>>, f: impl FnOnce(&mut TokenCache) -> T) -> T {
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        let worker = cache.get_or_insert_with(|| fresh(defaults::CACHE_SIZE));
        let identity = zone.and_then(zone::identity);
        if identity != worker.attached {
            worker.cache.set_shared(zone.filter(|_| identity.is_some()).and_then(zone::attach));
            worker.attached = identity;
        }
        f(&mut worker.cache)
    })
}
