//! Revocation lists: a file of `jti <value>` / `sub <value>` lines, and a watcher that reloads
//! it when it changes, keeping the last good list when it becomes unreadable or malformed.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
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

/// What identifies one version of the file without reading it. The status change time is
/// part of it: a chmod, a chown, or a rewrite that keeps the size and puts the old mtime back
/// (`cp -p`, `touch -r`) changes nothing else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
    changed: (i64, i64),
}

fn stamp(path: &Path) -> std::io::Result<Stamp> {
    let meta = fs::metadata(path)?;
    #[cfg(unix)]
    let (inode, changed) = {
        use std::os::unix::fs::MetadataExt;
        (meta.ino(), (meta.ctime(), meta.ctime_nsec()))
    };
    #[cfg(not(unix))]
    let (inode, changed) = (0, (0, 0));
    Ok(Stamp { modified: meta.modified().ok(), len: meta.len(), inode, changed })
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
    stamp: Option<Stamp>,
    list: Arc<RevocationList>,
    /// The last failure reported, and the version of the file it was seen on. While set, the
    /// file is read again on every refresh, whatever its stamp: what made it fail (a mode, an
    /// owner, an ACL, a parent directory) need not show in the stamp when it is fixed.
    failure: Option<(RevocationError, Option<Stamp>)>,
}

/// A revocation file and the list last loaded from it.
#[derive(Debug)]
pub struct RevocationSource {
    path: PathBuf,
    loaded: Mutex<Loaded>,
}

fn load(
    path: &Path,
    stamp: std::io::Result<Stamp>,
) -> Result<(Stamp, RevocationList), RevocationError> {
    let io = |e: std::io::Error| RevocationError::Io(e.to_string());
    let stamp = stamp.map_err(io)?;
    let list = RevocationList::parse(&fs::read(path).map_err(io)?)?;
    Ok((stamp, list))
}

impl RevocationSource {
    /// Loads the file now; a missing or malformed file is an error (a config error in nginx).
    pub fn open(path: &Path) -> Result<RevocationSource, RevocationError> {
        let (stamp, list) = load(path, stamp(path))?;
        Ok(RevocationSource {
            path: path.to_path_buf(),
            loaded: Mutex::new(Loaded { stamp: Some(stamp), list: Arc::new(list), failure: None }),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Loaded> {
        // A poisoned lock only means a panic elsewhere; the list itself is always whole.
        self.loaded.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether the current list revokes the token.
    pub fn is_revoked(&self, claims: &Claims) -> bool {
        self.lock().list.is_revoked(claims)
    }

    /// Re-reads the file if its stamp changed, and on every call while it fails. The last good
    /// list stays in force until a version loads.
    pub fn refresh(&self) -> Refresh {
        // Taken before reading: a change made during the read shows as a new stamp next time.
        let current = stamp(&self.path);
        let mut loaded = self.lock();
        let unchanged = match &current {
            Ok(stamp) => loaded.stamp == Some(*stamp),
            Err(_) => false,
        };
        if unchanged && loaded.failure.is_none() {
            return Refresh::Unchanged;
        }
        let version = current.as_ref().ok().copied();
        match load(&self.path, current) {
            Ok((stamp, list)) => {
                let count = list.len();
                *loaded = Loaded { stamp: Some(stamp), list: Arc::new(list), failure: None };
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
        let dir = std::env::temp_dir().join(format!("cf-revoke-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("revoked.txt");
        fs::write(&path, "jti one\n").unwrap();
        let source = RevocationSource::open(&path).unwrap();
        assert_eq!(source.refresh(), Refresh::Unchanged);
        fs::write(&path, "jti one\nsub two\n").unwrap();
        assert_eq!(source.refresh(), Refresh::Reloaded(2));
        assert!(source.is_revoked(&claims(None, Some("two"))));
        fs::write(&path, "jti one\nbogus\n").unwrap();
        assert!(matches!(source.refresh(), Refresh::Failed(RevocationError::BadLine(2))));
        assert_eq!(source.refresh(), Refresh::Unchanged);
        assert!(source.is_revoked(&claims(None, Some("two"))));
        fs::remove_file(&path).unwrap();
        assert!(
            matches!(source.refresh(), Refresh::Failed(RevocationError::Io(_))),
            "another failure is reported"
        );
        assert_eq!(source.refresh(), Refresh::Unchanged, "still failing: reported once");
        fs::write(&path, "sub three\n").unwrap();
        assert_eq!(source.refresh(), Refresh::Reloaded(1));
        assert!(!source.is_revoked(&claims(None, Some("two"))));
        fs::remove_dir_all(&dir).unwrap();
        assert!(RevocationSource::open(&path).is_err());
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("cf-revoke-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Rewrites the file in place (same inode) and puts its old mtime back.
    fn rewrite_keeping_mtime(path: &Path, text: &str) {
        let modified = fs::metadata(path).unwrap().modified().unwrap();
        fs::write(path, text).unwrap();
        fs::File::options().write(true).open(path).unwrap().set_modified(modified).unwrap();
    }

    #[test]
    #[cfg(unix)]
    fn a_failing_file_is_retried_until_it_loads_though_size_mtime_and_inode_stay() {
        // In the field: a root-owned 0600 file the workers cannot read, then chmod 644, which
        // changes no size, mtime or inode. chmod does not stop root, and tests may run as
        // root, so the failure here is a malformed line, fixed in place with the same length
        // and the old mtime put back: again nothing but the contents and the ctime changed.
        let dir = scratch("retry");
        let path = dir.join("revoked.txt");
        fs::write(&path, "jti one\n").unwrap();
        let source = RevocationSource::open(&path).unwrap();
        fs::write(&path, "jti one\nsub-two\n").unwrap();
        let before = fs::metadata(&path).unwrap();
        assert!(matches!(source.refresh(), Refresh::Failed(RevocationError::BadLine(2))));
        rewrite_keeping_mtime(&path, "jti one\nsub two\n");
        let after = fs::metadata(&path).unwrap();
        assert_eq!(
            (
                before.len(),
                before.modified().unwrap(),
                std::os::unix::fs::MetadataExt::ino(&before)
            ),
            (after.len(), after.modified().unwrap(), std::os::unix::fs::MetadataExt::ino(&after))
        );
        assert_eq!(source.refresh(), Refresh::Reloaded(2));
        assert!(source.is_revoked(&claims(None, Some("two"))));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    #[cfg(unix)]
    fn an_unreadable_file_made_readable_with_chmod_is_loaded() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("chmod");
        let path = dir.join("revoked.txt");
        fs::write(&path, "jti one\n").unwrap();
        let source = RevocationSource::open(&path).unwrap();
        fs::write(&path, "jti one\nsub two\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
        if fs::read(&path).is_ok() {
            // Root (CAP_DAC_OVERRIDE) reads it anyway: the test above covers this case.
            fs::remove_dir_all(&dir).unwrap();
            return;
        }
        assert!(matches!(source.refresh(), Refresh::Failed(RevocationError::Io(_))));
        assert_eq!(source.refresh(), Refresh::Unchanged, "reported once");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(source.refresh(), Refresh::Reloaded(2));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    #[cfg(unix)]
    fn each_distinct_failure_is_reported_once() {
        let dir = scratch("report");
        let path = dir.join("revoked.txt");
        fs::write(&path, "jti one\n").unwrap();
        let source = RevocationSource::open(&path).unwrap();
        // The path becomes a directory: stat works, reading does not.
        fs::remove_file(&path).unwrap();
        fs::create_dir(&path).unwrap();
        assert!(matches!(source.refresh(), Refresh::Failed(RevocationError::Io(_))));
        assert_eq!(source.refresh(), Refresh::Unchanged);
        assert_eq!(source.refresh(), Refresh::Unchanged);
        // Fixed, but malformed: a new error, reported.
        fs::remove_dir(&path).unwrap();
        fs::write(&path, "jti one\nbogus\n").unwrap();
        assert!(matches!(source.refresh(), Refresh::Failed(RevocationError::BadLine(2))));
        assert_eq!(source.refresh(), Refresh::Unchanged);
        // Edited again and still broken at the same line: a new version, reported again.
        fs::write(&path, "jti one\nbogus again\n").unwrap();
        assert!(matches!(source.refresh(), Refresh::Failed(RevocationError::BadLine(2))));
        assert_eq!(source.refresh(), Refresh::Unchanged);
        assert!(source.is_revoked(&claims(Some("one"), None)), "the last good list holds");
        fs::write(&path, "sub two\n").unwrap();
        assert_eq!(source.refresh(), Refresh::Reloaded(1));
        assert_eq!(source.refresh(), Refresh::Unchanged);
        fs::remove_dir_all(&dir).unwrap();
    }
}
