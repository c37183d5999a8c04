//! Files and folders of a profile that only their owner can open. A profile holds customers'
//! names and contacts, card display fields, contracts and the ledger, and a shop's PC is often
//! shared: on Unix its folders are 0700 and its files 0600 whatever the umask. On Windows the
//! equivalent is a protected DACL (nothing inherited from the parent, which may be a shared
//! folder the owner picked) admitting the owner and SYSTEM only, written through the safe
//! `windows-permissions` wrappers of the Win32 security API.

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
    // Windows has no creation mode: the folders this call makes are tightened after.
    #[cfg(windows)]
    let missing: Vec<std::path::PathBuf> = path
        .ancestors()
        .take_while(|dir| !dir.as_os_str().is_empty() && !dir.exists())
        .map(Path::to_path_buf)
        .collect();
    builder.create(path)?;
    #[cfg(windows)]
    for dir in missing {
        restrict(&dir)?;
    }
    Ok(())
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

/// Makes an existing file 0600 or folder 0700 (Unix), or gives it the owner-only DACL
/// (Windows); a missing path is not an error.
pub fn restrict(path: &Path) -> io::Result<()> {
    let metadata = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if metadata.is_dir() { 0o700 } else { 0o600 };
        if metadata.permissions().mode() & 0o777 != mode {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
        }
    }
    #[cfg(windows)]
    windows::owner_only(path, metadata.is_dir())?;
    #[cfg(not(any(unix, windows)))]
    let _ = (path, metadata);
    Ok(())
}

#[cfg(windows)]
mod windows {
    use std::io;
    use std::path::Path;

    use windows_permissions::constants::{SeObjectType, SecurityInformation};
    use windows_permissions::wrappers::SetNamedSecurityInfo;
    use windows_permissions::{LocalBox, SecurityDescriptor};

    /// `P`: protected, nothing inherited. Full access (`FA`) for Owner Rights (`OW`, whoever
    /// owns the object: the user who created it) and LocalSystem (`SY`); a folder passes both
    /// down to what is created in it (`OICI`). Administrators can still take ownership, as root
    /// can still read a 0600 file.
    pub(super) const FILE_SDDL: &str = "D:P(A;;FA;;;OW)(A;;FA;;;SY)";
    pub(super) const FOLDER_SDDL: &str = "D:P(A;OICI;FA;;;OW)(A;OICI;FA;;;SY)";

    pub(super) fn owner_only(path: &Path, is_dir: bool) -> io::Result<()> {
        let sddl = if is_dir { FOLDER_SDDL } else { FILE_SDDL };
        let descriptor: LocalBox<SecurityDescriptor> = sddl.parse()?;
        SetNamedSecurityInfo(
            path.as_os_str(),
            SeObjectType::SE_FILE_OBJECT,
            SecurityInformation::Dacl | SecurityInformation::ProtectedDacl,
            None,
            None,
            descriptor.dacl(),
            None,
        )
    }
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

#[cfg(test)]
#[cfg(windows)]
mod windows_tests {
    use super::*;
    use windows_permissions::constants::{SeObjectType, SecurityInformation};
    use windows_permissions::wrappers::{
        ConvertSecurityDescriptorToStringSecurityDescriptor, GetNamedSecurityInfo,
    };

    fn dacl(path: &Path) -> String {
        let sd = GetNamedSecurityInfo(
            path.as_os_str(),
            SeObjectType::SE_FILE_OBJECT,
            SecurityInformation::Dacl,
        )
        .unwrap();
        ConvertSecurityDescriptorToStringSecurityDescriptor(&sd, SecurityInformation::Dacl)
            .unwrap()
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn new_folders_and_files_admit_only_their_owner_and_system() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b");
        create_dir(&dir).unwrap();
        let file = dir.join("x.csv");
        drop(create_file(&file).unwrap());
        for path in [root.path().join("a"), dir, file] {
            let dacl = dacl(&path);
            assert!(dacl.starts_with("D:P"), "{}: {dacl}", path.display());
            for everyone_else in ["WD", "BU", "AU", ";ID;"] {
                assert!(!dacl.contains(everyone_else), "{}: {dacl}", path.display());
            }
        }
    }
}
