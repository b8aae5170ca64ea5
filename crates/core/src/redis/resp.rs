//! RESP2 on the wire, around `redis-protocol`'s codec: commands are encoded by it, and replies
//! are decoded by it once [`Scan`] has found a whole frame within our limits. The scan is
//! iterative and resumable: a reply that arrives in many pieces is walked once, not once per
//! piece, and a hostile or broken server cannot make the codec recurse deeply (arrays nest at
//! most [`MAX_DEPTH`] levels), declare a huge bulk string, or grow the buffer past the
//! reader's limit.

use redis_protocol::resp2::decode::decode;
use redis_protocol::resp2::encode::encode;
use redis_protocol::resp2::types::{OwnedFrame, Resp2Frame};

/// A decoded reply (the codec's frame type).
pub use redis_protocol::resp2::types::OwnedFrame as Frame;

use crate::revocation::Revocation;

/// The deepest nesting of arrays a reply may have (ours have two levels).
pub const MAX_DEPTH: usize = 8;
/// The longest bulk string accepted (Redis's own limit).
pub const MAX_BULK: usize = 512 * 1024 * 1024;
/// The longest status, error or integer line.
pub const MAX_LINE: usize = 64 * 1024;
/// The most elements one array may declare.
pub const MAX_ELEMENTS: usize = 1 << 24;

/// Why a reply cannot be read: the connection is closed and opened again.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RespError {
    /// Not RESP2, or beyond a limit.
    #[error("malformed reply from Redis ({0})")]
    Malformed(&'static str),
    /// More buffered than the reader allows.
    #[error("reply from Redis larger than {0} bytes")]
    TooLarge(usize),
}

/// Encodes one command as an array of bulk strings.
pub fn encode_command(words: &[Vec<u8>]) -> Vec<u8> {
    let frame = OwnedFrame::Array(words.iter().cloned().map(OwnedFrame::BulkString).collect());
    let mut out = vec![0; frame.encode_len(false)];
    match encode(&mut out, &frame, false) {
        Ok(written) => out.truncate(written),
        // The buffer is exactly the length the codec asked for: cannot happen.
        Err(_) => out.clear(),
    }
    out
}

/// Encodes a pipeline of commands.
pub fn encode_commands(commands: &[Vec<Vec<u8>>]) -> Vec<u8> {
    commands.iter().flat_map(|command| encode_command(command)).collect()
}

/// Where a scan of one frame stands.
#[derive(Clone, Debug, Default)]
pub struct Scan {
    /// The next header to read.
    pos: usize,
    /// Elements still expected by each open array.
    open: Vec<usize>,
}

/// What a scan found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scanned {
    /// More bytes are needed.
    Incomplete,
    /// A whole frame of this many bytes starts the buffer.
    Frame(usize),
}

fn number(line: &[u8]) -> Option<i64> {
    let digits = line.strip_prefix(b"-").unwrap_or(line);
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(line).ok()?.parse().ok()
}

impl Scan {
    /// Continues scanning `buf` (the same bytes as before, perhaps with more after them).
    pub fn resume(&mut self, buf: &[u8]) -> Result<Scanned, RespError> {
        loop {
            let Some(&kind) = buf.get(self.pos) else { return Ok(Scanned::Incomplete) };
            let start = self.pos + 1;
            let window = &buf[start..buf.len().min(start + MAX_LINE + 2)];
            let Some(len) = window.windows(2).position(|w| w == b"\r\n") else {
                if window.len() > MAX_LINE {
                    return Err(RespError::Malformed("line too long"));
                }
                return Ok(Scanned::Incomplete);
            };
            let line = &window[..len];
            let after = start + len + 2;
            let end = match kind {
                b'+' | b'-' => after,
                b':' => {
                    number(line).ok_or(RespError::Malformed("bad integer"))?;
                    after
                }
                b'$' => match number(line).ok_or(RespError::Malformed("bad length"))? {
                    -1 => after,
                    n if n < 0 => return Err(RespError::Malformed("bad length")),
                    n => {
                        let n =
                            usize::try_from(n).map_err(|_| RespError::Malformed("bad length"))?;
                        if n > MAX_BULK {
                            return Err(RespError::Malformed("bulk string too long"));
                        }
                        let end = after + n + 2;
                        if buf.len() < end {
                            return Ok(Scanned::Incomplete);
                        }
                        if &buf[end - 2..end] != b"\r\n" {
                            return Err(RespError::Malformed("bulk string not terminated"));
                        }
                        end
                    }
                },
                b'*' => match number(line).ok_or(RespError::Malformed("bad length"))? {
                    -1 | 0 => after,
                    n if n < 0 => return Err(RespError::Malformed("bad length")),
                    n => {
                        let n =
                            usize::try_from(n).map_err(|_| RespError::Malformed("bad length"))?;
                        if n > MAX_ELEMENTS {
                            return Err(RespError::Malformed("array too long"));
                        }
                        if self.open.len() >= MAX_DEPTH {
                            return Err(RespError::Malformed("arrays nested too deep"));
                        }
                        self.open.push(n);
                        self.pos = after;
                        continue;
                    }
                },
                _ => return Err(RespError::Malformed("unknown type")),
            };
            self.pos = end;
            // An element is complete: so are the arrays it completes.
            loop {
                let Some(left) = self.open.last_mut() else {
                    let frame = self.pos;
                    *self = Scan::default();
                    return Ok(Scanned::Frame(frame));
                };
                *left -= 1;
                if *left > 0 {
                    break;
                }
                self.open.pop();
            }
        }
    }
}

/// Buffers what a connection reads and hands out whole replies.
#[derive(Debug)]
pub struct Reader {
    buf: Vec<u8>,
    scan: Scan,
    limit: usize,
}

impl Reader {
    /// A reader that holds at most `limit` bytes of unread replies.
    pub fn new(limit: usize) -> Reader {
        Reader { buf: Vec::new(), scan: Scan::default(), limit }
    }

    /// Gives back the memory of replies already read (before a connection is kept idle: one
    /// large reply must not stay allocated for the life of the connection).
    pub fn release(&mut self) {
        if self.buf.is_empty() {
            self.buf = Vec::new();
        } else {
            self.buf.shrink_to_fit();
        }
    }

    /// Appends bytes read from the connection.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), RespError> {
        if self.buf.len().saturating_add(bytes.len()) > self.limit {
            return Err(RespError::TooLarge(self.limit));
        }
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    /// The next whole reply, if one is buffered.
    pub fn next_frame(&mut self) -> Result<Option<OwnedFrame>, RespError> {
        let len = match self.scan.resume(&self.buf)? {
            Scanned::Incomplete => return Ok(None),
            Scanned::Frame(len) => len,
        };
        let frame = match decode(&self.buf[..len]) {
            Ok(Some((frame, used))) if used == len => frame,
            _ => return Err(RespError::Malformed("rejected by the decoder")),
        };
        self.buf.drain(..len);
        Ok(Some(frame))
    }

    /// Whether nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}

/// A reply that is not the one expected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    /// The server answered with an error (its text, shortened).
    #[error("Redis answered \"{0}\"")]
    Server(String),
    /// Another kind of reply.
    #[error("unexpected reply from Redis ({0})")]
    Unexpected(&'static str),
}

fn server_error(text: &str) -> ReplyError {
    let text: String = text.chars().filter(|c| !c.is_control()).take(200).collect();
    ReplyError::Server(text)
}

/// `+OK` (AUTH, SELECT).
pub fn expect_ok(frame: &OwnedFrame) -> Result<(), ReplyError> {
    match frame {
        OwnedFrame::SimpleString(s) if s == b"OK" => Ok(()),
        OwnedFrame::Error(e) => Err(server_error(e)),
        _ => Err(ReplyError::Unexpected("expected +OK")),
    }
}

/// An integer (ZADD, ZREMRANGEBYSCORE, PUBLISH).
pub fn expect_integer(frame: &OwnedFrame) -> Result<i64, ReplyError> {
    match frame {
        OwnedFrame::Integer(n) => Ok(*n),
        OwnedFrame::Error(e) => Err(server_error(e)),
        _ => Err(ReplyError::Unexpected("expected an integer")),
    }
}

/// The revocations in a load's answer.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Every line that reads as a revocation.
    pub revocations: Vec<Revocation>,
    /// Lines that do not (written by something else): skipped.
    pub skipped: usize,
}

/// Reads the answer to [`super::load_command`]: an array of lines.
pub fn lines(frame: &OwnedFrame) -> Result<Loaded, ReplyError> {
    let items = match frame {
        OwnedFrame::Array(items) => items,
        OwnedFrame::Error(e) => return Err(server_error(e)),
        _ => return Err(ReplyError::Unexpected("expected an array")),
    };
    let mut loaded = Loaded::default();
    for item in items {
        match item {
            OwnedFrame::BulkString(line) | OwnedFrame::SimpleString(line) => {
                match Revocation::parse_line(line.trim_ascii()) {
                    Ok(revocation) => loaded.revocations.push(revocation),
                    Err(_) => loaded.skipped += 1,
                }
            }
            _ => loaded.skipped += 1,
        }
    }
    Ok(loaded)
}

/// What a subscribed connection received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PubSub {
    /// The subscription to our channel is confirmed.
    Subscribed,
    /// A message on our channel: its payload.
    Message(Vec<u8>),
    /// The answer to a `PING` (liveness check).
    Pong,
    /// Anything else on a subscribed connection (another channel): ignored.
    Other,
}

fn bulk(frame: &OwnedFrame) -> Option<&[u8]> {
    match frame {
        OwnedFrame::BulkString(b) | OwnedFrame::SimpleString(b) => Some(b),
        _ => None,
    }
}

/// Reads one push on a connection subscribed to `channel`.
pub fn pubsub(frame: &OwnedFrame, channel: &[u8]) -> Result<PubSub, ReplyError> {
    let items = match frame {
        OwnedFrame::Array(items) => items.as_slice(),
        OwnedFrame::Error(e) => return Err(server_error(e)),
        OwnedFrame::SimpleString(s) if s.eq_ignore_ascii_case(b"PONG") => return Ok(PubSub::Pong),
        _ => return Err(ReplyError::Unexpected("expected a pub/sub message")),
    };
    let kind = items.first().and_then(bulk).map(<[u8]>::to_ascii_lowercase);
    match (kind.as_deref(), items) {
        (Some(b"message"), [_, from, payload]) if bulk(from) == Some(channel) => {
            Ok(PubSub::Message(bulk(payload).unwrap_or_default().to_vec()))
        }
        (Some(b"subscribe"), [_, from, _]) if bulk(from) == Some(channel) => Ok(PubSub::Subscribed),
        (Some(b"pong"), _) => Ok(PubSub::Pong),
        _ => Ok(PubSub::Other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revocation::RevocationKind;

    #[test]
    fn a_large_reply_does_not_stay_allocated() {
        let mut reader = Reader::new(1 << 24);
        let big = [b"$1000000\r\n".to_vec(), vec![b'x'; 1_000_000], b"\r\n".to_vec()].concat();
        reader.feed(&big).unwrap();
        assert!(reader.next_frame().unwrap().is_some());
        assert!(reader.is_empty());
        reader.release();
        assert_eq!(reader.buf.capacity(), 0);
        // A request's connection refuses more than its small limit.
        let mut small = Reader::new(64 * 1024);
        assert!(matches!(small.feed(&big), Err(RespError::TooLarge(_))));
    }

    fn frames(bytes: &[u8], piece: usize) -> Result<Vec<OwnedFrame>, RespError> {
        let mut reader = Reader::new(1 << 20);
        let mut out = Vec::new();
        for chunk in bytes.chunks(piece.max(1)) {
            reader.feed(chunk)?;
            while let Some(frame) = reader.next_frame()? {
                out.push(frame);
            }
        }
        Ok(out)
    }

    #[test]
    fn commands_are_arrays_of_bulk_strings() {
        let bytes = encode_command(&[b"PING".to_vec()]);
        assert_eq!(bytes, b"*1\r\n$4\r\nPING\r\n");
        let two = encode_commands(&[vec![b"A".to_vec()], vec![b"B".to_vec(), b"".to_vec()]]);
        assert_eq!(two, b"*1\r\n$1\r\nA\r\n*2\r\n$1\r\nB\r\n$0\r\n\r\n");
    }

    #[test]
    fn replies_in_any_pieces() {
        let wire =
            b"+OK\r\n:3\r\n$-1\r\n*2\r\n$3\r\njti\r\n*1\r\n$0\r\n\r\n-ERR no\r\n*0\r\n*-1\r\n";
        let whole = frames(wire, wire.len()).unwrap();
        assert_eq!(whole.len(), 7);
        for piece in 1..wire.len() {
            assert_eq!(frames(wire, piece).unwrap(), whole, "in pieces of {piece}");
        }
        assert_eq!(whole[0], OwnedFrame::SimpleString(b"OK".to_vec()));
        assert_eq!(whole[1], OwnedFrame::Integer(3));
        assert_eq!(whole[2], OwnedFrame::Null);
    }

    #[test]
    fn limits_and_garbage() {
        let deep = "*1\r\n".repeat(MAX_DEPTH + 1) + ":1\r\n";
        assert!(matches!(frames(deep.as_bytes(), 3), Err(RespError::Malformed(_))));
        let ok_depth = "*1\r\n".repeat(MAX_DEPTH) + ":1\r\n";
        assert_eq!(frames(ok_depth.as_bytes(), 3).unwrap().len(), 1);
        for bad in [
            &b"?x\r\n"[..],
            b":1x\r\n",
            b"$-2\r\n",
            b"$3\r\nabcde\r\n",
            b"*-5\r\n",
            b"$99999999999\r\n",
        ] {
            assert!(frames(bad, 64).is_err(), "{:?} accepted", String::from_utf8_lossy(bad));
        }
        let mut reader = Reader::new(8);
        assert_eq!(reader.feed(b"$100\r\nabcdef"), Err(RespError::TooLarge(8)));
        let long = vec![b'+'; MAX_LINE + 10];
        assert!(frames(&long, 4096).is_err());
        assert!(frames(b"$5\r\nab", 64).unwrap().is_empty(), "incomplete: nothing yet");
    }

    /// What the fuzz target checks, on inputs built from RESP fragments: the replies read in
    /// pieces are the replies read whole, up to the same error.
    #[test]
    fn pieces_agree_with_the_whole_on_generated_replies() {
        const PARTS: [&[u8]; 14] = [
            b"*2\r\n",
            b"*1\r\n",
            b"*0\r\n",
            b"*-1\r\n",
            b"$3\r\nabc\r\n",
            b"$0\r\n\r\n",
            b"$-1\r\n",
            b"+OK\r\n",
            b"-ERR x\r\n",
            b":42\r\n",
            b":-7\r\n",
            b"\r\n",
            b"$2\r\nab",
            b"*3\r\n",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..3000 {
            let mut wire = Vec::new();
            for _ in 0..(next() % 12) {
                wire.extend_from_slice(PARTS[(next() % PARTS.len() as u64) as usize]);
            }
            let whole = (frames(&wire, wire.len().max(1)), wire.clone());
            for piece in [1, 2, 3, 5, 8] {
                let pieces = frames(&wire, piece);
                match (&whole.0, &pieces) {
                    (Ok(a), Ok(b)) => assert_eq!(a, b, "{:?}", String::from_utf8_lossy(&wire)),
                    (Err(_), Err(_)) => {}
                    _ => {
                        panic!("pieces of {piece} disagree on {:?}", String::from_utf8_lossy(&wire))
                    }
                }
            }
        }
    }

    #[test]
    fn reply_kinds() {
        assert_eq!(expect_ok(&OwnedFrame::SimpleString(b"OK".to_vec())), Ok(()));
        assert_eq!(
            expect_ok(&OwnedFrame::Error("WRONGPASS invalid\u{7}".into())),
            Err(ReplyError::Server("WRONGPASS invalid".into()))
        );
        assert!(expect_ok(&OwnedFrame::Integer(1)).is_err());
        assert_eq!(expect_integer(&OwnedFrame::Integer(4)), Ok(4));
        assert!(expect_integer(&OwnedFrame::Null).is_err());
    }

    #[test]
    fn loaded_lines() {
        let frame = OwnedFrame::Array(vec![
            OwnedFrame::BulkString(b"jti a until=9".to_vec()),
            OwnedFrame::BulkString(b"nonsense".to_vec()),
            OwnedFrame::BulkString(b"kid k1".to_vec()),
            OwnedFrame::Integer(1),
        ]);
        let loaded = lines(&frame).unwrap();
        assert_eq!(loaded.skipped, 2);
        assert_eq!(loaded.revocations.len(), 2);
        assert_eq!(loaded.revocations[0].until, Some(9));
        assert_eq!(loaded.revocations[1].kind, RevocationKind::Kid);
        assert!(lines(&OwnedFrame::Null).is_err());
    }

    #[test]
    fn pubsub_pushes() {
        let b = |s: &str| OwnedFrame::BulkString(s.as_bytes().to_vec());
        let arr = |items: Vec<OwnedFrame>| OwnedFrame::Array(items);
        let ch = b"cf:revocations";
        assert_eq!(
            pubsub(&arr(vec![b("subscribe"), b("cf:revocations"), OwnedFrame::Integer(1)]), ch),
            Ok(PubSub::Subscribed)
        );
        assert_eq!(
            pubsub(&arr(vec![b("message"), b("cf:revocations"), b("sub x")]), ch),
            Ok(PubSub::Message(b"sub x".to_vec()))
        );
        assert_eq!(pubsub(&arr(vec![b("message"), b("other"), b("sub x")]), ch), Ok(PubSub::Other));
        assert_eq!(pubsub(&arr(vec![b("pong"), b("")]), ch), Ok(PubSub::Pong));
        assert_eq!(pubsub(&OwnedFrame::SimpleString(b"PONG".to_vec()), ch), Ok(PubSub::Pong));
        assert!(pubsub(&OwnedFrame::Error("ERR".into()), ch).is_err());
        assert!(pubsub(&OwnedFrame::Integer(1), ch).is_err());
    }
}
