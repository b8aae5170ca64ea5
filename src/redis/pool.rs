//! A few idle connections per worker, for the request path (replay checks) and writes, so
//! that a check costs one round trip, not a connection. A connection goes back to the pool
//! only after a complete exchange with nothing left unread; one the server closed or wrote
//! to while idle is dropped when taken. The pool is emptied in `exit_process`, before nginx
//! looks for sockets left open.

use std::cell::RefCell;
use std::sync::Arc;

use credentialflow_core::redis::resp::Frame;
use credentialflow_core::redis::Command;
use ngx::ffi::ngx_msec_t;

use super::peer::{Peer, PeerError};
use super::RedisSettings;

/// The most idle connections a worker keeps.
const MAX_IDLE: usize = 16;

thread_local! {
    static IDLE: RefCell<Vec<(Arc<RedisSettings>, Box<Peer>)>> = const { RefCell::new(Vec::new()) };
}

/// An idle connection to `settings`' server that still looks usable.
fn take(settings: &Arc<RedisSettings>) -> Option<Box<Peer>> {
    IDLE.with_borrow_mut(|idle| {
        while let Some((owner, peer)) = idle.pop() {
            if Arc::ptr_eq(&owner, settings) && peer.is_idle_and_open() {
                return Some(peer);
            }
        }
        None
    })
}

/// Sends `commands` as one pipeline and reads one reply to each, on a pooled connection or a
/// new one, all before `deadline`.
pub async fn exchange(
    settings: &Arc<RedisSettings>,
    commands: &[Command],
    deadline: ngx_msec_t,
) -> Result<Vec<Frame>, PeerError> {
    let mut peer = match take(settings) {
        Some(peer) => peer,
        None => Peer::open(settings, ngx::log::ngx_cycle_log(), deadline, false).await?,
    };
    peer.send(commands, deadline).await?;
    let mut replies = Vec::with_capacity(commands.len());
    for _ in commands {
        replies.push(peer.read_frame(deadline).await?);
    }
    if peer.is_idle_and_open() {
        peer.release_buffers();
        IDLE.with_borrow_mut(|idle| {
            if idle.len() < MAX_IDLE {
                idle.push((Arc::clone(settings), peer));
            }
        });
    }
    Ok(replies)
}

/// Closes every idle connection.
pub fn clear() {
    let idle = IDLE.with_borrow_mut(std::mem::take);
    drop(idle);
}
