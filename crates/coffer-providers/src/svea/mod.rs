//! The Svea Payments (Maksuturva) V4 client.
//!
//! A card enters Coffer when the cardholder completes Svea's card page (a zero-sum tokenization
//! or a first payment that also tokenizes); later charges are server-to-server
//! `NewChargeWithTokenActionExtended` calls on the `pmt_token`, identified by our order id as
//! `pmt_id`, which Svea never accepts twice. Svea keeps no customer list, so listing is
//! unsupported. A lost answer is resolved with a Payment Status Query of the same `pmt_id`.
//!
//! Authentication decides what an answer must carry. Under HTTP Basic (the default, and the only
//! mode of Svea's own Magento 2 module, `maksuturva/magento2_svea_payments`) requests carry no
//! `…_hash` and no `…_hashversion`, and answers come straight from Svea over the HTTPS
//! connection we opened, without a hash: Svea's current Payment Status Query examples show none
//! (sveapayments.atlassian.net DOCS page 1657014098), and the Magento module checks none. Under
//! hash mode (the WooCommerce module's way) every answer's hash is checked in constant time
//! before anything is taken as paid.
//!
//! The card-page return comes through the cardholder's browser, so what it says is only a hint:
//! the payment and its token are taken from a server-side status query, as Svea's S2S page asks
//! ("use Payment Status Query instantly to validate the payment").
//!
//! What a write's answer proves: the OK document (with a matching hash in hash mode) is a
//! charge; a
//! `pmt_errorcode` decline a decline; `existingPayment` or `ALREADY_PAID` on the `pmt_id`
//! [`ProviderErrorKind::Duplicate`] (an earlier send arrived: look it up). Any HTTP 5xx (a proxy's
//! 502–504 included), a timeout or reset after sending, an unreadable answer, a failed answer
//! hash and `ERROR_CARD_AUTHORIZATION_TIMEOUT` are [`ProviderErrorKind::UnknownOutcome`] with the
//! `pmt_id` as reference; a charge never answers `Ok` with `Pending`. A resend is the same
//! `pmt_id` (Svea refuses a second payment under it), its form built from the request and the
//! day's due date alone.

mod card_page;
mod convert;
mod enrollment;
mod errors;
mod holdings;
mod refunds;
mod sign;
mod wire;

use std::time::Duration;

use async_trait::async_trait;
use chrono::{NaiveDate, TimeZone, Utc};
use coffer_core::{
    Currency, CustomerRef, Environment, Merchant, Money, ProviderAccount, ProviderKind,
    ProviderRef, SveaAccount,
};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};

use card_page::return_url;
pub use card_page::SandboxCard;
pub use sign::SveaHash;

use crate::endpoints::Published;
use crate::error::{ProviderError, ProviderErrorKind};
use crate::http::{HttpClient, HttpPolicy, Resend};
use crate::Client;
use crate::{
    Capabilities, ChargeLookup, ChargeOutcome, ChargeRequest, InitialOutcome, InitialRequest,
    InitialStep, Page, Provider, RefundExtent, RefundLookup, RefundOutcome, RefundRequest,
    RefundsSeen, RemoteCard, RemoteCustomer, RemoteStatus,
};
use coffer_core::Stage;
use convert::{PaymentFields, PAYMENT_HASH_ORDER, ROW_HASH_TAIL};
use errors::PaymentState;

/// How requests prove who sends them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SveaAuth {
    /// `Authorization: Basic base64(sellerid:secretkey)`, Svea's preferred server-to-server way.
    Basic,
    /// The legacy request hash (`pmt_hash`, `pmtq_hash`, `pmtc_hash`) with this algorithm, and
    /// answers hashed with it. The card-page start is still sent with Basic, the only way Svea
    /// documents it server-to-server.
    Hash(SveaHash),
}

/// Client options.
#[derive(Debug, Clone, Copy)]
pub struct SveaOptions {
    /// Basic (default) or hash authentication.
    pub auth: SveaAuth,
    /// Timeouts and retries.
    pub policy: HttpPolicy,
}

impl Default for SveaOptions {
    fn default() -> Self {
        SveaOptions {
            auth: SveaAuth::Basic,
            policy: HttpPolicy::default(),
        }
    }
}

/// Svea's entry of [`crate::client`].
pub(crate) static CLIENT: Client = Client {
    connect: |merchant, secret| Ok(Box::new(SveaClient::new(merchant, secret)?)),
    // Svea Payments still serves from maksuturva.fi (www., test1., payments. in providers/svea.md
    // §1 and the WooCommerce module).
    domains: &["maksuturva.fi"],
    published: &[
        Published {
            stage: Stage::Production,
            // maksuturva/woocommerce_payment_module: default `maksuturva_url` https://www.maksuturva.fi
            base_url: "https://www.maksuturva.fi",
            source: "maksuturva/woocommerce_payment_module (maksuturva_url default)",
        },
        Published {
            stage: Stage::Test,
            // same module's readme: "set communication URL ... as https://test1.maksuturva.fi"
            base_url: "https://test1.maksuturva.fi",
            source: "maksuturva/woocommerce_payment_module readme (test environment)",
        },
    ],
    #[cfg(feature = "fuzzing")]
    fuzz_answer: fuzz_bytes,
};

/// The Svea client of one seller account.
#[derive(Debug)]
pub struct SveaClient {
    http: HttpClient,
    merchant: Merchant,
    seller_id: String,
    key_generation: String,
    secret: SecretString,
    auth: SveaAuth,
}

/// Svea requires return URLs on a token charge although no browser ever follows them; this
/// reserved domain makes that plain.
const UNUSED_RETURN: &str = "https://coffer.invalid/svea";

/// A `pmt_id` that is never used for a payment, for credential checks.
const CHECK_ID: &str = "COFFER-AUTH-CHECK";

impl SveaClient {
    /// Builds the client with Basic authentication and the default HTTP policy.
    pub fn new(merchant: &Merchant, secret: SecretString) -> Result<Self, ProviderError> {
        SveaClient::with_options(merchant, secret, SveaOptions::default())
    }

    /// Builds the client with Basic authentication and `policy` (e.g. a short timeout).
    pub fn with_policy(
        merchant: &Merchant,
        secret: SecretString,
        policy: HttpPolicy,
    ) -> Result<Self, ProviderError> {
        SveaClient::with_options(
            merchant,
            secret,
            SveaOptions {
                auth: SveaAuth::Basic,
                policy,
            },
        )
    }

    /// Builds the client. Fails when the merchant is not a valid Svea account.
    pub fn with_options(
        merchant: &Merchant,
        secret: SecretString,
        options: SveaOptions,
    ) -> Result<Self, ProviderError> {
        let ProviderAccount::Svea(SveaAccount {
            seller_id,
            key_generation,
        }) = &merchant.account
        else {
            return Err(ProviderError::new(
                ProviderErrorKind::InvalidRequest { field: None },
                format!("merchant '{}' is not a Svea account", merchant.name),
            ));
        };
        merchant.account.validate().map_err(|e| {
            ProviderError::new(
                ProviderErrorKind::InvalidRequest {
                    field: Some(e.field.clone()),
                },
                e.to_string(),
            )
        })?;
        Ok(SveaClient {
            http: HttpClient::new(ProviderKind::Svea, &merchant.base_url, options.policy)?,
            merchant: merchant.clone(),
            seller_id: seller_id.clone(),
            key_generation: key_generation.clone(),
            secret,
            auth: options.auth,
        })
    }

    /// Whether an answer's hash is right: checked in constant time in hash mode, where Svea
    /// hashes its answers with the algorithm we name. Under Basic there is nothing to check: we
    /// name no algorithm (Svea: "Exclude parameters pmt_hash and pmt_hashversion from the
    /// request", DOCSLEGACY page 374046721 "Svea S2S invoice"), Svea's current status-query
    /// answers carry no hash (DOCS page 1657014098), and the answer comes straight from Svea over
    /// the HTTPS connection we opened; a hash that happens to be there is neither required nor
    /// trusted (its algorithm is not ours to know).
    fn answer_hash_ok(&self, values: &[&str], received: Option<&str>) -> bool {
        match self.auth {
            SveaAuth::Hash(algorithm) => {
                sign::verify(algorithm, values, &self.secret, received.unwrap_or(""))
            }
            SveaAuth::Basic => true,
        }
    }

    /// Svea's due date "should be today", in the merchant's time zone.
    fn today(&self) -> NaiveDate {
        Utc::now()
            .with_timezone(&self.merchant.time_zone)
            .date_naive()
    }

    /// The form as sent: in hash mode with `…_hashversion` and `…_hash`; under Basic with
    /// neither, as Svea's S2S pages ask ("Exclude parameters pmt_hash and pmt_hashversion",
    /// DOCSLEGACY page 374046721) and as Svea's Magento 2 module sends its requests. Returns
    /// whether Basic authenticates the request (`basic` forces it).
    fn authenticated(
        &self,
        mut form: Vec<(String, String)>,
        hash_names: &[&str],
        prefix: &str,
        basic: bool,
    ) -> (Vec<(String, String)>, bool) {
        match self.auth {
            SveaAuth::Hash(algorithm) if !basic => {
                form.push((format!("{prefix}_hashversion"), algorithm.name().into()));
                let hash = sign::sign(
                    algorithm,
                    &convert::hash_values(&form, hash_names),
                    &self.secret,
                );
                form.push((format!("{prefix}_hash"), hash));
                (form, false)
            }
            _ => (form, true),
        }
    }

    /// Posts a form, authenticated as configured (or with Basic when `basic` is set), and
    /// returns the body of any answer that is not an HTTP-level failure.
    async fn post(
        &self,
        path: &str,
        form: Vec<(String, String)>,
        hash_names: &[&str],
        prefix: &str,
        resend: Resend,
        basic: bool,
    ) -> Result<String, ProviderError> {
        let (form, basic) = self.authenticated(form, hash_names, prefix, basic);
        let url = self.http.url(path);
        let response = self
            .http
            .send(resend, |client| {
                let request = client.post(&url).form(&form);
                if basic {
                    request.basic_auth(&self.seller_id, Some(self.secret.expose_secret()))
                } else {
                    request
                }
            })
            .await?;
        if let Some(error) = errors::from_status(response.status(), resend != Resend::Safe) {
            return Err(error);
        }
        // Svea's answer is in the body whatever the status: OK documents, <errors>, codes.
        crate::http::body_text(response, resend).await
    }

    /// What the status query says of the payment of `order_id` (§3.4): its id, the answer, the
    /// amount and the payment's state.
    async fn payment_seen(
        &self,
        order_id: &str,
    ) -> Result<(String, wire::Pmtq, Money, PaymentState), ProviderError> {
        let pmt_id = convert::pmt_id(order_id)?;
        let status = self.status_query(&pmt_id).await?;
        let amount =
            convert::amount_from_wire(status.pmtq_amount.as_deref().unwrap_or(""), "pmtq_amount")?;
        let code = status.pmtq_returncode.as_deref().unwrap_or("");
        let state = errors::payment_state(code, amount.minor == 0)?;
        Ok((pmt_id, status, amount, state))
    }

    /// A Payment Status Query, its answer checked: the fields Svea's Magento 2 module requires
    /// (`Model/Order/Status/Query/ResponseValidator.php`: action, version, seller id, id, amount,
    /// return code and text) present, the answer about our `pmt_id`, and in hash mode its
    /// `pmtq_hash` right. Svea's own unknown-payment answer has exactly those seven fields and no
    /// `pmtq_orderid` (DOCS page 1657014098), so the order id is not required.
    async fn status_query(&self, pmt_id: &str) -> Result<wire::Pmtq, ProviderError> {
        let form = pairs(&[
            ("pmtq_action", "PAYMENT_STATUS_QUERY"),
            ("pmtq_version", "0005"),
            ("pmtq_sellerid", &self.seller_id),
            ("pmtq_id", pmt_id),
            ("pmtq_resptype", "XML"),
            ("pmtq_keygeneration", &self.key_generation),
        ]);
        let names = ["pmtq_action", "pmtq_version", "pmtq_sellerid", "pmtq_id"];
        let body = self
            .post(
                "/PaymentStatusQuery.pmt",
                form,
                &names,
                "pmtq",
                Resend::Safe,
                false,
            )
            .await?;
        let answer: wire::Pmtq = read(&body, "pmtq")?;
        let required = [
            ("pmtq_action", &answer.pmtq_action),
            ("pmtq_version", &answer.pmtq_version),
            ("pmtq_sellerid", &answer.pmtq_sellerid),
            ("pmtq_id", &answer.pmtq_id),
            ("pmtq_amount", &answer.pmtq_amount),
            ("pmtq_returncode", &answer.pmtq_returncode),
            ("pmtq_returntext", &answer.pmtq_returntext),
        ];
        let mut values = Vec::new();
        for (name, value) in required {
            values.push(value.as_deref().ok_or_else(|| {
                ProviderError::malformed(format!("the status answer lacks {name}"))
            })?);
        }
        // §4.3 (hash mode): then only those present.
        for value in [
            &answer.pmtq_sellercosts,
            &answer.pmtq_paymentmethod,
            &answer.pmtq_escrow,
            &answer.pmtq_certification,
            &answer.pmtq_paymentdate,
        ]
        .into_iter()
        .flatten()
        {
            values.push(value);
        }
        if !self.answer_hash_ok(&values, answer.pmtq_hash.as_deref()) {
            return Err(ProviderError::malformed(
                "the status answer's pmtq_hash does not match; it cannot be trusted",
            )
            .with_code("pmtq_hash"));
        }
        if answer.pmtq_id.as_deref() != Some(pmt_id) {
            return Err(ProviderError::malformed(
                "the status answer is about another pmt_id",
            ));
        }
        Ok(answer)
    }

    /// Checks a token-charge answer: the payment the one we asked for, at the amount asked, and
    /// in hash mode every §4.3 field present and the hash right (constant time). Under Basic only
    /// `pmt_id` and `pmt_amount` are required (nothing is hashed); a `pmt_reference` that is
    /// there must still be ours. Returns the amount Svea took.
    fn verify_charge(
        &self,
        answer: &wire::ChargeWithTokenResponse,
        pmt_id: &str,
        asked: Money,
    ) -> Result<Money, ProviderError> {
        let unverified = |what: &str| {
            ProviderError::malformed(format!(
                "{what}; the charge is not taken as paid — check its status by pmt_id {pmt_id}"
            ))
            .with_ref(ProviderRef(pmt_id.to_string()))
        };
        if let SveaAuth::Hash(_) = self.auth {
            let mut values = Vec::new();
            for value in [
                &answer.pmt_action,
                &answer.pmt_version,
                &answer.pmt_id,
                &answer.pmt_reference,
                &answer.pmt_amount,
                &answer.pmt_currency,
                &answer.pmt_sellercosts,
                &answer.pmt_paymentmethod,
                &answer.pmt_escrow,
            ] {
                values.push(
                    value
                        .as_deref()
                        .ok_or_else(|| unverified("the answer lacks a hashed field"))?,
                );
            }
            if let Some(token) = &answer.pmt_token {
                values.push(token);
            }
            if !self.answer_hash_ok(&values, answer.pmt_hash.as_deref()) {
                return Err(unverified("the answer's pmt_hash does not match"));
            }
        }
        if answer.pmt_id.as_deref() != Some(pmt_id) {
            return Err(unverified("the answer is about another pmt_id"));
        }
        if let Some(reference) = answer.pmt_reference.as_deref() {
            if reference != convert::technical_reference(&convert::reference_for(pmt_id)) {
                return Err(unverified("the answer carries another pmt_reference"));
            }
        }
        let amount = answer
            .pmt_amount
            .as_deref()
            .ok_or_else(|| unverified("the answer has no pmt_amount"))?;
        let amount = convert::amount_from_wire(amount, "pmt_amount")?;
        if amount != asked {
            return Err(unverified(&format!(
                "Svea took {amount}, not the {asked} asked for"
            )));
        }
        Ok(amount)
    }

    /// The token-charge form of a request for `due_date`: its flow, its `pmt_id` and the
    /// fields before authentication. The same request and day give the same form, so a resend
    /// carries the same `pmt_id` Svea refuses a second payment under.
    fn charge_form(
        &self,
        request: &ChargeRequest,
        due_date: NaiveDate,
    ) -> Result<(convert::V4Flow, String, Form), ProviderError> {
        let flow = convert::token_charge_flow(&request.credential)?;
        if !request.amount.is_positive() {
            return Err(ProviderError::new(
                ProviderErrorKind::InvalidRequest {
                    field: Some("pmt_amount".into()),
                },
                format!("a token charge must be above zero, not {}", request.amount),
            ));
        }
        let pmt_id = convert::pmt_id(&request.order_id)?;
        let buyer = buyer_of(request.buyer.as_ref())?;
        let form = convert::payment_form(&PaymentFields {
            flow,
            seller_id: &self.seller_id,
            key_generation: &self.key_generation,
            pmt_id: &pmt_id,
            order_id: &request.order_id,
            amount: request.amount,
            due_date,
            buyer,
            description: &request.description,
            returns: ["ok", "error", "cancel", "delayed"]
                .map(|kind| format!("{UNUSED_RETURN}/{kind}")),
            token: Some(request.card_token.as_str()),
        })?;
        Ok((flow, pmt_id, form))
    }
}

/// A form's name–value pairs, in the order they are sent.
type Form = Vec<(String, String)>;

/// Names the payment on an error that has no reference yet, for the lookup by `pmt_id`.
/// The buyer a payment form needs; Svea refuses a payment without its address.
fn buyer_of(buyer: Option<&crate::Buyer>) -> Result<&crate::Buyer, ProviderError> {
    buyer.ok_or_else(|| {
        ProviderError::new(
            ProviderErrorKind::InvalidRequest {
                field: Some("pmt_buyeraddress".into()),
            },
            "Svea requires the buyer's and the delivery address, postal code, city and country \
             in every payment, and this customer has none on record",
        )
    })
}

fn with_pmt_id(error: ProviderError, pmt_id: &str) -> ProviderError {
    if error.provider_ref.is_some() {
        error
    } else {
        error.with_ref(ProviderRef(pmt_id.to_string()))
    }
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Reads an answer whose root must be `expected`; an `<errors>` document becomes its error.
fn read<T: for<'de> serde::Deserialize<'de>>(
    body: &str,
    expected: &str,
) -> Result<T, ProviderError> {
    let root = wire::root_of(body)?;
    if root == "errors" {
        let refused: wire::Errors = wire::parse(body)?;
        return Err(errors::from_field_errors(&refused.errors));
    }
    if root != expected {
        return Err(ProviderError::malformed(format!(
            "expected <{expected}>, got <{root}>"
        )));
    }
    wire::parse(body)
}

/// Fuzzing: every answer this client reads (payment, status query, cancel, token charge, field
/// errors), interpreted as the client interprets it (`crate::fuzzing`). Errors are fine; a panic
/// is the bug.
/// Svea Payments: payment, status query, cancel and token-charge XML answers, field errors.
#[cfg(feature = "fuzzing")]
fn fuzz_bytes(data: &[u8]) {
    fuzz_answer(&String::from_utf8_lossy(data));
}

#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz_answer(text: &str) {
    let secret = SecretString::from("fuzzing-secret".to_string());
    if let Ok(answer) = read::<wire::Pmtq>(text, "pmtq") {
        let _ = convert::card_from_status(&answer, "fuzz");
        if let Some(code) = answer.pmtq_returncode.as_deref() {
            let _ = errors::payment_state(code, false);
            let _ = errors::payment_state(code, true);
        }
        if let Some(amount) = answer.pmtq_amount.as_deref() {
            let _ = convert::amount_from_wire(amount, "pmtq_amount");
        }
        if let Some(date) = answer.pmtq_paymentdate.as_deref() {
            let _ = convert::date_from_wire(date, "pmtq_paymentdate");
        }
        let values: Vec<&str> = [&answer.pmtq_action, &answer.pmtq_id, &answer.pmtq_amount]
            .into_iter()
            .filter_map(|v| v.as_deref())
            .collect();
        for algorithm in [
            sign::SveaHash::Sha512,
            sign::SveaHash::Sha256,
            sign::SveaHash::Md5,
        ] {
            let _ = sign::verify(
                algorithm,
                &values,
                &secret,
                answer.pmtq_hash.as_deref().unwrap_or(""),
            );
        }
    }
    if let Ok(answer) = read::<wire::ChargeWithTokenResponse>(text, "chargeWithTokenResponse") {
        if let Some(code) = answer.pmt_errorcode.as_deref() {
            let _ = errors::from_errorcode(code, answer.pmt_errortext.as_deref(), None);
        }
        if let Some(amount) = answer.pmt_amount.as_deref() {
            let _ = convert::amount_from_wire(amount, "pmt_amount");
        }
    }
    if let Ok(answer) = read::<wire::Pmtc>(text, "pmtc") {
        let _ = errors::from_cancel(
            answer.pmtc_returncode.as_deref().unwrap_or(""),
            answer.pmtc_returntext.as_deref().unwrap_or(""),
            &answer.errors,
        );
    }
    let _ = read::<wire::Pmt>(text, "pmt");
    let _ = convert::amount_from_wire(text, "fuzz");
    let _ = convert::date_from_wire(text, "fuzz");
}

#[async_trait]
impl Provider for SveaClient {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Svea
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            lists_customers: false,
            cards_by_customer: false,
            idempotency_key: false,
            partial_refunds: true,
            initial_needs_card_page: true,
            currencies: vec![Currency::EUR],
            resend: crate::ResendRule::SameOrderId,
            absence_proves_after: None,
            note: "Svea keeps no customer list: a card enters Coffer when its holder completes Svea's card page. \
                   A token may be charged at most once a calendar month, never above its first payment.",
            card_revocation: crate::CardRevocation::NotOffered,
        }
    }

    async fn check_credentials(&self) -> Result<(), ProviderError> {
        match self.status_query(CHECK_ID).await {
            Ok(_) => Ok(()),
            // A 200 whose hash fails means Svea hashed with another secret than ours.
            Err(e) if e.provider_code.as_deref() == Some("pmtq_hash") => Err(ProviderError::new(
                ProviderErrorKind::Auth,
                "Svea's answer was signed with another secret key than the one configured",
            )),
            Err(e) => Err(e),
        }
    }

    async fn list_customers(
        &self,
        _cursor: Option<String>,
        _limit: u32,
    ) -> Result<Page<RemoteCustomer>, ProviderError> {
        Err(ProviderError::new(
            ProviderErrorKind::Unsupported,
            "Svea keeps no customer list; Coffer holds the customer register for Svea",
        ))
    }

    async fn cards_of(&self, _customer: &CustomerRef) -> Result<Vec<RemoteCard>, ProviderError> {
        Err(ProviderError::new(
            ProviderErrorKind::Unsupported,
            "Svea cannot list a customer's cards; they are recorded when a tokenization completes",
        ))
    }

    async fn check_card_on_file(
        &self,
        customer: &CustomerRef,
        token: &coffer_core::CardToken,
    ) -> Result<crate::CardOnFile, ProviderError> {
        self.card_on_file(customer, token)
    }

    async fn check_initial(
        &self,
        initial: &crate::InitialRef,
    ) -> Result<crate::InitialSeen, ProviderError> {
        self.initial_seen(initial).await
    }

    async fn revoke_card(
        &self,
        _customer: &CustomerRef,
        _token: &coffer_core::CardToken,
    ) -> Result<crate::Revoked, ProviderError> {
        Err(ProviderError::new(
            ProviderErrorKind::Unsupported,
            "Svea documents no merchant call that deletes a card token; Coffer can only stop using it",
        ))
    }

    async fn charge(&self, request: &ChargeRequest) -> Result<ChargeOutcome, ProviderError> {
        let (flow, pmt_id, form) = self.charge_form(request, self.today())?;
        let mut names = PAYMENT_HASH_ORDER.to_vec();
        names.extend(ROW_HASH_TAIL);
        // Sent once: Svea answers a resend with ALREADY_PAID or existingPayment, not with the
        // first result, so a resend would only hide the outcome. A lost answer comes out as
        // UnknownOutcome and the engine settles it with `find_charge` (status query by pmt_id).
        let body = self
            .post(flow.path, form, &names, "pmt", Resend::Once, false)
            .await
            .map_err(|e| with_pmt_id(e, &pmt_id))?;
        // From here on the charge was received: what cannot be read or trusted is an unknown
        // outcome, never a failure.
        let answer: wire::ChargeWithTokenResponse = read(&body, "chargeWithTokenResponse")
            .map_err(|e| with_pmt_id(e.after_write(), &pmt_id))?;
        if let Some(code) = &answer.pmt_errorcode {
            return Err(errors::from_errorcode(
                code,
                answer.pmt_errortext.as_deref(),
                Some(&pmt_id),
            ));
        }
        let amount = self
            .verify_charge(&answer, &pmt_id, request.amount)
            .map_err(ProviderError::after_write)?;
        Ok(ChargeOutcome {
            provider_ref: ProviderRef(pmt_id),
            initial_ref: None,
            amount,
            status: RemoteStatus::Succeeded,
            warnings: Vec::new(),
            at: None,
        })
    }

    async fn find_charge(
        &self,
        lookup: &ChargeLookup,
    ) -> Result<Option<ChargeOutcome>, ProviderError> {
        let (pmt_id, status, amount, state) = self.payment_seen(&lookup.order_id).await?;
        let code = status.pmtq_returncode.as_deref().unwrap_or("");
        let outcome = |status_now: RemoteStatus| ChargeOutcome {
            provider_ref: ProviderRef(pmt_id.clone()),
            initial_ref: None,
            amount,
            status: status_now,
            warnings: Vec::new(),
            at: None,
        };
        let mut found = match state {
            PaymentState::Unknown => return Ok(None),
            PaymentState::QueryFailed => return Err(query_failed()),
            PaymentState::Pending => outcome(RemoteStatus::Pending),
            PaymentState::Unpaid => {
                let decline = status.pmt_errorcode.clone();
                outcome(RemoteStatus::Declined {
                    hard: decline.as_deref().is_some_and(errors::is_hard_decline),
                    code: Some(decline.unwrap_or_else(|| code.to_string())),
                    message: status
                        .pmtq_externaltext
                        .clone()
                        .or_else(|| status.pmtq_returntext.clone()),
                })
            }
            PaymentState::Paid | PaymentState::Refunded => outcome(RemoteStatus::Succeeded),
        };
        if let Some(date) = &status.pmtq_paymentdate {
            let day = convert::date_from_wire(date, "pmtq_paymentdate")?;
            found.at = day
                .and_hms_opt(0, 0, 0)
                .and_then(|midnight| {
                    self.merchant
                        .time_zone
                        .from_local_datetime(&midnight)
                        .earliest()
                })
                .map(|local| local.with_timezone(&Utc));
        }
        Ok(Some(found))
    }

    /// A CANCEL first; when Svea answers `30` (the payment is settled to the merchant), a
    /// REFUND_AFTER_SETTLEMENT of the same amount, whose answer says what the merchant must pay
    /// Svea before Svea refunds the cardholder. Both of Svea's modules do the same
    /// (RefundCommand.php tryRefunds, class-wc-svea-refund-handler.php process_refund).
    async fn refund(&self, request: &RefundRequest) -> Result<RefundOutcome, ProviderError> {
        let pmt_id = convert::pmt_id(&request.order_id)?;
        if !request.amount.is_positive() || request.amount.minor > request.charge_amount.minor {
            return Err(ProviderError::new(
                ProviderErrorKind::InvalidRequest {
                    field: Some("pmtc_cancelamount".into()),
                },
                format!(
                    "a refund must be above zero and at most {}",
                    request.charge_amount
                ),
            ));
        }
        let full = request.amount == request.charge_amount;
        let cancel_type = if full {
            "FULL_REFUND"
        } else {
            "PARTIAL_REFUND"
        };
        let (answer, code) = self
            .payment_cancel(request, &pmt_id, "CANCEL", cancel_type)
            .await?;
        match code.as_str() {
            "00" => Ok(RefundOutcome {
                provider_ref: ProviderRef(pmt_id),
                amount: request.amount,
                transfer: None,
            }),
            // Settled: nothing was cancelled; the refund goes the way Svea documents for it.
            "30" => self.refund_after_settlement(request, &pmt_id).await,
            _ => Err(errors::from_cancel(
                &code,
                answer.pmtc_returntext.as_deref().unwrap_or(""),
                &answer.errors,
            )
            .with_ref(ProviderRef(pmt_id))),
        }
    }

    /// The status query knows no refund ids or sums, only its code: `99` all refunded, `92`/`93`
    /// part of it (§3.4).
    async fn find_refund(&self, lookup: &RefundLookup) -> Result<RefundsSeen, ProviderError> {
        let (pmt_id, status, _, state) = self.payment_seen(&lookup.order_id).await?;
        let code = status.pmtq_returncode.as_deref().unwrap_or("");
        let extent = match state {
            PaymentState::Unknown => {
                return Err(ProviderError::new(
                    ProviderErrorKind::NotFound,
                    format!("Svea does not know payment {pmt_id}"),
                ))
            }
            PaymentState::QueryFailed => return Err(query_failed()),
            PaymentState::Refunded => RefundExtent::Whole,
            PaymentState::Paid if matches!(code, "92" | "93") => RefundExtent::Part,
            PaymentState::Paid | PaymentState::Pending | PaymentState::Unpaid => RefundExtent::None,
        };
        Ok(RefundsSeen::Extent(extent))
    }

    async fn record_initial(&self, request: &InitialRequest) -> Result<InitialStep, ProviderError> {
        let base = request.return_url.as_deref().ok_or_else(|| {
            ProviderError::new(
                ProviderErrorKind::InvalidRequest {
                    field: Some("return_url".into()),
                },
                "Svea's card page needs a return URL",
            )
        })?;
        let (url, pmt_id) = self
            .open_card_page(
                &request.order_id,
                request.amount,
                request.buyer.as_ref(),
                base,
            )
            .await?;
        Ok(InitialStep::CardPage {
            url,
            pending_id: pmt_id,
        })
    }

    fn card_page(&self) -> Option<&dyn crate::CardPage> {
        Some(self)
    }

    fn card_refresh(&self) -> Option<&dyn crate::CardRefresh> {
        Some(self)
    }

    fn hosted_enrollment(&self) -> Option<&dyn crate::HostedEnrollment> {
        Some(self)
    }
}

impl SveaClient {
    /// Starts Svea's card page server-to-server for `order_id`: a zero-sum tokenization (4504)
    /// or a payment that also tokenizes (4304), returning to `base` with `svea_return=ok|error|
    /// cancel|delayed`. Says the page's address (`pmt_paymenturl`) and the `pmt_id`.
    async fn open_card_page(
        &self,
        order_id: &str,
        amount: Money,
        buyer: Option<&crate::Buyer>,
        base: &str,
    ) -> Result<(String, String), ProviderError> {
        let flow = convert::initial_flow(amount);
        let pmt_id = convert::pmt_id(order_id)?;
        let returns = [
            return_url(base, "ok")?,
            return_url(base, "error")?,
            return_url(base, "cancel")?,
            return_url(base, "delayed")?,
        ];
        let description = if amount.minor == 0 {
            "Card registration for recurring payments"
        } else {
            "First payment; the card is kept for recurring payments"
        };
        let form = convert::payment_form(&PaymentFields {
            flow,
            seller_id: &self.seller_id,
            key_generation: &self.key_generation,
            pmt_id: &pmt_id,
            order_id,
            amount,
            due_date: self.today(),
            buyer: buyer_of(buyer)?,
            description,
            returns,
            token: None,
        })?;
        let mut names = PAYMENT_HASH_ORDER.to_vec();
        names.extend(ROW_HASH_TAIL);
        let body = self
            .post(flow.path, form, &names, "pmt", Resend::Once, true)
            .await
            .map_err(|e| with_pmt_id(e, &pmt_id))?;
        // The payment was created at Svea: an answer that cannot be read is an unknown outcome.
        let unread = |e: ProviderError| with_pmt_id(e.after_write(), &pmt_id);
        let answer: wire::Pmt = read(&body, "pmt").map_err(unread)?;
        if answer.pmt_id.as_deref() != Some(pmt_id.as_str()) {
            return Err(unread(ProviderError::malformed(
                "the payment answer is about another pmt_id",
            )));
        }
        let url = answer.pmt_paymenturl.ok_or_else(|| {
            unread(ProviderError::malformed(
                "the payment answer has no pmt_paymenturl",
            ))
        })?;
        Ok((url, pmt_id))
    }
}

/// Code 01 of the status query: Svea could not answer; ask again later.
fn query_failed() -> ProviderError {
    ProviderError::new(
        ProviderErrorKind::Unavailable,
        "Svea's status query failed (code 01)",
    )
    .with_code("01")
}

#[cfg(test)]
mod tests {
    use super::*;
    use coffer_core::{CardToken, IdempotencyKey, MerchantId, Reason, StoredCredential};

    pub(super) fn client(auth: SveaAuth) -> SveaClient {
        let merchant = Merchant {
            id: MerchantId(1),
            name: "Svea test".into(),
            account: ProviderAccount::Svea(SveaAccount {
                seller_id: "TESTSELLER".into(),
                key_generation: "001".into(),
            }),
            environment: Environment::Sandbox,
            base_url: "http://127.0.0.1:9/svea".into(),
            time_zone: coffer_core::merchant::parse_time_zone("Europe/Helsinki").unwrap(),
            currency: Currency::EUR,
            notice_lead_days: 3,
            group: None,
            endpoint: Default::default(),
        };
        SveaClient::with_options(
            &merchant,
            SecretString::from("TESTSECRET123".to_string()),
            SveaOptions {
                auth,
                policy: HttpPolicy::default(),
            },
        )
        .unwrap()
    }

    #[test]
    fn the_same_charge_request_is_sent_as_the_same_form_under_the_same_pmt_id() {
        let request = ChargeRequest {
            amount: Money::from_minor(56810, Currency::EUR),
            card_token: CardToken("7b3c9e2a1f4d4c8e9a6b2d5e8f1a0c37".into()),
            customer: CustomerRef("Matti Virtanen".into()),
            credential: StoredCredential::merchant_initiated(
                Reason::Recurring,
                ProviderRef("TOKENIZE0001".into()),
            ),
            idempotency_key: IdempotencyKey("k-1".into()),
            order_id: "MIT202601000001".into(),
            description: "Monthly subscription".into(),
            agreement: None,
            buyer: Some(crate::Buyer {
                name: "Matti Virtanen".into(),
                address: coffer_core::Address::new("Mannerheimintie 1", "00100", "Helsinki", "FI")
                    .unwrap(),
            }),
        };
        // Through serde, as the ledger keeps it: a resend after a restart starts from there.
        let again: ChargeRequest =
            serde_json::from_str(&serde_json::to_string(&request).unwrap()).unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
        for auth in [SveaAuth::Basic, SveaAuth::Hash(SveaHash::Sha512)] {
            let client = client(auth);
            let sent = |r: &ChargeRequest| {
                let (_, pmt_id, form) = client.charge_form(r, day).unwrap();
                let mut names = PAYMENT_HASH_ORDER.to_vec();
                names.extend(ROW_HASH_TAIL);
                let (form, _) = client.authenticated(form, &names, "pmt", false);
                (pmt_id, serde_urlencoded::to_string(&form).unwrap())
            };
            let (first, second) = (sent(&request), sent(&again));
            assert_eq!(
                first.0, "MIT202601000001",
                "the order id is the pmt_id Svea refuses a second payment under"
            );
            assert_eq!(
                first, second,
                "{auth:?}: a resend on the same day is the same bytes, hash included"
            );
        }
    }
}
