//! How a merchant's notices go out by SMTP (the password stays in the keyring).

use chrono::{DateTime, Utc};
use coffer_core::MerchantId;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::error::{StoreError, StoreResult};
use crate::{millis, Store};

/// How a merchant's notices go out by SMTP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpSettings {
    /// The merchant.
    pub merchant_id: MerchantId,
    /// Server.
    pub host: String,
    /// Port.
    pub port: u16,
    /// none | starttls | tls.
    pub security: String,
    /// Login, if the server wants one.
    pub username: Option<String>,
    /// The From address.
    pub from_address: String,
    /// Where the password is in the keyring (service, account), if there is one.
    pub secret: Option<coffer_core::SecretRef>,
}

/// The SMTP server notices go through.
pub trait SmtpReads {
    /// The merchant's SMTP settings, if notices go out by SMTP.
    fn smtp_settings(&self, merchant: MerchantId) -> StoreResult<Option<SmtpSettings>>;
}

/// Saving and removing the SMTP server.
pub trait SmtpWrites: SmtpReads {
    /// Saves (or replaces) the merchant's SMTP settings.
    fn set_smtp_settings(&self, settings: &SmtpSettings, now: DateTime<Utc>) -> StoreResult<()>;

    /// Back to the .eml outbox.
    fn remove_smtp_settings(&self, merchant: MerchantId) -> StoreResult<()>;
}

impl SmtpReads for Store {
    fn smtp_settings(&self, merchant: MerchantId) -> StoreResult<Option<SmtpSettings>> {
        self.conn()
            .query_row(
                "SELECT host, port, security, username, from_address, secret_service, secret_account
                 FROM merchant_smtp WHERE merchant_id = ?1",
                [merchant.0],
                |r| {
                    let service: Option<String> = r.get(5)?;
                    let account: Option<String> = r.get(6)?;
                    Ok(SmtpSettings {
                        merchant_id: merchant,
                        host: r.get(0)?,
                        port: r.get(1)?,
                        security: r.get(2)?,
                        username: r.get(3)?,
                        from_address: r.get(4)?,
                        secret: service
                            .zip(account)
                            .map(|(service, account)| coffer_core::SecretRef { service, account }),
                    })
                },
            )
            .optional()
            .map_err(StoreError::from)
    }
}

impl SmtpWrites for Store {
    fn set_smtp_settings(&self, settings: &SmtpSettings, now: DateTime<Utc>) -> StoreResult<()> {
        self.conn().execute(
            "INSERT INTO merchant_smtp (merchant_id, host, port, security, username, from_address, secret_service, secret_account, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (merchant_id) DO UPDATE SET host = excluded.host, port = excluded.port,
                 security = excluded.security, username = excluded.username, from_address = excluded.from_address,
                 secret_service = excluded.secret_service, secret_account = excluded.secret_account,
                 updated_at = excluded.updated_at",
            params![
                settings.merchant_id.0,
                settings.host,
                settings.port,
                settings.security,
                settings.username,
                settings.from_address,
                settings.secret.as_ref().map(|s| s.service.clone()),
                settings.secret.as_ref().map(|s| s.account.clone()),
                millis(now)
            ],
        )?;
        Ok(())
    }

    fn remove_smtp_settings(&self, merchant: MerchantId) -> StoreResult<()> {
        self.conn().execute(
            "DELETE FROM merchant_smtp WHERE merchant_id = ?1",
            [merchant.0],
        )?;
        Ok(())
    }
}
