//! ProcessOut cards enrolled through ProcessOut.js (issue 25): the page the app hosts at the
//! counter, filled as a cardholder would in the sandbox, confirmed only by ProcessOut's own
//! answers, and never offered as a link.

use coffer_core::{CustomerId, EnrollmentMode, EnrollmentState};
use coffer_engine::enrollment::{EnrollmentInput, SandboxCardholder};

use crate::enrollment::{
    assert_chargeable, assert_field, assert_forged_refused, customer_with_email,
    enrolled_at_counter, input, saved_card,
};
use crate::world::World;

#[tokio::test]
async fn a_processout_card_is_enrolled_at_the_counter_with_its_consent_and_charged_by_a_mit() {
    let world = World::new().await;
    let processout = world.merchant("processout", 0).await;
    let customer = customer_with_email(&world, processout).await;
    let before = world.cards(processout).await.len();

    let started = world
        .engine
        .start_enrollment(input(processout, customer, EnrollmentMode::Counter))
        .await
        .unwrap();
    assert!(
        started.hosted_page,
        "ProcessOut.js's fields sit in a page the app hosts"
    );
    let window = world.engine.enrollment_window(started.id).await.unwrap();
    let html = window.html.as_deref().expect("a hosted page");
    assert!(html.contains("/js/processout.js\"></script>"), "{html}");
    assert!(html.contains("data-processout-input=\"cc-number\""));
    assert!(window
        .return_prefix
        .starts_with("https://coffer.invalid/enroll/"));

    // A forged return (a card the page never made) is looked up at ProcessOut and refused.
    assert_forged_refused(
        &world,
        &window,
        "token=card_FORGEDcardFORGEDcard",
        processout,
        before,
    )
    .await;

    let again = world
        .engine
        .start_enrollment(input(processout, customer, EnrollmentMode::Counter))
        .await
        .unwrap();
    let confirmed = world
        .engine
        .fill_sandbox_enrollment(again.id, SandboxCardholder::approving())
        .await
        .unwrap();
    assert_eq!(confirmed.customer_id, Some(customer));
    assert_chargeable(&world, &confirmed).await;
    let charges_after = world.sandbox_charges().len();
    // A second check saves nothing twice and charges nothing again.
    let rechecked = world.engine.check_enrollment(again.id).await.unwrap();
    assert_eq!(rechecked.card_id, confirmed.card_id);
    assert_eq!(world.cards(processout).await.len(), before + 1);
    assert_eq!(world.sandbox_charges().len(), charges_after);
}

#[tokio::test]
async fn a_new_processout_customer_is_verified_with_a_zero_amount_and_a_failed_3ds_saves_nothing() {
    let world = World::new().await;
    let processout = world.merchant("processout", 0).await;
    let new_customer = |name: &str| EnrollmentInput {
        customer: None,
        new_customer: Some(coffer_engine::customers::CustomerDetails {
            reference: String::new().into(),
            name: name.into(),
            email: Some("new.customer@example.com".into()),
            phone: None,
            address: None,
        }),
        amount: "0".into(),
        ..input(processout, CustomerId(0), EnrollmentMode::Counter)
    };
    let failed = enrolled_at_counter(&world, new_customer("Three Dee"), "fail_3ds").await;
    assert_eq!(failed.state, EnrollmentState::Failed, "{failed:?}");
    assert!(
        failed
            .failure
            .as_deref()
            .is_some_and(|f| f.contains("verification")),
        "{failed:?}"
    );
    assert!(failed.card_id.is_none());

    let charges_before = world.sandbox_charges().len();
    let confirmed = enrolled_at_counter(&world, new_customer("Nina New"), "approve").await;
    assert_eq!(
        world.sandbox_charges().len(),
        charges_before,
        "a verification charges nothing"
    );
    let customer = confirmed
        .customer_id
        .expect("the new customer is on record");
    let record = world.engine.customer(customer).await.unwrap();
    assert_eq!(record.name, "Nina New");
    assert_chargeable(&world, &confirmed).await;
}

#[tokio::test]
async fn a_paypal_token_enrolled_at_the_counter_is_saved_with_consent_and_shows_as_an_apm() {
    let world = World::new().await;
    let processout = world.merchant("processout", 0).await;
    let customer = customer_with_email(&world, processout).await;
    let started = world
        .engine
        .start_enrollment(input(processout, customer, EnrollmentMode::Counter))
        .await
        .unwrap();
    let window = world.engine.enrollment_window(started.id).await.unwrap();
    let html = window.html.as_deref().expect("a hosted page");
    assert!(
        html.contains("fetchGatewayConfigurations") && html.contains("\"tokenId\":\"tok_"),
        "the page offers the APMs for its blank token: {html}"
    );
    let charges_before = world.sandbox_charges().len();
    let confirmed = world
        .engine
        .fill_sandbox_enrollment(
            started.id,
            SandboxCardholder {
                test_card: "paypal".into(),
                cancel: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(confirmed.state, EnrollmentState::Confirmed, "{confirmed:?}");
    assert_eq!(confirmed.customer_id, Some(customer));
    assert_eq!(
        world.sandbox_charges().len(),
        charges_before + 1,
        "the initial captured on the PayPal token"
    );
    let card = saved_card(&world, &confirmed).await;
    assert_eq!(card.apm.as_deref(), Some("PayPal"), "{card:?}");
    assert_chargeable(&world, &confirmed).await;
    // A second check saves nothing twice and charges nothing again.
    let charges_after = world.sandbox_charges().len();
    let rechecked = world.engine.check_enrollment(started.id).await.unwrap();
    assert_eq!(rechecked.card_id, confirmed.card_id);
    assert_eq!(world.sandbox_charges().len(), charges_after);
}

#[tokio::test]
async fn a_link_for_processout_is_refused_naming_why() {
    let world = World::new().await;
    let processout = world.merchant("processout", 0).await;
    let customer = customer_with_email(&world, processout).await;
    world
        .engine
        .set_link_return_page(processout, Some("https://shop.example/thanks".into()))
        .await
        .unwrap();
    let message = assert_field(
        world
            .engine
            .start_enrollment(input(processout, customer, EnrollmentMode::Link))
            .await,
        "mode",
    );
    assert!(message.contains("counter only"), "{message}");
    assert!(message.contains("ProcessOut.js"), "{message}");
    assert!(world
        .engine
        .list_enrollments(vec![processout], true)
        .await
        .unwrap()
        .is_empty());
}
