//! New cards enrolled with consent through the provider's own hosted page (issue 25): start one
//! at the counter or by a link, list, check, cancel, hand over a return address the cardholder's
//! browser landed on, the page a link returns to, and the counter window
//! ([`crate::enrollment_window`]). Every call is one engine use case; which provider offers what
//! comes from the engine's answers and `PROVIDERS`, never from a name compared here.

use super::text;
use chrono::NaiveDate;
use coffer_core::contract::Frequency;
use coffer_core::{ContractId, CustomerId, EnrollmentId, EnrollmentMode, MerchantId, Reason};
use coffer_engine::contracts::ContractInput;
use coffer_engine::customers::CustomerDetails;
use coffer_engine::enrollment::{EnrollmentInput, EnrollmentView};
use coffer_engine::Engine;
use serde::Deserialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, State};

use crate::commands::customers::AddressForm;
use crate::commands::ScopeRequest;
use crate::enrollment_window::{self, EnrollmentEvent};
use crate::ipc_error::IpcError;

/// A customer who is not on record yet. A provider that keeps the customers (Clover,
/// ProcessOut) creates them with the card; a register location (Assist, Svea) adds them to its
/// register now, under `reference`.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct EnrollmentNewCustomer {
    /// Name.
    pub name: String,
    /// E-mail (Clover's card-on-file customer needs one; a link goes there by default).
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// The register's CustomerNumber (register locations only).
    pub reference: Option<String>,
    /// Postal address (Svea requires one in every payment).
    pub address: Option<AddressForm>,
}

/// The contract to create on the card once the provider confirmed it (the contract form's
/// fields without the card, which does not exist yet).
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct EnrollmentContractRequest {
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

/// A new enrollment as the dialog sends it.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct StartEnrollmentRequest {
    /// The merchant account the card is saved with.
    pub merchant_id: i64,
    /// The customer on record, or
    pub customer_id: Option<i64>,
    /// a new one.
    pub new_customer: Option<EnrollmentNewCustomer>,
    /// At the counter or by a link.
    pub mode: EnrollmentMode,
    /// Where the link goes (the customer's e-mail when empty).
    pub send_to: Option<String>,
    /// The initial transaction's amount.
    pub amount: String,
    /// What later charges will be.
    pub reason: Reason,
    /// The consent text the cardholder is shown and accepts.
    pub terms: String,
    /// The contract made on the card once confirmed.
    pub contract: Option<EnrollmentContractRequest>,
    /// The contract whose card this enrollment replaces (an Assist "re-enroll").
    pub replaces_for: Option<i64>,
}

impl StartEnrollmentRequest {
    fn into_input(self) -> Result<EnrollmentInput, IpcError> {
        let new_customer = match self.new_customer {
            Some(c) => Some(CustomerDetails {
                reference: text(c.reference).unwrap_or_default().into(),
                name: c.name,
                email: text(c.email),
                phone: text(c.phone),
                address: match c.address {
                    Some(address) => address.checked()?,
                    None => None,
                },
            }),
            None => None,
        };
        Ok(EnrollmentInput {
            merchant: MerchantId(self.merchant_id),
            customer: self.customer_id.map(CustomerId),
            new_customer,
            mode: self.mode,
            amount: self.amount,
            reason: self.reason,
            terms: self.terms,
            send_to: text(self.send_to),
            contract: self.contract.map(|c| ContractInput {
                // The engine makes the contract on the confirmed card; this one is ignored.
                card: 0,
                amount: text(c.amount),
                max_amount: text(c.max_amount),
                min_amount: text(c.min_amount),
                original_amount: text(c.original_amount),
                frequency: Some(c.frequency),
                start: c.start,
                end: c.end,
            }),
            replaces_for: self.replaces_for.map(ContractId),
        })
    }
}

/// Which enrollments to list.
#[derive(Debug, Clone, Default, Deserialize, specta::Type)]
pub struct EnrollmentListRequest {
    /// One merchant.
    pub merchant_id: Option<i64>,
    /// A group of locations.
    pub group: Option<String>,
    /// The settled ones too (confirmed, failed, expired, cancelled).
    pub settled: bool,
}

/// Opens the provider's page for a new card: at the counter (then the UI opens the window with
/// `open_enrollment_window`) or as a link sent by the notices channel.
#[tauri::command]
#[specta::specta]
pub async fn start_enrollment(
    engine: State<'_, Engine>,
    request: StartEnrollmentRequest,
) -> Result<EnrollmentView, IpcError> {
    Ok(engine.start_enrollment(request.into_input()?).await?)
}

/// The enrollments of a scope, newest first.
#[tauri::command]
#[specta::specta]
pub async fn list_enrollments(
    engine: State<'_, Engine>,
    request: EnrollmentListRequest,
) -> Result<Vec<EnrollmentView>, IpcError> {
    let scope = ScopeRequest {
        merchant_id: request.merchant_id,
        group: request.group,
    };
    Ok(engine.list_enrollments(scope, request.settled).await?)
}

/// Asks the provider where one enrollment stands and settles it.
#[tauri::command]
#[specta::specta]
pub async fn check_enrollment(
    engine: State<'_, Engine>,
    id: i64,
) -> Result<EnrollmentView, IpcError> {
    Ok(engine.check_enrollment(EnrollmentId(id)).await?)
}

/// Asks the providers about every pending enrollment of a scope.
#[tauri::command]
#[specta::specta]
pub async fn check_enrollments(
    engine: State<'_, Engine>,
    scope: ScopeRequest,
) -> Result<Vec<EnrollmentView>, IpcError> {
    Ok(engine.check_enrollments(scope).await?)
}

/// Withdraws a pending enrollment and closes its counter window, if open (a card the
/// cardholder already saved with the provider is kept).
#[tauri::command]
#[specta::specta]
pub async fn cancel_enrollment(
    app: AppHandle,
    engine: State<'_, Engine>,
    id: i64,
) -> Result<EnrollmentView, IpcError> {
    let id = EnrollmentId(id);
    let view = engine.cancel_enrollment(id).await?;
    if view.state.is_settled() {
        enrollment_window::close(&app, id);
    }
    Ok(view)
}

/// The whole address a cardholder's browser returned to (pasted by the owner): kept as a hint,
/// then the enrollment is settled by the provider's own answer.
#[tauri::command]
#[specta::specta]
pub async fn enrollment_returned(
    engine: State<'_, Engine>,
    id: i64,
    address: String,
) -> Result<EnrollmentView, IpcError> {
    Ok(engine
        .enrollment_returned(EnrollmentId(id), address.trim())
        .await?)
}

/// The page a merchant's enrollment links send the cardholder back to.
#[tauri::command]
#[specta::specta]
pub async fn link_return_page(
    engine: State<'_, Engine>,
    merchant_id: i64,
) -> Result<Option<String>, IpcError> {
    Ok(engine.link_return_page(MerchantId(merchant_id)).await?)
}

/// Sets (or, empty, clears) the page a merchant's enrollment links return to.
#[tauri::command]
#[specta::specta]
pub async fn set_link_return_page(
    engine: State<'_, Engine>,
    merchant_id: i64,
    url: Option<String>,
) -> Result<Option<String>, IpcError> {
    Ok(engine
        .set_link_return_page(MerchantId(merchant_id), url)
        .await?)
}

/// Opens (or brings forward) the counter window of a pending enrollment. What happens in it
/// comes back on `on_event`: the settled enrollment after its return, or that it was closed.
#[tauri::command]
#[specta::specta]
pub async fn open_enrollment_window(
    app: AppHandle,
    engine: State<'_, Engine>,
    id: i64,
    on_event: Channel<EnrollmentEvent>,
) -> Result<(), IpcError> {
    let id = EnrollmentId(id);
    let window = engine.enrollment_window(id).await?;
    enrollment_window::open(&app, window, on_event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dialog_request_becomes_the_engine_input_with_empty_fields_dropped() {
        let request: StartEnrollmentRequest = serde_json::from_value(serde_json::json!({
            "merchant_id": 3, "customer_id": null,
            "new_customer": {"name": "Ada", "email": "ada@example.com", "phone": " ", "reference": null, "address": null},
            "mode": "counter", "send_to": "", "amount": "12.50", "reason": "recurring",
            "terms": "I agree", "contract": {"amount": "9.99", "max_amount": "", "min_amount": null,
            "original_amount": null, "frequency": {"kind": "monthly", "day": 5}, "start": null, "end": "2027-12-31"},
            "replaces_for": 7
        }))
        .expect("a start request");
        let input = request.into_input().expect("an input");
        assert_eq!(input.merchant, MerchantId(3));
        assert_eq!(input.mode, EnrollmentMode::Counter);
        assert_eq!(input.send_to, None);
        let customer = input.new_customer.expect("a new customer");
        assert_eq!(customer.email.as_deref(), Some("ada@example.com"));
        assert_eq!(customer.phone, None);
        let contract = input.contract.expect("a contract");
        assert_eq!(contract.amount.as_deref(), Some("9.99"));
        assert_eq!(contract.max_amount, None);
        assert!(contract.frequency.is_some());
        assert_eq!(input.replaces_for, Some(ContractId(7)));
    }
}
