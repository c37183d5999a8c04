//! The dashboard's figures for one merchant, a group or all: revenue by calendar month (recurring
//! and manual charges, refunds), declines by month, what the contracts will charge in the coming
//! days, and cards expiring per month.
//!
//! Months are counted in each charge's merchant's time zone, like every calendar rule in Coffer.
//! Amounts stay per currency: a group of locations may charge in several, and adding euros to
//! kronor would be a lie.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use coffer_core::clock::local_date;
use coffer_core::contract::ContractStatus;
use coffer_core::{AttemptKind, CardExpiry, ChargeState};
use coffer_store::contracts::ContractFilter;
use serde::Serialize;

use crate::error::EngineResult;
use crate::scope::Scope;
use crate::Engine;

/// Months of history the revenue and decline charts show, the current one included.
pub const HISTORY_MONTHS: u32 = 12;
/// Days ahead the upcoming chart shows.
pub const UPCOMING_DAYS: u32 = 30;
/// Months ahead the expiry chart shows, the current one included.
pub const EXPIRY_MONTHS: u32 = 12;

/// Money moved in one month and currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MonthRevenue {
    /// "YYYY-MM".
    pub month: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Succeeded charges of recurring contracts, in minor units.
    pub recurring_minor: i64,
    /// Succeeded manual (unscheduled) charges, in minor units.
    pub manual_minor: i64,
    /// Succeeded refunds, in minor units.
    pub refunded_minor: i64,
}

/// Declined charges in one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MonthDeclines {
    /// "YYYY-MM".
    pub month: String,
    /// Soft declines (may be retried).
    pub soft: u64,
    /// Hard declines (never retried).
    pub hard: u64,
}

/// What the contracts will charge on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DayUpcoming {
    /// The due date.
    pub date: NaiveDate,
    /// ISO 4217 code.
    pub currency: String,
    /// Charges due.
    pub charges: u64,
    /// Their sum, in minor units.
    pub amount_minor: i64,
}

/// Active cards expiring in one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MonthExpiring {
    /// "YYYY-MM".
    pub month: String,
    /// Cards.
    pub cards: u64,
}

/// Everything the dashboard shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DashboardView {
    /// The months of the revenue and decline charts, oldest first ("YYYY-MM").
    pub months: Vec<String>,
    /// Revenue per month and currency (months without any left out).
    pub revenue: Vec<MonthRevenue>,
    /// Declines per month, one entry for each of `months`.
    pub declines: Vec<MonthDeclines>,
    /// Upcoming charges per day and currency over the next days.
    pub upcoming: Vec<DayUpcoming>,
    /// Active cards expiring per month, one entry per month from this one on.
    pub expiring: Vec<MonthExpiring>,
    /// Active cards already expired: on file, but no longer chargeable.
    pub expired_on_file: u64,
    /// Active contracts.
    pub active_contracts: u64,
    /// Charges whose outcome is still unknown (left for reconcile).
    pub unsettled: u64,
    /// The currencies the locations in scope are configured to charge in, by code: what "these
    /// locations charge in N currencies" counts, whether or not each has charged yet.
    pub currencies: Vec<String>,
}

fn month_key(date: NaiveDate) -> String {
    format!("{:04}-{:02}", date.year(), date.month())
}

/// The `count` months ending with `last`'s, oldest first.
fn months_ending(last: NaiveDate, count: u32) -> Vec<String> {
    let first_of = last.with_day(1).unwrap_or(last);
    (0..count)
        .rev()
        .filter_map(|back| first_of.checked_sub_months(Months::new(back)))
        .map(month_key)
        .collect()
}

impl Engine {
    /// The dashboard of `merchants` (all when empty).
    pub async fn dashboard(&self, scope: impl Into<Scope>) -> EngineResult<DashboardView> {
        let merchants = self.resolve_scope(scope).await?;
        let now = self.now();
        let today = now.date_naive();
        let months = months_ending(today, HISTORY_MONTHS);
        let since_day = today
            .with_day(1)
            .and_then(|d| d.checked_sub_months(Months::new(HISTORY_MONTHS - 1)))
            .unwrap_or(today);
        // A day early: a charge late on the 31st in UTC may be the 1st where the merchant is.
        let since = since_day
            .pred_opt()
            .unwrap_or(since_day)
            .and_time(chrono::NaiveTime::MIN)
            .and_utc();
        let upcoming = self
            .upcoming_charges(merchants.clone(), UPCOMING_DAYS)
            .await?;
        let scope = merchants.clone();
        let mut view = self
            .read_store(move |store| {
                let live = store.merchants()?;
                let zones: BTreeMap<i64, chrono_tz::Tz> =
                    live.iter().map(|m| (m.id.0, m.time_zone)).collect();
                let currencies: Vec<String> = live
                    .iter()
                    .filter(|m| scope.is_empty() || scope.contains(&m.id))
                    .map(|m| m.currency.code().to_string())
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let mut revenue: BTreeMap<(String, String), MonthRevenue> = BTreeMap::new();
                let mut declines: BTreeMap<String, MonthDeclines> = months
                    .iter()
                    .map(|m| {
                        (
                            m.clone(),
                            MonthDeclines {
                                month: m.clone(),
                                soft: 0,
                                hard: 0,
                            },
                        )
                    })
                    .collect();
                let mut unsettled = 0;
                for attempt in store.attempts_since(&scope, since)? {
                    let zone = zones
                        .get(&attempt.merchant_id.0)
                        .copied()
                        .unwrap_or(chrono_tz::UTC);
                    let month = month_key(local_date(attempt.created_at, zone));
                    if !months.contains(&month) {
                        continue;
                    }
                    match attempt.state {
                        // A refund awaiting the merchant's transfer is taken: it counts refunded.
                        ChargeState::Succeeded | ChargeState::AwaitingTransfer => {
                            let currency = attempt.amount.currency.code().to_string();
                            let entry = revenue
                                .entry((month.clone(), currency.clone()))
                                .or_insert_with(|| MonthRevenue {
                                    month: month.clone(),
                                    currency,
                                    recurring_minor: 0,
                                    manual_minor: 0,
                                    refunded_minor: 0,
                                });
                            let minor = attempt.amount.minor;
                            match (attempt.kind, attempt.contract_id) {
                                (AttemptKind::Refund, _) => entry.refunded_minor += minor,
                                (AttemptKind::Charge, Some(_)) => entry.recurring_minor += minor,
                                (AttemptKind::Charge, None) => entry.manual_minor += minor,
                            }
                        }
                        ChargeState::Declined => {
                            if let Some(entry) = declines.get_mut(&month) {
                                if attempt.hard_decline {
                                    entry.hard += 1;
                                } else {
                                    entry.soft += 1;
                                }
                            }
                        }
                        ChargeState::Planned | ChargeState::Sending => unsettled += 1,
                        ChargeState::Failed => {}
                    }
                }
                let this_month = CardExpiry::of_date(today);
                let last_month = CardExpiry::of_date(
                    today
                        .with_day(1)
                        .and_then(|d| d.checked_add_months(Months::new(EXPIRY_MONTHS - 1)))
                        .unwrap_or(today),
                );
                let counts: BTreeMap<String, u64> = store
                    .cards_expiring_by_month(&scope, this_month, last_month)?
                    .into_iter()
                    .map(|(expiry, cards)| (month_key(expiry.month_start()), cards))
                    .collect();
                let expiring = (0..EXPIRY_MONTHS)
                    .filter_map(|ahead| {
                        this_month
                            .month_start()
                            .checked_add_months(Months::new(ahead))
                    })
                    .map(month_key)
                    .map(|month| MonthExpiring {
                        cards: counts.get(&month).copied().unwrap_or(0),
                        month,
                    })
                    .collect();
                let active_contracts = store
                    .contracts(&ContractFilter {
                        merchants: scope.clone(),
                        card: None,
                        status: Some(ContractStatus::Active),
                    })?
                    .len() as u64;
                Ok(DashboardView {
                    months,
                    revenue: revenue.into_values().collect(),
                    declines: declines.into_values().collect(),
                    upcoming: Vec::new(),
                    expiring,
                    expired_on_file: store.active_cards_expired_before(&scope, this_month)?,
                    active_contracts,
                    unsettled,
                    currencies,
                })
            })
            .await?;
        let mut days: BTreeMap<(NaiveDate, String), DayUpcoming> = BTreeMap::new();
        for charge in upcoming.iter().filter(|c| !c.overdue) {
            let currency = charge.amount.currency.code().to_string();
            let day = days
                .entry((charge.due, currency.clone()))
                .or_insert_with(|| DayUpcoming {
                    date: charge.due,
                    currency,
                    charges: 0,
                    amount_minor: 0,
                });
            day.charges += 1;
            day.amount_minor = day.amount_minor.saturating_add(charge.amount.minor);
        }
        view.upcoming = days.into_values().collect();
        Ok(view)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_window_ends_with_this_month_and_crosses_the_year() {
        let today = NaiveDate::from_ymd_opt(2026, 2, 14).unwrap();
        let months = months_ending(today, 4);
        assert_eq!(
            months,
            vec!["2025-11", "2025-12", "2026-01", "2026-02"],
            "oldest first, the current month last"
        );
    }
}
