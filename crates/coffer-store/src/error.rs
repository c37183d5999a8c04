//! `StoreError`: what can go wrong below the engine.

/// A failed store operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row asked for does not exist.
    #[error("{what} not found")]
    NotFound {
        /// What was looked for ("card 12").
        what: String,
    },
    /// A UNIQUE key or a guarded state change refused the write.
    #[error("{0}")]
    Conflict(String),
    /// A value read back from the database does not make sense (edited by hand, or a bug).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The file was written by a newer Coffer, whose schema this one does not know.
    #[error("the database is schema version {found}, newer than this Coffer ({known}); use a newer Coffer")]
    NewerSchema {
        /// The file's schema version.
        found: usize,
        /// The newest this build knows.
        known: usize,
    },
    /// The database refused (I/O, locked, constraint).
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The schema could not be brought up to date.
    #[error("migration: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    /// Too little free disk space to upgrade the database; nothing was changed.
    #[error("{}", no_room(place, *temporary, *needed, *free, copies))]
    NoRoom {
        /// The folder short of space.
        place: std::path::PathBuf,
        /// It is SQLite's temporary folder, not the profile's.
        temporary: bool,
        /// Bytes the upgrade needs there.
        needed: u64,
        /// Bytes free there.
        free: u64,
        /// The copies kept before earlier upgrades in that folder, and their sizes.
        copies: Vec<(std::path::PathBuf, u64)>,
    },
    /// The file system.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// Why it failed.
        source: std::io::Error,
    },
}

impl StoreError {
    /// Turns a UNIQUE-constraint failure into `Conflict` with a readable message.
    pub(crate) fn unique(error: rusqlite::Error, message: impl Into<String>) -> StoreError {
        match &error {
            rusqlite::Error::SqliteFailure(e, _)
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                StoreError::Conflict(message.into())
            }
            _ => StoreError::Sqlite(error),
        }
    }
}

fn no_room(
    place: &std::path::Path,
    temporary: bool,
    needed: u64,
    free: u64,
    copies: &[(std::path::PathBuf, u64)],
) -> String {
    let why = if temporary {
        "SQLite's temporary folder, where it rebuilds the database; SQLITE_TMPDIR names another"
    } else {
        "a copy of the database as it is, and room to rewrite it"
    };
    let mut message = format!(
        "not enough free disk space to upgrade the database: it needs about {} free in {} ({why}), \
         and {} is free there. Nothing was changed. Free some space there and start Coffer again",
        megabytes(needed),
        place.display(),
        megabytes(free)
    );
    if !copies.is_empty() {
        let names: Vec<String> = copies
            .iter()
            .map(|(path, bytes)| format!("{} ({})", path.display(), megabytes(*bytes)))
            .collect();
        message.push_str(&format!(
            ". The copies kept before earlier upgrades there can go once you no longer need to \
             go back to those versions: {}",
            names.join(", ")
        ));
    }
    message
}

/// `bytes` in whole megabytes, rounded up, with thousands separated: "1,300 MB", as the
/// store's messages and the CLI word a size.
pub fn megabytes(bytes: u64) -> String {
    let mb = bytes.div_ceil(1_000_000).to_string();
    let mut grouped = String::new();
    for (i, digit) in mb.chars().enumerate() {
        if i > 0 && (mb.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{grouped} MB")
}

/// Results of the store.
pub type StoreResult<T> = Result<T, StoreError>;
