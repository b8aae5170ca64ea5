//! Each worker re-checks its revocation files, client registries and API key registries twice a second, so a
//! change takes effect within a second without a reload. A revocation file's new version is
//! loaded into the shared zone by the first worker that sees it (the zone records which
//! version it holds), and ended revocations are swept from the zone. The request path only
//! reads the registry in memory and the revocations its worker copied from the zone.

use std::cell::{Cell, RefCell};
use std::ptr::{addr_of, addr_of_mut, NonNull};
use std::sync::Arc;

use credentialflow_core::api_key::registry::ApiKeySource;
use credentialflow_core::defaults;
use credentialflow_core::oauth::source::RegistrySource;
use credentialflow_core::revocation::RevocationSource;
use credentialflow_core::watched::{Contents, Refresh, Watched};
use ngx::ffi::{
    ngx_add_timer, ngx_cycle_t, ngx_del_timer, ngx_event_t, ngx_exiting, ngx_log_t, ngx_quit,
    ngx_shm_zone_t, ngx_terminate, ngx_time, NGX_LOG_ALERT, NGX_LOG_ERR, NGX_LOG_NOTICE,
};
use ngx::ngx_log_error;

use crate::ffi_guard::guarded;
use crate::worker_state;
use crate::zone::revocations::{Change, Source, ZoneFull};

const INTERVAL_MS: usize = defaults::REVOCATION_CHECK_INTERVAL_MS;

// nginx's debug logging reads `((ngx_connection_t *) ev->data)->fd`: give it something to read.
static mut TIMER_IDENT: [usize; 4] = [0; 4];
static mut TIMER: ngx_event_t = unsafe { std::mem::zeroed() };

thread_local! {
    static SOURCES: RefCell<Vec<Arc<RevocationSource>>> = const { RefCell::new(Vec::new()) };
    static REGISTRIES: RefCell<Vec<Arc<RegistrySource>>> = const { RefCell::new(Vec::new()) };
    static API_KEYS: RefCell<Vec<Arc<ApiKeySource>>> = const { RefCell::new(Vec::new()) };
    static ZONE: Cell<Option<NonNull<ngx_shm_zone_t>>> = const { Cell::new(None) };
    /// Per revocation file, the zone ticket taken before this worker read the version it
    /// holds (0: read by the master, before the zone existed).
    static TICKETS: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

/// Loads each revocation file's current version into the zone unless the zone holds it
/// already, forgets files no longer configured, and sweeps ended revocations.
pub fn sync_revocations(
    log: *mut ngx_log_t,
    zone: Option<NonNull<ngx_shm_zone_t>>,
    sources: &[Arc<RevocationSource>],
) {
    let now = ngx_time();
    worker_state::with_revocations(zone, |handle| {
        let Some(handle) = handle else { return };
        for (index, source) in sources.iter().enumerate() {
            let list = source.current();
            let ticket = TICKETS.with_borrow(|tickets| tickets.get(index).copied().unwrap_or(0));
            match handle.replace(Source::File(index), list.id(), ticket, list.entries(), now) {
                Ok(Change::Done | Change::AlreadyLoaded | Change::Stale) => {}
                Err(ZoneFull) => {
                    let path = source.path().display();
                    ngx_log_error!(
                        NGX_LOG_ALERT,
                        log,
                        "credentialflow: revocation file \"{path}\" ({} entries) does not fit in \
                         the zone: every token is refused with 503 until it does (raise \
                         \"credentialflow_zone\")",
                        list.len()
                    );
                }
            }
        }
        handle.forget_files_from(sources.len());
        handle.sweep(now);
    });
}

/// Starts the timer in this worker if any revocation file or client registry is configured.
///
/// # Safety
/// Call from `init_process`, on the worker's event loop.
pub unsafe fn start(
    cycle: &mut ngx_cycle_t,
    zone: Option<NonNull<ngx_shm_zone_t>>,
    sources: &[Arc<RevocationSource>],
    registries: &[Arc<RegistrySource>],
    api_keys: &[Arc<ApiKeySource>],
) {
    // Before the first request: the zone holds every file's revocations (and no file's that
    // a reload removed from the configuration), as read now, under a ticket: what the master
    // read may be older than what the zone holds (a respawned worker, a reload).
    ZONE.set(zone);
    refresh_revocation_files(cycle.log, sources);
    sync_revocations(cycle.log, zone, sources);
    if zone.is_none() && sources.is_empty() && registries.is_empty() && api_keys.is_empty() {
        return;
    }
    SOURCES.with(|s| *s.borrow_mut() = sources.to_vec());
    REGISTRIES.with(|r| *r.borrow_mut() = registries.to_vec());
    API_KEYS.with(|k| *k.borrow_mut() = api_keys.to_vec());
    ZONE.set(zone);
    // SAFETY: the timer event is only touched from this worker's single thread.
    unsafe {
        let timer = &mut *addr_of_mut!(TIMER);
        timer.handler = Some(tick);
        timer.log = cycle.log;
        timer.data = addr_of!(TIMER_IDENT) as *mut _;
        timer.set_cancelable(1);
        ngx_add_timer(timer, INTERVAL_MS as _);
    }
}

/// Stops the timer (from `exit_process`).
pub fn stop() {
    // SAFETY: same thread as start; deleting an unset timer is guarded by timer_set.
    unsafe {
        let timer = &mut *addr_of_mut!(TIMER);
        if timer.timer_set() != 0 {
            ngx_del_timer(timer);
        }
    }
    SOURCES.with(|s| s.borrow_mut().clear());
    TICKETS.with(|t| t.borrow_mut().clear());
    REGISTRIES.with(|r| r.borrow_mut().clear());
    API_KEYS.with(|k| k.borrow_mut().clear());
    ZONE.set(None);
}

/// Refreshes each watched file, logging what changed: `what` names the kind of file, `holds`
/// its entries, `kept` what stays in force when it fails.
fn refresh_all<T: Contents>(log: *mut ngx_log_t, files: &[Arc<Watched<T>>], names: Names<'_>) {
    for file in files {
        refresh_one(log, file, names);
    }
}

/// How a kind of watched file is named in log lines: the file, its entries, what is kept.
type Names<'a> = (&'a str, &'a str, &'a str);

/// Refreshes one watched file and logs what changed; whether the contents in force are the
/// file's current version (unchanged or just reloaded, not a failure's older one).
fn refresh_one<T: Contents>(
    log: *mut ngx_log_t,
    file: &Watched<T>,
    (what, holds, kept): Names<'_>,
) -> bool {
    let path = file.path().display();
    match file.refresh() {
        Refresh::Unchanged => !file.failing(),
        Refresh::Reloaded(count) => {
            ngx_log_error!(
                NGX_LOG_NOTICE,
                log,
                "credentialflow: {what} \"{path}\" reloaded, {count} {holds}"
            );
            true
        }
        Refresh::Failed(error) => {
            ngx_log_error!(
                NGX_LOG_ERR,
                log,
                "credentialflow: {what} \"{path}\": {error}; keeping the previous {kept}"
            );
            false
        }
    }
}

/// Refreshes the revocation files, each under a zone ticket taken before it is stat'ed: the
/// contents in force after a successful refresh are the file as it was after the ticket (read
/// again if it changed, the same version otherwise), so a load never passes for newer than it
/// is (see `zone::revocations`). A file that fails keeps the ticket of its last good read.
fn refresh_revocation_files(log: *mut ngx_log_t, files: &[Arc<RevocationSource>]) {
    let zone = ZONE.get();
    for (index, file) in files.iter().enumerate() {
        let ticket = worker_state::with_revocations(zone, |h| h.map_or(0, |h| h.ticket()));
        if refresh_one(log, file, ("revocation file", "entries", "list")) {
            TICKETS.with_borrow_mut(|tickets| {
                if tickets.len() <= index {
                    tickets.resize(index + 1, 0);
                }
                tickets[index] = ticket;
            });
        }
    }
}

unsafe extern "C" fn tick(event: *mut ngx_event_t) {
    // SAFETY: nginx passes our timer event, whose log is the cycle's.
    let log = unsafe { (*event).log };
    // SAFETY: reading nginx's process-state flags in its own worker.
    let stopping = unsafe { ngx_exiting != 0 || ngx_quit != 0 || ngx_terminate != 0 };
    if stopping {
        // An old worker finishing its requests after a reload leaves the zone to the new
        // configuration's workers: loading its own files again would undo theirs.
        return;
    }
    guarded(log, "the file watch timer", (), || {
        SOURCES.with_borrow(|files| {
            refresh_revocation_files(log, files);
            sync_revocations(log, ZONE.get(), files);
        });
        REGISTRIES.with_borrow(|files| {
            refresh_all(log, files, ("client registry", "clients", "registry"))
        });
        API_KEYS.with_borrow(|files| refresh_all(log, files, ("API key registry", "keys", "keys")));
    });
    // SAFETY: re-arming our own timer on the worker's thread.
    unsafe { ngx_add_timer(event, INTERVAL_MS as _) };
}
