//! One file per rule, each with the tests of its pass and fail sides. Every `check` has the
//! signature of [`super::RuleCheck`] and is listed in [`super::RULES`].

pub mod amount_valid;
pub mod assist_bounds;
pub mod assist_recurring_initial;
pub mod card_of_merchant;
pub mod card_usable;
pub mod consent_and_initial;
pub mod contract_active;
pub mod contract_amount;
pub mod network_retry_limits;
pub mod no_retry_after_hard_decline;
pub mod no_unsettled_attempt;
pub mod notice_sent;
pub mod svea_buyer_address;
pub mod svea_monthly;
pub mod terms_consented;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use crate::card::Card;
use crate::schedule::due_instant;

/// The first instant of `date` in the merchant's zone: when a date-based refusal lifts.
fn start_of_day(date: NaiveDate, zone: Tz) -> DateTime<Utc> {
    due_instant(date, zone, NaiveTime::MIN)
}

/// "card ending 4242", the way an owner recognises a card.
fn card_label(card: &Card) -> String {
    card.label()
}
