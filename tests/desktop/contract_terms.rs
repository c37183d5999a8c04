//! A change of a contract's terms in the real window (issue 21): the owner raises 9.90 to 12.90,
//! sees before saving that the cardholder is sent a notice and that new consent is needed, saves,
//! sees the contract held for consent (in the contract and in the list, without reopening),
//! records the consent, and sees the hold lifted.
//!
//! The contract is made through the app's own IPC (the UI path of creating one is the money
//! journey's); every step of the change is done through the UI.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(coffer_e2e),
    ignore = "drives the built app in WebKit: set COFFER_E2E=1 (scripts/test.sh does)"
)]
async fn raising_a_contracts_amount_shows_the_notice_and_waits_for_consent() {
    let app = app_under_test();
    let _one_app_at_a_time = ONE_APP.lock().await;
    let profile = tempfile::tempdir().expect("temp profile");
    let driver = Driver::start(profile.path(), "coffer-e2e", &[]);
    let client = connect(&driver, &app).await;
    let outcome = terms_journey(&client).await;
    let _ = client.close().await;
    drop(driver);
    outcome.unwrap_or_else(|e: String| panic!("{e}"));
}

async fn terms_journey(client: &Client) -> Result<(), String> {
    let dublin = demo_merchant(client, "Clover Dublin").await?;
    let card = pick_card(
        client,
        dublin,
        "c.mit_ready && !c.expired && !c.expiring_soon",
    )
    .await?;
    let card = card["id"]
        .as_i64()
        .ok_or("a chargeable Clover Dublin card")?;
    // Six days ahead: past the demo's three-day notice lead.
    let start = client
        .execute(
            "return new Date(Date.now() + 6 * 86400000).toISOString().slice(0, 10)",
            vec![],
        )
        .await
        .map_err(|e| e.to_string())?;
    let created = invoke(
        client,
        "create_contract",
        json!({"request": {"card_id": card, "amount": "9.90", "max_amount": null, "min_amount": null,
                           "original_amount": null, "frequency": {"kind": "every_days", "days": 30},
                           "start": start, "end": null}}),
    )
    .await?;
    let id = created["id"].as_i64().ok_or("the new contract's id")?;

    // 1. Open the contract and change the amount: the change is shown before it is saved.
    click(client, "#nav-contracts").await?;
    let open = format!(
        "const b = document.querySelector('#contract-table tr[data-contract=\"{id}\"] button'); if (b) {{ b.click(); return true }} return false"
    );
    wait_js(client, &open, STEP_TIMEOUT, "the contract in the list").await;
    click(client, "#contract-edit").await?;
    let amount = find(client, "#contract-amount").await;
    amount.clear().await.map_err(|e| e.to_string())?;
    amount.send_keys("12.90").await.map_err(|e| e.to_string())?;
    click(client, "#contract-save").await?;
    let summary = text_of(
        client,
        "#contract-preview-summary",
        "the preview of the change",
    )
    .await;
    if !(summary.contains("9.90") && summary.contains("12.90")) {
        return Err(format!("the preview does not say what changes: {summary}"));
    }
    let notifies = summary.contains("A notice of the change goes to");
    if !notifies && !summary.contains("no e-mail address") {
        return Err(format!(
            "the preview does not say whether the cardholder is told: {summary}"
        ));
    }
    let consent = text_of(client, "#contract-preview-consent", "new consent needed").await;
    if !consent.starts_with("new consent needed: consented up to 9.90") {
        return Err(format!(
            "the preview does not say consent is needed: {consent}"
        ));
    }
    let unchanged = invoke(client, "show_contract", json!({"id": id})).await?;
    if unchanged["amount"]["amount"]["minor"] != 990 {
        return Err(format!("the preview changed the contract: {unchanged}"));
    }
    shot(client, "contract-terms-preview").await;

    // 2. Save: the contract says it waits for consent, and the notice is listed.
    click(client, "#contract-confirm").await?;
    let note = text_of(client, "#contract-note", "what the change did").await;
    if !note.contains("Changes: amount") {
        return Err(format!("the note does not say what changed: {note}"));
    }
    let held = text_of(client, "#contract-consent-needed", "the hold for consent").await;
    if !held.contains("new consent needed") {
        return Err(format!(
            "the contract does not say it waits for consent: {held}"
        ));
    }
    if notifies {
        wait_js(
            client,
            "return !!document.querySelector('#notice-table tr[data-kind=terms_change]')",
            STEP_TIMEOUT,
            "the notice of the change in the contract's notices",
        )
        .await;
    }
    shot(client, "contract-terms-held").await;

    // 3. The list shows the new amount and the hold without reopening the app.
    click(client, "#back-to-contracts").await?;
    let row = format!("document.querySelector('#contract-table tr[data-contract=\"{id}\"]')");
    wait_js(
        client,
        &format!("const r = {row}; return r && r.textContent.includes('12.90') && r.textContent.includes('Consent needed')"),
        STEP_TIMEOUT,
        "the list showing 12.90 and the hold for consent",
    )
    .await;

    // 4. Record the consent: the hold is lifted, in the contract and in the list.
    wait_js(client, &open, STEP_TIMEOUT, "the contract in the list").await;
    click(client, "#contract-consent").await?;
    click(client, "#confirm-consent-yes").await?;
    let note = text_of(client, "#contract-note", "the consent recorded").await;
    if !note.contains("Consent recorded") {
        return Err(format!("the consent is not reported: {note}"));
    }
    wait_js(
        client,
        "return !document.querySelector('#contract-consent-needed') && (document.querySelector('#contract-consented') || {}).textContent.includes('12.90')",
        STEP_TIMEOUT,
        "the hold lifted and 12.90 consented",
    )
    .await;
    click(client, "#back-to-contracts").await?;
    wait_js(
        client,
        &format!("const r = {row}; return r && r.textContent.includes('12.90') && !r.textContent.includes('Consent needed')"),
        STEP_TIMEOUT,
        "the list without the hold",
    )
    .await;
    shot(client, "contract-terms-consented").await;
    Ok(())
}
