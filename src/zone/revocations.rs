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
//! first loads it) and Redis. An entry whose `until` has passed is never loaded, and is
//! removed by the next sweep (at most once a minute, by whichever worker's timer gets there
//! first).
//!
//! The revocation endpoint's entries ([`ShmRevocations::reserve`]) are *pending*: put in force
//! before the durable write (and taken out again if it fails), then confirmed. A load of the
//! source replaces its entries but keeps every pending entry whose line it may not have read:
//! each load takes a ticket (`reads`) before it reads the file or Redis, and a confirmed entry
//! records the last ticket handed out before its line was durable. A load whose ticket is newer
//! read the line (or an operator removed it since); one whose ticket is the same or older may
//! have missed it, and keeps the entry. A load older than the one in the zone is not applied
//! at all. So a revocation answered 200 stays in force whatever order workers load in.
//!
//! The endpoint's entries are held to a budget (`credentialflow_core::revocation::budget`):
//! a quarter of the zone in all, and a sixteenth of that per client (`by=`), so that no client
//! revoking its own tokens again and again fills the zone; a revocation in force already is
//! not recorded again. Loads from files and Redis are not refused: when the slab has no room
//! for them, the token cache gives up entries first.
//!
//! Memory: one slab allocation per entry, 64 bytes of header plus the value, rounded up by
//! the slab to a power of two (a 36-byte UUID `jti` takes 128 bytes).

use core::alloc::Layout;
use core::ptr::{self, NonNull};
use std::sync::atomic::{AtomicU64, Ordering};

use credentialflow_core::revocation::budget::{client_mark, Admission, Budget};
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
/// Slots of [`RevocationTable::loaded_ticket`]: one per file, then Redis.
const SLOTS: usize = MAX_FILES + 1;
/// `Entry::bounds` bits.
const HAS_BEFORE: u8 = 1;
const HAS_UNTIL: u8 = 2;
/// The endpoint's entry, kept by loads whose ticket is not newer than its `mark`.
const PENDING: u8 = 4;
/// The `mark` of a pending entry whose durable write is under way: every load keeps it, for at
/// most [`IN_FLIGHT_LIMIT`] seconds (longer, its worker died mid-write: the line, if written,
/// is in the file).
const IN_FLIGHT: u64 = u64::MAX;
/// Seconds an entry may stay [`IN_FLIGHT`] (a file write or Redis's `timeout=` takes far less).
const IN_FLIGHT_LIMIT: i64 = 60;

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
    /// The last ticket handed to a load (see the module doc).
    reads: AtomicU64,
    /// The ticket of the load in the zone, per file slot and Redis (0: unknown).
    loaded_ticket: [u64; SLOTS],
    /// Slab bytes the entries take, and the most the endpoint may take them to.
    bytes: usize,
    budget: Budget,
}

#[repr(C)]
struct Entry {
    next: *mut Entry,
    seq: u64,
    before: i64,
    until: i64,
    value_len: usize,
    /// A pending entry's mark: the last load ticket handed out before its line was durable
    /// ([`IN_FLIGHT`] until then).
    mark: u64,
    /// The revoking client (`by=`) as a content id; 0: none.
    by: u64,
    /// When a pending entry was reserved (0 for others).
    reserved_at: i64,
    source: u16,
    kind: u8,
    /// [`HAS_BEFORE`], [`HAS_UNTIL`], [`PENDING`].
    bounds: u8,
}

impl Entry {
    /// The slab bytes it takes.
    fn footprint(&self) -> usize {
        super::slab_bytes(size_of::<Entry>() + self.value_len)
    }

    fn is_over(&self, now: i64) -> bool {
        self.bounds & HAS_UNTIL != 0 && self.until < now
    }

    /// A pending entry whose durable write is still under way: not yet a revocation that
    /// anyone was told is in force.
    fn in_flight(&self) -> bool {
        self.bounds & PENDING != 0 && self.mark == IN_FLIGHT
    }

    /// Whether a load read under `ticket` at `now` keeps this entry of its source: a pending
    /// entry whose line that load may not have read.
    fn survives_load(&self, ticket: u64, now: i64) -> bool {
        match self.bounds & PENDING != 0 {
            false => false,
            true if self.in_flight() => now.saturating_sub(self.reserved_at) < IN_FLIGHT_LIMIT,
            true => ticket <= self.mark,
        }
    }
}

/// What a new pending entry is.
struct Pending {
    mark: u64,
    reserved_at: i64,
}

/// The zone cannot hold another entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZoneFull;

impl RevocationTable {
    /// An empty table in a zone of `zone_size` bytes.
    pub fn new(zone_size: usize) -> RevocationTable {
        RevocationTable {
            epoch: AtomicU64::new(1),
            seq: AtomicU64::new(0),
            incomplete: AtomicU64::new(0),
            newest: ptr::null_mut(),
            len: 0,
            loaded: [0; MAX_FILES],
            swept_at: 0,
            writing: 0,
            reads: AtomicU64::new(0),
            loaded_ticket: [0; SLOTS],
            bytes: 0,
            budget: Budget::of_zone(zone_size),
        }
    }

    /// Calls `f` on every live entry, newest first.
    ///
    /// # Safety
    /// The slab lock is held and the list is consistent.
    unsafe fn each(&self, mut f: impl FnMut(&Entry, *const Entry)) {
        let mut at = self.newest;
        // SAFETY: entries are live slab allocations of this table; at most `len` are walked.
        unsafe {
            for _ in 0..self.len {
                let Some(entry) = at.as_ref() else { break };
                f(entry, at);
                at = entry.next;
            }
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
                    self.bytes = self.bytes.saturating_sub(found.footprint());
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

    /// Adds one entry at the head (the caller bumps `seq` once its batch is in). When the
    /// slab has no room, the token cache gives up entries (`room`) until it has.
    ///
    /// # Safety
    /// The slab lock is held.
    unsafe fn push(
        &mut self,
        slab: &impl Allocator,
        room: &mut dyn FnMut() -> bool,
        source: u16,
        r: &Revocation,
        seq: u64,
        pending: Option<Pending>,
    ) -> Result<(), ZoneFull> {
        let size = size_of::<Entry>().checked_add(r.value.len()).ok_or(ZoneFull)?;
        let layout = Layout::from_size_align(size, align_of::<Entry>()).map_err(|_| ZoneFull)?;
        let memory = loop {
            match slab.allocate(layout) {
                Ok(memory) => break memory,
                Err(AllocError) if room() => {}
                Err(AllocError) => return Err(ZoneFull),
            }
        };
        let entry = memory.as_ptr().cast::<Entry>();
        let flag = |set: bool, bit: u8| if set { bit } else { 0 };
        let bounds = flag(r.before.is_some(), HAS_BEFORE)
            | flag(r.until.is_some(), HAS_UNTIL)
            | flag(pending.is_some(), PENDING);
        // SAFETY: a fresh allocation of `size` bytes aligned for Entry: the header, then the
        // value, are written in full before the entry is linked.
        unsafe {
            entry.write(Entry {
                next: self.newest,
                seq,
                before: r.before.unwrap_or(0),
                until: r.until.unwrap_or(0),
                value_len: r.value.len(),
                mark: pending.as_ref().map_or(0, |p| p.mark),
                by: client_mark(r.by.as_deref()),
                reserved_at: pending.as_ref().map_or(0, |p| p.reserved_at),
                source,
                kind: r.kind.code(),
                bounds,
            });
            let body = entry.cast::<u8>().add(size_of::<Entry>());
            ptr::copy_nonoverlapping(r.value.as_ptr(), body, r.value.len());
            self.bytes += (*entry).footprint();
        }
        self.newest = entry;
        self.len += 1;
        Ok(())
    }

    /// Whether an entry of `code` in force at `now` already does all `r` would. An entry
    /// whose durable write is still under way does not count: it may yet be taken back.
    ///
    /// # Safety
    /// The slab lock is held and the list is consistent.
    unsafe fn holds(&self, code: Option<u16>, r: &Revocation, now: i64) -> bool {
        let mut found = false;
        // SAFETY: forwarded.
        unsafe {
            self.each(|entry, at| {
                if !found
                    && code.is_none_or(|code| entry.source == code)
                    && !entry.is_over(now)
                    && !entry.in_flight()
                    && entry.kind == r.kind.code()
                    && entry.value_len == r.value.len()
                {
                    found = read(at).is_some_and(|held| held.covers(r));
                }
            })
        };
        found
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
            before: (header.bounds & HAS_BEFORE != 0).then_some(header.before),
            until: (header.bounds & HAS_UNTIL != 0).then_some(header.until),
            by: None,
        })
    }
}

/// A worker's handle on the table, with the set it enforces.
pub struct ShmRevocations {
    table: NonNull<RevocationTable>,
    /// The token cache, which gives way to revocations when the slab is out of room.
    tokens: NonNull<super::tokens::TokenTable>,
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
    /// A newer load is in the zone already: this older one is not applied.
    Stale,
}

/// A revocation reserved at the endpoint: [`ShmRevocations::confirm`] it once durable, or
/// [`ShmRevocations::cancel`] it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reservation {
    seq: u64,
    source: Source,
}

/// What [`ShmRevocations::reserve`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reserve {
    /// In force now (pending); make it durable.
    Reserved(Reservation),
    /// A revocation in force already does all it would (RFC 7009 §2.2: nothing changes).
    AlreadyInForce,
    /// The revoking client holds its share of the revocations.
    ClientOverShare,
    /// The revocations hold their share of the zone, or the slab has no room even with the
    /// token cache emptied.
    Full,
}

impl ShmRevocations {
    /// A handle on `table`, which lives in `slab`.
    ///
    /// # Safety
    /// As for `ShmTokens::new`: `table` is in `slab`, mapped for the handle's lifetime.
    /// `tokens` is the zone's token cache, in the same slab.
    pub unsafe fn new(
        table: NonNull<RevocationTable>,
        tokens: NonNull<super::tokens::TokenTable>,
        slab: SlabPool,
    ) -> ShmRevocations {
        ShmRevocations { table, tokens, slab, local: RevocationSet::default(), seen: (0, 0) }
    }

    fn counters(&self) -> &RevocationTable {
        // SAFETY: the atomics are only read here; the table outlives the handle.
        unsafe { self.table.as_ref() }
    }

    /// Runs `f` on the table with the slab locked; a table a dead writer left torn is
    /// emptied first (its sources are reloaded: every file's loaded id is forgotten). `f` gets
    /// a function that frees one token cache entry to make room (false: none left).
    fn locked<T>(
        &self,
        f: impl FnOnce(&mut RevocationTable, &LockedSlabPool, &mut dyn FnMut() -> bool) -> T,
    ) -> T {
        let slab = self.slab.lock();
        // SAFETY: the slab lock makes this the only reference to the table in any process.
        let table = unsafe { &mut *self.table.as_ptr() };
        if table.writing != 0 {
            table.newest = ptr::null_mut();
            table.len = 0;
            table.bytes = 0;
            table.loaded = [0; MAX_FILES];
            table.loaded_ticket = [0; SLOTS];
            table.writing = 0;
            table.epoch.fetch_add(1, Ordering::Release);
        }
        // SAFETY: the token table is in the same slab, whose lock is held.
        let tokens = unsafe { &mut *self.tokens.as_ptr() };
        let mut room = || tokens.give_way(&slab);
        f(table, &slab, &mut room)
    }

    /// A ticket for a load about to read its source (see the module doc): take it before the
    /// file is stat'ed or Redis asked.
    pub fn ticket(&self) -> u64 {
        self.counters().reads.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// How many entries of each kind the zone holds ([`RevocationKind::ALL`] order; for
    /// metrics, takes the lock).
    pub fn count_by_kind(&self) -> [u64; 4] {
        self.locked(|table, _, _| {
            let mut counts = [0u64; 4];
            // SAFETY: the lock is held.
            unsafe {
                table.each(|entry, _| {
                    if let Some(count) = counts.get_mut(usize::from(entry.kind)) {
                        *count += 1;
                    }
                })
            };
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
        let (copied, counters, full) = self.locked(|table, _, _| {
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

    /// Adds revocations to `source` (a Redis announcement). All or none: on [`ZoneFull`]
    /// nothing was added. A revocation `source` holds in force already is not added again.
    pub fn add(
        &self,
        source: Source,
        revocations: &[Revocation],
        now: i64,
    ) -> Result<(), ZoneFull> {
        self.locked(|table, slab, room| {
            table.writing = 1;
            let seq = table.seq.load(Ordering::Relaxed) + 1;
            let mut result = Ok(());
            for revocation in revocations {
                // SAFETY: the lock is held.
                let held = unsafe { table.holds(Some(source.code()), revocation, now) };
                if held || revocation.is_over(now) {
                    continue;
                }
                // SAFETY: the lock is held.
                if let Err(full) =
                    unsafe { table.push(slab, room, source.code(), revocation, seq, None) }
                {
                    result = Err(full);
                    break;
                }
            }
            if result.is_err() {
                // SAFETY: the lock is held; the entries of `seq` are this batch's.
                unsafe { table.remove_where(slab, |entry| entry.seq == seq) };
            } else {
                table.seq.store(seq, Ordering::Release);
            }
            table.writing = 0;
            result
        })
    }

    /// Puts a revocation made at the endpoint in force before it is made durable, if the
    /// budget admits it: `exempt` for a client with the `revoke` permission (see
    /// `credentialflow_core::revocation::budget`). A revocation in force already, from any
    /// source, is [`Reserve::AlreadyInForce`].
    pub fn reserve(&self, source: Source, r: &Revocation, exempt: bool, now: i64) -> Reserve {
        self.locked(|table, slab, room| {
            // SAFETY: the lock is held.
            if unsafe { table.holds(None, r, now) } {
                return Reserve::AlreadyInForce;
            }
            let by = client_mark(r.by.as_deref());
            let mut by_client = 0usize;
            // SAFETY: the lock is held.
            unsafe {
                table.each(|entry, _| {
                    if by != 0 && entry.by == by && !entry.is_over(now) {
                        by_client += entry.footprint();
                    }
                })
            };
            let size = super::slab_bytes(size_of::<Entry>() + r.value.len());
            match table.budget.admits(table.bytes, by_client, size, exempt) {
                Admission::Admitted => {}
                Admission::ClientOverShare => return Reserve::ClientOverShare,
                Admission::Full => return Reserve::Full,
            }
            table.writing = 1;
            let seq = table.seq.load(Ordering::Relaxed) + 1;
            let pending = Some(Pending { mark: IN_FLIGHT, reserved_at: now });
            // SAFETY: the lock is held.
            let pushed = unsafe { table.push(slab, room, source.code(), r, seq, pending) };
            if pushed.is_ok() {
                table.seq.store(seq, Ordering::Release);
            }
            table.writing = 0;
            match pushed {
                Ok(()) => Reserve::Reserved(Reservation { seq, source }),
                Err(ZoneFull) => Reserve::Full,
            }
        })
    }

    /// The reserved revocation `r` is durable in its source: loads that start from now on read
    /// it from there, and those that started before keep the entry. An entry that is gone
    /// (a dead worker's torn write emptied the table) is put back.
    pub fn confirm(&self, reservation: Reservation, r: &Revocation, now: i64) {
        let source = reservation.source;
        self.locked(|table, slab, room| {
            let mark = table.reads.load(Ordering::SeqCst);
            let mut found = false;
            let mut at = table.newest;
            // SAFETY: the lock is held; at most `len` live entries are walked, and the one
            // written is this table's.
            unsafe {
                for _ in 0..table.len {
                    let Some(entry) = at.as_mut() else { break };
                    if entry.seq == reservation.seq && entry.bounds & PENDING != 0 {
                        entry.mark = mark;
                        found = true;
                    }
                    at = entry.next;
                }
            }
            if found || r.is_over(now) {
                return;
            }
            table.writing = 1;
            let seq = table.seq.load(Ordering::Relaxed) + 1;
            let pending = Some(Pending { mark, reserved_at: now });
            // SAFETY: the lock is held. Out of room, the line is in the source all the same:
            // the next load puts it in force (or marks the zone incomplete).
            if unsafe { table.push(slab, room, source.code(), r, seq, pending) }.is_ok() {
                table.seq.store(seq, Ordering::Release);
            }
            table.writing = 0;
        });
    }

    /// The reserved revocation could not be made durable: it leaves the zone (no worker
    /// enforces what a restart would forget).
    pub fn cancel(&self, reservation: Reservation) {
        self.locked(|table, slab, _| {
            table.writing = 1;
            // SAFETY: the lock is held.
            let removed = unsafe {
                table.remove_where(slab, |entry| {
                    entry.seq == reservation.seq && entry.bounds & PENDING != 0
                })
            };
            if removed > 0 {
                table.epoch.fetch_add(1, Ordering::Release);
            }
            table.writing = 0;
        });
    }

    /// Replaces what `source` holds by `revocations` (a file's new version, Redis's whole set
    /// after a reconnection), read under `ticket` ([`ShmRevocations::ticket`]; 0: unknown, as
    /// for what the master read before the zone existed). Revocations ended at `now` are not
    /// loaded; pending entries the read may have missed are kept. For a file, `version` is the
    /// content id loaded: a version already in the zone is not loaded twice. Out of memory,
    /// the table is marked incomplete (decisions answer 503) until a load succeeds.
    pub fn replace(
        &self,
        source: Source,
        version: u64,
        ticket: u64,
        revocations: &[Revocation],
        now: i64,
    ) -> Result<Change, ZoneFull> {
        let file = match source {
            Source::File(index) => Some(index).filter(|&index| index < MAX_FILES),
            Source::Redis => None,
        };
        let slot = file.unwrap_or(MAX_FILES);
        let bit = 1u64 << slot;
        self.locked(|table, slab, room| {
            if file.is_some_and(|index| table.loaded[index] == version) {
                return Ok(Change::AlreadyLoaded);
            }
            // A load read before the one in the zone is older; one of unknown age (ticket 0,
            // what the master read before the zone existed) is only for an empty slot.
            let loaded_before = table.loaded_ticket[slot] != 0
                || file.is_some_and(|index| table.loaded[index] != 0);
            if (ticket == 0 && loaded_before) || ticket < table.loaded_ticket[slot] {
                return Ok(Change::Stale);
            }
            table.writing = 1;
            let code = source.code();
            // SAFETY: the lock is held.
            unsafe {
                table.remove_where(slab, |entry| {
                    entry.source == code && !entry.survives_load(ticket, now)
                })
            };
            let seq = table.seq.load(Ordering::Relaxed) + 1;
            let mut result = Ok(Change::Done);
            for revocation in revocations.iter().filter(|r| !r.is_over(now)) {
                // SAFETY: the lock is held.
                if let Err(full) = unsafe { table.push(slab, room, code, revocation, seq, None) } {
                    result = Err(full);
                    break;
                }
            }
            if let Some(index) = file {
                // A version that did not fit is not tried again (nor reported again) by every
                // worker on every tick: the incomplete bit stays until a new version loads.
                table.loaded[index] = version;
            }
            table.loaded_ticket[slot] = ticket;
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
        self.locked(|table, slab, _| {
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
            table.loaded_ticket.iter_mut().take(MAX_FILES).skip(first).for_each(|t| *t = 0);
            table.epoch.fetch_add(1, Ordering::Release);
            table.writing = 0;
        });
    }

    /// Removes entries whose `until` has passed, at most once a [`SWEEP_INTERVAL`]; returns
    /// how many were removed.
    pub fn sweep(&self, now: i64) -> usize {
        self.locked(|table, slab, _| {
            if now.saturating_sub(table.swept_at) < SWEEP_INTERVAL {
                return 0;
            }
            table.swept_at = now;
            table.writing = 1;
            // SAFETY: the lock is held.
            let removed = unsafe { table.remove_where(slab, |entry| entry.is_over(now)) };
            if removed > 0 {
                table.epoch.fetch_add(1, Ordering::Release);
            }
            table.writing = 0;
            removed
        })
    }
}
