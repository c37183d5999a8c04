//! Settling a refund whose answer was lost from what the provider reports of the charge's
//! refunds: each refund by its key, a total, or only a status.

use chrono::Duration;
use coffer_core::{ChargeAttempt, ChargeState, Money, ProviderRef};
use coffer_providers::{RefundExtent, RefundLookup, RefundsSeen};
use coffer_store::charges::Settlement;

use crate::error::EngineResult;
use crate::pipeline::settled_action;
use crate::Engine;

use super::{reconciled, unknown, Reconciled};

/// What a provider's record says of one refund whose answer was lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RefundVerdict {
    /// It was made (with the provider's reference of it, where the provider names refunds).
    Made(Option<ProviderRef>),
    /// It was not made.
    NotMade,
    /// The record cannot tell; why, in words.
    Unclear(String),
}

/// Judges a refund of `amount` of a `charge` against what the provider reports, given the
/// charge's other refunds in the ledger: `settled` (minor units) those that succeeded, `open`
/// those still without an answer. Where the provider only keeps a sum or a status, a verdict is
/// given only when exactly one reading fits; otherwise the refund stays open for a person.
pub(crate) fn judge_refund(
    seen: &RefundsSeen,
    amount: Money,
    charge: Money,
    settled: i64,
    open: i64,
) -> RefundVerdict {
    let asked = amount.minor;
    let unclear = |what: String| {
        RefundVerdict::Unclear(format!(
            "{what}; Coffer's settled refunds of this charge come to {}, this one asked for \
             {amount}{}: check it in the provider's dashboard; until it is settled its amount \
             counts as refunded",
            Money::from_minor(settled, amount.currency),
            if open > 0 {
                format!(
                    " and others in flight for {}",
                    Money::from_minor(open, amount.currency)
                )
            } else {
                String::new()
            }
        ))
    };
    match seen {
        RefundsSeen::Exact(Some(found)) => RefundVerdict::Made(Some(found.provider_ref.clone())),
        RefundsSeen::Exact(None) => RefundVerdict::NotMade,
        RefundsSeen::Total(total) => {
            let extra = total.minor - settled;
            let made = extra == asked || (open > 0 && extra == asked + open);
            let not_made = extra == 0 || (open > 0 && extra == open);
            match (made, not_made) {
                (true, false) => RefundVerdict::Made(None),
                (false, true) => RefundVerdict::NotMade,
                _ => unclear(format!("the provider reports {total} refunded in all")),
            }
        }
        RefundsSeen::Extent(RefundExtent::Whole) => {
            let left = charge.minor - settled - asked;
            if left == 0 || (open > 0 && left == open) {
                RefundVerdict::Made(None)
            } else {
                unclear("the provider reports the whole charge refunded".into())
            }
        }
        RefundsSeen::Extent(RefundExtent::None) if settled == 0 => RefundVerdict::NotMade,
        RefundsSeen::Extent(RefundExtent::None) => {
            unclear("the provider reports nothing refunded".into())
        }
        RefundsSeen::Extent(RefundExtent::Part)
            if settled == 0 && open == 0 && asked < charge.minor =>
        {
            RefundVerdict::Made(None)
        }
        RefundsSeen::Extent(RefundExtent::Part) => {
            unclear("the provider reports part of the charge refunded, without the sum".into())
        }
    }
}

impl Engine {
    /// Settles a refund whose answer was lost from what the provider records of its charge.
    pub(super) async fn reconcile_refund(
        &self,
        refund: &ChargeAttempt,
        sent_at: chrono::DateTime<chrono::Utc>,
        grace: Duration,
    ) -> EngineResult<Reconciled> {
        let open_note = |note: String| unknown(refund, note);
        let Some(charge_id) = refund.refund_of else {
            return Ok(Err(open_note("a refund row that names no charge".into())));
        };
        let (charge, siblings, merchant) = {
            let merchant_id = refund.merchant_id;
            self.read_store(move |store| {
                Ok((
                    store.attempt(charge_id)?,
                    store.refunds_of(charge_id)?,
                    store.merchant(merchant_id)?,
                ))
            })
            .await?
        };
        let Some(charge_ref) = charge.provider_ref.clone() else {
            return Ok(Err(open_note(format!(
                "charge {charge_id} has no provider reference to look its refunds up by"
            ))));
        };
        let others = siblings.iter().filter(|r| r.id != refund.id);
        // A refund awaiting the merchant's transfer was taken by the provider: it counts as made.
        let settled: i64 = others
            .clone()
            .filter(|r| {
                matches!(
                    r.state,
                    ChargeState::Succeeded | ChargeState::AwaitingTransfer
                )
            })
            .map(|r| r.amount.minor)
            .sum();
        let open: i64 = others
            .filter(|r| matches!(r.state, ChargeState::Sending | ChargeState::Planned))
            .map(|r| r.amount.minor)
            .sum();
        let provider = self.provider_for(&merchant).await?;
        let seen = provider
            .find_refund(&RefundLookup {
                charge_ref,
                order_id: charge.order_id.clone(),
                charge_amount: charge.amount,
                amount: refund.amount,
                // The refund went out under its own order id (refunds.rs).
                refund_id: refund.order_id.clone(),
                sent_at,
            })
            .await?;
        let reference = match judge_refund(&seen, refund.amount, charge.amount, settled, open) {
            RefundVerdict::Made(reference) => reference,
            // Absence is not proof, and a refund is never sent again: a person checks.
            RefundVerdict::NotMade if self.now() - sent_at >= grace => {
                return Ok(Err(open_note(
                    "the provider shows no such refund; its lookups may lag, and a refund is \
                     never sent again without proof it was not made. Until it is settled its \
                     amount counts as refunded"
                        .into(),
                )))
            }
            RefundVerdict::NotMade => {
                return Ok(Err(open_note(
                    "the provider has not shown it yet; it may still be in flight".into(),
                )))
            }
            RefundVerdict::Unclear(why) => return Ok(Err(open_note(why))),
        };
        let why = "the provider's record shows the refund made";
        let settlement = Settlement {
            state: ChargeState::Succeeded,
            provider_ref: reference,
            decline_code: None,
            hard_decline: false,
            message: None,
            warnings: Vec::new(),
            at: self.now(),
        };
        let audit = self.audit_event(
            Some(refund.merchant_id.0),
            settled_action(true, ChargeState::Succeeded),
            format!("attempt:{}", refund.id),
            serde_json::json!({
                "refund_of": charge_id.0,
                "provider_ref": settlement.provider_ref,
                "reconciled": true,
                "why": why,
            }),
        );
        let row = self.settle_row(refund.id, settlement, audit).await?;
        Ok(Ok(reconciled(&row, why)))
    }
}

#[cfg(test)]
mod tests {
    use coffer_core::Currency;

    use super::*;

    fn eur(minor: i64) -> Money {
        Money::from_minor(minor, Currency::from_code("EUR").unwrap())
    }

    #[test]
    fn a_provider_that_names_refunds_settles_them_exactly() {
        let found = RefundsSeen::Exact(Some(coffer_providers::RefundOutcome {
            provider_ref: ProviderRef("refd_1".into()),
            amount: eur(500),
            transfer: None,
        }));
        assert_eq!(
            judge_refund(&found, eur(500), eur(1500), 0, 0),
            RefundVerdict::Made(Some(ProviderRef("refd_1".into())))
        );
        assert_eq!(
            judge_refund(&RefundsSeen::Exact(None), eur(500), eur(1500), 0, 0),
            RefundVerdict::NotMade
        );
    }

    #[test]
    fn a_sum_settles_a_refund_only_when_one_reading_fits() {
        let total = |minor| RefundsSeen::Total(eur(minor));
        // 3.00 settled before; this refund asked 5.00.
        assert_eq!(
            judge_refund(&total(800), eur(500), eur(1500), 300, 0),
            RefundVerdict::Made(None)
        );
        assert_eq!(
            judge_refund(&total(300), eur(500), eur(1500), 300, 0),
            RefundVerdict::NotMade
        );
        // A sum that fits neither (a refund made in the dashboard meanwhile) is left to a person.
        assert!(matches!(
            judge_refund(&total(1000), eur(500), eur(1500), 300, 0),
            RefundVerdict::Unclear(_)
        ));
        // Another refund of the same amount in flight: either one may be the one made.
        assert!(matches!(
            judge_refund(&total(800), eur(500), eur(1500), 300, 500),
            RefundVerdict::Unclear(_)
        ));
        // Both in flight and both made.
        assert_eq!(
            judge_refund(&total(1000), eur(500), eur(1500), 0, 500),
            RefundVerdict::Made(None)
        );
    }

    #[test]
    fn a_status_code_settles_a_refund_only_where_it_is_unambiguous() {
        let extent = RefundsSeen::Extent;
        assert_eq!(
            judge_refund(&extent(RefundExtent::Whole), eur(1500), eur(1500), 0, 0),
            RefundVerdict::Made(None)
        );
        assert_eq!(
            judge_refund(&extent(RefundExtent::Whole), eur(1000), eur(1500), 500, 0),
            RefundVerdict::Made(None),
            "the rest after a settled partial refund"
        );
        assert!(matches!(
            judge_refund(&extent(RefundExtent::Whole), eur(500), eur(1500), 0, 0),
            RefundVerdict::Unclear(_)
        ));
        assert_eq!(
            judge_refund(&extent(RefundExtent::Part), eur(500), eur(1500), 0, 0),
            RefundVerdict::Made(None)
        );
        assert!(matches!(
            judge_refund(&extent(RefundExtent::Part), eur(500), eur(1500), 300, 0),
            RefundVerdict::Unclear(_)
        ));
        assert_eq!(
            judge_refund(&extent(RefundExtent::None), eur(500), eur(1500), 0, 0),
            RefundVerdict::NotMade
        );
        assert!(matches!(
            judge_refund(&extent(RefundExtent::None), eur(500), eur(1500), 300, 0),
            RefundVerdict::Unclear(_)
        ));
    }
}
