//! Recurring contracts: their terms, status and history. Their occurrences are in
//! `occurrences.rs`, the notices sent for them in `notices.rs`.

use chrono::{DateTime, NaiveDate, Utc};
use coffer_core::contract::{AmountRule, Contract, ContractStatus, Frequency};
use coffer_core::{CardId, ContractId, Currency, MerchantId, Money};
use rusqlite::{params, OptionalExtension, Row};

use crate::error::{StoreError, StoreResult};
use crate::{instant, millis, Store};

/// Which contracts to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContractFilter {
    /// Only these merchants (empty: all).
    pub merchants: Vec<MerchantId>,
    /// One card.
    pub card: Option<CardId>,
    /// One status.
    pub status: Option<ContractStatus>,
}

const CONTRACT_COLUMNS: &str = "id, merchant_id, card_id, amount_kind, amount_minor, min_amount_minor, original_amount_minor, \
     currency, frequency_json, start_date, end_date, status, terms_accepted_at, confirmation_sent_at, \
     consented_max_minor, registered_max_minor";

fn status_str(status: ContractStatus) -> &'static str {
    match status {
        ContractStatus::Active => "active",
        ContractStatus::Paused => "paused",
        ContractStatus::Cancelled => "cancelled",
        ContractStatus::Ended => "ended",
    }
}

fn parse_status(text: &str) -> StoreResult<ContractStatus> {
    Ok(match text {
        "active" => ContractStatus::Active,
        "paused" => ContractStatus::Paused,
        "cancelled" => ContractStatus::Cancelled,
        "ended" => ContractStatus::Ended,
        other => {
            return Err(StoreError::Corrupt(format!(
                "'{other}' is not a contract status"
            )))
        }
    })
}

pub(crate) fn date(text: &str) -> StoreResult<NaiveDate> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("'{text}' is not a date")))
}

pub(crate) fn currency(code: &str) -> StoreResult<Currency> {
    Currency::from_code(code).map_err(|e| StoreError::Corrupt(e.to_string()))
}

type RawContract = (
    i64,
    i64,
    i64,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    String,
    String,
    String,
    Option<String>,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

fn raw_contract(row: &Row<'_>) -> rusqlite::Result<RawContract> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
        row.get(9)?,
        row.get(10)?,
        row.get(11)?,
        row.get(12)?,
        row.get(13)?,
        row.get(14)?,
        row.get(15)?,
    ))
}

fn contract_of(raw: RawContract) -> StoreResult<Contract> {
    let (
        id,
        merchant,
        card,
        kind,
        amount,
        min,
        original,
        code,
        freq,
        start,
        end,
        status,
        terms,
        confirmed,
        consented,
        registered,
    ) = raw;
    let cur = currency(&code)?;
    let money = |minor| Money::from_minor(minor, cur);
    let amount = if kind == "fixed" {
        AmountRule::Fixed {
            amount: money(amount),
        }
    } else {
        AmountRule::Variable {
            min: min.map(money),
            max: money(amount),
        }
    };
    let frequency: Frequency = serde_json::from_str(&freq)
        .map_err(|e| StoreError::Corrupt(format!("contract {id}: frequency: {e}")))?;
    Ok(Contract {
        id: ContractId(id),
        merchant_id: MerchantId(merchant),
        card_id: CardId(card),
        amount,
        original_amount: original.map(money),
        frequency,
        start: date(&start)?,
        end: end.as_deref().map(date).transpose()?,
        status: parse_status(&status)?,
        terms_accepted_at: instant(terms)?,
        confirmation_sent_at: confirmed.map(instant).transpose()?,
        consented_max: consented.map(money),
        registered_max: registered.map(money),
    })
}

fn amount_columns(rule: &AmountRule) -> (&'static str, i64, Option<i64>) {
    match rule {
        AmountRule::Fixed { amount } => ("fixed", amount.minor, None),
        AmountRule::Variable { min, max } => ("variable", max.minor, min.map(|m| m.minor)),
    }
}

/// Recurring contracts.
pub trait ContractReads {
    /// One contract.
    fn contract(&self, id: ContractId) -> StoreResult<Contract>;

    /// Contracts matching `filter`, oldest first.
    fn contracts(&self, filter: &ContractFilter) -> StoreResult<Vec<Contract>>;

    /// The terms a contract had before each edit, oldest first, with the reason of the edit.
    fn contract_history(
        &self,
        id: ContractId,
    ) -> StoreResult<Vec<(DateTime<Utc>, String, Contract)>>;
}

/// Creating and changing contracts.
pub trait ContractWrites: ContractReads {
    /// Saves a new contract (its `id` is ignored) and returns its id.
    fn insert_contract(&self, contract: &Contract, now: DateTime<Utc>) -> StoreResult<ContractId>;

    /// Rewrites a contract's terms and status, keeping the terms it had in `contract_history`.
    fn update_contract(
        &self,
        contract: &Contract,
        reason: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
}

impl ContractReads for Store {
    fn contract(&self, id: ContractId) -> StoreResult<Contract> {
        let raw = self
            .conn()
            .prepare_cached(&format!(
                "SELECT {CONTRACT_COLUMNS} FROM contracts WHERE id = ?1"
            ))?
            .query_row([id.0], raw_contract)
            .optional()?
            .ok_or_else(|| StoreError::NotFound {
                what: format!("contract {id}"),
            })?;
        contract_of(raw)
    }

    fn contracts(&self, filter: &ContractFilter) -> StoreResult<Vec<Contract>> {
        let merchants = (!filter.merchants.is_empty()).then(|| {
            serde_json::Value::from(filter.merchants.iter().map(|m| m.0).collect::<Vec<_>>())
                .to_string()
        });
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {CONTRACT_COLUMNS} FROM contracts
             WHERE (?1 IS NULL OR merchant_id IN (SELECT value FROM json_each(?1)))
               AND (?2 IS NULL OR card_id = ?2)
               AND (?3 IS NULL OR status = ?3)
             ORDER BY id"
        ))?;
        let rows = stmt.query_map(
            params![
                merchants,
                filter.card.map(|c| c.0),
                filter.status.map(status_str)
            ],
            raw_contract,
        )?;
        rows.map(|r| contract_of(r?)).collect()
    }

    fn contract_history(
        &self,
        id: ContractId,
    ) -> StoreResult<Vec<(DateTime<Utc>, String, Contract)>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT changed_at, reason, before_json FROM contract_history WHERE contract_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([id.0], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        rows.map(|row| {
            let (at, reason, json) = row?;
            let before = serde_json::from_str(&json)
                .map_err(|e| StoreError::Corrupt(format!("contract history: {e}")))?;
            Ok((instant(at)?, reason, before))
        })
        .collect()
    }
}

impl ContractWrites for Store {
    fn insert_contract(&self, contract: &Contract, now: DateTime<Utc>) -> StoreResult<ContractId> {
        let (kind, amount, min) = amount_columns(&contract.amount);
        let frequency = serde_json::to_string(&contract.frequency)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.conn().prepare_cached("INSERT INTO contracts (merchant_id, card_id, amount_kind, amount_minor, min_amount_minor, original_amount_minor,
                 currency, frequency_json, start_date, end_date, status, terms_accepted_at, confirmation_sent_at, created_at,
                 consented_max_minor, registered_max_minor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)")?
.execute(params![
                contract.merchant_id.0,
                contract.card_id.0,
                kind,
                amount,
                min,
                contract.original_amount.map(|m| m.minor),
                contract.amount.currency().code(),
                frequency,
                contract.start.to_string(),
                contract.end.map(|d| d.to_string()),
                status_str(contract.status),
                millis(contract.terms_accepted_at),
                contract.confirmation_sent_at.map(millis),
                millis(now),
                contract.consented_max.map(|m| m.minor),
                contract.registered_max.map(|m| m.minor)
            ])?;
        Ok(ContractId(self.conn().last_insert_rowid()))
    }

    fn update_contract(
        &self,
        contract: &Contract,
        reason: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let before = self.contract(contract.id)?;
        let before_json =
            serde_json::to_string(&before).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.conn().prepare_cached("INSERT INTO contract_history (contract_id, changed_at, before_json, reason) VALUES (?1, ?2, ?3, ?4)")?
.execute(params![contract.id.0, millis(now), before_json, reason])?;
        let (kind, amount, min) = amount_columns(&contract.amount);
        let frequency = serde_json::to_string(&contract.frequency)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.conn().prepare_cached("UPDATE contracts SET amount_kind = ?2, amount_minor = ?3, min_amount_minor = ?4, original_amount_minor = ?5,
                 currency = ?6, frequency_json = ?7, start_date = ?8, end_date = ?9, status = ?10,
                 confirmation_sent_at = ?11, terms_accepted_at = ?12, consented_max_minor = ?13,
                 registered_max_minor = ?14, card_id = ?15
             WHERE id = ?1")?
.execute(params![
                contract.id.0,
                kind,
                amount,
                min,
                contract.original_amount.map(|m| m.minor),
                contract.amount.currency().code(),
                frequency,
                contract.start.to_string(),
                contract.end.map(|d| d.to_string()),
                status_str(contract.status),
                contract.confirmation_sent_at.map(millis),
                millis(contract.terms_accepted_at),
                contract.consented_max.map(|m| m.minor),
                contract.registered_max.map(|m| m.minor),
                contract.card_id.0
            ])?;
        Ok(())
    }
}
