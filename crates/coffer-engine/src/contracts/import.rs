//! Importing the recurring contracts a merchant's old billing system charged (issue 24): one CSV
//! row a contract, all rows or none, each under the same rules as a contract created in Coffer
//! (`validate_contract`, the provider's own checks, Assist's first gap, the notice lead), plus
//! what keeps the first charge Coffer makes from billing a period twice or breaking the
//! networks' rules:
//!
//! - `next_due` is a date of the contract's schedule, not in the past and at least the notice
//!   lead ahead (the due run stores and charges only occurrences from today on, and the
//!   cardholder must hear of each charge in time); an overdue charge is imported with the next
//!   date it may be charged.
//! - `next_due` is at least one period (the frequency's shortest gap: 28 days monthly, 365
//!   yearly, N for every N days) after `last_charged_on`, the old system's last charge: that
//!   charge paid the period before `next_due`. A late retry by the old system a few days after
//!   its due date still fits a monthly schedule.
//! - The old system's last charge, and the declines it had since (`last_result=soft_decline`,
//!   `retries`, `last_declined_on`), are recorded as imported attempts, which the policy reads
//!   beside Coffer's ledger (`judging::history_of`): Svea's one charge a calendar month counts
//!   the old system's charge, and the networks' retry limits count its declines.
//! - A card the old system saw hard-declined (`last_result=hard_decline`) is refused: it must
//!   never be charged again.
//!
//! Every problem is reported at once, each naming its CSV line, field and rule.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use coffer_core::clock::local_date;
use coffer_core::contract::{Contract, ContractStatus, Frequency, NewContractTerms};
use coffer_core::schedule::{due_instant, nth_due};
use coffer_core::{CardId, ContractId, InvalidInput, Merchant, MerchantId, Money};
use coffer_store::contracts::ContractFilter;
use coffer_store::imported::{ImportedAttempt, ImportedOutcome};
use coffer_store::repo::prelude::*;
use serde::Serialize;

use super::{amount_rule, assist_first_gap, first_notice_in_time, refresh_schedule};
use crate::error::EngineResult;
use crate::Engine;

/// The most declined tries one row may bring: more is not a retry history any network allows.
pub const MAX_RETRIES: u32 = 100;

/// One row of a contract file, as read (cells trimmed, empty cells `None`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContractRow {
    /// The CSV line it was read from.
    pub line: u64,
    /// `card`: the card id as `coffer cards` lists it.
    pub card: Option<String>,
    /// `amount`: a fixed amount per charge.
    pub amount: Option<String>,
    /// `max_amount`: the largest amount of a varying charge.
    pub max_amount: Option<String>,
    /// `min_amount`: its smallest (Assist needs one).
    pub min_amount: Option<String>,
    /// `original_amount`: the original payment amount (default: the card's initial).
    pub original_amount: Option<String>,
    /// `frequency`: `monthly`, `yearly` or `every N days`.
    pub frequency: Option<String>,
    /// `day`: a monthly contract's day of month (default: `next_due`'s).
    pub day: Option<String>,
    /// `end`: the last possible due date.
    pub end: Option<String>,
    /// `consent_at`: when the cardholder accepted the terms (default: the card's consent).
    pub consent_at: Option<String>,
    /// `terms`: the terms text the cardholder accepted.
    pub terms: Option<String>,
    /// `last_charged_on`: the old system's last successful charge.
    pub last_charged_on: Option<String>,
    /// `last_amount`: its amount (default: the contract's largest charge).
    pub last_amount: Option<String>,
    /// `last_result`: `approved`, `soft_decline` or `hard_decline` (default `approved`).
    pub last_result: Option<String>,
    /// `retries`: declined tries since the last charge (with `soft_decline`; default 1).
    pub retries: Option<String>,
    /// `last_declined_on`: the latest of those declines.
    pub last_declined_on: Option<String>,
    /// `next_due`: the first charge Coffer makes.
    pub next_due: Option<String>,
}

/// The columns a contract file may have, in the order the README lists them.
pub const COLUMNS: [&str; 17] = [
    "card",
    "amount",
    "max_amount",
    "min_amount",
    "original_amount",
    "frequency",
    "day",
    "end",
    "consent_at",
    "terms",
    "last_charged_on",
    "last_amount",
    "last_result",
    "retries",
    "last_declined_on",
    "next_due",
    // Read and ignored: the merchant's own label, so a file exported from the old system with
    // its reference column imports as it is.
    "reference",
];

/// One imported contract.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedContract {
    /// The CSV line.
    pub line: u64,
    /// The new contract.
    pub contract_id: i64,
    /// Its card.
    pub card_id: i64,
    /// The first charge Coffer makes.
    pub next_due: NaiveDate,
}

/// What a contract import did.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContractImportSummary {
    /// The merchant imported into.
    pub merchant_id: i64,
    /// The contracts created, one per row.
    pub contracts: Vec<ImportedContract>,
}

/// Reads a contract file: a header row naming the columns ([`COLUMNS`]; `card`, `frequency`,
/// `last_charged_on` and `next_due` are required), then one contract a row, separated by commas
/// or semicolons. Every problem is returned, each naming its line.
pub fn parse_contract_csv(text: &str) -> Result<Vec<ContractRow>, Vec<InvalidInput>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .delimiter(crate::customers::delimiter(text))
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| {
            vec![InvalidInput::new(
                "line 1",
                format!("cannot read the header row: {e}"),
            )]
        })?
        .clone();
    let mut problems = Vec::new();
    let mut index: HashMap<&'static str, usize> = HashMap::new();
    for (i, header) in headers.iter().enumerate() {
        match COLUMNS.iter().find(|c| header.eq_ignore_ascii_case(c)) {
            Some(column) => {
                if index.insert(column, i).is_some() {
                    problems.push(InvalidInput::new(
                        "line 1",
                        format!("column {column} appears twice"),
                    ));
                }
            }
            None => problems.push(InvalidInput::new(
                "line 1",
                format!(
                    "unknown column '{header}'; the columns are {}",
                    COLUMNS.join(", ")
                ),
            )),
        }
    }
    for required in ["card", "frequency", "last_charged_on", "next_due"] {
        if !index.contains_key(required) {
            problems.push(InvalidInput::new(
                "line 1",
                format!("the header must name a {required} column"),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut rows = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(n as u64 + 2, |p| p.line());
                problems.push(InvalidInput::new(
                    format!("line {line}"),
                    format!("not valid CSV: {e}"),
                ));
                continue;
            }
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        let line = record.position().map_or(n as u64 + 2, |p| p.line());
        let get = |column: &str| {
            index
                .get(column)
                .and_then(|&i| record.get(i))
                .filter(|cell| !cell.is_empty())
                .map(str::to_string)
        };
        rows.push(ContractRow {
            line,
            card: get("card"),
            amount: get("amount"),
            max_amount: get("max_amount"),
            min_amount: get("min_amount"),
            original_amount: get("original_amount"),
            frequency: get("frequency"),
            day: get("day"),
            end: get("end"),
            consent_at: get("consent_at"),
            terms: get("terms"),
            last_charged_on: get("last_charged_on"),
            last_amount: get("last_amount"),
            last_result: get("last_result"),
            retries: get("retries"),
            last_declined_on: get("last_declined_on"),
            next_due: get("next_due"),
        });
    }
    if rows.is_empty() && problems.is_empty() {
        problems.push(InvalidInput::new("line 2", "the file has no contract rows"));
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}

/// The frequency of a row: `monthly` (on `day`, else `next_due`'s day), `yearly` (on
/// `next_due`'s month and day) or `every N days`.
pub fn parse_frequency(
    text: &str,
    day: Option<u32>,
    next_due: NaiveDate,
) -> Result<Frequency, String> {
    use chrono::Datelike;
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == '_' || c == ':')
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["monthly"] => Ok(Frequency::Monthly {
            day: day.unwrap_or(next_due.day()),
        }),
        ["yearly"] | ["annually"] => Ok(Frequency::Yearly {
            month: next_due.month(),
            day: next_due.day(),
        }),
        ["every", n, "days"] | ["every", n, "day"] | ["every", "days", n] | [n, "days"] => n
            .parse()
            .map(|days| Frequency::EveryDays { days })
            .map_err(|_| format!("'{n}' is not a number of days")),
        _ => Err(format!(
            "'{text}' is not a frequency: write monthly, yearly or every N days"
        )),
    }
}

/// A row's problems, each prefixed with its line.
struct RowProblems {
    line: u64,
    out: Vec<InvalidInput>,
}

impl RowProblems {
    fn push(&mut self, field: &str, rule: impl std::fmt::Display) {
        self.out.push(InvalidInput::new(
            format!("line {}, {field}", self.line),
            rule,
        ));
    }

    fn date(&mut self, field: &str, text: &Option<String>) -> Option<NaiveDate> {
        let text = text.as_deref()?;
        match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(date) => Some(date),
            Err(_) => {
                self.push(field, format!("'{text}' is not a date (YYYY-MM-DD)"));
                None
            }
        }
    }

    fn required_date(&mut self, field: &str, text: &Option<String>) -> Option<NaiveDate> {
        if text.is_none() {
            self.push(field, "is required");
        }
        self.date(field, text)
    }

    fn money(&mut self, field: &str, text: &Option<String>, merchant: &Merchant) -> Option<Money> {
        let text = text.as_deref()?;
        match Money::parse(text, merchant.currency) {
            Ok(money) => Some(money),
            Err(e) => {
                self.push(field, e);
                None
            }
        }
    }
}

/// An imported row, checked, ready to save.
struct CheckedRow {
    line: u64,
    contract: Contract,
    terms_text: Option<String>,
    history: Vec<ImportedAttempt>,
}

/// The instant an imported attempt on `date` stands for: midday, merchant-local (the old system
/// gives dates only; the calendar month and the day are what the rules read).
fn midday(date: NaiveDate, merchant: &Merchant) -> DateTime<Utc> {
    due_instant(
        date,
        merchant.time_zone,
        NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default(),
    )
}

/// Checks one row against the store and the rules; `None` when it has a problem (pushed).
fn check_row(
    store: &dyn ReadRepositories,
    merchant: &Merchant,
    row: &ContractRow,
    today: NaiveDate,
    source: &str,
    problems: &mut Vec<InvalidInput>,
) -> EngineResult<Option<CheckedRow>> {
    let mut p = RowProblems {
        line: row.line,
        out: Vec::new(),
    };
    let card = match row.card.as_deref().map(|c| c.parse::<i64>()) {
        None => {
            p.push(
                "card",
                "is required: the card id as `coffer cards` lists it",
            );
            None
        }
        Some(Err(_)) => {
            p.push(
                "card",
                format!(
                    "'{}' is not a card id (the number `coffer cards` lists)",
                    row.card.as_deref().unwrap_or_default()
                ),
            );
            None
        }
        Some(Ok(id)) => match store.card(CardId(id)) {
            Ok(card) if card.merchant_id == merchant.id => Some(card),
            Ok(card) => {
                p.push(
                    "card",
                    format!(
                        "card {id} (ending {}) is stored under merchant account {}, not {} ({})",
                        card.last4.as_str(),
                        card.merchant_id,
                        merchant.id,
                        merchant.name
                    ),
                );
                None
            }
            Err(coffer_store::StoreError::NotFound { .. }) => {
                p.push("card", format!("there is no card {id}"));
                None
            }
            Err(e) => return Err(e.into()),
        },
    };
    let next_due = p.required_date("next_due", &row.next_due);
    let last_charged = p.required_date("last_charged_on", &row.last_charged_on);
    let end = p.date("end", &row.end);
    let consent_on = p.date("consent_at", &row.consent_at);
    let declined_on = p.date("last_declined_on", &row.last_declined_on);
    let amount = p.money("amount", &row.amount, merchant);
    let min = p.money("min_amount", &row.min_amount, merchant);
    let max = p.money("max_amount", &row.max_amount, merchant);
    let original = p.money("original_amount", &row.original_amount, merchant);
    let last_amount = p.money("last_amount", &row.last_amount, merchant);
    // A cell that did not parse is reported once, above.
    let unparsed = (row.amount.is_some() && amount.is_none())
        || (row.max_amount.is_some() && max.is_none())
        || (row.min_amount.is_some() && min.is_none());
    let rule = match amount_rule(amount, min, max) {
        Ok(rule) => Some(rule),
        Err(_) if unparsed => None,
        Err(e) => {
            p.push(
                "amount",
                format!(
                    "{}; the columns are amount, or max_amount (and min_amount)",
                    e.rule
                ),
            );
            None
        }
    };
    let day = match row.day.as_deref().map(str::parse::<u32>) {
        None => None,
        Some(Ok(day)) if (1..=31).contains(&day) => Some(day),
        Some(_) => {
            p.push("day", "must be a day of the month, 1 to 31");
            None
        }
    };
    let frequency = match (row.frequency.as_deref(), next_due) {
        (None, _) => {
            p.push("frequency", "is required: monthly, yearly or every N days");
            None
        }
        (Some(text), Some(next_due)) => match parse_frequency(text, day, next_due) {
            Ok(frequency) => Some(frequency),
            Err(why) => {
                p.push("frequency", why);
                None
            }
        },
        (Some(_), None) => None,
    };
    if let Some(terms) = &row.terms {
        if let Err(e) = coffer_core::free_text::refuse_card_number("terms", terms) {
            p.push("terms", e.rule);
        }
    }
    if let Some(consent_on) = consent_on {
        if consent_on > today {
            p.push(
                "consent_at",
                format!("{consent_on} is in the future (today is {today})"),
            );
        }
    }
    // The old system's history.
    let outcome = match row
        .last_result
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("approved") => Some(ImportedOutcome::Approved),
        Some("soft_decline") => Some(ImportedOutcome::SoftDecline),
        Some("hard_decline") => {
            p.push(
                "last_result",
                "the old system saw this card hard-declined (lost, stolen, closed or do not \
                 retry); it must never be charged again, so its contract is not imported",
            );
            None
        }
        Some(other) => {
            p.push(
                "last_result",
                format!("'{other}' is not approved, soft_decline or hard_decline"),
            );
            None
        }
    };
    let retries = match row.retries.as_deref().map(str::parse::<u32>) {
        None => None,
        Some(Ok(n)) if n <= MAX_RETRIES => Some(n),
        Some(_) => {
            p.push(
                "retries",
                format!("must be a count of declined tries, 0 to {MAX_RETRIES}"),
            );
            None
        }
    };
    let declines = match outcome {
        Some(ImportedOutcome::SoftDecline) => {
            let count = retries.unwrap_or(1);
            if count == 0 {
                p.push(
                    "retries",
                    "is 0, but last_result says the last try was declined",
                );
            }
            match declined_on {
                None => p.push(
                    "last_declined_on",
                    "is required with last_result=soft_decline: the networks' retry limits \
                     count declines by date",
                ),
                Some(on) if on > today => p.push(
                    "last_declined_on",
                    format!("{on} is in the future (today is {today})"),
                ),
                Some(on) if last_charged.is_some_and(|last| on < last) => p.push(
                    "last_declined_on",
                    format!(
                        "{on} is before last_charged_on; the declines counted are those since \
                         the last charge"
                    ),
                ),
                Some(_) => {}
            }
            count
        }
        Some(ImportedOutcome::Approved) => {
            if retries.is_some_and(|n| n > 0) || declined_on.is_some() {
                p.push(
                    "retries",
                    "declines after the last charge need last_result=soft_decline",
                );
            }
            0
        }
        None => 0,
    };
    if let Some(last) = last_charged {
        if last > today {
            p.push(
                "last_charged_on",
                format!("{last} is in the future (today is {today})"),
            );
        }
    }
    let (Some(card), Some(next_due), Some(last_charged), Some(rule), Some(frequency)) =
        (card, next_due, last_charged, rule, frequency)
    else {
        problems.extend(p.out);
        return Ok(None);
    };
    if nth_due(frequency, next_due, 1) != Some(next_due) {
        p.push(
            "next_due",
            format!(
                "{next_due} is not a date of the schedule ({}); give the date the next charge \
                 falls on",
                crate::notices::frequency_words(frequency)
            ),
        );
    }
    let terms = NewContractTerms {
        merchant_id: merchant.id,
        card_id: card.id,
        amount: rule,
        original_amount: original,
        frequency,
        start: next_due,
        end,
    };
    if let Err(found) =
        coffer_core::validate_contract(&terms, merchant.provider(), &card, merchant.currency)
    {
        for e in found {
            let field = match e.field.as_str() {
                "card_id" | "consent" | "initial_transaction" => "card",
                "start" => "next_due",
                other => other,
            };
            p.push(field, e.rule);
        }
    }
    if let Err(e) = assist_first_gap(merchant, &card, frequency, next_due) {
        p.push("next_due", e.rule);
    }
    if next_due < today {
        p.push(
            "next_due",
            format!(
                "{next_due} is in the past (today is {today} for {}); the due run charges \
                 only from today on: give the next date this contract may be charged",
                merchant.name
            ),
        );
    } else if let Err(e) =
        first_notice_in_time(frequency, next_due, today, merchant.notice_lead_days)
    {
        p.push("next_due", e.rule);
    }
    let gap = frequency.min_gap_days();
    match last_charged.checked_add_days(Days::new(u64::from(gap))) {
        Some(earliest) if next_due < earliest => p.push(
            "next_due",
            format!(
                "{next_due} is less than one period ({gap} days) after the old system's last \
                 charge on {last_charged}, which paid the period before it; the first charge \
                 Coffer makes would bill that period again: give {earliest} or later"
            ),
        ),
        _ => {}
    }
    let open: Vec<ContractId> = store
        .contracts(&ContractFilter {
            merchants: vec![merchant.id],
            card: Some(card.id),
            status: Some(ContractStatus::Active),
        })?
        .into_iter()
        .map(|c| c.id)
        .collect();
    if let Some(id) = open.first() {
        p.push(
            "card",
            format!(
                "card {} already has active contract {id} in Coffer; an imported one would bill \
                 beside it",
                card.id
            ),
        );
    }
    if !p.out.is_empty() {
        problems.extend(p.out);
        return Ok(None);
    }
    let consented = terms.amount.bounds().1;
    let registered_max =
        coffer_core::contract_check::registered_max_of(merchant.provider(), &terms.amount, &card);
    let terms_accepted_at = match consent_on {
        Some(on) => midday(on, merchant),
        None => card
            .consent
            .as_ref()
            .map(|c| c.given_at)
            .unwrap_or_else(|| midday(last_charged, merchant)),
    };
    let contract = Contract {
        id: ContractId(0),
        merchant_id: merchant.id,
        card_id: card.id,
        original_amount: terms.effective_original_amount(&card),
        amount: terms.amount,
        frequency,
        start: next_due,
        end,
        status: ContractStatus::Active,
        terms_accepted_at,
        confirmation_sent_at: None,
        consented_max: Some(consented),
        registered_max,
    };
    let attempt = |at: NaiveDate, outcome: ImportedOutcome| ImportedAttempt {
        merchant_id: merchant.id,
        card_id: card.id,
        contract_id: ContractId(0),
        at: midday(at, merchant),
        amount: last_amount.unwrap_or(consented),
        outcome,
        source: format!("{source} line {}", row.line),
    };
    let mut history = vec![attempt(last_charged, ImportedOutcome::Approved)];
    if let Some(on) = declined_on.filter(|_| declines > 0) {
        history.extend((0..declines).map(|_| attempt(on, ImportedOutcome::SoftDecline)));
    }
    Ok(Some(CheckedRow {
        line: row.line,
        contract,
        terms_text: row.terms.clone(),
        history,
    }))
}

impl Engine {
    /// Imports a merchant's recurring contracts from a CSV file (see the module doc and the
    /// README's columns): every row is checked, every problem reported with its line and field,
    /// and nothing is saved unless every row is good. Each contract gets its schedule from
    /// `next_due` and an audit event; the old system's attempts are recorded for the policy.
    /// The cardholders' contract confirmations go out with the next due run.
    pub async fn import_contracts(
        &self,
        merchant: MerchantId,
        path: &Path,
    ) -> EngineResult<ContractImportSummary> {
        let text = crate::import_file::read_text(path)?;
        let source = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        self.import_contract_rows(merchant, source, path.display().to_string(), text)
            .await
    }

    /// [`Engine::import_contracts`] on a file's text (the desktop app reads the file the owner
    /// chose): the same bounds as a file read here (size, lines, UTF-8), then the same rows and
    /// rules. `file_name` names the file in the messages, the audit events and the imported
    /// attempts.
    pub async fn import_contracts_text(
        &self,
        merchant: MerchantId,
        file_name: &str,
        text: String,
    ) -> EngineResult<ContractImportSummary> {
        let text = crate::import_file::check_text(file_name, text)?;
        self.import_contract_rows(merchant, file_name.to_string(), file_name.to_string(), text)
            .await
    }

    /// The import itself: `source` names the file in the imported attempts, `file` in the
    /// audit events.
    async fn import_contract_rows(
        &self,
        merchant: MerchantId,
        source: String,
        file: String,
        text: String,
    ) -> EngineResult<ContractImportSummary> {
        let rows = parse_contract_csv(&text).map_err(super::problems_error)?;
        let owner = self.merchant(merchant).await?;
        let now = self.now();
        let actor = self.audit_event(
            None,
            "contract_imported",
            String::new(),
            serde_json::Value::Null,
        );
        self.with_store(move |store| {
            let today = local_date(now, owner.time_zone);
            let mut problems = Vec::new();
            let mut checked = Vec::new();
            let mut seen: HashMap<i64, u64> = HashMap::new();
            for row in &rows {
                if let Some(card) = row.card.as_deref().and_then(|c| c.parse::<i64>().ok()) {
                    if let Some(first) = seen.insert(card, row.line) {
                        problems.push(InvalidInput::new(
                            format!("line {}, card", row.line),
                            format!(
                                "card {card} already has a contract on line {first}; import one \
                                 contract a card"
                            ),
                        ));
                    }
                }
                if let Some(row) = check_row(&*store, &owner, row, today, &source, &mut problems)? {
                    checked.push(row);
                }
            }
            if !problems.is_empty() {
                return Err(super::problems_error(problems));
            }
            let lead = owner.notice_lead_days;
            let store: &dyn Repositories = store;
            let contracts = store.batch(|store| {
                let mut out = Vec::new();
                for row in checked {
                    let mut contract = row.contract;
                    let id = store.insert_contract(&contract, now)?;
                    contract.id = id;
                    for mut attempt in row.history.clone() {
                        attempt.contract_id = id;
                        store.insert_imported_attempt(&attempt, now)?;
                    }
                    refresh_schedule(store, &contract, today, lead)?;
                    let mut event = actor.clone();
                    event.merchant_id = Some(owner.id.0);
                    event.subject = format!("contract:{id}");
                    event.details = serde_json::json!({
                        "file": &file,
                        "line": row.line,
                        "terms": &contract,
                        "terms_text": row.terms_text,
                        "old_system": row.history.iter().map(|a| serde_json::json!({
                            "at": a.at,
                            "amount": a.amount,
                            "outcome": a.outcome.as_str(),
                        })).collect::<Vec<_>>(),
                    })
                    .to_string();
                    store.append_audit_here(event)?;
                    out.push(ImportedContract {
                        line: row.line,
                        contract_id: id.0,
                        card_id: contract.card_id.0,
                        next_due: contract.start,
                    });
                }
                Ok(out)
            })?;
            Ok(ContractImportSummary {
                merchant_id: owner.id.0,
                contracts,
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn reads_the_columns_in_any_order_with_semicolons_and_skips_blank_lines() {
        let rows = parse_contract_csv(
            "next_due;card;frequency;amount;last_charged_on\n\
             2027-03-15;12;monthly;9,99;2027-02-15\n\
             ;;;;\n\
             2027-04-01;13;every 30 days;5.00;2027-03-01\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 2, "the blank line is no contract: {rows:?}");
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].card.as_deref(), Some("12"));
        assert_eq!(rows[0].amount.as_deref(), Some("9,99"));
        assert_eq!(rows[1].line, 4, "lines are the file's own");
    }

    #[test]
    fn a_header_without_the_required_columns_or_with_an_unknown_one_is_refused_whole() {
        let problems = parse_contract_csv("card,amount,colour\n1,2.00,red\n").unwrap_err();
        let rules: Vec<String> = problems.iter().map(|p| p.rule.clone()).collect();
        assert!(
            rules.iter().any(|r| r.contains("unknown column 'colour'")),
            "{rules:?}"
        );
        for required in ["frequency", "last_charged_on", "next_due"] {
            assert!(
                rules.iter().any(|r| r.contains(required)),
                "{required} is named as missing: {rules:?}"
            );
        }
        assert!(problems.iter().all(|p| p.field == "line 1"));
    }

    #[test]
    fn frequencies_are_anchored_at_the_next_due_date() {
        let next = date("2027-03-31");
        assert_eq!(
            parse_frequency("monthly", None, next),
            Ok(Frequency::Monthly { day: 31 })
        );
        assert_eq!(
            parse_frequency("Monthly", Some(15), next),
            Ok(Frequency::Monthly { day: 15 })
        );
        assert_eq!(
            parse_frequency("yearly", None, next),
            Ok(Frequency::Yearly { month: 3, day: 31 })
        );
        assert_eq!(
            parse_frequency("every 14 days", None, next),
            Ok(Frequency::EveryDays { days: 14 })
        );
        assert_eq!(
            parse_frequency("every_days:7", None, next),
            Ok(Frequency::EveryDays { days: 7 })
        );
        assert!(parse_frequency("weekly", None, next)
            .unwrap_err()
            .contains("monthly, yearly or every N days"));
    }
}
