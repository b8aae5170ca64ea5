//! The revocations every worker enforces, in the zone: a list of entries in the slab, newest
//! first, with two counters workers read without the lock. `seq` grows with every entry
//! added; `epoch` grows whenever entries are removed or replaced. A worker keeps its own
//! [`RevocationSet`] and, before each decision, compares the counters with the ones it last
//! saw: equal, nothing to do (two atomic loads); a new `seq`, it copies the entries added
//! since; a new `epoch`, it copies them all. A revocation therefore applies to every worker
//! on its next request, cached verifications included (the check follows the cache).
//!
//! Entries come from sources: each revocation file (by its place in the configuration, with
//! the content id of the version loaded, so that of N workers noticing a change only the
//! first loads it) and Redis. The revocation endpoint adds entries to its file's source
//! after appending them to the file. An entry whose `until` has passed is removed by the
//! next sweep (at most once a minute, by whichever worker's timer gets there first).
//!
//! Memory: one slab allocation per entry, 48 bytes of header plus the value, rounded up by
//! the slab to a power of two (a 36-byte UUID `jti` takes 128 bytes).

use core::alloc::Layout;
use core::ptr::{self, NonNull};
use std::sync::atomic::{AtomicU64, Ordering};

use credentialflow_core::revocation::{Revocation, RevocationKind, RevocationSet};
use ngx::allocator::{AllocError, Allocator};
use ngx::core::slab::LockedSlabPool;
use ngx::core::SlabPool;

/// Where entries came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The revocation file at this place in the configuration's list.
    File(usize),
    /// The Redis server shared by every node.
    Redis,
}

/// How many revocation files the zone tracks; more is a configuration error.
pub const MAX_FILES: usize = 63;
/// The code of [`Source::Redis`].
const REDIS: u16 = u16::MAX;
/// Seconds between sweeps of ended entries.
const SWEEP_INTERVAL: i64 = 60;

impl Source {
    fn code(self) -> u16 {
        match self {
            Source::File(index) => index as u16,
            Source::Redis => REDIS,
        }
    }
}

/// The revocation table's header, in the zone's root.
#[repr(C)]
pub struct RevocationTable {
    /// Grows when entries are removed or replaced: workers copy everything again.
    epoch: AtomicU64,
    /// Grows with every entry added: workers copy the entries newer than the one they saw.
    seq: AtomicU64,
    /// One bit per source (files by index, Redis last) that could not be loaded in full
    /// (the zone is out of memory): decisions then answer 503 rather than enforce part of
    /// the list.
    incomplete: AtomicU64,
    /// Newest first.
    newest: *mut Entry,
    len: usize,
    /// The content id of the version loaded from each file source (0: none).
    loaded: [u64; MAX_FILES],
    /// When ended entries were last swept.
    swept_at: i64,
    /// Non-zero while a writer is between its first and last change.
    writing: usize,
}

#[repr(C)]
struct Entry {
    next: *mut Entry,
    seq: u64,
    before: i64,
    until: i64,
    value_len: usize,
    source: u16,
    kind: u8,
    /// Bit 0: `before` is set; bit 1: `until` is set.
    bounds: u8,
}

/// The zone cannot hold another entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZoneFull;

impl RevocationTable {
    /// An empty table.
    pub fn new() -> RevocationTable {
        RevocationTable {
            epoch: AtomicU64::new(1),
            seq: AtomicU64::new(0),
            incomplete: AtomicU64::new(0),
            newest: ptr::null_mut(),
            len: 0,
            loaded: [0; MAX_FILES],
            swept_at: 0,
            writing: 0,
        }
    }

    /// Unlinks and frees every entry for which `drop` says so.
    ///
    /// # Safety
    /// The slab lock is held and the list is consistent.
    unsafe fn remove_where(
        &mut self,
        slab: &impl Allocator,
        drop: impl Fn(&Entry) -> bool,
    ) -> usize {
        let mut removed = 0;
        let mut link: *mut *mut Entry = &raw mut self.newest;
        // SAFETY: every link is the list head or an entry's `next`; entries are live slab
        // allocations of this table; at most `len` of them are walked.
        unsafe {
            for _ in 0..=self.len {
                let entry = *link;
                let Some(found) = entry.as_ref() else { break };
                if drop(found) {
                    *link = found.next;
                    free(entry, slab);
                    removed += 1;
                    self.len = self.len.saturating_sub(1);
                } else {
                    link = &raw mut (*entry).next;
                }
            }
        }
        removed
    }

    /// Adds one entry at the head (the caller bumps `seq` once its batch is in).
    ///
    /// # Safety
    /// The slab lock is held.
    unsafe fn push(
        &mut self,
        slab: &impl Allocator,
        source: u16,
        r: &Revocation,
        seq: u64,
    ) -> Result<(), ZoneFull> {
        let size = size_of::<Entry>().checked_add(r.value.len()).ok_or(ZoneFull)?;
        let layout = Layout::from_size_align(size, align_of::<Entry>()).map_err(|_| ZoneFull)?;
        let memory = slab.allocate(layout).map_err(|AllocError| ZoneFull)?;
        let entry = memory.as_ptr().cast::<Entry>();
        let bounds = u8::from(r.before.is_some()) | u8::from(r.until.is_some()) << 1;
        // SAFETY: a fresh allocation of `size` bytes aligned for Entry: the header, then the
        // value, are written in full before the entry is linked.
        unsafe {
            entry.write(Entry {
                next: self.newest,
                seq,
                before: r.before.unwrap_or(0),
                until: r.until.unwrap_or(0),
                value_len: r.value.len(),
                source,
                kind: r.kind.code(),
                bounds,
            });
            let body = entry.cast::<u8>().add(size_of::<Entry>());
            ptr::copy_nonoverlapping(r.value.as_ptr(), body, r.value.len());
        }
        self.newest = entry;
        self.len += 1;
        Ok(())
    }
}

impl Default for RevocationTable {
    fn default() -> Self {
        RevocationTable::new()
    }
}

/// Frees one unlinked entry.
///
/// # Safety
/// `entry` is a live entry of the table, no longer linked; the lock is held.
unsafe fn free(entry: *mut Entry, slab: &impl Allocator) {
    // SAFETY: `push` allocated header and value with this layout.
    unsafe {
        let size = size_of::<Entry>() + (*entry).value_len;
        if let (Ok(layout), Some(at)) =
            (Layout::from_size_align(size, align_of::<Entry>()), NonNull::new(entry.cast::<u8>()))
        {
            slab.deallocate(at, layout);
        }
    }
}

/// The revocation an entry holds, copied out.
///
/// # Safety
/// `entry` is a live entry; the lock is held.
unsafe fn read(entry: *const Entry) -> Option<Revocation> {
    // SAFETY: `push` wrote `value_len` bytes after the header.
    unsafe {
        let header = &*entry;
        let value = std::slice::from_raw_parts(
            entry.cast::<u8>().add(size_of::<Entry>()),
            header.value_len,
        );
        Some(Revocation {
            kind: RevocationKind::from_code(header.kind)?,
            value: value.into(),
            before: (header.bounds & 1 != 0).then_some(header.before),
            until: (header.bounds & 2 != 0).then_some(header.until),
        })
    }
}

/// A worker's handle on the table, with the set it enforces.
pub struct ShmRevocations {
    table: NonNull<RevocationTable>,
    slab: SlabPool,
    local: RevocationSet,
    /// (epoch, seq) when `local` was last brought up to date.
    seen: (u64, u64),
}

/// What a change found worth logging once the lock is released.
pub enum Change {
    /// Done.
    Done,
    /// A file's version was already loaded by another worker.
    AlreadyLoaded,
}

impl ShmRevocations {
    /// A handle on `table`, which lives in `slab`.
    ///
    /// # Safety
    /// As for `ShmTokens::new`: `table` is in `slab`, mapped for the handle's lifetime.
    pub unsafe fn new(table: NonNull<RevocationTable>, slab: SlabPool) -> ShmRevocations {
        ShmRevocations { table, slab, local: RevocationSet::default(), seen: (0, 0) }
    }

    fn counters(&self) -> &RevocationTable {
        // SAFETY: the atomics are only read here; the table outlives the handle.
        unsafe { self.table.as_ref() }
    }

    /// Runs `f` on the table with the slab locked; a table a dead writer left torn is
    /// emptied first (its sources are reloaded: every file's loaded id is forgotten).
    fn locked<T>(&self, f: impl FnOnce(&mut RevocationTable, &LockedSlabPool) -> T) -> T {
        let slab = self.slab.lock();
        // SAFETY: the slab lock makes this the only reference to the table in any process.
        let table = unsafe { &mut *self.table.as_ptr() };
        if table.writing != 0 {
            table.newest = ptr::null_mut();
            table.len = 0;
            table.loaded = [0; MAX_FILES];
            table.writing = 0;
            table.epoch.fetch_add(1, Ordering::Release);
        }
        f(table, &slab)
    }

    /// How many entries of each kind the zone holds ([`RevocationKind::ALL`] order; for
    /// metrics, takes the lock).
    pub fn count_by_kind(&self) -> [u64; 4] {
        self.locked(|table, _| {
            let mut counts = [0u64; 4];
            let mut entry = table.newest;
            // SAFETY: entries are live slab allocations of this table, the lock is held, and
            // at most `len` of them are walked.
            unsafe {
                for _ in 0..table.len {
                    let Some(found) = entry.as_ref() else { break };
                    if let Some(count) = counts.get_mut(usize::from(found.kind)) {
                        *count += 1;
                    }
                    entry = found.next;
                }
            }
            counts
        })
    }

    /// The revocations in force now, brought up to date with the zone; `None` while the
    /// zone holds only part of a source (see [`RevocationTable::incomplete`]).
    pub fn current(&mut self) -> Option<&RevocationSet> {
        let table = self.counters();
        let now = (table.epoch.load(Ordering::Acquire), table.seq.load(Ordering::Acquire));
        let incomplete = table.incomplete.load(Ordering::Acquire) != 0;
        if now != self.seen {
            self.refresh();
        }
        (!incomplete).then_some(&self.local)
    }

    fn refresh(&mut self) {
        let (epoch_seen, seq_seen) = self.seen;
        let (copied, counters, full) = self.locked(|table, _| {
            let epoch = table.epoch.load(Ordering::Acquire);
            let full = epoch != epoch_seen;
            let mut copied = Vec::new();
            let mut at = table.newest;
            // SAFETY: the lock is held; at most `len` live entries are walked.
            unsafe {
                for _ in 0..table.len {
                    let Some(entry) = at.as_ref() else { break };
                    if !full && entry.seq <= seq_seen {
                        break;
                    }
                    if let Some(revocation) = read(at) {
                        copied.push(revocation);
                    }
                    at = entry.next;
                }
            }
            (copied, (epoch, table.seq.load(Ordering::Acquire)), full)
        });
        if full {
            self.local.clear();
        }
        copied.iter().for_each(|revocation| self.local.insert(revocation));
        self.seen = counters;
    }

    /// Adds revocations to `source` (the endpoint, a Redis message). All or none: on
    /// [`ZoneFull`] nothing was added.
    pub fn add(&self, source: Source, revocations: &[Revocation]) -> Result<(), ZoneFull> {
        self.locked(|table, slab| {
            table.writing = 1;
            let seq = table.seq.load(Ordering::Relaxed) + 1;
            let mut added = 0;
            let mut result = Ok(());
            for revocation in revocations {
                // SAFETY: the lock is held.
                if let Err(full) = unsafe { table.push(slab, source.code(), revocation, seq) } {
                    result = Err(full);
                    break;
                }
                added += 1;
            }
            if result.is_err() && added > 0 {
                // SAFETY: the lock is held; the first `added` entries are this batch's.
                unsafe { table.remove_where(slab, |entry| entry.seq == seq) };
            }
            if result.is_ok() {
                table.seq.store(seq, Ordering::Release);
            }
            table.writing = 0;
            result
        })
    }

    /// Replaces everything `source` holds by `revocations` (a file's new version, Redis's
    /// whole set after a reconnection). For a file, `version` is the content id loaded: a
    /// version already in the zone is not loaded twice. Out of memory, the table is marked
    /// incomplete (decisions answer 503) until a load succeeds.
    pub fn replace(
        &self,
        source: Source,
        version: u64,
        revocations: &[Revocation],
    ) -> Result<Change, ZoneFull> {
        let file = match source {
            Source::File(index) => Some(index).filter(|&index| index < MAX_FILES),
            Source::Redis => None,
        };
        let bit = 1u64 << file.unwrap_or(MAX_FILES);
        self.locked(|table, slab| {
            if file.is_some_and(|index| table.loaded[index] == version) {
                return Ok(Change::AlreadyLoaded);
            }
            table.writing = 1;
            let code = source.code();
            // SAFETY: the lock is held.
            unsafe { table.remove_where(slab, |entry| entry.source == code) };
            let seq = table.seq.load(Ordering::Relaxed) + 1;
            let mut result = Ok(Change::Done);
            for revocation in revocations {
                // SAFETY: the lock is held.
                if let Err(full) = unsafe { table.push(slab, code, revocation, seq) } {
                    result = Err(full);
                    break;
                }
            }
            if let Some(index) = file {
                // A version that did not fit is not tried again (nor reported again) by every
                // worker on every tick: the incomplete bit stays until a new version loads.
                table.loaded[index] = version;
            }
            match result {
                Ok(_) => table.incomplete.fetch_and(!bit, Ordering::Release),
                Err(_) => table.incomplete.fetch_or(bit, Ordering::Release),
            };
            table.seq.store(seq, Ordering::Release);
            table.epoch.fetch_add(1, Ordering::Release);
            table.writing = 0;
            result
        })
    }

    /// Marks Redis's entries as incomplete (an announced revocation did not fit): decisions
    /// answer 503 until the whole set is loaded again ([`ShmRevocations::replace`]).
    pub fn mark_redis_incomplete(&self) {
        let bit = 1u64 << MAX_FILES;
        self.counters().incomplete.fetch_or(bit, Ordering::Release);
    }

    /// Removes the entries of file sources at `first` and after (files no longer configured
    /// after a reload that kept the zone).
    pub fn forget_files_from(&self, first: usize) {
        self.locked(|table, slab| {
            if table.loaded.iter().skip(first).all(|&id| id == 0) {
                return;
            }
            table.writing = 1;
            // SAFETY: the lock is held.
            unsafe {
                table.remove_where(slab, |entry| {
                    entry.source != REDIS && usize::from(entry.source) >= first
                })
            };
            table.loaded.iter_mut().skip(first).for_each(|id| *id = 0);
            table.epoch.fetch_add(1, Ordering::Release);
            table.writing = 0;
        });
    }

    /// Removes entries whose `until` has passed, at most once a [`SWEEP_INTERVAL`]; returns
    /// how many were removed.
    pub fn sweep(&self, now: i64) -> usize {
        self.locked(|table, slab| {
            if now.saturating_sub(table.swept_at) < SWEEP_INTERVAL {
                return 0;
            }
            table.swept_at = now;
            table.writing = 1;
            // SAFETY: the lock is held.
            let removed = unsafe {
                table.remove_where(slab, |entry| entry.bounds & 2 != 0 && entry.until < now)
            };
            if removed > 0 {
                table.epoch.fetch_add(1, Ordering::Release);
            }
            table.writing = 0;
            removed
        })
    }
}
