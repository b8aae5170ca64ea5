//! Worker 0's task: keeps the zone in step with Redis.
//!
//! On every (re)connection it subscribes to the channel *first*, then loads the whole set
//! on a second connection and replaces the zone's Redis entries with it, so nothing
//! announced in between is missed; then it applies each announced revocation as it comes.
//! A silent connection is checked with `PING` every [`KEEPALIVE_MS`]. While Redis is
//! unreachable the zone keeps what it has (every worker keeps enforcing it), attempts follow
//! the core's [`Backoff`], and the outage is logged once per streak, its end once.

use std::ptr::NonNull;
use std::sync::Arc;

use credentialflow_core::redis::resp::{lines, pubsub, PubSub};
use credentialflow_core::redis::{load_command, subscribe_command, Backoff, Outage};
use credentialflow_core::revocation::Revocation;
use ngx::async_::sleep;
use ngx::ffi::{
    ngx_exiting, ngx_log_t, ngx_quit, ngx_shm_zone_t, ngx_terminate, ngx_time, NGX_LOG_ALERT,
    NGX_LOG_ERR, NGX_LOG_NOTICE, NGX_LOG_WARN,
};
use ngx::ngx_log_error;

use super::peer::{deadline_in, Peer, PeerError};
use super::RedisSettings;
use crate::worker_state;
use crate::zone::revocations::{Source, ZoneFull};

/// How long a subscribed connection may stay silent before it is asked for a `PING`.
const KEEPALIVE_MS: u64 = 5000;

fn stopping() -> bool {
    // SAFETY: nginx's process-state flags, read on the worker's thread.
    unsafe { ngx_exiting != 0 || ngx_quit != 0 || ngx_terminate != 0 }
}

fn now() -> i64 {
    ngx_time()
}

/// Adds announced revocations to the zone (as Redis's). One that does not fit makes the
/// zone's Redis entries incomplete (every token refused with 503, as for a revocation file
/// that does not fit: enforcing part of the list would let revoked tokens through) until
/// the whole set is loaded again; `Err` then.
pub fn apply(
    log: NonNull<ngx_log_t>,
    zone: Option<NonNull<ngx_shm_zone_t>>,
    list: &[Revocation],
) -> Result<(), ZoneFull> {
    worker_state::with_revocations(zone, |handle| {
        let Some(handle) = handle else { return Ok(()) };
        let added = handle.add(Source::Redis, list, now());
        if added.is_err() {
            handle.mark_redis_incomplete();
            ngx_log_error!(
                NGX_LOG_ALERT,
                log.as_ptr(),
                "credentialflow: a revocation from Redis does not fit in the zone: every token \
                 is refused with 503 until Redis's whole set fits (raise \"credentialflow_zone\")"
            );
        }
        added
    })
}

/// Why a connection's life ended.
enum End {
    /// It failed: an outage (or its continuation).
    Failed(PeerError),
    /// The zone needs the whole set again (an announcement did not fit).
    Resync,
}

impl From<PeerError> for End {
    fn from(e: PeerError) -> Self {
        End::Failed(e)
    }
}

/// The subscriber's loop, until nginx stops the worker.
pub async fn run(
    settings: Arc<RedisSettings>,
    zone: NonNull<ngx_shm_zone_t>,
    log: NonNull<ngx_log_t>,
) {
    let mut backoff = Backoff::default();
    let mut outage = Outage::default();
    let address = &settings.address;
    while !stopping() {
        let error = match session(&settings, zone, log, &mut outage, &mut backoff).await {
            End::Failed(error) => error,
            End::Resync => {
                sleep(backoff.next_delay()).await;
                continue;
            }
        };
        if stopping() {
            break;
        }
        if outage.failed(now()) {
            ngx_log_error!(
                NGX_LOG_ERR,
                log.as_ptr(),
                "credentialflow: redis {address} unreachable: {error}; the revocations already \
                 loaded stay enforced, retrying (logged once until it is back)"
            );
        }
        sleep(backoff.next_delay()).await;
    }
}

/// One connection's life: returns why it ended.
async fn session(
    settings: &RedisSettings,
    zone: NonNull<ngx_shm_zone_t>,
    log: NonNull<ngx_log_t>,
    outage: &mut Outage,
    backoff: &mut Backoff,
) -> End {
    let timeout = settings.timeout_ms;
    let names = &settings.names;
    // Subscribe first: what is announced while the set loads is not lost.
    let mut subscribed = match Peer::open(settings, log, deadline_in(timeout), true).await {
        Ok(peer) => peer,
        Err(e) => return e.into(),
    };
    let deadline = deadline_in(timeout);
    if let Err(e) = subscribed.send(&[subscribe_command(names)], deadline).await {
        return e.into();
    }
    loop {
        match subscribed.read_frame(deadline).await.map(|f| pubsub(&f, &names.channel)) {
            Ok(Ok(PubSub::Subscribed)) => break,
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return PeerError::from(e).into(),
            Err(e) => return e.into(),
        }
    }
    let ticket = worker_state::with_revocations(Some(zone), |h| h.map_or(0, |h| h.ticket()));
    let loaded = async {
        let deadline = deadline_in(timeout);
        let mut loader = Peer::open(settings, log, deadline, true).await?;
        loader.send(&[load_command(names, now())], deadline).await?;
        let frame = loader.read_frame(deadline).await?;
        Ok::<_, PeerError>(lines(&frame)?)
    }
    .await;
    let loaded = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return e.into(),
    };
    let count = loaded.revocations.len();
    let full = worker_state::with_revocations(Some(zone), |handle| {
        handle.map(|h| h.replace(Source::Redis, 0, ticket, &loaded.revocations, now()))
    });
    let fits = !matches!(full, Some(Err(ZoneFull)));
    if !fits {
        ngx_log_error!(
            NGX_LOG_ALERT,
            log.as_ptr(),
            "credentialflow: the {count} revocations in Redis do not fit in the zone: every token \
             is refused with 503 until they do (raise \"credentialflow_zone\")"
        );
    }
    if loaded.skipped > 0 {
        ngx_log_error!(
            NGX_LOG_WARN,
            log.as_ptr(),
            "credentialflow: redis {}: {} members of \"{}\" are not revocation lines, skipped",
            settings.address,
            loaded.skipped,
            String::from_utf8_lossy(&names.key)
        );
    }
    let (level, what) = match outage.succeeded() {
        Some(streak) => {
            (NGX_LOG_NOTICE, format!("reachable again after {} failed attempts", streak.failures))
        }
        None => (NGX_LOG_NOTICE, "connected".to_string()),
    };
    ngx_log_error!(
        level as usize,
        log.as_ptr(),
        "credentialflow: redis {} {what}: {count} revocations {}",
        settings.address,
        if fits { "loaded" } else { "read, too many for the zone" }
    );
    backoff.reset();

    let mut ping_sent = false;
    loop {
        let wait = if ping_sent { timeout } else { KEEPALIVE_MS };
        match subscribed.read_frame(deadline_in(wait)).await {
            Ok(frame) => {
                ping_sent = false;
                match pubsub(&frame, &names.channel) {
                    Ok(PubSub::Message(line)) => match Revocation::parse_line(line.trim_ascii()) {
                        Ok(revocation) => {
                            if apply(log, Some(zone), &[revocation]).is_err() {
                                return End::Resync;
                            }
                        }
                        Err(e) => {
                            ngx_log_error!(
                                NGX_LOG_WARN,
                                log.as_ptr(),
                                "credentialflow: redis {}: an announced revocation is not a \
                                 line ({e}), skipped",
                                settings.address
                            );
                        }
                    },
                    Ok(_) => {}
                    Err(e) => return PeerError::from(e).into(),
                }
            }
            Err(PeerError::TimedOut) if !ping_sent => {
                let ping = [vec![b"PING".to_vec()]];
                if let Err(e) = subscribed.send(&ping, deadline_in(timeout)).await {
                    return e.into();
                }
                ping_sent = true;
            }
            Err(e) => return e.into(),
        }
        if stopping() {
            return PeerError::Closed.into();
        }
    }
}
