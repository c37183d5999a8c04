//! Clover's request and response bodies, named as in its docs (`shared/providers/clover.md`).
//! Ecommerce objects (`/v1/…`) are snake_case; Platform objects (`/v3/…`) are camelCase. Every
//! response field Coffer can live without is optional, so an extra or missing field never turns
//! a made charge into an unreadable answer.

use serde::{Deserialize, Serialize};

/// `POST /v1/charges` (notes §2.1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct ChargeRequest {
    pub amount: i64,
    pub currency: String,
    pub source: String,
    pub capture: bool,
    pub ecomind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_reference_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored_credentials: Option<StoredCredentials>,
}

/// Our own keys in the charge's `metadata`, read back when reconciling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Metadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coffer_idempotency_key: Option<String>,
}

/// `stored_credentials` (notes §3.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct StoredCredentials {
    pub sequence: &'static str,
    pub initiator: &'static str,
    pub is_scheduled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub installment_info: Option<InstallmentInfo>,
}

/// `stored_credentials.installment_info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct InstallmentInfo {
    pub bill_pay_indicator: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_number: Option<String>,
}

/// The charge object.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct Charge {
    pub id: String,
    pub amount: i64,
    #[serde(default)]
    pub amount_refunded: i64,
    pub currency: String,
    #[serde(default)]
    pub created: Option<i64>,
    #[serde(default)]
    pub paid: bool,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub ref_num: Option<String>,
    #[serde(default)]
    pub source: Option<Source>,
    #[serde(default)]
    pub customer: Option<String>,
    #[serde(default)]
    pub external_reference_id: Option<String>,
    #[serde(default)]
    pub metadata: Option<serde_json::Value>,
    #[serde(default)]
    pub stored_credentials: Option<StoredCredentialsEcho>,
    #[serde(default)]
    pub warning_message: Option<String>,
    #[serde(default)]
    pub failure_code: Option<String>,
    #[serde(default)]
    pub failure_message: Option<String>,
    #[serde(default)]
    pub decline_code: Option<String>,
}

/// The `stored_credentials` a charge was made with, as the charge object repeats them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct StoredCredentialsEcho {
    #[serde(default)]
    pub sequence: Option<String>,
}

/// `exp_month` / `exp_year` are strings in Clover's answers; numbers are read too.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub(crate) enum Digits {
    Text(String),
    Number(i64),
}

/// The card of a charge (`source`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Source {
    pub id: String,
    #[serde(default)]
    pub brand: Option<String>,
    #[serde(default)]
    pub exp_month: Option<Digits>,
    #[serde(default)]
    pub exp_year: Option<Digits>,
    #[serde(default)]
    pub first6: Option<String>,
    #[serde(default)]
    pub last4: Option<String>,
}

/// `GET /v1/charges`: a bare array or a `{"data": [...]}` envelope (unconfirmed, notes §2.2).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub(crate) enum ChargeList {
    Bare(Vec<Charge>),
    Envelope {
        data: Vec<Charge>,
        #[serde(default)]
        has_more: bool,
    },
}

/// `POST /v1/refunds` (notes §2.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct RefundRequest {
    pub charge: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    pub reason: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_reference_id: Option<String>,
}

/// The refund object.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Refund {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub external_reference_id: Option<String>,
}

/// `GET /v1/refunds?charge=…`: the same two shapes as the charge list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub(crate) enum RefundList {
    Bare(Vec<Refund>),
    Envelope {
        data: Vec<Refund>,
        #[serde(default)]
        has_more: bool,
    },
}

/// The error body (notes §4.1). Live declines spell `declineCode`; the docs `decline_code`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub(crate) struct ErrorBody {
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub error: Option<ErrorDetail>,
}

/// `error` inside [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub(crate) struct ErrorDetail {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default, rename = "declineCode")]
    pub decline_code_camel: Option<String>,
    #[serde(default)]
    pub decline_code: Option<String>,
    #[serde(default)]
    pub charge: Option<String>,
    #[serde(default)]
    pub param: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

/// A Platform v3 collection: `{"elements": [...]}`. Lenient, for expansions inside an object,
/// which Clover may send as a bare `{"href": …}` when it did not expand them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Elements<T> {
    #[serde(default = "Vec::new")]
    pub elements: Vec<T>,
}

/// A Platform v3 listing answered at the top level: `elements` must be there, because an answer
/// without it read as an empty page would make a sync deactivate every card.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Listing<T> {
    pub elements: Vec<T>,
}

/// A v3 customer with its expansions (notes §2.6).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Customer {
    pub id: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub email_addresses: Option<Elements<EmailAddress>>,
    #[serde(default)]
    pub phone_numbers: Option<Elements<PhoneNumber>>,
    #[serde(default)]
    pub cards: Option<Elements<Card>>,
}

/// `emailAddresses` element.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EmailAddress {
    #[serde(default)]
    pub email_address: Option<String>,
}

/// `phoneNumbers` element.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PhoneNumber {
    #[serde(default)]
    pub phone_number: Option<String>,
}

/// A v3 card element.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Card {
    /// The card's id: what `DELETE /v1/customers/{id}/sources/{cardId}` names.
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub first6: Option<String>,
    pub last4: String,
    pub expiration_date: String,
    #[serde(default)]
    pub card_type: Option<String>,
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub token_type: Option<String>,
}

/// `GET /v3/merchants/{mId}/gateway`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Gateway {
    #[serde(default)]
    pub supports_multi_pay_token: Option<bool>,
}

/// `GET /pakms/apikey` (docs.clover.com "Create a card token", notes §2.7): the merchant's public
/// key for the tokenizer and the iframe.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PakmsKey {
    pub api_access_key: String,
}

/// `POST /v1/customers` (docs.clover.com "Save a card for future transactions",
/// https://docs.clover.com/docs/ecommerce-saving-card: `email` and `source` required, names in
/// camelCase, `ecomind`); `PUT /v1/customers/{id}` with only `source` adds a card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CustomerWrite {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    pub source: String,
    pub ecomind: &'static str,
}

/// The v1 customer answer: only its id is read (the card comes from the charge).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct CustomerV1 {
    pub id: String,
}
