//! The free disk space an upgrade needs, checked before it writes anything: a disk that fills
//! half-way through says "database or disk is full" after minutes of work, and leaves the owner
//! guessing what to free. Measured on the 100,000-customer bench profile (121 MB, no free
//! pages), an upgrade that scrubs (from before schema 26) held at its peak the database, its
//! copy, a write-ahead log of the database's size (VACUUM writes every page through it) and
//! SQLite's temporary rebuild of the database (unlinked at once, so only `/proc/PID/fd` shows
//! it): four times the file, three of them new.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::error::{StoreError, StoreResult};

/// How much disk space is free for an unprivileged user on the file system holding a path.
pub type FreeSpace = dyn Fn(&Path) -> std::io::Result<u64>;

/// The free space the system reports ([`FreeSpace`]). A file system that reports no size at
/// all (some FUSE and network mounts answer zeros) is one whose free space cannot be read, not
/// a full one.
pub fn free_space(path: &Path) -> std::io::Result<u64> {
    if fs4::total_space(path)? == 0 {
        return Err(std::io::Error::other(format!(
            "{} reports no size",
            path.display()
        )));
    }
    fs4::available_space(path)
}

/// Room to spare beyond the estimate: what the migrations themselves write (index builds and
/// their sorts), a tenth of the live content and at least 16 MB.
fn spare(live: u64) -> u64 {
    (live / 10).max(16_000_000)
}

/// Where the upgrade of the database behind `conn`, at `database`, writes and how much: the
/// copy kept first (the whole file) in the database's folder; when it `scrubs`, VACUUM's
/// write-ahead log (the live pages) there too, and its rebuild (the live pages) in SQLite's
/// temporary folder. Places on one file system are summed.
pub(crate) fn needed(
    conn: &Connection,
    database: &Path,
    scrubs: bool,
) -> StoreResult<Vec<(PathBuf, u64)>> {
    let pragma = |name: &str| -> StoreResult<u64> {
        let value: i64 = conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))?;
        Ok(u64::try_from(value).unwrap_or(0))
    };
    let page = pragma("page_size")?;
    let pages = pragma("page_count")?;
    let live = pages.saturating_sub(pragma("freelist_count")?) * page;
    let folder = match database.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut places = vec![(folder.clone(), pages * page + spare(live))];
    if scrubs {
        places[0].1 += live;
        let temp = sqlite_temp_dir();
        if same_file_system(&folder, &temp) {
            places[0].1 += live;
        } else {
            places.push((temp, live));
        }
    }
    Ok(places)
}

/// Refuses when a place of `needed` has less free space than it needs, by `free`'s account; a
/// place whose free space cannot be read (an unusual file system) is not held against it.
/// `copies` are those kept before earlier upgrades, named when their folder is short.
pub(crate) fn ensure(
    needed: &[(PathBuf, u64)],
    free: &FreeSpace,
    copies: &[crate::copies::UpgradeCopy],
) -> StoreResult<()> {
    for (i, (place, bytes)) in needed.iter().enumerate() {
        if let Ok(available) = free(place) {
            if available < *bytes {
                // The first place is the database's folder; any other, SQLite's temporary one.
                let temporary = i > 0;
                return Err(StoreError::NoRoom {
                    place: place.clone(),
                    temporary,
                    needed: *bytes,
                    free: available,
                    copies: if temporary {
                        Vec::new()
                    } else {
                        copies.iter().map(|c| (c.path.clone(), c.bytes)).collect()
                    },
                });
            }
        }
    }
    Ok(())
}

/// The folder SQLite puts its temporary files in, in the order SQLite looks
/// (https://www.sqlite.org/tempfiles.html, "Temporary File Storage Locations"): on Unix
/// `SQLITE_TMPDIR`, `TMPDIR`, `/var/tmp`, `/usr/tmp`, `/tmp`, the first that is a writable
/// folder; on Windows the system's temporary folder.
fn sqlite_temp_dir() -> PathBuf {
    if cfg!(windows) {
        return std::env::temp_dir();
    }
    let from_env = ["SQLITE_TMPDIR", "TMPDIR"]
        .into_iter()
        .filter_map(|name| std::env::var_os(name).map(PathBuf::from));
    let fixed = ["/var/tmp", "/usr/tmp", "/tmp"]
        .into_iter()
        .map(PathBuf::from);
    from_env
        .chain(fixed)
        .find(|dir| std::fs::metadata(dir).is_ok_and(|m| m.is_dir() && !m.permissions().readonly()))
        .unwrap_or_else(|| PathBuf::from("."))
}

#[cfg(unix)]
fn same_file_system(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file_system(a: &Path, b: &Path) -> bool {
    // The drive or share each path is on.
    let root = |p: &Path| {
        std::fs::canonicalize(p)
            .ok()
            .and_then(|p| p.components().next().map(|c| c.as_os_str().to_owned()))
    };
    root(a).is_some() && root(a) == root(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database_of(bytes: usize) -> (tempfile::TempDir, PathBuf, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("coffer.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE t (b BLOB)").unwrap();
        conn.execute("INSERT INTO t VALUES (zeroblob(?1))", [bytes])
            .unwrap();
        (dir, path, conn)
    }

    #[test]
    fn an_upgrade_that_scrubs_needs_the_copy_the_log_and_the_rebuild_beside_the_file() {
        let (dir, path, conn) = database_of(40_000_000);
        let size = std::fs::metadata(&path).unwrap().len();
        let copy_only = needed(&conn, &path, false).unwrap();
        assert_eq!(
            copy_only,
            vec![(dir.path().to_path_buf(), size + 16_000_000)]
        );
        let scrub = needed(&conn, &path, true).unwrap();
        assert_eq!(
            scrub.iter().map(|(_, bytes)| bytes).sum::<u64>(),
            3 * size + 16_000_000,
            "the copy, VACUUM's log and its rebuild, wherever each is: {scrub:?}"
        );
        assert_eq!(scrub[0].0, dir.path());
    }

    #[test]
    fn the_free_space_of_a_real_folder_is_read() {
        let dir = tempfile::tempdir().unwrap();
        assert!(free_space(dir.path()).unwrap() > 0);
        assert!(free_space(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn too_little_room_anywhere_refuses_and_says_where_how_much_and_what_is_free() {
        let needs = vec![
            (PathBuf::from("/profile"), 3_000_000_000),
            (sqlite_temp_dir(), 1_000_000_000),
        ];
        let copy = crate::copies::UpgradeCopy {
            path: PathBuf::from("/profile/coffer.db.before-v25-1796000000000"),
            upgraded_to: 25,
            made_at_millis: 1_796_000_000_000,
            bytes: 1_200_000_000,
        };
        let refused = ensure(
            &needs,
            &|place| {
                Ok(if place == Path::new("/profile") {
                    2_500_000_000
                } else {
                    u64::MAX
                })
            },
            std::slice::from_ref(&copy),
        )
        .unwrap_err();
        let message = refused.to_string();
        assert!(
            message.contains("/profile")
                && message.contains("3,000 MB")
                && message.contains("2,500 MB")
                && message.contains("Nothing was changed")
                && message.contains("coffer.db.before-v25-1796000000000 (1,200 MB)"),
            "{message}"
        );
        let in_temp = ensure(
            &needs,
            &|place| {
                Ok(if place == Path::new("/profile") {
                    u64::MAX
                } else {
                    999_999_999
                })
            },
            std::slice::from_ref(&copy),
        )
        .unwrap_err()
        .to_string();
        assert!(
            in_temp.contains("SQLITE_TMPDIR") && !in_temp.contains("before-v25"),
            "the temporary folder is named as SQLite's, with the way to move it: {in_temp}"
        );
        assert!(ensure(&needs, &|_| Ok(3_000_000_000), &[]).is_ok());
        assert!(
            ensure(&needs, &|_| Err(std::io::Error::other("no statvfs")), &[]).is_ok(),
            "free space that cannot be read does not block the upgrade"
        );
    }
}
