//! What the policy is shown of a card: its recent ledger rows as a [`History`], and the
//! stored-credential flags of a manual charge. Below both the charge use cases and the pipeline
//! that re-judges every plan, so neither imports the other for it.

use chrono::Duration;
use coffer_core::policy::{History, PastAttempt};
use coffer_core::{Card, CardId, Reason, StoredCredential};
use coffer_store::repo::prelude::*;

/// How far back the policy looks at a card's attempts (every decline and the latest success are
/// loaded whatever their age).
const HISTORY_DAYS: i64 = 31;

/// The policy's view of a card's ledger rows.
pub(crate) fn history_of(
    store: &dyn ReadRepositories,
    card: CardId,
    now: chrono::DateTime<chrono::Utc>,
) -> coffer_store::StoreResult<History> {
    let rows = store.attempts_for_policy(card, now - Duration::days(HISTORY_DAYS))?;
    Ok(History::new(
        rows.iter()
            .map(|a| PastAttempt::from_attempt(a, None))
            .collect(),
    ))
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
