//! Replies from Redis (`redis::resp`): the resumable scan in front of redis-protocol's decoder,
//! and the readings of a reply (pub/sub pushes, loaded lines, +OK, integers).
//!
//! Input: the first byte is the size of the pieces the rest arrives in (0: all at once). The
//! replies read piece by piece must be the ones read from the whole input, up to the same
//! error; nothing may panic, whatever the server sends.
#![no_main]

use credentialflow_core::redis::resp::{
    encode_command, expect_integer, expect_ok, lines, pubsub, Frame, Reader, RespError,
};
use libfuzzer_sys::fuzz_target;

fn read(wire: &[u8], piece: usize) -> (Vec<Frame>, Option<RespError>) {
    let mut reader = Reader::new(1 << 20);
    let mut frames = Vec::new();
    for chunk in wire.chunks(piece.max(1)) {
        if let Err(e) = reader.feed(chunk) {
            return (frames, Some(e));
        }
        loop {
            match reader.next_frame() {
                Ok(Some(frame)) => frames.push(frame),
                Ok(None) => break,
                Err(e) => return (frames, Some(e)),
            }
        }
    }
    (frames, None)
}

fuzz_target!(|data: &[u8]| {
    let Some((&piece, wire)) = data.split_first() else { return };
    let whole = read(wire, wire.len());
    if piece != 0 {
        let pieces = read(wire, usize::from(piece));
        assert_eq!(pieces.0, whole.0, "frames differ when read in pieces of {piece}");
        assert_eq!(pieces.1.is_some(), whole.1.is_some(), "errors differ in pieces of {piece}");
    }
    for frame in &whole.0 {
        let _ = pubsub(frame, b"credentialflow:revocations");
        let _ = lines(frame);
        let _ = expect_ok(frame);
        let _ = expect_integer(frame);
    }
    // A command made of the input's words reads back as one array of those words.
    let words: Vec<Vec<u8>> = wire.split(|&b| b == b' ').map(<[u8]>::to_vec).collect();
    let (frames, error) = read(&encode_command(&words), 7);
    assert!(error.is_none());
    let expected = Frame::Array(words.into_iter().map(Frame::BulkString).collect());
    assert_eq!(frames, [expected]);
});
