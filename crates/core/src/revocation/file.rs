//! The revocation file: lines as [`super`] describes them, `#` comments and blank lines
//! ignored, watched like every file workers re-read ([`crate::watched`]): reloaded when it
//! changes and on every check while it fails, the last good list in force meanwhile.

use super::{LineError, Revocation, RevocationSet};
use crate::fingerprint::content_id;
use crate::jose::claims::Claims;
use crate::watched::{Contents, Watched};

/// A parsed revocation file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RevocationList {
    entries: Vec<Revocation>,
    /// A fingerprint of the file's bytes: whether the shared zone already holds this version.
    id: u64,
}

/// A line of the revocation file that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RevocationError {
    /// The line is not a revocation.
    #[error("line {0}: {1}")]
    BadLine(usize, LineError),
    /// The file cannot be read.
    #[error("cannot read: {0}")]
    Io(String),
}

impl std::error::Error for LineError {}

impl RevocationList {
    /// Parses the file's contents.
    pub fn parse(text: &[u8]) -> Result<RevocationList, RevocationError> {
        let mut entries = Vec::new();
        for (index, line) in text.split(|&b| b == b'\n').enumerate() {
            let line = line.trim_ascii();
            if line.is_empty() || line.starts_with(b"#") {
                continue;
            }
            let revocation = Revocation::parse_line(line)
                .map_err(|error| RevocationError::BadLine(index + 1, error))?;
            entries.push(revocation);
        }
        Ok(RevocationList { entries, id: content_id([b"revocation file".as_slice(), text]) })
    }

    /// The revocations, in file order.
    pub fn entries(&self) -> &[Revocation] {
        &self.entries
    }

    /// A fingerprint of the file's contents.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Whether the list revokes a token with these claims at `now`.
    pub fn is_revoked(&self, claims: &Claims, now: i64) -> bool {
        self.entries.iter().collect::<RevocationSet>().is_revoked(claims, now)
    }

    /// How many lines it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Contents for RevocationList {
    type Error = RevocationError;

    fn parse(bytes: &[u8]) -> Result<Self, RevocationError> {
        RevocationList::parse(bytes)
    }

    fn io_error(error: std::io::Error) -> RevocationError {
        RevocationError::Io(error.to_string())
    }

    fn io_message(error: &RevocationError) -> Option<&str> {
        match error {
            RevocationError::Io(message) => Some(message),
            _ => None,
        }
    }

    fn entries(&self) -> usize {
        self.len()
    }
}

/// A revocation file and the list last loaded from it.
pub type RevocationSource = Watched<RevocationList>;

impl Watched<RevocationList> {
    /// Whether the current list revokes the token at `now`.
    pub fn is_revoked(&self, claims: &Claims, now: i64) -> bool {
        self.current().is_revoked(claims, now)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Error, ErrorKind};

    use super::super::LineError;
    use std::path::{Path, PathBuf};
    use std::sync::{Arc, Mutex};
    use std::time::SystemTime;

    use super::*;
    use crate::watched::{FileVersion, ListFile};

    type Refresh = crate::watched::Refresh<RevocationError>;

    fn claims(jti: Option<&str>, sub: Option<&str>) -> Claims {
        let mut object = serde_json::Map::new();
        if let Some(jti) = jti {
            object.insert("jti".into(), jti.into());
        }
        if let Some(sub) = sub {
            object.insert("sub".into(), sub.into());
        }
        Claims::parse(serde_json::Value::Object(object).to_string().as_bytes()).unwrap()
    }

    /// What a version check and a read of the file give.
    type FileState = (Result<FileVersion, ErrorKind>, Result<Vec<u8>, ErrorKind>);

    /// A file in memory: its version and what reading it gives, as a test sets them.
    #[derive(Debug, Clone)]
    struct Memory(Arc<Mutex<FileState>>);

    impl Memory {
        fn new(text: &str) -> Memory {
            Memory(Arc::new(Mutex::new((Ok(version(1, text.len())), Ok(text.into())))))
        }

        fn set(&self, version: Result<FileVersion, ErrorKind>, read: Result<&str, ErrorKind>) {
            *self.0.lock().unwrap() = (version, read.map(Vec::from));
        }

        /// A new version holding `text`, as an editor writing it would leave.
        fn write(&self, stamp: u64, text: &str) {
            self.set(Ok(version(stamp, text.len())), Ok(text));
        }

        fn source(&self) -> RevocationSource {
            RevocationSource::open(Box::new(self.clone())).unwrap()
        }
    }

    fn version(stamp: u64, len: usize) -> FileVersion {
        let modified = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(stamp);
        FileVersion { modified: Some(modified), len: len as u64, inode: 7, changed: (0, 0) }
    }

    impl ListFile for Memory {
        fn path(&self) -> &Path {
            Path::new("/memory/revoked.txt")
        }

        fn version(&self) -> std::io::Result<FileVersion> {
            self.0.lock().unwrap().0.map_err(Error::from)
        }

        fn read(&self) -> std::io::Result<Vec<u8>> {
            self.0.lock().unwrap().1.clone().map_err(Error::from)
        }
    }

    #[test]
    fn parses_and_matches_exactly() {
        let list = RevocationList::parse(b"# c\n\njti  abc \nsub user a\r\n").unwrap();
        assert_eq!(list.len(), 2);
        assert!(list.is_revoked(&claims(Some("abc"), None), 0));
        assert!(list.is_revoked(&claims(None, Some("user a")), 0));
        assert!(!list.is_revoked(&claims(Some("ABC"), Some("user")), 0));
        assert!(!list.is_revoked(&claims(None, None), 0));
    }

    #[test]
    fn rejects_bad_lines() {
        let bad = |text: &[u8]| RevocationList::parse(text).err();
        assert_eq!(
            bad(b"jti a\niss b\n"),
            Some(RevocationError::BadLine(2, LineError::UnknownKind))
        );
        assert_eq!(bad(b"jti\n"), Some(RevocationError::BadLine(1, LineError::NoValue)));
        assert_eq!(
            bad(b"jti a\nkid b\nclient_id c before=5\n"),
            None,
            "kid and client_id lines, and times, are part of the format"
        );
    }

    #[test]
    fn reloads_and_keeps_last_good() {
        let file = Memory::new("jti one\n");
        let source = file.source();
        assert_eq!(source.refresh(), Refresh::Unchanged);
        file.write(2, "jti one\nsub two\n");
        assert_eq!(source.refresh(), Refresh::Reloaded(2));
        assert!(source.is_revoked(&claims(None, Some("two")), 0));
        file.write(3, "jti one\nbogus\n");
        assert!(matches!(source.refresh(), Refresh::Failed(RevocationError::BadLine(2, _))));
        assert_eq!(source.refresh(), Refresh::Unchanged);
        assert!(source.is_revoked(&claims(None, Some("two")), 0));
        file.set(Err(ErrorKind::NotFound), Err(ErrorKind::NotFound));
        assert!(
            matches!(source.refresh(), Refresh::Failed(RevocationError::Io(_))),
            "another failure is reported"
        );
        assert_eq!(source.refresh(), Refresh::Unchanged, "still failing: reported once");
        file.write(4, "sub three\n");
        assert_eq!(source.refresh(), Refresh::Reloaded(1));
        assert!(!source.is_revoked(&claims(None, Some("two")), 0));
        file.set(Err(ErrorKind::NotFound), Err(ErrorKind::NotFound));
        assert!(RevocationSource::open(Box::new(file)).is_err());
    }

    #[test]
    fn an_unreadable_file_made_readable_with_chmod_is_loaded() {
        // The field case: root-owned, mode 600, a line added; the workers cannot read it.
        // `chmod 644` then changes nothing a version shows (here: not even the ctime), yet
        // the revocation must apply at the next check.
        let file = Memory::new("jti one\n");
        let source = file.source();
        file.set(Ok(version(2, 16)), Err(ErrorKind::PermissionDenied));
        assert!(matches!(source.refresh(), Refresh::Failed(RevocationError::Io(_))));
        assert_eq!(source.refresh(), Refresh::Unchanged, "reported once");
        file.set(Ok(version(2, 16)), Ok("jti one\nsub two\n"));
        assert_eq!(source.refresh(), Refresh::Reloaded(2));
        assert!(source.is_revoked(&claims(None, Some("two")), 0));
    }

    #[test]
    fn each_distinct_failure_is_reported_once() {
        let file = Memory::new("jti one\n");
        let source = file.source();
        file.set(Ok(version(2, 8)), Err(ErrorKind::IsADirectory));
        assert!(matches!(source.refresh(), Refresh::Failed(RevocationError::Io(_))));
        assert_eq!(source.refresh(), Refresh::Unchanged);
        assert_eq!(source.refresh(), Refresh::Unchanged);
        // Fixed, but malformed: a new error, reported.
        file.write(3, "jti one\nbogus\n");
        assert!(matches!(source.refresh(), Refresh::Failed(RevocationError::BadLine(2, _))));
        assert_eq!(source.refresh(), Refresh::Unchanged);
        // Edited again and still broken at the same line: a new version, reported again.
        file.write(4, "jti one\nbogus again\n");
        assert!(matches!(source.refresh(), Refresh::Failed(RevocationError::BadLine(2, _))));
        assert_eq!(source.refresh(), Refresh::Unchanged);
        assert!(source.is_revoked(&claims(Some("one"), None), 0), "the last good list holds");
    }

    #[test]
    fn a_file_is_named_by_its_path() {
        let source = Memory::new("").source();
        assert_eq!(source.path(), PathBuf::from("/memory/revoked.txt"));
    }
}
