//! One connection to Redis on nginx's event loop (no blocking call, no thread): connect,
//! write commands, read whole replies, each wait bounded by a timer. The connection's read
//! and write events wake the task waiting on them. Dropping a [`Peer`] closes the connection
//! (nginx deletes its timers and events).
//!
//! nginx's own messages about this connection (`connect() failed`, `recv() failed`) go to a
//! silenced copy of the cycle's log: the caller reports a failure once, in its own words,
//! and an outage is not a line per retry.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::ptr::{self, NonNull};
use std::task::{Poll, Waker};

use credentialflow_core::redis::resp::{encode_commands, Frame, Reader, ReplyError, RespError};
use credentialflow_core::redis::Command;
use ngx::ffi::{
    ngx_add_timer, ngx_close_connection, ngx_connection_t, ngx_current_msec, ngx_del_timer,
    ngx_event_connect_peer, ngx_event_get_peer, ngx_event_t, ngx_handle_read_event,
    ngx_handle_write_event, ngx_log_t, ngx_msec_t, ngx_peer_connection_t, ngx_str_t, NGX_AGAIN,
    NGX_BUSY, NGX_DECLINED, NGX_ERROR, NGX_OK,
};

use super::settings::RedisSettings;

/// The most the subscriber's connections buffer of unread replies (a whole revocation set is
/// one reply).
const READ_LIMIT: usize = 256 * 1024 * 1024;
/// The most a request's connection (a replay check, a revocation written) buffers: its
/// replies are a status or an integer each; anything larger is a broken or hostile server.
const REQUEST_READ_LIMIT: usize = 64 * 1024;

/// Why a connection failed.
#[derive(Debug)]
pub enum PeerError {
    /// The connection could not be made.
    Connect(io::Error),
    /// No answer in time.
    TimedOut,
    /// The server closed the connection.
    Closed,
    /// Reading or writing failed.
    Io(io::Error),
    /// The server sent what is not RESP2 (or too much of it).
    Resp(RespError),
    /// The server answered, but not as expected (an error, e.g. a wrong password).
    Reply(ReplyError),
}

impl fmt::Display for PeerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerError::Connect(e) => write!(f, "connect() failed ({e})"),
            PeerError::TimedOut => f.write_str("timed out"),
            PeerError::Closed => f.write_str("connection closed by the server"),
            PeerError::Io(e) => write!(f, "{e}"),
            PeerError::Resp(e) => write!(f, "{e}"),
            PeerError::Reply(e) => write!(f, "{e}"),
        }
    }
}

impl From<RespError> for PeerError {
    fn from(e: RespError) -> Self {
        PeerError::Resp(e)
    }
}

impl From<ReplyError> for PeerError {
    fn from(e: ReplyError) -> Self {
        PeerError::Reply(e)
    }
}

/// A connection, boxed: nginx's connection points back at it (`c->data`).
pub struct Peer {
    pc: ngx_peer_connection_t,
    /// The name nginx's connection code reads (`pc.name` points here).
    name: ngx_str_t,
    /// The silenced log the connection writes to (`pc.log` points here).
    log: ngx_log_t,
    read_waker: Option<Waker>,
    write_waker: Option<Waker>,
    reader: Reader,
    /// Whether the connection's timers may be dropped by a graceful shutdown.
    background: bool,
}

/// The event handler of both directions: wakes the task waiting on it.
unsafe extern "C" fn on_event(ev: *mut ngx_event_t) {
    // SAFETY: nginx passes one of our connection's events; c->data is the Peer, alive for as
    // long as the connection is open (Drop closes it).
    unsafe {
        let c = (*ev).data.cast::<ngx_connection_t>();
        let peer = (*c).data.cast::<Peer>();
        let waker =
            if (*ev).write() != 0 { (*peer).write_waker.take() } else { (*peer).read_waker.take() };
        // The task runs inline and may drop the Peer: nothing is touched after this.
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// Milliseconds left until `deadline` (at least 1: an expired deadline still arms a timer).
fn left(deadline: ngx_msec_t) -> ngx_msec_t {
    // SAFETY: nginx's cached clock, read on the worker's thread.
    let now = unsafe { ngx_current_msec };
    deadline.saturating_sub(now).max(1)
}

/// A deadline `ms` from now.
pub fn deadline_in(ms: u64) -> ngx_msec_t {
    // SAFETY: as in `left`.
    unsafe { ngx_current_msec }.saturating_add(ms as ngx_msec_t)
}

impl Peer {
    /// Connects to the configured server and sends the handshake (AUTH, SELECT), all before
    /// `deadline`. `log` is the cycle's log (copied, silenced). `background`: the connection
    /// does not hold up a graceful shutdown.
    pub async fn open(
        settings: &RedisSettings,
        log: NonNull<ngx_log_t>,
        deadline: ngx_msec_t,
        background: bool,
    ) -> Result<Box<Peer>, PeerError> {
        // SAFETY: a plain C struct: all-zero is its "unset" state, as nginx's own callers use.
        let mut pc: ngx_peer_connection_t = unsafe { std::mem::zeroed() };
        // SAFETY: the cycle's log is valid; a copy with level 0 writes nothing.
        let mut quiet = unsafe { *log.as_ptr() };
        quiet.log_level = 0;
        quiet.next = ptr::null_mut();
        pc.sockaddr = settings.sockaddr().cast_mut();
        pc.socklen = settings.socklen();
        pc.get = Some(ngx_event_get_peer);
        pc.tries = 1;
        let mut peer = Box::new(Peer {
            pc,
            name: settings.name_str(),
            log: quiet,
            read_waker: None,
            write_waker: None,
            reader: Reader::new(if background { READ_LIMIT } else { REQUEST_READ_LIMIT }),
            background,
        });
        peer.pc.name = &raw mut peer.name;
        peer.pc.log = &raw mut peer.log;
        peer.pc.set_log_error(1); // NGX_ERROR_ERR; the log is silent anyway
        peer.connect(deadline).await?;
        let handshake = settings.handshake();
        if !handshake.is_empty() {
            let count = handshake.len();
            peer.send(&handshake, deadline).await?;
            for _ in 0..count {
                let frame = peer.read_frame(deadline).await?;
                credentialflow_core::redis::resp::expect_ok(&frame)?;
            }
        }
        Ok(peer)
    }

    /// Gives back the memory of the replies read so far (before the connection is kept idle).
    pub fn release_buffers(&mut self) {
        self.reader.release();
    }

    /// Whether the connection can carry another exchange: open, nothing buffered, and
    /// nothing received since (no unsolicited data, no close by the server).
    pub fn is_idle_and_open(&self) -> bool {
        let c = self.connection();
        if c.is_null() || !self.reader.is_empty() {
            return false;
        }
        // SAFETY: our open connection and its read event.
        unsafe {
            let rev = (*c).read;
            (*c).error() == 0
                && (*rev).ready() == 0
                && (*rev).eof() == 0
                && (*rev).pending_eof() == 0
                && (*rev).timer_set() == 0
        }
    }

    fn connection(&self) -> *mut ngx_connection_t {
        self.pc.connection
    }

    async fn connect(&mut self, deadline: ngx_msec_t) -> Result<(), PeerError> {
        // SAFETY: pc is filled in (sockaddr, name, get, log) and lives in this boxed Peer.
        let rc = unsafe { ngx_event_connect_peer(&mut self.pc) };
        let err = io::Error::last_os_error();
        if rc == NGX_ERROR as isize || rc == NGX_BUSY as isize || rc == NGX_DECLINED as isize {
            // nginx has closed the connection it may have opened.
            self.pc.connection = ptr::null_mut();
            return Err(PeerError::Connect(err));
        }
        let c = self.connection();
        let me: *mut Peer = self;
        // SAFETY: the connection nginx just opened for this Peer, which outlives it.
        unsafe {
            (*c).data = me.cast();
            (*(*c).read).handler = Some(on_event);
            (*(*c).write).handler = Some(on_event);
            if self.background {
                (*(*c).read).set_cancelable(1);
                (*(*c).write).set_cancelable(1);
            }
        }
        if rc == NGX_OK as isize {
            return Ok(());
        }
        // NGX_AGAIN: in progress; the write event says when it is done (or failed: the first
        // write then reports why).
        poll_fn(|cx| {
            // SAFETY: the connection is open; its events are valid.
            unsafe {
                let (rev, wev) = ((*c).read, (*c).write);
                if (*wev).timedout() != 0 {
                    return Poll::Ready(Err(PeerError::TimedOut));
                }
                if (*wev).ready() == 0 && (*rev).ready() == 0 {
                    self.write_waker = Some(cx.waker().clone());
                    if (*wev).timer_set() == 0 {
                        ngx_add_timer(wev, left(deadline));
                    }
                    return Poll::Pending;
                }
                if (*wev).timer_set() != 0 {
                    ngx_del_timer(wev);
                }
                Poll::Ready(Ok(()))
            }
        })
        .await
    }

    /// Writes a pipeline of commands, all of it, before `deadline`.
    pub async fn send(
        &mut self,
        commands: &[Command],
        deadline: ngx_msec_t,
    ) -> Result<(), PeerError> {
        let bytes = encode_commands(commands);
        let mut sent = 0;
        let c = self.connection();
        poll_fn(|cx| {
            // SAFETY: the connection is open; send is nginx's for it; the slice is in bounds.
            unsafe {
                let wev = (*c).write;
                if (*wev).timedout() != 0 {
                    (*wev).set_timedout(0);
                    return Poll::Ready(Err(PeerError::TimedOut));
                }
                let Some(send) = (*c).send else {
                    return Poll::Ready(Err(PeerError::Io(io::ErrorKind::Unsupported.into())));
                };
                while sent < bytes.len() {
                    let rest = &bytes[sent..];
                    let n = send(c, rest.as_ptr().cast_mut(), rest.len());
                    if n > 0 {
                        sent += n as usize;
                        continue;
                    }
                    if n == NGX_AGAIN as isize {
                        self.write_waker = Some(cx.waker().clone());
                        if (*wev).timer_set() == 0 {
                            ngx_add_timer(wev, left(deadline));
                        }
                        if ngx_handle_write_event(wev, 0) != NGX_OK as isize {
                            return Poll::Ready(Err(PeerError::Io(io::Error::last_os_error())));
                        }
                        return Poll::Pending;
                    }
                    return Poll::Ready(Err(PeerError::Io(io::Error::last_os_error())));
                }
                if (*wev).timer_set() != 0 {
                    ngx_del_timer(wev);
                }
                Poll::Ready(Ok(()))
            }
        })
        .await
    }

    /// The next whole reply, waiting for it until `deadline`.
    pub async fn read_frame(&mut self, deadline: ngx_msec_t) -> Result<Frame, PeerError> {
        loop {
            if let Some(frame) = self.reader.next_frame()? {
                return Ok(frame);
            }
            self.read_more(deadline).await?;
        }
    }

    async fn read_more(&mut self, deadline: ngx_msec_t) -> Result<(), PeerError> {
        let c = self.connection();
        let mut buf = vec![0u8; 16 * 1024];
        poll_fn(|cx| {
            // SAFETY: the connection is open; recv is nginx's for it; buf is ours.
            unsafe {
                let rev = (*c).read;
                if (*rev).timedout() != 0 {
                    (*rev).set_timedout(0);
                    return Poll::Ready(Err(PeerError::TimedOut));
                }
                let Some(recv) = (*c).recv else {
                    return Poll::Ready(Err(PeerError::Io(io::ErrorKind::Unsupported.into())));
                };
                let n = recv(c, buf.as_mut_ptr(), buf.len());
                if n > 0 {
                    if (*rev).timer_set() != 0 {
                        ngx_del_timer(rev);
                    }
                    return Poll::Ready(
                        self.reader.feed(&buf[..n as usize]).map_err(PeerError::from),
                    );
                }
                if n == 0 {
                    return Poll::Ready(Err(PeerError::Closed));
                }
                if n == NGX_AGAIN as isize {
                    self.read_waker = Some(cx.waker().clone());
                    if (*rev).timer_set() == 0 {
                        ngx_add_timer(rev, left(deadline));
                    }
                    if ngx_handle_read_event(rev, 0) != NGX_OK as isize {
                        return Poll::Ready(Err(PeerError::Io(io::Error::last_os_error())));
                    }
                    return Poll::Pending;
                }
                Poll::Ready(Err(PeerError::Io(io::Error::last_os_error())))
            }
        })
        .await
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let c = self.connection();
        if !c.is_null() {
            // SAFETY: our open connection; nginx deletes its timers, events and posted events.
            unsafe { ngx_close_connection(c) };
            self.pc.connection = ptr::null_mut();
        }
    }
}
