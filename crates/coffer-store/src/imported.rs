//! Attempts a merchant's old billing system made on a card before its contract was imported
//! into Coffer: not Coffer's ledger (no request left Coffer, nothing to settle), but the policy
//! counts them beside it (Svea's one charge a month, the networks' retry limits). Written once
//! with the imported contract, never changed (a trigger refuses it).

use chrono::{DateTime, Utc};
use coffer_core::{CardId, ContractId, MerchantId, Money};
use rusqlite::params;

use crate::contracts::currency;
use crate::error::{StoreError, StoreResult};
use crate::{instant, millis, Store};

/// How an imported attempt ended. A hard decline is never imported: its row is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportedOutcome {
    /// The old system's charge went through.
    Approved,
    /// The issuer declined it, retry allowed.
    SoftDecline,
}

impl ImportedOutcome {
    /// The storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportedOutcome::Approved => "approved",
            ImportedOutcome::SoftDecline => "soft_decline",
        }
    }

    fn parse(text: &str) -> StoreResult<ImportedOutcome> {
        match text {
            "approved" => Ok(ImportedOutcome::Approved),
            "soft_decline" => Ok(ImportedOutcome::SoftDecline),
            other => Err(StoreError::Corrupt(format!(
                "unknown imported outcome '{other}'"
            ))),
        }
    }
}

/// One attempt of the old system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedAttempt {
    /// The merchant account it was made under.
    pub merchant_id: MerchantId,
    /// The card.
    pub card_id: CardId,
    /// The imported contract it belonged to.
    pub contract_id: ContractId,
    /// When the old system made it.
    pub at: DateTime<Utc>,
    /// How much.
    pub amount: Money,
    /// How it ended.
    pub outcome: ImportedOutcome,
    /// Where it came from ("contracts.csv line 3").
    pub source: String,
}

/// Reading the old system's attempts.
pub trait ImportedReads {
    /// The imported attempts on `card`, oldest first.
    fn imported_attempts(&self, card: CardId) -> StoreResult<Vec<ImportedAttempt>>;
}

/// Recording them.
pub trait ImportedWrites: ImportedReads {
    /// Records one attempt of the old system.
    fn insert_imported_attempt(
        &self,
        attempt: &ImportedAttempt,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
}

impl ImportedReads for Store {
    fn imported_attempts(&self, card: CardId) -> StoreResult<Vec<ImportedAttempt>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT merchant_id, card_id, contract_id, at, amount_minor, currency, outcome, source
             FROM imported_attempts WHERE card_id = ?1 ORDER BY at, id",
        )?;
        let rows = stmt.query_map([card.0], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (merchant, card, contract, at, minor, code, outcome, source) = row?;
            out.push(ImportedAttempt {
                merchant_id: MerchantId(merchant),
                card_id: CardId(card),
                contract_id: ContractId(contract),
                at: instant(at)?,
                amount: Money::from_minor(minor, currency(&code)?),
                outcome: ImportedOutcome::parse(&outcome)?,
                source,
            });
        }
        Ok(out)
    }
}

impl ImportedWrites for Store {
    fn insert_imported_attempt(
        &self,
        attempt: &ImportedAttempt,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.conn().prepare_cached("INSERT INTO imported_attempts (merchant_id, card_id, contract_id, at, amount_minor,
                 currency, outcome, source, imported_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")?
.execute(params![
                attempt.merchant_id.0,
                attempt.card_id.0,
                attempt.contract_id.0,
                millis(attempt.at),
                attempt.amount.minor,
                attempt.amount.currency.code(),
                attempt.outcome.as_str(),
                attempt.source,
                millis(now),
            ])?;
        Ok(())
    }
}
