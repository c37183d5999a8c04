//! The copies of the database kept before upgrades (`coffer.db.before-vN-<millis>`): listed with
//! their size for the owner, and deleted on the owner's word. Each is a whole database as it was
//! before that upgrade, the details of customers erased since included, and one more is made at
//! every schema change (1.3 GB each at 1,000,000 customers), so Coffer shows them rather than
//! letting them pile up unseen; it never deletes one by itself, since a copy is the only way
//! back to the version before.

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;

use coffer_store::StoreError;

use crate::config::database_path;
use crate::error::{EngineError, EngineResult};
use crate::Engine;

/// One copy kept before an upgrade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct UpgradeCopyView {
    /// Its file name, which names it to delete it.
    pub file: String,
    /// Its full path.
    pub path: String,
    /// The schema version the upgrade it was kept before brought the database to.
    pub upgraded_to: u32,
    /// When it was made.
    pub made_at: DateTime<Utc>,
    /// Its size on disk, in bytes.
    pub bytes: u64,
}

impl From<coffer_store::copies::UpgradeCopy> for UpgradeCopyView {
    fn from(copy: coffer_store::copies::UpgradeCopy) -> Self {
        UpgradeCopyView {
            file: copy.file_name(),
            path: copy.path.display().to_string(),
            upgraded_to: u32::try_from(copy.upgraded_to).unwrap_or(u32::MAX),
            made_at: Utc
                .timestamp_millis_opt(copy.made_at_millis)
                .single()
                .unwrap_or_default(),
            bytes: copy.bytes,
        }
    }
}

impl Engine {
    /// The copies kept before upgrades in this profile's folder, oldest first.
    pub async fn upgrade_copies(&self) -> EngineResult<Vec<UpgradeCopyView>> {
        let database = database_path(self.data_dir());
        let copies = Self::blocking(move || Ok(coffer_store::copies::of(&database)?)).await?;
        Ok(copies.into_iter().map(UpgradeCopyView::from).collect())
    }

    /// Deletes the copy named `file` (as [`Engine::upgrade_copies`] lists it) and records it in
    /// the audit log; returns the copies left. Only a listed copy can go: the name is never
    /// taken as a path.
    pub async fn delete_upgrade_copy(&self, file: &str) -> EngineResult<Vec<UpgradeCopyView>> {
        let database = database_path(self.data_dir());
        let name = file.to_string();
        let deleted =
            match Self::blocking(move || Ok(coffer_store::copies::delete(&database, &name))).await?
            {
                Ok(copy) => UpgradeCopyView::from(copy),
                Err(StoreError::NotFound { .. }) => return Err(self.not_a_copy(file).await),
                Err(e) => return Err(e.into()),
            };
        // After the file is gone: the log says what happened, not what was about to.
        self.record_audit(
            None,
            "upgrade_copy_deleted",
            format!("file:{}", deleted.file),
            serde_json::json!({
                "upgraded_to": deleted.upgraded_to,
                "made_at": deleted.made_at,
                "bytes": deleted.bytes,
            }),
        )
        .await?;
        self.upgrade_copies().await
    }

    /// The refusal of a name that is no copy: it names the copies there are.
    async fn not_a_copy(&self, file: &str) -> EngineError {
        let names: Vec<String> = match self.upgrade_copies().await {
            Ok(copies) => copies.into_iter().map(|c| c.file).collect(),
            Err(e) => return e,
        };
        coffer_core::InvalidInput::new(
            "file",
            if names.is_empty() {
                format!("'{file}' is not a copy kept before an upgrade: this profile has none")
            } else {
                format!(
                    "'{file}' is not a copy kept before an upgrade in this profile's folder; \
                     they are: {}",
                    names.join(", ")
                )
            },
        )
        .into()
    }
}
