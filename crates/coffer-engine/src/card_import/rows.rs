//! Reading a card import file: the header names the columns (any order, any case), each row
//! is checked on its own and against the rows before it, and every problem is kept with its
//! line and column so the owner can fix the whole file in one pass.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use coffer_core::{Address, CardToken, Currency, CustomerRef, Money, ProviderRef};
use coffer_providers::RecurringAgreement;

use super::ImportProblem;
use crate::customers::AddressInput;

/// The columns every row needs.
pub const REQUIRED_COLUMNS: [&str; 5] = [
    "customer_reference",
    "card_token",
    "initial_ref",
    "consent_at",
    "terms",
];

/// The optional columns, as the README lists them: Assist's initial order date and registered
/// `Recurring*` limits, Svea's original amount and buyer address.
pub const OPTIONAL_COLUMNS: [&str; 10] = [
    "initial_date",
    "recurring_min",
    "recurring_max",
    "recurring_period",
    "recurring_max_date",
    "original_amount",
    "street",
    "postal_code",
    "city",
    "country",
];

/// One good row of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImportRow {
    /// The file's line (1 is the header).
    pub line: u64,
    /// The provider's customer id or the register number.
    pub customer: CustomerRef,
    /// The stored card's token.
    pub token: CardToken,
    /// The initial cardholder-initiated transaction, in the provider's terms.
    pub initial_ref: ProviderRef,
    /// When the cardholder consented (the start of that day in the merchant's zone when only a
    /// date is given).
    pub consent_at: DateTime<Utc>,
    /// The terms the cardholder agreed to.
    pub terms: String,
    /// The day of the initial transaction (Assist: where `orderresult` searches).
    pub initial_date: Option<NaiveDate>,
    /// The limits the initial registered (Assist `RecurringMinAmount`, `RecurringMaxAmount`,
    /// `RecurringPeriod`, `RecurringMaxDate`), when given.
    pub agreement: Option<RecurringAgreement>,
    /// The initial's amount as the merchant holds it (Svea caps later charges at it).
    pub original_amount: Option<Money>,
    /// The buyer's address (Svea sends it in every payment).
    pub address: Option<Address>,
}

/// Reads every row; returns the good rows and the problems of the others. `today` is the
/// merchant's local date: no consent or initial is dated after it.
pub(crate) fn parse_rows(
    text: &str,
    currency: Currency,
    zone: Tz,
    today: NaiveDate,
) -> (Vec<ImportRow>, Vec<ImportProblem>) {
    let mut problems = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .delimiter(crate::customers::delimiter(text))
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            problems.push(ImportProblem::new(
                1,
                "header",
                format!("cannot read the header row: {e}"),
            ));
            return (Vec::new(), problems);
        }
    };
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}').eq_ignore_ascii_case(name))
    };
    for name in REQUIRED_COLUMNS {
        if column(name).is_none() {
            problems.push(ImportProblem::new(
                1,
                name,
                format!(
                    "the header must name a {name} column (required: {})",
                    REQUIRED_COLUMNS.join(",")
                ),
            ));
        }
    }
    for h in headers.iter() {
        let h = h.trim_start_matches('\u{feff}');
        if !h.is_empty()
            && !REQUIRED_COLUMNS
                .iter()
                .chain(OPTIONAL_COLUMNS.iter())
                .any(|c| c.eq_ignore_ascii_case(h))
        {
            problems.push(ImportProblem::new(
                1,
                h,
                format!(
                    "is not a column of a card import (optional columns: {})",
                    OPTIONAL_COLUMNS.join(",")
                ),
            ));
        }
    }
    if !problems.is_empty() {
        return (Vec::new(), problems);
    }
    let mut rows = Vec::new();
    let mut tokens: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    let mut initials: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    for (index, record) in reader.records().enumerate() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(index as u64 + 2, |p| p.line());
                problems.push(ImportProblem::new(
                    line,
                    "row",
                    format!("not valid CSV: {e}"),
                ));
                continue;
            }
        };
        let line = record.position().map_or(index as u64 + 2, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        let mut row_problems = Vec::new();
        let cell = |name: &str| {
            column(name)
                .and_then(|i| record.get(i))
                .map(str::to_string)
                .filter(|v| !v.is_empty())
        };
        let mut required = |name: &str| match cell(name) {
            Some(v) => v,
            None => {
                row_problems.push(ImportProblem::new(line, name, "must not be empty"));
                String::new()
            }
        };
        let customer = required("customer_reference");
        let token = required("card_token");
        let initial_ref = required("initial_ref");
        let consent_text = required("consent_at");
        let terms = required("terms");
        let mut problem = |field: &str, rule: String| {
            row_problems.push(ImportProblem::new(line, field, rule));
        };
        if let Err(e) = coffer_core::free_text::refuse_card_number("terms", &terms) {
            problem("terms", e.rule);
        }
        let mut date = |field: &str| -> Option<DateTime<Utc>> {
            let text = cell(field)?;
            match read_instant(&text, zone) {
                Some(at) if coffer_core::clock::local_date(at, zone) > today => {
                    problem(
                        field,
                        format!("'{text}' is after today; it must be a date that has passed"),
                    );
                    None
                }
                Some(at) => Some(at),
                None => {
                    problem(
                        field,
                        format!("'{text}' is not a date (YYYY-MM-DD, or an RFC 3339 instant)"),
                    );
                    None
                }
            }
        };
        let consent_at = if consent_text.is_empty() {
            None
        } else {
            date("consent_at")
        };
        let initial_date = date("initial_date").map(|at| coffer_core::clock::local_date(at, zone));
        let recurring_max_date = cell("recurring_max_date").and_then(|text| {
            match NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    problem(
                        "recurring_max_date",
                        format!("'{text}' is not a date (YYYY-MM-DD)"),
                    );
                    None
                }
            }
        });
        let mut amount = |field: &str| -> Option<Money> {
            let text = cell(field)?;
            match Money::parse(&text, currency) {
                Ok(m) if m.is_positive() => Some(m),
                Ok(_) => {
                    problem(field, format!("'{text}' must be more than zero"));
                    None
                }
                Err(e) => {
                    problem(field, format!("'{text}': {e} (in {currency})"));
                    None
                }
            }
        };
        let min = amount("recurring_min");
        let max = amount("recurring_max");
        let original_amount = amount("original_amount");
        if let (Some(lo), Some(hi)) = (min, max) {
            if lo.minor > hi.minor {
                problem("recurring_min", format!("{lo} is above recurring_max {hi}"));
            }
        }
        let period_days = cell("recurring_period").and_then(|text| match text.parse::<u32>() {
            Ok(days) if days > 0 => Some(days),
            _ => {
                problem(
                    "recurring_period",
                    format!("'{text}' is not a number of days between charges (1 or more)"),
                );
                None
            }
        });
        let agreement = (min.is_some()
            || max.is_some()
            || period_days.is_some()
            || recurring_max_date.is_some())
        .then_some(RecurringAgreement {
            min_amount: min,
            max_amount: max,
            period_days,
            end_date: recurring_max_date,
        });
        let address = match (AddressInput {
            street: cell("street"),
            postal_code: cell("postal_code"),
            city: cell("city"),
            country: cell("country"),
        })
        .checked()
        {
            Ok(a) => a,
            Err(e) => {
                let field = e.field.trim_start_matches("address_").to_string();
                problem(&field, e.rule);
                None
            }
        };
        if !token.is_empty() {
            if let Some(first) = tokens.insert(token.clone(), line) {
                problem(
                    "card_token",
                    format!("'{token}' is already imported on line {first}: one row per card"),
                );
            }
        }
        if !initial_ref.is_empty() {
            if let Some(first) = initials.insert(initial_ref.clone(), line) {
                problem(
                    "initial_ref",
                    format!(
                        "'{initial_ref}' is already the initial of line {first}: each card has \
                         its own initial transaction"
                    ),
                );
            }
        }
        match consent_at {
            Some(consent_at) if row_problems.is_empty() => rows.push(ImportRow {
                line,
                customer: CustomerRef(customer),
                token: CardToken(token),
                initial_ref: ProviderRef(initial_ref),
                consent_at,
                terms,
                initial_date,
                agreement,
                original_amount,
                address,
            }),
            _ => problems.append(&mut row_problems),
        }
    }
    (rows, problems)
}

/// A date (the start of that day in `zone`) or an RFC 3339 instant.
fn read_instant(text: &str, zone: Tz) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    zone.from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
        .earliest()
        .map(|at| at.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "customer_reference,card_token,initial_ref,consent_at,terms";

    fn parse(text: &str) -> (Vec<ImportRow>, Vec<ImportProblem>) {
        parse_rows(
            text,
            Currency::EUR,
            chrono_tz::Europe::Helsinki,
            NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
        )
    }

    #[test]
    fn a_good_file_is_read_with_its_optional_columns() {
        let (rows, problems) = parse(&format!(
            "{HEADER},original_amount,street,postal_code,city,country,initial_date,recurring_max\n\
             C1,tok1,PMT1,2026-05-01,I agree,12.50,Mannerheimintie 1,00100,Helsinki,FI,2026-05-01,99\n"
        ));
        assert!(problems.is_empty(), "{problems:?}");
        let row = &rows[0];
        assert_eq!(row.line, 2);
        assert_eq!(
            row.original_amount,
            Some(Money::from_minor(1250, Currency::EUR))
        );
        assert_eq!(row.address.as_ref().unwrap().city, "Helsinki");
        assert_eq!(
            row.agreement.as_ref().unwrap().max_amount,
            Some(Money::from_minor(9900, Currency::EUR)),
            "a registered limit in minor units"
        );
        assert_eq!(
            row.consent_at.to_rfc3339(),
            "2026-04-30T21:00:00+00:00",
            "a consent date is the start of that day in the merchant's zone"
        );
    }

    #[test]
    fn every_problem_of_every_row_is_named_with_its_line_and_column() {
        let (rows, problems) = parse(&format!(
            "{HEADER},recurring_min,recurring_max\n\
             C1,tok1,INIT1,2026-05-01,I agree,,\n\
             C2,,INIT2,2027-01-01,I agree,10,5\n\
             C3,tok1,INIT1,yesterday,,,\n"
        ));
        assert_eq!(rows.len(), 1, "only the first row is good: {problems:?}");
        let named: Vec<String> = problems
            .iter()
            .map(|p| format!("{} {}", p.line, p.field))
            .collect();
        for expected in [
            "3 card_token",
            "3 consent_at",
            "3 recurring_min",
            "4 terms",
            "4 consent_at",
            "4 card_token",
            "4 initial_ref",
        ] {
            assert!(
                named.iter().any(|n| n == expected),
                "{expected} among {named:?}"
            );
        }
        let duplicate = problems
            .iter()
            .find(|p| p.line == 4 && p.field == "card_token")
            .unwrap();
        assert!(duplicate.rule.contains("line 2"), "{}", duplicate.rule);
    }

    #[test]
    fn a_missing_or_unknown_column_is_refused_at_the_header() {
        let (_, problems) = parse("customer_reference,card_token,initial_ref,terms,pan\n");
        assert!(problems
            .iter()
            .any(|p| p.line == 1 && p.field == "consent_at"));
        assert!(problems.iter().any(|p| p.line == 1 && p.field == "pan"));
    }
}
