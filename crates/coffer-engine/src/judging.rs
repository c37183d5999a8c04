//! What the policy is shown of a card: its recent ledger rows as a [`History`], and the
//! stored-credential flags of a manual charge. Below both the charge use cases and the pipeline
//! that re-judges every plan, so neither imports the other for it.

use chrono::Duration;
use coffer_core::policy::{History, PastAttempt};
use coffer_core::{AttemptKind, Card, CardId, ChargeState, Initiator, Reason, StoredCredential};
use coffer_store::imported::{ImportedAttempt, ImportedOutcome};
use coffer_store::repo::prelude::*;

/// How far back the policy looks at a card's attempts (every decline and the latest success are
/// loaded whatever their age).
const HISTORY_DAYS: i64 = 31;

/// The policy's view of a card's ledger rows, and of the attempts the merchant's old billing
/// system made on it before its contract was imported (they count as Coffer's own would:
/// Svea's one charge a month, the networks' retry limits).
pub(crate) fn history_of(
    store: &dyn ReadRepositories,
    card: CardId,
    now: chrono::DateTime<chrono::Utc>,
) -> coffer_store::StoreResult<History> {
    let rows = store.attempts_for_policy(card, now - Duration::days(HISTORY_DAYS))?;
    let mut attempts: Vec<PastAttempt> = rows
        .iter()
        .map(|a| PastAttempt::from_attempt(a, None))
        .collect();
    attempts.extend(store.imported_attempts(card)?.iter().map(imported));
    Ok(History::new(attempts))
}

/// An attempt of the old system as the policy reads it: a merchant-initiated recurring charge
/// of the imported contract's series, approved or soft-declined (hard declines are refused at
/// import).
fn imported(attempt: &ImportedAttempt) -> PastAttempt {
    PastAttempt {
        merchant_id: attempt.merchant_id,
        card_id: attempt.card_id,
        kind: AttemptKind::Charge,
        at: attempt.at,
        amount: attempt.amount,
        state: match attempt.outcome {
            ImportedOutcome::Approved => ChargeState::Succeeded,
            ImportedOutcome::SoftDecline => ChargeState::Declined,
        },
        initiator: Initiator::Merchant,
        reason: Reason::Recurring,
        // Not an occurrence of Coffer's schedule: the old system's numbering is not Coffer's.
        occurrence: None,
        hard_decline: false,
        decline_code: None,
        merchant_advice_code: None,
    }
}

/// The flags of a manual merchant-initiated charge of `card`.
pub(crate) fn manual_flags(card: &Card, reason: Reason) -> StoredCredential {
    match &card.initial {
        Some(initial) => StoredCredential::merchant_initiated(reason, initial.reference.clone()),
        // No initial transaction: the flags say so, and the policy refuses them.
        None => StoredCredential {
            initial_ref: None,
            ..StoredCredential::merchant_initiated(reason, coffer_core::ProviderRef(String::new()))
        },
    }
}
