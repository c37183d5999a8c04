//! The charge dialog and the ledger: preview (the exact flags and the verdict, nothing sent),
//! charge once, refunds, reconcile, and the list of charges.

use coffer_core::{AttemptId, CardId, ChargeAttempt, ChargeState, MerchantId, Reason};
use coffer_engine::charge::ChargeQuery;
use coffer_engine::charge::{ChargeInput, ChargePreview, ChargeResult};
use coffer_engine::reconcile::{
    AlertView, ReconcileScope, ReconcileSummary, ReconciledAttempt, Resolution, UnknownAttempt,
    DEFAULT_GRACE_SECS,
};
use coffer_engine::refunds::{RefundInput, RefundResult};
use coffer_engine::scope::Scope;
use coffer_engine::Engine;
use serde::Deserialize;
use tauri::State;

use crate::ipc_error::IpcError;

/// A manual merchant-initiated charge, as the dialog sends it.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct ChargeCardRequest {
    /// The card.
    pub card_id: i64,
    /// The amount as typed, "12.34" or "12,34".
    pub amount: String,
    /// Unscheduled (a one-off) or recurring.
    pub reason: Reason,
    /// The dialog's key: the same key always returns the first attempt, so a second click or a
    /// retry after a lost answer can never charge twice.
    pub idempotency_key: Option<String>,
    /// Shown to the cardholder where the provider has a description.
    pub description: Option<String>,
    /// The owner confirmed again an amount above the merchant's limit (the review step says
    /// so); the engine refuses such a charge without it.
    #[serde(default)]
    pub confirm_large: bool,
}

impl From<ChargeCardRequest> for ChargeInput {
    fn from(r: ChargeCardRequest) -> Self {
        ChargeInput {
            card: CardId(r.card_id),
            amount: r.amount,
            reason: r.reason,
            // A card is always charged under its own merchant from the app.
            merchant: None,
            idempotency_key: r.idempotency_key,
            description: r.description,
            confirm_large: r.confirm_large,
        }
    }
}

/// Which ledger rows to list.
#[derive(Debug, Clone, Default, Deserialize, specta::Type)]
pub struct ChargeListRequest {
    /// One merchant.
    pub merchant_id: Option<i64>,
    /// A group of locations.
    pub group: Option<String>,
    /// One card.
    pub card_id: Option<i64>,
    /// One customer's cards.
    pub customer_id: Option<i64>,
    /// One state.
    pub status: Option<ChargeState>,
    /// At most this many, newest first.
    pub limit: Option<u32>,
}

/// The flags that would be sent and every rule the charge would break; sends nothing.
#[tauri::command]
#[specta::specta]
pub async fn preview_charge(
    engine: State<'_, Engine>,
    request: ChargeCardRequest,
) -> Result<ChargePreview, IpcError> {
    Ok(engine.preview_charge(request.into()).await?)
}

/// Charges the card exactly once, or says which rules refuse it.
#[tauri::command]
#[specta::specta]
pub async fn charge_card(
    engine: State<'_, Engine>,
    request: ChargeCardRequest,
) -> Result<ChargeResult, IpcError> {
    Ok(engine.charge_card(request.into()).await?)
}

/// The ledger, newest first.
#[tauri::command]
#[specta::specta]
pub async fn list_charges(
    engine: State<'_, Engine>,
    request: ChargeListRequest,
) -> Result<Vec<ChargeAttempt>, IpcError> {
    Ok(engine
        .list_charges(ChargeQuery {
            merchants: Scope::of(request.merchant_id.map(MerchantId), request.group),
            card: request.card_id.map(CardId),
            customer: request.customer_id,
            state: request.status,
            limit: request.limit,
        })
        .await?)
}

/// Refunds a succeeded charge, all that is left of it or `amount`: a new ledger row. The dialog
/// holds one `idempotency_key` while it is open, so a double submit makes one refund.
#[tauri::command]
#[specta::specta]
pub async fn refund_charge(
    engine: State<'_, Engine>,
    attempt_id: i64,
    amount: Option<String>,
    idempotency_key: Option<String>,
) -> Result<RefundResult, IpcError> {
    Ok(engine
        .refund_charge(RefundInput {
            charge: AttemptId(attempt_id),
            amount: amount.filter(|a| !a.trim().is_empty()),
            idempotency_key,
        })
        .await?)
}

/// Records the merchant's bank transfer for a refund awaiting it (Svea's refund after
/// settlement) as made; the refund becomes succeeded.
#[tauri::command]
#[specta::specta]
pub async fn record_refund_transfer(
    engine: State<'_, Engine>,
    attempt_id: i64,
) -> Result<RefundResult, IpcError> {
    Ok(engine.record_refund_transfer(AttemptId(attempt_id)).await?)
}

/// Asks the providers about the charges and refunds whose answer was lost, and settles what
/// their records show: those of one card (`card_id`), of the locations in view (`merchant_id`
/// or `group`), or all.
#[tauri::command]
#[specta::specta]
pub async fn reconcile(
    engine: State<'_, Engine>,
    merchant_id: Option<i64>,
    group: Option<String>,
    card_id: Option<i64>,
) -> Result<ReconcileSummary, IpcError> {
    let scope = ReconcileScope {
        merchants: Scope::of(merchant_id.map(MerchantId), group),
        card: card_id.map(CardId),
    };
    Ok(engine
        .reconcile_in(&scope, chrono::Duration::seconds(DEFAULT_GRACE_SECS))
        .await?)
}

/// The attempts in view whose outcome is unknown, each with what to check at the provider.
#[tauri::command]
#[specta::specta]
pub async fn unknown_attempts(
    engine: State<'_, Engine>,
    merchant_id: Option<i64>,
    group: Option<String>,
) -> Result<Vec<UnknownAttempt>, IpcError> {
    Ok(engine
        .unknown_attempts(Scope::of(merchant_id.map(MerchantId), group))
        .await?)
}

/// Settles by hand an attempt no provider record could settle (audited).
#[tauri::command]
#[specta::specta]
pub async fn resolve_attempt(
    engine: State<'_, Engine>,
    attempt_id: i64,
    resolution: Resolution,
) -> Result<ReconciledAttempt, IpcError> {
    Ok(engine
        .resolve_attempt(AttemptId(attempt_id), resolution)
        .await?)
}

/// Open alerts in view: provider records that contradict a hand resolution.
#[tauri::command]
#[specta::specta]
pub async fn list_alerts(
    engine: State<'_, Engine>,
    merchant_id: Option<i64>,
    group: Option<String>,
) -> Result<Vec<AlertView>, IpcError> {
    Ok(engine
        .list_alerts(Scope::of(merchant_id.map(MerchantId), group))
        .await?)
}

/// Marks an alert seen (audited); it stays on record.
#[tauri::command]
#[specta::specta]
pub async fn acknowledge_alert(engine: State<'_, Engine>, alert_id: i64) -> Result<(), IpcError> {
    Ok(engine.acknowledge_alert(alert_id).await?)
}
