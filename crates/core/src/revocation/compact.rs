//! Compaction of a revocation file: the lines of revocations that have ended (`until=` has
//! passed) are dropped, so that neither the file nor the zone grows with revocations nobody
//! needs any more. The nginx layer rewrites the file (a new file renamed over the old one)
//! when [`compacted`] says it is worth it; loading a file skips ended lines in any case.

use super::Revocation;

/// A file is rewritten once it holds at least this many ended revocations...
pub const MIN_ENDED_LINES: usize = 64;

/// The file's text without the revocations that ended before `now`, when a rewrite is worth
/// it: at least [`MIN_ENDED_LINES`] ended lines, and at least as many ended lines as live
/// ones. Comments, blank lines and live revocations are kept byte for byte, in order. A file
/// with a line that does not read as a revocation is never rewritten (`None`): it is not
/// loaded either, and the operator must see it as it was written.
pub fn compacted(text: &[u8], now: i64) -> Option<Vec<u8>> {
    let mut kept = Vec::with_capacity(text.len());
    let (mut ended, mut live) = (0usize, 0usize);
    for line in text.split_inclusive(|&b| b == b'\n') {
        let trimmed = line.trim_ascii();
        if trimmed.is_empty() || trimmed.starts_with(b"#") {
            kept.extend_from_slice(line);
            continue;
        }
        let revocation = Revocation::parse_line(trimmed).ok()?;
        if revocation.is_over(now) {
            ended += 1;
            continue;
        }
        live += 1;
        kept.extend_from_slice(line);
        if !line.ends_with(b"\n") {
            kept.push(b'\n');
        }
    }
    (ended >= MIN_ENDED_LINES && ended >= live).then_some(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(ended: usize, live: usize) -> String {
        let mut text = String::from("# revoked by hand\nkid old-key\n");
        for at in 0..ended {
            text.push_str(&format!("jti e{at} until=99 by=svc\n"));
        }
        for at in 0..live {
            text.push_str(&format!("jti l{at} until=1000\n"));
        }
        text
    }

    #[test]
    fn ended_lines_go_once_they_are_many() {
        let text = file(MIN_ENDED_LINES, 3);
        let kept = compacted(text.as_bytes(), 100).expect("worth a rewrite");
        assert_eq!(
            String::from_utf8(kept).unwrap(),
            "# revoked by hand\nkid old-key\njti l0 until=1000\njti l1 until=1000\njti l2 until=1000\n"
        );
        assert_eq!(compacted(text.as_bytes(), 99), None, "until=99 is in force at 99");
    }

    #[test]
    fn a_few_ended_lines_are_not_worth_a_rewrite() {
        assert_eq!(compacted(file(MIN_ENDED_LINES - 1, 0).as_bytes(), 100), None);
        assert_eq!(compacted(file(MIN_ENDED_LINES, MIN_ENDED_LINES + 2).as_bytes(), 100), None);
    }

    #[test]
    fn a_file_that_does_not_parse_is_left_alone() {
        let text = file(MIN_ENDED_LINES, 0) + "iss nonsense\n";
        assert_eq!(compacted(text.as_bytes(), 100), None);
    }

    #[test]
    fn a_last_line_without_newline_keeps_its_place() {
        let text = file(MIN_ENDED_LINES, 0) + "sub alice";
        let kept = compacted(text.as_bytes(), 100).unwrap();
        assert!(kept.ends_with(b"kid old-key\nsub alice\n"), "{}", String::from_utf8_lossy(&kept));
    }
}
