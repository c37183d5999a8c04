//! Making a card usable for merchant-initiated charges: the cardholder's consent (when, which
//! terms) and the initial cardholder-initiated transaction every later MIT must point to
//! (Clover FIRST/CARDHOLDER `ref_num`, ProcessOut scheme transaction id, Assist billnumber, Svea
//! `pmt_id` of a pay+tokenize through its card page). In sandbox mode the card page is filled
//! in locally; with a live merchant the cardholder completes it and `finish_initial` takes the
//! return redirect.

use coffer_core::charge::{ChargePlan, MerchantTerms, Trigger};
use coffer_core::{
    AttemptKind, Bin, CardBrand, CardExpiry, CardId, ChargeState, Consent, CustomerId,
    IdempotencyKey, InitialTransaction, InvalidInput, Last4, Money, PaymentMethod, Reason,
    StoredCredential,
};
use coffer_providers::{InitialOutcome, InitialRequest, InitialStep, StoredMethod};
use coffer_store::cards::{CardFields, APM_EXPIRY, APM_LAST4};
use coffer_store::charges::{NewAttempt, Settlement};
use serde::Serialize;

use crate::charge::new_order_id;
use crate::error::{EngineError, EngineResult, ErrorKind};
use crate::pipeline::{Answer, Guard, Order, Placed};
use crate::search::CardView;
use crate::Engine;

/// Where a provider's card page returns to.
pub const CARD_PAGE_RETURN_URL: &str = "https://coffer.invalid/card-page/return";

/// An initial cardholder-initiated transaction, with the consent given at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialInput {
    /// The customer.
    pub customer: CustomerId,
    /// The stored card, where the provider tokenized it already (Clover, ProcessOut, Assist);
    /// `None` for Svea, whose card page creates the token.
    pub card: Option<CardId>,
    /// The amount of the initial charge.
    pub amount: String,
    /// What later charges will be.
    pub reason: Reason,
    /// The terms the cardholder agreed to, as shown to them.
    pub terms: String,
}

/// Where an initial transaction stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InitialStatus {
    /// Made: the card is MIT-ready.
    Done,
    /// The cardholder must complete the provider's card page first.
    CardPage,
}

/// The result of an initial transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InitialResult {
    /// Done, or waiting for the card page.
    pub status: InitialStatus,
    /// The card, now MIT-ready (when done).
    pub card: Option<CardView>,
    /// The reference later MITs link to.
    pub initial_ref: Option<String>,
    /// The card page the cardholder must complete (live card-page providers).
    pub card_page_url: Option<String>,
    /// The pending payment to finish after the card page.
    pub pending_id: Option<String>,
}

impl Engine {
    /// Records the cardholder's consent to merchant-initiated charges of a card.
    pub async fn record_consent(&self, card: CardId, terms: String) -> EngineResult<CardView> {
        if terms.trim().is_empty() {
            return Err(InvalidInput::new(
                "terms",
                "the consent needs the terms text the cardholder agreed to",
            )
            .into());
        }
        coffer_core::free_text::refuse_card_number("terms", &terms)?;
        let consent = Consent {
            given_at: self.now(),
            terms,
        };
        let audit = self.audit_event(
            None,
            "consent_recorded",
            format!("card:{card}"),
            serde_json::json!({"terms": consent.terms}),
        );
        let now = self.now();
        self.with_store(move |store| {
            let merchant = store.merchant(store.card(card)?.merchant_id)?;
            store.batch(|store| {
                store.set_card_consent(card, &consent)?;
                let mut audit = audit;
                audit.merchant_id = Some(merchant.id.0);
                store.append_audit_here(audit)?;
                Ok(())
            })?;
            Ok(CardView::read(store, &store.card(card)?, &merchant, now)?)
        })
        .await
    }

    /// Makes the initial cardholder-initiated transaction, records the consent given with it, and
    /// stores its reference on the card.
    pub async fn record_initial(&self, input: InitialInput) -> EngineResult<InitialResult> {
        if input.terms.trim().is_empty() {
            return Err(InvalidInput::new(
                "terms",
                "the consent needs the terms text the cardholder agreed to",
            )
            .into());
        }
        coffer_core::free_text::refuse_card_number("terms", &input.terms)?;
        let (customer, card, merchant) = {
            let (customer_id, card_id) = (input.customer, input.card);
            self.read_store(move |store| {
                let customer = store.customer(customer_id)?;
                let card = card_id.map(|id| store.card(id)).transpose()?;
                let merchant = store.merchant(customer.merchant_id)?;
                Ok((customer, card, merchant))
            })
            .await?
        };
        if let Some(card) = &card {
            if card.customer_id != customer.id {
                return Err(InvalidInput::new(
                    "card",
                    format!("card {} is not customer {}'s", card.id, customer.id),
                )
                .into());
            }
        }
        let amount =
            Money::parse(&input.amount, merchant.currency).map_err(|e| e.in_field("amount"))?;
        // A card page opens before any card exists to plan a charge on; the rule still holds.
        if card.is_none() {
            if let Some(refused) = coffer_core::policy::svea_address_before_card_page(
                merchant.provider(),
                customer.reference.as_str(),
                customer.address.as_ref(),
            ) {
                return Err(EngineError::new(
                    ErrorKind::PolicyRefused,
                    format!("{}: {}", refused.rule, refused.reason),
                ));
            }
        }
        let provider = self.provider_for(&merchant).await?;
        let order_id = new_order_id();
        let key = IdempotencyKey(uuid::Uuid::new_v4().to_string());
        let request = InitialRequest {
            customer: customer.reference.clone(),
            card_token: card.as_ref().map(|c| c.token.clone()),
            amount,
            reason: input.reason,
            order_id: order_id.clone(),
            idempotency_key: key.clone(),
            // The card page sends the cardholder back here with the result in the query. In
            // sandbox mode the engine reads that redirect itself; a live Svea merchant needs a
            // page of its own that hands the query to `finish_initial` (not built yet).
            return_url: Some(CARD_PAGE_RETURN_URL.to_string()),
            buyer: crate::charge::buyer_of(&customer),
        };
        // Where the card is known, the initial charge goes through the one pipeline like any
        // other: judged by the rules that apply to a cardholder-initiated first charge (card
        // usable, amount valid, no unsettled attempt, none after a hard decline) under the write
        // lock, and `sending` committed before it leaves.
        let attempt = match &card {
            Some(card) => {
                let now = self.now();
                let credential = StoredCredential::initial(input.reason);
                let plan = ChargePlan {
                    merchant: MerchantTerms::from(&merchant),
                    card: card.clone(),
                    amount,
                    credential: credential.clone(),
                    charge_date: coffer_core::clock::local_date(now, merchant.time_zone),
                    trigger: Trigger::Manual,
                    contract: None,
                    open_contracts: Vec::new(),
                    buyer_address: customer.address.clone(),
                };
                let order = Order {
                    new: NewAttempt {
                        kind: AttemptKind::Charge,
                        merchant_id: merchant.id,
                        card_id: card.id,
                        contract_id: None,
                        occurrence: None,
                        try_number: 1,
                        refund_of: None,
                        amount,
                        credential: credential.clone(),
                        idempotency_key: key,
                        order_id: order_id.clone(),
                        created_at: now,
                        // The initial is looked up, never resent: its answer carries the card.
                        request_json: None,
                    },
                    guard: Guard::Policy(Box::new(move |_| Ok(plan))),
                    sending: self.audit_event(
                        Some(merchant.id.0),
                        "charge_sending",
                        String::new(),
                        serde_json::json!({"amount": amount.to_string(), "order_id": order_id, "flags": credential, "initial": true}),
                    ),
                    refused: self.audit_event(
                        Some(merchant.id.0),
                        "charge_refused",
                        format!("card:{}", card.id),
                        serde_json::Value::Null,
                    ),
                };
                match self.place(order).await? {
                    Placed::Sending(id) => Some(id),
                    Placed::Refused(violations) => {
                        return Err(EngineError::new(
                            ErrorKind::PolicyRefused,
                            violations
                                .iter()
                                .map(|v| v.reason.clone())
                                .collect::<Vec<_>>()
                                .join("; "),
                        ))
                    }
                    Placed::Existing(first) => {
                        return Err(EngineError::new(
                            ErrorKind::Conflict,
                            format!(
                                "this initial transaction was planned before (attempt {})",
                                first.id
                            ),
                        ))
                    }
                    Placed::Taken(why) => return Err(EngineError::new(ErrorKind::Conflict, why)),
                }
            }
            None => None,
        };
        let step = provider.record_initial(&request).await;
        let outcome = match step {
            Ok(InitialStep::Done(outcome)) => outcome,
            Ok(InitialStep::CardPage { url, pending_id })
                if merchant.environment == coffer_core::Environment::Sandbox =>
            {
                let returned = provider.fill_sandbox_card_page(&url).await?;
                provider.finish_initial(&pending_id, &returned).await?
            }
            Ok(InitialStep::CardPage { url, pending_id }) => {
                return Ok(InitialResult {
                    status: InitialStatus::CardPage,
                    card: None,
                    initial_ref: None,
                    card_page_url: Some(url),
                    pending_id: Some(pending_id),
                })
            }
            Err(e) => {
                if let Some(id) = attempt {
                    self.settle_answer(id, Answer::Charge(Err(e.clone())))
                        .await?;
                }
                return Err(e.into());
            }
        };
        self.store_initial(
            customer.id,
            card.map(|c| c.id),
            attempt,
            outcome,
            input.terms,
        )
        .await
    }

    async fn store_initial(
        &self,
        customer: CustomerId,
        card: Option<CardId>,
        attempt: Option<coffer_core::AttemptId>,
        outcome: InitialOutcome,
        terms: String,
    ) -> EngineResult<InitialResult> {
        let now = self.now();
        let fields = initial_card_fields(&outcome.card)?;
        let audit = self.audit_event(
            None,
            "initial_recorded",
            format!("customer:{customer}"),
            serde_json::json!({"initial_ref": outcome.initial_ref, "provider_ref": outcome.provider_ref, "amount": outcome.amount.to_string()}),
        );
        let view = self
            .with_store(move |store| {
                let merchant = store.merchant(store.customer(customer)?.merchant_id)?;
                let card_id = store.batch(|store| {
                    let card_id = write_initial_card(
                        store,
                        &InitialWrite {
                            merchant: merchant.id,
                            customer,
                            fields: fields.clone(),
                            card,
                            attempt,
                            outcome: &outcome,
                            registered: None,
                            terms: &terms,
                            now,
                        },
                    )?;
                    let mut audit = audit;
                    audit.merchant_id = Some(merchant.id.0);
                    store.append_audit_here(audit)?;
                    Ok(card_id)
                })?;
                Ok(CardView::read(
                    store,
                    &store.card(card_id)?,
                    &merchant,
                    now,
                )?)
            })
            .await?;
        Ok(InitialResult {
            status: InitialStatus::Done,
            initial_ref: view.initial_ref.clone(),
            card: Some(view),
            card_page_url: None,
            pending_id: None,
        })
    }

    /// Completes an initial transaction whose card page the cardholder finished, with the
    /// query pairs of the return redirect.
    pub async fn finish_initial(
        &self,
        customer: CustomerId,
        pending_id: String,
        returned: Vec<(String, String)>,
        terms: String,
    ) -> EngineResult<InitialResult> {
        let merchant = self
            .read_store(move |store| Ok(store.merchant(store.customer(customer)?.merchant_id)?))
            .await?;
        let provider = self.provider_for(&merchant).await?;
        let outcome = provider.finish_initial(&pending_id, &returned).await?;
        if terms.trim().is_empty() {
            return Err(EngineError::new(
                ErrorKind::InvalidInput,
                "terms: the consent needs the terms text",
            ));
        }
        self.store_initial(customer, None, None, outcome, terms)
            .await
    }
}

/// A made initial transaction to write down: the card (new, or the one it was made on), its
/// initial, the consent given with it and the ledger row of the charge.
pub(crate) struct InitialWrite<'a> {
    pub merchant: coffer_core::MerchantId,
    pub customer: CustomerId,
    /// The provider's card ([`initial_card_fields`]).
    pub fields: CardFields,
    /// The card it was made on, when Coffer had it already; `None` writes the provider's card.
    pub card: Option<CardId>,
    /// The ledger row planned for it, when the charge went through the pipeline.
    pub attempt: Option<coffer_core::AttemptId>,
    pub outcome: &'a InitialOutcome,
    /// The recurring series the provider registered with it.
    pub registered: Option<coffer_core::card::RegisteredSeries>,
    pub terms: &'a str,
    pub now: chrono::DateTime<chrono::Utc>,
}

/// Writes a made initial transaction inside the caller's transaction; returns the card.
pub(crate) fn write_initial_card(
    store: &dyn coffer_store::repo::Repositories,
    write: &InitialWrite<'_>,
) -> coffer_store::StoreResult<CardId> {
    let InitialWrite {
        merchant,
        customer,
        fields,
        card,
        attempt,
        outcome,
        registered,
        terms,
        now,
    } = write;
    let (merchant, customer, now) = (*merchant, *customer, *now);
    let remote = &outcome.card;
    let card_id = match card {
        Some(id) => *id,
        None => {
            let id = store.upsert_card(merchant, customer, fields, now)?.0;
            if let StoredMethod::Apm { name } = &remote.method {
                store.set_card_method(
                    id,
                    &PaymentMethod::Apm {
                        name: name.clone(),
                        merchant_initiated: remote.merchant_initiated,
                    },
                )?;
            }
            id
        }
    };
    store.set_card_initial(
        card_id,
        &InitialTransaction {
            reference: outcome.initial_ref.clone(),
            amount: Some(outcome.amount),
            at: now,
            kind: outcome.kind,
            registered: registered.clone(),
        },
    )?;
    store.set_card_consent(
        card_id,
        &Consent {
            given_at: now,
            terms: terms.to_string(),
        },
    )?;
    let settlement = Settlement {
        state: ChargeState::Succeeded,
        provider_ref: Some(outcome.provider_ref.clone()),
        decline_code: None,
        hard_decline: false,
        message: None,
        warnings: Vec::new(),
        at: now,
    };
    match attempt {
        Some(id) => {
            store.settle_attempt(*id, &settlement)?;
        }
        // A zero-amount verification (ProcessOut's token `verify`) moved no money: there is no
        // charge to record, and the ledger holds positive amounts only.
        None if outcome.amount.minor == 0 => {}
        None => {
            // Made through a provider's page: recorded once it is known.
            let id = store.insert_sending(
                &NewAttempt {
                    kind: AttemptKind::Charge,
                    merchant_id: merchant,
                    card_id,
                    contract_id: None,
                    occurrence: None,
                    try_number: 1,
                    refund_of: None,
                    amount: outcome.amount,
                    credential: StoredCredential::initial(Reason::Recurring),
                    idempotency_key: IdempotencyKey(uuid::Uuid::new_v4().to_string()),
                    order_id: outcome.provider_ref.0.clone(),
                    created_at: now,
                    request_json: None,
                },
                now,
            )?;
            store.settle_attempt(id, &settlement)?;
        }
    }
    Ok(card_id)
}

/// The card columns of the provider's stored card: an APM token (a ProcessOut gateway_token)
/// has no last4 or expiry, so its columns hold what sync stores for one (migration 15-card-use).
pub(crate) fn initial_card_fields(
    remote: &coffer_providers::RemoteCard,
) -> EngineResult<CardFields> {
    Ok(match &remote.method {
        StoredMethod::Apm { name } => CardFields {
            token: remote.token.clone(),
            brand: CardBrand::Other(name.clone()),
            last4: Last4::new(APM_LAST4)?,
            bin: None,
            bank: None,
            expiry: APM_EXPIRY,
            active: true,
            needs_cvc: false,
            art_url: remote.art_url.clone(),
        },
        StoredMethod::Card => CardFields {
            token: remote.token.clone(),
            brand: remote.brand.clone(),
            last4: Last4::new(&remote.last4)?,
            bin: remote.bin.as_deref().map(Bin::new).transpose()?,
            bank: remote.bank.clone(),
            expiry: CardExpiry::new(remote.expiry.year, remote.expiry.month)?,
            active: true,
            needs_cvc: remote.needs_cvc,
            art_url: remote.art_url.clone(),
        },
    })
}
