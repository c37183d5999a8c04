//! The IPS Assist client (`shared/providers/assist.md`).
//!
//! Assist authenticates with `Merchant_ID`, `Login` and `Password` in every request body and
//! answers `Format=3` XML whose `firstcode`/`secondcode` say whether the request was processed
//! at all; HTTP 200 says nothing about money. It keeps no customer list: Coffer holds the
//! register and asks for a customer's One Click cards by `CustomerNumber`. Cardholder-initiated
//! charges go through Token Pay with the card's token; merchant-initiated ones through `rp.cfm`
//! against the billnumber of the initial order. `OrderNumber` is not an idempotency key (a
//! resend may charge again), so charges are sent once and an unknown outcome is settled with
//! `orderresult` by OrderNumber, searching from shortly before the charge was sent.
//!
//! What a write's answer proves (assist.md §4.5): `Approved` is a charge, `Declined` with a
//! decline code a decline, a duplicate OrderNumber (`11/…`) [`ProviderErrorKind::Duplicate`].
//! Everything else — HTTP 5xx, a timeout or reset after sending, an unreadable answer,
//! `firstcode` 2 or 16, `orderstate` `In Process`, `responsecode` AS107, AS200, AS300 or AS998 —
//! is [`ProviderErrorKind::UnknownOutcome`] carrying the billnumber when there is one. A charge
//! never answers `Ok` with `Pending`.

mod convert;
mod enrollment;
mod errors;
mod holdings;
mod wire;

use async_trait::async_trait;
use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use coffer_core::{
    AssistAccount, Currency, CustomerRef, Environment, Merchant, Money, ProviderAccount,
    ProviderKind, ProviderRef,
};
use secrecy::{ExposeSecret, SecretString};

use crate::http::{body_text, HttpClient, HttpPolicy, Resend};
use crate::Client;
use crate::{
    Capabilities, ChargeLookup, ChargeOutcome, ChargeRequest, InitialOutcome, InitialRequest,
    InitialStep, Page, Provider, ProviderError, ProviderErrorKind, RefundLookup, RefundOutcome,
    RefundRequest, RefundsSeen, RemoteCard, RemoteCustomer, RemoteStatus,
};
use convert::Route;
use errors::Call;

/// How a request body is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    /// `application/x-www-form-urlencoded`, answered in the `Format` asked for.
    Form,
    /// A JSON object, answered in JSON.
    Json,
}

/// How far back the credentials check searches (any processed answer will do).
const CHECK_DAYS: i64 = 1;

/// How far back a refund's charge is searched: refunds come weeks or months after the charge.
const REFUND_LOOKUP_DAYS: i64 = 400;

/// Messages and card data come back in English.
const LANGUAGE: &str = "EN";

/// Assist's entry of [`crate::client`]. No published base URL: Assist gives each merchant its own
/// server name ([`crate::endpoints::ASSIST_HOSTS`] lists the known ones).
pub(crate) static CLIENT: Client = Client {
    connect: |merchant, secret| Ok(Box::new(AssistClient::new(merchant, secret)?)),
    // Belarus servers *.paysec.by (docs.belassist.by), Russia *.paysecure.ru (docs.assist.ru), the
    // older secure.assist.ru (Webasyst plugin 'old' URL); belassist.by is Assist Belarus' own
    // domain (docs, support@belassist.by). Choice: all four.
    domains: &["paysec.by", "paysecure.ru", "assist.ru", "belassist.by"],
    published: &[],
    #[cfg(feature = "fuzzing")]
    fuzz_answer: fuzz_bytes,
};

/// One Assist merchant account (one `Merchant_ID`), ready to call.
#[derive(Debug)]
pub struct AssistClient {
    http: HttpClient,
    merchant_id: String,
    login: String,
    password: SecretString,
    currency: Currency,
    /// Sandbox or live: only a sandbox's payment page may be filled by Coffer.
    environment: Environment,
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
        let ProviderAccount::Assist(AssistAccount { merchant_id, login }) = &merchant.account
        else {
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
            environment: merchant.environment,
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
        self.post(call, path, Encoding::Form, form).await
    }

    /// Posts `body` as a form or as a JSON object and reads the answer in kind.
    async fn post<F: wire::ServiceForm>(
        &self,
        call: Call,
        path: &str,
        encoding: Encoding,
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
            .send(resend, |client| match encoding {
                Encoding::Form => client.post(&url).form(form),
                Encoding::Json => client.post(&url).json(form),
            })
            .await?;
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            return Err(errors::http_status(call, status));
        }
        let body = body_text(response, resend).await?;
        // A JSON request is answered in JSON (docs.assist.ru Cancelation and Refund, `Format`);
        // an XML body is still read as XML rather than taken for garbage.
        let parsed = match encoding {
            Encoding::Json if !body.trim_start().starts_with('<') => {
                wire::AssistResult::parse_json(&body)
            }
            _ => wire::AssistResult::parse(&body),
        };
        let read = parsed.and_then(|result| {
            let (first, second) = result.codes()?;
            if first != 0 || second != 0 {
                return Err(errors::web_service(call, first, second));
            }
            Ok(result)
        });
        // An unreadable answer to a write may hide a payment or a refund that was made.
        match call {
            Call::Read => read,
            Call::Charge | Call::Recurring | Call::Refund => {
                read.map_err(ProviderError::after_write)
            }
        }
    }

    /// The single order an answer to a write carries; none is an unknown outcome.
    fn only_order(result: &wire::AssistResult) -> Result<&wire::Order, ProviderError> {
        result.all_orders().next().ok_or_else(|| {
            ProviderError::malformed("Assist answered a payment without an order").after_write()
        })
    }

    /// Turns a payment answer into the trait's shape: approved → outcome; declined → error
    /// carrying the billnumber; anything not settled (`In Process`, AS107/AS200/AS300/AS998,
    /// an unreadable order) → unknown outcome to be looked up, never `Ok(Pending)`.
    fn settle(order: &wire::Order, initial: bool) -> Result<ChargeOutcome, ProviderError> {
        let outcome =
            convert::charge_outcome(order, initial).map_err(ProviderError::after_write)?;
        match &outcome.status {
            RemoteStatus::Succeeded => Ok(outcome),
            RemoteStatus::Pending => {
                let state = order.orderstate.as_deref().unwrap_or_default().trim();
                let mut error = ProviderError::new(
                    ProviderErrorKind::UnknownOutcome,
                    format!(
                        "Assist has not decided the payment yet (orderstate '{state}'); look it up by its order number"
                    ),
                );
                if let Some(code) = convert::decisive_code(order) {
                    error = error.with_code(code);
                }
                Err(error.with_ref(outcome.provider_ref))
            }
            RemoteStatus::Declined { code, message, .. } => {
                let code = code.clone().unwrap_or_else(|| "Declined".into());
                // from_code reads AS107/AS200/AS300/AS998 as an unknown outcome even on a
                // Declined order (assist.md §4.1, §4.5): the lookup then records the final state.
                // The order's `merchantadvicecode` (wire::Order) rides on the decline, so that
                // Mastercard's 03 (do not try again) and 21 (the cardholder cancelled the
                // payments) reach the engine's policy.
                let error = errors::from_order_code(
                    &code,
                    message.as_deref(),
                    order.merchantadvicecode.as_deref(),
                    order.errorcategory.as_deref(),
                );
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
        let form = self.token_pay_form(request)?;
        self.post_form(Call::Charge, "/pay/tokenpay.cfm", &form)
            .await
    }

    /// The Token Pay form of a charge, from the request alone.
    fn token_pay_form<'a>(
        &'a self,
        request: &'a ChargeRequest,
    ) -> Result<wire::TokenPay<'a>, ProviderError> {
        Ok(wire::TokenPay {
            merchant_id: &self.merchant_id,
            login: &self.login,
            password: self.password.expose_secret(),
            order_number: &request.order_id,
            order_amount: convert::amount_to_wire(request.amount, "OrderAmount")?,
            order_currency: request.amount.currency.code(),
            order_comment: &request.description,
            token_type: "5",
            payment_token: convert::payment_token(&request.card_token, request.customer.as_str()),
            language: LANGUAGE,
            format: wire::FORMAT_XML,
        })
    }

    /// The rp.cfm form of a merchant-initiated charge, from the request alone.
    fn recurring_form<'a>(
        &'a self,
        request: &'a ChargeRequest,
        initial_bill: &'a str,
    ) -> Result<wire::RecurringPayment<'a>, ProviderError> {
        Ok(wire::RecurringPayment {
            merchant_id: &self.merchant_id,
            login: &self.login,
            password: self.password.expose_secret(),
            bill_number: initial_bill,
            order_number: &request.order_id,
            amount: convert::amount_to_wire(request.amount, "Amount")?,
            currency: request.amount.currency.code(),
            order_comment: &request.description,
            // `request.agreement` stays off the wire: the terms were registered with the
            // initial authorization on Assist's payment page, and rp.cfm takes none
            // (docs.belassist.by pageId=24674665: "setting the payment amount only").
            language: LANGUAGE,
            format: wire::FORMAT_XML,
        })
    }

    async fn recurring_payment(
        &self,
        request: &ChargeRequest,
        initial_bill: &str,
    ) -> Result<ChargeOutcome, ProviderError> {
        let form = self.recurring_form(request, initial_bill)?;
        let result = self
            .post_form(Call::Recurring, "/recurrent/rp.cfm", &form)
            .await?;
        Self::settle(Self::only_order(&result)?, false)
    }

    /// orderresult for one OrderNumber, from `since` (GMT) to Assist's now.
    async fn order_result(
        &self,
        order_number: &str,
        since: DateTime<Utc>,
    ) -> Result<wire::AssistResult, ProviderError> {
        let form = self.order_result_form(order_number, since);
        self.post_form(Call::Read, "/orderresult/orderresult.cfm", &form)
            .await
    }

    /// The orderresult request from `since`: `Start*` in GMT to the minute, floored so the
    /// minute of `since` is inside. No `End*`: the window then ends at Assist's own "now"
    /// (assist.md §2.4 default), so a skewed clock here can never cut off a fresh order.
    fn order_result_form<'a>(
        &'a self,
        order_number: &'a str,
        since: DateTime<Utc>,
    ) -> wire::OrderResult<'a> {
        wire::OrderResult {
            order_number,
            merchant_id: &self.merchant_id,
            login: &self.login,
            password: self.password.expose_secret(),
            start_year: since.year().to_string(),
            start_month: since.month().to_string(),
            start_day: since.day().to_string(),
            start_hour: since.hour().to_string(),
            start_min: since.minute().to_string(),
            format: wire::FORMAT_XML,
        }
    }
}

/// Where a charge's lookup window starts: shortly before the request first left, never after
/// now (assist.md §4.5 step 1: send time minus ten minutes).
fn lookup_start(sent_at: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    sent_at.min(now) - crate::LOOKUP_MARGIN
}

/// Fuzzing: every answer this client reads (the XML web-service result, the token listing),
/// interpreted as the client interprets it (`crate::fuzzing`). Errors are fine; a panic is the
/// bug.
/// IPS Assist: the XML web-service result (orders, operations, codes), the token listing.
#[cfg(feature = "fuzzing")]
fn fuzz_bytes(data: &[u8]) {
    fuzz_answer(&String::from_utf8_lossy(data));
}

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
    if let Ok(result) = wire::AssistResult::parse_json(text) {
        let _ = result.codes();
        for order in result.all_orders() {
            let _ = convert::charge_outcome(order, false);
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

    fn hosted_enrollment(&self) -> Option<&dyn crate::HostedEnrollment> {
        Some(self)
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
            absence_proves_after: Some(std::time::Duration::from_secs(15 * 60)),
            note: "Assist cannot list customers: Coffer keeps the register and looks cards up by CustomerNumber. \
                   Merchant-initiated charges (rp.cfm) reference the billnumber of an initial order registered as recurring on Assist's page; a One Click card needs a new recurring initial first.",
            card_revocation: crate::CardRevocation::NotOffered,
        }
    }

    /// An orderresult for an order number nobody uses: processed (count 0) means the
    /// credentials work; 7/100 or 7/141 means they do not.
    async fn check_credentials(&self) -> Result<(), ProviderError> {
        self.order_result(
            "coffer-credentials-check",
            Utc::now() - Duration::days(CHECK_DAYS),
        )
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

    async fn check_card_on_file(
        &self,
        customer: &CustomerRef,
        token: &coffer_core::CardToken,
    ) -> Result<crate::CardOnFile, ProviderError> {
        self.card_on_file(customer, token).await
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
        let _ = (customer, token);
        Err(ProviderError::new(
            ProviderErrorKind::Unsupported,
            holdings::NO_REVOCATION,
        ))
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
        let since = lookup_start(lookup.sent_at, Utc::now());
        let result = self.order_result(&lookup.order_id, since).await?;
        let orders: Vec<&wire::Order> = result.all_orders().collect();
        // An answer that counts orders it does not carry cannot say "none".
        let counted = result.count.as_deref().map(|c| c.trim().parse::<usize>());
        if orders.is_empty() && !matches!(counted, None | Some(Ok(0))) {
            return Err(ProviderError::malformed(format!(
                "Assist's orderresult counts {} orders but carries none",
                result.count.as_deref().unwrap_or_default()
            )));
        }
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
            language: LANGUAGE,
        };
        // JSON, because Externalrefundid works only in the JSON and SOAP formats (wire::Cancel).
        let result = self
            .post(Call::Refund, "/cancel/wscancel.cfm", Encoding::Json, &form)
            .await?;
        let order = Self::only_order(&result)?;
        let cancel = order
            .operation
            .iter()
            .rev()
            .find(|op| op.operationtype.as_deref() == Some("300"));
        // A cancel answer that names no code proves nothing: the refund may have been made.
        let code = cancel
            .and_then(|op| op.responsecode.as_deref())
            .or(order.responsecode.as_deref())
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                ProviderError::malformed("Assist answered the cancel without a responsecode")
                    .after_write()
                    .with_ref(ProviderRef::from(bill.as_str()))
            })?;
        if errors::classify(code) != errors::CodeClass::Success {
            let message = cancel.and_then(|op| op.message.as_deref());
            return Err(errors::from_code(code, message).with_ref(ProviderRef::from(bill.as_str())));
        }
        let reference = cancel
            .and_then(|op| op.billnumber.clone())
            .or_else(|| order.billnumber.clone())
            .ok_or_else(|| {
                ProviderError::malformed("Assist cancel answer without a billnumber").after_write()
            })?;
        let amount = match cancel.and_then(|op| op.amount.as_deref()) {
            Some(text) => convert::amount_from_wire(text, request.amount.currency)
                .map_err(ProviderError::after_write)?,
            None => request.amount,
        };
        Ok(RefundOutcome {
            provider_ref: ProviderRef::from(reference.trim()),
            amount,
            transfer: None,
        })
    }

    /// Assist's refunds are cancel operations (type 300) on the charge's order, without
    /// Coffer's `Externalrefundid`: the sum of the successful ones is what it can tell.
    async fn find_refund(&self, lookup: &RefundLookup) -> Result<RefundsSeen, ProviderError> {
        let bill = convert::billnumber_to_wire(&lookup.charge_ref)?;
        // The refund's own sent_at says nothing of when its charge's order was made.
        let result = self
            .order_result(
                &lookup.order_id,
                Utc::now() - Duration::days(REFUND_LOOKUP_DAYS),
            )
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

    /// The initial payments that save a card happen on Assist's page in the shop; what Coffer
    /// can make itself is a cardholder-initiated Token Pay with an already saved One Click card.
    /// That order carried `CustomerNumber`, which Assist's One Click page says must not be sent
    /// with the recurring parameters: it registered no recurring terms, so its billnumber is
    /// recorded as a [`coffer_core::InitialKind::OneClick`] initial that no rp.cfm charge may
    /// point to (the card shows "re-enroll" until a recurring initial is made on Assist's page).
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
            buyer: None,
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
            // The payment is made: a card that cannot be read now must not read as a failed
            // initial payment, so any error here is an unknown outcome to look up.
            None => self
                .cards_of(&request.customer)
                .await
                .and_then(|cards| {
                    cards.into_iter().find(|c| c.token == token).ok_or_else(|| {
                        ProviderError::malformed(
                            "the charged One Click card is not in the customer's listing",
                        )
                    })
                })
                .map_err(|e| {
                    ProviderError::new(
                        ProviderErrorKind::UnknownOutcome,
                        format!(
                            "the initial payment {} was made, but its card could not be read: {e}",
                            outcome.provider_ref
                        ),
                    )
                    .with_ref(outcome.provider_ref.clone())
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
            kind: coffer_core::InitialKind::OneClick,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coffer_core::{
        CardToken, Environment, IdempotencyKey, MerchantId, Reason, StoredCredential,
    };

    fn client() -> AssistClient {
        let merchant = Merchant {
            id: MerchantId(1),
            name: "Assist test".into(),
            account: ProviderAccount::Assist(AssistAccount {
                merchant_id: "600101".into(),
                login: "coffer_bo_01".into(),
            }),
            environment: Environment::Sandbox,
            base_url: "http://127.0.0.1:9/assist".into(),
            time_zone: coffer_core::merchant::parse_time_zone("Europe/Minsk").unwrap(),
            currency: Currency::BYN,
            notice_lead_days: 3,
            group: None,
            endpoint: Default::default(),
        };
        AssistClient::new(&merchant, SecretString::from("Secr3tPassw0rd9".to_string())).unwrap()
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn the_lookup_window_starts_ten_minutes_before_the_send_and_ends_at_assists_now() {
        let client = client();
        let sent_at = at("2026-11-23T10:41:42Z");
        let since = lookup_start(sent_at, at("2026-12-01T08:00:00Z"));
        let form =
            serde_urlencoded::to_string(client.order_result_form("CF-2024-000187", since)).unwrap();
        for pair in [
            "Ordernumber=CF-2024-000187",
            "StartYear=2026",
            "StartMonth=11",
            "StartDay=23",
            "StartHour=10",
            "StartMin=31",
        ] {
            assert!(
                form.contains(pair),
                "the window starts at sent_at minus ten minutes (assist.md §4.5), not a fixed \
                 recent window: {pair} missing in {form}"
            );
        }
        assert!(
            !form.contains("End"),
            "no End*: the window ends at Assist's own now, so clock skew cannot hide an order: {form}"
        );
        assert_eq!(
            lookup_start(at("2026-12-01T09:00:00Z"), at("2026-12-01T08:00:00Z")),
            at("2026-12-01T07:50:00Z"),
            "a send time ahead of our clock never starts the window in the future"
        );
    }

    fn request() -> ChargeRequest {
        ChargeRequest {
            amount: Money::from_minor(2590, Currency::BYN),
            card_token: CardToken("9b1f0c7e-2d4a-4c1e-8f3a-5a6b7c8d9e01".into()),
            customer: CustomerRef("CUST-000042".into()),
            credential: StoredCredential::merchant_initiated(
                Reason::Recurring,
                ProviderRef("7123400000098765".into()),
            ),
            idempotency_key: IdempotencyKey("k-1".into()),
            order_id: "CF-2024-000187".into(),
            description: "Membership".into(),
            agreement: Some(crate::RecurringAgreement {
                min_amount: Some(Money::from_minor(100, Currency::BYN)),
                max_amount: Some(Money::from_minor(50_000, Currency::BYN)),
                period_days: Some(30),
                end_date: chrono::NaiveDate::from_ymd_opt(2027, 12, 31),
            }),
            buyer: None,
        }
    }

    #[test]
    fn the_same_charge_request_gives_the_same_form_bytes() {
        // Assist is never resent (assist.md §4.4), but the form must still be a function of the
        // request: what the ledger shows is what was sent.
        let client = client();
        let stored = serde_json::to_string(&request()).unwrap();
        let again: ChargeRequest = serde_json::from_str(&stored).unwrap();
        let form = |r: &ChargeRequest| {
            (
                serde_urlencoded::to_string(client.token_pay_form(r).unwrap()).unwrap(),
                serde_urlencoded::to_string(client.recurring_form(r, "7123400000098765").unwrap())
                    .unwrap(),
            )
        };
        assert_eq!(
            form(&request()),
            form(&again),
            "no clock or random value in a charge form"
        );
    }

    #[test]
    fn rp_cfm_carries_no_recurring_terms_even_when_the_request_has_an_agreement() {
        // docs.belassist.by pageId=78513199 lists rp.cfm's parameters: no Recurring* among
        // them; the terms were registered with the initial authorization.
        let client = client();
        let request = request();
        assert!(
            request.agreement.is_some(),
            "the engine still passes its agreement"
        );
        let form = serde_urlencoded::to_string(
            client.recurring_form(&request, "7123400000098765").unwrap(),
        )
        .unwrap();
        assert!(!form.contains("Recurring"), "{form}");
        assert!(form.contains("BillNumber=7123400000098765") && form.contains("Amount=25.90"));
    }

    fn order(state: &str, code: &str) -> wire::Order {
        wire::Order {
            billnumber: Some("7100000000000001".into()),
            orderstate: Some(state.into()),
            orderamount: Some("25.90".into()),
            ordercurrency: Some("BYN".into()),
            responsecode: Some(code.into()),
            ..Default::default()
        }
    }

    #[test]
    fn in_process_answers_to_a_charge_are_unknown_outcomes_with_the_billnumber() {
        for (state, code) in [
            ("In Process", "AS000"),
            ("In Process", "AS300"),
            ("Declined", "AS107"),
            ("Declined", "AS200"),
            ("Declined", "AS300"),
            ("Declined", "AS998"),
        ] {
            let error = AssistClient::settle(&order(state, code), false).unwrap_err();
            assert_eq!(
                error.kind,
                ProviderErrorKind::UnknownOutcome,
                "{state}/{code} is not settled (assist.md §4.5): look it up, never a failure"
            );
            assert_eq!(
                error.provider_ref,
                Some(ProviderRef::from("7100000000000001")),
                "{state}/{code}: the billnumber is kept for the lookup"
            );
        }
        assert_eq!(
            AssistClient::settle(&order("Declined", "AS102"), false)
                .unwrap_err()
                .kind,
            ProviderErrorKind::DeclinedSoft,
            "an explicit decline is a decline"
        );
        let unreadable = wire::Order {
            orderstate: None,
            ..order("Approved", "AS000")
        };
        assert_eq!(
            AssistClient::settle(&unreadable, false).unwrap_err().kind,
            ProviderErrorKind::UnknownOutcome,
            "an unreadable answer to a charge may hide a payment"
        );
        assert_eq!(
            AssistClient::only_order(&wire::AssistResult::default())
                .unwrap_err()
                .kind,
            ProviderErrorKind::UnknownOutcome,
            "a payment answer without its order proves nothing"
        );
    }

    #[test]
    fn a_lookup_reads_in_process_and_as300_as_pending() {
        assert_eq!(
            convert::order_status(&order("In Process", "AS000")).unwrap(),
            RemoteStatus::Pending
        );
        assert_eq!(
            convert::order_status(&order("Declined", "AS300")).unwrap(),
            RemoteStatus::Pending,
            "AS300 says 'in progress, wait' (assist.md §4.1)"
        );
        assert!(
            matches!(
                convert::order_status(&order("Declined", "AS100")).unwrap(),
                RemoteStatus::Declined { .. }
            ),
            "a final Declined order is a decline"
        );
    }
}
