//! A saved card's life after its first charge: the owner stops using it, or deletes it at the
//! provider. Two different acts, said plainly:
//! - **Stop using** ([`Engine::stop_using_card`]): Coffer charges it no more. It stays saved at
//!   the provider, where the merchant's web shop may still use it.
//! - **Delete at the provider** ([`Engine::delete_card`]): the provider deletes the saved card
//!   (Clover source delete, ProcessOut customer token delete); irreversible. Where the provider
//!   offers no such call (Assist, Svea) it is refused, and the owner is told to stop using it.
//!
//! Both are refused while an attempt on the card is unsettled (`planned` or `sending`: its
//! outcome must be known first, DESIGN §4). Both end the card's active and paused contracts,
//! each with a notice to the cardholder, and leave an audit event. A stopped or removed card is
//! never charged again (policy rule `card_usable`), and a sync never brings it back.

use chrono::{DateTime, NaiveDate, Utc};
use coffer_core::contract::{Contract, ContractStatus};
use coffer_core::{Card, CardId, CardUse, Customer, Merchant, NoticeKind};
use coffer_providers::Revoked;
use coffer_store::contracts::ContractFilter;
use coffer_store::notices::NewNotice;
use coffer_store::repo::prelude::*;
use serde::Serialize;

use crate::error::{EngineError, EngineResult, ErrorKind};
use crate::notices::{self, CardGone, NoticeSent};
use crate::search::CardView;
use crate::Engine;

/// What stopping or deleting a card did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CardLifeResult {
    /// The card as it stands now.
    pub card: CardView,
    /// The contracts that ended with it.
    pub contracts_ended: Vec<i64>,
    /// The notices sent to the cardholder about them.
    pub notices_sent: Vec<NoticeSent>,
    /// Notices that could not be sent (tell the cardholder yourself).
    pub notice_errors: Vec<String>,
    /// What happened, one sentence each, in the owner's words.
    pub done: Vec<String>,
}

/// What a card looked like before the change, and whom to tell.
struct Holder {
    card: Card,
    merchant: Merchant,
    customer: Customer,
}

impl Engine {
    /// Stops using a card in Coffer: nothing is charged to it again, and its contracts end with
    /// a notice to the cardholder. The card stays saved at the provider.
    pub async fn stop_using_card(&self, id: CardId) -> EngineResult<CardLifeResult> {
        let now = self.now();
        let held = self.card_holder(id).await?;
        if let Some(why) = held.card.usage.refusal(&held.card.label()) {
            return Err(EngineError::new(ErrorKind::Conflict, why));
        }
        let event = self.audit_event(
            Some(held.merchant.id.0),
            "card_stopped",
            format!("card:{id}"),
            serde_json::json!({
                "provider": held.merchant.provider().as_str(),
                "token": held.card.token.0,
                "note": "stays saved at the provider",
            }),
        );
        let ended = self
            .with_store(move |store| {
                refuse_unsettled(store, id)?;
                Ok(store.batch(|store| {
                    store.set_card_use(id, CardUse::Stopped(now))?;
                    store.append_audit_here(event)?;
                    Ok(())
                })?)
            })
            .await;
        ended?;
        let mut result = self
            .end_card_contracts(&held, CardGone::Stopped, "the card is no longer used")
            .await?;
        result.done.insert(
            0,
            format!(
                "{} is no longer used: Coffer charges it no more. It stays saved at {}, where \
                 the merchant's web shop may still use it.",
                held.card.label(),
                provider_label(&held.merchant)
            ),
        );
        Ok(result)
    }

    /// Deletes a saved card at the provider (irreversible), and so stops using it in Coffer;
    /// its contracts end with a notice to the cardholder. Refused where the provider offers no
    /// deletion (Assist, Svea): stop using the card instead.
    pub async fn delete_card(&self, id: CardId) -> EngineResult<CardLifeResult> {
        let held = self.card_holder(id).await?;
        if let CardUse::Removed(_) = held.card.usage {
            let why = held
                .card
                .usage
                .refusal(&held.card.label())
                .unwrap_or_default();
            return Err(EngineError::new(ErrorKind::Conflict, why));
        }
        refuse_not_offered(&held.merchant, &held.card)?;
        // Held stopped while the provider is asked, so no charge is planned on it meanwhile.
        let before = held.card.usage;
        let now = self.now();
        self.with_store(move |store| {
            refuse_unsettled(store, id)?;
            if before == CardUse::InUse {
                store.set_card_use(id, CardUse::Stopped(now))?;
            }
            Ok(())
        })
        .await?;
        let revoked = match self
            .revoke_at_provider(&held.merchant, &held.customer, &held.card)
            .await
        {
            Ok(revoked) => revoked,
            Err(e) if e.kind() == ErrorKind::UnknownOutcome => {
                // The provider may have deleted it: it stays stopped, so nothing charges it.
                return Err(EngineError::new(
                    e.kind(),
                    format!(
                        "{} may or may not have been deleted at {} (no clear answer came); \
                         Coffer keeps it stopped. Delete it again to settle this: a card \
                         already gone is then recorded as deleted. ({e})",
                        held.card.label(),
                        provider_label(&held.merchant)
                    ),
                ));
            }
            Err(e) => {
                if before == CardUse::InUse {
                    self.with_store(move |store| Ok(store.set_card_use(id, CardUse::InUse)?))
                        .await?;
                }
                return Err(EngineError::new(
                    e.kind(),
                    format!(
                        "{} was not deleted at {}, and nothing changed in Coffer: {e}",
                        held.card.label(),
                        provider_label(&held.merchant)
                    ),
                ));
            }
        };
        let event = self.audit_event(
            Some(held.merchant.id.0),
            "card_deleted",
            format!("card:{id}"),
            serde_json::json!({
                "provider": held.merchant.provider().as_str(),
                "token": held.card.token.0,
                "at_provider": match revoked {
                    Revoked::Deleted => "deleted",
                    Revoked::AlreadyGone => "already_gone",
                },
            }),
        );
        let at = self.now();
        self.with_store(move |store| {
            Ok(store.batch(|store| {
                store.set_card_use(id, CardUse::Removed(at))?;
                store.deactivate_card(id)?;
                store.append_audit_here(event)?;
                Ok(())
            })?)
        })
        .await?;
        let mut result = self
            .end_card_contracts(&held, CardGone::Deleted, "the card was deleted")
            .await?;
        result.done.insert(
            0,
            match revoked {
                Revoked::Deleted => format!(
                    "{} was deleted at {}: neither Coffer nor the merchant's web shop can charge \
                     it again.",
                    held.card.label(),
                    provider_label(&held.merchant)
                ),
                Revoked::AlreadyGone => format!(
                    "{} was already gone at {}; Coffer now shows it deleted and charges it no \
                     more.",
                    held.card.label(),
                    provider_label(&held.merchant)
                ),
            },
        );
        Ok(result)
    }

    /// Deletes `card` at its provider, where the provider offers it: the one call another use
    /// case (erasing a customer) makes too. Records nothing: the caller does.
    pub(crate) async fn revoke_at_provider(
        &self,
        merchant: &Merchant,
        customer: &Customer,
        card: &Card,
    ) -> EngineResult<Revoked> {
        // Core's capability is the one the engine reads; the client's says the same (the
        // contract tests hold them together) and refuses unsent where there is no delete.
        refuse_not_offered(merchant, card)?;
        let provider = self.provider_for(merchant).await?;
        Ok(provider
            .revoke_card(&customer.reference, &card.token)
            .await?)
    }

    async fn card_holder(&self, id: CardId) -> EngineResult<Holder> {
        self.read_store(move |store| {
            let card = store.card(id)?;
            let merchant = store.merchant(card.merchant_id)?;
            let customer = store.customer(card.customer_id)?;
            Ok(Holder {
                card,
                merchant,
                customer,
            })
        })
        .await
    }

    /// Ends the card's active and paused contracts in one transaction (each with its audit
    /// event), then tells the cardholder of each.
    async fn end_card_contracts(
        &self,
        held: &Holder,
        why: CardGone,
        reason: &str,
    ) -> EngineResult<CardLifeResult> {
        let id = held.card.id;
        let now = self.now();
        let reason = reason.to_string();
        let engine = self.clone();
        let (ended, card) = self
            .with_store(move |store| {
                let open: Vec<Contract> = store
                    .contracts(&ContractFilter {
                        card: Some(id),
                        ..ContractFilter::default()
                    })?
                    .into_iter()
                    .filter(|c| matches!(c.status, ContractStatus::Active | ContractStatus::Paused))
                    .collect();
                store.batch(|store| {
                    for contract in &open {
                        let mut ended = contract.clone();
                        ended.status = ContractStatus::Cancelled;
                        store.update_contract(&ended, &reason, now)?;
                        store.cancel_open_occurrences(contract.id, NaiveDate::MIN)?;
                        store.append_audit_here(engine.audit_event(
                            Some(contract.merchant_id.0),
                            "contract_cancelled",
                            format!("contract:{}", contract.id),
                            serde_json::json!({"reason": reason, "card": id.0}),
                        ))?;
                    }
                    Ok(())
                })?;
                Ok((open, store.card(id)?))
            })
            .await?;
        let mut result = CardLifeResult {
            card: self.card_view_now(card, held.merchant.clone()).await?,
            contracts_ended: ended.iter().map(|c| c.id.0).collect(),
            notices_sent: Vec::new(),
            notice_errors: Vec::new(),
            done: Vec::new(),
        };
        for contract in &ended {
            match self.send_card_gone(contract, held, why, now).await {
                Ok(Some(sent)) => {
                    result.notices_sent.push(sent);
                    result.done.push(format!(
                        "Contract {} ended; the cardholder was sent a notice.",
                        contract.id
                    ));
                }
                Ok(None) => result.done.push(format!(
                    "Contract {} ended; {} has no e-mail address, so tell them yourself.",
                    contract.id, held.customer.name
                )),
                Err(e) => {
                    result.notice_errors.push(e.to_string());
                    result.done.push(format!(
                        "Contract {} ended, but its notice could not be sent ({e}); tell the \
                         cardholder yourself.",
                        contract.id
                    ));
                }
            }
        }
        Ok(result)
    }

    async fn send_card_gone(
        &self,
        contract: &Contract,
        held: &Holder,
        why: CardGone,
        now: DateTime<Utc>,
    ) -> EngineResult<Option<NoticeSent>> {
        let Some(recipient) = held.customer.email.clone() else {
            return Ok(None);
        };
        let today = coffer_core::clock::local_date(now, held.merchant.time_zone);
        let content = notices::card_no_longer_used(
            contract,
            &held.merchant,
            &held.customer,
            &held.card,
            today,
            why,
        );
        self.send_notice(
            &held.merchant,
            NewNotice {
                contract_id: contract.id,
                occurrence: None,
                kind: NoticeKind::Cancellation,
                recipient,
                amount: None,
                due: Some(today),
                channel: String::new(),
                at: now,
            },
            content,
        )
        .await
    }

    async fn card_view_now(&self, card: Card, merchant: Merchant) -> EngineResult<CardView> {
        let now = self.now();
        self.read_store(move |store| Ok(CardView::read(store, &card, &merchant, now)?))
            .await
    }
}

/// Refused while an attempt on the card is `planned` or `sending`: its outcome comes first.
fn refuse_unsettled(store: &dyn Repositories, card: CardId) -> EngineResult<()> {
    let open: Vec<_> = store
        .unsettled_attempts()?
        .into_iter()
        .filter(|a| a.card_id == card)
        .collect();
    match open.first() {
        None => Ok(()),
        Some(a) => Err(EngineError::new(
            ErrorKind::Conflict,
            format!(
                "card {card} has an attempt whose outcome is not known yet (attempt {}, {}): \
                 reconcile it (coffer reconcile --card {card}) or resolve it by hand first",
                a.id,
                a.state.as_str()
            ),
        )),
    }
}

/// The provider's name as people write it ("Clover").
fn provider_label(merchant: &Merchant) -> &'static str {
    coffer_core::providers::rules(merchant.provider()).label
}

fn refuse_not_offered(merchant: &Merchant, card: &Card) -> EngineResult<()> {
    if coffer_core::providers::rules(merchant.provider())
        .capabilities
        .deletes_saved_cards
    {
        Ok(())
    } else {
        Err(not_offered(merchant, card))
    }
}

fn not_offered(merchant: &Merchant, card: &Card) -> EngineError {
    EngineError::new(
        ErrorKind::InvalidInput,
        format!(
            "card: {} offers no way for a merchant to delete a saved card, so {} cannot be \
             deleted there; stop using it instead (Coffer then charges it no more)",
            provider_label(merchant),
            card.label()
        ),
    )
}
