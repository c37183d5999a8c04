//! The app never misleads its owner (issue #21), in the real window: after a decline the card
//! and its history change without reopening the customer; an expired card has one status and it
//! is not "Ready"; refunds read "partly refunded … left", ask about what is left, and a full one
//! reads "refunded"; the customers view shows the exact count.
//!
//! Cards are picked through the app's own IPC (what the page itself may call); every step a store
//! owner takes goes through the UI.

use super::*;

/// A card of `merchant` matching `filter`, a JS predicate over a CardView named `c`.
async fn card_where(client: &Client, merchant: i64, filter: &str) -> Result<Value, String> {
    let cards = invoke(
        client,
        "list_cards",
        json!({"request": {"merchant_id": merchant, "group": null, "customer_id": null, "last4": null,
                           "brand": null, "active_only": false, "limit": 1000, "offset": null}}),
    )
    .await?;
    let card = client
        .execute(
            &format!("return arguments[0].find(c => {filter}) || null"),
            vec![cards],
        )
        .await
        .map_err(|e| e.to_string())?;
    if card.is_null() {
        return Err(format!("no card of merchant {merchant} where {filter}"));
    }
    Ok(card)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(coffer_e2e),
    ignore = "drives the built app in WebKit: set COFFER_E2E=1 (scripts/test.sh does)"
)]
async fn the_views_show_the_state_after_each_action_and_one_status_per_card() {
    let app = app_under_test();
    let _one_app_at_a_time = ONE_APP.lock().await;
    let profile = tempfile::tempdir().expect("temp profile");
    let driver = Driver::start(profile.path(), "coffer-e2e", &[]);
    let client = connect(&driver, &app).await;
    let outcome = truth_journey(&client).await;
    let _ = client.close().await;
    drop(driver);
    outcome.unwrap_or_else(|e: String| panic!("{e}"));
}

async fn truth_journey(client: &Client) -> Result<(), String> {
    wait_js(
        client,
        "return document.querySelectorAll('[data-testid=customer-row]').length",
        SETUP_TIMEOUT,
        "the demo customers after first start",
    )
    .await;

    // 1. The count is the engine's exact count for the scope, never "N+" of the rows loaded.
    let totals = invoke(
        client,
        "count_customers",
        json!({"request": {"merchant_id": null, "group": null, "text": null, "order": "name",
                           "limit": null, "offset": null}}),
    )
    .await?;
    let total = totals["total"].as_u64().ok_or("a total")?;
    let shown = wait_js(
        client,
        "const c = document.querySelector('#customer-count').textContent; return c.startsWith('Loading') ? null : c",
        STEP_TIMEOUT,
        "the customer count",
    )
    .await;
    let expected = client
        .execute(
            "return `${arguments[0].toLocaleString()} customers`",
            vec![json!(total)],
        )
        .await
        .map_err(|e| e.to_string())?;
    if shown != expected {
        return Err(format!(
            "the customers view says {shown}, the cache holds {total}"
        ));
    }

    let merchants = invoke(client, "list_merchants", json!({})).await?;
    let dublin = merchants
        .as_array()
        .and_then(|all| all.iter().find(|m| m["name"] == "Clover Dublin"))
        .and_then(|m| m["id"].as_i64())
        .ok_or("the demo has Clover Dublin")?;

    // 2. An expired card that the provider still calls active: one status, "Expired", and
    //    "Charge now…" is not its main button.
    let expired = card_where(client, dublin, "c.expired && c.active").await?;
    open_card_view(client, &expired).await?;
    let status = wait_js(
        client,
        "const s = document.querySelector('#card-status'); const b = document.querySelector('#card-detail') && document.querySelector('.card-tile.open .badges'); \
         return s && b ? [s.dataset.state, s.textContent, b.textContent, document.querySelector('#charge-card').className] : null",
        STEP_TIMEOUT,
        "the expired card's status",
    )
    .await;
    if status[0] != "expired"
        || status[1].as_str().unwrap_or_default().contains("Ready")
        || status[2].as_str().unwrap_or_default().contains("Ready")
        || !status[1]
            .as_str()
            .unwrap_or_default()
            .starts_with("Expired")
    {
        return Err(format!("the expired card reads {status}"));
    }
    if status[3].as_str().unwrap_or_default().contains("primary") {
        return Err("Charge now… is the main button of a card that cannot be charged".into());
    }
    shot(client, "truth-expired-card").await;

    // 3. A hard decline: the card and the history change when the dialog closes, without
    //    reopening the customer.
    let stolen = card_where(
        client,
        dublin,
        "c.last4 === '0002' && c.status.state === 'ready'",
    )
    .await?;
    open_card_view(client, &stolen).await?;
    wait_js(
        client,
        "const s = document.querySelector('#card-status'); return s && s.dataset.state === 'ready'",
        STEP_TIMEOUT,
        "the card Ready before the charge",
    )
    .await;
    click(client, "#charge-card").await?;
    // Enter reviews; the review's own button charges.
    crate::safety::enter_amount(client, "2.00", "2.00").await?;
    click(client, "#charge-confirm").await?;
    let outcome = wait_js(
        client,
        "const o = document.querySelector('#charge-outcome'); return o ? [o.dataset.status, o.textContent] : null",
        STEP_TIMEOUT,
        "the decline",
    )
    .await;
    if outcome[0] != "declined" {
        return Err(format!("the stolen card was not declined: {outcome}"));
    }
    click(client, "#charge-done").await?;
    let after = wait_js(
        client,
        "const s = document.querySelector('#card-status'); const row = document.querySelector('#charge-table tr[data-state=declined]'); \
         const tile = document.querySelector('.card-tile.open .badges'); \
         return s && row && tile && s.dataset.state === 'hard_declined' ? [s.textContent, tile.textContent, document.querySelector('#charge-card').className] : null",
        STEP_TIMEOUT,
        "the card hard-declined and the decline in the history, without reopening",
    )
    .await;
    if after[1].as_str().unwrap_or_default().contains("Ready") {
        return Err(format!("the card's badge still reads Ready: {after}"));
    }
    if after[2].as_str().unwrap_or_default().contains("primary") {
        return Err("Charge now… stays the main button after a hard decline".into());
    }
    shot(client, "truth-after-decline").await;

    // 4. Refunds: a partial one leaves "partly refunded … left", the next asks about what is
    //    left, an empty amount says it refunds all that is left, and then the charge reads
    //    "refunded".
    let ready = card_where(
        client,
        dublin,
        "c.status.state === 'ready' && !['0341', '0002', '0069', '0077', '0019'].includes(c.last4)",
    )
    .await?;
    let made = invoke(
        client,
        "charge_card",
        json!({"request": {"card_id": ready["id"], "amount": "12.50", "reason": "unscheduled",
                           "idempotency_key": null, "description": null}}),
    )
    .await?;
    let charge = made["attempt_id"].as_i64().ok_or("the charge's attempt")?;
    if made["status"] != "succeeded" {
        return Err(format!("the ready card's charge was not approved: {made}"));
    }
    open_card_view(client, &ready).await?;
    let refund_button = format!("#charge-table tr[data-attempt='{charge}'] td.actions button");
    click(client, &refund_button).await?;
    type_into(client, "#confirm-refund-charge-reason", "5.00").await?;
    click(client, "#confirm-refund-charge-yes").await?;
    let partly = wait_js(
        client,
        &format!(
            "const r = document.querySelector(\"#charge-table tr[data-attempt='{charge}']\"); \
             return r && r.dataset.refunds === 'partly' ? r.textContent : null"
        ),
        STEP_TIMEOUT,
        "the charge partly refunded",
    )
    .await;
    let partly = partly.as_str().unwrap_or_default();
    if !partly.contains("partly refunded") || !partly.contains("7.50") {
        return Err(format!("the partly refunded charge reads {partly:?}"));
    }
    click(client, &refund_button).await?;
    let asked = wait_js(
        client,
        "const q = document.querySelector('#confirm-refund-charge-question'); const h = document.querySelector('#confirm-refund-charge-hint'); \
         return q && h ? [q.textContent, h.textContent] : null",
        STEP_TIMEOUT,
        "the second refund's question",
    )
    .await;
    let question = asked[0].as_str().unwrap_or_default();
    let hint = asked[1].as_str().unwrap_or_default();
    if !question.contains("7.50") || !question.contains("left of") {
        return Err(format!(
            "the second refund asks {question:?}, not about what is left"
        ));
    }
    if !hint.contains("whole") || !hint.contains("7.50") {
        return Err(format!(
            "an empty amount does not say it refunds all that is left: {hint:?}"
        ));
    }
    shot(client, "truth-refund-left").await;
    click(client, "#confirm-refund-charge-yes").await?;
    let full = wait_js(
        client,
        &format!(
            "const r = document.querySelector(\"#charge-table tr[data-attempt='{charge}']\"); \
             return r && r.dataset.refunds === 'full' ? r.textContent : null"
        ),
        STEP_TIMEOUT,
        "the charge fully refunded",
    )
    .await;
    let full = full.as_str().unwrap_or_default();
    if !full.contains("refunded") || full.contains("succeeded") {
        return Err(format!("the fully refunded charge reads {full:?}"));
    }
    let note = find(client, "#refund-note")
        .await
        .text()
        .await
        .map_err(|e| e.to_string())?;
    if !note.contains("left") {
        return Err(format!(
            "the refund's note does not say what is left: {note}"
        ));
    }
    shot(client, "truth-refunded").await;
    Ok(())
}
