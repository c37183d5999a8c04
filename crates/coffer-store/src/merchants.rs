//! Merchant accounts. The secret itself is never here: only its keyring address.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use coffer_core::merchant::parse_time_zone;
use coffer_core::{
    CloverRegion, Currency, Endpoint, Environment, HostOverride, Merchant, MerchantId,
    ProviderAccount,
};
use rusqlite::{params, OptionalExtension, Row};

use crate::error::{StoreError, StoreResult};
use crate::{millis, Store};

/// A merchant account before it has an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMerchant {
    /// Display name.
    pub name: String,
    /// The provider's ids.
    pub account: ProviderAccount,
    /// Sandbox or live.
    pub environment: Environment,
    /// Base URL.
    pub base_url: String,
    /// IANA time zone.
    pub time_zone: chrono_tz::Tz,
    /// Charge currency.
    pub currency: Currency,
    /// Days of notice before a scheduled charge.
    pub notice_lead_days: u32,
    /// Group of locations.
    pub group: Option<String>,
    /// Region and host override.
    pub endpoint: Endpoint,
}

/// The columns read. `secret_service`/`secret_account` are not among them on purpose: the keyring
/// address is derived at use time (schema 8), so a hand-edited row cannot redirect a lookup.
const COLUMNS: &str = "id, name, account_json, environment, base_url, time_zone, currency, notice_lead_days, merchant_group, region, host_override_host, host_override_reason";

fn read(row: &Row<'_>) -> rusqlite::Result<Result<Merchant, StoreError>> {
    let id: i64 = row.get(0)?;
    let account_json: String = row.get(2)?;
    let environment: String = row.get(3)?;
    let time_zone: String = row.get(5)?;
    let currency: String = row.get(6)?;
    let lead: i64 = row.get(7)?;
    let corrupt = |what: String| StoreError::Corrupt(format!("merchant {id}: {what}"));
    let merchant = (|| {
        Ok(Merchant {
            id: MerchantId(id),
            name: row.get(1).map_err(StoreError::from)?,
            account: serde_json::from_str(&account_json).map_err(|e| corrupt(e.to_string()))?,
            environment: Environment::from_str(&environment).map_err(|e| corrupt(e.to_string()))?,
            base_url: row.get(4).map_err(StoreError::from)?,
            time_zone: parse_time_zone(&time_zone).map_err(|e| corrupt(e.to_string()))?,
            currency: Currency::from_code(&currency).map_err(|e| corrupt(e.to_string()))?,
            notice_lead_days: u32::try_from(lead).map_err(|e| corrupt(e.to_string()))?,
            group: row.get(8).map_err(StoreError::from)?,
            endpoint: Endpoint {
                region: row
                    .get::<_, Option<String>>(9)
                    .map_err(StoreError::from)?
                    .map(|r| r.parse::<CloverRegion>())
                    .transpose()
                    .map_err(|e| corrupt(e.to_string()))?,
                host_override: match (
                    row.get::<_, Option<String>>(10).map_err(StoreError::from)?,
                    row.get::<_, Option<String>>(11).map_err(StoreError::from)?,
                ) {
                    (Some(host), Some(reason)) => Some(HostOverride { host, reason }),
                    _ => None,
                },
            },
        })
    })();
    Ok(merchant)
}

/// Merchants and their charge limits.
pub trait MerchantReads {
    /// One merchant that has not been removed.
    fn merchant(&self, id: MerchantId) -> StoreResult<Merchant>;

    /// Every merchant that has not been removed, by name.
    fn merchants(&self) -> StoreResult<Vec<Merchant>>;

    /// The amount above which a manual charge of `id` must be confirmed again, in its
    /// currency's minor units; `None` when the merchant has no such limit (schema 11).
    fn charge_limit(&self, id: MerchantId) -> StoreResult<Option<i64>>;

    /// Every merchant's limit of [`Store::charge_limit`], for the merchant list.
    fn charge_limits(&self) -> StoreResult<Vec<(MerchantId, Option<i64>)>>;
}

/// Adding, changing and removing merchants.
pub trait MerchantWrites: MerchantReads {
    /// Saves a new merchant account; a second account with the same provider ids, environment and
    /// base URL is a conflict. A previously removed one with the same ids comes back.
    fn insert_merchant(&self, new: &NewMerchant, now: DateTime<Utc>) -> StoreResult<Merchant>;

    /// Saves every field of an existing merchant.
    fn update_merchant(&self, merchant: &Merchant) -> StoreResult<()>;

    /// Removes a merchant from every list. Nothing that refers to it is deleted: its ledger rows,
    /// contracts and audit events stay, pointing at the archived row, and adding the same
    /// account again brings it back.
    fn remove_merchant(&self, id: MerchantId, now: DateTime<Utc>) -> StoreResult<()>;

    /// Sets or clears (`None`) the limit of [`Store::charge_limit`].
    fn set_charge_limit(&self, id: MerchantId, minor: Option<i64>) -> StoreResult<()>;
}

impl MerchantReads for Store {
    fn merchant(&self, id: MerchantId) -> StoreResult<Merchant> {
        self.conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM merchants WHERE id = ?1 AND archived_at IS NULL"),
                [id.0],
                read,
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound {
                what: format!("merchant {id}"),
            })?
    }

    fn merchants(&self) -> StoreResult<Vec<Merchant>> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {COLUMNS} FROM merchants WHERE archived_at IS NULL ORDER BY merchant_group, name, id"
        ))?;
        let rows = stmt.query_map([], read)?;
        rows.map(|r| r.map_err(StoreError::from)?).collect()
    }

    fn charge_limit(&self, id: MerchantId) -> StoreResult<Option<i64>> {
        self.conn()
            .query_row(
                "SELECT confirm_charges_above_minor FROM merchants WHERE id = ?1 AND archived_at IS NULL",
                [id.0],
                |r| r.get::<_, Option<i64>>(0),
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound {
                what: format!("merchant {id}"),
            })
    }

    fn charge_limits(&self) -> StoreResult<Vec<(MerchantId, Option<i64>)>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, confirm_charges_above_minor FROM merchants WHERE archived_at IS NULL",
        )?;
        let rows = stmt.query_map([], |r| Ok((MerchantId(r.get(0)?), r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl MerchantWrites for Store {
    fn insert_merchant(&self, new: &NewMerchant, now: DateTime<Utc>) -> StoreResult<Merchant> {
        let account_json =
            serde_json::to_string(&new.account).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let revived: Option<i64> = self
            .conn()
            .query_row(
                "SELECT id FROM merchants WHERE provider = ?1 AND account_id = ?2 AND environment = ?3 AND base_url = ?4 AND archived_at IS NOT NULL",
                params![new.account.kind().as_str(), new.account.account_id(), new.environment.as_str(), new.base_url],
                |r| r.get(0),
            )
            .optional()?;
        let id = match revived {
            Some(id) => {
                self.conn().execute(
                    "UPDATE merchants SET archived_at = NULL WHERE id = ?1",
                    [id],
                )?;
                let merchant = Merchant {
                    id: MerchantId(id),
                    name: new.name.clone(),
                    account: new.account.clone(),
                    environment: new.environment,
                    base_url: new.base_url.clone(),
                    time_zone: new.time_zone,
                    currency: new.currency,
                    notice_lead_days: new.notice_lead_days,
                    group: new.group.clone(),
                    endpoint: new.endpoint.clone(),
                };
                self.update_merchant(&merchant)?;
                id
            }
            None => {
                self.conn()
                    .execute(
                        "INSERT INTO merchants (name, provider, account_json, account_id, environment, base_url, time_zone, currency,
                                                notice_lead_days, merchant_group, secret_service, secret_account, created_at,
                                                region, host_override_host, host_override_reason)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, '', '', ?11, ?12, ?13, ?14)",
                        params![
                            new.name,
                            new.account.kind().as_str(),
                            account_json,
                            new.account.account_id(),
                            new.environment.as_str(),
                            new.base_url,
                            new.time_zone.name(),
                            new.currency.code(),
                            new.notice_lead_days,
                            new.group,
                            millis(now),
                            new.endpoint.region.map(CloverRegion::as_str),
                            new.endpoint.host_override.as_ref().map(|o| o.host.as_str()),
                            new.endpoint.host_override.as_ref().map(|o| o.reason.as_str()),
                        ],
                    )
                    .map_err(|e| {
                        StoreError::unique(
                            e,
                            format!(
                                "a {} merchant with id {} at {} already exists",
                                new.account.kind(),
                                new.account.account_id(),
                                new.base_url
                            ),
                        )
                    })?;
                self.conn().last_insert_rowid()
            }
        };
        self.merchant(MerchantId(id))
    }

    fn update_merchant(&self, merchant: &Merchant) -> StoreResult<()> {
        let account_json = serde_json::to_string(&merchant.account)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let changed = self
            .conn()
            .execute(
                "UPDATE merchants SET name = ?2, provider = ?3, account_json = ?4, account_id = ?5, environment = ?6, base_url = ?7,
                        time_zone = ?8, currency = ?9, notice_lead_days = ?10, merchant_group = ?11,
                        region = ?12, host_override_host = ?13, host_override_reason = ?14
                 WHERE id = ?1 AND archived_at IS NULL",
                params![
                    merchant.id.0,
                    merchant.name,
                    merchant.account.kind().as_str(),
                    account_json,
                    merchant.account.account_id(),
                    merchant.environment.as_str(),
                    merchant.base_url,
                    merchant.time_zone.name(),
                    merchant.currency.code(),
                    merchant.notice_lead_days,
                    merchant.group,
                    merchant.endpoint.region.map(CloverRegion::as_str),
                    merchant.endpoint.host_override.as_ref().map(|o| o.host.as_str()),
                    merchant.endpoint.host_override.as_ref().map(|o| o.reason.as_str()),
                ],
            )
            .map_err(|e| StoreError::unique(e, "another merchant already has these provider ids"))?;
        if changed == 0 {
            return Err(StoreError::NotFound {
                what: format!("merchant {}", merchant.id),
            });
        }
        Ok(())
    }

    fn remove_merchant(&self, id: MerchantId, now: DateTime<Utc>) -> StoreResult<()> {
        let changed = self.conn().execute(
            "UPDATE merchants SET archived_at = ?2 WHERE id = ?1 AND archived_at IS NULL",
            params![id.0, millis(now)],
        )?;
        if changed == 0 {
            return Err(StoreError::NotFound {
                what: format!("merchant {id}"),
            });
        }
        Ok(())
    }

    fn set_charge_limit(&self, id: MerchantId, minor: Option<i64>) -> StoreResult<()> {
        let changed = self.conn().execute(
            "UPDATE merchants SET confirm_charges_above_minor = ?2 WHERE id = ?1 AND archived_at IS NULL",
            params![id.0, minor],
        )?;
        if changed == 0 {
            return Err(StoreError::NotFound {
                what: format!("merchant {id}"),
            });
        }
        Ok(())
    }
}
