//! ProcessOut's JSON, named as in its API reference (`shared/providers/processout.md` §2).
//! Only the fields Coffer reads or sends; unknown answer fields are ignored, and absent or
//! `null` ones read as `None`, so a richer answer never breaks the client.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `{"success": false, "error_type": …, "message": …}`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ErrorBody {
    pub error_type: Option<String>,
    pub message: Option<String>,
}

/// The pagination fields every list answer carries next to its array.
#[derive(Debug, Deserialize)]
pub(crate) struct CustomerList {
    pub customers: Vec<Customer>,
    #[serde(default)]
    pub has_more: bool,
    pub total_count: Option<u64>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Customer {
    pub id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company_name: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub phone: Option<Phone>,
    /// Customer object fields (notes §2 Customers, processout-go `Customer.Metadata`,
    /// `CreatedAt`); `null` reads as empty, like an absent field.
    #[serde(default, deserialize_with = "map_or_null")]
    pub metadata: BTreeMap<String, String>,
    pub created_at: Option<String>,
}

/// `POST /customers` (notes §2 Customers: all fields optional).
#[derive(Debug, Serialize)]
pub(crate) struct CustomerCreate<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<&'a str>,
    /// Where an APM's page sends the customer back (seed 002 "Saving APM tokens", step 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_url: Option<&'a str>,
    pub metadata: BTreeMap<&'static str, &'a str>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CustomerReply {
    pub customer: Customer,
}

/// `POST /customers/{id}/tokens` with a `card_…` source (notes §2 Customer tokens: `source`,
/// `verify`, `description`, `metadata`).
#[derive(Debug, Serialize)]
pub(crate) struct TokenCreate<'a> {
    pub source: &'a str,
    pub verify: bool,
    pub description: &'a str,
    pub metadata: BTreeMap<&'static str, &'a str>,
}

/// `POST /customers/{id}/tokens` without a source: the blank token an APM (or a card) is saved
/// onto later (seed 002 "Saving APM tokens", step 2: `return_url`, `verify`).
#[derive(Debug, Serialize)]
pub(crate) struct TokenBlank<'a> {
    pub return_url: &'a str,
    pub verify: bool,
    pub description: &'a str,
    pub metadata: BTreeMap<&'static str, &'a str>,
}

/// `PUT /customers/{id}/tokens/{token_id}`: the blank token saved with its source, a
/// `gway_req_…` or a `card_…` (seed 002 step 4, its curl and `token.save({source, verify})`;
/// processout-go `token.go` `Token.Save` is the same `PUT`).
#[derive(Debug, Serialize)]
pub(crate) struct TokenSave<'a> {
    pub source: &'a str,
    pub verify: bool,
}

/// `GET /gateway-configurations` (seed 002 step 3, ProcessOut.js `fetchGatewayConfigurations`):
/// field names from processout-go `GatewayConfiguration`.
#[derive(Debug, Deserialize)]
pub(crate) struct GatewayConfigurationList {
    #[serde(default)]
    pub gateway_configurations: Vec<GatewayConfigurationListed>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct GatewayConfigurationListed {
    pub id: String,
    pub gateway: Option<Gateway>,
}

/// `GET /cards/{id}`: a card ProcessOut.js tokenized (processout/processout-go `card.go`
/// `Card.Find`: answer under `card`, with `id`, `project_id`). `used` is from notes §2 embedded
/// card fields; processout-go's `Card` lacks it, so an absent `used` reads as `false` (the token
/// creation then refuses a used card itself).
#[derive(Debug, Deserialize)]
pub(crate) struct CardReply {
    pub card: CardRecord,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CardRecord {
    pub id: String,
    pub project_id: Option<String>,
    #[serde(default)]
    pub used: bool,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Phone {
    pub number: Option<String>,
    pub dialing_code: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct TokenList {
    pub tokens: Vec<Token>,
    #[serde(default)]
    pub has_more: bool,
}

#[derive(Debug, Deserialize)]
pub(crate) struct TokenReply {
    pub token: Token,
}

/// A customer token (`tok_…`).
#[derive(Debug, Deserialize)]
pub(crate) struct Token {
    pub id: String,
    /// `card`, `gateway_token` (APM) or `pending`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub card: Option<Card>,
    pub is_chargeable: Option<bool>,
    pub verification_status: Option<String>,
    /// The customer owning the token (processout-go `Token.CustomerID`).
    pub customer_id: Option<String>,
    /// The verification's invoice (the token object's `invoice_id`, notes §2).
    pub invoice_id: Option<String>,
    /// The token object's `metadata` (notes §2, and its example answer); `null` reads as empty,
    /// like an absent field.
    #[serde(default, deserialize_with = "map_or_null")]
    pub metadata: BTreeMap<String, String>,
    /// Expanded with `expand=gateway_configuration` (processout-go
    /// `Token.GatewayConfiguration`): names an APM token's method.
    pub gateway_configuration: Option<GatewayConfiguration>,
}

/// A gateway configuration (processout-go `GatewayConfiguration`): its own name and its
/// gateway's.
#[derive(Debug, Deserialize)]
pub(crate) struct GatewayConfiguration {
    pub name: Option<String>,
    pub gateway: Option<Gateway>,
}

/// A gateway (processout-go `Gateway`: `name`, `display_name`).
#[derive(Debug, Deserialize)]
pub(crate) struct Gateway {
    pub name: Option<String>,
    pub display_name: Option<String>,
}

/// The card embedded in a token: display fields only.
#[derive(Debug, Deserialize)]
pub(crate) struct Card {
    pub scheme: Option<String>,
    pub iin: Option<String>,
    pub last_4_digits: Option<String>,
    pub exp_month: Option<u32>,
    pub exp_year: Option<i32>,
    pub bank_name: Option<String>,
    pub initial_scheme_transaction_id: Option<String>,
}

/// `POST /invoices`.
#[derive(Debug, Serialize)]
pub(crate) struct InvoiceCreate<'a> {
    pub name: &'a str,
    pub amount: String,
    pub currency: &'a str,
    pub customer_id: &'a str,
    pub order_id: &'a str,
    pub initiation_type: &'static str,
    pub payment_intent: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<InvoiceDetail<'a>>,
    pub metadata: BTreeMap<&'static str, &'a str>,
}

/// One line item of an invoice.
#[derive(Debug, Serialize)]
pub(crate) struct InvoiceDetail<'a> {
    pub name: &'a str,
    pub amount: String,
    pub quantity: u32,
}

#[derive(Debug, Deserialize)]
pub(crate) struct InvoiceReply {
    pub invoice: Invoice,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Invoice {
    pub id: String,
    pub transaction_id: Option<String>,
    pub order_id: Option<String>,
    pub initiation_type: Option<String>,
    pub payment_intent: Option<String>,
    pub name: Option<String>,
    pub amount: Option<String>,
    pub currency: Option<String>,
    /// `null` reads as empty, like an absent field.
    #[serde(default, deserialize_with = "map_or_null")]
    pub metadata: BTreeMap<String, String>,
    pub created_at: Option<String>,
}

/// `GET /invoices`, newest first.
#[derive(Debug, Deserialize)]
pub(crate) struct InvoiceList {
    pub invoices: Vec<Invoice>,
    #[serde(default)]
    pub has_more: bool,
}

fn map_or_null<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    Ok(Option::<BTreeMap<String, String>>::deserialize(deserializer)?.unwrap_or_default())
}

/// `POST /invoices/{id}/capture`.
#[derive(Debug, Serialize)]
pub(crate) struct Capture<'a> {
    pub source: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_scheme_transaction_id: Option<&'a str>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct TransactionReply {
    pub transaction: Transaction,
}

#[derive(Debug, Deserialize)]
pub(crate) struct TransactionList {
    pub transactions: Vec<Transaction>,
    #[serde(default)]
    pub has_more: bool,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Transaction {
    pub id: String,
    pub invoice_id: Option<String>,
    pub status: String,
    pub amount: String,
    pub currency: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub scheme_id: Option<String>,
    pub created_at: Option<String>,
    pub customer_id: Option<String>,
    pub token_id: Option<String>,
}

/// `POST /invoices/{id}/refunds`.
#[derive(Debug, Serialize)]
pub(crate) struct RefundCreate {
    pub amount: String,
    pub reason: &'static str,
    pub metadata: std::collections::BTreeMap<&'static str, String>,
}

/// `GET /transactions/{id}/refunds`.
#[derive(Debug, Deserialize)]
pub(crate) struct RefundsReply {
    pub refunds: Vec<Refund>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RefundReply {
    pub refund: Refund,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Refund {
    pub id: String,
    pub amount: String,
    #[serde(default)]
    pub has_failed: bool,
    #[serde(default)]
    pub metadata: std::collections::BTreeMap<String, String>,
}
