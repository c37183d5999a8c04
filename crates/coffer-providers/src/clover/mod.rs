//! The Clover Ecommerce client.
//!
//! One client per merchant ID: the OAuth token implies the merchant on Ecommerce calls, and the
//! Platform API names it in the path. Charges carry an `idempotency-key`, so a resend after a
//! network error is answered with the first result; when no answer comes at all, the charge is
//! found again by the key we also put in its `metadata`. Merchant-initiated charges link the
//! initial cardholder charge through its `ref_num`, which is what keeps Clover's "without
//! Initial credential on file" warning away; any warning that still comes back is kept.

mod convert;
mod enrollment;
mod errors;
mod holdings;
mod sandbox_page;
mod wire;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use coffer_core::{
    CloverAccount, Currency, CustomerRef, Merchant, ProviderAccount, ProviderKind, ProviderRef,
    StoredCredential,
};
use reqwest::Response;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;

use crate::endpoints::Published;
use crate::http::{body_text, HttpClient, HttpPolicy, Resend};
use crate::*;
use coffer_core::Stage;

/// Charges or refunds per page of a lookup's listing: the most `GET /v1/charges` and
/// `GET /v1/refunds` return (notes §2.2).
const PAGE_SIZE: usize = 100;

/// The most pages one lookup reads (100,000 charges since the attempt). A lookup that stops
/// there has not searched its whole window, so it is an error, never "not found".
const LOOKUP_PAGE_LIMIT: usize = 1000;

/// What a merchant-initiated charge sends as `x-forwarded-for` when no operator address was
/// set: there is no cardholder browser, and the right value is undocumented (notes §1).
const DEFAULT_FORWARDED_FOR: &str = "127.0.0.1";

/// Clover's entry of [`crate::client`].
pub(crate) static CLIENT: Client = Client {
    connect: |merchant, secret| Ok(Box::new(CloverClient::new(merchant, secret)?)),
    // docs.clover.com: every published host (api, scl, token, apisandbox, scl-sandbox.dev,
    // api.eu, api.la) is under clover.com.
    domains: &["clover.com"],
    published: &[
        Published {
            stage: Stage::Production,
            // docs.clover.com "Ecommerce services APIs", Sandbox and production URLs; the
            // Ecommerce API is "available in the US and Canada" and the page lists one scl host.
            base_url: "https://scl.clover.com",
            source: "docs.clover.com/docs/ecommerce-api-tutorials",
        },
        Published {
            stage: Stage::Test,
            base_url: "https://scl-sandbox.dev.clover.com",
            source: "docs.clover.com/docs/ecommerce-api-tutorials",
        },
    ],
    #[cfg(feature = "fuzzing")]
    fuzz_answer: fuzz_bytes,
};

/// The Clover client of one merchant ID.
#[derive(Debug)]
pub struct CloverClient {
    /// Ecommerce host (`/v1/…`).
    scl: HttpClient,
    /// Platform REST host (`/v3/…`).
    api: HttpClient,
    merchant_uuid: String,
    token: SecretString,
    currency: Currency,
    forwarded_for: String,
    /// The host of Clover's iframe SDK (`sdk.js`) for this merchant's environment.
    checkout: String,
    /// Sandbox or live: only a sandbox merchant's page may be filled by Coffer.
    environment: coffer_core::Environment,
}

impl CloverClient {
    /// Builds the client for a Clover merchant; `secret` is its OAuth access token.
    pub fn new(merchant: &Merchant, secret: SecretString) -> Result<Self, ProviderError> {
        Self::with_policy(merchant, secret, HttpPolicy::default())
    }

    /// As [`CloverClient::new`], with explicit timeouts and retry bounds.
    pub fn with_policy(
        merchant: &Merchant,
        secret: SecretString,
        policy: HttpPolicy,
    ) -> Result<Self, ProviderError> {
        let ProviderAccount::Clover(CloverAccount { merchant_uuid, .. }) = &merchant.account else {
            return Err(ProviderError::new(
                ProviderErrorKind::InvalidRequest {
                    field: Some("account".into()),
                },
                "not a Clover merchant account",
            ));
        };
        Ok(CloverClient {
            scl: HttpClient::new(ProviderKind::Clover, &merchant.base_url, policy)?,
            api: HttpClient::new(
                ProviderKind::Clover,
                // The region picks the Platform host (docs.clover.com "Use Clover REST API").
                &crate::endpoints::clover_platform_base(
                    &merchant.base_url,
                    merchant.endpoint.region,
                ),
                policy,
            )?,
            merchant_uuid: convert::path_id("merchant_uuid", merchant_uuid)?,
            token: secret,
            currency: merchant.currency,
            forwarded_for: DEFAULT_FORWARDED_FOR.to_string(),
            checkout: crate::endpoints::clover_checkout_base(&merchant.base_url),
            environment: merchant.environment,
        })
    }

    /// The address sent as `x-forwarded-for` on charges (the operator's public IP for MITs).
    pub fn with_forwarded_for(mut self, address: impl Into<String>) -> Self {
        self.forwarded_for = address.into();
        self
    }

    async fn get<T: DeserializeOwned>(
        &self,
        host: &HttpClient,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ProviderError> {
        let url = host.url(path);
        let response = host
            .send(Resend::Safe, |c| {
                c.get(&url)
                    .bearer_auth(self.token.expose_secret())
                    .query(query)
            })
            .await?;
        read(response, Resend::Safe).await
    }

    /// `POST /v1/charges` with the key that makes resends safe. Every failure after the
    /// request may have left is an unknown outcome (never `MalformedResponse`).
    async fn post_charge(
        &self,
        body: &wire::ChargeRequest,
        key: &str,
    ) -> Result<wire::Charge, ProviderError> {
        let url = self.scl.url("/v1/charges");
        let response = self
            .scl
            .send(Resend::Idempotent, |c| self.charge_http(c, &url, body, key))
            .await?;
        read(response, Resend::Idempotent).await
    }

    /// The charge request itself: the same body and key give the same bytes on every send, which
    /// is what lets Clover replay the first answer to a resend (DESIGN §4).
    fn charge_http(
        &self,
        client: &reqwest::Client,
        url: &str,
        body: &wire::ChargeRequest,
        key: &str,
    ) -> reqwest::RequestBuilder {
        client
            .post(url)
            .bearer_auth(self.token.expose_secret())
            .header("idempotency-key", key)
            .header("x-forwarded-for", &self.forwarded_for)
            .json(body)
    }

    fn charge_body(
        &self,
        amount: coffer_core::Money,
        token: &str,
        credential: &StoredCredential,
        order_id: &str,
        key: &str,
        description: &str,
    ) -> Result<wire::ChargeRequest, ProviderError> {
        if amount.currency != self.currency {
            return Err(ProviderError::new(
                ProviderErrorKind::InvalidRequest {
                    field: Some("currency".into()),
                },
                format!(
                    "this Clover merchant charges in {}, not {}",
                    self.currency, amount.currency
                ),
            ));
        }
        Ok(wire::ChargeRequest {
            amount: convert::amount_to_wire(amount)?,
            currency: convert::currency_to_wire(amount.currency),
            source: token.to_string(),
            capture: true,
            ecomind: convert::ecomind(),
            description: Some(description.chars().take(255).collect::<String>())
                .filter(|d| !d.is_empty()),
            external_reference_id: Some(convert::external_reference(order_id)),
            metadata: Some(wire::Metadata {
                coffer_idempotency_key: Some(key.to_string()),
            }),
            stored_credentials: Some(convert::stored_credentials(credential)),
        })
    }

    /// Reads the charge list of a customer, newest first, until `found` matches or the list
    /// reaches back past `since`: as many pages as that takes. `Ok(None)` only once the whole
    /// window was read.
    async fn search_charges(
        &self,
        customer: &CustomerRef,
        since: DateTime<Utc>,
        found: impl Fn(&wire::Charge) -> bool,
    ) -> Result<Option<wire::Charge>, ProviderError> {
        let since_ms = since.timestamp_millis();
        let mut after: Option<String> = None;
        for _ in 0..LOOKUP_PAGE_LIMIT {
            // `created.gte` narrows the list to the window (notes §2.2, SDK code); the walk
            // below also stops by itself should a host ignore the filter.
            let mut query = vec![
                ("limit", PAGE_SIZE.to_string()),
                ("created.gte", since_ms.to_string()),
            ];
            if !customer.as_str().is_empty() {
                query.push(("customer", convert::path_id("customer", customer.as_str())?));
            }
            if let Some(a) = &after {
                query.push(("starting_after", a.clone()));
            }
            let (charges, has_more) = match self
                .get::<wire::ChargeList>(&self.scl, "/v1/charges", &query)
                .await?
            {
                wire::ChargeList::Bare(data) => {
                    let full = data.len() >= PAGE_SIZE;
                    (data, full)
                }
                wire::ChargeList::Envelope { data, has_more } => (data, has_more),
            };
            let last = charges.last().map(|c| c.id.clone());
            // Newest first: a page whose oldest charge is older than the window holds the end.
            let reached_back = charges
                .last()
                .and_then(|c| c.created)
                .is_some_and(|ms| ms < since_ms);
            if let Some(hit) = charges.into_iter().find(|c| found(c)) {
                return Ok(Some(hit));
            }
            if !has_more || reached_back {
                return Ok(None);
            }
            match last {
                Some(id) if after.as_deref() != Some(id.as_str()) => after = Some(id),
                _ => {
                    return Err(ProviderError::malformed(
                        "Clover's charge list says it has more but its cursor does not move",
                    ))
                }
            }
        }
        Err(ProviderError::new(
            ProviderErrorKind::Unavailable,
            format!(
                "Clover's charge list did not reach back to {since} within {LOOKUP_PAGE_LIMIT} pages; \
                 the charge was neither found nor ruled out"
            ),
        ))
    }
}

/// Reads a 2xx answer as `T`, anything else as a classified error.
async fn read<T: DeserializeOwned>(response: Response, resend: Resend) -> Result<T, ProviderError> {
    let status = response.status().as_u16();
    let text = body_text(response, resend).await?;
    answer(status, &text, resend != Resend::Safe)
}

/// An answer's status and body as `T`, or as the classified error. An unreadable answer to a
/// write (`write`) is an unknown outcome: the provider had the request.
fn answer<T: DeserializeOwned>(status: u16, text: &str, write: bool) -> Result<T, ProviderError> {
    if (200..300).contains(&status) {
        serde_json::from_str(text).map_err(|e| {
            let unreadable = ProviderError::malformed(e);
            if write {
                unreadable.after_write()
            } else {
                unreadable
            }
        })
    } else {
        Err(errors::classify(status, text, write))
    }
}

/// Fuzzing: every answer this client reads, interpreted as the client interprets it
/// (`crate::fuzzing`). Errors are fine; a panic is the bug.
/// Clover: the bytes as a 200 body, then the first two bytes as the status of the rest.
/// Customers and cards listings, charges, charge searches, refunds, PAKMS keys, saved customers,
/// errors.
#[cfg(feature = "fuzzing")]
fn fuzz_bytes(data: &[u8]) {
    fuzz_answer(200, &String::from_utf8_lossy(data));
    let (status, body) = crate::fuzzing::split(data);
    fuzz_answer(status, &body);
}

#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz_answer(status: u16, text: &str) {
    for write in [false, true] {
        if let Ok(page) = answer::<wire::Elements<wire::Customer>>(status, text, write) {
            for customer in page.elements {
                let _ = customer_from_v3(customer);
            }
        }
        if let Ok(cards) = answer::<wire::Elements<wire::Card>>(status, text, write) {
            for card in &cards.elements {
                let _ = convert::card_from_v3(card);
            }
        }
        if let Ok(charge) = answer::<wire::Charge>(status, text, write) {
            let _ = convert::outcome(&charge, is_first(&charge));
            let _ = convert::metadata_key(&charge);
            if let Some(source) = &charge.source {
                let _ = convert::card_from_source(source, None);
            }
        }
        if let Ok(list) = answer::<wire::ChargeList>(status, text, write) {
            let charges = match list {
                wire::ChargeList::Bare(data) => data,
                wire::ChargeList::Envelope { data, .. } => data,
            };
            for charge in &charges {
                let _ = convert::outcome(charge, is_first(charge));
            }
        }
        if let Ok(refund) = answer::<wire::Refund>(status, text, write) {
            let _ = convert::money_from_wire(refund.amount, &refund.currency);
        }
        let _ = answer::<wire::Gateway>(status, text, write);
        let _ = answer::<wire::PakmsKey>(status, text, write);
        let _ = answer::<wire::CustomerV1>(status, text, write);
    }
}

fn customer_from_v3(customer: wire::Customer) -> Result<RemoteCustomer, ProviderError> {
    let name = [
        customer.first_name.as_deref(),
        customer.last_name.as_deref(),
    ]
    .into_iter()
    .flatten()
    .filter(|p| !p.is_empty())
    .collect::<Vec<_>>()
    .join(" ");
    let cards = match customer.cards {
        Some(list) => Some(
            list.elements
                .iter()
                .map(convert::card_from_v3)
                .collect::<Result<Vec<_>, _>>()?,
        ),
        None => None,
    };
    Ok(RemoteCustomer {
        reference: CustomerRef(customer.id),
        name,
        email: customer
            .email_addresses
            .and_then(|l| l.elements.into_iter().find_map(|e| e.email_address)),
        phone: customer
            .phone_numbers
            .and_then(|l| l.elements.into_iter().find_map(|p| p.phone_number)),
        cards,
    })
}

#[async_trait]
impl Provider for CloverClient {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Clover
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            lists_customers: true,
            cards_by_customer: false,
            idempotency_key: true,
            partial_refunds: true,
            initial_needs_card_page: false,
            currencies: vec![self.currency],
            resend: crate::ResendRule::SameKey { window: crate::IDEMPOTENCY_WINDOW },
            absence_proves_after: None,
            note: "A charge after the first must name the initial charge's ref_num; otherwise Clover approves it with a warning.",
            card_revocation: crate::CardRevocation::AtProvider,
        }
    }

    fn hosted_enrollment(&self) -> Option<&dyn HostedEnrollment> {
        Some(self)
    }

    async fn check_credentials(&self) -> Result<(), ProviderError> {
        let path = format!("/v3/merchants/{}/gateway", self.merchant_uuid);
        let gateway: wire::Gateway = self.get(&self.api, &path, &[]).await?;
        // Card on file needs multi-pay tokens (notes §2.7).
        if gateway.supports_multi_pay_token == Some(false) {
            return Err(ProviderError::new(
                ProviderErrorKind::Unsupported,
                "this Clover merchant's gateway does not support multi-pay tokens, so cards cannot be kept on file",
            ));
        }
        Ok(())
    }

    async fn list_customers(
        &self,
        cursor: Option<String>,
        limit: u32,
    ) -> Result<Page<RemoteCustomer>, ProviderError> {
        let offset: u64 = match cursor.as_deref() {
            None | Some("") => 0,
            Some(c) => c.parse().map_err(|_| {
                ProviderError::new(
                    ProviderErrorKind::InvalidRequest {
                        field: Some("cursor".into()),
                    },
                    format!("'{c}' is not a Clover listing offset"),
                )
            })?,
        };
        // The Platform API pages by offset, 1000 at most per call (notes §2.6).
        let limit = limit.clamp(1, 1000);
        let path = format!("/v3/merchants/{}/customers", self.merchant_uuid);
        let query = [
            ("expand", "cards,emailAddresses,phoneNumbers".to_string()),
            ("limit", limit.to_string()),
            ("offset", offset.to_string()),
        ];
        let page: wire::Listing<wire::Customer> = self.get(&self.api, &path, &query).await?;
        let count = page.elements.len() as u64;
        let items = page
            .elements
            .into_iter()
            .map(customer_from_v3)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page {
            items,
            next: (count >= u64::from(limit)).then(|| (offset + count).to_string()),
            total: None,
        })
    }

    async fn cards_of(&self, customer: &CustomerRef) -> Result<Vec<RemoteCard>, ProviderError> {
        let path = format!(
            "/v3/merchants/{}/customers/{}/cards",
            self.merchant_uuid,
            convert::path_id("customer", customer.as_str())?
        );
        let cards: wire::Listing<wire::Card> = self.get(&self.api, &path, &[]).await?;
        cards.elements.iter().map(convert::card_from_v3).collect()
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
        self.revoke_source(customer, token).await
    }

    async fn charge(&self, request: &ChargeRequest) -> Result<ChargeOutcome, ProviderError> {
        let key = request.idempotency_key.as_str();
        let body = self.charge_body(
            request.amount,
            request.card_token.as_str(),
            &request.credential,
            &request.order_id,
            key,
            &request.description,
        )?;
        let charge = self.post_charge(&body, key).await?;
        // A charge answer that is neither paid nor failed is returned as `Pending`: the engine
        // looks it up (or resends under the same key) until Clover decides.
        convert::outcome(
            &charge,
            request.credential.sequence == coffer_core::Sequence::Initial,
        )
        .map_err(ProviderError::after_write)
    }

    async fn find_charge(
        &self,
        lookup: &ChargeLookup,
    ) -> Result<Option<ChargeOutcome>, ProviderError> {
        if let Some(reference) = &lookup.provider_ref {
            let path = format!(
                "/v1/charges/{}",
                convert::path_id("charge", reference.as_str())?
            );
            return match self.get::<wire::Charge>(&self.scl, &path, &[]).await {
                Ok(charge) => convert::outcome(&charge, is_first(&charge)).map(Some),
                Err(e) if e.kind == ProviderErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            };
        }
        let key = lookup.idempotency_key.as_str();
        let reference = convert::external_reference(&lookup.order_id);
        let amount = convert::amount_to_wire(lookup.amount)?;
        let since = lookup.sent_at - crate::LOOKUP_MARGIN;
        let found = self
            .search_charges(&lookup.customer, since, |c| {
                match convert::metadata_key(c) {
                    Some(k) => k == key,
                    None => {
                        c.external_reference_id.as_deref() == Some(reference.as_str())
                            && c.amount == amount
                    }
                }
            })
            .await?;
        found
            .map(|c| convert::outcome(&c, is_first(&c)))
            .transpose()
    }

    async fn refund(&self, request: &RefundRequest) -> Result<RefundOutcome, ProviderError> {
        if request.amount.currency != request.charge_amount.currency {
            return Err(ProviderError::new(
                ProviderErrorKind::InvalidRequest {
                    field: Some("amount".into()),
                },
                "the refund and the charge are in different currencies",
            ));
        }
        let amount = convert::amount_to_wire(request.amount)?;
        let body = wire::RefundRequest {
            charge: convert::path_id("charge", request.charge_ref.as_str())?,
            // Omitted amount = all that is left; sent only for a partial refund (notes §2.4).
            amount: (request.amount != request.charge_amount).then_some(amount),
            reason: "requested_by_customer",
            external_reference_id: Some(convert::external_reference(&request.refund_id)),
        };
        let url = self.scl.url("/v1/refunds");
        // The refund's own key goes with it, but whether Clover honours a key on refunds is
        // undocumented, so it is never resent inside one call (notes §2.4, §4.3); a lost answer
        // is an unknown outcome that `find_refund` settles.
        let response = self
            .scl
            .send(Resend::Once, |c| {
                c.post(&url)
                    .bearer_auth(self.token.expose_secret())
                    .header("idempotency-key", request.idempotency_key.as_str())
                    .json(&body)
            })
            .await?;
        let refund: wire::Refund = read(response, Resend::Once).await?;
        if refund.status.as_deref() == Some("failed") {
            return Err(ProviderError::new(
                ProviderErrorKind::DeclinedSoft,
                format!("Clover refund {} failed", refund.id),
            )
            .with_ref(ProviderRef(refund.id)));
        }
        Ok(RefundOutcome {
            amount: convert::money_from_wire(refund.amount, &refund.currency)
                .map_err(ProviderError::after_write)?,
            provider_ref: ProviderRef(refund.id),
            transfer: None,
        })
    }

    async fn find_refund(&self, lookup: &RefundLookup) -> Result<RefundsSeen, ProviderError> {
        let charge = convert::path_id("charge", lookup.charge_ref.as_str())?;
        let reference = convert::external_reference(&lookup.refund_id);
        let mut after: Option<String> = None;
        for _ in 0..LOOKUP_PAGE_LIMIT {
            let mut query = vec![("charge", charge.clone()), ("limit", PAGE_SIZE.to_string())];
            if let Some(a) = &after {
                query.push(("starting_after", a.clone()));
            }
            let (refunds, has_more) = match self
                .get::<wire::RefundList>(&self.scl, "/v1/refunds", &query)
                .await?
            {
                wire::RefundList::Bare(data) => {
                    let full = data.len() >= PAGE_SIZE;
                    (data, full)
                }
                wire::RefundList::Envelope { data, has_more } => (data, has_more),
            };
            let last = refunds.last().map(|r| r.id.clone());
            let hit = refunds.into_iter().find(|r| {
                r.external_reference_id.as_deref() == Some(reference.as_str())
                    && r.status.as_deref() != Some("failed")
            });
            if let Some(refund) = hit {
                return Ok(RefundsSeen::Exact(Some(RefundOutcome {
                    amount: convert::money_from_wire(refund.amount, &refund.currency)?,
                    provider_ref: ProviderRef(refund.id),
                    transfer: None,
                })));
            }
            if !has_more {
                return Ok(RefundsSeen::Exact(None));
            }
            match last {
                Some(id) if after.as_deref() != Some(id.as_str()) => after = Some(id),
                _ => {
                    return Err(ProviderError::malformed(
                        "Clover's refund list says it has more but its cursor does not move",
                    ))
                }
            }
        }
        Err(ProviderError::new(
            ProviderErrorKind::Unavailable,
            format!(
                "Clover's refund list of charge {charge} did not end within {LOOKUP_PAGE_LIMIT} pages; \
                 the refund was neither found nor ruled out"
            ),
        ))
    }

    async fn record_initial(&self, request: &InitialRequest) -> Result<InitialStep, ProviderError> {
        let token = request.card_token.as_ref().ok_or_else(|| {
            ProviderError::new(
                ProviderErrorKind::InvalidRequest {
                    field: Some("card_token".into()),
                },
                "Clover's initial charge is made on a saved card's multi-pay token",
            )
        })?;
        let key = request.idempotency_key.as_str();
        let credential = StoredCredential::initial(request.reason);
        let body = self.charge_body(
            request.amount,
            token.as_str(),
            &credential,
            &request.order_id,
            key,
            "Card on file: initial charge",
        )?;
        let charge = self.post_charge(&body, key).await?;
        // Everything below reads an answer to a write: what cannot be read is an unknown
        // outcome, settled by looking the charge up.
        initial_done(&charge).map_err(ProviderError::after_write)
    }
}

/// An initial charge's answer as the done step: approved, with the `ref_num` later MITs link to
/// and the card it was made on. Anything else — a decline, a charge not decided yet — is an
/// error, never a done step.
fn initial_done(charge: &wire::Charge) -> Result<InitialStep, ProviderError> {
    let outcome = convert::outcome(charge, true)?;
    match &outcome.status {
        RemoteStatus::Succeeded => {}
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
                    .unwrap_or_else(|| "Clover declined the initial charge".into()),
            )
            .with_ref(outcome.provider_ref.clone());
            e.provider_code = code.clone();
            return Err(e);
        }
        RemoteStatus::Pending => {
            return Err(ProviderError::new(
                ProviderErrorKind::UnknownOutcome,
                "Clover has not decided the initial charge yet; look it up by its key",
            )
            .with_ref(outcome.provider_ref.clone()))
        }
    }
    let initial_ref = outcome
        .initial_ref
        .clone()
        .ok_or_else(|| ProviderError::malformed("an approved initial charge without ref_num"))?;
    let source = charge
        .source
        .as_ref()
        .ok_or_else(|| ProviderError::malformed("a charge without its source card"))?;
    Ok(InitialStep::Done(InitialOutcome {
        card: convert::card_from_source(source, Some(initial_ref.clone()))?,
        initial_ref,
        provider_ref: outcome.provider_ref,
        amount: outcome.amount,
        kind: coffer_core::InitialKind::Recurring,
    }))
}

/// Whether a charge read back was sent as the initial one (its `ref_num` is then the link).
fn is_first(charge: &wire::Charge) -> bool {
    charge
        .stored_credentials
        .as_ref()
        .and_then(|s| s.sequence.as_deref())
        .is_some_and(|s| s.eq_ignore_ascii_case("FIRST"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use coffer_core::{
        CardToken, Environment, IdempotencyKey, MerchantId, Reason, StoredCredential,
    };

    fn client() -> CloverClient {
        let merchant = Merchant {
            id: MerchantId(1),
            name: "Clover test".into(),
            account: ProviderAccount::Clover(CloverAccount {
                merchant_uuid: "WDEVSNNHH8VQP".into(),
                pakms_key: None,
            }),
            environment: Environment::Sandbox,
            base_url: "http://127.0.0.1:9/clover".into(),
            time_zone: coffer_core::merchant::parse_time_zone("America/New_York").unwrap(),
            currency: Currency::USD,
            notice_lead_days: 3,
            group: None,
            endpoint: Default::default(),
        };
        CloverClient::new(&merchant, SecretString::from("token".to_string())).unwrap()
    }

    fn request() -> ChargeRequest {
        ChargeRequest {
            amount: coffer_core::Money::from_minor(1999, Currency::USD),
            card_token: CardToken("clv_1TSTSexampleexampleexample".into()),
            customer: CustomerRef("R2D7XK9Q4M1PA".into()),
            credential: StoredCredential::merchant_initiated(
                Reason::Recurring,
                ProviderRef("216400500123".into()),
            ),
            idempotency_key: IdempotencyKey("3f1c9a52-6a55-4f0e-9a1d-4d1b2f7c8e90".into()),
            order_id: "contract-17-occurrence-2026-11".into(),
            description: "Membership".into(),
            agreement: None,
            buyer: None,
        }
    }

    /// The request `charge` sends for `r`, built as it is sent.
    fn sent(client: &CloverClient, r: &ChargeRequest) -> reqwest::Request {
        let key = r.idempotency_key.as_str();
        let body = client
            .charge_body(
                r.amount,
                r.card_token.as_str(),
                &r.credential,
                &r.order_id,
                key,
                &r.description,
            )
            .unwrap();
        client
            .charge_http(
                client.scl.client(),
                "http://127.0.0.1:9/v1/charges",
                &body,
                key,
            )
            .build()
            .unwrap()
    }

    #[test]
    fn the_same_charge_request_is_sent_as_the_same_bytes_under_the_same_key() {
        let client = client();
        // Through serde, as the ledger keeps it: a resend after a restart starts from there.
        let stored = serde_json::to_string(&request()).unwrap();
        let again: ChargeRequest = serde_json::from_str(&stored).unwrap();
        let (first, second) = (sent(&client, &request()), sent(&client, &again));
        let bytes = |r: &reqwest::Request| r.body().and_then(|b| b.as_bytes()).unwrap().to_vec();
        assert_eq!(
            bytes(&first),
            bytes(&second),
            "Clover replays a key only for a byte-identical body (DESIGN §4)"
        );
        assert_eq!(
            first.headers().get("idempotency-key"),
            second.headers().get("idempotency-key"),
            "the resend carries the first send's key"
        );
        assert_eq!(
            first
                .headers()
                .get("idempotency-key")
                .and_then(|v| v.to_str().ok()),
            Some("3f1c9a52-6a55-4f0e-9a1d-4d1b2f7c8e90"),
            "the key is the attempt's own"
        );
    }

    #[test]
    fn an_unreadable_answer_is_an_unknown_outcome_for_a_write_and_malformed_for_a_read() {
        let write = answer::<wire::Charge>(200, "{\"id\":\"ABC", true).unwrap_err();
        assert_eq!(
            write.kind,
            ProviderErrorKind::UnknownOutcome,
            "the charge may have been made; only a lookup can tell"
        );
        let read = answer::<wire::Charge>(200, "{\"id\":\"ABC", false).unwrap_err();
        assert_eq!(
            read.kind,
            ProviderErrorKind::MalformedResponse,
            "a lookup that cannot be read says nothing, and is never 'not found'"
        );
    }

    #[test]
    fn a_charge_answer_neither_paid_nor_failed_is_pending() {
        let charge: wire::Charge = serde_json::from_str(
            r#"{"id":"H7QW2KZ1N9VXE","amount":2500,"currency":"usd","paid":false,"status":"pending"}"#,
        )
        .unwrap();
        let outcome = convert::outcome(&charge, false).unwrap();
        assert_eq!(
            outcome.status,
            RemoteStatus::Pending,
            "not settled: the engine looks it up"
        );
        assert_eq!(
            initial_done(&charge).unwrap_err().kind,
            ProviderErrorKind::UnknownOutcome,
            "an undecided initial charge is no initial transaction yet"
        );
    }
}
