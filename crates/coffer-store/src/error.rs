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

/// Results of the store.
pub type StoreResult<T> = Result<T, StoreError>;
