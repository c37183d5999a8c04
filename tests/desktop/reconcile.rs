//! An unknown outcome is no dead end in the app: from the card's own history the owner
//! reconciles it (the provider's record settles it, no second charge) or, when the provider has
//! nothing to show, resolves it by hand as checked at the provider.

use super::*;
use crate::safety::enter_amount;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(coffer_e2e),
    ignore = "drives the built app in WebKit: set COFFER_E2E=1 (scripts/test.sh does)"
)]
async fn an_unknown_outcome_is_reconciled_or_resolved_by_hand_from_the_card() {
    let app = app_under_test();
    let _one_app_at_a_time = ONE_APP.lock().await;
    let profile = tempfile::tempdir().expect("temp profile");
    let service = "coffer-e2e-reconcile";
    let sandbox = ExternalSandbox::with_demo(profile.path(), service);
    let driver = Driver::start(profile.path(), service, &[]);
    let client = connect(&driver, &app).await;
    let outcome = reconcile_journey(&client, &sandbox).await;
    let _ = client.close().await;
    drop(driver);
    drop(sandbox);
    outcome.unwrap_or_else(|e: String| panic!("{e}"));
}

/// Charges `amount` on the open card through the review, and returns the dialog's outcome once
/// it says the outcome is unknown, closing the dialog.
async fn charge_with_lost_answer(client: &Client, amount: &str) -> Result<(), String> {
    click(client, "#charge-card").await?;
    enter_amount(client, amount, amount).await?;
    click(client, "#charge-confirm").await?;
    wait_js(
        client,
        "const o = document.querySelector('#charge-outcome'); return o && o.dataset.status === 'sending'",
        Duration::from_secs(60),
        "the charge's outcome said to be unknown",
    )
    .await;
    click(client, "#charge-done").await
}

async fn reconcile_journey(client: &Client, sandbox: &ExternalSandbox) -> Result<(), String> {
    let dublin = demo_merchant(client, "Clover Dublin").await?;
    let ready = pick_card(
        client,
        dublin,
        "c.mit_ready && !c.expired && !c.expiring_soon",
    )
    .await?;
    let card = ready["id"].as_i64().unwrap_or_default();
    let last4 = ready["last4"].as_str().unwrap_or_default().to_string();
    open_card(
        client,
        ready["customer_id"].as_i64().unwrap_or_default(),
        &last4,
    )
    .await?;

    // 1. Clover makes the charge and every answer to it (the client's retries under the same
    // key included) is lost behind a 502: the history says so at once, and "Reconcile this
    // card" settles it by Clover's record.
    sandbox.faults(r#"{"error_after_write_next": 10}"#);
    charge_with_lost_answer(client, "6.10").await?;
    sandbox.faults(r#"{"error_after_write_next": 0}"#);
    wait_js(
        client,
        &format!("return !!document.querySelector('#reconcile-card-{card}')"),
        STEP_TIMEOUT,
        "the unknown outcome in the card's history, with its reconcile button",
    )
    .await;
    shot(client, "reconcile-unknown-on-card").await;
    click(client, &format!("#reconcile-card-{card}")).await?;
    let note = wait_js(
        client,
        "const n = document.querySelector('#refund-note'); return n ? n.textContent : null",
        Duration::from_secs(60),
        "what reconcile did",
    )
    .await;
    let note = note.as_str().unwrap_or_default();
    if !note.contains("Settled 1 by the provider's record") || !note.contains("succeeded") {
        return Err(format!("reconcile from the card settled it: {note}"));
    }
    wait_js(
        client,
        "return !document.querySelector('[data-unknown]')",
        STEP_TIMEOUT,
        "the history without an unknown outcome",
    )
    .await;

    // 2. A 503 before Clover did anything: nothing to find yet, so the owner checks at Clover
    // and resolves it by hand from the card, and the card may be charged again.
    sandbox.faults(r#"{"error_next": 10, "next_writes_only": true}"#);
    charge_with_lost_answer(client, "6.20").await?;
    sandbox.faults(r#"{"error_next": 0}"#);
    let attempt = wait_js(
        client,
        "const u = document.querySelector('[data-unknown]'); return u ? u.dataset.unknown : null",
        STEP_TIMEOUT,
        "the second unknown outcome",
    )
    .await;
    let attempt = attempt.as_str().unwrap_or_default().to_string();
    click(
        client,
        &format!("[data-resolve-not-made='{attempt}'] button[type=submit]"),
    )
    .await?;
    let note = wait_js(
        client,
        "const n = document.querySelector('#refund-note'); return n && n.textContent.includes('resolved by hand') ? n.textContent : null",
        STEP_TIMEOUT,
        "the hand resolution's note",
    )
    .await;
    if !note.as_str().unwrap_or_default().contains("not made") {
        return Err(format!("resolved as not made: {note}"));
    }
    let charges = invoke(
        client,
        "list_charges",
        json!({"request": {"merchant_id": dublin, "group": null, "card_id": card,
                           "customer_id": null, "status": null, "limit": 10}}),
    )
    .await?;
    let states: Vec<String> = charges
        .as_array()
        .map(|all| {
            all.iter()
                .map(|c| format!("{} {}", c["amount"]["minor"], c["state"]))
                .collect()
        })
        .unwrap_or_default();
    if !(states.contains(&"610 \"succeeded\"".to_string())
        && states.contains(&"620 \"failed\"".to_string())
        && states.len() == 2)
    {
        return Err(format!(
            "one settled charge, one resolved as not made: {states:?}"
        ));
    }
    Ok(())
}
