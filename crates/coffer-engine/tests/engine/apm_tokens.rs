//! Issue 24: ProcessOut APM tokens after a sync, against the sandbox. Listed by their method's
//! name; the one ProcessOut marks chargeable (`is_chargeable: true`, the seed's Klarna token)
//! takes a merchant-initiated charge once consent and an initial payment are recorded, like a
//! card; the other (the seed's PayPal token) is refused before anything reaches ProcessOut.

use std::sync::Arc;

use coffer_core::{CardId, CustomerId, Initiator, MerchantId, Reason, Sequence};
use coffer_engine::charge::ChargeInput;
use coffer_engine::consent::InitialInput;
use coffer_engine::progress::NoProgress;
use coffer_engine::search::CardView;
use tokio_util::sync::CancellationToken;

use crate::charging::charge;
use crate::world::World;

/// Syncs the ProcessOut locations until one lists APM tokens; those, sorted by name.
async fn synced_apm_tokens(world: &World) -> Vec<CardView> {
    let merchants = world.engine.list_merchants().await.unwrap();
    for m in merchants.iter().filter(|m| m.provider == "processout") {
        let merchant = MerchantId(m.id);
        world
            .engine
            .sync_merchant(merchant, Arc::new(NoProgress), CancellationToken::new())
            .await
            .unwrap();
        let mut apms: Vec<_> = world
            .cards(merchant)
            .await
            .into_iter()
            .filter(|c| c.apm.is_some())
            .collect();
        if !apms.is_empty() {
            apms.sort_by(|a, b| a.apm.cmp(&b.apm));
            return apms;
        }
    }
    panic!("the ProcessOut seed has APM tokens on some location");
}

#[tokio::test]
async fn a_chargeable_apm_token_takes_a_linked_mit_and_the_other_is_refused_before_the_wire() {
    let world = World::new().await;
    let apms = synced_apm_tokens(&world).await;
    let listed: Vec<_> = apms
        .iter()
        .map(|c| {
            (
                c.apm.clone().unwrap_or_default(),
                c.label.clone(),
                c.merchant_initiated_allowed,
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("Klarna".to_string(), "Klarna account".to_string(), true),
            ("PayPal".to_string(), "PayPal account".to_string(), false),
        ],
        "both APM tokens by name, open to MITs as ProcessOut's is_chargeable says"
    );
    let (klarna, paypal) = (&apms[0], &apms[1]);
    assert_eq!(
        klarna.customer_id, paypal.customer_id,
        "the seed saves both on one customer"
    );

    // Like a card, the APM token needs consent and an initial payment before an MIT.
    assert!(!klarna.mit_ready, "no initial yet: {klarna:?}");
    let before = world
        .engine
        .preview_charge(charge(klarna.id, "12.50"))
        .await
        .unwrap();
    assert!(
        before
            .violations
            .iter()
            .any(|v| v.rule == "consent_and_initial"),
        "no MIT before the initial: {:?}",
        before.violations
    );
    let initial = world
        .engine
        .record_initial(InitialInput {
            customer: CustomerId(klarna.customer_id),
            card: Some(CardId(klarna.id)),
            amount: "1.00".into(),
            reason: Reason::Recurring,
            terms: "I agree that the shop may charge my Klarna account monthly.".into(),
        })
        .await
        .unwrap();
    let initial_ref = initial
        .initial_ref
        .clone()
        .expect("the initial payment's scheme_id");
    assert!(
        initial.card.as_ref().is_some_and(|c| c.mit_ready),
        "consent and initial recorded: {initial:?}"
    );

    let made = world
        .engine
        .charge_card(ChargeInput {
            reason: Reason::Recurring,
            ..charge(klarna.id, "12.50")
        })
        .await
        .unwrap();
    assert_eq!(made.status.to_string(), "succeeded", "{made:?}");
    assert!(made.warnings.is_empty(), "{:?}", made.warnings);
    assert_eq!(made.flags.sequence, Sequence::Subsequent);
    assert_eq!(made.flags.initiator, Initiator::Merchant);
    assert_eq!(made.flags.reason, Reason::Recurring);
    assert_eq!(
        made.flags.initial_ref.as_ref().map(|r| r.0.clone()),
        Some(initial_ref.clone()),
        "the MIT points to the APM token's initial payment"
    );
    let sent = world
        .sandbox_charges()
        .into_iter()
        .filter(|c| c.card_token == klarna.token)
        .collect::<Vec<_>>();
    assert_eq!(sent.len(), 2, "the initial and the MIT: {sent:?}");
    let cit = &sent[0].stored_credential;
    assert_eq!(cit["initiation_type"], "cit", "the initial: {cit}");
    let mit = &sent[1].stored_credential;
    assert_eq!(sent[1].amount_minor, 1250);
    assert_eq!(mit["initiation_type"], "mit", "as received: {mit}");
    assert_eq!(mit["payment_intent"], "recurring", "as received: {mit}");
    assert_eq!(
        mit["initial_scheme_transaction_id"],
        initial_ref.as_str(),
        "the initial's scheme_id travels with the MIT: {mit}"
    );

    // PayPal: even with consent on record, the provider's word refuses the MIT before the wire.
    let charged = world.sandbox_charges().len();
    let refused = world
        .engine
        .charge_card(ChargeInput {
            reason: Reason::Recurring,
            ..charge(paypal.id, "12.50")
        })
        .await
        .unwrap();
    assert_eq!(refused.status.to_string(), "refused", "{refused:?}");
    let why = refused
        .violations
        .iter()
        .find(|v| v.rule == "card_usable")
        .unwrap_or_else(|| panic!("refused by card_usable: {:?}", refused.violations));
    assert!(
        why.message
            .starts_with("PayPal account is a saved PayPal token")
            && why.message.contains("allows no merchant-initiated charge"),
        "a clear reason: {}",
        why.message
    );
    assert!(
        refused.attempt_id.is_none(),
        "a refusal writes no ledger row"
    );
    assert_eq!(
        world.sandbox_charges().len(),
        charged,
        "nothing reached ProcessOut"
    );
}
