//! CSV export of customers, cards, the charge ledger and the audit log, for one merchant, a
//! group or all of them.
//!
//! Only what Coffer keeps goes out: provider tokens and display fields, never a card number, a
//! CVV or a secret. Rows are read a page at a time (keyset on the id), so a million cards never sit
//! in memory, and the file is written beside its final name and renamed when complete, so a
//! half-written export never looks finished. A cell that a spreadsheet would run as a formula
//! (`=`, `+`, `-`, `@` first) is prefixed with `'` (the OWASP advice on CSV injection).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use coffer_core::MerchantId;
use coffer_store::audit_log::AuditFilter;
use coffer_store::repo::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{EngineError, EngineResult, ErrorKind};
use crate::scope::Scope;
use crate::Engine;

/// Rows read per page.
const PAGE: u32 = 5_000;

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ExportKind {
    /// The customer cache.
    Customers,
    /// The card cache.
    Cards,
    /// The charge ledger: charges and refunds.
    Charges,
    /// The audit log.
    Audit,
}

impl ExportKind {
    /// Every kind, in menu order.
    pub const ALL: [ExportKind; 4] = [
        ExportKind::Customers,
        ExportKind::Cards,
        ExportKind::Charges,
        ExportKind::Audit,
    ];

    /// The name used in file names and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::Customers => "customers",
            ExportKind::Cards => "cards",
            ExportKind::Charges => "charges",
            ExportKind::Audit => "audit",
        }
    }

    fn header(self) -> &'static [&'static str] {
        match self {
            ExportKind::Customers => &[
                "id",
                "merchant_id",
                "merchant",
                "provider",
                "reference",
                "name",
                "email",
                "phone",
                "cards",
            ],
            ExportKind::Cards => &[
                "id",
                "merchant_id",
                "customer_id",
                "customer_reference",
                "provider",
                "token",
                "brand",
                "last4",
                "bin",
                "bank",
                "exp_month",
                "exp_year",
                "active",
                "consent_at",
                "initial_ref",
                "flagged",
            ],
            ExportKind::Charges => &[
                "id",
                "kind",
                "merchant_id",
                "card_id",
                "brand",
                "last4",
                "contract_id",
                "occurrence",
                "refund_of",
                "amount",
                "currency",
                "amount_minor",
                "state",
                "provider_ref",
                "decline_code",
                "hard_decline",
                "sequence",
                "initiator",
                "reason",
                "scheduled",
                "initial_ref",
                "order_id",
                "idempotency_key",
                "created_at",
                "settled_at",
                "message",
            ],
            ExportKind::Audit => &[
                "seq",
                "at",
                "actor",
                "merchant_id",
                "action",
                "subject",
                "details",
                "prev_hash",
                "hash",
            ],
        }
    }
}

impl std::str::FromStr for ExportKind {
    type Err = coffer_core::InvalidInput;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ExportKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                coffer_core::InvalidInput::new(
                    "kind",
                    format!("'{s}' must be customers, cards, charges or audit"),
                )
            })
    }
}

/// A finished export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ExportResult {
    /// What was exported.
    pub kind: ExportKind,
    /// The CSV file.
    pub path: String,
    /// Data rows written (the header not counted).
    pub rows: u64,
}

/// `folder/stem.csv`, or `stem-2.csv`, `stem-3.csv`… when that is taken (or being written):
/// two exports of one kind in the same second must not overwrite each other.
fn unused_name(folder: &Path, stem: &str) -> PathBuf {
    let taken = |path: &Path| path.exists() || path.with_extension("csv.partial").exists();
    let first = folder.join(format!("{stem}.csv"));
    if !taken(&first) {
        return first;
    }
    (2..)
        .map(|n| folder.join(format!("{stem}-{n}.csv")))
        .find(|path| !taken(path))
        .unwrap_or(first)
}

/// Neutralises a cell a spreadsheet would run as a formula (OWASP "CSV injection"): one whose
/// first character after any leading blanks is `=`, `+`, `-` or `@` (or their full-width forms,
/// which spreadsheets in East Asian locales read as the same), or that starts with a tab or a
/// carriage return. A number or a phone number (`-12.50`, `+358 40 123 4567`) is left readable:
/// digits, blanks and `()./,-` alone cannot call anything.
fn cell(text: &str) -> String {
    let start = text.trim_start_matches([' ', '\u{3000}', '\n']);
    let runs = match start.chars().next() {
        Some('=' | '@' | '\t' | '\r' | '\u{ff1d}' | '\u{ff20}' | '\u{ff0b}' | '\u{ff0d}') => true,
        Some('+' | '-') => !is_number_like(start),
        _ => false,
    };
    if runs {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// `-12.50`, `+358 40 123 4567`, `+1 (555) 010-0000`: a sign, then digits and the marks numbers
/// and phone numbers are written with, and at least one digit.
fn is_number_like(text: &str) -> bool {
    let rest = &text[1..];
    rest.chars().any(|c| c.is_ascii_digit())
        && rest
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '(' | ')' | '.' | ',' | '-' | '/'))
}

fn opt(value: Option<impl ToString>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn instant(at: Option<DateTime<Utc>>) -> String {
    opt(at.map(|t| t.to_rfc3339()))
}

fn io_error(path: &Path, e: impl std::fmt::Display) -> EngineError {
    EngineError::new(
        ErrorKind::Internal,
        format!("cannot write {}: {e}", path.display()),
    )
}

/// The rows of one page as text cells, and the id to continue after (`None`: no more).
type Page = (Vec<Vec<String>>, Option<i64>);

impl Engine {
    /// The folder exports go to unless a path is given.
    pub fn exports_dir(&self) -> PathBuf {
        self.data_dir().join("exports")
    }

    /// Writes `kind` for `merchants` (all when empty) as CSV to `path`, or to a new file in
    /// [`Engine::exports_dir`] named after the kind and the time.
    pub async fn export_csv(
        &self,
        kind: ExportKind,
        scope: impl Into<Scope>,
        path: Option<PathBuf>,
    ) -> EngineResult<ExportResult> {
        let merchants = self.resolve_scope(scope).await?;
        let path = match path {
            Some(path) => path,
            None => unused_name(
                &self.exports_dir(),
                &format!("{}-{}", kind.as_str(), self.now().format("%Y%m%d-%H%M%S")),
            ),
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            coffer_store::private::create_dir(dir).map_err(|e| io_error(dir, e))?;
        }
        let exports = self.exports_dir();
        coffer_store::private::restrict(&exports).map_err(|e| io_error(&exports, e))?;
        let partial = path.with_extension("csv.partial");
        let file =
            coffer_store::private::create_file(&partial).map_err(|e| io_error(&partial, e))?;
        let mut writer = csv::Writer::from_writer(std::io::BufWriter::new(file));
        writer
            .write_record(kind.header())
            .map_err(|e| io_error(&partial, e))?;
        let mut rows = 0u64;
        let mut after = 0i64;
        loop {
            let merchants = merchants.clone();
            let (page, next) = self
                .with_store(move |store| page_of(store, kind, &merchants, after))
                .await?;
            for row in &page {
                let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
                writer
                    .write_record(&cells)
                    .map_err(|e| io_error(&partial, e))?;
            }
            rows += page.len() as u64;
            match next {
                Some(id) => after = id,
                None => break,
            }
        }
        writer.flush().map_err(|e| io_error(&partial, e))?;
        drop(writer);
        std::fs::rename(&partial, &path).map_err(|e| io_error(&path, e))?;
        let audit = self.audit_event(
            None,
            "export",
            format!("export:{}", kind.as_str()),
            serde_json::json!({"rows": rows, "path": path.display().to_string(), "merchants": merchants}),
        );
        self.with_store(move |store| Ok(store.append_audit(audit).map(|_| ())?))
            .await?;
        Ok(ExportResult {
            kind,
            path: path.display().to_string(),
            rows,
        })
    }
}

fn page_of(
    store: &mut dyn Repositories,
    kind: ExportKind,
    merchants: &[MerchantId],
    after: i64,
) -> EngineResult<Page> {
    let full = |n: usize, last: Option<i64>| if n == PAGE as usize { last } else { None };
    Ok(match kind {
        ExportKind::Customers => {
            let page = store.customers_after(merchants, after, PAGE)?;
            let next = full(page.len(), page.last().map(|c| c.customer.id.0));
            let rows = page
                .into_iter()
                .map(|c| {
                    vec![
                        c.customer.id.to_string(),
                        c.customer.merchant_id.to_string(),
                        c.merchant_name,
                        c.provider,
                        c.customer.reference.0,
                        c.customer.name,
                        opt(c.customer.email),
                        opt(c.customer.phone),
                        c.cards.to_string(),
                    ]
                })
                .collect();
            (rows, next)
        }
        ExportKind::Cards => {
            let page = store.cards_after(merchants, after, PAGE)?;
            let next = full(page.len(), page.last().map(|c| c.card.id.0));
            let rows = page
                .into_iter()
                .map(|c| {
                    let card = c.card;
                    vec![
                        card.id.to_string(),
                        card.merchant_id.to_string(),
                        card.customer_id.to_string(),
                        c.customer_reference,
                        c.provider,
                        card.token.0,
                        card.brand.name().to_string(),
                        card.last4.as_str().to_string(),
                        opt(card.bin.as_ref().map(|b| b.as_str().to_string())),
                        opt(card.bank),
                        card.expiry.month.to_string(),
                        card.expiry.year.to_string(),
                        card.active.to_string(),
                        instant(card.consent.as_ref().map(|c| c.given_at)),
                        opt(card.initial.as_ref().map(|i| i.reference.0.clone())),
                        opt(c.flagged),
                    ]
                })
                .collect();
            (rows, next)
        }
        ExportKind::Charges => {
            let page = store.attempts_after(merchants, after, PAGE)?;
            let next = full(page.len(), page.last().map(|a| a.attempt.id.0));
            let rows = page
                .into_iter()
                .map(|row| {
                    let a = row.attempt;
                    let c = &a.credential;
                    vec![
                        a.id.to_string(),
                        json_word(&a.kind),
                        a.merchant_id.to_string(),
                        a.card_id.to_string(),
                        row.brand,
                        row.last4,
                        opt(a.contract_id),
                        opt(a.occurrence),
                        opt(a.refund_of),
                        a.amount.to_decimal('.'),
                        a.amount.currency.code().to_string(),
                        a.amount.minor.to_string(),
                        a.state.as_str().to_string(),
                        opt(a.provider_ref.as_ref()),
                        opt(a.decline_code.as_ref()),
                        a.hard_decline.to_string(),
                        json_word(&c.sequence),
                        json_word(&c.initiator),
                        json_word(&c.reason),
                        c.scheduled.to_string(),
                        opt(c.initial_ref.as_ref()),
                        a.order_id.clone(),
                        a.idempotency_key.0.clone(),
                        a.created_at.to_rfc3339(),
                        instant(a.settled_at),
                        opt(a.message.as_ref()),
                    ]
                })
                .collect();
            (rows, next)
        }
        ExportKind::Audit => {
            // The log has no merchant list filter: one merchant is asked of the store, a group is
            // filtered here (events of no merchant belong to every scope: the app's own acts).
            let single = match merchants {
                [one] => Some(one.0),
                _ => None,
            };
            let page = store.audit_events(&AuditFilter {
                merchant_id: single,
                action: None,
                after_seq: Some(after),
                limit: Some(PAGE),
            })?;
            let next = full(page.len(), page.last().map(|e| e.seq));
            let rows = page
                .into_iter()
                .filter(|e| {
                    merchants.len() < 2
                        || e.merchant_id
                            .is_none_or(|m| merchants.iter().any(|id| id.0 == m))
                })
                .map(|e| {
                    vec![
                        e.seq.to_string(),
                        e.at.to_rfc3339(),
                        e.actor,
                        opt(e.merchant_id),
                        e.action,
                        e.subject,
                        e.details,
                        e.prev_hash,
                        e.hash,
                    ]
                })
                .collect();
            (rows, next)
        }
    })
}

/// The snake_case word serde gives a unit enum variant ("charge", "subsequent").
fn json_word(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_run_are_neutralised() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("  =1+1"), "'  =1+1", "leading blanks do not hide it");
        assert_eq!(
            cell("\u{3000}=1+1"),
            "'\u{3000}=1+1",
            "nor an ideographic space"
        );
        assert_eq!(
            cell("\u{ff1d}SUM(A1)"),
            "'\u{ff1d}SUM(A1)",
            "full-width equals"
        );
        assert_eq!(cell("\u{ff0b}1"), "'\u{ff0b}1", "full-width plus");
        assert_eq!(cell("\t=1"), "'\t=1");
        assert_eq!(cell("\rx"), "'\rx");
        assert_eq!(
            cell("-2+3+cmd|' /C calc'!A0"),
            "'-2+3+cmd|' /C calc'!A0",
            "a sign followed by anything but a number runs"
        );
        assert_eq!(cell("+1+1"), "'+1+1");
        assert_eq!(cell("-12.50"), "-12.50", "a negative amount stays a number");
        assert_eq!(cell("-5"), "-5");
        assert_eq!(
            cell("+358 40 123 4567"),
            "+358 40 123 4567",
            "a phone number stays readable"
        );
        assert_eq!(cell("+1 (555) 010-0000"), "+1 (555) 010-0000");
        assert_eq!(cell("Anna Virtanen"), "Anna Virtanen", "plain text stays");
        assert_eq!(cell(""), "");
    }

    #[test]
    fn kinds_parse_from_their_names_and_refuse_others() {
        for kind in ExportKind::ALL {
            assert_eq!(kind.as_str().parse::<ExportKind>().ok(), Some(kind));
        }
        let err = "invoices".parse::<ExportKind>().unwrap_err();
        assert_eq!(err.field, "kind", "the error names the field");
    }
}
