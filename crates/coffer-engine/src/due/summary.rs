//! What a due run reports: each occurrence's outcome, the notices, and the money per merchant
//! and currency (never summed across currencies).

use chrono::NaiveDate;
use coffer_core::NoticeKind;
use coffer_core::{Merchant, Money};
use serde::Serialize;

use crate::charge::ViolationView;
use crate::error::{EngineError, ErrorKind};
use crate::merchants::EnvironmentKind;
use crate::notices::NoticeSent;

/// One due occurrence and what the run did with it.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DueItem {
    /// Merchant.
    pub merchant_id: i64,
    /// Contract.
    pub contract_id: i64,
    /// Occurrence number.
    pub occurrence: u32,
    /// Due date.
    pub due: NaiveDate,
    /// Amount.
    pub amount: Money,
    /// The card.
    pub card_id: i64,
    /// What the run did with it.
    pub status: DueStatus,
    /// The try number of this attempt.
    pub try_number: Option<u32>,
    /// The ledger row.
    pub attempt_id: Option<i64>,
    /// The rules that refused it.
    pub violations: Vec<ViolationView>,
    /// Words.
    pub message: Option<String>,
    /// A decline that must never be retried.
    pub hard_decline: bool,
}

impl DueItem {
    /// The item of `occurrence` before anything is decided: failed until a step says otherwise.
    pub(super) fn of(
        merchant: &Merchant,
        occurrence: &coffer_core::contract::Occurrence,
    ) -> DueItem {
        DueItem {
            merchant_id: merchant.id.0,
            contract_id: occurrence.contract_id.0,
            occurrence: occurrence.number,
            due: occurrence.due,
            amount: occurrence.amount,
            card_id: 0,
            status: DueStatus::Failed,
            try_number: None,
            attempt_id: None,
            violations: Vec::new(),
            message: None,
            hard_decline: false,
        }
    }
}

/// What a due run did with one occurrence.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DueStatus {
    /// Charged now.
    Charged,
    /// Declined by the provider.
    Declined,
    /// Refused by a rule before anything was sent.
    Refused,
    /// Not tried in this run (already charged, made by another run, retried on a later day).
    Skipped,
    /// Refused by the provider or never sent: nothing was charged.
    Failed,
    /// Sent, and no answer proves what happened yet (or an earlier try is still unsettled).
    Unknown,
    /// Would be charged (dry run).
    WouldCharge,
}

impl DueStatus {
    /// The JSON name, for the CLI's lines.
    pub fn as_str(self) -> &'static str {
        match self {
            DueStatus::Charged => "charged",
            DueStatus::Declined => "declined",
            DueStatus::Refused => "refused",
            DueStatus::Skipped => "skipped",
            DueStatus::Failed => "failed",
            DueStatus::Unknown => "unknown",
            DueStatus::WouldCharge => "would_charge",
        }
    }
}

impl std::fmt::Display for DueStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to a notice in a due run.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeStatus {
    /// Sent.
    Sent,
    /// Would be sent (dry run).
    WouldSend,
    /// Could not be sent.
    Failed,
}

impl std::fmt::Display for NoticeStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NoticeStatus::Sent => "sent",
            NoticeStatus::WouldSend => "would_send",
            NoticeStatus::Failed => "failed",
        })
    }
}

/// A notice the run sent, or would send in a dry run.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DueNotice {
    /// Contract.
    pub contract_id: i64,
    /// Occurrence, for a pre-charge notice.
    pub occurrence: Option<u32>,
    /// confirmation | pre_charge.
    pub kind: NoticeKind,
    /// Sent, would be sent (dry run) or failed.
    pub status: NoticeStatus,
    /// Where it went.
    pub sent: Option<NoticeSent>,
    /// Why it failed.
    pub message: Option<String>,
}

/// The date a merchant was run for.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MerchantDay {
    /// Merchant.
    pub merchant_id: i64,
    /// Its local date for this run.
    pub date: NaiveDate,
}

/// What a due run did.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DueSummary {
    /// Nothing was sent or written.
    pub dry_run: bool,
    /// The merchants run and their dates.
    pub merchants: Vec<MerchantDay>,
    /// Notices sent (or due, in a dry run), and failures.
    pub notices: Vec<DueNotice>,
    /// Charged now.
    pub charged: Vec<DueItem>,
    /// Declined by the provider.
    pub declined: Vec<DueItem>,
    /// Refused by a policy rule, with the reasons.
    pub refused: Vec<DueItem>,
    /// Not tried in this run (already done, in flight elsewhere, retried later), with why.
    pub skipped: Vec<DueItem>,
    /// Failed without moving money, or with an unknown outcome.
    pub failed: Vec<DueItem>,
    /// Would be charged (dry run).
    pub would_charge: Vec<DueItem>,
    /// Contracts ended by this run (past their end date, or a stop-payment decline).
    pub contracts_ended: Vec<i64>,
    /// The money of `would_charge` (dry run) or `charged`, per merchant and currency: what the
    /// confirmation before a run shows, from the rehearsal's own plan.
    pub money: RunMoney,
}

/// How many charges of what total, per currency, on one merchant.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MerchantMoney {
    /// Merchant.
    pub merchant_id: i64,
    /// Its name.
    pub name: String,
    /// Sandbox, the provider's test environment, or live.
    pub environment_kind: EnvironmentKind,
    /// How many charges.
    pub charges: u32,
    /// Their total in each currency (a merchant charges in one; never summed across).
    pub totals: Vec<Money>,
}

/// The money of a run's charges, never summed across currencies.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunMoney {
    /// How many charges in all.
    pub charges: u32,
    /// The total per currency, in the order first met.
    pub totals: Vec<Money>,
    /// Each merchant with at least one charge, in the run's order.
    pub merchants: Vec<MerchantMoney>,
    /// The names of those that are live (real money), for the confirmation to name.
    pub live: Vec<String>,
}

impl RunMoney {
    /// The money of `items` on `merchants`. A total that overflows 64-bit minor units is an
    /// error rather than a wrong number.
    pub fn of(items: &[DueItem], merchants: &[Merchant]) -> Result<RunMoney, EngineError> {
        fn add(totals: &mut Vec<Money>, amount: Money) -> Result<(), EngineError> {
            match totals.iter_mut().find(|t| t.currency == amount.currency) {
                Some(total) => {
                    *total = total
                        .checked_add(amount)
                        .map_err(|e| EngineError::new(ErrorKind::Internal, e.to_string()))?;
                }
                None => totals.push(amount),
            }
            Ok(())
        }
        let mut money = RunMoney::default();
        for merchant in merchants {
            let mine: Vec<&DueItem> = items
                .iter()
                .filter(|i| i.merchant_id == merchant.id.0)
                .collect();
            if mine.is_empty() {
                continue;
            }
            let mut totals = Vec::new();
            for item in &mine {
                add(&mut totals, item.amount)?;
                add(&mut money.totals, item.amount)?;
            }
            let charges = u32::try_from(mine.len()).unwrap_or(u32::MAX);
            money.charges = money.charges.saturating_add(charges);
            let environment_kind = EnvironmentKind::of(merchant);
            if environment_kind == EnvironmentKind::Live {
                money.live.push(merchant.name.clone());
            }
            money.merchants.push(MerchantMoney {
                merchant_id: merchant.id.0,
                name: merchant.name.clone(),
                environment_kind,
                charges,
                totals,
            });
        }
        Ok(money)
    }

    /// One paragraph for a person: "3 charges: 1,234.00 EUR and 5.00 USD. Downtown (live):
    /// 2 charges, 1,234.00 EUR. …" (the CLI prints it; the app lays the same numbers out).
    pub fn words(&self, dry_run: bool) -> String {
        if self.charges == 0 {
            return "No charge is due.".into();
        }
        let list = |totals: &[Money]| {
            totals
                .iter()
                .map(Money::grouped)
                .collect::<Vec<_>>()
                .join(" and ")
        };
        let plural = |n: u32| if n == 1 { "charge" } else { "charges" };
        let mut text = format!(
            "{} {} {}: {}.",
            self.charges,
            plural(self.charges),
            if dry_run { "would be made" } else { "made" },
            list(&self.totals)
        );
        for m in &self.merchants {
            text.push_str(&format!(
                "\n  {} ({}): {} {}, {}",
                m.name,
                m.environment_kind.as_str(),
                m.charges,
                plural(m.charges),
                list(&m.totals)
            ));
        }
        if !self.live.is_empty() {
            text.push_str(&format!("\nLIVE, real money: {}.", self.live.join(", ")));
        }
        text
    }
}

impl DueSummary {
    /// Takes in `other`'s merchants, notices and items after this one's.
    pub(super) fn extend(&mut self, other: DueSummary) {
        self.merchants.extend(other.merchants);
        self.notices.extend(other.notices);
        self.charged.extend(other.charged);
        self.declined.extend(other.declined);
        self.refused.extend(other.refused);
        self.skipped.extend(other.skipped);
        self.failed.extend(other.failed);
        self.would_charge.extend(other.would_charge);
        self.contracts_ended.extend(other.contracts_ended);
    }

    pub(super) fn add(&mut self, item: DueItem) {
        let list = match item.status {
            DueStatus::Charged => &mut self.charged,
            DueStatus::Declined => &mut self.declined,
            DueStatus::Refused => &mut self.refused,
            DueStatus::Skipped => &mut self.skipped,
            DueStatus::WouldCharge => &mut self.would_charge,
            DueStatus::Failed | DueStatus::Unknown => &mut self.failed,
        };
        list.push(item);
    }
}
