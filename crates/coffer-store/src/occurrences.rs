//! The occurrences of a contract: its numbered due charges.
//!
//! Occurrences are keyed `(contract_id, number)`: regenerating a schedule upserts by that key and
//! only ever rewrites rows still `scheduled` without a notice, so a charged, cancelled or
//! announced occurrence keeps what it was.

use chrono::{DateTime, NaiveDate, Utc};
use coffer_core::contract::{Occurrence, OccurrenceState};
use coffer_core::{AttemptId, ContractId, MerchantId, Money};
use rusqlite::{params, OptionalExtension, Row};

use crate::contracts::{currency, date};
use crate::error::{StoreError, StoreResult};
use crate::{instant, millis, Store};

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

/// A contract's scheduled occurrences.
pub trait OccurrenceReads {
    /// A contract's stored occurrences, by number.
    fn occurrences_of(&self, contract: ContractId) -> StoreResult<Vec<Occurrence>>;

    /// One occurrence, if stored.
    fn occurrence(&self, contract: ContractId, number: u32) -> StoreResult<Option<Occurrence>>;

    /// Occurrences still to be charged (scheduled, or declined and so retried), due on or before
    /// `today`, of the merchant's active contracts, oldest first: what a due run charges. Those
    /// refused for good are not among them.
    fn due_occurrences(
        &self,
        merchant: MerchantId,
        today: NaiveDate,
    ) -> StoreResult<Vec<Occurrence>>;

    /// Scheduled occurrences of the merchant's active contracts still without a pre-charge
    /// notice, due from `from` through `until`, soonest first.
    fn occurrences_needing_notice(
        &self,
        merchant: MerchantId,
        from: NaiveDate,
        until: NaiveDate,
    ) -> StoreResult<Vec<Occurrence>>;

    /// The latest charge attempt of an occurrence, with its try number.
    fn last_try(&self, contract: ContractId, number: u32) -> StoreResult<Option<LastTry>>;
}

/// Scheduling and settling occurrences.
pub trait OccurrenceWrites: OccurrenceReads {
    /// Brings a contract's stored occurrences from `from` through `until` in line with its
    /// schedule: new ones are added, open ones without a notice take the new date and amount (an
    /// amount the owner set stays while its date does), and open ones no longer on the schedule
    /// are cancelled. Charged, cancelled and announced rows keep what they were. Returns how many
    /// rows were added or changed.
    fn sync_occurrences(
        &self,
        contract: ContractId,
        wanted: &[(u32, NaiveDate, Money)],
        from: NaiveDate,
        until: NaiveDate,
    ) -> StoreResult<u64>;

    /// Sets the amount of occurrence `number` (due on `due`) of a varying contract, storing it if
    /// the schedule has not reached it yet. `false` when it can no longer change: its notice went
    /// out, or it is no longer scheduled.
    fn set_occurrence_amount(
        &self,
        contract: ContractId,
        number: u32,
        due: NaiveDate,
        amount: Money,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Gives back to the contract (its amount, `max`) the amounts the owner set that its new
    /// bounds no longer allow, on occurrences not yet announced; with `all` (a contract that
    /// became fixed), every amount the owner set. Returns how many.
    fn reset_occurrence_amounts_outside(
        &self,
        contract: ContractId,
        min: Money,
        max: Money,
        all: bool,
    ) -> StoreResult<u64>;

    /// Every open (scheduled, declined, refused) occurrence of a contract from `from` on:
    /// cancelled, as when the contract is cancelled.
    fn cancel_open_occurrences(&self, contract: ContractId, from: NaiveDate) -> StoreResult<u64>;

    /// Occurrences still `scheduled` that fell due before `today` (while a contract was paused):
    /// cancelled, so a resumed contract does not charge them late. (`+`: see [`CANCEL_OFF_SCHEDULE`].)
    fn cancel_open_occurrences_before(
        &self,
        contract: ContractId,
        today: NaiveDate,
    ) -> StoreResult<u64>;

    /// Moves an occurrence to `state`, unless it is already charged (a charged occurrence is
    /// final). `Ok(false)` when nothing changed.
    fn set_occurrence_state(
        &self,
        contract: ContractId,
        number: u32,
        state: OccurrenceState,
    ) -> StoreResult<bool>;

    /// Cancels one occurrence, storing it first when the schedule has not reached it yet.
    /// `Ok(false)` when it was already charged or cancelled.
    fn cancel_occurrence(
        &self,
        contract: ContractId,
        number: u32,
        due: NaiveDate,
        amount: Money,
    ) -> StoreResult<bool>;

    /// Undoes a skip: a cancelled occurrence of which the cardholder was never told is scheduled
    /// again. `Ok(false)` when it is not cancelled, or a notice of it went out (the cardholder
    /// was then told it will not be made, and it stays so).
    fn restore_occurrence(&self, contract: ContractId, number: u32) -> StoreResult<bool>;
}

impl OccurrenceReads for Store {
    fn occurrences_of(&self, contract: ContractId) -> StoreResult<Vec<Occurrence>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {OCCURRENCE_COLUMNS} FROM occurrences o WHERE o.contract_id = ?1 ORDER BY o.number"
        ))?;
        let rows = stmt.query_map([contract.0], raw_occurrence)?;
        rows.map(|r| occurrence_of(r?)).collect()
    }

    fn occurrence(&self, contract: ContractId, number: u32) -> StoreResult<Option<Occurrence>> {
        self.conn()
            .prepare_cached(&format!(
                    "SELECT {OCCURRENCE_COLUMNS} FROM occurrences o WHERE o.contract_id = ?1 AND o.number = ?2"
                ))?
.query_row(params![contract.0, number],
                raw_occurrence)
            .optional()?
            .map(occurrence_of)
            .transpose()
    }

    fn due_occurrences(
        &self,
        merchant: MerchantId,
        today: NaiveDate,
    ) -> StoreResult<Vec<Occurrence>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {OCCURRENCE_COLUMNS} FROM occurrences o JOIN contracts c ON c.id = o.contract_id
             WHERE c.merchant_id = ?1 AND c.status = 'active'
               AND o.state IN ('scheduled', 'declined') AND o.due_date <= ?2
             ORDER BY o.due_date, o.contract_id, o.number"
        ))?;
        let rows = stmt.query_map(params![merchant.0, today.to_string()], raw_occurrence)?;
        rows.map(|r| occurrence_of(r?)).collect()
    }

    fn occurrences_needing_notice(
        &self,
        merchant: MerchantId,
        from: NaiveDate,
        until: NaiveDate,
    ) -> StoreResult<Vec<Occurrence>> {
        let mut stmt = self.conn().prepare_cached(&format!(
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

    fn last_try(&self, contract: ContractId, number: u32) -> StoreResult<Option<LastTry>> {
        self.conn()
            .prepare_cached("SELECT id, try_number, state, created_at, hard_decline, decline_code FROM charge_attempts
                 WHERE contract_id = ?1 AND occurrence = ?2 AND kind = 'charge'
                 ORDER BY try_number DESC LIMIT 1")?
.query_row(params![contract.0, number],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, u32>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, bool>(4)?,
                        r.get::<_, Option<String>>(5)?,
                    ))
                })
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
}

impl OccurrenceWrites for Store {
    fn sync_occurrences(
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
            changed += self.conn().prepare_cached("INSERT INTO occurrences (contract_id, number, due_date, amount_minor, currency, state)
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
                        OR occurrences.currency != excluded.currency)")?
.execute(params![contract.0, number, due.to_string(), amount.minor, amount.currency.code()])? as u64;
        }
        let keep =
            serde_json::Value::from(wanted.iter().map(|w| w.0).collect::<Vec<_>>()).to_string();
        // Only within the window regenerated: a later occurrence whose amount the owner set ahead
        // of time is judged when the window reaches it.
        changed += self
            .conn()
            .prepare_cached(CANCEL_OFF_SCHEDULE)?
            .execute(params![
                contract.0,
                from.to_string(),
                keep,
                until.to_string()
            ])? as u64;
        Ok(changed)
    }

    fn set_occurrence_amount(
        &self,
        contract: ContractId,
        number: u32,
        due: NaiveDate,
        amount: Money,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        Ok(self.conn().prepare_cached("INSERT INTO occurrences (contract_id, number, due_date, amount_minor, currency, state, amount_set_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'scheduled', ?6)
             ON CONFLICT (contract_id, number) DO UPDATE SET
                 amount_minor = excluded.amount_minor, currency = excluded.currency,
                 amount_set_at = excluded.amount_set_at
             WHERE occurrences.state = 'scheduled' AND occurrences.notice_sent_at IS NULL")?
.execute(params![
                contract.0,
                number,
                due.to_string(),
                amount.minor,
                amount.currency.code(),
                millis(at)
            ])? == 1)
    }

    fn reset_occurrence_amounts_outside(
        &self,
        contract: ContractId,
        min: Money,
        max: Money,
        all: bool,
    ) -> StoreResult<u64> {
        Ok(self
            .conn()
            .prepare_cached(
                "UPDATE occurrences SET amount_set_at = NULL, amount_minor = ?3, currency = ?4
             WHERE contract_id = ?1 AND amount_set_at IS NOT NULL AND state = 'scheduled'
               AND notice_sent_at IS NULL
               AND (?5 OR amount_minor < ?2 OR amount_minor > ?3 OR currency != ?4)",
            )?
            .execute(params![
                contract.0,
                min.minor,
                max.minor,
                max.currency.code(),
                all
            ])? as u64)
    }

    fn cancel_open_occurrences(&self, contract: ContractId, from: NaiveDate) -> StoreResult<u64> {
        Ok(self.conn().prepare_cached("UPDATE occurrences SET state = 'cancelled'
             WHERE contract_id = ?1 AND state IN ('scheduled', 'declined', 'refused') AND due_date >= ?2")?
.execute(params![contract.0, from.to_string()])? as u64)
    }

    fn cancel_open_occurrences_before(
        &self,
        contract: ContractId,
        today: NaiveDate,
    ) -> StoreResult<u64> {
        Ok(self
            .conn()
            .prepare_cached(CANCEL_MISSED)?
            .execute(params![contract.0, today.to_string()])? as u64)
    }

    fn set_occurrence_state(
        &self,
        contract: ContractId,
        number: u32,
        state: OccurrenceState,
    ) -> StoreResult<bool> {
        Ok(self.conn().prepare_cached("UPDATE occurrences SET state = ?3 WHERE contract_id = ?1 AND number = ?2 AND state != 'charged'")?
.execute(params![contract.0, number, occurrence_state_str(state)])? == 1)
    }

    fn cancel_occurrence(
        &self,
        contract: ContractId,
        number: u32,
        due: NaiveDate,
        amount: Money,
    ) -> StoreResult<bool> {
        self.conn().prepare_cached("INSERT OR IGNORE INTO occurrences (contract_id, number, due_date, amount_minor, currency, state)
             VALUES (?1, ?2, ?3, ?4, ?5, 'scheduled')")?
.execute(params![contract.0, number, due.to_string(), amount.minor, amount.currency.code()])?;
        Ok(self.conn().prepare_cached("UPDATE occurrences SET state = 'cancelled'
             WHERE contract_id = ?1 AND number = ?2 AND state IN ('scheduled', 'declined', 'refused')")?
.execute(params![contract.0, number])? == 1)
    }

    fn restore_occurrence(&self, contract: ContractId, number: u32) -> StoreResult<bool> {
        Ok(self.conn().prepare_cached("UPDATE occurrences SET state = 'scheduled'
             WHERE contract_id = ?1 AND number = ?2 AND state = 'cancelled' AND notice_sent_at IS NULL")?
.execute(params![contract.0, number])? == 1)
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
