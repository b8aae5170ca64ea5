//! Replay records in the zone: which tokens (issuer and `jti`) were used, each until its
//! `exp` plus the leeway. A hash table of chained entries; the first use of a key inserts it
//! under the slab lock, so two workers racing with one token cannot both win. A record is
//! never evicted before it ends: when the records hold their share of the zone (a quarter,
//! `defaults::REPLAY_ZONE_SHARE`) or the slab has no room, ended records are swept and the
//! insert tried again (the token cache giving way to it in the slab); failing that the token
//! is refused ([`FirstUse::Unavailable`], 503). The share keeps replay records from ever
//! taking the room revocations need: a full replay share refuses replay-protected requests
//! only. Within it, one client's records (its issuer and `client_id`, else `sub`:
//! `replay_client`) take at most a sixteenth (`defaults::REPLAY_CLIENT_SHARE`), counted in a
//! small table of clients: a client that uses token after token once each is refused (503)
//! long before the others are. The table has [`CLIENT_SLOTS`] slots; a client looks for its
//! own among [`CLIENT_PROBES`] of them, and one whose records have all ended gives its slot
//! up; when none is free, the client counts in one shared overflow slot with the same cap.
//!
//! Memory: one slab allocation per record, 32 bytes of header plus the key (8 bytes, the
//! issuer, the `jti`), rounded up by the slab to a power of two (a 30-byte issuer and a
//! 36-byte UUID `jti` take 128 bytes).

use core::alloc::Layout;
use core::ptr::{self, NonNull};
use std::hash::BuildHasher;

use credentialflow_core::replay::{record_hash, FirstUse, ReplayStore};
use ngx::allocator::{AllocError, Allocator};
use ngx::core::slab::LockedSlabPool;
use ngx::core::SlabPool;
use ngx::ffi::{NGX_LOG_ALERT, NGX_LOG_ERR};

/// Zone bytes per bucket (a record takes about 128 bytes).
const BYTES_PER_BUCKET: usize = 1024;
/// "full" is logged at most once in this many seconds.
const FULL_LOG_INTERVAL: i64 = 60;
/// Clients whose records are counted separately.
const CLIENT_SLOTS: usize = 128;
/// Slots a client's own is looked for in.
const CLIENT_PROBES: usize = 16;

/// One client's records: its content id (0: free) and the slab bytes they take.
#[repr(C)]
#[derive(Clone, Copy)]
struct ClientShare {
    client: u64,
    bytes: usize,
}

/// The replay table's header, in the zone's root.
#[repr(C)]
pub struct ReplayTable {
    seed: u64,
    buckets: *mut *mut Record,
    bucket_mask: usize,
    len: usize,
    writing: usize,
    full_logged_at: i64,
    /// Slab bytes the records take, and the most they may.
    bytes: usize,
    budget: usize,
    /// Per client, what its records take; the last slot is the shared overflow.
    clients: [ClientShare; CLIENT_SLOTS + 1],
}

#[repr(C)]
struct Record {
    next: *mut Record,
    hash: u64,
    until: i64,
    key_len: usize,
    /// The client whose share it counts against (`replay_client`).
    client: u64,
}

impl ReplayTable {
    /// A table sized for a zone of `zone_size` bytes, its buckets allocated in `slab`.
    pub fn new(slab: &SlabPool, zone_size: usize) -> Result<ReplayTable, AllocError> {
        let count = (zone_size / BYTES_PER_BUCKET).next_power_of_two().max(64);
        let layout = Layout::array::<*mut Record>(count).map_err(|_| AllocError)?;
        // Zeroed: every bucket starts empty.
        let buckets = slab.allocate_zeroed(layout)?;
        Ok(ReplayTable {
            seed: std::collections::hash_map::RandomState::new().hash_one(zone_size ^ 0x5eed),
            buckets: buckets.as_ptr().cast(),
            bucket_mask: count - 1,
            len: 0,
            writing: 0,
            full_logged_at: i64::MIN,
            bytes: 0,
            budget: zone_size / credentialflow_core::defaults::REPLAY_ZONE_SHARE,
            clients: [ClientShare { client: 0, bytes: 0 }; CLIENT_SLOTS + 1],
        })
    }

    /// The most one client's records may take.
    fn client_budget(&self) -> usize {
        self.budget / credentialflow_core::defaults::REPLAY_CLIENT_SHARE
    }

    /// The slot `client` counts in: its own, a free one it takes, or the overflow.
    fn share_of(&mut self, client: u64) -> usize {
        let start = (client as usize) % CLIENT_SLOTS;
        let probes = (0..CLIENT_PROBES).map(|step| (start + step) % CLIENT_SLOTS);
        if let Some(own) = probes.clone().find(|&at| self.clients[at].client == client) {
            return own;
        }
        match probes.clone().find(|&at| self.clients[at].bytes == 0) {
            Some(free) => {
                self.clients[free] = ClientShare { client, bytes: 0 };
                free
            }
            None => CLIENT_SLOTS,
        }
    }

    /// Gives back what a freed record of `client` took.
    fn release(&mut self, client: u64, bytes: usize) {
        let start = (client as usize) % CLIENT_SLOTS;
        let own = (0..CLIENT_PROBES)
            .map(|step| (start + step) % CLIENT_SLOTS)
            .find(|&at| self.clients[at].client == client && self.clients[at].bytes > 0)
            .unwrap_or(CLIENT_SLOTS);
        let share = &mut self.clients[own];
        share.bytes = share.bytes.saturating_sub(bytes);
    }

    fn bucket(&mut self, hash: u64) -> *mut *mut Record {
        self.buckets.wrapping_add(hash as usize & self.bucket_mask)
    }

    fn reset(&mut self) {
        for at in 0..=self.bucket_mask {
            // SAFETY: `at` is within the bucket array; the lock is held.
            unsafe { self.buckets.add(at).write(ptr::null_mut()) };
        }
        self.len = 0;
        self.bytes = 0;
        self.clients = [ClientShare { client: 0, bytes: 0 }; CLIENT_SLOTS + 1];
        self.writing = 0;
    }

    /// Walks one bucket's chain: frees ended records, and says whether `key` has a live one.
    ///
    /// # Safety
    /// The lock is held and the table consistent.
    unsafe fn scan(
        &mut self,
        slab: &impl Allocator,
        bucket: *mut *mut Record,
        key: Option<(u64, &[u8])>,
        now: i64,
    ) -> bool {
        let mut link = bucket;
        let mut found = false;
        // SAFETY: links are the bucket or a record's `next`; records are live allocations;
        // at most `len` are walked.
        unsafe {
            for _ in 0..=self.len {
                let record = *link;
                let Some(r) = record.as_ref() else { break };
                if r.until < now {
                    *link = r.next;
                    self.bytes = self.bytes.saturating_sub(footprint(r.key_len));
                    self.release(r.client, footprint(r.key_len));
                    free(record, slab);
                    self.len = self.len.saturating_sub(1);
                    continue;
                }
                if key.is_some_and(|(hash, key)| r.hash == hash && key_of(record) == key) {
                    found = true;
                }
                link = &raw mut (*record).next;
            }
        }
        found
    }

    /// Frees every ended record.
    ///
    /// # Safety
    /// As for `scan`.
    unsafe fn sweep(&mut self, slab: &impl Allocator, now: i64) {
        for at in 0..=self.bucket_mask {
            // SAFETY: `at` is within the bucket array; forwarded.
            unsafe { self.scan(slab, self.buckets.add(at), None, now) };
        }
    }
}

/// The slab bytes a record with a key of `key_len` bytes takes.
fn footprint(key_len: usize) -> usize {
    super::slab_bytes(size_of::<Record>() + key_len)
}

/// The key after `record`'s header.
///
/// # Safety
/// `record` is live; the lock is held; the slice is not kept past it.
unsafe fn key_of<'a>(record: *const Record) -> &'a [u8] {
    // SAFETY: `first_use` wrote `key_len` bytes after the header.
    unsafe {
        std::slice::from_raw_parts(record.cast::<u8>().add(size_of::<Record>()), (*record).key_len)
    }
}

/// # Safety
/// `record` is live and unlinked; the lock is held.
unsafe fn free(record: *mut Record, slab: &impl Allocator) {
    // SAFETY: allocated with this layout by `first_use`.
    unsafe {
        let size = size_of::<Record>() + (*record).key_len;
        if let (Ok(layout), Some(at)) =
            (Layout::from_size_align(size, align_of::<Record>()), NonNull::new(record.cast::<u8>()))
        {
            slab.deallocate(at, layout);
        }
    }
}

/// A worker's handle on the replay table.
pub struct ShmReplay {
    table: NonNull<ReplayTable>,
    /// The token cache, which gives way to replay records in the slab.
    tokens: NonNull<super::tokens::TokenTable>,
    slab: SlabPool,
}

impl ShmReplay {
    /// # Safety
    /// `table` and `tokens` are in `slab`, mapped for the handle's lifetime.
    pub unsafe fn new(
        table: NonNull<ReplayTable>,
        tokens: NonNull<super::tokens::TokenTable>,
        slab: SlabPool,
    ) -> ShmReplay {
        ShmReplay { table, tokens, slab }
    }

    fn locked<T>(&self, f: impl FnOnce(&mut ReplayTable, &LockedSlabPool) -> T) -> T {
        let slab = self.slab.lock();
        // SAFETY: the slab lock makes this the only reference to the table in any process.
        let table = unsafe { &mut *self.table.as_ptr() };
        let torn = table.writing != 0;
        if torn {
            table.reset();
        }
        let result = f(table, &slab);
        drop(slab);
        if torn {
            super::log(
                NGX_LOG_ALERT,
                "a worker died while recording a used token; the replay records were emptied",
            );
        }
        result
    }
}

/// What a first use found worth logging once the lock is released.
enum Outcome {
    Use(FirstUse),
    FullLogged(usize),
}

impl ReplayStore for ShmReplay {
    fn first_use(&self, key: &[u8], client: u64, until: i64, now: i64) -> FirstUse {
        // SAFETY: the seed is written once, before any worker exists.
        let seed = unsafe { (*self.table.as_ptr()).seed };
        let hash = record_hash(seed, key);
        let Some(size) = size_of::<Record>().checked_add(key.len()) else {
            return FirstUse::Unavailable;
        };
        let Ok(layout) = Layout::from_size_align(size, align_of::<Record>()) else {
            return FirstUse::Unavailable;
        };
        let outcome = self.locked(|table, slab| {
            table.writing = 1;
            let bucket = table.bucket(hash);
            // SAFETY: the lock is held and the table consistent.
            if unsafe { table.scan(slab, bucket, Some((hash, key)), now) } {
                table.writing = 0;
                return Outcome::Use(FirstUse::Replayed);
            }
            let needed = footprint(key.len());
            let mut share = table.share_of(client);
            if table.bytes + needed > table.budget
                || table.clients[share].bytes + needed > table.client_budget()
            {
                // SAFETY: as above.
                unsafe { table.sweep(slab, now) };
                share = table.share_of(client);
            }
            if table.clients[share].bytes + needed > table.client_budget() {
                table.writing = 0;
                return Outcome::Use(FirstUse::Unavailable);
            }
            // SAFETY: the token table is in the same slab, whose lock is held.
            let tokens = unsafe { &mut *self.tokens.as_ptr() };
            let memory = if table.bytes + needed > table.budget {
                Err(AllocError)
            } else {
                slab.allocate(layout).or_else(|AllocError| {
                    // SAFETY: as above.
                    unsafe { table.sweep(slab, now) };
                    loop {
                        match slab.allocate(layout) {
                            Ok(memory) => break Ok(memory),
                            Err(AllocError) if tokens.give_way(slab) => {}
                            Err(AllocError) => break Err(AllocError),
                        }
                    }
                })
            };
            let Ok(memory) = memory else {
                table.writing = 0;
                if now.saturating_sub(table.full_logged_at) >= FULL_LOG_INTERVAL {
                    table.full_logged_at = now;
                    return Outcome::FullLogged(table.len);
                }
                return Outcome::Use(FirstUse::Unavailable);
            };
            let record = memory.as_ptr().cast::<Record>();
            // SAFETY: a fresh allocation of `size` bytes aligned for Record, written in full
            // before it is linked at the head of its bucket.
            unsafe {
                record.write(Record { next: *bucket, hash, until, key_len: key.len(), client });
                let body = record.cast::<u8>().add(size_of::<Record>());
                ptr::copy_nonoverlapping(key.as_ptr(), body, key.len());
                *bucket = record;
            }
            table.len += 1;
            table.bytes += needed;
            table.clients[share].bytes += needed;
            table.writing = 0;
            Outcome::Use(FirstUse::First)
        });
        match outcome {
            Outcome::Use(first_use) => first_use,
            Outcome::FullLogged(len) => {
                let message = format!(
                    "has no room for another replay record ({len} unexpired, a quarter of the \
                     zone): tokens at locations with replay protection are refused with 503 \
                     until records end (a larger \"credentialflow_zone\" holds more); \
                     revocations are enforced as ever"
                );
                super::log(NGX_LOG_ERR, &message);
                FirstUse::Unavailable
            }
        }
    }
}
