//! What one import row becomes once Coffer's records and the provider have been asked: a plan
//! to write, or the row's problems. Only reads; nothing here saves.

use coffer_core::{
    Address, Bin, Card, CardExpiry, CardId, Customer, InitialKind, InitialTransaction, Last4,
    RegisteredSeries,
};
use coffer_providers::{
    CardOnFile, InitialRef, InitialSeen, Match, Provider, RecurringAgreement, RemoteCard, Seen,
};
use coffer_store::cards::CardFields;

use super::rows::ImportRow;
use super::ImportProblem;
use crate::error::EngineResult;

/// What Coffer's records hold for a row: the customer by its reference, and the card by its
/// token (of any customer of the merchant).
#[derive(Debug, Clone, Default)]
pub(crate) struct Known {
    pub customer: Option<Customer>,
    pub card: Option<Card>,
}

/// Where the imported card's row comes from.
#[derive(Debug, Clone)]
pub(crate) enum CardSource {
    /// Already in Coffer's records.
    Cached(CardId),
    /// New to Coffer: the display fields the provider showed.
    Fresh(CardFields),
}

/// A row confirmed as far as the provider lets us look, ready to write.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub row: ImportRow,
    pub customer: Customer,
    pub card: CardSource,
    pub initial: InitialTransaction,
    /// The buyer's address to record on the customer (it had none).
    pub address: Option<Address>,
    /// What the provider could not confirm and is taken as the file gives it.
    pub taken_as_given: Vec<String>,
}

/// What checking one row found.
#[derive(Debug)]
pub(crate) struct Checked {
    /// The plan, or the row's problems.
    pub outcome: Result<Plan, Vec<ImportProblem>>,
    /// A card new to the row's customer that the provider showed (line, customer, fields):
    /// Coffer may hold it for another customer, which only the records can tell.
    pub fresh: Option<(u64, coffer_core::CustomerRef, CardFields)>,
}

/// Checks one row against the records and the provider. A provider that cannot answer
/// (unreachable, refused credentials) stops the whole import: the outer `Err`.
pub(crate) async fn confirm(
    provider: &dyn Provider,
    label: &str,
    needs_address: bool,
    registers_series: bool,
    row: ImportRow,
    known: Known,
) -> EngineResult<Checked> {
    let fail = |problems| {
        Ok(Checked {
            outcome: Err(problems),
            fresh: None,
        })
    };
    let line = row.line;
    let mut problems = Vec::new();
    let mut problem =
        |field: &str, rule: String| problems.push(ImportProblem::new(line, field, rule));
    let Some(customer) = known.customer else {
        problem(
            "customer_reference",
            format!(
                "Coffer has no customer '{}' for this merchant: sync the merchant first (or add \
                 the customer to the register where Coffer keeps it)",
                row.customer
            ),
        );
        return fail(problems);
    };
    if let Some(card) = &known.card {
        if card.customer_id != customer.id {
            problem(
                "card_token",
                format!(
                    "Coffer holds this card for another customer (id {}), not '{}'",
                    card.customer_id, row.customer
                ),
            );
            return fail(problems);
        }
        if mit_ready(card) {
            problem(
                "card_token",
                format!(
                    "card {} is already MIT-ready (consent and initial {} recorded): nothing to \
                     import",
                    card.id,
                    card.initial.as_ref().map_or("?", |i| i.reference.as_str())
                ),
            );
            return fail(problems);
        }
    }
    let mut address = None;
    match (&row.address, &customer.address) {
        (Some(given), Some(held)) if given != held => problem(
            "street",
            format!(
                "the address '{given}' differs from the one Coffer holds for customer '{}' \
                 ('{held}'); change the customer's address first if it moved",
                row.customer
            ),
        ),
        (Some(given), None) => address = Some(given.clone()),
        (None, None) if needs_address => problem(
            "street",
            format!(
                "{label} sends the buyer's address in every payment and customer '{}' has none \
                 on record: give street, postal_code, city and country",
                row.customer
            ),
        ),
        _ => {}
    }
    let mut taken_as_given = Vec::new();
    let on_file = provider
        .check_card_on_file(&row.customer, &row.token)
        .await?;
    let mut card_seen: Option<RemoteCard> = None;
    match on_file {
        CardOnFile::Found(card) => {
            if card.method != coffer_providers::StoredMethod::Card {
                problem(
                    "card_token",
                    format!(
                        "{label} keeps '{}' as a payment method that is not a card",
                        row.token
                    ),
                );
            } else if !card.active {
                problem(
                    "card_token",
                    format!("{label} shows the card '{}' as no longer usable", row.token),
                );
            }
            card_seen = Some(card);
        }
        CardOnFile::OtherCustomer { customer: other } => problem(
            "card_token",
            format!(
                "{label} keeps the card '{}' for another customer{}, not '{}'",
                row.token,
                other.map(|c| format!(" ('{c}')")).unwrap_or_default(),
                row.customer
            ),
        ),
        CardOnFile::NotFound => problem(
            "card_token",
            format!(
                "{label} keeps no card '{}' for customer '{}'",
                row.token, row.customer
            ),
        ),
        CardOnFile::NoSuchCustomer => problem(
            "customer_reference",
            format!("{label} knows no customer '{}'", row.customer),
        ),
        CardOnFile::CannotLook { reason } => taken_as_given.push(format!("the card: {reason}")),
    }
    let asked = InitialRef {
        customer: row.customer.clone(),
        card_token: row.token.clone(),
        reference: row.initial_ref.clone(),
        date: row.initial_date,
        amount: row.original_amount,
    };
    let mut initial = None;
    match provider.check_initial(&asked).await? {
        InitialSeen::Succeeded(found) => {
            if let Match::Different(shown) = &found.card {
                problem(
                    "initial_ref",
                    format!(
                        "{label} shows the initial '{}' made with another card ({shown}), not '{}'",
                        row.initial_ref, row.token
                    ),
                );
            }
            if let Match::Different(shown) = &found.customer {
                problem(
                    "initial_ref",
                    format!(
                        "{label} shows the initial '{}' made for another customer ({shown}), not \
                         '{}'",
                        row.initial_ref, row.customer
                    ),
                );
            }
            if let (Some(given), Seen::Shown(shown)) = (row.original_amount, &found.amount) {
                if given != *shown {
                    problem(
                        "original_amount",
                        format!(
                            "is {given} but {label} recorded {shown} for the initial '{}'",
                            row.initial_ref
                        ),
                    );
                }
            }
            if let (Some(given), Seen::Shown(shown)) = (&row.agreement, &found.agreement) {
                for (field, differs) in [
                    (
                        "recurring_min",
                        given.min_amount.is_some() && given.min_amount != shown.min_amount,
                    ),
                    (
                        "recurring_max",
                        given.max_amount.is_some() && given.max_amount != shown.max_amount,
                    ),
                    (
                        "recurring_period",
                        given.period_days.is_some() && given.period_days != shown.period_days,
                    ),
                    (
                        "recurring_max_date",
                        given.end_date.is_some() && given.end_date != shown.end_date,
                    ),
                ] {
                    if differs {
                        problem(
                            field,
                            format!(
                                "differs from the series {label} registered with the initial '{}'",
                                row.initial_ref
                            ),
                        );
                    }
                }
            }
            if matches!(found.card, Match::NotShown) {
                taken_as_given.push("that the initial used this card".to_string());
            }
            if matches!(found.customer, Match::NotShown) {
                taken_as_given.push("that the initial was this customer's".to_string());
            }
            let day = found.date.shown().copied().or(row.initial_date);
            if card_seen.is_none() {
                card_seen = found.card_seen.clone();
            }
            initial = Some(InitialTransaction {
                reference: found.reference.clone(),
                amount: row.original_amount.or(found.amount.shown().copied()),
                at: day
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map_or(row.consent_at, |d| d.and_utc()),
                kind: InitialKind::Recurring,
                registered: series(row.agreement.as_ref(), found.agreement.shown()),
            });
        }
        InitialSeen::Failed { code, message } => problem(
            "initial_ref",
            format!(
                "{label} shows the initial '{}' as not successful ({}{}): only a succeeded \
                 initial links merchant-initiated charges",
                row.initial_ref,
                code.unwrap_or_else(|| "no code".into()),
                message.map(|m| format!(": {m}")).unwrap_or_default()
            ),
        ),
        InitialSeen::Pending => problem(
            "initial_ref",
            format!(
                "{label} has not decided the initial '{}' yet: import it once it succeeded",
                row.initial_ref
            ),
        ),
        InitialSeen::NotFound => problem(
            "initial_ref",
            format!(
                "{label} has no transaction '{}'{}",
                row.initial_ref,
                row.initial_date
                    .map(|d| format!(" around {d} (initial_date)"))
                    .unwrap_or_default()
            ),
        ),
        InitialSeen::CannotLook { reason } => {
            taken_as_given.push(format!("the initial: {reason}"));
            initial = Some(InitialTransaction {
                reference: row.initial_ref.clone(),
                amount: row.original_amount,
                at: row
                    .initial_date
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map_or(row.consent_at, |d| d.and_utc()),
                kind: InitialKind::Recurring,
                registered: series(row.agreement.as_ref(), None),
            });
        }
    }
    if registers_series {
        let registered = initial
            .as_ref()
            .and_then(|i| i.registered.clone())
            .unwrap_or_default();
        for (field, missing) in [
            ("recurring_min", registered.min_amount.is_none()),
            ("recurring_max", registered.max_amount.is_none()),
            ("recurring_period", registered.period_days.is_none()),
            ("recurring_max_date", registered.end.is_none()),
        ] {
            if missing && initial.is_some() {
                problem(
                    field,
                    format!(
                        "{label} registers the series' limits with a recurring initial and \
                         declines later charges outside them: give what the initial '{}' \
                         registered",
                        row.initial_ref
                    ),
                );
            }
        }
    }
    let card = match (&known.card, &card_seen) {
        (Some(card), _) => Some(CardSource::Cached(card.id)),
        (None, Some(seen)) => match fields(seen) {
            Ok(f) => Some(CardSource::Fresh(f)),
            Err(e) => {
                problem(
                    "card_token",
                    format!("{label}'s card fields cannot be kept: {e}"),
                );
                None
            }
        },
        (None, None) => {
            problem(
                "card_token",
                format!(
                    "Coffer has no card '{}' and {label} shows none to take in: sync the \
                     merchant first",
                    row.token
                ),
            );
            None
        }
    };
    let fresh = match &card {
        Some(CardSource::Fresh(fields)) => Some((line, row.customer.clone(), fields.clone())),
        _ => None,
    };
    let outcome = match (card, initial) {
        (Some(card), Some(initial)) if problems.is_empty() => Ok(Plan {
            row,
            customer,
            card,
            initial,
            address,
            taken_as_given,
        }),
        _ => Err(problems),
    };
    Ok(Checked { outcome, fresh })
}

/// Consent and an initial that links merchant-initiated charges are both recorded.
pub(crate) fn mit_ready(card: &Card) -> bool {
    card.consent.is_some()
        && card
            .initial
            .as_ref()
            .is_some_and(|i| i.kind == InitialKind::Recurring)
}

fn fields(remote: &RemoteCard) -> Result<CardFields, coffer_core::InvalidInput> {
    Ok(CardFields {
        token: remote.token.clone(),
        brand: remote.brand.clone(),
        last4: Last4::new(&remote.last4)?,
        bin: remote.bin.as_deref().map(Bin::new).transpose()?,
        bank: remote.bank.clone(),
        expiry: CardExpiry::new(remote.expiry.year, remote.expiry.month)?,
        active: remote.active,
        needs_cvc: remote.needs_cvc,
        art_url: remote.art_url.clone(),
    })
}

/// The series the initial registered: what the provider shows, else what the file gives.
fn series(
    given: Option<&RecurringAgreement>,
    shown: Option<&RecurringAgreement>,
) -> Option<RegisteredSeries> {
    let pick = |f: &dyn Fn(&RecurringAgreement) -> bool| shown.filter(|s| f(s)).or(given);
    let series = RegisteredSeries {
        min_amount: pick(&|s| s.min_amount.is_some()).and_then(|a| a.min_amount),
        max_amount: pick(&|s| s.max_amount.is_some()).and_then(|a| a.max_amount),
        period_days: pick(&|s| s.period_days.is_some()).and_then(|a| a.period_days),
        end: pick(&|s| s.end_date.is_some()).and_then(|a| a.end_date),
    };
    (series != RegisteredSeries::default()).then_some(series)
}
