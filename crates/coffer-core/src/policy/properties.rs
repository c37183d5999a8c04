//! Properties of `check` over generated plans and histories: pure, total, refusing what must
//! be refused whatever else is true, never lifted by more declines, and naming an
//! `allowed_after` only in the future.

use chrono::{Days, Duration};
use proptest::prelude::*;

use super::fixtures::{attempt, now, plan, soft_decline};
use super::history::{History, PastAttempt};
use super::{check, RuleId};
use crate::card::CardExpiry;
use crate::charge::{ChargePlan, ChargeState, Trigger};
use crate::merchant::ProviderKind;
use crate::money::Money;
use crate::stored_credential::Initiator;

/// What a generated case changes in the clean fixture plan.
#[derive(Debug, Clone)]
struct Twist {
    provider: usize,
    amount: i64,
    days_late: i64,
    expiry_months: i32,
    consent: bool,
    initial: bool,
    active: bool,
    manual: bool,
    notice: bool,
}

fn twist() -> impl Strategy<Value = Twist> {
    (
        0..ProviderKind::ALL.len(),
        prop_oneof![
            Just(1000i64),
            1i64..5_000,
            Just(0i64),
            -5_000i64..0,
            Just(i64::MAX),
            Just(i64::MIN)
        ],
        -40i64..40,
        -24i32..60,
        prop::bool::weighted(0.8),
        prop::bool::weighted(0.8),
        prop::bool::weighted(0.9),
        any::<bool>(),
        prop::bool::weighted(0.8),
    )
        .prop_map(
            |(
                provider,
                amount,
                days_late,
                expiry_months,
                consent,
                initial,
                active,
                manual,
                notice,
            )| {
                Twist {
                    provider,
                    amount,
                    days_late,
                    expiry_months,
                    consent,
                    initial,
                    active,
                    manual,
                    notice,
                }
            },
        )
}

fn planned(t: &Twist) -> ChargePlan {
    let provider = ProviderKind::ALL[t.provider];
    let mut p = if t.manual {
        super::fixtures::manual_plan(provider)
    } else {
        plan(provider)
    };
    p.amount = Money::from_minor(t.amount, p.amount.currency);
    let shifted = if t.days_late >= 0 {
        p.charge_date
            .checked_add_days(Days::new(t.days_late as u64))
    } else {
        p.charge_date
            .checked_sub_days(Days::new(t.days_late.unsigned_abs()))
    };
    p.charge_date = shifted.unwrap_or(p.charge_date);
    let months = 2026 * 12 + 10 + t.expiry_months; // around November 2026
    if let Ok(expiry) = CardExpiry::new(months.div_euclid(12), months.rem_euclid(12) as u32 + 1) {
        p.card.expiry = expiry;
    }
    if !t.consent {
        p.card.consent = None;
    }
    if !t.initial {
        p.card.initial = None;
        p.credential.initial_ref = None;
    }
    p.card.active = t.active;
    if let Some(contract) = p.contract.as_mut() {
        if !t.notice {
            contract.notice = None;
            contract.occurrence.notice_sent_at = None;
        }
    }
    p
}

/// Earlier attempts of the card: (hours ago, state, hard decline, initiator is merchant).
fn history() -> impl Strategy<Value = Vec<(i64, u8, bool, bool)>> {
    prop::collection::vec(
        (
            0i64..24 * 40,
            0u8..5,
            prop::bool::weighted(0.1),
            any::<bool>(),
        ),
        0..30,
    )
}

fn built(p: &ChargePlan, raw: &[(i64, u8, bool, bool)]) -> History {
    History::new(
        raw.iter()
            .map(|(hours, state, hard, merchant)| {
                let at = now() - Duration::hours(*hours);
                let initiator = if *merchant {
                    Initiator::Merchant
                } else {
                    Initiator::Cardholder
                };
                let state = match state {
                    0 => ChargeState::Succeeded,
                    1 => ChargeState::Failed,
                    _ => ChargeState::Declined,
                };
                let mut a: PastAttempt = if state == ChargeState::Declined {
                    soft_decline(p, at, initiator)
                } else {
                    attempt(p, at, state, initiator)
                };
                if *hard && state == ChargeState::Declined {
                    a.hard_decline = true;
                    a.decline_code = Some("04".into());
                }
                a
            })
            .collect(),
    )
}

proptest! {
    #[test]
    fn the_verdict_is_a_pure_function_of_plan_history_and_time(t in twist(), h in history()) {
        let p = planned(&t);
        let history = built(&p, &h);
        let first = check(&p, &history, now());
        prop_assert_eq!(&first, &check(&p, &history, now()), "same inputs, same verdict");
    }

    #[test]
    fn a_merchant_initiated_charge_without_consent_or_initial_is_always_refused_for_it(
        t in twist(),
        h in history(),
    ) {
        prop_assume!(!t.consent || !t.initial);
        let p = planned(&t);
        let refused = check(&p, &built(&p, &h), now()).expect_err("refused");
        prop_assert!(
            refused.iter().any(|v| v.rule == RuleId::ConsentAndInitial),
            "the consent-and-initial rule names the missing piece: {:?}", refused
        );
    }

    #[test]
    fn an_amount_of_zero_or_less_is_always_refused(t in twist(), h in history()) {
        prop_assume!(t.amount <= 0);
        let p = planned(&t);
        prop_assert!(check(&p, &built(&p, &h), now()).is_err(), "no charge of {} goes out", p.amount);
    }

    #[test]
    fn an_inactive_card_or_one_expired_by_the_charge_date_is_always_refused(
        t in twist(),
        h in history(),
    ) {
        let p = planned(&t);
        let expired = p.card.expiry.is_expired_on(p.charge_date);
        prop_assume!(!t.active || expired);
        let refused = check(&p, &built(&p, &h), now()).expect_err("refused");
        prop_assert!(
            refused.iter().any(|v| v.rule == RuleId::CardUsable),
            "the card-usable rule says why: {:?}", refused
        );
    }

    #[test]
    fn more_declines_on_the_card_never_lift_a_refusal(
        t in twist(),
        h in history(),
        more in prop::collection::vec((0i64..24 * 40, prop::bool::weighted(0.2)), 1..20),
    ) {
        let p = planned(&t);
        let before = built(&p, &h);
        prop_assume!(check(&p, &before, now()).is_err());
        let mut attempts = before.attempts.clone();
        for (hours, hard) in more {
            let mut a = soft_decline(&p, now() - Duration::hours(hours), Initiator::Merchant);
            if hard {
                a.hard_decline = true;
                a.decline_code = Some("04".into());
            }
            attempts.push(a);
        }
        prop_assert!(
            check(&p, &History::new(attempts), now()).is_err(),
            "a refused charge stays refused when the card has declined more"
        );
    }

    #[test]
    fn a_refusal_that_names_when_it_lifts_names_a_time_after_now(t in twist(), h in history()) {
        // The engine judges a charge for today or a later day (`run-due --date`), never for a
        // day already past.
        let t = Twist { days_late: t.days_late.abs(), ..t };
        let p = planned(&t);
        if let Err(violations) = check(&p, &built(&p, &h), now()) {
            for v in violations {
                if let Some(after) = v.allowed_after {
                    prop_assert!(after > now(), "{:?} lifts at {} which is not after now", v.rule, after);
                }
            }
        }
    }

    #[test]
    fn a_scheduled_charge_without_its_notice_is_always_refused(t in twist(), h in history()) {
        let p = planned(&Twist { manual: false, notice: false, ..t });
        prop_assert_eq!(p.trigger, Trigger::Scheduled);
        let refused = check(&p, &built(&p, &h), now()).expect_err("refused");
        prop_assert!(
            refused.iter().any(|v| v.rule == RuleId::NoticeSent),
            "the notice rule says a notice is missing: {:?}", refused
        );
    }
}
