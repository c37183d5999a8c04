//! ProcessOut's JSON as the emulator reads and writes it, written from the API notes
//! (`shared/providers/processout.md` §2). Requests: every field optional, `null` read as absent,
//! unknown keys ignored (the Python SDK sends every key it knows). Responses: the documented
//! field names, amounts as unpadded decimal strings, RFC 3339 UTC timestamps.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::rules::render_amount;
use super::state::{
    CardSnapshot, Customer, Detail, Event, Invoice, Operation, Refund, Token, Transaction,
};

pub(crate) type Metadata = BTreeMap<String, String>;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct CustomerCreate {
    pub id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub company_name: Option<String>,
    pub country_code: Option<String>,
    pub currency: Option<String>,
    pub reference_id: Option<String>,
    pub metadata: Option<Metadata>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct TokenCreate {
    pub source: Option<String>,
    pub verify: Option<bool>,
    pub description: Option<String>,
    pub return_url: Option<String>,
    pub metadata: Option<Metadata>,
    pub set_default: Option<bool>,
}

/// The sandbox's stand-in for ProcessOut.js card tokenization (`POST /cards`).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CardCreate {
    pub number: Option<String>,
    /// ProcessOut.js sends the expiry as strings (`getMonth().toString()`, processout.js
    /// `tokenizeCard`); a number is accepted too.
    #[serde(default, deserialize_with = "number_or_text")]
    pub exp_month: Option<u32>,
    #[serde(default, deserialize_with = "number_or_text")]
    pub exp_year: Option<i32>,
    // `cvc` / `cvc2` (ProcessOut.js's name) are accepted and never read: the docs say the
    // sandbox does not check it, and it must never be stored.
    pub name: Option<String>,
}

/// A number sent as a JSON number or as its decimal text; anything else reads as absent, so
/// the route answers its own validation error.
fn number_or_text<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr,
{
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(match value {
        Some(serde_json::Value::Number(n)) => n.to_string().parse().ok(),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct DetailIn {
    pub name: Option<String>,
    pub amount: Option<String>,
    pub quantity: Option<i64>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct InvoiceCreate {
    pub name: Option<String>,
    pub amount: Option<String>,
    pub currency: Option<String>,
    pub customer_id: Option<String>,
    pub order_id: Option<String>,
    pub details: Option<Vec<DetailIn>>,
    pub metadata: Option<Metadata>,
    pub initiation_type: Option<String>,
    pub payment_intent: Option<String>,
    pub merchant_initiator_type: Option<String>,
    pub statement_descriptor: Option<String>,
    pub description: Option<String>,
}

/// Body of `authorize` and `capture`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PaymentIn {
    pub source: Option<String>,
    pub capture_amount: Option<String>,
    pub initial_scheme_transaction_id: Option<String>,
    pub metadata: Option<Metadata>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RefundCreate {
    pub amount: Option<String>,
    pub reason: Option<String>,
    pub information: Option<String>,
    pub metadata: Option<Metadata>,
}

fn time(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

#[derive(Debug, Serialize)]
pub(crate) struct CustomerOut {
    id: String,
    project_id: String,
    default_token_id: Option<String>,
    balance: &'static str,
    currency: Option<String>,
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    company_name: Option<String>,
    country_code: Option<String>,
    phone_number: Option<String>,
    reference_id: Option<String>,
    metadata: Metadata,
    sandbox: bool,
    created_at: String,
}

impl CustomerOut {
    pub fn new(project_id: &str, c: &Customer) -> CustomerOut {
        CustomerOut {
            id: c.id.clone(),
            project_id: project_id.to_string(),
            default_token_id: c.default_token_id.clone(),
            balance: "0",
            currency: c.currency.map(|c| c.code().to_string()),
            email: c.email.clone(),
            first_name: c.first_name.clone(),
            last_name: c.last_name.clone(),
            company_name: c.company_name.clone(),
            country_code: c.country_code.clone(),
            phone_number: c.phone_number.clone(),
            reference_id: c.reference_id.clone(),
            metadata: c.metadata.clone(),
            sandbox: true,
            created_at: time(&c.created_at),
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct CardOut {
    id: String,
    project_id: String,
    scheme: String,
    #[serde(rename = "type")]
    card_type: String,
    bank_name: Option<String>,
    iin: String,
    last_4_digits: String,
    exp_month: u32,
    exp_year: i32,
    name: Option<String>,
    initial_scheme_transaction_id: Option<String>,
    used: bool,
    sandbox: bool,
    created_at: String,
}

impl CardOut {
    pub fn new(project_id: &str, c: &CardSnapshot) -> CardOut {
        CardOut {
            id: c.id.clone(),
            project_id: project_id.to_string(),
            scheme: c.scheme.clone(),
            card_type: c.card_type.clone(),
            bank_name: c.bank_name.clone(),
            iin: c.iin.clone(),
            last_4_digits: c.last_4_digits.clone(),
            exp_month: c.exp_month,
            exp_year: c.exp_year,
            name: c.name.clone(),
            initial_scheme_transaction_id: c.initial_scheme_transaction_id.clone(),
            used: c.used,
            sandbox: true,
            created_at: time(&c.created_at),
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct TokenOut {
    id: String,
    customer_id: String,
    #[serde(rename = "type")]
    kind: String,
    card_id: Option<String>,
    card: Option<CardOut>,
    is_default: bool,
    is_chargeable: bool,
    is_subscription_only: bool,
    verification_status: String,
    /// The verification's invoice, when the token was verified (the token object's
    /// `invoice_id`, notes §2; docs/processout.md "Enrollment").
    invoice_id: Option<String>,
    summary: Option<String>,
    description: Option<String>,
    return_url: Option<String>,
    metadata: Metadata,
    created_at: String,
    gateway_configuration_id: Option<String>,
    /// Only when the request asked `expand=gateway_configuration`.
    #[serde(skip_serializing_if = "Option::is_none")]
    gateway_configuration: Option<serde_json::Value>,
    #[serde(skip)]
    gateway: Option<crate::processout::state::ApmGateway>,
}

impl TokenOut {
    /// With the APM token's gateway configuration embedded, when `expand` asks for it.
    pub fn expanded(mut self, expand: bool) -> TokenOut {
        if expand {
            self.gateway_configuration = self.gateway.as_ref().map(|g| {
                serde_json::json!({
                    "id": g.configuration_id,
                    "name": g.configuration_name,
                    "gateway": {"name": g.gateway_name, "display_name": g.display_name},
                })
            });
        }
        self
    }

    pub fn new(project_id: &str, t: &Token, default_token_id: Option<&str>) -> TokenOut {
        TokenOut {
            id: t.id.clone(),
            customer_id: t.customer_id.clone(),
            kind: t.kind.clone(),
            card_id: t.card.as_ref().map(|c| c.id.clone()),
            card: t.card.as_ref().map(|c| CardOut::new(project_id, c)),
            is_default: default_token_id == Some(t.id.as_str()),
            // Tokens reference and seed 002 ("Saving APM tokens"): read-only, whether the token
            // can be charged; which seeded APM is chargeable is our choice (docs/processout.md).
            is_chargeable: t.is_chargeable(),
            is_subscription_only: false,
            verification_status: t.verification_status.clone(),
            invoice_id: t.invoice_id.clone(),
            summary: t
                .card
                .as_ref()
                .map(|c| format!("**** **** **** {}", c.last_4_digits)),
            description: t.description.clone(),
            return_url: t.return_url.clone(),
            metadata: t.metadata.clone(),
            created_at: time(&t.created_at),
            gateway_configuration_id: t.gateway.as_ref().map(|g| g.configuration_id.clone()),
            gateway_configuration: None,
            gateway: t.gateway.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
struct DetailOut {
    id: String,
    name: String,
    amount: String,
    quantity: i64,
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct InvoiceOut {
    id: String,
    project_id: String,
    transaction_id: String,
    customer_id: Option<String>,
    token_id: Option<String>,
    name: String,
    amount: String,
    currency: String,
    order_id: Option<String>,
    initiation_type: Option<String>,
    payment_intent: Option<String>,
    merchant_initiator_type: Option<String>,
    statement_descriptor: Option<String>,
    details: Vec<DetailOut>,
    metadata: Metadata,
    sandbox: bool,
    created_at: String,
}

impl InvoiceOut {
    pub fn new(project_id: &str, i: &Invoice) -> InvoiceOut {
        let detail = |d: &Detail| DetailOut {
            id: d.id.clone(),
            name: d.name.clone(),
            amount: render_amount(d.amount_minor, i.currency),
            quantity: d.quantity,
            kind: d.kind.clone(),
        };
        InvoiceOut {
            id: i.id.clone(),
            project_id: project_id.to_string(),
            transaction_id: i.transaction_id.clone(),
            customer_id: i.customer_id.clone(),
            token_id: i.token_id.clone(),
            name: i.name.clone(),
            amount: render_amount(i.amount_minor, i.currency),
            currency: i.currency.code().to_string(),
            order_id: i.order_id.clone(),
            // ProcessOut's own example answers upper case to a lower-case request.
            initiation_type: i.initiation_type.as_ref().map(|t| t.to_ascii_uppercase()),
            payment_intent: i.payment_intent.clone(),
            merchant_initiator_type: i.merchant_initiator_type.clone(),
            statement_descriptor: i.statement_descriptor.clone(),
            details: i.details.iter().map(detail).collect(),
            metadata: i.metadata.clone(),
            sandbox: true,
            created_at: time(&i.created_at),
        }
    }
}

#[derive(Debug, Serialize)]
struct OperationOut {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    amount: String,
    is_successful: bool,
    error_code: Option<String>,
    created_at: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct RefundOut {
    id: String,
    transaction_id: String,
    amount: String,
    reason: String,
    information: Option<String>,
    has_failed: bool,
    metadata: Metadata,
    sandbox: bool,
    created_at: String,
}

impl RefundOut {
    pub fn new(r: &Refund, currency: coffer_core::Currency) -> RefundOut {
        RefundOut {
            id: r.id.clone(),
            transaction_id: r.transaction_id.clone(),
            amount: render_amount(r.amount_minor, currency),
            reason: r.reason.clone(),
            information: r.information.clone(),
            has_failed: false,
            metadata: r.metadata.clone(),
            sandbox: true,
            created_at: time(&r.created_at),
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct TransactionOut {
    id: String,
    project_id: String,
    invoice_id: String,
    customer_id: Option<String>,
    token_id: Option<String>,
    card_id: Option<String>,
    name: String,
    status: String,
    amount: String,
    currency: String,
    authorized_amount: String,
    captured_amount: String,
    refunded_amount: String,
    voided_amount: String,
    available_amount: String,
    authorized: bool,
    captured: bool,
    voided: bool,
    refunded: bool,
    chargedback: bool,
    error_code: Option<String>,
    error_message: Option<String>,
    gateway_name: &'static str,
    scheme_id: Option<String>,
    initial_scheme_transaction_id: Option<String>,
    operations: Vec<OperationOut>,
    refunds: Vec<RefundOut>,
    metadata: Metadata,
    sandbox: bool,
    created_at: String,
    authorized_at: Option<String>,
    captured_at: Option<String>,
    refunded_at: Option<String>,
    voided_at: Option<String>,
}

impl TransactionOut {
    pub fn new(project_id: &str, t: &Transaction) -> TransactionOut {
        let amount = |minor: i64| render_amount(minor, t.currency);
        let operation = |o: &Operation| OperationOut {
            id: o.id.clone(),
            kind: o.kind.clone(),
            amount: amount(o.amount_minor),
            is_successful: o.is_successful,
            error_code: o.error_code.clone(),
            created_at: time(&o.created_at),
        };
        TransactionOut {
            id: t.id.clone(),
            project_id: project_id.to_string(),
            invoice_id: t.invoice_id.clone(),
            customer_id: t.customer_id.clone(),
            token_id: t.token_id.clone(),
            card_id: t.card_id.clone(),
            name: t.name.clone(),
            status: t.status.clone(),
            amount: amount(t.amount_minor),
            currency: t.currency.code().to_string(),
            authorized_amount: amount(t.authorized_minor),
            captured_amount: amount(t.captured_minor),
            refunded_amount: amount(t.refunded_minor),
            voided_amount: amount(t.voided_minor),
            available_amount: amount(t.captured_minor - t.refunded_minor),
            authorized: t.authorized_minor > 0,
            captured: t.captured_minor > 0,
            voided: t.voided_minor > 0,
            refunded: t.refunded_minor > 0,
            chargedback: false,
            error_code: t.error_code.clone(),
            error_message: t.error_message.clone(),
            gateway_name: "sandbox",
            scheme_id: t.scheme_id.clone(),
            initial_scheme_transaction_id: t.initial_scheme_transaction_id.clone(),
            operations: t.operations.iter().map(operation).collect(),
            refunds: t
                .refunds
                .iter()
                .map(|r| RefundOut::new(r, t.currency))
                .collect(),
            metadata: t.metadata.clone(),
            sandbox: true,
            created_at: time(&t.created_at),
            authorized_at: t.authorized_at.as_ref().map(time),
            captured_at: t.captured_at.as_ref().map(time),
            refunded_at: t.refunded_at.as_ref().map(time),
            voided_at: t.voided_at.as_ref().map(time),
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct EventOut {
    id: String,
    project_id: String,
    name: String,
    data: serde_json::Value,
    sandbox: bool,
    fired_at: String,
    /// Webhook delivery is not emulated, so there are no attempts to list.
    webhooks: Vec<serde_json::Value>,
}

impl EventOut {
    pub fn new(project_id: &str, e: &Event) -> EventOut {
        EventOut {
            id: e.id.clone(),
            project_id: project_id.to_string(),
            name: e.name.clone(),
            data: e.data.clone(),
            sandbox: true,
            fired_at: time(&e.fired_at),
            webhooks: Vec::new(),
        }
    }
}
