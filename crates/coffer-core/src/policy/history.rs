//! What the policy needs to know of earlier attempts: this card's charges under this merchant.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::charge::{AttemptKind, ChargeAttempt, ChargePlan, ChargeState};
use crate::ids::{CardId, ContractId, MerchantId};
use crate::money::Money;
use crate::stored_credential::{Initiator, Reason};

/// One earlier attempt, as plain data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PastAttempt {
    /// The merchant account it went out under.
    pub merchant_id: MerchantId,
    /// The card.
    pub card_id: CardId,
    /// Charge or refund; refunds never count against charge limits.
    pub kind: AttemptKind,
    /// When it was made.
    pub at: DateTime<Utc>,
    /// How much.
    pub amount: Money,
    /// Where it stands; `sending` means the outcome is not known yet.
    pub state: ChargeState,
    /// Cardholder- or merchant-initiated.
    pub initiator: Initiator,
    /// Recurring, installment or unscheduled.
    pub reason: Reason,
    /// The contract and occurrence number it paid, if any.
    pub occurrence: Option<(ContractId, u32)>,
    /// The provider said never to retry this card.
    pub hard_decline: bool,
    /// The issuer's response code as the provider passed it on ("05", "14", "R1").
    pub decline_code: Option<String>,
    /// Mastercard's merchant advice code, when the provider passes it on ("03", "21").
    pub merchant_advice_code: Option<String>,
}

impl PastAttempt {
    /// Reads a ledger row. The merchant advice code is not a ledger column: the engine passes it
    /// when the provider returned one.
    pub fn from_attempt(attempt: &ChargeAttempt, merchant_advice_code: Option<String>) -> Self {
        PastAttempt {
            merchant_id: attempt.merchant_id,
            card_id: attempt.card_id,
            kind: attempt.kind,
            at: attempt.created_at,
            amount: attempt.amount,
            state: attempt.state,
            initiator: attempt.credential.initiator,
            reason: attempt.credential.reason,
            occurrence: attempt.contract_id.zip(attempt.occurrence),
            hard_decline: attempt.hard_decline,
            decline_code: attempt.decline_code.clone(),
            merchant_advice_code,
        }
    }

    /// Recurring in the networks' sense: part of a series on a stored credential.
    pub fn is_recurring(&self) -> bool {
        self.reason == Reason::Recurring
    }

    /// Merchant-initiated.
    pub fn is_mit(&self) -> bool {
        self.initiator == Initiator::Merchant
    }
}

/// The attempts the engine loaded for a plan: this card's attempts under this merchant.
///
/// What the rules read, so the engine knows what to load: every declined attempt (a hard decline
/// never expires), every attempt of the last 31 days (retry windows, Svea's calendar month,
/// occurrences in flight), and the latest successful recurring charge (Assist's period). Loading
/// more is harmless; loading less lets a charge through that should have been refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// The attempts, in any order.
    pub attempts: Vec<PastAttempt>,
}

impl History {
    /// Wraps a list of attempts.
    pub fn new(attempts: Vec<PastAttempt>) -> History {
        History { attempts }
    }

    /// The charges (not refunds) of the plan's card under the plan's merchant. Filtered here as
    /// well as in the engine's query, so a wider list can never make one card pay for another's
    /// declines.
    pub fn charges_for<'a>(
        &'a self,
        plan: &'a ChargePlan,
    ) -> impl Iterator<Item = &'a PastAttempt> {
        self.attempts.iter().filter(move |a| {
            a.kind == AttemptKind::Charge
                && a.card_id == plan.card.id
                && a.merchant_id == plan.merchant.id
        })
    }

    /// Declined charges of the plan's card under the plan's merchant.
    pub fn declines_for<'a>(
        &'a self,
        plan: &'a ChargePlan,
    ) -> impl Iterator<Item = &'a PastAttempt> {
        self.charges_for(plan)
            .filter(|a| a.state == ChargeState::Declined)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charge::ChargeAttempt;
    use crate::ids::{AttemptId, ContractId};
    use crate::merchant::ProviderKind;
    use crate::policy::fixtures::*;
    use crate::stored_credential::StoredCredential;

    fn ledger_row(plan: &ChargePlan) -> ChargeAttempt {
        ChargeAttempt {
            id: AttemptId(1),
            kind: AttemptKind::Charge,
            merchant_id: plan.merchant.id,
            card_id: plan.card.id,
            contract_id: Some(ContractId(5)),
            occurrence: Some(10),
            refund_of: None,
            amount: eur(1000),
            credential: StoredCredential::merchant_initiated(Reason::Recurring, "INIT-1".into()),
            idempotency_key: "key-1".into(),
            order_id: "ORDER-1".into(),
            state: ChargeState::Declined,
            provider_ref: None,
            decline_code: Some("05".into()),
            hard_decline: false,
            message: None,
            warnings: Vec::new(),
            created_at: utc(2026, 10, 23, 8, 0),
            settled_at: Some(utc(2026, 10, 23, 8, 1)),
            sent_at: None,
            resolved_by: None,
            transfer: None,
        }
    }

    #[test]
    fn reads_a_ledger_row_with_its_occurrence_and_advice_code() {
        let plan = plan(ProviderKind::Clover);
        let past = PastAttempt::from_attempt(&ledger_row(&plan), Some("24".into()));
        assert_eq!(past.occurrence, Some((ContractId(5), 10)));
        assert_eq!(
            past.at,
            utc(2026, 10, 23, 8, 0),
            "the time it was made, not settled"
        );
        assert!(past.is_mit() && past.is_recurring());
        assert_eq!(past.decline_code.as_deref(), Some("05"));
        assert_eq!(past.merchant_advice_code.as_deref(), Some("24"));
    }

    #[test]
    fn only_this_cards_charges_under_this_merchant_count() {
        let plan = plan(ProviderKind::Clover);
        let mine = PastAttempt::from_attempt(&ledger_row(&plan), None);
        let other_card = PastAttempt {
            card_id: crate::ids::CardId(99),
            ..mine.clone()
        };
        let other_merchant = PastAttempt {
            merchant_id: crate::ids::MerchantId(99),
            ..mine.clone()
        };
        let refund = PastAttempt {
            kind: AttemptKind::Refund,
            ..mine.clone()
        };
        let history = History::new(vec![other_card, mine.clone(), other_merchant, refund]);
        let counted: Vec<&PastAttempt> = history.charges_for(&plan).collect();
        assert_eq!(counted, vec![&mine]);
        assert_eq!(history.declines_for(&plan).count(), 1);
    }
}
