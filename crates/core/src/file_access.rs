//! Whether another user could read a file, judged from permission bits. nginx checks its
//! configuration in a master process that usually runs as root, while the worker processes,
//! which re-read revocation files, run as the `user` directive's account: a file only root can
//! read loads at startup and then never again.
//!
//! Only the classic mode bits are evaluated (owner, then group including supplementary
//! groups, then others, on the file and on every directory above it). POSIX ACLs,
//! capabilities and security modules are not: the answer is a reason to warn, not a verdict.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

/// Whether a file holding a secret (a private key, an HMAC secret) may be read by its group or
/// by others, judged from its own mode bits: a reason to warn at configuration time.
#[cfg(unix)]
pub fn secret_exposed(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|meta| meta.permissions().mode() & 0o077 != 0)
}

/// Read permission in a class's three mode bits.
const READ: u32 = 0o4;
/// Write permission in a class's three mode bits.
const WRITE: u32 = 0o2;
/// Search (execute) permission in a class's three mode bits.
const SEARCH: u32 = 0o1;

/// A process identity: the user and every group it holds.
#[derive(Clone, Debug)]
pub struct Identity {
    /// The user id.
    pub uid: u32,
    /// The primary group followed by the supplementary groups.
    pub gids: Vec<u32>,
}

/// Why the identity cannot read the file.
#[derive(Debug, PartialEq, Eq)]
pub enum Denied {
    /// A directory on the way cannot be searched.
    Search(PathBuf),
    /// The file itself cannot be read (or, for [`writable_by`], written).
    Read {
        /// The file's permission bits.
        mode: u32,
        /// The file's owner.
        uid: u32,
        /// The file's group.
        gid: u32,
    },
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Denied::Search(dir) => write!(f, "directory \"{}\" is not searchable", dir.display()),
            Denied::Read { mode, uid, gid } => {
                write!(f, "mode {:04o}, owner uid {uid}, group gid {gid}", mode & 0o7777)
            }
        }
    }
}

/// Whether `who` holds `want` (a class's bits, e.g. [`READ`]) on an object with this mode,
/// owner and group: the owner's bits alone decide for the owner, the group's for a member,
/// the others' for everyone else; root may do anything.
pub fn permits(mode: u32, owner: u32, group: u32, who: &Identity, want: u32) -> bool {
    if who.uid == 0 {
        return true;
    }
    let bits = if who.uid == owner {
        mode >> 6
    } else if who.gids.contains(&group) {
        mode >> 3
    } else {
        mode
    };
    bits & want == want
}

#[cfg(unix)]
fn owner_and_mode(meta: &fs::Metadata) -> (u32, u32, u32) {
    use std::os::unix::fs::MetadataExt;
    (meta.mode(), meta.uid(), meta.gid())
}

/// Checks that `who` can reach and read `path` (given as nginx resolved it), following
/// symbolic links. Components this process cannot stat are given the benefit of the doubt.
#[cfg(unix)]
pub fn readable_by(path: &Path, who: &Identity) -> Result<(), Denied> {
    accessible_by(path, who, READ)
}

/// As [`readable_by`], for writing (the revocation endpoint appends to the file).
#[cfg(unix)]
pub fn writable_by(path: &Path, who: &Identity) -> Result<(), Denied> {
    accessible_by(path, who, WRITE)
}

#[cfg(unix)]
fn accessible_by(path: &Path, who: &Identity, want: u32) -> Result<(), Denied> {
    let real = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    // The directories of the path as written and of the file it resolves to.
    for dir in path.ancestors().skip(1).chain(real.ancestors().skip(1)) {
        if dir.as_os_str().is_empty() {
            continue;
        }
        if let Ok(meta) = fs::metadata(dir) {
            let (mode, uid, gid) = owner_and_mode(&meta);
            if !permits(mode, uid, gid, who, SEARCH) {
                return Err(Denied::Search(dir.to_path_buf()));
            }
        }
    }
    match fs::metadata(&real) {
        Ok(meta) => {
            let (mode, uid, gid) = owner_and_mode(&meta);
            match permits(mode, uid, gid, who, want) {
                true => Ok(()),
                false => Err(Denied::Read { mode, uid, gid }),
            }
        }
        Err(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nobody(gids: &[u32]) -> Identity {
        Identity { uid: 65534, gids: gids.to_vec() }
    }

    #[test]
    fn the_first_matching_class_decides() {
        // root:root 0600: only root and the owner.
        assert!(!permits(0o100600, 0, 0, &nobody(&[65534]), READ));
        assert!(permits(0o100600, 0, 0, &Identity { uid: 0, gids: vec![0] }, READ));
        assert!(permits(0o100600, 65534, 0, &nobody(&[65534]), READ));
        // 0644 after chmod: everyone.
        assert!(permits(0o100644, 0, 0, &nobody(&[65534]), READ));
        // 0640 root:adm: members of adm, supplementary included.
        assert!(!permits(0o100640, 0, 4, &nobody(&[65534]), READ));
        assert!(permits(0o100640, 0, 4, &nobody(&[65534, 4]), READ));
        // The owner's bits decide for the owner even when others may read (0044).
        assert!(!permits(0o100044, 65534, 0, &nobody(&[65534]), READ));
        // Directories need search permission.
        assert!(!permits(0o40700, 0, 0, &nobody(&[65534]), SEARCH));
        assert!(permits(0o40711, 0, 0, &nobody(&[65534]), SEARCH));
    }

    #[test]
    fn reasons_are_readable() {
        let denied = Denied::Read { mode: 0o100600, uid: 0, gid: 0 };
        assert_eq!(denied.to_string(), "mode 0600, owner uid 0, group gid 0");
        let denied = Denied::Search(PathBuf::from("/srv/secret"));
        assert_eq!(denied.to_string(), "directory \"/srv/secret\" is not searchable");
    }

    #[test]
    #[cfg(unix)]
    fn walks_the_real_file_system() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = std::env::temp_dir().join(format!("cf-access-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("revoked.txt");
        fs::write(&path, "jti a\n").unwrap();
        let meta = fs::metadata(&path).unwrap();
        // Someone who owns nothing here and is in none of its groups.
        let stranger = Identity { uid: meta.uid() + 4242, gids: vec![meta.gid() + 4242] };
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(
            readable_by(&path, &stranger),
            Err(Denied::Read { mode: 0o100600, uid: meta.uid(), gid: meta.gid() })
        );
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(readable_by(&path, &stranger), Ok(()));
        assert_eq!(
            writable_by(&path, &stranger),
            Err(Denied::Read { mode: 0o100644, uid: meta.uid(), gid: meta.gid() })
        );
        fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).unwrap();
        assert_eq!(writable_by(&path, &stranger), Ok(()));
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
        assert_eq!(readable_by(&path, &stranger), Err(Denied::Search(dir.clone())));
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        fs::remove_dir_all(&dir).unwrap();
    }
}
