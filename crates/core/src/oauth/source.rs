//! The client registry file and the registry last loaded from it: re-read when the file
//! changes, and on every check while it fails, keeping the last good registry in force. The
//! same rules as the revocation file ([`crate::revocation`]), through the same [`ListFile`]
//! (the nginx layer reads the disk, tests read memory; no I/O here).

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use super::registry::{ClientRegistry, RegistryError};
use crate::revocation::{FileVersion, ListFile};

/// What a refresh did, for the caller to log.
#[derive(Debug, PartialEq, Eq)]
pub enum RegistryRefresh {
    /// Nothing to report: unchanged, or still failing as already reported.
    Unchanged,
    /// The file changed and was loaded; it lists this many clients.
    Reloaded(usize),
    /// The file cannot be used; the previous registry stays in force. Reported once per
    /// distinct failure (a different error, or the same one on a new version of the file).
    Failed(RegistryError),
}

#[derive(Debug)]
struct Loaded {
    version: Option<FileVersion>,
    registry: Arc<ClientRegistry>,
    failure: Option<(RegistryError, Option<FileVersion>)>,
}

/// A client registry file and the registry last loaded from it.
#[derive(Debug)]
pub struct RegistrySource {
    file: Box<dyn ListFile>,
    loaded: Mutex<Loaded>,
}

fn load(
    file: &dyn ListFile,
    version: std::io::Result<FileVersion>,
) -> Result<(FileVersion, ClientRegistry), RegistryError> {
    let io = |e: std::io::Error| RegistryError::Io(e.to_string());
    let version = version.map_err(io)?;
    let registry = ClientRegistry::parse(&file.read().map_err(io)?)?;
    Ok((version, registry))
}

impl RegistrySource {
    /// Loads the file now; a missing or malformed file is an error (a config error in nginx).
    pub fn open(file: Box<dyn ListFile>) -> Result<RegistrySource, RegistryError> {
        let (version, registry) = load(&*file, file.version())?;
        let loaded = Loaded { version: Some(version), registry: Arc::new(registry), failure: None };
        Ok(RegistrySource { file, loaded: Mutex::new(loaded) })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    fn lock(&self) -> MutexGuard<'_, Loaded> {
        // A poisoned lock only means a panic elsewhere; the registry itself is always whole.
        self.loaded.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The registry in force: a request holds it for its whole decision.
    pub fn current(&self) -> Arc<ClientRegistry> {
        Arc::clone(&self.lock().registry)
    }

    /// Re-reads the file if its version changed, and on every call while it fails.
    pub fn refresh(&self) -> RegistryRefresh {
        let current = self.file.version();
        let mut loaded = self.lock();
        let unchanged = matches!(&current, Ok(version) if loaded.version == Some(*version));
        if unchanged && loaded.failure.is_none() {
            return RegistryRefresh::Unchanged;
        }
        let version = current.as_ref().ok().copied();
        match load(&*self.file, current) {
            Ok((version, registry)) => {
                let count = registry.len();
                *loaded =
                    Loaded { version: Some(version), registry: Arc::new(registry), failure: None };
                RegistryRefresh::Reloaded(count)
            }
            Err(error) => {
                let failure = (error, version);
                if loaded.failure.as_ref() == Some(&failure) {
                    return RegistryRefresh::Unchanged;
                }
                let report = failure.0.clone();
                loaded.failure = Some(failure);
                RegistryRefresh::Failed(report)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Mutex;

    use super::*;
    use crate::oauth::registry::format_digest;

    #[derive(Debug)]
    struct Memory(Arc<Mutex<(u64, Vec<u8>)>>, PathBuf);

    impl ListFile for Memory {
        fn path(&self) -> &Path {
            &self.1
        }
        fn version(&self) -> std::io::Result<FileVersion> {
            let (n, _) = &*self.0.lock().unwrap();
            Ok(FileVersion { modified: None, len: 0, inode: *n, changed: (0, 0) })
        }
        fn read(&self) -> std::io::Result<Vec<u8>> {
            Ok(self.0.lock().unwrap().1.clone())
        }
    }

    #[test]
    fn reloads_on_change_and_keeps_the_last_good_registry() {
        let one = format!("a {} - aud\n", format_digest(b"s"));
        let two = format!("{one}b {} - aud\n", format_digest(b"t"));
        let state = Arc::new(Mutex::new((1, one.into_bytes())));
        let source =
            RegistrySource::open(Box::new(Memory(state.clone(), "clients".into()))).unwrap();
        assert_eq!(source.refresh(), RegistryRefresh::Unchanged);
        *state.lock().unwrap() = (2, two.into_bytes());
        assert_eq!(source.refresh(), RegistryRefresh::Reloaded(2));
        assert!(source.current().authenticate("b", b"t").is_some());
        *state.lock().unwrap() = (3, b"junk\n".to_vec());
        assert!(matches!(
            source.refresh(),
            RegistryRefresh::Failed(RegistryError::BadLine { line: 1, .. })
        ));
        assert_eq!(source.refresh(), RegistryRefresh::Unchanged, "reported once");
        assert_eq!(source.current().len(), 2, "the last good registry stays");
        assert!(RegistrySource::open(Box::new(Memory(state, "clients".into()))).is_err());
    }
}
