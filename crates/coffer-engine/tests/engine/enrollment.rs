//! New cards enrolled through the provider's own hosted page (issue 25): what is refused
//! before any page opens, and each provider's page completed as a cardholder would, confirmed
//! only by the provider's own answer.

use coffer_core::contract::Frequency;
use coffer_core::{CustomerId, EnrollmentMode, EnrollmentState, MerchantId, Reason};
use coffer_engine::contracts::ContractInput;
use coffer_engine::enrollment::{EnrollmentInput, EnrollmentView, SandboxCardholder};
use coffer_engine::{EngineError, ErrorKind};
use coffer_store::repo::prelude::*;

use crate::world::World;

pub const TERMS: &str =
    "I agree that the shop charges my card 9.90 EUR every month until I cancel.";

/// A second connection to the profile's database.
pub fn store(world: &World) -> coffer_store::Store {
    coffer_store::Store::open(&coffer_engine::config::database_path(world.dir.path())).unwrap()
}

/// A customer of `merchant` with an e-mail address (and, where the register keeps one, an
/// address).
pub async fn customer_with_email(world: &World, merchant: MerchantId) -> CustomerId {
    let store = store(world);
    world
        .cards(merchant)
        .await
        .iter()
        .map(|c| CustomerId(c.customer_id))
        .find(|id| {
            let customer = store.customer(*id).unwrap();
            customer.email.is_some()
        })
        .expect("the demo has a customer with an e-mail")
}

pub fn input(merchant: MerchantId, customer: CustomerId, mode: EnrollmentMode) -> EnrollmentInput {
    EnrollmentInput {
        merchant,
        customer: Some(customer),
        new_customer: None,
        mode,
        amount: "1.00".into(),
        reason: Reason::Recurring,
        terms: TERMS.into(),
        send_to: None,
        contract: None,
        replaces_for: None,
    }
}

pub fn assert_field(result: Result<EnrollmentView, EngineError>, field: &str) -> String {
    let error = result.expect_err("refused");
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
    let message = error.to_string();
    assert!(
        message.contains(field),
        "names the field {field}: {message}"
    );
    message
}

#[tokio::test]
async fn what_cannot_work_is_refused_before_a_page_opens_and_nothing_is_recorded() {
    let world = World::new().await;
    let clover = world.merchant("clover", 0).await;
    let customer = customer_with_email(&world, clover).await;

    // Clover's card fields need a page the merchant hosts: no link.
    let message = assert_field(
        world
            .engine
            .start_enrollment(input(clover, customer, EnrollmentMode::Link))
            .await,
        "mode",
    );
    assert!(message.contains("counter only"), "{message}");

    let mut no_terms = input(clover, customer, EnrollmentMode::Counter);
    no_terms.terms = "  ".into();
    assert_field(world.engine.start_enrollment(no_terms).await, "terms");

    // A card number pasted into the consent: the sandbox's own approving test card, read off
    // its card-field page (no card number is written in Coffer's tests).
    let fields = reqwest::get(format!(
        "{}/js/ccfield.html",
        world.sandbox.urls.of(coffer_core::ProviderKind::ProcessOut)
    ))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    let marker = "<option value=\"approve\" data-number=\"";
    let start = fields.find(marker).unwrap() + marker.len();
    let number = &fields[start..start + fields[start..].find('"').unwrap()];
    let grouped: Vec<&str> = (0..number.len())
        .step_by(4)
        .map(|i| &number[i..(i + 4).min(number.len())])
        .collect();
    let mut card_in_terms = input(clover, customer, EnrollmentMode::Counter);
    card_in_terms.terms = format!("charge {} monthly", grouped.join(" "));
    assert_field(world.engine.start_enrollment(card_in_terms).await, "terms");

    let mut bad_amount = input(clover, customer, EnrollmentMode::Counter);
    bad_amount.amount = "nine".into();
    assert_field(world.engine.start_enrollment(bad_amount).await, "amount");

    // A link needs the merchant's own return page, and only an https one is taken.
    let svea = world.merchant("svea", 0).await;
    let svea_customer = customer_with_email(&world, svea).await;
    assert_field(
        world
            .engine
            .start_enrollment(input(svea, svea_customer, EnrollmentMode::Link))
            .await,
        "link_return_page",
    );
    let refused = world
        .engine
        .set_link_return_page(svea, Some("http://shop.example/thanks".into()))
        .await
        .expect_err("plain http refused");
    assert!(
        refused.to_string().contains("link_return_page"),
        "{refused}"
    );

    // Assist registers the recurring series with the initial: it needs the contract.
    let assist = world.merchant("assist", 0).await;
    let assist_customer = customer_with_email(&world, assist).await;
    let message = assert_field(
        world
            .engine
            .start_enrollment(input(assist, assist_customer, EnrollmentMode::Counter))
            .await,
        "contract",
    );
    assert!(message.contains("registers"), "{message}");
    let mut no_end = input(assist, assist_customer, EnrollmentMode::Counter);
    no_end.contract = Some(ContractInput {
        amount: Some("9.90".into()),
        frequency: Some(Frequency::Monthly { day: 5 }),
        ..ContractInput::default()
    });
    assert_field(world.engine.start_enrollment(no_end).await, "contract.end");

    assert!(
        world
            .engine
            .list_enrollments(Vec::<MerchantId>::new(), true)
            .await
            .unwrap()
            .is_empty(),
        "nothing refused left a row behind"
    );
}

/// Starts a counter enrollment and completes the sandbox page with `card`.
pub async fn enrolled_at_counter(
    world: &World,
    start: EnrollmentInput,
    card: &str,
) -> EnrollmentView {
    let started = world.engine.start_enrollment(start).await.unwrap();
    assert_eq!(started.state, EnrollmentState::Pending);
    world
        .engine
        .fill_sandbox_enrollment(
            started.id,
            SandboxCardholder {
                test_card: card.into(),
                cancel: false,
            },
        )
        .await
        .unwrap()
}

/// A return the page never made (`query` after the window's return address) is checked with
/// the provider and refused: the enrollment is not confirmed and no card is saved.
pub async fn assert_forged_refused(
    world: &World,
    window: &coffer_engine::enrollment::EnrollmentWindow,
    query: &str,
    merchant: MerchantId,
    cards_before: usize,
) {
    let forged = world
        .engine
        .enrollment_returned(window.id, &format!("{}?{query}", window.return_prefix))
        .await
        .unwrap();
    assert_ne!(forged.state, EnrollmentState::Confirmed, "{forged:?}");
    assert_eq!(
        world.cards(merchant).await.len(),
        cards_before,
        "no card saved"
    );
}

/// The card an enrollment saved, as the cards list shows it.
pub async fn saved_card(world: &World, view: &EnrollmentView) -> coffer_engine::search::CardView {
    let card = view.card_id.expect("a confirmed enrollment names its card");
    world
        .cards(view.merchant_id)
        .await
        .into_iter()
        .find(|c| c.id == card.0)
        .expect("the saved card is listed")
}

/// The card is MIT-ready with the consent the cardholder accepted, and a merchant-initiated
/// charge on it goes through.
pub async fn assert_chargeable(world: &World, view: &EnrollmentView) {
    assert_eq!(view.state, EnrollmentState::Confirmed, "{view:?}");
    let card = saved_card(world, view).await;
    assert!(card.mit_ready, "{card:?}");
    assert!(card.initial_ref.is_some(), "{card:?}");
    let stored = store(world).card(coffer_core::CardId(card.id)).unwrap();
    assert_eq!(
        stored.consent.as_ref().map(|c| c.terms.as_str()),
        Some(view.terms.as_str()),
        "the consent text the cardholder accepted is kept with the card"
    );
    let charged = world
        .engine
        .charge_card(crate::charging::charge(card.id, "2.00"))
        .await
        .unwrap();
    assert_eq!(
        charged.status,
        coffer_engine::charge::ChargeStatus::Succeeded,
        "{charged:?}"
    );
    assert!(charged.warnings.is_empty(), "{charged:?}");
}

#[tokio::test]
async fn a_clover_card_is_enrolled_at_the_counter_through_the_hosted_iframe_page() {
    let world = World::new().await;
    let clover = world.merchant("clover", 0).await;
    let customer = customer_with_email(&world, clover).await;
    let before = world.cards(clover).await.len();

    let started = world
        .engine
        .start_enrollment(input(clover, customer, EnrollmentMode::Counter))
        .await
        .unwrap();
    assert!(
        started.hosted_page,
        "Clover's fields sit in a page the app hosts"
    );
    let window = world.engine.enrollment_window(started.id).await.unwrap();
    assert!(window.html.as_deref().is_some_and(|h| h.contains("sdk.js")));
    assert!(window
        .return_prefix
        .starts_with("https://coffer.invalid/enroll/"));

    // A forged return (a token the page never made) is checked with Clover and refused.
    assert_forged_refused(&world, &window, "token=clv_1FORGEDtokenXYZ", clover, before).await;

    let again = world
        .engine
        .start_enrollment(input(clover, customer, EnrollmentMode::Counter))
        .await
        .unwrap();
    let confirmed = world
        .engine
        .fill_sandbox_enrollment(again.id, SandboxCardholder::approving())
        .await
        .unwrap();
    assert_chargeable(&world, &confirmed).await;
    let charges_after = world.sandbox_charges().len();
    // A second check (a second return, a retry after a crash) saves nothing twice.
    let rechecked = world.engine.check_enrollment(again.id).await.unwrap();
    assert_eq!(rechecked.card_id, confirmed.card_id);
    assert_eq!(world.cards(clover).await.len(), before + 1);
    assert_eq!(world.sandbox_charges().len(), charges_after);
}

#[tokio::test]
async fn a_new_clover_customer_is_created_with_the_card_and_a_decline_saves_nothing() {
    let world = World::new().await;
    let clover = world.merchant("clover", 0).await;
    let new_customer = |name: &str| EnrollmentInput {
        customer: None,
        new_customer: Some(coffer_engine::customers::CustomerDetails {
            reference: String::new().into(),
            name: name.into(),
            email: Some("new.customer@example.com".into()),
            phone: None,
            address: None,
        }),
        ..input(clover, CustomerId(0), EnrollmentMode::Counter)
    };
    let declined = enrolled_at_counter(&world, new_customer("Declined Person"), "decline").await;
    assert_eq!(declined.state, EnrollmentState::Failed, "{declined:?}");
    assert!(declined.failure.is_some() && declined.card_id.is_none());
    assert_eq!(declined.customer_id, None, "no customer for a failed page");

    let confirmed = enrolled_at_counter(&world, new_customer("Nina New"), "approve").await;
    let customer = confirmed
        .customer_id
        .expect("the new customer is on record");
    let record = world.engine.customer(customer).await.unwrap();
    assert_eq!(record.name, "Nina New");
    assert_chargeable(&world, &confirmed).await;
}
