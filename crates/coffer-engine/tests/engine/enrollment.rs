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

const TERMS: &str = "I agree that the shop charges my card 9.90 EUR every month until I cancel.";

/// A second connection to the profile's database.
fn store(world: &World) -> coffer_store::Store {
    coffer_store::Store::open(&coffer_engine::config::database_path(world.dir.path())).unwrap()
}

/// A customer of `merchant` with an e-mail address (and, where the register keeps one, an
/// address).
async fn customer_with_email(world: &World, merchant: MerchantId) -> CustomerId {
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

fn input(merchant: MerchantId, customer: CustomerId, mode: EnrollmentMode) -> EnrollmentInput {
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

fn assert_field(result: Result<EnrollmentView, EngineError>, field: &str) -> String {
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

    let mut card_in_terms = input(clover, customer, EnrollmentMode::Counter);
    card_in_terms.terms = "charge 4111 1111 1111 1111 monthly".into();
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
