//! Recurring contracts: create from a card, edit (with a preview of what the change does),
//! record new consent or a new initial for changed terms, pause, resume, skip and un-skip an
//! occurrence, cancel (the contract, one occurrence, or a made charge by refund), and the
//! notices the cardholders were sent.

use super::text;
use chrono::NaiveDate;
use coffer_core::contract::{ContractStatus, Frequency};
use coffer_core::{CardId, ContractId, MerchantId};
use coffer_engine::contracts::{ContractEdit, ContractInput, ContractView, TermsChangeEffect};
use coffer_engine::notices::Notice;
use coffer_engine::refunds::RefundResult;
use coffer_engine::scope::Scope;
use coffer_engine::Engine;
use serde::Deserialize;
use tauri::State;

use crate::commands::ScopeRequest;
use crate::ipc_error::IpcError;

/// A new contract on a card.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct CreateContractRequest {
    /// The card to charge.
    pub card_id: i64,
    /// A fixed amount per charge, or
    pub amount: Option<String>,
    /// the largest amount of a varying charge,
    pub max_amount: Option<String>,
    /// and its smallest (Assist needs one).
    pub min_amount: Option<String>,
    /// The original payment amount (Svea's cap); the initial transaction's when empty.
    pub original_amount: Option<String>,
    /// How often.
    pub frequency: Frequency,
    /// First possible due date; today when empty.
    pub start: Option<NaiveDate>,
    /// Last possible due date.
    pub end: Option<NaiveDate>,
}

/// New terms for a contract; empty fields keep theirs.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct EditContractRequest {
    /// Which contract.
    pub id: i64,
    /// New fixed amount.
    pub amount: Option<String>,
    /// New maximum of a varying amount.
    pub max_amount: Option<String>,
    /// New minimum of a varying amount.
    pub min_amount: Option<String>,
    /// New frequency.
    pub frequency: Option<Frequency>,
    /// New end date.
    pub end: Option<NaiveDate>,
    /// Remove the end date.
    pub remove_end: bool,
    /// Why, kept in the contract's history.
    pub reason: Option<String>,
}

/// Which contracts to list.
#[derive(Debug, Clone, Default, Deserialize, specta::Type)]
pub struct ContractListRequest {
    /// One merchant.
    pub merchant_id: Option<i64>,
    /// A group of locations.
    pub group: Option<String>,
    /// One card's contracts.
    pub card_id: Option<i64>,
    /// One status.
    pub status: Option<ContractStatus>,
}

/// Creates a contract after checking the provider's rules; the cardholder gets its confirmation.
#[tauri::command]
#[specta::specta]
pub async fn create_contract(
    engine: State<'_, Engine>,
    request: CreateContractRequest,
) -> Result<ContractView, IpcError> {
    Ok(engine
        .create_contract(ContractInput {
            card: request.card_id,
            amount: text(request.amount),
            max_amount: text(request.max_amount),
            min_amount: text(request.min_amount),
            original_amount: text(request.original_amount),
            frequency: Some(request.frequency),
            start: request.start,
            end: request.end,
        })
        .await?)
}

fn contract_edit(request: EditContractRequest) -> ContractEdit {
    let end = if request.remove_end {
        Some(None)
    } else {
        request.end.map(Some)
    };
    ContractEdit {
        amount: text(request.amount),
        max_amount: text(request.max_amount),
        min_amount: text(request.min_amount),
        frequency: request.frequency,
        end,
        reason: text(request.reason),
    }
}

/// Changes a contract's terms; the old ones stay in its history, the cardholder is sent a
/// notice of the change.
#[tauri::command]
#[specta::specta]
pub async fn edit_contract(
    engine: State<'_, Engine>,
    request: EditContractRequest,
) -> Result<ContractView, IpcError> {
    let id = ContractId(request.id);
    Ok(engine.edit_contract(id, contract_edit(request)).await?)
}

/// What a change of terms would do (notice, consent, new initial), changing nothing.
#[tauri::command]
#[specta::specta]
pub async fn preview_contract_edit(
    engine: State<'_, Engine>,
    request: EditContractRequest,
) -> Result<TermsChangeEffect, IpcError> {
    let id = ContractId(request.id);
    Ok(engine
        .preview_contract_edit(id, contract_edit(request))
        .await?)
}

/// Records the cardholder's consent to the contract's changed terms.
#[tauri::command]
#[specta::specta]
pub async fn record_contract_consent(
    engine: State<'_, Engine>,
    id: i64,
    terms: String,
) -> Result<ContractView, IpcError> {
    Ok(engine
        .record_contract_consent(ContractId(id), terms)
        .await?)
}

/// Makes a new initial transaction for the contract's new terms, with the cardholder's consent.
#[tauri::command]
#[specta::specta]
pub async fn renew_contract_initial(
    engine: State<'_, Engine>,
    id: i64,
    amount: Option<String>,
    terms: String,
) -> Result<ContractView, IpcError> {
    Ok(engine
        .renew_contract_initial(ContractId(id), text(amount), terms)
        .await?)
}

/// Undoes a skip the cardholder was not told of.
#[tauri::command]
#[specta::specta]
pub async fn restore_occurrence(
    engine: State<'_, Engine>,
    id: i64,
    occurrence: u32,
) -> Result<ContractView, IpcError> {
    Ok(engine
        .restore_occurrence(ContractId(id), occurrence)
        .await?)
}

/// Stops charging until resumed.
#[tauri::command]
#[specta::specta]
pub async fn pause_contract(engine: State<'_, Engine>, id: i64) -> Result<ContractView, IpcError> {
    Ok(engine.pause_contract(ContractId(id)).await?)
}

/// Charges again from the next due date.
#[tauri::command]
#[specta::specta]
pub async fn resume_contract(engine: State<'_, Engine>, id: i64) -> Result<ContractView, IpcError> {
    Ok(engine.resume_contract(ContractId(id)).await?)
}

/// Cancels the whole contract: no charge after it; the cardholder is told.
#[tauri::command]
#[specta::specta]
pub async fn cancel_contract(
    engine: State<'_, Engine>,
    id: i64,
    reason: Option<String>,
) -> Result<ContractView, IpcError> {
    Ok(engine.cancel_contract(ContractId(id), text(reason)).await?)
}

/// Cancels one upcoming occurrence.
#[tauri::command]
#[specta::specta]
pub async fn cancel_occurrence(
    engine: State<'_, Engine>,
    id: i64,
    occurrence: u32,
) -> Result<ContractView, IpcError> {
    Ok(engine.cancel_occurrence(ContractId(id), occurrence).await?)
}

/// Sets what one occurrence of a varying contract charges, before its notice goes out.
#[tauri::command]
#[specta::specta]
pub async fn set_occurrence_amount(
    engine: State<'_, Engine>,
    id: i64,
    occurrence: u32,
    amount: String,
) -> Result<ContractView, IpcError> {
    Ok(engine
        .set_occurrence_amount(ContractId(id), occurrence, amount)
        .await?)
}

/// Refunds the charge an occurrence made: `amount` of it, or all that is left when empty.
#[tauri::command]
#[specta::specta]
pub async fn cancel_charge(
    engine: State<'_, Engine>,
    id: i64,
    occurrence: u32,
    amount: Option<String>,
) -> Result<RefundResult, IpcError> {
    let amount = amount.filter(|a| !a.trim().is_empty());
    Ok(engine
        .cancel_charge(ContractId(id), occurrence, amount)
        .await?)
}

/// Contracts matching the request.
#[tauri::command]
#[specta::specta]
pub async fn list_contracts(
    engine: State<'_, Engine>,
    request: ContractListRequest,
) -> Result<Vec<ContractView>, IpcError> {
    let scope = Scope::of(request.merchant_id.map(MerchantId), request.group);
    Ok(engine
        .list_contracts(scope, request.status, request.card_id.map(CardId))
        .await?)
}

/// One contract with its occurrences and history.
#[tauri::command]
#[specta::specta]
pub async fn show_contract(engine: State<'_, Engine>, id: i64) -> Result<ContractView, IpcError> {
    Ok(engine.show_contract(ContractId(id)).await?)
}

/// Notices sent to the cardholders, newest first.
#[tauri::command]
#[specta::specta]
pub async fn list_notices(
    engine: State<'_, Engine>,
    scope: ScopeRequest,
) -> Result<Vec<Notice>, IpcError> {
    Ok(engine.list_notices(scope).await?)
}
