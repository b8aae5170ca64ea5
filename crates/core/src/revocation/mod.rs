//! Revocations: what one says ([`Revocation`]), how it is written as a line (the revocation
//! file's format, also the payload sent between nodes), the set a worker checks tokens
//! against ([`RevocationSet`]), and the file workers re-read ([`RevocationSource`]).
//!
//! A line is `<kind> <value> [before=<time>] [until=<time>]`:
//! - `kind` is `jti`, `kid` (the header's key id: every token signed by that key), `sub` or
//!   `client_id`;
//! - `value` is the rest of the line, compared byte for byte with the claim (spaces inside
//!   are part of it);
//! - `before=<time>`: only tokens issued (`iat`) before that time are revoked, so a subject or
//!   client revoked at noon can be issued new tokens afterwards; a token without `iat` counts
//!   as issued before. Without it, every token with that value is revoked.
//! - `until=<time>`: the revocation may be forgotten after that time (a `jti` revocation made
//!   through the endpoint ends when the token expires).
//! - `by=<client_id>`: the client that revoked it at the revocation endpoint (what counts
//!   against that client's share of the zone, and who to ask); no effect on what is revoked.
//! - `<time>` is seconds since the epoch or an RFC 3339 date (`2026-12-01T12:00:00Z`).
//!
//! At most one `before=`, one `until=` and one `by=` are read, from the end of the line: a
//! value that itself ends in such a word can only be written with an explicit attribute after
//! it (the revocation endpoint always writes one).

pub mod budget;
pub mod compact;
mod file;
mod set;

pub use file::{RevocationError, RevocationList, RevocationSource};
pub use set::RevocationSet;

use std::fmt;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// What a revocation matches on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RevocationKind {
    /// One token, by its `jti`.
    Jti,
    /// Every token whose JOSE header names this `kid`.
    Kid,
    /// The tokens of one subject.
    Sub,
    /// The tokens issued to one client (`client_id`, RFC 9068 §2.2).
    ClientId,
}

impl RevocationKind {
    /// Every kind, in the order of their codes.
    pub const ALL: [RevocationKind; 4] =
        [RevocationKind::Jti, RevocationKind::Kid, RevocationKind::Sub, RevocationKind::ClientId];

    /// The word that starts a line of this kind.
    pub fn word(self) -> &'static str {
        match self {
            RevocationKind::Jti => "jti",
            RevocationKind::Kid => "kid",
            RevocationKind::Sub => "sub",
            RevocationKind::ClientId => "client_id",
        }
    }

    /// The kind a line's first word names.
    pub fn from_word(word: &[u8]) -> Option<RevocationKind> {
        RevocationKind::ALL.into_iter().find(|kind| kind.word().as_bytes() == word)
    }

    /// A small number for storage outside this process (its place in [`RevocationKind::ALL`]).
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The kind stored as `code`.
    pub fn from_code(code: u8) -> Option<RevocationKind> {
        RevocationKind::ALL.get(usize::from(code)).copied()
    }
}

/// One revocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revocation {
    /// What it matches on.
    pub kind: RevocationKind,
    /// The value compared with the claim, byte for byte.
    pub value: Box<[u8]>,
    /// Only tokens issued before this time are revoked; `None`: every token.
    pub before: Option<i64>,
    /// When it may be forgotten; `None`: never.
    pub until: Option<i64>,
    /// The client that made it at the revocation endpoint (`None`: a hand-written line).
    pub by: Option<Box<[u8]>>,
}

/// Why a revocation line cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineError {
    /// The first word is not a kind.
    UnknownKind,
    /// No value after the kind.
    NoValue,
    /// A value holds a byte no line can carry (a control character).
    UnwritableValue,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LineError::UnknownKind => "expected \"jti\", \"kid\", \"sub\" or \"client_id\"",
            LineError::NoValue => "no value after the kind",
            LineError::UnwritableValue => "the value holds a control character",
        })
    }
}

/// A time in a line: seconds since the epoch, or RFC 3339.
pub fn parse_time(text: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(text).ok()?;
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok();
    }
    OffsetDateTime::parse(text, &Rfc3339).ok().map(OffsetDateTime::unix_timestamp)
}

/// Whether `value` can be written in a line and read back unchanged: not empty, no control
/// character, no space at either end (a line is trimmed), and no last word that reads as an
/// attribute (`before=<time>`, `until=<time>`): a line's attributes are read from its end, so
/// such a value would come back shorter, with a time it never had.
pub fn writable_value(value: &[u8]) -> bool {
    let ends_in_attribute = value.iter().rposition(u8::is_ascii_whitespace).is_some_and(|space| {
        let last = &value[space + 1..];
        let time = last.strip_prefix(b"before=").or_else(|| last.strip_prefix(b"until="));
        time.and_then(parse_time).is_some() || last.strip_prefix(b"by=").is_some_and(writable_by)
    });
    !value.is_empty()
        && !value.iter().any(|&b| b.is_ascii_control())
        && !value.first().is_some_and(u8::is_ascii_whitespace)
        && !value.last().is_some_and(u8::is_ascii_whitespace)
        && !ends_in_attribute
}

/// Whether a client id can be written as `by=<id>`: one word of printable ASCII.
pub fn writable_by(id: &[u8]) -> bool {
    !id.is_empty() && id.iter().all(u8::is_ascii_graphic)
}

impl Revocation {
    /// A revocation of every token with this value.
    pub fn new(kind: RevocationKind, value: &[u8]) -> Revocation {
        Revocation { kind, value: value.into(), before: None, until: None, by: None }
    }

    /// Reads one line (already trimmed, not a comment).
    pub fn parse_line(line: &[u8]) -> Result<Revocation, LineError> {
        let split = line.iter().position(u8::is_ascii_whitespace).unwrap_or(line.len());
        let (word, rest) = line.split_at(split);
        let kind = RevocationKind::from_word(word).ok_or(LineError::UnknownKind)?;
        let mut value = rest.trim_ascii();
        let (mut before, mut until, mut by) = (None, None, None);
        // Attributes, from the end: at most one of each.
        while let Some(space) = value.iter().rposition(u8::is_ascii_whitespace) {
            let last = &value[space + 1..];
            match last.strip_prefix(b"by=") {
                Some(id) if by.is_none() && writable_by(id) => by = Some(id.into()),
                Some(_) => break,
                None => {
                    let (slot, time) =
                        match (last.strip_prefix(b"before="), last.strip_prefix(b"until=")) {
                            (Some(time), _) if before.is_none() => (&mut before, time),
                            (_, Some(time)) if until.is_none() => (&mut until, time),
                            _ => break,
                        };
                    let Some(time) = parse_time(time) else { break };
                    *slot = Some(time);
                }
            }
            value = value[..space].trim_ascii_end();
        }
        if value.is_empty() {
            return Err(LineError::NoValue);
        }
        if value.iter().any(|&b| b.is_ascii_control() && b != b'\t') {
            return Err(LineError::UnwritableValue);
        }
        Ok(Revocation { kind, value: value.into(), before, until, by })
    }

    /// The line that [`Revocation::parse_line`] reads back as this revocation, without its
    /// newline; `None` when the value cannot be written (see [`writable_value`]).
    pub fn to_line(&self) -> Option<String> {
        if !writable_value(&self.value) {
            return None;
        }
        let mut line = format!("{} {}", self.kind.word(), std::str::from_utf8(&self.value).ok()?);
        if let Some(before) = self.before {
            line.push_str(&format!(" before={before}"));
        }
        if let Some(until) = self.until {
            line.push_str(&format!(" until={until}"));
        }
        if let Some(by) = &self.by {
            line.push_str(" by=");
            line.push_str(std::str::from_utf8(by).ok()?);
        }
        // Whatever is written must be read back as this revocation, and as nothing else.
        (Revocation::parse_line(line.as_bytes()).as_ref() == Ok(self)).then_some(line)
    }

    /// Whether it revokes a token issued at `iat` (`None`: no `iat`, counted as before).
    pub fn covers_issued_at(&self, iat: Option<i64>) -> bool {
        match (self.before, iat) {
            (None, _) | (Some(_), None) => true,
            (Some(before), Some(iat)) => iat < before,
        }
    }

    /// Whether it may be forgotten at `now`.
    pub fn is_over(&self, now: i64) -> bool {
        self.until.is_some_and(|until| until < now)
    }

    /// Whether `self` already does all that `other` would (same kind and value, revoking at
    /// least the same tokens for at least as long): `other` need not be recorded again
    /// (RFC 7009 §2.2: revoking a revoked token changes nothing).
    pub fn covers(&self, other: &Revocation) -> bool {
        let wider = |mine: Option<i64>, theirs: Option<i64>| match (mine, theirs) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(mine), Some(theirs)) => mine >= theirs,
        };
        self.kind == other.kind
            && self.value == other.value
            && wider(self.before, other.before)
            && wider(self.until, other.until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> Result<Revocation, LineError> {
        Revocation::parse_line(text.as_bytes())
    }

    #[test]
    fn kinds_values_and_attributes() {
        let r = line("sub user a before=1700000000").unwrap();
        assert_eq!(
            (r.kind, &*r.value, r.before, r.until),
            (RevocationKind::Sub, &b"user a"[..], Some(1_700_000_000), None)
        );
        let r = line("client_id c1 before=2026-12-01T12:00:00Z until=1900000000").unwrap();
        assert_eq!(r.kind, RevocationKind::ClientId);
        assert_eq!(r.before, Some(1_796_126_400));
        assert_eq!(r.until, Some(1_900_000_000));
        let r = line("kid k-2024").unwrap();
        assert_eq!((r.kind, r.before, r.until), (RevocationKind::Kid, None, None));
        // Not a time: part of the value.
        assert_eq!(&*line("jti a before=soon").unwrap().value, b"a before=soon");
        // Two of one attribute: the first (from the left) is value.
        let r = line("jti x until=5 until=9").unwrap();
        assert_eq!((&*r.value, r.until), (&b"x until=5"[..], Some(9)));
    }

    #[test]
    fn bad_lines() {
        assert_eq!(line("iss x"), Err(LineError::UnknownKind));
        assert_eq!(line("jti"), Err(LineError::NoValue));
        // An attribute needs a value before it: alone, it is the value.
        assert_eq!(&*line("jti before=5").unwrap().value, b"before=5");
        assert_eq!(line("jti a\u{1}b"), Err(LineError::UnwritableValue));
    }

    #[test]
    fn lines_round_trip() {
        for text in
            ["jti abc", "sub user a before=12", "client_id c until=99", "kid k before=1 until=2"]
        {
            let r = line(text).unwrap();
            assert_eq!(r.to_line().as_deref(), Some(text));
            assert_eq!(line(&r.to_line().unwrap()), Ok(r));
        }
        let spaced =
            Revocation { until: Some(9), ..Revocation::new(RevocationKind::Jti, b"x until=soon") };
        assert_eq!(line(&spaced.to_line().unwrap()), Ok(spaced));
        assert_eq!(Revocation::new(RevocationKind::Jti, b"a\nsub b").to_line(), None);
        // A value ending in what reads as an attribute would come back as another revocation
        // (a `jti` of "victim before=99999999999" as the jti "victim", issued before then):
        // it is not writable, whatever attributes follow it.
        for value in [
            &b"victim before=99999999999"[..],
            b"victim until=2030-01-01T00:00:00Z",
            b"v\tbefore=5",
        ] {
            assert!(!writable_value(value), "{value:?}");
            for (before, until) in
                [(None, None), (None, Some(9)), (Some(3), None), (Some(3), Some(9))]
            {
                let r = Revocation { before, until, ..Revocation::new(RevocationKind::Jti, value) };
                assert_eq!(r.to_line(), None, "{value:?} {before:?} {until:?}");
            }
        }
        assert!(writable_value(b"before=5"), "a lone word is a value, never an attribute");
        assert!(writable_value(b"x before=soon"), "not a time: read back as part of the value");
        assert_eq!(Revocation::new(RevocationKind::Jti, b" a").to_line(), None);
        assert_eq!(Revocation::new(RevocationKind::Jti, b"").to_line(), None);
    }

    #[test]
    fn the_revoking_client_is_an_attribute() {
        let r = line("jti j1 until=560 by=svc-1").unwrap();
        assert_eq!(
            (&*r.value, r.until, r.by.as_deref()),
            (&b"j1"[..], Some(560), Some(&b"svc-1"[..]))
        );
        assert_eq!(r.to_line().as_deref(), Some("jti j1 until=560 by=svc-1"));
        // `by=` alone is a value; a value ending in `by=<word>` is not writable.
        assert_eq!(&*line("jti by=x").unwrap().value, b"by=x");
        assert!(!writable_value(b"victim by=admin"));
        let unwritable =
            Revocation { by: Some((*b"a b").into()), ..Revocation::new(RevocationKind::Jti, b"j") };
        assert_eq!(unwritable.to_line(), None, "a client id with a space cannot be written");
    }

    #[test]
    fn a_revocation_covers_a_narrower_one() {
        // RFC 7009 §2.2: revoking a revoked token again changes nothing.
        let jti = |until| Revocation { until, ..Revocation::new(RevocationKind::Jti, b"j") };
        assert!(jti(Some(10)).covers(&jti(Some(10))));
        assert!(jti(None).covers(&jti(Some(10))));
        assert!(!jti(Some(9)).covers(&jti(Some(10))), "a later end is new");
        assert!(!jti(Some(10)).covers(&jti(None)));
        let sub = |before| Revocation { before, ..Revocation::new(RevocationKind::Sub, b"s") };
        assert!(sub(Some(100)).covers(&sub(Some(99))));
        assert!(!sub(Some(100)).covers(&sub(Some(101))), "tokens issued later are new");
        assert!(sub(None).covers(&sub(Some(101))));
        assert!(!Revocation::new(RevocationKind::Kid, b"j").covers(&jti(None)), "kinds differ");
    }

    #[test]
    fn issued_before_and_over() {
        let at_noon =
            Revocation { before: Some(100), ..Revocation::new(RevocationKind::Sub, b"s") };
        assert!(at_noon.covers_issued_at(Some(99)));
        assert!(!at_noon.covers_issued_at(Some(100)), "issued at the revocation time: passes");
        assert!(at_noon.covers_issued_at(None), "no iat: counted as before");
        assert!(Revocation::new(RevocationKind::Sub, b"s").covers_issued_at(Some(i64::MAX)));
        let ends = Revocation { until: Some(10), ..Revocation::new(RevocationKind::Jti, b"j") };
        assert!(!ends.is_over(10) && ends.is_over(11));
    }

    #[test]
    fn times() {
        assert_eq!(parse_time(b"0"), Some(0));
        assert_eq!(parse_time(b"1970-01-01T00:01:00Z"), Some(60));
        assert_eq!(parse_time(b"1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_time(b"-5"), None);
        assert_eq!(parse_time(b"99999999999999999999999"), None);
        assert_eq!(parse_time(b"yesterday"), None);
    }
}
