//! Revocation lists: a file of `jti <value>` / `sub <value>` lines, and a watcher that reloads
//! it when it changes, keeping the last good list when it becomes unreadable or malformed.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::token::claims::Claims;

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

/// What identifies one version of the file without reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

fn stamp(path: &Path) -> std::io::Result<Stamp> {
    let meta = fs::metadata(path)?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0;
    Ok(Stamp { modified: meta.modified().ok(), len: meta.len(), inode })
}

/// What a refresh did, for the caller to log.
#[derive(Debug, PartialEq, Eq)]
pub enum Refresh {
    /// The file did not change.
    Unchanged,
    /// The file changed and was loaded; it holds this many entries.
    Reloaded(usize),
    /// The file changed but could not be used; the previous list stays in force.
    Failed(RevocationError),
}

#[derive(Debug)]
struct Loaded {
    stamp: Option<Stamp>,
    list: Arc<RevocationList>,
    /// Whether the last attempt failed, so a persisting error is reported once.
    failing: bool,
}

/// A revocation file and the list last loaded from it.
#[derive(Debug)]
pub struct RevocationSource {
    path: PathBuf,
    loaded: Mutex<Loaded>,
}

impl RevocationSource {
    /// Loads the file now; a missing or malformed file is an error (a config error in nginx).
    pub fn open(path: &Path) -> Result<RevocationSource, RevocationError> {
        let io = |e: std::io::Error| RevocationError::Io(e.to_string());
        let stamp = stamp(path).map_err(io)?;
        let list = RevocationList::parse(&fs::read(path).map_err(io)?)?;
        Ok(RevocationSource {
            path: path.to_path_buf(),
            loaded: Mutex::new(Loaded { stamp: Some(stamp), list: Arc::new(list), failing: false }),
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

    /// Re-reads the file if its size, mtime or inode changed. Errors are reported once per
    /// failing streak, and the last good list stays in force.
    pub fn refresh(&self) -> Refresh {
        let current = stamp(&self.path);
        let mut loaded = self.lock();
        let changed = match &current {
            Ok(stamp) => loaded.stamp != Some(*stamp),
            Err(_) => loaded.stamp.is_some(),
        };
        if !changed {
            return Refresh::Unchanged;
        }
        let result = current
            .and_then(|stamp| fs::read(&self.path).map(|bytes| (stamp, bytes)))
            .map_err(|e| RevocationError::Io(e.to_string()))
            .and_then(|(stamp, bytes)| RevocationList::parse(&bytes).map(|list| (stamp, list)));
        match result {
            Ok((stamp, list)) => {
                let count = list.len();
                *loaded = Loaded { stamp: Some(stamp), list: Arc::new(list), failing: false };
                Refresh::Reloaded(count)
            }
            Err(error) => {
                // Remember the failing version so it is not re-read (and re-reported) every tick.
                loaded.stamp = stamp(&self.path).ok();
                let first = !loaded.failing;
                loaded.failing = true;
                if first {
                    Refresh::Failed(error)
                } else {
                    Refresh::Unchanged
                }
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
        assert_eq!(source.refresh(), Refresh::Unchanged, "still failing: reported once");
        fs::write(&path, "sub three\n").unwrap();
        assert_eq!(source.refresh(), Refresh::Reloaded(1));
        assert!(!source.is_revoked(&claims(None, Some("two"))));
        fs::remove_dir_all(&dir).unwrap();
        assert!(RevocationSource::open(&path).is_err());
    }
}
