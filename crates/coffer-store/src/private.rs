//! Files and folders of a profile that only their owner can open. A profile holds customers'
//! names and contacts, card display fields, contracts and the ledger, and a shop's PC is often
//! shared: on Unix its folders are 0700 and its files 0600 whatever the umask. On Windows the
//! profile lives under the user's own AppData folder, whose inherited ACL already admits only
//! that user, SYSTEM and administrators; nothing is changed there.

use std::fs::File;
use std::io;
use std::path::Path;

/// Creates `path` and any missing parents, each new one private. Folders that already exist are
/// left as they are (a `--out` folder of the owner's choice is theirs); [`restrict`] tightens
/// the profile's own.
pub fn create_dir(path: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}

/// Creates (or truncates) a private file for writing.
pub fn create_file(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    // The mode applies only to a file created here; one that was there keeps its own.
    restrict(path)?;
    Ok(file)
}

/// Makes an existing file 0600 or folder 0700 (Unix); a missing path is not an error.
pub fn restrict(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let metadata = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let mode = if metadata.is_dir() { 0o700 } else { 0o600 };
        if metadata.permissions().mode() & 0o777 != mode {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_folders_and_files_are_private_and_old_ones_are_tightened() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b");
        create_dir(&dir).unwrap();
        assert_eq!(mode(&root.path().join("a")), 0o700);
        assert_eq!(mode(&dir), 0o700);
        let file = dir.join("x.csv");
        std::fs::write(&file, "old").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        drop(create_file(&file).unwrap());
        assert_eq!(mode(&file), 0o600, "an existing file is tightened too");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        restrict(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        restrict(&dir.join("missing")).unwrap();
    }
}
