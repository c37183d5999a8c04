//! Contracts, their occurrences and the notices sent for them, plus the merchant's SMTP settings.
//!
//! Occurrences are keyed `(contract_id, number)`: regenerating a schedule upserts by that key and
//! only ever rewrites rows still `scheduled` without a notice, so a charged, cancelled or
//! announced occurrence keeps what it was. A notice is claimed (a row with location `sending`)
//! before it is delivered, and the UNIQUE `(contract_id, occurrence, kind)` key makes a second
//! process find the claim instead of notifying the cardholder twice.

use chrono::{DateTime, NaiveDate, Utc};
use coffer_core::charge::NoticeRecord;
use coffer_core::contract::{
    AmountRule, Contract, ContractStatus, Frequency, Occurrence, OccurrenceState,
};
pub use coffer_core::NoticeKind;
use coffer_core::{AttemptId, CardId, ContractId, Currency, MerchantId, Money};
use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::error::{StoreError, StoreResult};
use crate::{instant, millis, Store};

/// A claim on a notice older than this (a crash between claim and delivery) may be taken over.
pub const STALE_NOTICE_CLAIM_MINUTES: i64 = 10;

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

/// The latest charge attempt of an occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastTry {
    /// Its ledger id.
    pub attempt_id: AttemptId,
    /// Its try number.
    pub try_number: u32,
    /// Its state.
    pub state: String,
    /// When it was made.
    pub at: DateTime<Utc>,
    /// A hard decline.
    pub hard_decline: bool,
    /// The decline code.
    pub decline_code: Option<String>,
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

/// The storage name of an occurrence state.
pub fn occurrence_state_str(state: OccurrenceState) -> &'static str {
    match state {
        OccurrenceState::Scheduled => "scheduled",
        OccurrenceState::Charged => "charged",
        OccurrenceState::Declined => "declined",
        OccurrenceState::Cancelled => "cancelled",
        OccurrenceState::Refused => "refused",
    }
}

fn parse_occurrence_state(text: &str) -> StoreResult<OccurrenceState> {
    Ok(match text {
        "scheduled" => OccurrenceState::Scheduled,
        "charged" => OccurrenceState::Charged,
        "declined" => OccurrenceState::Declined,
        "cancelled" => OccurrenceState::Cancelled,
        "refused" => OccurrenceState::Refused,
        other => {
            return Err(StoreError::Corrupt(format!(
                "'{other}' is not an occurrence state"
            )))
        }
    })
}

fn date(text: &str) -> StoreResult<NaiveDate> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("'{text}' is not a date")))
}

fn currency(code: &str) -> StoreResult<Currency> {
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

type RawOccurrence = (i64, u32, String, i64, String, Option<i64>, String, bool);

fn raw_occurrence(row: &Row<'_>) -> rusqlite::Result<RawOccurrence> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get::<_, Option<i64>>(7)?.is_some(),
    ))
}

fn occurrence_of(raw: RawOccurrence) -> StoreResult<Occurrence> {
    let (contract, number, due, amount, code, notice, state, amount_set) = raw;
    Ok(Occurrence {
        contract_id: ContractId(contract),
        number,
        due: date(&due)?,
        amount: Money::from_minor(amount, currency(&code)?),
        amount_set,
        notice_sent_at: notice.map(instant).transpose()?,
        state: parse_occurrence_state(&state)?,
    })
}

const OCCURRENCE_COLUMNS: &str =
    "o.contract_id, o.number, o.due_date, o.amount_minor, o.currency, o.notice_sent_at, o.state, o.amount_set_at";

fn amount_columns(rule: &AmountRule) -> (&'static str, i64, Option<i64>) {
    match rule {
        AmountRule::Fixed { amount } => ("fixed", amount.minor, None),
        AmountRule::Variable { min, max } => ("variable", max.minor, min.map(|m| m.minor)),
    }
}

impl Store {
    /// Saves a new contract (its `id` is ignored) and returns its id.
    pub fn insert_contract(
        &self,
        contract: &Contract,
        now: DateTime<Utc>,
    ) -> StoreResult<ContractId> {
        let (kind, amount, min) = amount_columns(&contract.amount);
        let frequency = serde_json::to_string(&contract.frequency)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.conn().execute(
            "INSERT INTO contracts (merchant_id, card_id, amount_kind, amount_minor, min_amount_minor, original_amount_minor,
                 currency, frequency_json, start_date, end_date, status, terms_accepted_at, confirmation_sent_at, created_at,
                 consented_max_minor, registered_max_minor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            params![
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
            ],
        )?;
        Ok(ContractId(self.conn().last_insert_rowid()))
    }

    /// One contract.
    pub fn contract(&self, id: ContractId) -> StoreResult<Contract> {
        let raw = self
            .conn()
            .query_row(
                &format!("SELECT {CONTRACT_COLUMNS} FROM contracts WHERE id = ?1"),
                [id.0],
                raw_contract,
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound {
                what: format!("contract {id}"),
            })?;
        contract_of(raw)
    }

    /// Contracts matching `filter`, oldest first.
    pub fn contracts(&self, filter: &ContractFilter) -> StoreResult<Vec<Contract>> {
        let merchants = (!filter.merchants.is_empty()).then(|| {
            serde_json::Value::from(filter.merchants.iter().map(|m| m.0).collect::<Vec<_>>())
                .to_string()
        });
        let mut stmt = self.conn().prepare(&format!(
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

    /// Rewrites a contract's terms and status, keeping the terms it had in `contract_history`.
    pub fn update_contract(
        &self,
        contract: &Contract,
        reason: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let before = self.contract(contract.id)?;
        let before_json =
            serde_json::to_string(&before).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.conn().execute(
            "INSERT INTO contract_history (contract_id, changed_at, before_json, reason) VALUES (?1, ?2, ?3, ?4)",
            params![contract.id.0, millis(now), before_json, reason],
        )?;
        let (kind, amount, min) = amount_columns(&contract.amount);
        let frequency = serde_json::to_string(&contract.frequency)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.conn().execute(
            "UPDATE contracts SET amount_kind = ?2, amount_minor = ?3, min_amount_minor = ?4, original_amount_minor = ?5,
                 currency = ?6, frequency_json = ?7, start_date = ?8, end_date = ?9, status = ?10,
                 confirmation_sent_at = ?11, terms_accepted_at = ?12, consented_max_minor = ?13,
                 registered_max_minor = ?14, card_id = ?15
             WHERE id = ?1",
            params![
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
            ],
        )?;
        Ok(())
    }

    /// The terms a contract had before each edit, oldest first, with the reason of the edit.
    pub fn contract_history(
        &self,
        id: ContractId,
    ) -> StoreResult<Vec<(DateTime<Utc>, String, Contract)>> {
        let mut stmt = self.conn().prepare(
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

    /// Brings a contract's stored occurrences from `from` through `until` in line with its
    /// schedule: new ones are added, open ones without a notice take the new date and amount (an
    /// amount the owner set stays while its date does), and open ones no longer on the schedule
    /// are cancelled. Charged, cancelled and announced rows keep what they were. Returns how many
    /// rows were added or changed.
    pub fn sync_occurrences(
        &self,
        contract: ContractId,
        wanted: &[(u32, NaiveDate, Money)],
        from: NaiveDate,
        until: NaiveDate,
    ) -> StoreResult<u64> {
        let mut changed = 0;
        for (number, due, amount) in wanted {
            // An amount the owner set stays with its date; the contract's own follows the terms,
            // and so does the owner's when the new terms move the occurrence to another day.
            changed += self.conn().execute(
                "INSERT INTO occurrences (contract_id, number, due_date, amount_minor, currency, state)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'scheduled')
                 ON CONFLICT (contract_id, number) DO UPDATE SET
                     amount_minor = CASE WHEN occurrences.amount_set_at IS NULL
                                              OR occurrences.due_date != excluded.due_date
                                         THEN excluded.amount_minor ELSE occurrences.amount_minor END,
                     amount_set_at = CASE WHEN occurrences.due_date != excluded.due_date
                                          THEN NULL ELSE occurrences.amount_set_at END,
                     due_date = excluded.due_date,
                     currency = excluded.currency
                 WHERE occurrences.state = 'scheduled' AND occurrences.notice_sent_at IS NULL
                   AND (occurrences.due_date != excluded.due_date
                        OR (occurrences.amount_set_at IS NULL AND occurrences.amount_minor != excluded.amount_minor)
                        OR occurrences.currency != excluded.currency)",
                params![contract.0, number, due.to_string(), amount.minor, amount.currency.code()],
            )? as u64;
        }
        let keep =
            serde_json::Value::from(wanted.iter().map(|w| w.0).collect::<Vec<_>>()).to_string();
        // Only within the window regenerated: a later occurrence whose amount the owner set ahead
        // of time is judged when the window reaches it.
        changed += self.conn().execute(
            CANCEL_OFF_SCHEDULE,
            params![contract.0, from.to_string(), keep, until.to_string()],
        )? as u64;
        Ok(changed)
    }

    /// Sets the amount of occurrence `number` (due on `due`) of a varying contract, storing it if
    /// the schedule has not reached it yet. `false` when it can no longer change: its notice went
    /// out, or it is no longer scheduled.
    pub fn set_occurrence_amount(
        &self,
        contract: ContractId,
        number: u32,
        due: NaiveDate,
        amount: Money,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        Ok(self.conn().execute(
            "INSERT INTO occurrences (contract_id, number, due_date, amount_minor, currency, state, amount_set_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'scheduled', ?6)
             ON CONFLICT (contract_id, number) DO UPDATE SET
                 amount_minor = excluded.amount_minor, currency = excluded.currency,
                 amount_set_at = excluded.amount_set_at
             WHERE occurrences.state = 'scheduled' AND occurrences.notice_sent_at IS NULL",
            params![
                contract.0,
                number,
                due.to_string(),
                amount.minor,
                amount.currency.code(),
                millis(at)
            ],
        )? == 1)
    }

    /// Gives back to the contract (its amount, `max`) the amounts the owner set that its new
    /// bounds no longer allow, on occurrences not yet announced; with `all` (a contract that
    /// became fixed), every amount the owner set. Returns how many.
    pub fn reset_occurrence_amounts_outside(
        &self,
        contract: ContractId,
        min: Money,
        max: Money,
        all: bool,
    ) -> StoreResult<u64> {
        Ok(self.conn().execute(
            "UPDATE occurrences SET amount_set_at = NULL, amount_minor = ?3, currency = ?4
             WHERE contract_id = ?1 AND amount_set_at IS NOT NULL AND state = 'scheduled'
               AND notice_sent_at IS NULL
               AND (?5 OR amount_minor < ?2 OR amount_minor > ?3 OR currency != ?4)",
            params![contract.0, min.minor, max.minor, max.currency.code(), all],
        )? as u64)
    }

    /// Every open (scheduled, declined, refused) occurrence of a contract from `from` on:
    /// cancelled, as when the contract is cancelled.
    pub fn cancel_open_occurrences(
        &self,
        contract: ContractId,
        from: NaiveDate,
    ) -> StoreResult<u64> {
        Ok(self.conn().execute(
            "UPDATE occurrences SET state = 'cancelled'
             WHERE contract_id = ?1 AND state IN ('scheduled', 'declined', 'refused') AND due_date >= ?2",
            params![contract.0, from.to_string()],
        )? as u64)
    }

    /// Occurrences still `scheduled` that fell due before `today` (while a contract was paused):
    /// cancelled, so a resumed contract does not charge them late. (`+`: see [`CANCEL_OFF_SCHEDULE`].)
    pub fn cancel_open_occurrences_before(
        &self,
        contract: ContractId,
        today: NaiveDate,
    ) -> StoreResult<u64> {
        Ok(self
            .conn()
            .execute(CANCEL_MISSED, params![contract.0, today.to_string()])? as u64)
    }

    /// A contract's stored occurrences, by number.
    pub fn occurrences_of(&self, contract: ContractId) -> StoreResult<Vec<Occurrence>> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {OCCURRENCE_COLUMNS} FROM occurrences o WHERE o.contract_id = ?1 ORDER BY o.number"
        ))?;
        let rows = stmt.query_map([contract.0], raw_occurrence)?;
        rows.map(|r| occurrence_of(r?)).collect()
    }

    /// One occurrence, if stored.
    pub fn occurrence(&self, contract: ContractId, number: u32) -> StoreResult<Option<Occurrence>> {
        self.conn()
            .query_row(
                &format!(
                    "SELECT {OCCURRENCE_COLUMNS} FROM occurrences o WHERE o.contract_id = ?1 AND o.number = ?2"
                ),
                params![contract.0, number],
                raw_occurrence,
            )
            .optional()?
            .map(occurrence_of)
            .transpose()
    }

    /// Moves an occurrence to `state`, unless it is already charged (a charged occurrence is
    /// final). `Ok(false)` when nothing changed.
    pub fn set_occurrence_state(
        &self,
        contract: ContractId,
        number: u32,
        state: OccurrenceState,
    ) -> StoreResult<bool> {
        Ok(self.conn().execute(
            "UPDATE occurrences SET state = ?3 WHERE contract_id = ?1 AND number = ?2 AND state != 'charged'",
            params![contract.0, number, occurrence_state_str(state)],
        )? == 1)
    }

    /// Cancels one occurrence, storing it first when the schedule has not reached it yet.
    /// `Ok(false)` when it was already charged or cancelled.
    pub fn cancel_occurrence(
        &self,
        contract: ContractId,
        number: u32,
        due: NaiveDate,
        amount: Money,
    ) -> StoreResult<bool> {
        self.conn().execute(
            "INSERT OR IGNORE INTO occurrences (contract_id, number, due_date, amount_minor, currency, state)
             VALUES (?1, ?2, ?3, ?4, ?5, 'scheduled')",
            params![contract.0, number, due.to_string(), amount.minor, amount.currency.code()],
        )?;
        Ok(self.conn().execute(
            "UPDATE occurrences SET state = 'cancelled'
             WHERE contract_id = ?1 AND number = ?2 AND state IN ('scheduled', 'declined', 'refused')",
            params![contract.0, number],
        )? == 1)
    }

    /// Undoes a skip: a cancelled occurrence of which the cardholder was never told is scheduled
    /// again. `Ok(false)` when it is not cancelled, or a notice of it went out (the cardholder
    /// was then told it will not be made, and it stays so).
    pub fn restore_occurrence(&self, contract: ContractId, number: u32) -> StoreResult<bool> {
        Ok(self.conn().execute(
            "UPDATE occurrences SET state = 'scheduled'
             WHERE contract_id = ?1 AND number = ?2 AND state = 'cancelled' AND notice_sent_at IS NULL",
            params![contract.0, number],
        )? == 1)
    }

    /// Occurrences still to be charged (scheduled, or declined and so retried), due on or before
    /// `today`, of the merchant's active contracts, oldest first: what a due run charges. Those
    /// refused for good are not among them.
    pub fn due_occurrences(
        &self,
        merchant: MerchantId,
        today: NaiveDate,
    ) -> StoreResult<Vec<Occurrence>> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {OCCURRENCE_COLUMNS} FROM occurrences o JOIN contracts c ON c.id = o.contract_id
             WHERE c.merchant_id = ?1 AND c.status = 'active'
               AND o.state IN ('scheduled', 'declined') AND o.due_date <= ?2
             ORDER BY o.due_date, o.contract_id, o.number"
        ))?;
        let rows = stmt.query_map(params![merchant.0, today.to_string()], raw_occurrence)?;
        rows.map(|r| occurrence_of(r?)).collect()
    }

    /// Scheduled occurrences of the merchant's active contracts still without a pre-charge
    /// notice, due from `from` through `until`, soonest first.
    pub fn occurrences_needing_notice(
        &self,
        merchant: MerchantId,
        from: NaiveDate,
        until: NaiveDate,
    ) -> StoreResult<Vec<Occurrence>> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {OCCURRENCE_COLUMNS} FROM occurrences o JOIN contracts c ON c.id = o.contract_id
             WHERE c.merchant_id = ?1 AND c.status = 'active' AND o.state = 'scheduled'
               AND o.notice_sent_at IS NULL AND o.due_date >= ?2 AND o.due_date <= ?3
             ORDER BY o.due_date, o.contract_id, o.number"
        ))?;
        let rows = stmt.query_map(
            params![merchant.0, from.to_string(), until.to_string()],
            raw_occurrence,
        )?;
        rows.map(|r| occurrence_of(r?)).collect()
    }

    /// Claims a notice before delivering it. `Ok(None)` when it was already sent, or another
    /// process is delivering it now; a claim left by a crash is taken over once stale.
    pub fn claim_notice(&self, notice: &NewNotice) -> StoreResult<Option<i64>> {
        // SQLite's UNIQUE treats NULLs as distinct, so a confirmation (occurrence NULL) is looked
        // for first; callers claim inside a batch, so nothing slips in between.
        // A contract may change its terms many times: each change has its own notice.
        let exists = notice.occurrence.is_none()
            && notice.kind != NoticeKind::TermsChange
            && self.notice_exists(notice.contract_id, None, notice.kind)?;
        let inserted = if exists {
            0
        } else {
            self.conn().execute(
            "INSERT OR IGNORE INTO notices (contract_id, occurrence, kind, recipient, amount_minor, currency, due_date, sent_at, channel, location)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'sending')",
            params![
                notice.contract_id.0,
                notice.occurrence,
                notice.kind.as_str(),
                notice.recipient,
                notice.amount.map(|m| m.minor),
                notice.amount.map(|m| m.currency.code()),
                notice.due.map(|d| d.to_string()),
                millis(notice.at),
                notice.channel
            ],
        )?
        };
        if inserted == 1 {
            return Ok(Some(self.conn().last_insert_rowid()));
        }
        let stale = millis(notice.at) - STALE_NOTICE_CLAIM_MINUTES * 60_000;
        let taken = self
            .conn()
            .query_row(
                "SELECT id FROM notices WHERE contract_id = ?1 AND occurrence IS ?2 AND kind = ?3
                   AND location = 'sending' AND sent_at < ?4",
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
            self.conn().execute(
                "UPDATE notices SET sent_at = ?2, recipient = ?3, channel = ?4 WHERE id = ?1",
                params![id, millis(notice.at), notice.recipient, notice.channel],
            )?;
        }
        Ok(taken)
    }

    /// Whether a notice of this kind exists (sent or being sent) for the contract/occurrence.
    pub fn notice_exists(
        &self,
        contract: ContractId,
        occurrence: Option<u32>,
        kind: NoticeKind,
    ) -> StoreResult<bool> {
        Ok(self
            .conn()
            .query_row(
                "SELECT 1 FROM notices WHERE contract_id = ?1 AND occurrence IS ?2 AND kind = ?3",
                params![contract.0, occurrence, kind.as_str()],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Records a delivered notice: where it went, when, and on its occurrence or contract.
    pub fn finish_notice(&self, id: i64, location: &str, at: DateTime<Utc>) -> StoreResult<()> {
        self.conn().execute(
            "UPDATE notices SET location = ?2, sent_at = ?3 WHERE id = ?1",
            params![id, location, millis(at)],
        )?;
        let (contract, occurrence, kind): (i64, Option<u32>, String) = self.conn().query_row(
            "SELECT contract_id, occurrence, kind FROM notices WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        match (notice_kind(&kind), occurrence) {
            (NoticeKind::PreCharge, Some(number)) => {
                self.conn().execute(
                    "UPDATE occurrences SET notice_sent_at = ?3 WHERE contract_id = ?1 AND number = ?2",
                    params![contract, number, millis(at)],
                )?;
            }
            (NoticeKind::Confirmation, _) => {
                self.conn().execute(
                    "UPDATE contracts SET confirmation_sent_at = ?2 WHERE id = ?1",
                    params![contract, millis(at)],
                )?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Drops a claim whose delivery failed, so the next run tries again. Only a claim is
    /// dropped: a delivered notice is never deleted.
    pub fn release_notice(&self, id: i64) -> StoreResult<()> {
        self.conn().execute(
            "DELETE FROM notices WHERE id = ?1 AND location = 'sending'",
            [id],
        )?;
        Ok(())
    }

    /// The pre-charge notice delivered for an occurrence, as the policy reads it.
    pub fn notice_record(
        &self,
        contract: ContractId,
        number: u32,
    ) -> StoreResult<Option<NoticeRecord>> {
        let row = self
            .conn()
            .query_row(
                "SELECT sent_at, amount_minor, currency, due_date FROM notices
                 WHERE contract_id = ?1 AND occurrence = ?2 AND kind = 'pre_charge' AND location != 'sending'",
                params![contract.0, number],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, Option<i64>>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                    ))
                },
            )
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

    /// Notices of the merchants' contracts (all merchants when empty), newest first; only those
    /// not yet delivered when `pending_only`.
    pub fn notices(
        &self,
        merchants: &[MerchantId],
        pending_only: bool,
        limit: u32,
    ) -> StoreResult<Vec<NoticeRow>> {
        let merchants = (!merchants.is_empty()).then(|| {
            serde_json::Value::from(merchants.iter().map(|m| m.0).collect::<Vec<_>>()).to_string()
        });
        let mut stmt = self.conn().prepare(
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

    /// The latest charge attempt of an occurrence, with its try number.
    pub fn last_try(&self, contract: ContractId, number: u32) -> StoreResult<Option<LastTry>> {
        self.conn()
            .query_row(
                "SELECT id, try_number, state, created_at, hard_decline, decline_code FROM charge_attempts
                 WHERE contract_id = ?1 AND occurrence = ?2 AND kind = 'charge'
                 ORDER BY try_number DESC LIMIT 1",
                params![contract.0, number],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, u32>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, bool>(4)?,
                        r.get::<_, Option<String>>(5)?,
                    ))
                },
            )
            .optional()?
            .map(|(id, try_number, state, at, hard_decline, decline_code)| {
                Ok(LastTry {
                    attempt_id: AttemptId(id),
                    try_number,
                    state,
                    at: instant(at)?,
                    hard_decline,
                    decline_code,
                })
            })
            .transpose()
    }

    /// The merchant's SMTP settings, if notices go out by SMTP.
    pub fn smtp_settings(&self, merchant: MerchantId) -> StoreResult<Option<SmtpSettings>> {
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

    /// Saves (or replaces) the merchant's SMTP settings.
    pub fn set_smtp_settings(
        &self,
        settings: &SmtpSettings,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
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

    /// Back to the .eml outbox.
    pub fn remove_smtp_settings(&self, merchant: MerchantId) -> StoreResult<()> {
        self.conn().execute(
            "DELETE FROM merchant_smtp WHERE merchant_id = ?1",
            [merchant.0],
        )?;
        Ok(())
    }
}

/// Open occurrences in the window `?2..=?4` of contract `?1` that are not among `?3` (JSON).
/// The unary `+` keeps SQLite on the primary key, one contract's few rows: left to itself it
/// walks `occurrences_due`, every contract's open rows in the window, once per contract, which
/// is quadratic in the number of contracts (a 100,000-contract due run stalled on it).
const CANCEL_OFF_SCHEDULE: &str = "UPDATE occurrences SET state = 'cancelled'
     WHERE contract_id = ?1 AND +state IN ('scheduled', 'refused') AND +due_date >= ?2
       AND +due_date <= ?4 AND number NOT IN (SELECT value FROM json_each(?3))";

/// Scheduled occurrences of contract `?1` due before `?2` (`+`: see [`CANCEL_OFF_SCHEDULE`]).
const CANCEL_MISSED: &str = "UPDATE occurrences SET state = 'cancelled'
     WHERE contract_id = ?1 AND +state = 'scheduled' AND +due_date < ?2";

#[cfg(test)]
mod tests {
    use crate::Store;

    /// The plan SQLite picks for `sql`, one line per step.
    fn plan(store: &Store, sql: &str) -> String {
        let mut stmt = store
            .conn()
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap();
        let nulls = vec![rusqlite::types::Null; stmt.parameter_count()];
        let rows = stmt
            .query_map(rusqlite::params_from_iter(nulls), |r| r.get::<_, String>(3))
            .unwrap();
        rows.map(|r| r.unwrap()).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn one_contracts_schedule_is_changed_through_its_own_rows_only() {
        // Schedule upkeep runs once per contract; a plan over the shared due-date index would
        // touch every contract's rows each time.
        let store = Store::open_in_memory().unwrap();
        for sql in [super::CANCEL_OFF_SCHEDULE, super::CANCEL_MISSED] {
            let plan = plan(&store, sql);
            assert!(
                plan.contains("sqlite_autoindex_occurrences_1 (contract_id=?)"),
                "{plan}"
            );
        }
    }
}
