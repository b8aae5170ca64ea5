//! A watched file on disk (a revocation list, a client registry): what the core's
//! [`ListFile`] asks of it, read with std's file API. The master reads it at config time, each
//! worker again on its timer (see `watch_timer.rs`); the core decides when.

use std::fs;
use std::path::{Path, PathBuf};

use credentialflow_core::watched::{FileVersion, ListFile};

/// A file named by an absolute path.
#[derive(Debug)]
pub struct DiskFile(PathBuf);

impl DiskFile {
    /// The file at `path`.
    pub fn new(path: PathBuf) -> DiskFile {
        DiskFile(path)
    }
}

impl ListFile for DiskFile {
    fn path(&self) -> &Path {
        &self.0
    }

    fn version(&self) -> std::io::Result<FileVersion> {
        use std::os::unix::fs::MetadataExt;
        let meta = fs::metadata(&self.0)?;
        Ok(FileVersion {
            modified: meta.modified().ok(),
            len: meta.len(),
            inode: meta.ino(),
            changed: (meta.ctime(), meta.ctime_nsec()),
        })
    }

    fn read(&self) -> std::io::Result<Vec<u8>> {
        fs::read(&self.0)
    }
}
