//! The Clover Ecommerce client.
//!
//! One client per merchant ID: the OAuth token implies the merchant on Ecommerce calls, and the
//! Platform API names it in the path. Charges carry an `idempotency-key`, so a resend after a
//! network error is answered with the first result; when no answer comes at all, the charge is
//! found again by the key we also put in its `metadata`. Merchant-initiated charges link the
//! initial cardholder charge through its `ref_num`, which is what keeps Clover's "without
//! Initial credential on file" warning away; any warning that still comes back is kept.

mod convert;
mod errors;
mod wire;

use async_trait::async_trait;
use coffer_core::{
    Currency, CustomerRef, Merchant, ProviderAccount, ProviderKind, ProviderRef, StoredCredential,
};
use reqwest::Response;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;

use crate::http::{body_text, HttpClient, HttpPolicy, Resend};
use crate::*;

/// Pages of the charge list read when looking a charge up without its id.
const LOOKUP_PAGES: usize = 10;

/// What a merchant-initiated charge sends as `x-forwarded-for` when no operator address was
/// set: there is no cardholder browser, and the right value is undocumented (notes §1).
const DEFAULT_FORWARDED_FOR: &str = "127.0.0.1";

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
}

/// Clover's Platform host for a known Ecommerce host (notes §1); any other base URL, such as
/// Coffer's sandbox, serves both.
fn platform_base(base_url: &str) -> String {
    const PAIRS: [(&str, &str); 2] = [
        ("scl-sandbox.dev.clover.com", "apisandbox.dev.clover.com"),
        ("scl.clover.com", "api.clover.com"),
    ];
    PAIRS
        .iter()
        .find(|(scl, _)| base_url.contains(scl))
        .map(|(scl, api)| base_url.replacen(scl, api, 1))
        .unwrap_or_else(|| base_url.to_string())
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
        let ProviderAccount::Clover { merchant_uuid, .. } = &merchant.account else {
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
                &platform_base(&merchant.base_url),
                policy,
            )?,
            merchant_uuid: convert::path_id("merchant_uuid", merchant_uuid)?,
            token: secret,
            currency: merchant.currency,
            forwarded_for: DEFAULT_FORWARDED_FOR.to_string(),
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

    /// `POST /v1/charges` with the key that makes resends safe.
    async fn post_charge(
        &self,
        body: &wire::ChargeRequest,
        key: &str,
    ) -> Result<wire::Charge, ProviderError> {
        let url = self.scl.url("/v1/charges");
        let response = self
            .scl
            .send(Resend::Idempotent, |c| {
                c.post(&url)
                    .bearer_auth(self.token.expose_secret())
                    .header("idempotency-key", key)
                    .header("x-forwarded-for", &self.forwarded_for)
                    .json(body)
            })
            .await?;
        read(response, Resend::Idempotent).await
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
            ecomind: convert::ecomind(credential),
            description: Some(description.chars().take(255).collect::<String>())
                .filter(|d| !d.is_empty()),
            external_reference_id: Some(convert::external_reference(order_id)),
            metadata: Some(wire::Metadata {
                coffer_idempotency_key: Some(key.to_string()),
            }),
            stored_credentials: Some(convert::stored_credentials(credential)),
        })
    }

    /// Reads the charge list of a customer, newest first, until `found` matches.
    async fn search_charges(
        &self,
        customer: &CustomerRef,
        found: impl Fn(&wire::Charge) -> bool,
    ) -> Result<Option<wire::Charge>, ProviderError> {
        let mut after: Option<String> = None;
        for _ in 0..LOOKUP_PAGES {
            let mut query = vec![("limit", "100".to_string())];
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
                    let full = data.len() >= 100;
                    (data, full)
                }
                wire::ChargeList::Envelope { data, has_more } => (data, has_more),
            };
            after = charges.last().map(|c| c.id.clone());
            if let Some(hit) = charges.into_iter().find(|c| found(c)) {
                return Ok(Some(hit));
            }
            if !has_more || after.is_none() {
                break;
            }
        }
        Ok(None)
    }
}

/// Reads a 2xx answer as `T`, anything else as a classified error.
async fn read<T: DeserializeOwned>(response: Response, resend: Resend) -> Result<T, ProviderError> {
    let status = response.status().as_u16();
    let text = body_text(response, resend).await?;
    answer(status, &text, resend != Resend::Safe)
}

/// An answer's status and body as `T`, or as the classified error.
fn answer<T: DeserializeOwned>(status: u16, text: &str, write: bool) -> Result<T, ProviderError> {
    if (200..300).contains(&status) {
        serde_json::from_str(text).map_err(ProviderError::malformed)
    } else {
        Err(errors::classify(status, text, write))
    }
}

/// Fuzzing: every answer this client reads, interpreted as the client interprets it
/// (`crate::fuzzing`). Errors are fine; a panic is the bug.
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
            note: "A charge after the first must name the initial charge's ref_num; otherwise Clover approves it with a warning.",
        }
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
        convert::outcome(
            &charge,
            request.credential.sequence == coffer_core::Sequence::Initial,
        )
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
        let found = self
            .search_charges(&lookup.customer, |c| match convert::metadata_key(c) {
                Some(k) => k == key,
                None => {
                    c.external_reference_id.as_deref() == Some(reference.as_str())
                        && c.amount == amount
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
        // Refund idempotency is undocumented: never resent (notes §2.4).
        let response = self
            .scl
            .send(Resend::Once, |c| {
                c.post(&url)
                    .bearer_auth(self.token.expose_secret())
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
            provider_ref: ProviderRef(refund.id),
            amount: convert::money_from_wire(refund.amount, &refund.currency)?,
        })
    }

    async fn find_refund(&self, lookup: &RefundLookup) -> Result<RefundsSeen, ProviderError> {
        let charge = convert::path_id("charge", lookup.charge_ref.as_str())?;
        let reference = convert::external_reference(&lookup.refund_id);
        let mut after: Option<String> = None;
        for _ in 0..LOOKUP_PAGES {
            let mut query = vec![("charge", charge.clone()), ("limit", "100".to_string())];
            if let Some(a) = &after {
                query.push(("starting_after", a.clone()));
            }
            let (refunds, has_more) = match self
                .get::<wire::RefundList>(&self.scl, "/v1/refunds", &query)
                .await?
            {
                wire::RefundList::Bare(data) => {
                    let full = data.len() >= 100;
                    (data, full)
                }
                wire::RefundList::Envelope { data, has_more } => (data, has_more),
            };
            after = refunds.last().map(|r| r.id.clone());
            let hit = refunds.into_iter().find(|r| {
                r.external_reference_id.as_deref() == Some(reference.as_str())
                    && r.status.as_deref() != Some("failed")
            });
            if let Some(refund) = hit {
                return Ok(RefundsSeen::Exact(Some(RefundOutcome {
                    amount: convert::money_from_wire(refund.amount, &refund.currency)?,
                    provider_ref: ProviderRef(refund.id),
                })));
            }
            if !has_more || after.is_none() {
                break;
            }
        }
        Ok(RefundsSeen::Exact(None))
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
        let outcome = convert::outcome(&charge, true)?;
        let initial_ref = outcome.initial_ref.clone().ok_or_else(|| {
            ProviderError::malformed("an approved initial charge without ref_num")
        })?;
        let source = charge
            .source
            .as_ref()
            .ok_or_else(|| ProviderError::malformed("a charge without its source card"))?;
        Ok(InitialStep::Done(InitialOutcome {
            card: convert::card_from_source(source, Some(initial_ref.clone()))?,
            initial_ref,
            provider_ref: outcome.provider_ref,
            amount: outcome.amount,
        }))
    }
}

/// Whether a charge read back was sent as the initial one (its `ref_num` is then the link).
fn is_first(charge: &wire::Charge) -> bool {
    charge
        .stored_credentials
        .as_ref()
        .and_then(|s| s.sequence.as_deref())
        .is_some_and(|s| s.eq_ignore_ascii_case("FIRST"))
}
