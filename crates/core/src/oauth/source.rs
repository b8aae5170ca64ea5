//! The client registry file, watched like every file workers re-read
//! ([`crate::watched`]): reloaded when it changes and on every check while it fails, the last
//! good registry in force meanwhile.

use super::registry::{ClientRegistry, RegistryError};
use crate::watched::{Contents, Watched};

impl Contents for ClientRegistry {
    type Error = RegistryError;

    fn parse(bytes: &[u8]) -> Result<Self, RegistryError> {
        ClientRegistry::parse(bytes)
    }

    fn io_error(error: std::io::Error) -> RegistryError {
        RegistryError::Io(error.to_string())
    }

    fn io_message(error: &RegistryError) -> Option<&str> {
        match error {
            RegistryError::Io(message) => Some(message),
            _ => None,
        }
    }

    fn entries(&self) -> usize {
        self.len()
    }
}

/// A client registry file and the registry last loaded from it.
pub type RegistrySource = Watched<ClientRegistry>;

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::oauth::registry::format_digest;
    use crate::watched::{FileVersion, ListFile};

    type RegistryRefresh = crate::watched::Refresh<RegistryError>;

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
