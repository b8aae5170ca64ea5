//! Committing a revocation made at the revocation endpoint: first made durable by a
//! [`DurableStore`], then put in the shared zone (every worker refuses the token on its next
//! request, cached verifications included), then answered 200. A failed durable write is
//! answered 503 (RFC 7009 §2.2.1: the client must assume the token is still valid, and may
//! retry) and the zone is left alone: no worker enforces what a restart would forget.
//!
//! The revocation file ([`FileStore`]) appends the line and `fdatasync`s it on nginx's
//! `default` thread pool when nginx is built with threads (the vendored build is), so the event
//! loop never waits for the disk; without threads the write is synchronous. The zone entry is
//! recorded under the file's source: when the file watcher later reloads the file (which now
//! holds the line), it replaces that source's entries with the file's, the new line included,
//! so the two agree.
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

use credentialflow_core::oauth::revoke::file_append;
use credentialflow_core::revocation::Revocation;
use ngx::ffi::{
    ngx_http_finalize_request, ngx_http_request_t, ngx_http_run_posted_requests, ngx_int_t,
    ngx_shm_zone_t, ngx_uint_t, NGX_HTTP_SERVICE_UNAVAILABLE, NGX_LOG_ALERT, NGX_LOG_ERR,
    NGX_LOG_INFO,
};
use ngx::http::Request;
use ngx::ngx_log_error;

use super::body::{self, Outcome, NO_CACHE, NO_STORE};
use super::respond;
use crate::ffi_guard::guarded;
use crate::worker_state;
use crate::zone::revocations::{Source, ZoneFull};

/// How long a durable write took, or why it failed.
pub type Durable = Result<Duration, String>;

/// A revocation on its way to being committed, with the request that asked for it.
pub struct Commit {
    request: *mut ngx_http_request_t,
    revocation: Revocation,
    /// The client that revoked, for the log line.
    client: String,
    zone: Option<NonNull<ngx_shm_zone_t>>,
    /// Whether [`Commit::suspend`] made the request wait.
    suspended: bool,
}

impl Commit {
    /// `revocation`, asked for by `client` in the request `r`.
    pub fn new(
        r: &mut Request,
        revocation: Revocation,
        client: String,
        zone: Option<NonNull<ngx_shm_zone_t>>,
    ) -> Commit {
        let request: *mut ngx_http_request_t = r.as_mut();
        Commit { request, revocation, client, zone, suspended: false }
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

    /// Puts a durable revocation in the zone and answers; returns the code to finalize with.
    fn complete(&self, source: Source, store: &str, durable: Durable) -> ngx_int_t {
        // SAFETY: the request is alive until it is finalized, which only the caller does next.
        let r = unsafe { Request::from_ngx_http_request(self.request) };
        let what = describe(&self.revocation);
        let elapsed = match durable {
            Ok(elapsed) => elapsed,
            Err(why) => {
                ngx_log_error!(
                    NGX_LOG_ERR,
                    r.log(),
                    "credentialflow: revocation {what} by client id \"{}\" not committed to \
                     {store}: {why}",
                    self.client
                );
                let body = r#"{"error":"temporarily_unavailable","error_description":"the revocation could not be recorded; retry later"}"#;
                let status = NGX_HTTP_SERVICE_UNAVAILABLE as ngx_uint_t;
                return respond::json(r, status, &[NO_STORE, NO_CACHE, ("Retry-After", "1")], body);
            }
        };
        let added = worker_state::with_revocations(self.zone, |handle| {
            handle.map(|handle| handle.add(source, std::slice::from_ref(&self.revocation)))
        });
        if let Some(Err(ZoneFull)) = added {
            // Durable, so answered 200: when the file is reloaded into the zone and does not
            // fit, every token is refused with 503 until it does.
            ngx_log_error!(
                NGX_LOG_ALERT,
                r.log(),
                "credentialflow: revocation {what} is in {store} but does not fit in the zone \
                 (raise \"credentialflow_zone\")"
            );
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
    pub fn finish(mut self, source: Source, store: &str, durable: Durable) {
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
            self.complete(source, store, durable)
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
            commit.finish(Source::Redis, "Redis", durable);
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
/// A file that does not end in a newline (a hand edit) gets one first.
pub fn append_durably(path: &Path, revocation: &Revocation) -> Durable {
    let started = Instant::now();
    let fail = |e: std::io::Error| e.to_string();
    let mut file = OpenOptions::new().append(true).read(true).open(path).map_err(fail)?;
    let len = file.metadata().map_err(fail)?.len();
    let mut last = [b'\n'];
    if len > 0 {
        file.read_exact_at(&mut last, len - 1).map_err(fail)?;
    }
    let bytes = file_append(revocation, last == [b'\n']).ok_or("the value cannot be written")?;
    // One write with O_APPEND: lines appended by several workers at once do not interleave.
    file.write_all(&bytes).map_err(fail)?;
    file.sync_data().map_err(fail)?;
    Ok(started.elapsed())
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
        // Without threads the worker waits for the disk here (see the README's cost note).
        let durable = append_durably(&self.path, commit.revocation());
        Outcome::Answered(commit.complete(self.source(), &self.name(), durable))
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

    use super::{append_durably, Commit, Durable, DurableStore, FileStore, Outcome, ThreadPool};
    use crate::ffi_guard::guarded;
    use crate::zone::revocations::Source;

    /// What the thread needs and what it gives back; owned by the task until it completes.
    struct Job {
        path: PathBuf,
        store: String,
        source: Source,
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
            return Outcome::Answered(commit.complete(store.source(), &store.name(), durable));
        }
        let job = Box::into_raw(Box::new(Job {
            path: store.path.clone(),
            store: store.name(),
            source: store.source(),
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
                job.commit.finish(job.source, &job.store, durable);
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
            let Job { store, source, commit, durable, .. } = *job;
            let durable = durable.unwrap_or_else(|| Err("the write did not run".into()));
            commit.finish(source, &store, durable);
        })
    }
}
