//! A card's life (issue 24): stop using it, delete it at the provider, APM tokens.

use std::sync::Arc;

use coffer_core::contract::ContractStatus;
use coffer_core::{CardId, MerchantId};
use coffer_engine::card_life::CardLifeResult;
use coffer_engine::progress::NoProgress;
use coffer_engine::search::{CardState, CardView};
use coffer_engine::ErrorKind;
use coffer_store::repo::prelude::*;
use tokio_util::sync::CancellationToken;

use crate::charging::{a_charge_whose_answer_is_lost, charge};
use crate::world::{ready, World};
use crate::{due_soon, monthly};

async fn sync(world: &World, merchant: MerchantId) -> coffer_engine::sync::SyncSummary {
    world
        .engine
        .sync_merchant(merchant, Arc::new(NoProgress), CancellationToken::new())
        .await
        .unwrap()
}

/// A second connection to the profile's database.
fn store(world: &World) -> coffer_store::Store {
    coffer_store::Store::open(&coffer_engine::config::database_path(world.dir.path())).unwrap()
}

async fn view(world: &World, merchant: MerchantId, id: i64) -> CardView {
    world
        .cards(merchant)
        .await
        .into_iter()
        .find(|c| c.id == id)
        .expect("the card is still listed")
}

/// A ready card of the first `provider` merchant whose customer has an e-mail, with a monthly
/// contract on it.
async fn card_with_contract(world: &World, provider: &str) -> (MerchantId, CardView, i64) {
    let merchant = world.merchant(provider, 0).await;
    let store = store(world);
    let card = world
        .card(merchant, |c| {
            ready(c)
                && !c.expiring_soon
                && store
                    .customer(coffer_core::CustomerId(c.customer_id))
                    .unwrap()
                    .email
                    .is_some()
        })
        .await;
    let contract = monthly(&world.engine, card.id, "9.00", due_soon()).await;
    (merchant, card, contract.contract.id.0)
}

fn assert_contract_ended(world: &World, result: &CardLifeResult, contract: i64) {
    assert_eq!(result.contracts_ended, vec![contract], "{:?}", result.done);
    let stored = store(world)
        .contract(coffer_core::ContractId(contract))
        .unwrap();
    assert_eq!(
        stored.status,
        ContractStatus::Cancelled,
        "the contract ended"
    );
    let notice = result
        .notices_sent
        .iter()
        .find(|n| n.contract_id == contract)
        .expect("the cardholder was sent a notice");
    let eml = std::fs::read_to_string(&notice.location).unwrap();
    assert!(
        eml.contains("has therefore ended"),
        "the notice says the agreement ended because of the card: {eml}"
    );
}

#[tokio::test]
async fn a_stopped_card_is_refused_its_contracts_end_with_a_notice_and_a_sync_keeps_it_stopped() {
    let world = World::new().await;
    let (merchant, card, contract) = card_with_contract(&world, "clover").await;
    let result = world.engine.stop_using_card(CardId(card.id)).await.unwrap();
    assert_eq!(result.card.usage, "stopped");
    assert_eq!(result.card.status.state, CardState::Stopped);
    assert!(!result.card.status.chargeable);
    assert!(
        result.done[0].contains("stays saved at Clover"),
        "says plainly it stays at the provider: {:?}",
        result.done
    );
    assert_contract_ended(&world, &result, contract);

    let before = world.sandbox_charges().len();
    let refused = world
        .engine
        .charge_card(charge(card.id, "5.00"))
        .await
        .unwrap();
    assert_eq!(refused.status.to_string(), "refused", "{refused:?}");
    let why = refused
        .violations
        .iter()
        .find(|v| v.rule == "card_usable")
        .expect("card_usable refuses it");
    assert!(
        why.message.contains("was stopped on") && why.message.contains("charges it no more"),
        "{}",
        why.message
    );
    assert_eq!(world.sandbox_charges().len(), before, "nothing left Coffer");

    let no_contract = world
        .engine
        .create_contract(coffer_engine::contracts::ContractInput {
            card: card.id,
            amount: Some("9.00".into()),
            frequency: Some(coffer_core::contract::Frequency::Monthly { day: 5 }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(no_contract.kind(), ErrorKind::InvalidInput, "{no_contract}");
    assert!(
        no_contract.to_string().contains("was stopped on"),
        "no new contract on a stopped card: {no_contract}"
    );

    let summary = sync(&world, merchant).await;
    assert!(summary.error.is_none(), "{summary:?}");
    let after = view(&world, merchant, card.id).await;
    assert_eq!(after.usage, "stopped", "a sync never brings it back to use");
    assert!(after.active, "it is still saved at the provider");

    let again = world
        .engine
        .stop_using_card(CardId(card.id))
        .await
        .unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Conflict, "{again}");
    let audit = world.engine.list_audit(Default::default()).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "card_stopped" && e.subject == format!("card:{}", card.id)),
        "the stop is audited"
    );
}

#[tokio::test]
async fn deleting_at_clover_and_processout_removes_the_token_and_a_sync_keeps_it_removed() {
    let world = World::new().await;
    for provider in ["clover", "processout"] {
        let (merchant, card, contract) = card_with_contract(&world, provider).await;
        let listed = sync(&world, merchant).await.cards;
        let result = world
            .engine
            .delete_card(CardId(card.id))
            .await
            .unwrap_or_else(|e| panic!("{provider}: {e}"));
        assert_eq!(result.card.usage, "removed", "{provider}");
        assert_eq!(result.card.status.state, CardState::Removed, "{provider}");
        assert!(
            result.done[0].contains("was deleted at"),
            "{provider}: {:?}",
            result.done
        );
        assert_contract_ended(&world, &result, contract);

        let summary = sync(&world, merchant).await;
        assert_eq!(
            summary.cards,
            listed - 1,
            "{provider}: the provider no longer lists the deleted card"
        );
        let after = view(&world, merchant, card.id).await;
        assert_eq!(
            after.usage, "removed",
            "{provider}: a sync keeps it removed"
        );
        assert!(!after.active, "{provider}");

        let refused = world
            .engine
            .charge_card(charge(card.id, "5.00"))
            .await
            .unwrap();
        assert_eq!(refused.status.to_string(), "refused", "{provider}");
        let again = world.engine.delete_card(CardId(card.id)).await.unwrap_err();
        assert_eq!(again.kind(), ErrorKind::Conflict, "{provider}: {again}");
        let audit = world.engine.list_audit(Default::default()).await.unwrap();
        assert!(
            audit.iter().any(|e| e.action == "card_deleted"
                && e.subject == format!("card:{}", card.id)
                && e.details["at_provider"] == "deleted"),
            "{provider}: the deletion is audited"
        );
    }
}

#[tokio::test]
async fn deleting_at_svea_or_assist_is_refused_as_not_offered_and_changes_nothing() {
    let world = World::new().await;
    for (provider, label) in [("svea", "Svea"), ("assist", "Assist")] {
        let merchant = world.merchant(provider, 0).await;
        let card = world.card(merchant, |c| c.active).await;
        let err = world.engine.delete_card(CardId(card.id)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{provider}: {err}");
        let message = err.to_string();
        assert!(
            message.contains(&format!("{label} offers no way for a merchant to delete"))
                && message.contains("stop using it instead"),
            "{provider}: says why and what to do instead: {message}"
        );
        assert_eq!(view(&world, merchant, card.id).await.usage, "in_use");
    }
}

#[tokio::test]
async fn stopping_and_deleting_are_refused_while_an_attempt_on_the_card_is_unsettled() {
    let world = World::new().await;
    let (card, lost) = a_charge_whose_answer_is_lost(&world).await;
    assert_eq!(lost.status.to_string(), "sending", "{lost:?}");
    for (what, err) in [
        (
            "stop",
            world
                .engine
                .stop_using_card(CardId(card.id))
                .await
                .unwrap_err(),
        ),
        (
            "delete",
            world.engine.delete_card(CardId(card.id)).await.unwrap_err(),
        ),
    ] {
        assert_eq!(err.kind(), ErrorKind::Conflict, "{what}: {err}");
        assert!(
            err.to_string().contains("outcome is not known yet"),
            "{what}: {err}"
        );
    }
    let merchant = MerchantId(card.merchant_id);
    assert_eq!(view(&world, merchant, card.id).await.usage, "in_use");
}

#[tokio::test]
async fn a_processout_apm_token_is_listed_by_name_and_refused_an_mit_the_provider_does_not_allow() {
    let world = World::new().await;
    let mut found = None;
    for nth in 0.. {
        let Some(m) = world
            .engine
            .list_merchants()
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.provider == "processout")
            .nth(nth)
        else {
            break;
        };
        let merchant = MerchantId(m.id);
        sync(&world, merchant).await;
        if let Some(apm) = world
            .cards(merchant)
            .await
            .into_iter()
            .find(|c| c.apm.as_deref() == Some("PayPal"))
        {
            found = Some(apm);
            break;
        }
    }
    let apm = found.expect("the ProcessOut seed's PayPal token is kept by sync");
    assert_eq!(apm.apm.as_deref(), Some("PayPal"));
    assert_eq!(apm.label, "PayPal account", "shown by name, not by a last4");
    assert!(
        !apm.merchant_initiated_allowed,
        "the sandbox's APM token says is_chargeable false"
    );

    // Consent and an initial on record: the provider's word alone decides.
    let store = store(&world);
    let id = CardId(apm.id);
    let at = chrono::Utc::now();
    store
        .set_card_consent(
            id,
            &coffer_core::Consent {
                given_at: at,
                terms: "PayPal billing agreement".into(),
            },
        )
        .unwrap();
    store
        .set_card_initial(
            id,
            &coffer_core::InitialTransaction {
                reference: coffer_core::ProviderRef("tr_apm_initial".into()),
                amount: None,
                at,
                kind: coffer_core::InitialKind::Recurring,
                registered: None,
            },
        )
        .unwrap();
    let preview = world
        .engine
        .preview_charge(charge(apm.id, "5.00"))
        .await
        .unwrap();
    let refusal = preview
        .violations
        .iter()
        .find(|v| v.rule == "card_usable")
        .expect("an MIT on an APM the provider does not open to MITs is refused");
    assert!(
        refusal
            .message
            .contains("allows no merchant-initiated charge"),
        "{}",
        refusal.message
    );

    assert!(
        !preview.card.status.chargeable,
        "the card's status agrees: {:?}",
        preview.card.status
    );
    assert!(
        preview
            .card
            .status
            .reason
            .contains("allows no merchant-initiated charge"),
        "the status says why, not just 'inactive': {}",
        preview.card.status.reason
    );
}
