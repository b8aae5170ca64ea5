//! A file that workers re-read while nginx runs (the revocation list, the client registry):
//! when to read it again (its version changed, or it still fails), and the last good contents
//! kept in force until a version loads. The file itself is reached through [`ListFile`]: the
//! nginx layer reads the disk, tests read memory; no I/O happens here.

use std::fmt::{Debug, Display};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

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

/// Where a watched file is read from.
pub trait ListFile: Debug + Send + Sync {
    /// The path, to name the file in messages and to configure it once however often named.
    fn path(&self) -> &Path;
    /// The current version, without reading the contents.
    fn version(&self) -> std::io::Result<FileVersion>;
    /// The whole contents.
    fn read(&self) -> std::io::Result<Vec<u8>>;
}

/// What a watched file holds once parsed.
pub trait Contents: Debug + Send + Sync + Sized {
    /// Why a version of the file cannot be used.
    type Error: Clone + Debug + Display + PartialEq;
    /// Parses the file's bytes.
    fn parse(bytes: &[u8]) -> Result<Self, Self::Error>;
    /// The error for a file that cannot be stat'ed or read.
    fn io_error(error: std::io::Error) -> Self::Error;
    /// The system's message, when `error` is one made by [`Contents::io_error`].
    fn io_message(error: &Self::Error) -> Option<&str>;
    /// How many entries it holds, for the reload log line.
    fn entries(&self) -> usize;
}

/// What a refresh did, for the caller to log.
#[derive(Debug, PartialEq, Eq)]
pub enum Refresh<E> {
    /// Nothing to report: the file did not change, or it still fails as already reported.
    Unchanged,
    /// The file changed and was loaded; it holds this many entries.
    Reloaded(usize),
    /// The file cannot be used; the previous contents stay in force. Reported once per
    /// distinct failure: a different error, or the same error on a new version of the file.
    Failed(E),
}

#[derive(Debug)]
struct Loaded<T: Contents> {
    /// The version of the file the contents were read from.
    version: Option<FileVersion>,
    contents: Arc<T>,
    /// The last failure reported, and the version of the file it was seen on. While set, the
    /// file is read again on every refresh, whatever its version: what made it fail (a mode,
    /// an owner, an ACL, a parent directory) need not show in the version when it is fixed.
    failure: Option<(T::Error, Option<FileVersion>)>,
}

/// A watched file and the contents last loaded from it.
#[derive(Debug)]
pub struct Watched<T: Contents> {
    file: Box<dyn ListFile>,
    loaded: Mutex<Loaded<T>>,
}

fn load<T: Contents>(
    file: &dyn ListFile,
    version: std::io::Result<FileVersion>,
) -> Result<(FileVersion, T), T::Error> {
    let version = version.map_err(T::io_error)?;
    let contents = T::parse(&file.read().map_err(T::io_error)?)?;
    Ok((version, contents))
}

impl<T: Contents> Watched<T> {
    /// Loads the file now; a missing or malformed file is an error (a config error in nginx).
    pub fn open(file: Box<dyn ListFile>) -> Result<Watched<T>, T::Error> {
        let (version, contents) = load::<T>(&*file, file.version())?;
        let loaded = Loaded { version: Some(version), contents: Arc::new(contents), failure: None };
        Ok(Watched { file, loaded: Mutex::new(loaded) })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    fn lock(&self) -> MutexGuard<'_, Loaded<T>> {
        // A poisoned lock only means a panic elsewhere; the contents are always whole.
        self.loaded.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether the last refresh failed (the contents in force are an older version's).
    pub fn failing(&self) -> bool {
        self.lock().failure.is_some()
    }

    /// The contents in force; a request holds them for its whole decision.
    pub fn current(&self) -> Arc<T> {
        Arc::clone(&self.lock().contents)
    }

    /// Re-reads the file if its version changed, and on every call while it fails. The last
    /// good contents stay in force until a version loads.
    pub fn refresh(&self) -> Refresh<T::Error> {
        // Taken before reading: a change made during the read shows as a new version next time.
        let current = self.file.version();
        let mut loaded = self.lock();
        let unchanged = matches!(&current, Ok(version) if loaded.version == Some(*version));
        if unchanged && loaded.failure.is_none() {
            return Refresh::Unchanged;
        }
        let version = current.as_ref().ok().copied();
        match load::<T>(&*self.file, current) {
            Ok((version, contents)) => {
                let count = contents.entries();
                *loaded =
                    Loaded { version: Some(version), contents: Arc::new(contents), failure: None };
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
