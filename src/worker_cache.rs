//! The per-worker token cache. Workers are single-threaded, so a thread-local needs no lock.

use std::cell::RefCell;

use credentialflow_core::{defaults, TokenCache};

thread_local! {
    static CACHE: RefCell<Option<TokenCache>> = const { RefCell::new(None) };
}

/// Sizes the cache for this worker (an existing cache is replaced).
pub fn init(capacity: usize) {
    CACHE.with(|cache| *cache.borrow_mut() = Some(TokenCache::new(capacity)));
}

/// Drops every entry.
pub fn clear() {
    CACHE.with(|cache| *cache.borrow_mut() = None);
}

/// Runs `f` with this worker's cache, creating a default-sized one if `init` never ran
/// (e.g. when nginx runs without a master process and skips `init_process`).
pub fn with<T>(f: impl FnOnce(&mut TokenCache) -> T) -> T {
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        f(cache.get_or_insert_with(|| TokenCache::new(defaults::CACHE_SIZE)))
    })
}
