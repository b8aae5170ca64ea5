//! Committing a revocation made at the revocation endpoint: reserved in the shared zone (in
//! force at once, if the zone's budget admits it: `zone::revocations`), then made durable by
//! a [`DurableStore`], then confirmed in the zone and answered 200. A failed durable write is
//! answered 503 (RFC 7009 §2.2.1: the client must assume the token is still valid, and may
//! retry) and the reservation leaves the zone: no worker enforces what a restart would forget.
//!
//! The revocation file ([`FileStore`]) appends the line and `fdatasync`s it on nginx's
//! `default` thread pool when nginx is built with threads (the vendored build is), so the event
//! loop never waits for the disk; without threads the write is synchronous. Appends and the
//! compaction of ended lines (which renames a new file over the old one) hold the file's
//! `flock`, so no append lands in a file being replaced. The zone entry is recorded under the
//! file's source as pending: a load of the file that may have been read before the line was
//! written keeps it, so the revocation stays in force from its 200 on.
//!
//! A store that completes asynchronously (Redis) implements [`DurableStore::begin`]: start
//! the write, keep the [`Commit`], and call [`Commit::finish`] once on the worker's event loop
//! when the write is acknowledged or failed.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::time::{Duration, Instant};

use std::sync::Mutex;

use credentialflow_core::oauth::revoke::file_append;
use credentialflow_core::revocation::{compact, Revocation};
use ngx::ffi::{
    ngx_http_finalize_request, ngx_http_request_t, ngx_http_run_posted_requests, ngx_int_t,
    ngx_shm_zone_t, ngx_uint_t, NGX_HTTP_SERVICE_UNAVAILABLE, NGX_LOG_ERR, NGX_LOG_INFO,
    NGX_LOG_NOTICE,
};
use ngx::http::Request;
use ngx::ngx_log_error;

use super::body::{self, Outcome, NO_CACHE, NO_STORE};
use super::respond;
use crate::ffi_guard::guarded;
use crate::worker_state;
use crate::zone::revocations::{Reservation, Source};

/// How long a durable write took, or why it failed.
pub type Durable = Result<Duration, String>;

/// A revocation on its way to being committed, with the request that asked for it.
pub struct Commit {
    request: *mut ngx_http_request_t,
    revocation: Revocation,
    /// The client that revoked, for the log line.
    client: String,
    zone: Option<NonNull<ngx_shm_zone_t>>,
    /// The revocation, in force in the zone while it is being made durable.
    reservation: Option<Reservation>,
    /// Whether [`Commit::suspend`] made the request wait.
    suspended: bool,
}

/// Answers 503 with `temporarily_unavailable` (RFC 7009 §2.2.1: the client must assume the
/// token still valid, and may retry later).
pub fn unavailable(r: &mut Request, description: &str) -> ngx_int_t {
    let body =
        format!(r#"{{"error":"temporarily_unavailable","error_description":"{description}"}}"#);
    let status = NGX_HTTP_SERVICE_UNAVAILABLE as ngx_uint_t;
    respond::json(r, status, &[NO_STORE, NO_CACHE, ("Retry-After", "1")], &body)
}

impl Commit {
    /// `revocation`, asked for by `client` in the request `r`.
    /// `reservation` is the revocation's entry in the zone's revocations, made by
    /// `ShmRevocations::reserve` (`None` without a zone).
    pub fn new(
        r: &mut Request,
        revocation: Revocation,
        client: String,
        zone: Option<NonNull<ngx_shm_zone_t>>,
        reservation: Option<Reservation>,
    ) -> Commit {
        let request: *mut ngx_http_request_t = r.as_mut();
        Commit { request, revocation, client, zone, reservation, suspended: false }
    }

    /// Keeps the request alive while the store works outside the event loop's current call
    /// (nginx then neither frees nor terminates it, as for its own thread-pool I/O); the
    /// store calls this before it answers [`Outcome::Pending`]. [`Commit::finish`] undoes it.
    pub fn suspend(&mut self) {
        if !self.suspended {
            // SAFETY: the request is live until it is finalized, which only `finish` does.
            unsafe {
                let main = (*self.request).main;
                (*main).set_blocked((*main).blocked() + 1);
            }
            self.suspended = true;
        }
    }

    /// The revocation being committed.
    pub fn revocation(&self) -> &Revocation {
        &self.revocation
    }

    /// Confirms a durable revocation in the zone (or takes back one that is not durable) and
    /// answers; returns the code to finalize with.
    fn complete(&self, store: &str, durable: Durable) -> ngx_int_t {
        // SAFETY: the request is alive until it is finalized, which only the caller does next.
        let r = unsafe { Request::from_ngx_http_request(self.request) };
        let what = describe(&self.revocation);
        let reservation = self.reservation;
        let elapsed = match durable {
            Ok(elapsed) => elapsed,
            Err(why) => {
                if let Some(reservation) = reservation {
                    worker_state::with_revocations(self.zone, |handle| {
                        handle.map(|handle| handle.cancel(reservation))
                    });
                }
                ngx_log_error!(
                    NGX_LOG_ERR,
                    r.log(),
                    "credentialflow: revocation {what} by client id \"{}\" not committed to \
                     {store}: {why}",
                    self.client
                );
                return unavailable(r, "the revocation could not be recorded; retry later");
            }
        };
        if let Some(reservation) = reservation {
            worker_state::with_revocations(self.zone, |handle| {
                handle.map(|handle| handle.confirm(reservation, &self.revocation, body::now()))
            });
        }
        if let Some(note) = compaction_note() {
            ngx_log_error!(NGX_LOG_NOTICE, r.log(), "credentialflow: {note}");
        }
        ngx_log_error!(
            NGX_LOG_INFO,
            r.log(),
            "credentialflow: revocation {what} by client id \"{}\" committed to {store} in {} us",
            self.client,
            elapsed.as_micros()
        );
        super::revoke::revoked(r)
    }

    /// [`Commit::complete`], then finalizes the request and runs the requests it posted: for a
    /// store that completes later, from an event of its own.
    pub fn finish(mut self, store: &str, durable: Durable) {
        let r = self.request;
        if self.suspended {
            // SAFETY: `suspend` raised blocked on this live request.
            unsafe {
                let main = (*r).main;
                (*main).set_blocked((*main).blocked().saturating_sub(1));
            }
            self.suspended = false;
        }
        // SAFETY: the request is alive: nothing finalized it while the write was pending.
        let (log, connection) = unsafe { ((*(*r).connection).log, (*r).connection) };
        let rc = guarded(log, "a revocation commit", body::internal_error(), || {
            self.complete(store, durable)
        });
        // SAFETY: finalizing the request the body post-handler left to this commit, once.
        unsafe {
            ngx_http_finalize_request(r, rc);
            ngx_http_run_posted_requests(connection);
        }
    }
}

/// A revocation as its log line names it: the kind and the value, printable and at most 64
/// characters (a `jti`, `sub`, `client_id` or `kid`, never a token).
fn describe(revocation: &Revocation) -> String {
    let value: String = String::from_utf8_lossy(&revocation.value)
        .chars()
        .take(64)
        .map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' })
        .collect();
    format!("\"{} {value}\"", revocation.kind.word())
}

/// Where revocations are made durable before they are enforced.
pub trait DurableStore: Send + Sync {
    /// The zone source its revocations are recorded under.
    fn source(&self) -> Source;

    /// Starts making `commit` durable. Either answers now ([`Outcome::Answered`], after
    /// [`Commit`]'s work is done synchronously) or keeps the commit and calls
    /// [`Commit::finish`] exactly once, on the worker's event loop ([`Outcome::Pending`]).
    fn begin(&self, commit: Commit) -> Outcome;
}

/// Commits `commit` to `store`.
pub fn begin(store: &dyn DurableStore, commit: Commit) -> Outcome {
    store.begin(commit)
}

/// nginx's `default` thread pool, as `ngx_thread_pool_add` returned it at configuration time
/// (it lives as long as the cycle).
#[derive(Clone, Copy)]
pub struct ThreadPool(#[allow(dead_code)] NonNull<std::ffi::c_void>);

// SAFETY: the pointer is only handed to `ngx_thread_task_post`, which locks the pool's own
// mutex; the pool lives as long as the configuration that holds this value.
unsafe impl Send for ThreadPool {}
// SAFETY: as above; the value is never written through.
unsafe impl Sync for ThreadPool {}

impl ThreadPool {
    /// Asks nginx for the `default` thread pool (32 threads unless `thread_pool default` says
    /// otherwise); `None` when nginx is built without threads.
    ///
    /// # Safety
    /// `cf` is the configuration being read.
    pub unsafe fn default_pool(cf: *mut ngx::ffi::ngx_conf_t) -> Option<ThreadPool> {
        #[cfg(ngx_feature = "threads")]
        {
            let mut name = ngx::ngx_string!("default");
            // SAFETY: nginx copies what it keeps of the name; cf is being read.
            let pool = unsafe { ngx::ffi::ngx_thread_pool_add(cf, &mut name) };
            NonNull::new(pool.cast()).map(ThreadPool)
        }
        #[cfg(not(ngx_feature = "threads"))]
        {
            let _ = cf;
            None
        }
    }
}

/// Redis (`credentialflow_redis`): the revocation is stored with its lifetime and announced,
/// so every instance enforces it; answered 503 when Redis does not acknowledge it within its
/// `timeout=` (the client must then assume the token still valid, and may retry).
pub struct RedisStore;

impl DurableStore for RedisStore {
    fn source(&self) -> Source {
        Source::Redis
    }

    fn begin(&self, mut commit: Commit) -> Outcome {
        commit.suspend();
        let started = Instant::now();
        let write = crate::redis::commit_revocation(commit.revocation());
        ngx::async_::spawn(async move {
            let durable = match write.await {
                Ok(()) => Ok(started.elapsed()),
                Err(crate::redis::Unavailable) => Err("Redis did not acknowledge it".into()),
            };
            commit.finish("Redis", durable);
        })
        .detach();
        Outcome::Pending
    }
}

/// The revocation file: each revocation appended as a line and `fdatasync`ed.
pub struct FileStore {
    path: PathBuf,
    /// The file's place among the configured revocation files (its zone source).
    index: usize,
    pool: Option<ThreadPool>,
}

impl FileStore {
    /// The file at `path`, the `index`th revocation file, written on `pool` if there is one.
    pub fn new(path: PathBuf, index: usize, pool: Option<ThreadPool>) -> FileStore {
        FileStore { path, index, pool }
    }

    fn name(&self) -> String {
        format!("\"{}\"", self.path.display())
    }
}

/// Appends `revocation`'s line to the file and waits until it is on the disk; the time it took.
/// A file that does not end in a newline (a hand edit) gets one first. The file's `flock` is
/// held throughout, and the file is compacted afterwards when it has grown enough for a check
/// to be worth it ([`compact_locked`]).
pub fn append_durably(path: &Path, revocation: &Revocation) -> Durable {
    let started = Instant::now();
    let fail = |e: std::io::Error| e.to_string();
    let mut file = open_locked(path).map_err(fail)?;
    let len = file.metadata().map_err(fail)?.len();
    let mut last = [b'\n'];
    if len > 0 {
        file.read_exact_at(&mut last, len - 1).map_err(fail)?;
    }
    let bytes = file_append(revocation, last == [b'\n']).ok_or("the value cannot be written")?;
    // One write with O_APPEND: lines appended by several workers at once do not interleave.
    file.write_all(&bytes).map_err(fail)?;
    file.sync_data().map_err(fail)?;
    let elapsed = started.elapsed();
    compact_locked(path, &file);
    Ok(elapsed)
}

/// The file at `path` opened for appending, with its `flock` held: the file the path names
/// once the lock is held (a compaction may have renamed a new one over the one first opened).
fn open_locked(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::MetadataExt;
    for _ in 0..16 {
        let file = OpenOptions::new().append(true).read(true).open(path)?;
        file.lock()?;
        let (held, named) = (file.metadata()?, std::fs::metadata(path)?);
        if (held.dev(), held.ino()) == (named.dev(), named.ino()) {
            return Ok(file);
        }
    }
    Err(std::io::Error::other("the file keeps being replaced"))
}

/// A compaction's outcome worth a log line, kept until a request's completion logs it (the
/// write runs on a pool thread, which has no log).
static COMPACTION_NOTE: Mutex<Option<String>> = Mutex::new(None);
/// Per file, its length when it was last checked for compaction: the next check waits until
/// it has grown by a quarter, so the reads cost a constant share of the appends.
static CHECKED_AT: Mutex<Vec<(PathBuf, u64)>> = Mutex::new(Vec::new());

/// The length `path` had when last checked for compaction (0: never).
fn checked_at(path: &Path) -> u64 {
    let checked = CHECKED_AT.lock().unwrap_or_else(|p| p.into_inner());
    checked.iter().find(|(p, _)| p == path).map_or(0, |(_, at)| *at)
}

/// Records that `path` was checked for compaction at `len` bytes.
fn record_checked(path: &Path, len: u64) {
    let mut checked = CHECKED_AT.lock().unwrap_or_else(|p| p.into_inner());
    match checked.iter_mut().find(|(p, _)| p == path) {
        Some((_, at)) => *at = len,
        None => checked.push((path.to_path_buf(), len)),
    }
}

/// Drops the lines of ended revocations from the file (`file`, locked, is what `path`
/// names) when `credentialflow_core::revocation::compact` says it is worth it: the kept
/// lines go to a new file beside it, which is renamed over it, so a reader sees the old file
/// or the new one, never a part. Needs the directory writable by the worker's user;
/// otherwise the file keeps its ended lines (loading skips them) and this is logged once.
fn compact_locked(path: &Path, file: &std::fs::File) {
    let Ok(len) = file.metadata().map(|m| m.len()) else { return };
    let at = checked_at(path);
    if at != 0 && len < at.saturating_add(at / 4) {
        return;
    }
    record_checked(path, len);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    // Read from the start: the append left the file's offset at its end.
    let Ok(size) = usize::try_from(len) else { return };
    let mut text = vec![0; size];
    if file.read_exact_at(&mut text, 0).is_err() {
        return;
    }
    let Some(kept) = compact::compacted(&text, now) else { return };
    let note = match rewrite(path, file, &kept) {
        Ok(()) => {
            record_checked(path, kept.len() as u64);
            format!(
                "revocation file \"{}\" compacted: ended revocations removed, {} of {} bytes kept",
                path.display(),
                kept.len(),
                text.len()
            )
        }
        Err(e) => format!(
            "revocation file \"{}\" not compacted ({e}): its ended lines stay on disk (they are \
             never loaded); let the worker user write to its directory to compact it",
            path.display()
        ),
    };
    *COMPACTION_NOTE.lock().unwrap_or_else(|p| p.into_inner()) = Some(note);
}

/// Writes `kept` to a new file beside `path`, with `file`'s permissions, and renames it over.
fn rewrite(path: &Path, file: &std::fs::File, kept: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().ok_or_else(|| std::io::Error::other("no file name"))?;
    let mut temporary = path.to_path_buf();
    temporary.set_file_name(format!(".{}.compacting", name.to_string_lossy()));
    let written = (|| {
        let mut new =
            OpenOptions::new().write(true).create(true).truncate(true).open(&temporary)?;
        new.set_permissions(file.metadata()?.permissions())?;
        new.write_all(kept)?;
        new.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written?;
    if let Some(directory) = path.parent().and_then(|d| std::fs::File::open(d).ok()) {
        let _ = directory.sync_all();
    }
    Ok(())
}

/// The note of the last compaction, once.
fn compaction_note() -> Option<String> {
    COMPACTION_NOTE.lock().unwrap_or_else(|p| p.into_inner()).take()
}

impl DurableStore for FileStore {
    fn source(&self) -> Source {
        Source::File(self.index)
    }

    fn begin(&self, commit: Commit) -> Outcome {
        #[cfg(ngx_feature = "threads")]
        if let Some(pool) = self.pool {
            return threaded::post(self, pool, commit);
        }
        let _ = self.pool;
        // Without threads the worker waits for the disk here (see docs/directives.md, credentialflow_oauth_revoke).
        let durable = append_durably(&self.path, commit.revocation());
        Outcome::Answered(commit.complete(&self.name(), durable))
    }
}

#[cfg(ngx_feature = "threads")]
mod threaded {
    use std::ffi::c_void;
    use std::path::PathBuf;
    use std::ptr;

    use ngx::ffi::{
        ngx_event_t, ngx_log_t, ngx_thread_pool_t, ngx_thread_task_alloc, ngx_thread_task_post,
        ngx_thread_task_t, NGX_OK,
    };

    use super::{append_durably, Commit, Durable, FileStore, Outcome, ThreadPool};
    use crate::ffi_guard::guarded;

    /// What the thread needs and what it gives back; owned by the task until it completes.
    struct Job {
        path: PathBuf,
        store: String,
        commit: Commit,
        durable: Option<Durable>,
    }

    /// Posts the write to the pool; the request waits (`blocked`) until the job is done.
    pub(super) fn post(store: &FileStore, pool: ThreadPool, commit: Commit) -> Outcome {
        let r = commit.request;
        // SAFETY: the request is live; its pool outlives the task, which the request waits for.
        let task = unsafe { ngx_thread_task_alloc((*r).pool, size_of::<*mut Job>()) };
        if task.is_null() {
            let durable = Err("out of memory".into());
            return Outcome::Answered(commit.complete(&store.name(), durable));
        }
        let job = Box::into_raw(Box::new(Job {
            path: store.path.clone(),
            store: store.name(),
            commit,
            durable: None,
        }));
        // SAFETY: task is a fresh task whose ctx has room for one pointer; the event runs on
        // this worker's loop with the connection's log; `r` stays live (blocked) until then.
        unsafe {
            (*task).ctx.cast::<*mut Job>().write(job);
            (*task).handler = Some(write);
            (*task).event.handler = Some(done);
            (*task).event.data = task.cast();
            (*task).event.log = (*(*r).connection).log;
            (*job).commit.suspend();
            if ngx_thread_task_post(pool.0.as_ptr().cast::<ngx_thread_pool_t>(), task)
                != NGX_OK as isize
            {
                let job = Box::from_raw(job);
                let durable = Err("the thread pool refused the write".into());
                job.commit.finish(&job.store, durable);
            }
        }
        Outcome::Pending
    }

    /// On a pool thread: the write. Touches only the job.
    unsafe extern "C" fn write(data: *mut c_void, _log: *mut ngx_log_t) {
        // SAFETY: data is the task's ctx, holding the job pointer `post` wrote; the event
        // loop does not touch the job until the task completes.
        let job = unsafe { &mut **data.cast::<*mut Job>() };
        let durable = guarded(ptr::null_mut(), "a revocation write", Err("panic".into()), || {
            append_durably(&job.path, job.commit.revocation())
        });
        job.durable = Some(durable);
    }

    /// Back on the event loop: the job is done; commit and finalize.
    unsafe extern "C" fn done(event: *mut ngx_event_t) {
        // SAFETY: nginx passes the task's event, whose log `post` set.
        let log = unsafe { (*event).log };
        guarded(log, "a revocation write's completion", (), || {
            // SAFETY: the event is the task's, whose data is the task; the job is ours again.
            let job = unsafe {
                let task = (*event).data.cast::<ngx_thread_task_t>();
                Box::from_raw(*(*task).ctx.cast::<*mut Job>())
            };
            let Job { store, commit, durable, .. } = *job;
            let durable = durable.unwrap_or_else(|| Err("the write did not run".into()));
            commit.finish(&store, durable);
        })
    }
}
