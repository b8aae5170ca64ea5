//! The module's one shared-memory zone, `credentialflow`, on nginx's slab allocator: registered
//! when the module is on anywhere, sized by `credentialflow_zone`, and kept across reloads the
//! way limit_req keeps its zone. Its root ([`ZoneRoot`]) holds the shared token cache
//! (`tokens.rs`, at most half the zone), the revocations every worker enforces
//! (`revocations.rs`), the replay records (`replay.rs`) and, where a location serves
//! `credentialflow_metrics`, the metrics counters (`metrics.rs`); later state gets fields of
//! its own there, with a new [`LAYOUT`].
//!
//! Reload: when nginx reuses the mapping (same name, tag and size), `init` keeps the root it
//! finds if its magic and layout match this build's; otherwise it starts a fresh root, leaving
//! the old one to the old workers that still use it. A new size is a new mapping: a fresh
//! root. `nginx -t` runs `init` too, on a mapping of its own: it only allocates the root and
//! the table's buckets.

pub mod metrics;
pub mod replay;
pub mod revocations;
pub(crate) mod tokens;

use std::ffi::c_void;
use std::ptr::{addr_of_mut, NonNull};

use credentialflow_core::SharedTokens;
use ngx::allocator::allocate;
use ngx::core::{SlabPool, Status};
use ngx::ffi::{
    ngx_conf_t, ngx_cycle, ngx_int_t, ngx_pagesize, ngx_shared_memory_add, ngx_shm_zone_t,
    ngx_str_t, NGX_LOG_EMERG, NGX_LOG_NOTICE,
};
use ngx::ngx_log_error;

use crate::ffi_guard::guarded;
use replay::{ReplayTable, ShmReplay};
use revocations::{RevocationTable, ShmRevocations};
use tokens::{ShmTokens, TokenTable};

/// The zone's name, as nginx's messages show it.
pub const NAME: &str = "credentialflow";

/// Marks a root written by this module.
const MAGIC: u64 = u64::from_be_bytes(*b"CredFlow");
/// The root's layout: bump it whenever [`ZoneRoot`] or what it points to changes shape.
const LAYOUT: u32 = 4;

/// What the zone holds; `slab.data` points at it.
#[repr(C)]
pub struct ZoneRoot {
    magic: u64,
    layout: u32,
    /// The verified tokens every worker shares.
    tokens: TokenTable,
    /// The revocations every worker enforces.
    revocations: RevocationTable,
    /// The tokens used at locations with replay protection.
    replay: ReplayTable,
    /// The metrics counters, allocated the first time a configuration serves
    /// `credentialflow_metrics` (null before).
    metrics: *mut metrics::MetricsTable,
}

/// The bytes the slab takes for an allocation of `size`: a power of two of at least 8 up to
/// half a page, whole pages above (what budgets count, so that they hold in real memory).
pub fn slab_bytes(size: usize) -> usize {
    // SAFETY: ngx_pagesize is set by ngx_os_init, before any configuration is read.
    let page = unsafe { ngx_pagesize }.max(1);
    if size <= page / 2 {
        size.next_power_of_two().max(8)
    } else {
        size.div_ceil(page).saturating_mul(page)
    }
}

/// The smallest zone nginx's own zones accept: eight pages.
pub fn min_size() -> usize {
    // SAFETY: ngx_pagesize is set by ngx_os_init, before any configuration is read.
    8 * unsafe { ngx_pagesize }
}

/// Asks nginx for the zone (from `postconfiguration`); its `init` runs once the whole
/// configuration is read.
///
/// # Safety
/// `cf` is the configuration being read.
/// `main` is the configuration's main conf: `init` reads what the metrics need from it and
/// tells it where the metrics table is.
pub unsafe fn add(
    cf: *mut ngx_conf_t,
    size: usize,
    main: *mut crate::conf::MainConf,
) -> Result<NonNull<ngx_shm_zone_t>, ()> {
    let mut name = ngx_str_t { len: NAME.len(), data: NAME.as_ptr().cast_mut() };
    // SAFETY: the tag is our module's address, unique to it; nginx copies nothing from the
    // name but keeps the pointer, which is to static data.
    let zone = unsafe {
        let tag = addr_of_mut!(crate::ngx_http_credentialflow_module).cast();
        ngx_shared_memory_add(cf, &mut name, size, tag)
    };
    // nginx has reported the reason (another zone of this name, of another kind).
    let mut zone = NonNull::new(zone).ok_or(())?;
    // SAFETY: a zone nginx just returned; it lives in the cycle being configured.
    let shm_zone = unsafe { zone.as_mut() };
    shm_zone.init = Some(init_zone);
    // Non-null: nginx hands it back to the next cycle's `init` when it reuses the mapping,
    // which is all `init` needs to know of the old cycle; of the new one it reads `main`.
    shm_zone.data = main.cast();
    Ok(zone)
}

/// The root in `slab`, if it is one this build wrote.
fn root_of(slab: &SlabPool) -> Option<NonNull<ZoneRoot>> {
    let root = NonNull::new(slab.as_ref().data.cast::<ZoneRoot>())?;
    // SAFETY: slab.data is null or a root written by `init_zone` (ours, or an older build's,
    // which begins with the same two fields: checked before anything else is read).
    let (magic, layout) = unsafe { ((*root.as_ptr()).magic, (*root.as_ptr()).layout) };
    (magic == MAGIC && layout == LAYOUT).then_some(root)
}

/// The zone's `init`: keeps a root this build wrote when nginx reuses the mapping, else
/// writes a fresh one.
unsafe extern "C" fn init_zone(zone: *mut ngx_shm_zone_t, data: *mut c_void) -> ngx_int_t {
    // SAFETY: nginx passes the zone it is initialising; its log is the cycle's.
    let log = unsafe { (*zone).shm.log };
    guarded(log, "the zone's init", Status::NGX_ERROR.into(), || {
        // SAFETY: a mapped zone, between its init and the next reload in the master.
        let zone = unsafe { &*zone };
        // SAFETY: as above.
        let Some(mut slab) = (unsafe { SlabPool::from_shm_zone(zone) }) else {
            return Status::NGX_ERROR.into();
        };
        let reused = !data.is_null();
        let root = match root_of(&slab) {
            Some(root) if reused => {
                ngx_log_error!(NGX_LOG_NOTICE, log, "credentialflow: zone \"{NAME}\" reused");
                root
            }
            _ => {
                let size = zone.shm.size;
                let root = TokenTable::new(&slab, size).and_then(|tokens| {
                    let replay = ReplayTable::new(&slab, size)?;
                    let revocations = RevocationTable::new(size);
                    let metrics = std::ptr::null_mut();
                    let root = ZoneRoot {
                        magic: MAGIC,
                        layout: LAYOUT,
                        tokens,
                        revocations,
                        replay,
                        metrics,
                    };
                    allocate(root, &slab)
                });
                let Ok(root) = root else {
                    ngx_log_error!(
                        NGX_LOG_EMERG,
                        log,
                        "credentialflow: zone \"{NAME}\" is too small"
                    );
                    return Status::NGX_ERROR.into();
                };
                slab.as_mut().data = root.as_ptr().cast();
                // A full zone evicts; nginx need not log each failed allocation.
                slab.as_mut().set_log_nomem(0);
                root
            }
        };
        // SAFETY: the zone's data is the main conf `add` was given, alive with this cycle.
        let Some(main) = (unsafe { zone.data.cast::<crate::conf::MainConf>().as_mut() }) else {
            return Status::NGX_ERROR.into();
        };
        if main.metrics.enabled() {
            // SAFETY: a root of this layout; only the master writes its metrics pointer, here.
            let metrics = unsafe { &mut (*root.as_ptr()).metrics };
            if metrics.is_null() {
                let Ok(table) = allocate(metrics::MetricsTable::new(), &slab) else {
                    ngx_log_error!(
                        NGX_LOG_EMERG,
                        log,
                        "credentialflow: zone \"{NAME}\" is too small for the metrics"
                    );
                    return Status::NGX_ERROR.into();
                };
                *metrics = table.as_ptr();
            }
            // SAFETY: a table in this zone, which outlives the cycle's configuration.
            main.metrics.attach(unsafe { &*(*metrics) });
        }
        Status::NGX_OK.into()
    })
}

/// What a worker is attached to: the mapping and the root in it. A cycle whose zone has
/// another identity (a reload with `master_process off`) needs a new handle.
pub type Identity = (usize, usize);

/// The identity of `zone` as it is now.
pub fn identity(zone: NonNull<ngx_shm_zone_t>) -> Option<Identity> {
    // SAFETY: the zone of the current cycle, mapped for the whole life of this process.
    let slab = unsafe { SlabPool::from_shm_zone(zone.as_ref())? };
    let root = root_of(&slab)?;
    Some((std::ptr::from_ref(slab.as_ref()).addr(), root.as_ptr().addr()))
}

/// A worker's handles on what the zone holds.
pub struct Handles {
    /// The shared level of the token cache.
    pub tokens: Box<dyn SharedTokens>,
    /// The revocations, with the set this worker enforces.
    pub revocations: ShmRevocations,
    /// The replay records.
    pub replay: ShmReplay,
}

/// This worker's handles on `zone`.
pub fn attach(zone: NonNull<ngx_shm_zone_t>) -> Option<Handles> {
    // SAFETY: as in `identity`.
    let slab = unsafe { SlabPool::from_shm_zone(zone.as_ref())? };
    let root = root_of(&slab)?.as_ptr();
    // SAFETY: a root of this build's layout; its tables live as long as the mapping, which a
    // worker keeps until it exits (a reload starts new workers). Each handle is given the
    // slab its table is in.
    unsafe {
        let tokens = NonNull::new_unchecked(&raw mut (*root).tokens);
        let revocations = NonNull::new_unchecked(&raw mut (*root).revocations);
        let replay = NonNull::new_unchecked(&raw mut (*root).replay);
        Some(Handles {
            tokens: Box::new(ShmTokens::new(tokens, slab.clone())),
            revocations: ShmRevocations::new(revocations, tokens, slab.clone()),
            replay: ShmReplay::new(replay, tokens, slab),
        })
    }
}

/// What a scrape reports of the zone's tables: the shared cache's entries and evictions, and
/// the revocations by kind.
pub fn stats(zone: NonNull<ngx_shm_zone_t>) -> Option<((u64, u64), [u64; 4])> {
    // SAFETY: as in `identity`.
    let slab = unsafe { SlabPool::from_shm_zone(zone.as_ref())? };
    let root = root_of(&slab)?.as_ptr();
    // SAFETY: as in `attach`.
    unsafe {
        let table = NonNull::new_unchecked(&raw mut (*root).tokens);
        let tokens = ShmTokens::new(table, slab.clone());
        let revocations =
            ShmRevocations::new(NonNull::new_unchecked(&raw mut (*root).revocations), table, slab);
        Some((tokens.stats(), revocations.count_by_kind()))
    }
}

/// Logs a message about the zone on the current cycle's log.
fn log(level: u32, message: &str) {
    // SAFETY: ngx_cycle is the current cycle of this worker; its log is always valid.
    let log = unsafe { (*std::ptr::read_volatile(&raw const ngx_cycle)).log };
    ngx_log_error!(level as usize, log, "credentialflow: zone \"{NAME}\": {message}");
}
