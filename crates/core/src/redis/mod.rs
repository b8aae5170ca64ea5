//! Redis (or Valkey) shared by many nginx instances: what the module says to it and how it
//! reads the answers. No I/O here: the nginx layer (`src/redis/`) moves the bytes.
//!
//! Layout, under the configured prefix (default [`defaults::REDIS_PREFIX`]):
//! - `<prefix>revocations`, a sorted set: each member is a revocation *line*
//!   ([`Revocation::to_line`], the revocation file's format), its score the time (seconds
//!   since the epoch) after which the revocation no longer matters: its `until=`, or `+inf`.
//!   This is the revocation's TTL: readers load only members whose score is not past, and
//!   every write first removes the members whose time has passed (`ZREMRANGEBYSCORE`).
//!   Redis 7.0 has no TTL per member of a collection, and one key per revocation would need
//!   a `SCAN` of the whole key space to load.
//! - `<prefix>revocations`, a pub/sub channel: each new revocation's line is published there
//!   once it is stored, so every instance applies it at once.
//!
//! - `<prefix>replay:<hex of the replay key>` (replay protection, with Redis configured): set
//!   with `SET key 1 NX PX <ms until the token's exp>` on a token's first use; a second `SET`
//!   of the same key answers nil: a replay, on whichever instance.
//!
//! Writing a revocation by hand, the same way the module does:
//! ```text
//! ZADD credentialflow:revocations 1767225600 "jti 4f2a until=1767225600"
//! PUBLISH credentialflow:revocations "jti 4f2a until=1767225600"
//! ```

mod backoff;
mod options;
mod outage;
pub mod resp;

pub use backoff::Backoff;
pub use options::{
    parse_address, Address, Credentials, CredentialsError, OptionError, RedisOptions,
};
pub use outage::Outage;

#[cfg(doc)]
use crate::defaults;
use crate::replay::FirstUse;
use crate::revocation::Revocation;
use resp::Frame;

/// One command: its words.
pub type Command = Vec<Vec<u8>>;

/// The key and channel names under a prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Names {
    /// The sorted set of every revocation in force.
    pub key: Vec<u8>,
    /// The channel new revocations are announced on.
    pub channel: Vec<u8>,
}

impl Names {
    /// The names under `prefix`.
    pub fn new(prefix: &str) -> Names {
        let name = format!("{prefix}revocations").into_bytes();
        Names { key: name.clone(), channel: name }
    }
}

/// A revocation that cannot be stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommitError {
    /// Its value cannot be written as a line (a control character, spaces at an end).
    #[error("the value cannot be written as a revocation line")]
    Unwritable,
}

/// The score a revocation is stored with: the time after which it no longer matters.
pub fn score(revocation: &Revocation) -> Vec<u8> {
    match revocation.until {
        Some(until) => until.to_string().into_bytes(),
        None => b"+inf".to_vec(),
    }
}

/// The commands that connect: `AUTH` when there is a password, `SELECT` for a database other
/// than 0. Each answers `+OK`.
pub fn handshake(credentials: Option<&Credentials>, db: u32) -> Vec<Command> {
    let mut commands = Vec::new();
    if let Some(credentials) = credentials {
        commands.push(vec![b"AUTH".to_vec(), credentials.password().to_vec()]);
    }
    if db != 0 {
        commands.push(vec![b"SELECT".to_vec(), db.to_string().into_bytes()]);
    }
    commands
}

/// What storing a revocation takes at `now`, sent as one pipeline: drop what has ended, add
/// it, announce it (answers: three integers). `Ok(None)`: it has already ended, nothing to do.
pub fn commit_commands(
    names: &Names,
    revocation: &Revocation,
    now: i64,
) -> Result<Option<Vec<Command>>, CommitError> {
    let line = revocation.to_line().ok_or(CommitError::Unwritable)?.into_bytes();
    if revocation.is_over(now) {
        return Ok(None);
    }
    Ok(Some(vec![
        vec![
            b"ZREMRANGEBYSCORE".to_vec(),
            names.key.clone(),
            b"-inf".to_vec(),
            format!("({now}").into_bytes(),
        ],
        vec![b"ZADD".to_vec(), names.key.clone(), score(revocation), line.clone()],
        vec![b"PUBLISH".to_vec(), names.channel.clone(), line],
    ]))
}

/// The command that loads every revocation still in force at `now` (answer: an array of
/// lines, read with [`resp::lines`]).
pub fn load_command(names: &Names, now: i64) -> Command {
    vec![
        b"ZRANGEBYSCORE".to_vec(),
        names.key.clone(),
        now.to_string().into_bytes(),
        b"+inf".to_vec(),
    ]
}

/// The command that subscribes to the announcements.
pub fn subscribe_command(names: &Names) -> Command {
    vec![b"SUBSCRIBE".to_vec(), names.channel.clone()]
}

/// The atomic first-use check of a token (its [`crate::replay::replay_key`]): records it
/// until `until` (seconds since the epoch) unless it is recorded already.
pub fn replay_command(prefix: &str, key: &[u8], until: i64, now: i64) -> Command {
    let mut name = format!("{prefix}replay:").into_bytes();
    for byte in key {
        name.extend_from_slice(format!("{byte:02x}").as_bytes());
    }
    let ttl_ms = until.saturating_sub(now).max(1).saturating_mul(1000);
    vec![
        b"SET".to_vec(),
        name,
        b"1".to_vec(),
        b"NX".to_vec(),
        b"PX".to_vec(),
        ttl_ms.to_string().into_bytes(),
    ]
}

/// What the answer to [`replay_command`] says: `+OK` first use, nil a replay, anything
/// else (an error: out of memory, read-only replica...) unavailable.
pub fn replay_reply(frame: &Frame) -> FirstUse {
    match frame {
        Frame::SimpleString(ok) if ok == b"OK" => FirstUse::First,
        Frame::Null => FirstUse::Replayed,
        _ => FirstUse::Unavailable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revocation::RevocationKind;

    #[test]
    fn replay_check_is_one_atomic_set() {
        let command = replay_command("p:", b"\x01\xffj", 160, 100);
        assert_eq!(words(&command), ["SET", "p:replay:01ff6a", "1", "NX", "PX", "60000"]);
        let expired = replay_command("p:", b"j", 90, 100);
        assert_eq!(expired[5], b"1000", "at least one second");
        assert_eq!(replay_reply(&Frame::SimpleString(b"OK".to_vec())), FirstUse::First);
        assert_eq!(replay_reply(&Frame::Null), FirstUse::Replayed);
        assert_eq!(replay_reply(&Frame::Error("OOM".into())), FirstUse::Unavailable);
        assert_eq!(replay_reply(&Frame::Integer(1)), FirstUse::Unavailable);
    }

    fn words(command: &Command) -> Vec<&str> {
        command.iter().map(|w| std::str::from_utf8(w).unwrap()).collect()
    }

    #[test]
    fn names_under_a_prefix() {
        let names = Names::new("cf:");
        assert_eq!(names.key, b"cf:revocations");
        assert_eq!(names.channel, b"cf:revocations");
    }

    #[test]
    fn commit_stores_with_its_end_and_announces() {
        let names = Names::new("p:");
        let r = Revocation { until: Some(200), ..Revocation::new(RevocationKind::Jti, b"j1") };
        let commands = commit_commands(&names, &r, 100).unwrap().unwrap();
        let commands: Vec<_> = commands.iter().map(words).collect();
        assert_eq!(commands[0], ["ZREMRANGEBYSCORE", "p:revocations", "-inf", "(100"]);
        assert_eq!(commands[1], ["ZADD", "p:revocations", "200", "jti j1 until=200"]);
        assert_eq!(commands[2], ["PUBLISH", "p:revocations", "jti j1 until=200"]);
    }

    #[test]
    fn commit_without_end_never_expires() {
        let r = Revocation { before: Some(5), ..Revocation::new(RevocationKind::Sub, b"alice") };
        let commands = commit_commands(&Names::new("p:"), &r, 100).unwrap().unwrap();
        assert_eq!(words(&commands[1]), ["ZADD", "p:revocations", "+inf", "sub alice before=5"]);
    }

    #[test]
    fn commit_of_an_ended_or_unwritable_revocation() {
        let names = Names::new("p:");
        let ended = Revocation { until: Some(99), ..Revocation::new(RevocationKind::Jti, b"j") };
        assert_eq!(commit_commands(&names, &ended, 100), Ok(None));
        let bad = Revocation::new(RevocationKind::Jti, b"a\nb");
        assert_eq!(commit_commands(&names, &bad, 100), Err(CommitError::Unwritable));
    }

    #[test]
    fn handshake_and_load() {
        let credentials = Credentials::from_file(b"s3cret\n").unwrap();
        let commands = handshake(Some(&credentials), 2);
        assert_eq!(words(&commands[0]), ["AUTH", "s3cret"]);
        assert_eq!(words(&commands[1]), ["SELECT", "2"]);
        assert!(handshake(None, 0).is_empty());
        let names = Names::new("p:");
        assert_eq!(
            words(&load_command(&names, 7)),
            ["ZRANGEBYSCORE", "p:revocations", "7", "+inf"]
        );
        assert_eq!(words(&subscribe_command(&names)), ["SUBSCRIBE", "p:revocations"]);
    }
}
