//! The money journeys in the real window: charge a card now and see the approval, try a charge
//! the rules forbid and see the rule, create a contract, run the due charges and watch the
//! progress finish, then find the charge in the contract, the dashboard and a CSV export.
//!
//! The test picks its cards through the app's own IPC (what the page itself may call), then does
//! every step a store owner would through the UI.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(coffer_e2e),
    ignore = "drives the built app in WebKit: set COFFER_E2E=1 (scripts/test.sh does)"
)]
async fn charge_now_refuse_a_forbidden_charge_create_a_contract_and_run_due_charges() {
    let app = app_under_test();
    let _one_app_at_a_time = ONE_APP.lock().await;
    let profile = tempfile::tempdir().expect("temp profile");
    let driver = Driver::start(profile.path(), "coffer-e2e", &[]);
    let client = connect(&driver, &app).await;
    let outcome = money_journey(&client).await;
    let _ = client.close().await;
    drop(driver);
    outcome.unwrap_or_else(|e: String| panic!("{e}"));
}

async fn money_journey(client: &Client) -> Result<(), String> {
    let helsinki = demo_merchant(client, "Clover Dublin").await?;
    // Charges are due the day they are announced: the store gives no notice lead time.
    without_notice_lead(client, helsinki).await?;

    // 1. Charge now: the exact flags and every rule passed, then the approval.
    let ready = pick_card(
        client,
        helsinki,
        "c.mit_ready && !c.expired && !c.expiring_soon",
    )
    .await?;
    let last4 = ready["last4"].as_str().unwrap_or_default().to_string();
    let customer = ready["customer_id"].as_i64().unwrap_or_default();
    open_card(client, customer, &last4).await?;
    click(client, "#charge-card").await?;
    type_into(client, "#charge-amount", "5.00").await?;
    wait_js(
        client,
        "const rules = [...document.querySelectorAll('#charge-verdict li')]; \
         return rules.length > 0 && rules.every(r => r.dataset.ok === 'true') && !document.querySelector('#charge-review').disabled",
        STEP_TIMEOUT,
        "a verdict with every rule passed",
    )
    .await;
    let flags = find(client, "#charge-flags")
        .await
        .text()
        .await
        .map_err(|e| e.to_string())?;
    for flag in ["subsequent", "merchant", "unscheduled"] {
        if !flags.contains(flag) {
            return Err(format!("the flags table lacks {flag}: {flags}"));
        }
    }
    shot(client, "charge-dialog").await;
    // The review step (issue 21) comes first; only its own button charges.
    click(client, "#charge-review").await?;
    find(client, "#charge-review-step").await;
    // A double click: the first press disables the button, the key makes a second one a replay.
    client
        .execute(
            "const b = document.querySelector('#charge-confirm'); b.click(); b.click(); return true",
            vec![],
        )
        .await
        .map_err(|e| e.to_string())?;
    let outcome = wait_js(
        client,
        "const o = document.querySelector('#charge-outcome'); return o ? [o.dataset.status, o.textContent] : null",
        STEP_TIMEOUT,
        "the charge's outcome",
    )
    .await;
    if outcome[0] != "succeeded" || !outcome[1].as_str().unwrap_or_default().contains("Approved") {
        return Err(format!("the charge was not approved: {outcome}"));
    }
    if outcome[1].as_str().unwrap_or_default().contains("warning") {
        return Err(format!(
            "Clover warned about a charge linked to its initial transaction: {outcome}"
        ));
    }
    shot(client, "charge-approved").await;
    click(client, "#charge-done").await?;
    let charges = invoke(
        client,
        "list_charges",
        json!({"request": {"merchant_id": helsinki, "group": null, "card_id": ready["id"],
                           "customer_id": null, "status": null, "limit": 10}}),
    )
    .await?;
    if charges.as_array().map(Vec::len) != Some(1) {
        return Err(format!(
            "a double click made exactly one ledger row, not: {charges}"
        ));
    }
    wait_js(
        client,
        "return document.querySelectorAll('#charge-table tr[data-state=succeeded]').length === 1",
        STEP_TIMEOUT,
        "the charge in the customer's history",
    )
    .await;

    // 2. A charge the rules forbid: no consent on file. The rule is named; nothing can be sent.
    let unconsented = pick_card(client, helsinki, "!c.consent_at && !c.expired").await?;
    let other = unconsented["last4"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    open_card(
        client,
        unconsented["customer_id"].as_i64().unwrap_or_default(),
        &other,
    )
    .await?;
    click(client, "#charge-card").await?;
    type_into(client, "#charge-amount", "5.00").await?;
    let refused = wait_js(
        client,
        "const r = document.querySelector('#charge-verdict li[data-rule=consent_and_initial][data-ok=false]'); \
         return r && document.querySelector('#charge-review').disabled ? r.textContent : null",
        STEP_TIMEOUT,
        "the consent rule refusing the charge",
    )
    .await;
    if !refused.as_str().unwrap_or_default().contains("Consent") {
        return Err(format!("the refusal does not name the rule: {refused}"));
    }
    shot(client, "charge-refused").await;
    click(client, "#charge-cancel").await?;

    // 3. A contract on the approved card, every 30 days from today.
    open_card(client, customer, &last4).await?;
    click(client, "#new-contract").await?;
    type_into(client, "#contract-amount", "9.90").await?;
    find(client, "#contract-frequency")
        .await
        .select_by_value("every_days")
        .await
        .map_err(|e| e.to_string())?;
    type_into(client, "#contract-every", "30").await?;
    shot(client, "contract-form").await;
    click(client, "#contract-save").await?;
    let created = wait_js(
        client,
        "const n = document.querySelector('#customer-note'); return n && n.textContent.startsWith('Contract') ? n.textContent : null",
        STEP_TIMEOUT,
        "the new contract",
    )
    .await;
    if !created
        .as_str()
        .unwrap_or_default()
        .contains("confirmation")
    {
        return Err(format!(
            "the cardholder's contract confirmation is not reported: {created}"
        ));
    }

    // 4. The due list shows today's charge; the run sends its notice, charges it, shows progress.
    click(client, "#nav-due").await?;
    wait_js(
        client,
        "return document.querySelectorAll('#due-table tbody tr').length > 0",
        STEP_TIMEOUT,
        "the contract's charge in the due list",
    )
    .await;
    shot(client, "due-list").await;
    click(client, "#run-due").await?;
    // The run asks first (issue 21), with the rehearsal's charges and totals.
    click(client, "#run-confirm-yes").await?;
    let summary = wait_js(
        client,
        "const s = document.querySelector('#due-summary-counts'); return s ? s.textContent : null",
        SETUP_TIMEOUT,
        "the due run's summary",
    )
    .await;
    if !summary
        .as_str()
        .unwrap_or_default()
        .contains("1 charge made")
    {
        return Err(format!(
            "the due run did not charge the contract once: {summary}"
        ));
    }
    shot(client, "due-run").await;

    // 5. The contract shows its first occurrence charged.
    click(client, "#nav-contracts").await?;
    wait_js(
        client,
        "const b = document.querySelector('#contract-table button'); if (b) { b.click(); return true } return false",
        STEP_TIMEOUT,
        "the contract in the list",
    )
    .await;
    wait_js(
        client,
        "return !!document.querySelector('#occurrence-table tr[data-occurrence=\"1\"][data-state=charged]')",
        STEP_TIMEOUT,
        "occurrence 1 charged",
    )
    .await;
    shot(client, "contract").await;

    // 6. The dashboard counts this month's charges; the charges export holds both of them.
    click(client, "#nav-dashboard").await?;
    let contracts = wait_js(
        client,
        "const k = document.querySelector('#kpi-contracts'); return k && document.querySelector('#dashboard-revenue canvas') ? k.textContent : null",
        STEP_TIMEOUT,
        "the dashboard with its revenue chart",
    )
    .await;
    if !contracts.as_str().unwrap_or_default().contains('1') {
        return Err(format!(
            "the dashboard does not count the contract: {contracts}"
        ));
    }
    shot(client, "dashboard").await;
    click(client, "#nav-export").await?;
    click(client, "#export-charges").await?;
    let exported = wait_js(
        client,
        "const r = document.querySelector('#export-result .export-path'); return r ? document.querySelector('#export-result').textContent : null",
        STEP_TIMEOUT,
        "the charges export",
    )
    .await;
    let exported = exported.as_str().unwrap_or_default().to_string();
    let path = exported
        .split_whitespace()
        .find(|w| w.ends_with(".csv"))
        .ok_or_else(|| format!("no file named in {exported:?}"))?
        .trim_end_matches('.');
    let csv = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    if rows.len() != 2 || !rows.iter().all(|r| r.contains(",succeeded,")) {
        return Err(format!(
            "the export holds the manual and the contract charge: {csv}"
        ));
    }
    shot(client, "export").await;
    Ok(())
}
