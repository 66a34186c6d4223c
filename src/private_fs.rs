//! Folders and files for the gateway's secrets and state, readable by its own user only.
//!
//! The database holds the citizens' Consents, grants and access log, and the key files sign
//! tokens: neither is for other users of the machine. Folders the gateway creates for them are
//! 0700; a folder that exists already keeps its mode, since it may be shared (`/tmp`, the
//! working directory) and the files in it are 0600 themselves.

use std::io;
use std::path::Path;

/// Creates `dir` and its missing parents, each 0700 (on Unix).
pub fn create_dir_all(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Creates the folder of `file` (see [`create_dir_all`]), unless the path has none.
pub fn create_parent(file: &Path) -> io::Result<()> {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => create_dir_all(dir),
        _ => Ok(()),
    }
}

/// Makes `file` 0600 (on Unix), creating it empty if it does not exist.
pub fn create_private_file(file: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // The mode of a new file; the umask can only take bits away from it.
        options.mode(0o600);
    }
    options.open(file)?;
    restrict(file)
}

/// Makes an existing `file` 0600 (on Unix): one created by an older version, or under a umask
/// that left more.
pub fn restrict(file: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_folders_are_0700_and_files_0600_existing_files_too() {
        let dir = crate::test_dir::TestDir::new("private-fs");
        let root = dir.path();
        let file = root.join("a/b/state.db");
        create_parent(&file).unwrap();
        assert_eq!(mode(root), 0o700);
        assert_eq!(mode(&root.join("a/b")), 0o700);
        create_private_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        let old = root.join("a/old.db");
        std::fs::write(&old, b"kept").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        create_private_file(&old).unwrap();
        assert_eq!(mode(&old), 0o600);
        assert_eq!(std::fs::read(&old).unwrap(), b"kept", "content untouched");
    }
}
