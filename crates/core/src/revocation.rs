//! Revocation lists: a file of `jti <value>` / `sub <value>` lines, and the decision of when to
//! reload it (when it changes, and on every check while it fails), keeping the last good list
//! in force when it becomes unreadable or malformed. The file itself is reached through
//! [`ListFile`]: the nginx layer reads the disk, tests read memory; no I/O happens here.

use std::collections::HashSet;
use std::fmt::Debug;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::jose::claims::Claims;

/// A parsed revocation list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RevocationList {
    jti: HashSet<Box<[u8]>>,
    sub: HashSet<Box<[u8]>>,
}

/// A line of the revocation file that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RevocationError {
    /// The line is neither `jti <value>` nor `sub <value>`.
    #[error("line {0}: expected \"jti <value>\" or \"sub <value>\"")]
    BadLine(usize),
    /// The file cannot be read.
    #[error("cannot read: {0}")]
    Io(String),
}

impl RevocationList {
    /// Parses the file's contents: `#` comments and blank lines are ignored; values are
    /// compared byte for byte with the claim after JSON unescaping.
    pub fn parse(text: &[u8]) -> Result<RevocationList, RevocationError> {
        let mut list = RevocationList::default();
        for (index, line) in text.split(|&b| b == b'\n').enumerate() {
            let line = line.trim_ascii();
            if line.is_empty() || line.starts_with(b"#") {
                continue;
            }
            let split = line.iter().position(|b| b.is_ascii_whitespace()).unwrap_or(line.len());
            let (kind, value) = line.split_at(split);
            let value = value.trim_ascii();
            let set = match kind {
                b"jti" => &mut list.jti,
                b"sub" => &mut list.sub,
                _ => return Err(RevocationError::BadLine(index + 1)),
            };
            if value.is_empty() {
                return Err(RevocationError::BadLine(index + 1));
            }
            set.insert(value.into());
        }
        Ok(list)
    }

    /// Whether the token's `jti` or `sub` is revoked.
    pub fn is_revoked(&self, claims: &Claims) -> bool {
        claims.jti_bytes().is_some_and(|jti| self.jti.contains(jti))
            || claims.sub_bytes().is_some_and(|sub| self.sub.contains(sub))
    }

    /// How many entries the list holds.
    pub fn len(&self) -> usize {
        self.jti.len() + self.sub.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What identifies one version of a file without reading it. The status change time is part
/// of it: a chmod, a chown, or a rewrite that keeps the size and puts the old mtime back
/// (`cp -p`, `touch -r`) changes nothing else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileVersion {
    /// Last modification.
    pub modified: Option<SystemTime>,
    /// Size in bytes.
    pub len: u64,
    /// Inode number (a file replaced by rename has a new one).
    pub inode: u64,
    /// Last status change (seconds, nanoseconds).
    pub changed: (i64, i64),
}

/// Where a revocation list is read from.
pub trait ListFile: Debug + Send + Sync {
    /// The path, to name the file in messages and to configure it once however often named.
    fn path(&self) -> &Path;
    /// The current version, without reading the contents.
    fn version(&self) -> std::io::Result<FileVersion>;
    /// The whole contents.
    fn read(&self) -> std::io::Result<Vec<u8>>;
}

/// What a refresh did, for the caller to log.
#[derive(Debug, PartialEq, Eq)]
pub enum Refresh {
    /// Nothing to report: the file did not change, or it still fails as already reported.
    Unchanged,
    /// The file changed and was loaded; it holds this many entries.
    Reloaded(usize),
    /// The file cannot be used; the previous list stays in force. Reported once per distinct
    /// failure: a different error, or the same error on a new version of the file.
    Failed(RevocationError),
}

#[derive(Debug)]
struct Loaded {
    /// The version of the file the list was read from.
    version: Option<FileVersion>,
    list: Arc<RevocationList>,
    /// The last failure reported, and the version of the file it was seen on. While set, the
    /// file is read again on every refresh, whatever its version: what made it fail (a mode,
    /// an owner, an ACL, a parent directory) need not show in the version when it is fixed.
    failure: Option<(RevocationError, Option<FileVersion>)>,
}

/// A revocation file and the list last loaded from it.
#[derive(Debug)]
pub struct RevocationSource {
    file: Box<dyn ListFile>,
    loaded: Mutex<Loaded>,
}

fn load(
    file: &dyn ListFile,
    version: std::io::Result<FileVersion>,
) -> Result<(FileVersion, RevocationList), RevocationError> {
    let io = |e: std::io::Error| RevocationError::Io(e.to_string());
    let version = version.map_err(io)?;
    let list = RevocationList::parse(&file.read().map_err(io)?)?;
    Ok((version, list))
}

impl RevocationSource {
    /// Loads the file now; a missing or malformed file is an error (a config error in nginx).
    pub fn open(file: Box<dyn ListFile>) -> Result<RevocationSource, RevocationError> {
        let (version, list) = load(&*file, file.version())?;
        let loaded = Loaded { version: Some(version), list: Arc::new(list), failure: None };
        Ok(RevocationSource { file, loaded: Mutex::new(loaded) })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Loaded> {
        // A poisoned lock only means a panic elsewhere; the list itself is always whole.
        self.loaded.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether the current list revokes the token.
    pub fn is_revoked(&self, claims: &Claims) -> bool {
        self.lock().list.is_revoked(claims)
    }

    /// Re-reads the file if its version changed, and on every call while it fails. The last
    /// good list stays in force until a version loads.
    pub fn refresh(&self) -> Refresh {
        // Taken before reading: a change made during the read shows as a new version next time.
        let current = self.file.version();
        let mut loaded = self.lock();
        let unchanged = match &current {
            Ok(version) => loaded.version == Some(*version),
            Err(_) => false,
        };
        if unchanged && loaded.failure.is_none() {
            return Refresh::Unchanged;
        }
        let version = current.as_ref().ok().copied();
        match load(&*self.file, current) {
            Ok((version, list)) => {
                let count = list.len();
                *loaded = Loaded { version: Some(version), list: Arc::new(list), failure: None };
                Refresh::Reloaded(count)
            }
            Err(error) => {
                let failure = (error, version);
                if loaded.failure.as_ref() == Some(&failure) {
                    return Refresh::Unchanged;
                }
                let report = failure.0.clone();
                loaded.failure = Some(failure);
                Refresh::Failed(report)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Error, ErrorKind};
    use std::path::PathBuf;

    use super::*;

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
        assert!(list.is_revoked(&claims(Some("abc"), None)));
        assert!(list.is_revoked(&claims(None, Some("user a"))));
        assert!(!list.is_revoked(&claims(Some("ABC"), Some("user"))));
        assert!(!list.is_revoked(&claims(None, None)));
    }

    #[test]
    fn rejects_bad_lines() {
        assert_eq!(RevocationList::parse(b"jti a\nkid b\n"), Err(RevocationError::BadLine(2)));
        assert_eq!(RevocationList::parse(b"jti\n"), Err(RevocationError::BadLine(1)));
    }

    #[test]
    fn reloads_and_keeps_last_good() {
        let file = Memory::new("jti one\n");
        let source = file.source();
        assert_eq!(source.refresh(), Refresh::Unchanged);
        file.write(2, "jti one\nsub two\n");
        assert_eq!(source.refresh(), Refresh::Reloaded(2));
        assert!(source.is_revoked(&claims(None, Some("two"))));
        file.write(3, "jti one\nbogus\n");
        assert!(matches!(source.refresh(), Refresh::Failed(RevocationError::BadLine(2))));
        assert_eq!(source.refresh(), Refresh::Unchanged);
        assert!(source.is_revoked(&claims(None, Some("two"))));
        file.set(Err(ErrorKind::NotFound), Err(ErrorKind::NotFound));
        assert!(
            matches!(source.refresh(), Refresh::Failed(RevocationError::Io(_))),
            "another failure is reported"
        );
        assert_eq!(source.refresh(), Refresh::Unchanged, "still failing: reported once");
        file.write(4, "sub three\n");
        assert_eq!(source.refresh(), Refresh::Reloaded(1));
        assert!(!source.is_revoked(&claims(None, Some("two"))));
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
        assert!(source.is_revoked(&claims(None, Some("two"))));
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
        assert!(matches!(source.refresh(), Refresh::Failed(RevocationError::BadLine(2))));
        assert_eq!(source.refresh(), Refresh::Unchanged);
        // Edited again and still broken at the same line: a new version, reported again.
        file.write(4, "jti one\nbogus again\n");
        assert!(matches!(source.refresh(), Refresh::Failed(RevocationError::BadLine(2))));
        assert_eq!(source.refresh(), Refresh::Unchanged);
        assert!(source.is_revoked(&claims(Some("one"), None)), "the last good list holds");
    }

    #[test]
    fn a_file_is_named_by_its_path() {
        let source = Memory::new("").source();
        assert_eq!(source.path(), PathBuf::from("/memory/revoked.txt"));
    }
}
