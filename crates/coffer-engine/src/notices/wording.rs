//! The words of each notice, apart from how it goes out: the text and HTML a cardholder reads
//! for a confirmation, a pre-charge notice, a cancellation, a change of terms and a cancelled
//! charge.

use chrono::NaiveDate;
use coffer_core::contract::{AmountRule, Contract, Frequency, Occurrence};
use coffer_core::{Card, Customer, Merchant, PaymentMethod};

/// A rendered notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeContent {
    /// Subject line.
    pub subject: String,
    /// Plain text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn long_date(date: NaiveDate) -> String {
    format!("{} ({date})", date.format("%-d %B %Y"))
}

/// How often, in words.
pub fn frequency_words(frequency: Frequency) -> String {
    match frequency {
        Frequency::Monthly { day } => {
            format!("every month on day {day} (on the last day of shorter months)")
        }
        Frequency::Yearly { month, day } => {
            let name = NaiveDate::from_ymd_opt(2000, month, 1)
                .map(|d| d.format("%B").to_string())
                .unwrap_or_else(|| format!("month {month}"));
            format!("every year on {day} {name}")
        }
        Frequency::EveryDays { days: 1 } => "every day".into(),
        Frequency::EveryDays { days } => format!("every {days} days"),
    }
}

/// The amount clause: how much, and whether it is fixed or may vary.
pub fn amount_words(amount: &AmountRule) -> String {
    match amount {
        AmountRule::Fixed { amount } => {
            format!("{amount}; the amount is fixed: the same amount every time")
        }
        AmountRule::Variable {
            min: Some(min),
            max,
        } => format!(
            "between {min} and {max}; the amount may vary from charge to charge, never above {max}"
        ),
        AmountRule::Variable { min: None, max } => {
            format!("up to {max}; the amount may vary from charge to charge, never above {max}")
        }
    }
}

fn validity_words(contract: &Contract) -> String {
    match contract.end {
        Some(end) => format!(
            "from {} until {}",
            long_date(contract.start),
            long_date(end)
        ),
        None => format!(
            "from {} until you or the merchant cancel it",
            long_date(contract.start)
        ),
    }
}

fn card_words(card: &Card) -> String {
    match &card.method {
        PaymentMethod::Card => format!("{} ending {}", card.brand, card.last4.as_str()),
        PaymentMethod::Apm { name, .. } => format!("{name} account"),
    }
}

fn render(subject: String, greeting: &str, paragraphs: &[String]) -> NoticeContent {
    let mut text = format!("{greeting}\n\n");
    let mut html = format!("<!DOCTYPE html><html><body><p>{}</p>", escape(greeting));
    for p in paragraphs {
        text.push_str(p);
        text.push_str("\n\n");
        html.push_str(&format!("<p>{}</p>", escape(p).replace('\n', "<br>")));
    }
    html.push_str("</body></html>");
    NoticeContent {
        subject,
        text,
        html,
    }
}

/// The contract confirmation: what the cardholder agreed to.
pub fn confirmation(
    contract: &Contract,
    merchant: &Merchant,
    customer: &Customer,
    card: &Card,
) -> NoticeContent {
    let card = card_words(card);
    render(
        format!("Confirmation: recurring charging of card {card} by {}", merchant.name),
        &format!("Dear {},", customer.name),
        &[
            format!(
                "This confirms your agreement with {} to the recurring charging of card {card} (contract {}).",
                merchant.name, contract.id
            ),
            format!(
                "Amount to be charged: {}\nHow often: {}\nContract valid: {}",
                amount_words(&contract.amount),
                frequency_words(contract.frequency),
                validity_words(contract)
            ),
            format!(
                "Before every charge you will receive a notice with its amount and date, at least {} days in advance. You may cancel an upcoming charge, the whole agreement, or a charge already made by contacting {}.",
                merchant.notice_lead_days, merchant.name
            ),
        ],
    )
}

/// The notice before one charge: its amount and date.
pub fn pre_charge(
    contract: &Contract,
    occurrence: &Occurrence,
    merchant: &Merchant,
    customer: &Customer,
    card: &Card,
) -> NoticeContent {
    let card = card_words(card);
    render(
        format!(
            "Upcoming charge of {} on {} (recurring charging of card {card})",
            occurrence.amount, occurrence.due
        ),
        &format!("Dear {},", customer.name),
        &[
            format!(
                "On {} {} will charge {} to your card {card}, under your agreement for the recurring charging of card {card} (contract {}, charge {}).",
                long_date(occurrence.due),
                merchant.name,
                occurrence.amount,
                contract.id,
                occurrence.number
            ),
            format!(
                "Amount: {}\nDate: {}\nHow often: {}\nContract valid: {}",
                occurrence.amount,
                occurrence.due,
                frequency_words(contract.frequency),
                validity_words(contract)
            ),
            format!(
                "If you do not want this charge, or want to end the agreement, contact {} before {}.",
                merchant.name,
                long_date(occurrence.due)
            ),
        ],
    )
}

/// Confirmation that the contract was cancelled: no charge after it.
pub fn cancellation(
    contract: &Contract,
    merchant: &Merchant,
    customer: &Customer,
    card: &Card,
    on: NaiveDate,
) -> NoticeContent {
    let card = card_words(card);
    render(
        format!("Cancelled: recurring charging of card {card} by {}", merchant.name),
        &format!("Dear {},", customer.name),
        &[format!(
            "Your agreement with {} for the recurring charging of card {card} (contract {}) was cancelled on {}. No further charges will be made under it.",
            merchant.name,
            contract.id,
            long_date(on)
        )],
    )
}

/// Why a card's agreements end without the cardholder asking: the merchant stopped using the
/// card, or deleted it at the provider too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardGone {
    /// The merchant no longer charges it; it stays saved at the provider.
    Stopped,
    /// The merchant deleted the saved card at the provider.
    Deleted,
}

/// The notice that a contract ended because the merchant no longer uses the card it was
/// charged to: no charge after it, and what that means for the saved card.
pub fn card_no_longer_used(
    contract: &Contract,
    merchant: &Merchant,
    customer: &Customer,
    card: &Card,
    on: NaiveDate,
    why: CardGone,
) -> NoticeContent {
    let card = card_words(card);
    let what = match why {
        CardGone::Stopped => format!(
            "{} no longer uses your card {card} for recurring charges",
            merchant.name
        ),
        CardGone::Deleted => format!(
            "{} removed your saved card {card}: it was deleted from the payment provider's records",
            merchant.name
        ),
    };
    render(
        format!("Ended: recurring charging of card {card} by {}", merchant.name),
        &format!("Dear {},", customer.name),
        &[
            format!(
                "On {}, {what}. Your agreement for the recurring charging of card {card} (contract {}) has therefore ended. No further charges will be made under it.",
                long_date(on),
                contract.id
            ),
            format!(
                "If you want the agreement to continue with another card, contact {}.",
                merchant.name
            ),
        ],
    )
}

/// The notice of a change of terms: what changed (before and after), from which charge it
/// applies, what still has to happen before a higher amount is charged, and how to cancel.
#[allow(clippy::too_many_arguments)]
pub fn terms_change(
    contract: &Contract,
    merchant: &Merchant,
    customer: &Customer,
    card: &Card,
    changes: &[(String, String, String)],
    from: Option<(u32, NaiveDate)>,
    waits_for: Option<&str>,
    on: NaiveDate,
) -> NoticeContent {
    let card = card_words(card);
    let list = changes
        .iter()
        .map(|(term, before, after)| format!("{term}: {before} -> {after}"))
        .collect::<Vec<_>>()
        .join("\n");
    let when = match from {
        Some((number, due)) => format!(
            "The new terms apply from charge {number} on {}, which you will be told of again at \
             least {} days before it is made. Charges announced to you before this change are \
             made as announced or not at all.",
            long_date(due),
            merchant.notice_lead_days
        ),
        None => "No further charge is scheduled under the agreement.".to_string(),
    };
    let mut paragraphs = vec![
        format!(
            "On {} {} changed the terms of your agreement for the recurring charging of card {card} (contract {}):",
            long_date(on),
            merchant.name,
            contract.id
        ),
        list,
        when,
    ];
    if let Some(waits_for) = waits_for {
        paragraphs.push(waits_for.to_string());
    }
    paragraphs.push(format!(
        "Amount to be charged from then on: {}\nHow often: {}\nContract valid: {}",
        amount_words(&contract.amount),
        frequency_words(contract.frequency),
        validity_words(contract)
    ));
    paragraphs.push(format!(
        "If you do not agree, you may cancel the agreement or any upcoming charge by contacting {} before the charge date. Nothing is charged under the new terms before that date.",
        merchant.name
    ));
    render(
        format!(
            "Change of terms: recurring charging of card {card} by {}",
            merchant.name
        ),
        &format!("Dear {},", customer.name),
        &paragraphs,
    )
}

/// The notice that an announced charge will not be made (skipped, the contract paused, or its
/// terms changed).
pub fn charge_cancelled(
    contract: &Contract,
    occurrence: &Occurrence,
    merchant: &Merchant,
    customer: &Customer,
    card: &Card,
    why: &str,
) -> NoticeContent {
    let card = card_words(card);
    render(
        format!(
            "Cancelled: the charge of {} on {} (recurring charging of card {card})",
            occurrence.amount, occurrence.due
        ),
        &format!("Dear {},", customer.name),
        &[
            format!(
                "The charge of {} to your card {card} announced for {} (contract {}, charge {}) will not be made: {why}.",
                occurrence.amount,
                long_date(occurrence.due),
                contract.id,
                occurrence.number
            ),
            format!(
                "Before any later charge you will receive a notice with its amount and date, at least {} days in advance. Questions: contact {}.",
                merchant.notice_lead_days, merchant.name
            ),
        ],
    )
}

/// The link a cardholder elsewhere follows to save a card on the provider's own page: who asks,
/// what for, the consent they accept by completing it, and until when the link works.
pub fn enrollment_link(
    merchant: &Merchant,
    name: &str,
    page: &str,
    initial: &str,
    terms: &str,
    until: chrono::DateTime<chrono::Utc>,
) -> NoticeContent {
    let greeting = if name.trim().is_empty() {
        "Hello,".to_string()
    } else {
        format!("Dear {name},")
    };
    render(
        format!("{}: save your card for agreed charges", merchant.name),
        &greeting,
        &[
            format!(
                "{} asks you to save a card for the charges you agreed to. Open the payment provider's secure page below and enter your card there: {} never sees your card number.",
                merchant.name, merchant.name
            ),
            page.to_string(),
            format!("The first payment on that page: {initial}."),
            format!("By completing the page you accept these terms:\n{terms}"),
            format!(
                "The link works until {}. If you did not expect this message, ignore it: nothing is charged unless you complete the page.",
                until.format("%-d %B %Y, %H:%M UTC")
            ),
        ],
    )
}
