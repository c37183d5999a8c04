//! The IPS Assist client (`shared/providers/assist.md`).
//!
//! Assist authenticates with `Merchant_ID`, `Login` and `Password` in every request body and
//! answers `Format=3` XML whose `firstcode`/`secondcode` say whether the request was processed
//! at all; HTTP 200 says nothing about money. It keeps no customer list: Coffer holds the
//! register and asks for a customer's One Click cards by `CustomerNumber`. Cardholder-initiated
//! charges go through Token Pay with the card's token; merchant-initiated ones through `rp.cfm`
//! against the billnumber of the initial order. `OrderNumber` is not an idempotency key (a
//! resend may charge again), so charges are sent once and an unknown outcome is settled with
//! `orderresult` by OrderNumber.

mod convert;
mod errors;
mod wire;

use async_trait::async_trait;
use chrono::{Datelike, Duration, Timelike, Utc};
use coffer_core::{
    Currency, CustomerRef, Merchant, Money, ProviderAccount, ProviderKind, ProviderRef,
};
use secrecy::{ExposeSecret, SecretString};

use crate::http::{body_text, HttpClient, HttpPolicy, Resend};
use crate::{
    Capabilities, ChargeLookup, ChargeOutcome, ChargeRequest, InitialOutcome, InitialRequest,
    InitialStep, Page, Provider, ProviderError, ProviderErrorKind, RefundLookup, RefundOutcome,
    RefundRequest, RefundsSeen, RemoteCard, RemoteCustomer, RemoteStatus,
};
use convert::Route;
use errors::Call;

/// How far back a lookup searches. orderresult defaults to three days, and a lookup carries no
/// send time, so the window is wide enough for a reconcile after a long outage.
const LOOKUP_DAYS: i64 = 31;

/// How far back a refund's charge is searched: refunds come weeks or months after the charge.
const REFUND_LOOKUP_DAYS: i64 = 400;

/// Messages and card data come back in English.
const LANGUAGE: &str = "EN";

/// One Assist merchant account (one `Merchant_ID`), ready to call.
#[derive(Debug)]
pub struct AssistClient {
    http: HttpClient,
    merchant_id: String,
    login: String,
    password: SecretString,
    currency: Currency,
}

impl AssistClient {
    /// Builds the client; the secret is the account's Password.
    pub fn new(merchant: &Merchant, secret: SecretString) -> Result<Self, ProviderError> {
        Self::with_policy(merchant, secret, HttpPolicy::default())
    }

    /// Like [`AssistClient::new`] with other timeouts and retry bounds.
    pub fn with_policy(
        merchant: &Merchant,
        secret: SecretString,
        policy: HttpPolicy,
    ) -> Result<Self, ProviderError> {
        let ProviderAccount::Assist { merchant_id, login } = &merchant.account else {
            return Err(ProviderError::new(
                ProviderErrorKind::InvalidRequest {
                    field: Some("account".into()),
                },
                format!("merchant '{}' is not an Assist account", merchant.name),
            ));
        };
        merchant.account.validate().map_err(|e| {
            ProviderError::new(
                ProviderErrorKind::InvalidRequest {
                    field: Some(e.field.to_string()),
                },
                e.to_string(),
            )
        })?;
        Ok(AssistClient {
            http: HttpClient::new(ProviderKind::Assist, &merchant.base_url, policy)?,
            merchant_id: merchant_id.trim().to_string(),
            login: login.trim().to_string(),
            password: secret,
            currency: merchant.currency,
        })
    }

    /// Posts a form and returns the `<result>` of a processed request; a non-zero
    /// `firstcode`/`secondcode` pair is an error of the call's kind.
    async fn post_form<F: wire::ServiceForm>(
        &self,
        call: Call,
        path: &str,
        form: &F,
    ) -> Result<wire::AssistResult, ProviderError> {
        let resend = match call {
            Call::Read => Resend::Safe,
            // OrderNumber and Externalrefundid are not documented idempotency keys.
            Call::Charge | Call::Recurring | Call::Refund => Resend::Once,
        };
        let url = self.http.url(path);
        let response = self
            .http
            .send(resend, |client| client.post(&url).form(form))
            .await?;
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            return Err(errors::http_status(call, status));
        }
        let body = body_text(response, resend).await?;
        let result = wire::AssistResult::parse(&body)?;
        let (first, second) = result.codes()?;
        if first != 0 || second != 0 {
            return Err(errors::web_service(call, first, second));
        }
        Ok(result)
    }

    /// The single order a payment answer carries.
    fn only_order(result: &wire::AssistResult) -> Result<&wire::Order, ProviderError> {
        result
            .all_orders()
            .next()
            .ok_or_else(|| ProviderError::malformed("Assist answered a payment without an order"))
    }

    /// Turns a payment answer into the trait's shape: approved → outcome; declined → error
    /// carrying the billnumber; undecided codes → unknown outcome to be looked up.
    fn settle(order: &wire::Order, initial: bool) -> Result<ChargeOutcome, ProviderError> {
        let outcome = convert::charge_outcome(order, initial)?;
        match &outcome.status {
            RemoteStatus::Succeeded | RemoteStatus::Pending => Ok(outcome),
            RemoteStatus::Declined { code, message, .. } => {
                let code = code.clone().unwrap_or_else(|| "Declined".into());
                // from_code reads AS107/AS200/AS998 as an unknown outcome even on a Declined
                // order (assist.md §4.5): the lookup then records the final state.
                let error = errors::from_code(&code, message.as_deref());
                Err(error.with_ref(outcome.provider_ref))
            }
        }
    }

    /// Token Pay (TokenType 5) with the customer's One Click token; the raw answer, so that
    /// [`Provider::record_initial`] can read the card off its operation.
    async fn token_pay(
        &self,
        request: &ChargeRequest,
    ) -> Result<wire::AssistResult, ProviderError> {
        let password = self.password.expose_secret();
        let form = wire::TokenPay {
            merchant_id: &self.merchant_id,
            login: &self.login,
            password,
            order_number: &request.order_id,
            order_amount: convert::amount_to_wire(request.amount, "OrderAmount")?,
            order_currency: request.amount.currency.code(),
            order_comment: &request.description,
            token_type: "5",
            payment_token: convert::payment_token(&request.card_token, request.customer.as_str()),
            language: LANGUAGE,
            format: wire::FORMAT_XML,
        };
        self.post_form(Call::Charge, "/pay/tokenpay.cfm", &form)
            .await
    }

    async fn recurring_payment(
        &self,
        request: &ChargeRequest,
        initial_bill: &str,
    ) -> Result<ChargeOutcome, ProviderError> {
        let password = self.password.expose_secret();
        let form = wire::RecurringPayment {
            merchant_id: &self.merchant_id,
            login: &self.login,
            password,
            bill_number: initial_bill,
            order_number: &request.order_id,
            amount: convert::amount_to_wire(request.amount, "Amount")?,
            currency: request.amount.currency.code(),
            order_comment: &request.description,
            terms: request
                .agreement
                .as_ref()
                .map(convert::recurring_terms)
                .transpose()?,
            language: LANGUAGE,
            format: wire::FORMAT_XML,
        };
        let result = self
            .post_form(Call::Recurring, "/recurrent/rp.cfm", &form)
            .await?;
        Self::settle(Self::only_order(&result)?, false)
    }

    /// orderresult for one OrderNumber over the last [`LOOKUP_DAYS`] (GMT).
    async fn order_result(
        &self,
        order_number: &str,
        days: i64,
    ) -> Result<wire::AssistResult, ProviderError> {
        let start = Utc::now() - Duration::days(days);
        let form = wire::OrderResult {
            order_number,
            merchant_id: &self.merchant_id,
            login: &self.login,
            password: self.password.expose_secret(),
            start_year: start.year().to_string(),
            start_month: start.month().to_string(),
            start_day: start.day().to_string(),
            start_hour: start.hour().to_string(),
            start_min: start.minute().to_string(),
            format: wire::FORMAT_XML,
        };
        self.post_form(Call::Read, "/orderresult/orderresult.cfm", &form)
            .await
    }
}

/// Fuzzing: every answer this client reads (the XML web-service result, the token listing),
/// interpreted as the client interprets it (`crate::fuzzing`). Errors are fine; a panic is the
/// bug.
#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz_answer(text: &str) {
    if let Ok(result) = wire::AssistResult::parse(text) {
        if let Ok((first, second)) = result.codes() {
            for call in [Call::Read, Call::Charge, Call::Recurring, Call::Refund] {
                let _ = errors::web_service(call, first, second);
            }
        }
        let orders: Vec<&wire::Order> = result.all_orders().collect();
        for initial in [false, true] {
            if let Some(order) = orders.first() {
                let _ = AssistClient::settle(order, initial);
            }
        }
        if let Some(order) = convert::pick_attempt(&orders, None) {
            let _ = convert::charge_outcome(order, false);
        }
        for order in &orders {
            let _ = convert::decisive_code(order);
            let _ = convert::order_status(order);
            let token = coffer_core::CardToken("fuzz".into());
            for op in &order.operation {
                let _ = convert::card_from_operation(&token, op);
                if let Some(amount) = op.amount.as_deref() {
                    let _ = convert::amount_from_wire(amount, coffer_core::Currency::EUR);
                }
                let _ = errors::from_code(
                    op.responsecode.as_deref().unwrap_or(""),
                    op.message.as_deref(),
                );
            }
        }
    }
    if let Ok(wire::TokenAnswer::Cards(cards)) = wire::parse_token_answer(text) {
        for card in &cards {
            let _ = convert::card_from_wire(card);
        }
    }
    let _ = convert::expiry_from_wire(text);
    let _ = convert::timestamp_from_wire(text);
    let _ = convert::currency_from_wire(text);
}

#[async_trait]
impl Provider for AssistClient {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Assist
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            lists_customers: false,
            cards_by_customer: true,
            idempotency_key: false,
            partial_refunds: true,
            initial_needs_card_page: false,
            currencies: vec![self.currency],
            resend: crate::ResendRule::Never,
            note: "Assist cannot list customers: Coffer keeps the register and looks cards up by CustomerNumber. \
                   Merchant-initiated charges reference the initial order's billnumber.",
        }
    }

    /// An orderresult for an order number nobody uses: processed (count 0) means the
    /// credentials work; 7/100 or 7/141 means they do not.
    async fn check_credentials(&self) -> Result<(), ProviderError> {
        self.order_result("coffer-credentials-check", LOOKUP_DAYS)
            .await
            .map(|_| ())
    }

    async fn list_customers(
        &self,
        _cursor: Option<String>,
        _limit: u32,
    ) -> Result<Page<RemoteCustomer>, ProviderError> {
        Err(ProviderError::new(
            ProviderErrorKind::Unsupported,
            "Assist has no customer listing; Coffer keeps the customer register and asks for cards by CustomerNumber",
        ))
    }

    async fn cards_of(&self, customer: &CustomerRef) -> Result<Vec<RemoteCard>, ProviderError> {
        let request = wire::TokenListing {
            merchant: wire::TokenMerchant {
                merchant_id: &self.merchant_id,
                login: &self.login,
                password: self.password.expose_secret(),
            },
            customernumber: customer.as_str(),
            language: LANGUAGE,
        };
        let url = self.http.url("/pay/oneclick/v1/token.cfm");
        let response = self
            .http
            .send(Resend::Safe, |client| client.post(&url).json(&request))
            .await?;
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            return Err(errors::http_status(Call::Read, status));
        }
        match wire::parse_token_answer(&body_text(response, Resend::Safe).await?)? {
            wire::TokenAnswer::Cards(cards) => cards.iter().map(convert::card_from_wire).collect(),
            wire::TokenAnswer::Error {
                firstcode,
                secondcode,
                message,
            } => {
                let number = |t: Option<String>| t.and_then(|t| t.trim().parse::<u16>().ok());
                let mut error = match (number(firstcode), number(secondcode)) {
                    (Some(first), second) => {
                        errors::web_service(Call::Read, first, second.unwrap_or(0))
                    }
                    (None, _) => ProviderError::new(
                        ProviderErrorKind::Unavailable,
                        "Assist token listing failed",
                    ),
                };
                if let Some(message) = message {
                    error.message = format!("{}: {message}", error.message);
                }
                Err(error)
            }
        }
    }

    async fn charge(&self, request: &ChargeRequest) -> Result<ChargeOutcome, ProviderError> {
        match convert::route(&request.credential)? {
            Route::TokenPay { initial } => {
                let result = self.token_pay(request).await?;
                Self::settle(Self::only_order(&result)?, initial)
            }
            Route::Recurring { initial_bill } => {
                self.recurring_payment(request, &initial_bill).await
            }
        }
    }

    async fn find_charge(
        &self,
        lookup: &ChargeLookup,
    ) -> Result<Option<ChargeOutcome>, ProviderError> {
        let result = self.order_result(&lookup.order_id, LOOKUP_DAYS).await?;
        let orders: Vec<&wire::Order> = result.all_orders().collect();
        let held = lookup.provider_ref.as_ref().map(ProviderRef::as_str);
        match convert::pick_attempt(&orders, held) {
            None => Ok(None),
            Some(order) => convert::charge_outcome(order, false).map(Some),
        }
    }

    async fn refund(&self, request: &RefundRequest) -> Result<RefundOutcome, ProviderError> {
        let bill = convert::billnumber_to_wire(&request.charge_ref)?;
        let whole = request.amount == request.charge_amount;
        let form = wire::Cancel {
            bill_number: &bill,
            merchant_id: &self.merchant_id,
            login: &self.login,
            password: self.password.expose_secret(),
            amount: if whole {
                None
            } else {
                Some(convert::amount_to_wire(request.amount, "Amount")?)
            },
            currency: (!whole).then(|| request.amount.currency.code()),
            cancel_reason: "1",
            external_refund_id: Some(request.refund_id.as_str()).filter(|id| !id.is_empty()),
            format: wire::FORMAT_XML,
        };
        let result = self
            .post_form(Call::Refund, "/cancel/wscancel.cfm", &form)
            .await?;
        let order = Self::only_order(&result)?;
        let cancel = order
            .operation
            .iter()
            .rev()
            .find(|op| op.operationtype.as_deref() == Some("300"));
        let code = cancel
            .and_then(|op| op.responsecode.as_deref())
            .or(order.responsecode.as_deref())
            .unwrap_or_default()
            .trim();
        if errors::classify(code) != errors::CodeClass::Success {
            let message = cancel.and_then(|op| op.message.as_deref());
            return Err(errors::from_code(code, message).with_ref(ProviderRef::from(bill.as_str())));
        }
        let reference = cancel
            .and_then(|op| op.billnumber.clone())
            .or_else(|| order.billnumber.clone())
            .ok_or_else(|| ProviderError::malformed("Assist cancel answer without a billnumber"))?;
        let amount = match cancel.and_then(|op| op.amount.as_deref()) {
            Some(text) => convert::amount_from_wire(text, request.amount.currency)?,
            None => request.amount,
        };
        Ok(RefundOutcome {
            provider_ref: ProviderRef::from(reference.trim()),
            amount,
        })
    }

    /// Assist's refunds are cancel operations (type 300) on the charge's order, without
    /// Coffer's `Externalrefundid`: the sum of the successful ones is what it can tell.
    async fn find_refund(&self, lookup: &RefundLookup) -> Result<RefundsSeen, ProviderError> {
        let bill = convert::billnumber_to_wire(&lookup.charge_ref)?;
        let result = self
            .order_result(&lookup.order_id, REFUND_LOOKUP_DAYS)
            .await?;
        let order = result
            .all_orders()
            .find(|o| {
                let held = o.billnumber.as_deref().map(str::trim);
                held == Some(bill.as_str()) || held == bill.split('.').next()
            })
            .ok_or_else(|| {
                ProviderError::new(
                    ProviderErrorKind::NotFound,
                    format!(
                        "Assist has no order {} with billnumber {bill} in the last {REFUND_LOOKUP_DAYS} days",
                        lookup.order_id
                    ),
                )
            })?;
        let currency = lookup.charge_amount.currency;
        let mut total = 0i64;
        for op in order
            .operation
            .iter()
            .filter(|op| op.operationtype.as_deref() == Some("300"))
        {
            let code = op.responsecode.as_deref().unwrap_or_default().trim();
            if errors::classify(code) != errors::CodeClass::Success {
                continue;
            }
            let amount = op.amount.as_deref().ok_or_else(|| {
                ProviderError::malformed("an Assist cancel operation without an amount")
            })?;
            total += convert::amount_from_wire(amount, currency)?.minor;
        }
        Ok(RefundsSeen::Total(Money::from_minor(total, currency)))
    }

    /// The initial One Click payment happens on Assist's page in the shop; what Coffer can make
    /// itself is a cardholder-initiated Token Pay with an already saved card, whose billnumber
    /// then links later merchant-initiated charges.
    async fn record_initial(&self, request: &InitialRequest) -> Result<InitialStep, ProviderError> {
        let token = request.card_token.clone().ok_or_else(|| {
            ProviderError::new(
                ProviderErrorKind::InvalidRequest { field: Some("card_token".into()) },
                "Assist saves a card only on its own payment page; record the initial with a One Click token",
            )
        })?;
        let charge = ChargeRequest {
            amount: request.amount,
            card_token: token.clone(),
            customer: request.customer.clone(),
            credential: coffer_core::StoredCredential::initial(request.reason),
            idempotency_key: request.idempotency_key.clone(),
            order_id: request.order_id.clone(),
            description: "Initial payment for stored credential".into(),
            agreement: None,
        };
        let result = self.token_pay(&charge).await?;
        let order = Self::only_order(&result)?;
        let outcome = Self::settle(order, true)?;
        if outcome.status != RemoteStatus::Succeeded {
            return Err(ProviderError::new(
                ProviderErrorKind::UnknownOutcome,
                "Assist has not decided the initial payment yet; look it up by its order number",
            )
            .with_ref(outcome.provider_ref));
        }
        let from_answer = order
            .operation
            .iter()
            .find_map(|op| convert::card_from_operation(&token, op));
        let card = match from_answer {
            Some(card) => card,
            None => self
                .cards_of(&request.customer)
                .await?
                .into_iter()
                .find(|c| c.token == token)
                .ok_or_else(|| {
                    ProviderError::malformed(
                        "the charged One Click card is not in the customer's listing",
                    )
                })?,
        };
        let initial_ref = outcome
            .initial_ref
            .clone()
            .unwrap_or_else(|| outcome.provider_ref.clone());
        Ok(InitialStep::Done(InitialOutcome {
            initial_ref: initial_ref.clone(),
            provider_ref: outcome.provider_ref,
            amount: outcome.amount,
            card: RemoteCard {
                initial_ref: Some(initial_ref),
                ..card
            },
        }))
    }
}
