//! The notices sent to cardholders about their contracts.
//!
//! A notice is claimed (a row with location `sending`) before it is delivered, and the UNIQUE
//! `(contract_id, occurrence, kind)` key makes a second process find the claim instead of
//! notifying the cardholder twice.

use chrono::{DateTime, NaiveDate, Utc};
use coffer_core::charge::NoticeRecord;
use coffer_core::{ContractId, MerchantId, Money, NoticeKind};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::contracts::{currency, date};
use crate::error::StoreResult;
use crate::{instant, millis, Store};

/// A claim on a notice older than this (a crash between claim and delivery) may be taken over.
pub const STALE_NOTICE_CLAIM_MINUTES: i64 = 10;

/// A notice kind as stored (its storage name is the serde name); an unknown name reads as a
/// pre-charge notice, the kind every older row had.
fn notice_kind(text: &str) -> NoticeKind {
    match text {
        "confirmation" => NoticeKind::Confirmation,
        "cancellation" => NoticeKind::Cancellation,
        "terms_change" => NoticeKind::TermsChange,
        "charge_cancelled" => NoticeKind::ChargeCancelled,
        _ => NoticeKind::PreCharge,
    }
}

/// A notice about to be delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice {
    /// The contract.
    pub contract_id: ContractId,
    /// The occurrence, for a pre-charge notice.
    pub occurrence: Option<u32>,
    /// Kind.
    pub kind: NoticeKind,
    /// The cardholder's address.
    pub recipient: String,
    /// The amount announced.
    pub amount: Option<Money>,
    /// The date announced.
    pub due: Option<NaiveDate>,
    /// `outbox` or `smtp`.
    pub channel: String,
    /// When the claim is made.
    pub at: DateTime<Utc>,
}

/// A notice as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeRow {
    /// Its id.
    pub id: i64,
    /// The contract.
    pub contract_id: i64,
    /// The occurrence, for a pre-charge notice.
    pub occurrence: Option<u32>,
    /// Kind.
    pub kind: NoticeKind,
    /// Recipient.
    pub recipient: String,
    /// Amount announced.
    pub amount: Option<Money>,
    /// Date announced.
    pub due: Option<NaiveDate>,
    /// When it was sent (or claimed, while `location` is `sending`).
    pub sent_at: DateTime<Utc>,
    /// outbox | smtp.
    pub channel: String,
    /// The .eml path or the SMTP message id; `sending` while being delivered.
    pub location: String,
}

/// Notices to cardholders.
pub trait NoticeReads {
    /// Whether a notice of this kind exists (sent or being sent) for the contract/occurrence.
    fn notice_exists(
        &self,
        contract: ContractId,
        occurrence: Option<u32>,
        kind: NoticeKind,
    ) -> StoreResult<bool>;

    /// The pre-charge notice delivered for an occurrence, as the policy reads it.
    fn notice_record(&self, contract: ContractId, number: u32)
        -> StoreResult<Option<NoticeRecord>>;

    /// Notices of the merchants' contracts (all merchants when empty), newest first; only those
    /// not yet delivered when `pending_only`.
    fn notices(
        &self,
        merchants: &[MerchantId],
        pending_only: bool,
        limit: u32,
    ) -> StoreResult<Vec<NoticeRow>>;
}

/// Claiming and finishing a notice exactly once.
pub trait NoticeWrites: NoticeReads {
    /// Claims a notice before delivering it. `Ok(None)` when it was already sent, or another
    /// process is delivering it now; a claim left by a crash is taken over once stale.
    fn claim_notice(&self, notice: &NewNotice) -> StoreResult<Option<i64>>;

    /// Records a delivered notice: where it went, when, and on its occurrence or contract.
    fn finish_notice(&self, id: i64, location: &str, at: DateTime<Utc>) -> StoreResult<()>;

    /// Drops a claim whose delivery failed, so the next run tries again. Only a claim is
    /// dropped: a delivered notice is never deleted.
    fn release_notice(&self, id: i64) -> StoreResult<()>;
}

impl NoticeReads for Store {
    fn notice_exists(
        &self,
        contract: ContractId,
        occurrence: Option<u32>,
        kind: NoticeKind,
    ) -> StoreResult<bool> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT 1 FROM notices WHERE contract_id = ?1 AND occurrence IS ?2 AND kind = ?3",
            )?
            .query_row(params![contract.0, occurrence, kind.as_str()], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn notice_record(
        &self,
        contract: ContractId,
        number: u32,
    ) -> StoreResult<Option<NoticeRecord>> {
        let row = self
            .conn()
            .prepare_cached("SELECT sent_at, amount_minor, currency, due_date FROM notices
                 WHERE contract_id = ?1 AND occurrence = ?2 AND kind = 'pre_charge' AND location != 'sending'")?
.query_row(params![contract.0, number],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, Option<i64>>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                    ))
                })
            .optional()?;
        let Some((sent, Some(minor), Some(code), Some(due))) = row else {
            return Ok(None);
        };
        Ok(Some(NoticeRecord {
            sent_at: instant(sent)?,
            amount: Money::from_minor(minor, currency(&code)?),
            due: date(&due)?,
        }))
    }

    fn notices(
        &self,
        merchants: &[MerchantId],
        pending_only: bool,
        limit: u32,
    ) -> StoreResult<Vec<NoticeRow>> {
        let merchants = (!merchants.is_empty()).then(|| {
            serde_json::Value::from(merchants.iter().map(|m| m.0).collect::<Vec<_>>()).to_string()
        });
        let mut stmt = self.conn().prepare_cached(
            "SELECT n.id, n.contract_id, n.occurrence, n.kind, n.recipient, n.amount_minor, n.currency, n.due_date,
                    n.sent_at, n.channel, n.location
             FROM notices n JOIN contracts c ON c.id = n.contract_id
             WHERE (?1 IS NULL OR c.merchant_id IN (SELECT value FROM json_each(?1)))
               AND (?2 = 0 OR n.location = 'sending')
             ORDER BY n.id DESC LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![merchants, pending_only, limit], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Option<u32>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<i64>>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, i64>(8)?,
                r.get::<_, String>(9)?,
                r.get::<_, String>(10)?,
            ))
        })?;
        rows.map(|row| {
            let (
                id,
                contract,
                occurrence,
                kind,
                recipient,
                minor,
                code,
                due,
                sent,
                channel,
                location,
            ) = row?;
            let amount = match (minor, code) {
                (Some(minor), Some(code)) => Some(Money::from_minor(minor, currency(&code)?)),
                _ => None,
            };
            Ok(NoticeRow {
                id,
                contract_id: contract,
                occurrence,
                kind: notice_kind(&kind),
                recipient,
                amount,
                due: due.as_deref().map(date).transpose()?,
                sent_at: instant(sent)?,
                channel,
                location,
            })
        })
        .collect()
    }
}

impl NoticeWrites for Store {
    fn claim_notice(&self, notice: &NewNotice) -> StoreResult<Option<i64>> {
        // SQLite's UNIQUE treats NULLs as distinct, so a confirmation (occurrence NULL) is looked
        // for first; callers claim inside a batch, so nothing slips in between.
        // A contract may change its terms many times: each change has its own notice.
        let exists = notice.occurrence.is_none()
            && notice.kind != NoticeKind::TermsChange
            && self.notice_exists(notice.contract_id, None, notice.kind)?;
        let inserted = if exists {
            0
        } else {
            self.conn().prepare_cached("INSERT OR IGNORE INTO notices (contract_id, occurrence, kind, recipient, amount_minor, currency, due_date, sent_at, channel, location)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'sending')")?
.execute(params![
                notice.contract_id.0,
                notice.occurrence,
                notice.kind.as_str(),
                notice.recipient,
                notice.amount.map(|m| m.minor),
                notice.amount.map(|m| m.currency.code()),
                notice.due.map(|d| d.to_string()),
                millis(notice.at),
                notice.channel
            ])?
        };
        if inserted == 1 {
            return Ok(Some(self.conn().last_insert_rowid()));
        }
        let stale = millis(notice.at) - STALE_NOTICE_CLAIM_MINUTES * 60_000;
        let taken = self
            .conn()
            .prepare_cached(
                "SELECT id FROM notices WHERE contract_id = ?1 AND occurrence IS ?2 AND kind = ?3
                   AND location = 'sending' AND sent_at < ?4",
            )?
            .query_row(
                params![
                    notice.contract_id.0,
                    notice.occurrence,
                    notice.kind.as_str(),
                    stale
                ],
                |r| r.get::<_, i64>(0),
            )
            .optional()?;
        if let Some(id) = taken {
            self.conn()
                .prepare_cached(
                    "UPDATE notices SET sent_at = ?2, recipient = ?3, channel = ?4 WHERE id = ?1",
                )?
                .execute(params![
                    id,
                    millis(notice.at),
                    notice.recipient,
                    notice.channel
                ])?;
        }
        Ok(taken)
    }

    fn finish_notice(&self, id: i64, location: &str, at: DateTime<Utc>) -> StoreResult<()> {
        self.conn()
            .prepare_cached("UPDATE notices SET location = ?2, sent_at = ?3 WHERE id = ?1")?
            .execute(params![id, location, millis(at)])?;
        let (contract, occurrence, kind): (i64, Option<u32>, String) = self
            .conn()
            .prepare_cached("SELECT contract_id, occurrence, kind FROM notices WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        match (notice_kind(&kind), occurrence) {
            (NoticeKind::PreCharge, Some(number)) => {
                self.conn().prepare_cached("UPDATE occurrences SET notice_sent_at = ?3 WHERE contract_id = ?1 AND number = ?2")?
.execute(params![contract, number, millis(at)])?;
            }
            (NoticeKind::Confirmation, _) => {
                self.conn()
                    .prepare_cached("UPDATE contracts SET confirmation_sent_at = ?2 WHERE id = ?1")?
                    .execute(params![contract, millis(at)])?;
            }
            _ => {}
        }
        Ok(())
    }

    fn release_notice(&self, id: i64) -> StoreResult<()> {
        self.conn()
            .prepare_cached("DELETE FROM notices WHERE id = ?1 AND location = 'sending'")?
            .execute([id])?;
        Ok(())
    }
}
