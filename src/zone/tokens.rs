//! The shared token cache: a hash table with an LRU list in the zone's slab, behind the core's
//! [`SharedTokens`] trait.
//!
//! An entry is one slab allocation: a fixed header, then the claims record (which holds the
//! token). Every pointer stored here points into the same slab, which is mapped at the same
//! address in every worker and across reloads that reuse it. The slab's own mutex guards the
//! table, as limit_req's does: nginx force-unlocks it when a worker dies holding it. A writer
//! that dies between its first and last change leaves `writing` set; the next holder of the
//! lock then empties the table (leaking those entries' memory) rather than follow pointers a
//! torn write may have left. The critical sections only compare, link and copy: no parsing,
//! no logging, nothing that panics; records are validated after the lock is released.

use core::alloc::Layout;
use core::ptr::{self, NonNull};
use std::hash::BuildHasher;

use credentialflow_core::shared_cache::{alg_code, decode, key_hash};
use credentialflow_core::{SharedTokens, VerifiedToken};
use ngx::allocator::{AllocError, Allocator};
use ngx::core::slab::LockedSlabPool;
use ngx::core::SlabPool;
use ngx::ffi::{NGX_LOG_ALERT, NGX_LOG_WARN};

/// At most this many least recently used entries are evicted to make room for one.
const MAX_EVICTIONS: usize = 64;
/// Expired entries looked at (from the least recently used end) on every store.
const EXPIRED_PER_PUT: usize = 2;
/// "zone full" is logged at most once in this many seconds.
const FULL_LOG_INTERVAL: i64 = 60;
/// Zone bytes per hash bucket (an entry takes about 1 KiB, so about two entries a bucket).
const BYTES_PER_BUCKET: usize = 2048;

/// The table's header, in the zone's root.
#[repr(C)]
pub struct TokenTable {
    /// Picks buckets (`key_hash`); random per zone, the same in every worker.
    seed: u64,
    buckets: *mut *mut Entry,
    bucket_mask: usize,
    /// The recency list: most and least recently used.
    newest: *mut Entry,
    oldest: *mut Entry,
    len: usize,
    /// Bytes the entries take (headers and records), and the most they may: half the zone,
    /// so that a busy cache never leaves revocations or replay records without room.
    bytes: usize,
    budget: usize,
    /// Non-zero while a writer is between its first and last change (see the module doc).
    writing: usize,
    /// When "zone full" was last logged.
    full_logged_at: i64,
    /// Entries evicted to make room, since the table was made (for metrics).
    evictions: u64,
}

/// One stored verification; its claims record follows it in the same allocation.
#[repr(C)]
struct Entry {
    bucket_next: *mut Entry,
    newer: *mut Entry,
    older: *mut Entry,
    hash: u64,
    id: u64,
    exp: i64,
    /// The allocation's size, header included.
    size: usize,
    record_len: usize,
    /// Where the token sits in the record (`Claims::token_span`).
    token_at: usize,
    token_len: usize,
    alg: u8,
}

impl TokenTable {
    /// A table sized for a zone of `zone_size` bytes, its buckets allocated in `slab`.
    pub fn new(slab: &SlabPool, zone_size: usize) -> Result<TokenTable, AllocError> {
        let count = (zone_size / BYTES_PER_BUCKET).next_power_of_two().max(64);
        let layout = Layout::array::<*mut Entry>(count).map_err(|_| AllocError)?;
        // Zeroed: every bucket starts empty (a null pointer is all zero bits).
        let buckets = slab.allocate_zeroed(layout)?;
        Ok(TokenTable {
            seed: std::collections::hash_map::RandomState::new().hash_one(zone_size),
            buckets: buckets.as_ptr().cast(),
            bucket_mask: count - 1,
            newest: ptr::null_mut(),
            oldest: ptr::null_mut(),
            len: 0,
            bytes: 0,
            budget: zone_size / credentialflow_core::defaults::TOKEN_CACHE_ZONE_SHARE,
            writing: 0,
            full_logged_at: i64::MIN,
            evictions: 0,
        })
    }

    fn bucket(&mut self, hash: u64) -> *mut *mut Entry {
        // The mask keeps the index inside the bucket array allocated in `new`.
        self.buckets.wrapping_add(hash as usize & self.bucket_mask)
    }

    /// Empties the table after a writer died mid-change; its entries' memory is lost.
    fn reset(&mut self) {
        for at in 0..=self.bucket_mask {
            // SAFETY: `at` is within the bucket array; the lock is held.
            unsafe { self.buckets.add(at).write(ptr::null_mut()) };
        }
        self.newest = ptr::null_mut();
        self.oldest = ptr::null_mut();
        self.len = 0;
        self.bytes = 0;
        self.writing = 0;
    }

    /// The entry for (`id`, `token`), walking at most `len` links (a cycle cannot hang us).
    ///
    /// # Safety
    /// The slab lock is held and the table is consistent (`writing` is clear).
    unsafe fn find(&mut self, hash: u64, id: u64, token: &[u8]) -> *mut Entry {
        let limit = self.len;
        // SAFETY: the bucket pointer is in the array; entries are live slab allocations.
        let mut at = unsafe { *self.bucket(hash) };
        for _ in 0..=limit {
            // SAFETY: as above.
            let Some(entry) = (unsafe { at.as_ref() }) else { break };
            // SAFETY: a live entry, its record after it (see `token_of`).
            if entry.hash == hash && entry.id == id && unsafe { token_of(at) } == Some(token) {
                return at;
            }
            at = entry.bucket_next;
        }
        ptr::null_mut()
    }

    /// Takes `entry` out of the recency list.
    unsafe fn unlink(&mut self, entry: *mut Entry) {
        // SAFETY: the caller holds the lock and passes a live, linked entry, whose neighbours
        // are live entries of this table or null.
        unsafe {
            let (newer, older) = ((*entry).newer, (*entry).older);
            match newer.as_mut() {
                Some(newer) => newer.older = older,
                None => self.newest = older,
            }
            match older.as_mut() {
                Some(older) => older.newer = newer,
                None => self.oldest = newer,
            }
        }
    }

    /// Frees the least recently used entry so that revocations or replay records, which the
    /// cache gives way to, find room in the slab; `false` when the cache is empty.
    pub(super) fn give_way(&mut self, slab: &impl Allocator) -> bool {
        if self.writing != 0 {
            // Torn by a dead writer: its next user resets it; nothing is freed meanwhile.
            return false;
        }
        if self.oldest.is_null() {
            return false;
        }
        self.writing = 1;
        // SAFETY: the caller holds the slab lock; `oldest` is a live entry of this table.
        unsafe { self.remove(self.oldest, slab) };
        self.evictions = self.evictions.wrapping_add(1);
        self.writing = 0;
        true
    }

    /// Puts `entry` at the recently used end of the list.
    unsafe fn link_newest(&mut self, entry: *mut Entry) {
        // SAFETY: the caller holds the lock and passes a live entry that is not linked.
        unsafe {
            (*entry).newer = ptr::null_mut();
            (*entry).older = self.newest;
            match self.newest.as_mut() {
                Some(newest) => newest.newer = entry,
                None => self.oldest = entry,
            }
        }
        self.newest = entry;
    }

    /// Unlinks `entry` from its bucket and the recency list, and frees it.
    unsafe fn remove(&mut self, entry: *mut Entry, slab: &impl Allocator) {
        // SAFETY: the caller holds the lock and passes a live entry of this table.
        unsafe {
            let mut link = self.bucket((*entry).hash);
            for _ in 0..=self.len {
                if (*link).is_null() {
                    break;
                }
                if *link == entry {
                    *link = (*entry).bucket_next;
                    break;
                }
                link = &raw mut (**link).bucket_next;
            }
            self.unlink(entry);
            self.len = self.len.saturating_sub(1);
            self.bytes = self.bytes.saturating_sub(super::slab_bytes((*entry).size));
            if let Ok(layout) = Layout::from_size_align((*entry).size, align_of::<Entry>()) {
                if let Some(entry) = NonNull::new(entry.cast::<u8>()) {
                    slab.deallocate(entry, layout);
                }
            }
        }
    }
}

/// The record bytes that follow `entry`'s header (read through the allocation's own pointer,
/// which covers them, not through a reference to the header, which does not).
///
/// # Safety
/// `entry` is a live entry written by `put`, the lock is held, and the slice is not used
/// after the lock is released.
unsafe fn record_of<'a>(entry: *const Entry) -> &'a [u8] {
    // SAFETY: `put` allocated `size_of::<Entry>() + record_len` bytes and wrote them all.
    unsafe {
        let start = entry.cast::<u8>().add(size_of::<Entry>());
        std::slice::from_raw_parts(start, (*entry).record_len)
    }
}

/// The token inside `entry`'s record.
///
/// # Safety
/// As for [`record_of`].
unsafe fn token_of<'a>(entry: *const Entry) -> Option<&'a [u8]> {
    // SAFETY: forwarded from the caller.
    let (record, at, len) = unsafe { (record_of(entry), (*entry).token_at, (*entry).token_len) };
    record.get(at..at.checked_add(len)?)
}

/// A worker's handle on the zone's token table.
pub struct ShmTokens {
    table: NonNull<TokenTable>,
    slab: SlabPool,
}

/// What a store found worth logging once the lock is released.
enum Note {
    Quiet,
    Full(usize),
}

impl ShmTokens {
    /// A handle on `table`, which lives in `slab`.
    ///
    /// # Safety
    /// `table` is the token table of a zone root in `slab`, and `slab` stays mapped for as
    /// long as the handle is used (a worker's lifetime; see `zone::attach`).
    pub unsafe fn new(table: NonNull<TokenTable>, slab: SlabPool) -> ShmTokens {
        ShmTokens { table, slab }
    }

    /// The entries held and the entries evicted so far (for metrics; takes the lock).
    pub fn stats(&self) -> (u64, u64) {
        self.locked(|table, _| (table.len as u64, table.evictions))
    }

    /// Runs `f` on the table with the slab locked, first emptying a table a dead writer
    /// left torn.
    fn locked<T>(&self, f: impl FnOnce(&mut TokenTable, &LockedSlabPool) -> T) -> T {
        let slab = self.slab.lock();
        // SAFETY: the table lives in the slab for the zone's lifetime (see `new`), and the
        // slab lock makes this the only reference to it in any process.
        let table = unsafe { &mut *self.table.as_ptr() };
        let torn = table.writing != 0;
        if torn {
            table.reset();
        }
        let result = f(table, &slab);
        drop(slab);
        if torn {
            log(NGX_LOG_ALERT, "a worker died while changing the token cache; it was emptied");
        }
        result
    }
}

use super::log;

impl SharedTokens for ShmTokens {
    fn get(&self, id: u64, token: &[u8], now: i64) -> Option<VerifiedToken> {
        // SAFETY: the seed is written once, before any worker exists.
        let seed = unsafe { (*self.table.as_ptr()).seed };
        let hash = key_hash(seed, id, token);
        let found = self.locked(|table, slab| {
            // SAFETY: the lock is held and the table is consistent.
            let entry = unsafe { table.find(hash, id, token) };
            if entry.is_null() {
                return None;
            }
            // SAFETY: `find` returns null or a live entry; no reference to it is kept, as
            // it is relinked below.
            let (exp, alg) = unsafe { ((*entry).exp, (*entry).alg) };
            table.writing = 1;
            if exp <= now {
                // SAFETY: a live entry of this table.
                unsafe { table.remove(entry, slab) };
                table.writing = 0;
                return None;
            }
            // SAFETY: a live, linked entry.
            unsafe {
                table.unlink(entry);
                table.link_newest(entry);
            }
            table.writing = 0;
            // SAFETY: a live entry; the copy is ours once the lock is released.
            let record = unsafe { record_of(entry) };
            let mut copy = Vec::new();
            copy.try_reserve_exact(record.len()).ok()?;
            copy.extend_from_slice(record);
            Some((alg, copy))
        })?;
        decode(found.0, &found.1)
    }

    fn put(&self, id: u64, verified: &VerifiedToken, now: i64) {
        let Some(exp) = verified.claims.exp().filter(|&exp| exp > now) else { return };
        let record = verified.claims.record();
        let token = verified.claims.token();
        let span = verified.claims.token_span();
        let Some(size) = size_of::<Entry>().checked_add(record.len()) else { return };
        let Ok(layout) = Layout::from_size_align(size, align_of::<Entry>()) else { return };
        // SAFETY: the seed is written once, before any worker exists.
        let seed = unsafe { (*self.table.as_ptr()).seed };
        let hash = key_hash(seed, id, token);
        let header = Entry {
            bucket_next: ptr::null_mut(),
            newer: ptr::null_mut(),
            older: ptr::null_mut(),
            hash,
            id,
            exp,
            size,
            record_len: record.len(),
            token_at: span.start,
            token_len: span.len(),
            alg: alg_code(verified.alg),
        };
        let note = self.locked(|table, slab| {
            table.writing = 1;
            // SAFETY: the lock is held and the table consistent; every pointer handled here is
            // one of its live entries or null.
            unsafe {
                let existing = table.find(hash, id, token);
                if !existing.is_null() {
                    table.remove(existing, slab);
                }
                for _ in 0..EXPIRED_PER_PUT {
                    match table.oldest.as_ref() {
                        Some(oldest) if oldest.exp <= now => table.remove(table.oldest, slab),
                        _ => break,
                    }
                }
            }
            let mut evicted = 0;
            let size_in_slab = super::slab_bytes(size);
            while table.bytes + size_in_slab > table.budget && evicted < MAX_EVICTIONS {
                if table.oldest.is_null() {
                    break;
                }
                // SAFETY: the lock is held; `oldest` is a live entry.
                unsafe { table.remove(table.oldest, slab) };
                evicted += 1;
            }
            let memory = loop {
                if table.bytes + size_in_slab > table.budget {
                    break None;
                }
                match slab.allocate(layout) {
                    Ok(memory) => break Some(memory),
                    Err(AllocError) if evicted < MAX_EVICTIONS && !table.oldest.is_null() => {
                        // SAFETY: the lock is held; `oldest` is a live entry.
                        unsafe { table.remove(table.oldest, slab) };
                        evicted += 1;
                    }
                    Err(AllocError) => break None,
                }
            };
            if let Some(memory) = memory {
                let entry = memory.as_ptr().cast::<Entry>();
                // SAFETY: a fresh allocation of `size` bytes, aligned for Entry: the header,
                // then the record, are written in full before the entry is linked.
                unsafe {
                    entry.write(Entry { bucket_next: *table.bucket(hash), ..header });
                    let body = entry.cast::<u8>().add(size_of::<Entry>());
                    ptr::copy_nonoverlapping(record.as_ptr(), body, record.len());
                    *table.bucket(hash) = entry;
                    table.link_newest(entry);
                }
                table.len += 1;
                table.bytes += super::slab_bytes(size);
            }
            table.writing = 0;
            table.evictions = table.evictions.wrapping_add(evicted as u64);
            let full = evicted > 0 || memory.is_none();
            if full && now.saturating_sub(table.full_logged_at) >= FULL_LOG_INTERVAL {
                table.full_logged_at = now;
                return Note::Full(table.len);
            }
            Note::Quiet
        });
        if let Note::Full(len) = note {
            let message = format!(
                "is full with {len} tokens: the least recently used are evicted (a larger \
                 \"credentialflow_zone\" keeps more)"
            );
            log(NGX_LOG_WARN, &message);
        }
    }
}
