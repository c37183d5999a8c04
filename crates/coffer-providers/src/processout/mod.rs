//! The ProcessOut client. A charge of a stored card is an invoice tagged with the network flags,
//! captured with the customer token as `source`; the invoice's `order_id` and name carry
//! Coffer's order id, so a charge whose answer was lost is found again among the customer's
//! transactions, or among the invoices made since it was sent. Every write carries an
//! `Idempotency-Key` and a body built the same way from the same [`ChargeRequest`], so the shared
//! HTTP client (and the engine, within [`crate::IDEMPOTENCY_WINDOW`]) may resend it safely.
//!
//! What a write's answer proves: a decline (HTTP 410 or a failed transaction) is an error; a
//! well-formed capture answer whose transaction is not decided yet (`waiting`, `pending`,
//! `authorized`…) is `Ok` with [`RemoteStatus::Pending`]; a 5xx, a timeout after sending or an
//! unreadable answer is [`ProviderErrorKind::UnknownOutcome`]. A reused key answered as a conflict
//! is [`ProviderErrorKind::Duplicate`]: look it up.

mod convert;
mod enrollment;
mod enrollment_token;
mod errors;
mod holdings;
mod lookup;
mod sandbox_page;
mod wire;

use async_trait::async_trait;
use coffer_core::{
    Currency, CustomerRef, Environment, Merchant, Money, ProcessOutAccount, ProviderAccount,
    ProviderKind, ProviderRef, StoredCredential,
};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::endpoints::Published;
use crate::http::{body_text, HttpClient, HttpPolicy, Resend};
use crate::Client;
use crate::{
    Capabilities, ChargeLookup, ChargeOutcome, ChargeRequest, InitialOutcome, InitialRequest,
    InitialStep, Page, Provider, ProviderError, ProviderErrorKind, RefundLookup, RefundOutcome,
    RefundRequest, RefundsSeen, RemoteCard, RemoteCustomer, RemoteStatus,
};
use coffer_core::Stage;

/// The header ProcessOut's own SDK pins; the sandbox accepts any value.
const API_VERSION: &str = "1.4.0.0";

/// The refund metadata key holding Coffer's refund id.
const REFUND_ID_KEY: &str = "coffer_refund_id";

/// The invoice metadata key holding the charge's idempotency key.
const CHARGE_KEY: &str = "coffer_idempotency_key";

/// Items per page of a lookup's listing: the most ProcessOut returns (notes §1 Pagination).
const PAGE_SIZE: u32 = 100;

/// The most pages one lookup reads. A lookup that stops there has not searched its whole
/// window, so it is an error, never "not found".
const LOOKUP_PAGE_LIMIT: usize = 1000;

/// ProcessOut's entry of [`crate::client`].
pub(crate) static CLIENT: Client = Client {
    connect: |merchant, secret| Ok(Box::new(ProcessOutClient::new(merchant, secret)?)),
    // processout-go: api.processout.com.
    domains: &["processout.com"],
    published: &[
        Published {
            stage: Stage::Production,
            // processout/processout-go processout.go: `Host = "https://api.processout.com"`; the
            // same host serves sandbox projects (docs.processout.com "Testing in the sandbox":
            // sandbox is chosen by the `test-` project id, not by a host).
            base_url: "https://api.processout.com",
            source: "processout/processout-go processout.go",
        },
        Published {
            stage: Stage::Test,
            base_url: "https://api.processout.com",
            source: "processout/processout-go processout.go; docs.processout.com/docs/testing-in-the-sandbox",
        },
    ],
    #[cfg(feature = "fuzzing")]
    fuzz_answer: fuzz_bytes,
};

/// One ProcessOut project, authenticated with HTTP Basic (project id : secret key).
#[derive(Debug)]
pub struct ProcessOutClient {
    http: HttpClient,
    project_id: String,
    secret: SecretString,
    /// Sandbox or live: only a sandbox project's enrollment page may be filled by Coffer.
    environment: Environment,
    /// Where ProcessOut.js and its card fields come from
    /// ([`crate::endpoints::processout_js_base`]).
    js: String,
    /// The API's origin, which ProcessOut.js posts the card to from the page.
    api: String,
}

/// What a call sends.
struct Call<'a> {
    method: Method,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<String>,
    idempotency_key: Option<&'a str>,
    resend: Resend,
}

impl<'a> Call<'a> {
    fn get(path: String) -> Call<'a> {
        Call {
            method: Method::GET,
            path,
            query: Vec::new(),
            body: None,
            idempotency_key: None,
            resend: Resend::Safe,
        }
    }

    fn post(
        path: String,
        body: &impl Serialize,
        idempotency_key: &'a str,
    ) -> Result<Call<'a>, ProviderError> {
        Ok(Call::post_json(path, json(body)?, idempotency_key))
    }

    /// A write whose body is already JSON text (the charge's, built by [`charge_bodies`]).
    fn post_json(path: String, body: String, idempotency_key: &'a str) -> Call<'a> {
        Call {
            method: Method::POST,
            path,
            query: Vec::new(),
            body: Some(body),
            idempotency_key: Some(idempotency_key),
            resend: Resend::Idempotent,
        }
    }

    fn query(mut self, name: &'static str, value: impl ToString) -> Call<'a> {
        self.query.push((name, value.to_string()));
        self
    }
}

/// A request body as JSON text. Field order is the struct's and maps are `BTreeMap`s, so the
/// same input gives the same bytes.
fn json(body: &impl Serialize) -> Result<String, ProviderError> {
    serde_json::to_string(body).map_err(|e| {
        ProviderError::new(
            ProviderErrorKind::InvalidRequest { field: None },
            format!("cannot encode request: {e}"),
        )
    })
}

/// The two writes of one charge: the invoice (`POST /invoices`) and its capture, with the
/// idempotency key of each. Built from the request alone — no clock, no random value — so a
/// resend of the same [`ChargeRequest`] sends the same bytes under the same keys, which is
/// what makes ProcessOut replay its first answer (DESIGN §4). `link` is the scheme transaction
/// id the capture names, resolved beforehand.
struct ChargeBodies {
    invoice: String,
    invoice_key: String,
    capture: String,
}

fn charge_bodies(
    request: &ChargeRequest,
    tagging: &convert::Tagging,
    link: Option<&str>,
) -> Result<ChargeBodies, ProviderError> {
    let amount = request.amount;
    let key = request.idempotency_key.as_str();
    let detail_name = convert::detail_name(&request.description);
    let mut metadata = std::collections::BTreeMap::new();
    metadata.insert(CHARGE_KEY, key);
    let invoice = wire::InvoiceCreate {
        name: convert::invoice_name(&request.order_id)?,
        amount: convert::amount_to_wire(amount),
        currency: amount.currency.code(),
        customer_id: request.customer.as_str(),
        order_id: &request.order_id,
        initiation_type: tagging.initiation_type,
        payment_intent: tagging.payment_intent,
        details: if detail_name.trim().is_empty() {
            Vec::new()
        } else {
            vec![wire::InvoiceDetail {
                name: &detail_name,
                amount: convert::amount_to_wire(amount),
                quantity: 1,
            }]
        },
        metadata,
    };
    let capture = wire::Capture {
        source: request.card_token.as_str(),
        initial_scheme_transaction_id: link,
    };
    Ok(ChargeBodies {
        invoice: json(&invoice)?,
        // The invoice gets a key of its own: keys are per request, and the capture uses the
        // charge's key so the provider's records name it.
        invoice_key: format!("invoice:{key}"),
        capture: json(&capture)?,
    })
}

impl ProcessOutClient {
    /// A client for the merchant's ProcessOut project with the default HTTP policy.
    pub fn new(merchant: &Merchant, secret: SecretString) -> Result<Self, ProviderError> {
        ProcessOutClient::with_policy(merchant, secret, HttpPolicy::default())
    }

    /// A client with its own timeouts and retry bounds (tests use short ones).
    pub fn with_policy(
        merchant: &Merchant,
        secret: SecretString,
        policy: HttpPolicy,
    ) -> Result<Self, ProviderError> {
        let ProviderAccount::ProcessOut(ProcessOutAccount { project_id }) = &merchant.account
        else {
            return Err(ProviderError::new(
                ProviderErrorKind::InvalidRequest {
                    field: Some("account".into()),
                },
                format!("merchant '{}' is not a ProcessOut account", merchant.name),
            ));
        };
        if project_id.trim().is_empty() {
            return Err(ProviderError::new(
                ProviderErrorKind::InvalidRequest {
                    field: Some("project_id".into()),
                },
                "the ProcessOut project id is empty",
            ));
        }
        Ok(ProcessOutClient {
            http: HttpClient::new(ProviderKind::ProcessOut, &merchant.base_url, policy)?,
            project_id: project_id.clone(),
            secret,
            environment: merchant.environment,
            js: crate::endpoints::processout_js_base(&merchant.base_url),
            api: crate::endpoints::processout_api_origin(&merchant.base_url),
        })
    }

    /// Sends a call and reads the resource out of the `success` envelope.
    async fn call<T: DeserializeOwned>(&self, call: Call<'_>) -> Result<T, ProviderError> {
        let url = self.http.url(&call.path);
        let response = self
            .http
            .send(call.resend, |client| {
                let mut request = client
                    .request(call.method.clone(), &url)
                    .basic_auth(&self.project_id, Some(self.secret.expose_secret()))
                    .header(reqwest::header::ACCEPT, "application/json")
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .header("API-Version", API_VERSION);
                if !call.query.is_empty() {
                    request = request.query(&call.query);
                }
                if let Some(key) = call.idempotency_key {
                    request = request.header("Idempotency-Key", key);
                }
                if let Some(body) = &call.body {
                    request = request.body(body.clone());
                }
                request
            })
            .await?;
        let status = response.status().as_u16();
        let write = call.resend != Resend::Safe;
        let text = body_text(response, call.resend).await?;
        let read = answer(status, &text, write).map_err(|e| match e {
            Answer::Refused(e) => e,
            Answer::NoEnvelope => ProviderError::malformed(format!(
                "{} {} answered without the success envelope",
                call.method, call.path
            )),
        });
        // An unreadable answer to a write may hide money that moved.
        if write {
            read.map_err(ProviderError::after_write)
        } else {
            read
        }
    }

    async fn transaction(&self, id: &str) -> Result<wire::Transaction, ProviderError> {
        let reply: wire::TransactionReply = self
            .call(Call::get(format!("/transactions/{}", convert::segment(id))))
            .await?;
        Ok(reply.transaction)
    }

    async fn invoice(&self, id: &str) -> Result<wire::Invoice, ProviderError> {
        let reply: wire::InvoiceReply = self
            .call(Call::get(format!("/invoices/{}", convert::segment(id))))
            .await?;
        Ok(reply.invoice)
    }

    /// The scheme transaction id to link an MIT to. Coffer may hold the initial CIT's own
    /// `tr_…` rather than its `scheme_id`; ProcessOut wants the scheme id, so it is looked up.
    async fn scheme_link(
        &self,
        initial_ref: Option<String>,
    ) -> Result<Option<String>, ProviderError> {
        match initial_ref {
            // An APM token saved with a zero-amount verification is its own initial: it has no
            // card scheme transaction to link to (our choice, `enrollment_token.rs`).
            Some(r) if r.starts_with("tok_") => Ok(None),
            Some(r) if r.starts_with("tr_") => {
                let initial = self.transaction(&r).await?;
                initial
                    .scheme_id
                    .filter(|s| !s.is_empty())
                    .map(Some)
                    .ok_or_else(|| {
                        ProviderError::new(
                            ProviderErrorKind::InvalidRequest {
                                field: Some("initial_ref".into()),
                            },
                            format!("the initial transaction {r} has no scheme id to link to"),
                        )
                    })
            }
            other => Ok(other),
        }
    }

    /// Creates the invoice and captures it with the customer token: one charge.
    async fn pay(&self, request: &ChargeRequest) -> Result<ChargeOutcome, ProviderError> {
        let amount = request.amount;
        if !amount.is_positive() {
            return Err(ProviderError::new(
                ProviderErrorKind::InvalidRequest {
                    field: Some("amount".into()),
                },
                format!("amount {amount} must be positive"),
            ));
        }
        let tagging = convert::tagging(&request.credential)?;
        // A read before any write: its failure sends nothing.
        let link = self.scheme_link(tagging.initial_ref.clone()).await?;
        let bodies = charge_bodies(request, &tagging, link.as_deref())?;
        let key = request.idempotency_key.as_str();
        let created: wire::InvoiceReply = self
            .call(Call::post_json(
                "/invoices".into(),
                bodies.invoice,
                &bodies.invoice_key,
            ))
            .await?;
        let transaction_id = created.invoice.transaction_id.clone().map(ProviderRef);
        let path = format!(
            "/invoices/{}/capture",
            convert::segment(&created.invoice.id)
        );
        let captured: Result<wire::TransactionReply, ProviderError> =
            self.call(Call::post_json(path, bodies.capture, key)).await;
        let transaction = match captured {
            Ok(reply) => reply.transaction,
            Err(mut e) => {
                if e.provider_ref.is_none() {
                    e.provider_ref = transaction_id;
                }
                return Err(e);
            }
        };
        // A transaction not decided yet (`pending`: "the final state arrives by event") is
        // returned as Pending: the engine looks it up, or resends under the same keys.
        let outcome = convert::outcome(transaction, tagging.starts_series)
            .map_err(ProviderError::after_write)?;
        match &outcome.status {
            RemoteStatus::Declined {
                hard,
                code,
                message,
            } => {
                let kind = if *hard {
                    ProviderErrorKind::DeclinedHard
                } else {
                    ProviderErrorKind::DeclinedSoft
                };
                let mut e = ProviderError::new(
                    kind,
                    message
                        .clone()
                        .unwrap_or_else(|| "ProcessOut declined".into()),
                )
                .with_ref(outcome.provider_ref.clone());
                e.provider_code = code.clone();
                Err(e)
            }
            _ => Ok(outcome),
        }
    }

    /// Outcome of a transaction read back, with the initial reference when its invoice started
    /// a series. A transaction nothing was attempted on yet (`waiting`) is Pending: its invoice
    /// exists, so the charge is not "not found".
    async fn settle(&self, transaction: wire::Transaction) -> Result<ChargeOutcome, ProviderError> {
        let starts_series = match &transaction.invoice_id {
            Some(id) => convert::invoice_starts_series(&self.invoice(id).await?),
            None => false,
        };
        convert::outcome(transaction, starts_series)
    }
}

/// Whether an invoice is the one a charge made: it carries the charge's key in its metadata,
/// or its order id (also its name) with the amount asked for.
fn is_the_charge(invoice: &wire::Invoice, lookup: &ChargeLookup) -> bool {
    if let Some(key) = invoice.metadata.get(CHARGE_KEY) {
        return key == lookup.idempotency_key.as_str();
    }
    let ours = invoice.order_id.as_deref() == Some(lookup.order_id.as_str())
        || (invoice.order_id.is_none() && invoice.name.as_deref() == Some(&lookup.order_id));
    let same_amount = match (&invoice.amount, &invoice.currency) {
        (Some(amount), Some(currency)) => {
            convert::amount_from_wire(amount, currency).ok() == Some(lookup.amount)
        }
        // An invoice that does not say its amount is matched by order id alone.
        _ => true,
    };
    ours && same_amount
}

/// Why an answer is not a `T`.
enum Answer {
    /// The provider refused, or its body is not a `T`.
    Refused(ProviderError),
    /// A body without ProcessOut's `success` envelope.
    NoEnvelope,
}

/// An answer's status and body as `T`: ProcessOut's envelope says `success`, else its error.
fn answer<T: DeserializeOwned>(status: u16, text: &str, write: bool) -> Result<T, Answer> {
    let value: Option<serde_json::Value> = serde_json::from_str(text).ok();
    let success = value
        .as_ref()
        .and_then(|v| v.get("success"))
        .and_then(serde_json::Value::as_bool);
    if !(200..300).contains(&status) || success == Some(false) {
        return Err(Answer::Refused(errors::from_answer(status, text, write)));
    }
    // Every ProcessOut answer carries `success`; anything else is not ProcessOut speaking.
    match (value, success) {
        (Some(value), Some(true)) => {
            serde_json::from_value(value).map_err(|e| Answer::Refused(ProviderError::malformed(e)))
        }
        _ => Err(Answer::NoEnvelope),
    }
}

/// Fuzzing: every answer this client reads, interpreted as the client interprets it
/// (`crate::fuzzing`). Errors are fine; a panic is the bug.
/// ProcessOut, as Clover: the `success` envelope, transactions, invoices, customers, tokens,
/// refunds.
#[cfg(feature = "fuzzing")]
fn fuzz_bytes(data: &[u8]) {
    fuzz_answer(200, &String::from_utf8_lossy(data));
    let (status, body) = crate::fuzzing::split(data);
    fuzz_answer(status, &body);
}

#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz_answer(status: u16, text: &str) {
    for write in [false, true] {
        if let Ok(reply) = answer::<wire::TransactionReply>(status, text, write) {
            let _ = convert::remote_status(&reply.transaction);
            let _ = convert::outcome(reply.transaction, true);
        }
        if let Ok(reply) = answer::<wire::InvoiceReply>(status, text, write) {
            let _ = convert::invoice_starts_series(&reply.invoice);
        }
        if let Ok(page) = answer::<wire::TransactionList>(status, text, write) {
            for t in page.transactions {
                let _ = convert::amount_from_wire(&t.amount, &t.currency);
                let _ = convert::outcome(t, false);
            }
        }
        if let Ok(page) = answer::<wire::CustomerList>(status, text, write) {
            for c in page.customers {
                let _ = convert::remote_customer(c);
            }
        }
        if let Ok(page) = answer::<wire::TokenList>(status, text, write) {
            for t in page.tokens {
                let _ = convert::remote_card(t);
            }
        }
        if let Ok(reply) = answer::<wire::TokenReply>(status, text, write) {
            let _ = convert::remote_card(reply.token);
        }
        if let Ok(reply) = answer::<wire::RefundReply>(status, text, write) {
            let _ = convert::amount_from_wire(&reply.refund.amount, "EUR");
        }
    }
}

#[async_trait]
impl Provider for ProcessOutClient {
    fn kind(&self) -> ProviderKind {
        ProviderKind::ProcessOut
    }

    fn hosted_enrollment(&self) -> Option<&dyn crate::HostedEnrollment> {
        Some(self)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            lists_customers: true,
            cards_by_customer: true,
            idempotency_key: true,
            partial_refunds: true,
            initial_needs_card_page: false,
            currencies: Vec::<Currency>::new(),
            resend: crate::ResendRule::SameKey {
                window: crate::IDEMPOTENCY_WINDOW,
            },
            absence_proves_after: None,
            note: "Each charge is an invoice captured with the customer token; ProcessOut links \
                   merchant-initiated charges to the card's initial payment by its scheme id.",
            card_revocation: crate::CardRevocation::AtProvider,
        }
    }

    async fn check_credentials(&self) -> Result<(), ProviderError> {
        let _: wire::CustomerList = self
            .call(Call::get("/customers".into()).query("limit", 1))
            .await?;
        Ok(())
    }

    async fn list_customers(
        &self,
        cursor: Option<String>,
        limit: u32,
    ) -> Result<Page<RemoteCustomer>, ProviderError> {
        let mut call = Call::get("/customers".into()).query("limit", limit.clamp(1, 100));
        if let Some(cursor) = cursor.filter(|c| !c.is_empty()) {
            call = call.query("start_after", cursor);
        }
        let page: wire::CustomerList = self.call(call).await?;
        let next = if page.has_more {
            page.customers.last().map(|c| c.id.clone())
        } else {
            None
        };
        Ok(Page {
            items: page
                .customers
                .into_iter()
                .map(convert::remote_customer)
                .collect(),
            next,
            total: page.total_count,
        })
    }

    async fn cards_of(&self, customer: &CustomerRef) -> Result<Vec<RemoteCard>, ProviderError> {
        let mut cards = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut call = Call::get(format!(
                "/customers/{}/tokens",
                convert::segment(customer.as_str())
            ))
            .query("limit", 100)
            .query("order", "asc")
            // Names an APM token's method (processout-go `Token.GatewayConfiguration`).
            .query("expand", "gateway_configuration");
            if let Some(c) = &cursor {
                call = call.query("start_after", c);
            }
            let page: wire::TokenList = self.call(call).await?;
            cursor = page.tokens.last().map(|t| t.id.clone());
            for token in page.tokens {
                cards.extend(convert::remote_card(token)?);
            }
            if !page.has_more || cursor.is_none() {
                return Ok(cards);
            }
        }
    }

    async fn charge(&self, request: &ChargeRequest) -> Result<ChargeOutcome, ProviderError> {
        self.pay(request).await
    }

    async fn check_card_on_file(
        &self,
        customer: &CustomerRef,
        token: &coffer_core::CardToken,
    ) -> Result<crate::CardOnFile, ProviderError> {
        self.token_on_file(customer, token).await
    }

    async fn check_initial(
        &self,
        initial: &crate::InitialRef,
    ) -> Result<crate::InitialSeen, ProviderError> {
        self.initial_seen(initial).await
    }

    async fn revoke_card(
        &self,
        customer: &CustomerRef,
        token: &coffer_core::CardToken,
    ) -> Result<crate::Revoked, ProviderError> {
        self.delete_token(customer, token).await
    }

    async fn find_charge(
        &self,
        lookup: &ChargeLookup,
    ) -> Result<Option<ChargeOutcome>, ProviderError> {
        let transaction = match &lookup.provider_ref {
            Some(r) if r.as_str().starts_with("tr_") => match self.transaction(r.as_str()).await {
                Ok(t) => Some(t),
                Err(e) if e.kind == ProviderErrorKind::NotFound => None,
                Err(e) => return Err(e),
            },
            _ => None,
        };
        let transaction = match transaction {
            Some(t) => Some(t),
            None => self.search(lookup).await?,
        };
        if let Some(t) = transaction {
            return self.settle(t).await.map(Some);
        }
        // No transaction names the charge; its invoice may still exist (created, capture never
        // arrived). It is not "not found": a resend under the same keys completes it.
        let Some(invoice) = self.search_invoices(lookup).await? else {
            return Ok(None);
        };
        if let Some(id) = invoice.transaction_id.as_deref().filter(|t| !t.is_empty()) {
            match self.transaction(id).await {
                Ok(t) => return self.settle(t).await.map(Some),
                Err(e) if e.kind == ProviderErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        let amount = match (&invoice.amount, &invoice.currency) {
            (Some(amount), Some(currency)) => convert::amount_from_wire(amount, currency)?,
            _ => lookup.amount,
        };
        Ok(Some(ChargeOutcome {
            provider_ref: ProviderRef(invoice.id),
            initial_ref: None,
            amount,
            status: RemoteStatus::Pending,
            warnings: Vec::new(),
            at: invoice
                .created_at
                .as_deref()
                .map(convert::time_from_wire)
                .transpose()?,
        }))
    }

    async fn refund(&self, request: &RefundRequest) -> Result<RefundOutcome, ProviderError> {
        let charge = request.charge_ref.as_str();
        let invoice_id = if charge.starts_with("iv_") {
            charge.to_string()
        } else {
            self.transaction(charge).await?.invoice_id.ok_or_else(|| {
                ProviderError::malformed(format!("transaction {charge} names no invoice"))
            })?
        };
        let body = wire::RefundCreate {
            amount: convert::amount_to_wire(request.amount),
            reason: "customer_request",
            // What finds the refund again when its answer is lost.
            metadata: [(REFUND_ID_KEY, request.refund_id.clone())].into(),
        };
        let path = format!("/invoices/{}/refunds", convert::segment(&invoice_id));
        // The refund's own key (Idempotency-Key) lets the shared client resend it safely.
        let reply: wire::RefundReply = self
            .call(Call::post(path, &body, request.idempotency_key.as_str())?)
            .await?;
        let amount =
            convert::amount_from_wire(&reply.refund.amount, request.amount.currency.code())
                .map_err(ProviderError::after_write)?;
        Ok(RefundOutcome {
            provider_ref: ProviderRef(reply.refund.id),
            amount,
            transfer: None,
        })
    }

    async fn find_refund(&self, lookup: &RefundLookup) -> Result<RefundsSeen, ProviderError> {
        let charge = lookup.charge_ref.as_str();
        let transaction = if charge.starts_with("iv_") {
            self.invoice(charge).await?.transaction_id.ok_or_else(|| {
                ProviderError::malformed(format!("invoice {charge} names no transaction"))
            })?
        } else {
            charge.to_string()
        };
        let path = format!("/transactions/{}/refunds", convert::segment(&transaction));
        let reply: wire::RefundsReply = self.call(Call::get(path)).await?;
        let currency = lookup.charge_amount.currency.code();
        let made: Vec<&wire::Refund> = reply.refunds.iter().filter(|r| !r.has_failed).collect();
        if let Some(hit) = made
            .iter()
            .find(|r| r.metadata.get(REFUND_ID_KEY) == Some(&lookup.refund_id))
        {
            return Ok(RefundsSeen::Exact(Some(RefundOutcome {
                provider_ref: ProviderRef(hit.id.clone()),
                amount: convert::amount_from_wire(&hit.amount, currency)?,
                transfer: None,
            })));
        }
        // A refund made elsewhere (the dashboard, an older Coffer) carries no id of ours: then
        // only the sum can say whether this one happened.
        if made.iter().any(|r| !r.metadata.contains_key(REFUND_ID_KEY)) {
            let mut total = 0i64;
            for refund in &made {
                total += convert::amount_from_wire(&refund.amount, currency)?.minor;
            }
            return Ok(RefundsSeen::Total(Money::from_minor(
                total,
                lookup.charge_amount.currency,
            )));
        }
        Ok(RefundsSeen::Exact(None))
    }

    async fn record_initial(&self, request: &InitialRequest) -> Result<InitialStep, ProviderError> {
        let token = request.card_token.as_ref().ok_or_else(|| {
            ProviderError::new(
                ProviderErrorKind::InvalidRequest {
                    field: Some("card_token".into()),
                },
                "ProcessOut needs the customer token (tok_…) to charge the initial payment",
            )
        })?;
        let charge = ChargeRequest {
            amount: request.amount,
            card_token: token.clone(),
            customer: request.customer.clone(),
            credential: StoredCredential::initial(request.reason),
            idempotency_key: request.idempotency_key.clone(),
            order_id: request.order_id.clone(),
            description: "Initial payment".into(),
            agreement: None,
            buyer: None,
        };
        let outcome = self.pay(&charge).await?;
        if outcome.status == RemoteStatus::Pending {
            return Err(ProviderError::new(
                ProviderErrorKind::UnknownOutcome,
                "ProcessOut has not decided the initial payment yet; look it up by its order id",
            )
            .with_ref(outcome.provider_ref));
        }
        // The transaction is made: what cannot be read from here on is an unknown outcome.
        let initial_ref = outcome.initial_ref.clone().ok_or_else(|| {
            ProviderError::new(
                ProviderErrorKind::UnknownOutcome,
                "the initial payment came back without a reference to link to; look it up",
            )
            .with_ref(outcome.provider_ref.clone())
        })?;
        let path = format!(
            "/customers/{}/tokens/{}",
            convert::segment(request.customer.as_str()),
            convert::segment(token.as_str())
        );
        // The payment is made: a card that cannot be read now must not read as a failed
        // initial payment, so every error here is an unknown outcome to look up.
        let made = outcome.provider_ref.clone();
        let card = async {
            // Expanded so an APM token is named by its method (processout-go `Token`).
            let call = Call::get(path).query("expand", "gateway_configuration");
            let reply: wire::TokenReply = self.call(call).await?;
            convert::remote_card(reply.token)?
                .ok_or_else(|| ProviderError::malformed(format!("token {token} holds no card")))
        }
        .await
        .map_err(|e| {
            ProviderError::new(
                ProviderErrorKind::UnknownOutcome,
                format!("the initial payment {made} was made, but its card could not be read: {e}"),
            )
            .with_ref(made.clone())
        })?;
        Ok(InitialStep::Done(InitialOutcome {
            initial_ref,
            provider_ref: outcome.provider_ref,
            amount: outcome.amount,
            card,
            kind: coffer_core::InitialKind::Recurring,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coffer_core::{CardToken, IdempotencyKey, Reason};

    fn request() -> ChargeRequest {
        ChargeRequest {
            amount: Money::from_minor(56810, Currency::EUR),
            card_token: CardToken("tok_b8Xq2Wm5RkT1vL9sNd4PzE7aYc3HjU6f".into()),
            customer: CustomerRef("cust_7Qd2Lk9PzR4mXo1VbT6sYe3WnHc8JuAf".into()),
            credential: StoredCredential::merchant_initiated(
                Reason::Recurring,
                ProviderRef("483920118822016".into()),
            ),
            idempotency_key: IdempotencyKey("coffer-charge-K1042-2026-02".into()),
            order_id: "K1042-2026-02".into(),
            description: "Monthly plan".into(),
            agreement: None,
            buyer: None,
        }
    }

    fn bodies(r: &ChargeRequest) -> ChargeBodies {
        let tagging = convert::tagging(&r.credential).unwrap();
        charge_bodies(r, &tagging, tagging.initial_ref.as_deref()).unwrap()
    }

    #[test]
    fn the_same_charge_request_gives_the_same_bodies_and_keys() {
        // Through serde, as the ledger keeps it: a resend after a restart starts from there.
        let stored = serde_json::to_string(&request()).unwrap();
        let again: ChargeRequest = serde_json::from_str(&stored).unwrap();
        let (first, second) = (bodies(&request()), bodies(&again));
        assert_eq!(
            first.invoice.as_bytes(),
            second.invoice.as_bytes(),
            "ProcessOut replays a key only for the same request (DESIGN §4)"
        );
        assert_eq!(first.capture.as_bytes(), second.capture.as_bytes());
        assert_eq!(
            first.invoice_key, second.invoice_key,
            "the invoice's key is derived from the charge's, never drawn"
        );
        let invoice: serde_json::Value = serde_json::from_str(&first.invoice).unwrap();
        assert_eq!(
            invoice["metadata"][CHARGE_KEY], "coffer-charge-K1042-2026-02",
            "the key rides in the invoice, so a lookup can match it"
        );
        assert_eq!(invoice["order_id"], "K1042-2026-02");
    }

    fn invoice(json: &str) -> wire::Invoice {
        serde_json::from_str(json).unwrap()
    }

    fn lookup() -> ChargeLookup {
        let r = request();
        ChargeLookup {
            idempotency_key: r.idempotency_key,
            order_id: r.order_id,
            provider_ref: None,
            customer: r.customer,
            card_token: r.card_token,
            amount: r.amount,
            sent_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn an_invoice_is_the_charge_by_its_key_else_by_order_id_and_amount() {
        let by_key = invoice(
            r#"{"id":"iv_1","metadata":{"coffer_idempotency_key":"coffer-charge-K1042-2026-02"},"order_id":"other"}"#,
        );
        assert!(is_the_charge(&by_key, &lookup()), "the key decides");
        let other_key = invoice(
            r#"{"id":"iv_2","metadata":{"coffer_idempotency_key":"another"},"order_id":"K1042-2026-02","amount":"568.1","currency":"EUR"}"#,
        );
        assert!(
            !is_the_charge(&other_key, &lookup()),
            "another attempt's invoice, even under the same order id"
        );
        let by_order = invoice(
            r#"{"id":"iv_3","metadata":null,"order_id":"K1042-2026-02","amount":"568.1","currency":"EUR"}"#,
        );
        assert!(
            is_the_charge(&by_order, &lookup()),
            "made without our metadata"
        );
        let other_amount =
            invoice(r#"{"id":"iv_4","order_id":"K1042-2026-02","amount":"10","currency":"EUR"}"#);
        assert!(!is_the_charge(&other_amount, &lookup()));
    }
}
