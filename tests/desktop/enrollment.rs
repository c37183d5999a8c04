//! A new card enrolled at the counter through the provider's own page in the real WebKit window
//! (issue 25): the owner fills "Enroll a card" for a new Clover customer, the app opens its
//! counter window with the Clover sandbox's card fields (the iframe its `sdk.js` mounts), the
//! cardholder picks the sandbox's approve test card and saves, the app captures the return,
//! the provider confirms it, and the card appears with the consent the cardholder accepted.
//! The counter window cannot call a single command of the app, and runs no script but its page's own.

use super::*;
use fantoccini::wd::WindowHandle;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(coffer_e2e),
    ignore = "drives the built app in WebKit: set COFFER_E2E=1 (scripts/test.sh does)"
)]
async fn a_clover_card_enrolled_at_the_counter_through_the_sandbox_page() {
    in_the_app(|client| async move {
        let outcome = enroll_journey(&client).await;
        (client, outcome)
    })
    .await;
}

const TERMS: &str =
    "I, Enid Enroll, let Clover Dublin keep this card and charge it monthly until I cancel.";

async fn enroll_journey(client: &Client) -> Result<(), String> {
    let dublin = demo_merchant(client, "Clover Dublin").await?;
    let main = client.window().await.map_err(|e| e.to_string())?;

    // 1. The dialog: a new customer at the counter; Clover cannot send a link, and says why.
    open_enroll_dialog(client, dublin).await?;
    if !link_choice_disabled(client).await? {
        return Err(
            "Clover's link choice is offered, but its card fields work at the counter only".into(),
        );
    }
    let why = text_of(client, "#enroll-counter-only", "the counter-only reason").await;
    if !why.contains("iframe") {
        return Err(format!("the counter-only reason says {why:?}"));
    }
    new_customer_paying(client, "Enid Enroll", "enid@example.com", "12.50", TERMS).await?;
    shot(client, "enroll-dialog").await;
    click(client, "#enroll-start").await?;

    // 2. The counter window opens with the sandbox's page.
    counter_window(client, &main).await?;
    find(client, "iframe[title='Clover card fields']").await;

    // 3. The page has no IPC: a command called from it is refused.
    let refused = client
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             const ipc = window.__TAURI_INTERNALS__; \
             if (!ipc || !ipc.invoke) { done({ refused: 'no IPC in this window' }); return; } \
             ipc.invoke('list_merchants', {}).then(ok => done({ ok }), err => done({ refused: String(err) }));",
            vec![],
        )
        .await
        .map_err(|e| e.to_string())?;
    if refused.get("refused").is_none() {
        return Err(format!(
            "the enrollment window could call a command: {refused}"
        ));
    }

    // 3b. The page's own script ran (its hash is in the policy), a script injected into it does
    // not (the policy built from the page allows no other inline code).
    let policy = client
        .execute(
            "const s = document.createElement('script'); s.textContent = 'window.__injected = true'; \
             document.head.appendChild(s); \
             return [typeof window.Clover === 'function' && !document.querySelector('#save').disabled, window.__injected === true]",
            vec![],
        )
        .await
        .map_err(|e| e.to_string())?;
    if policy != json!([true, false]) {
        return Err(format!(
            "[the page's script ran, an injected one ran]: {policy}"
        ));
    }

    // 4. The cardholder picks the approve test card in Clover's fields and saves.
    client.enter_frame(0).await.map_err(|e| e.to_string())?;
    find(client, "#test-card")
        .await
        .select_by_value("approve")
        .await
        .map_err(|e| e.to_string())?;
    client
        .enter_parent_frame()
        .await
        .map_err(|e| e.to_string())?;
    shot(client, "enroll-window").await;
    click(client, "#save").await?;

    // 5. The return is captured, the window closes, the main window says the card is saved.
    back_to_main(client, main).await?;
    wait_js(
        client,
        "const n = document.querySelector('#enrollment-note'); return n && n.textContent.includes('Card saved') ? n.textContent : null",
        STEP_TIMEOUT,
        "the saved card's note",
    )
    .await;

    // 6. The card is saved, MIT-ready, with the consent the cardholder accepted.
    let (enrollment, card) = confirmed_card(client, dublin).await?;
    shot(client, "enrollments").await;
    let customer = enrollment["customer_id"]
        .as_i64()
        .ok_or("the new customer")?;
    if card["consent_terms"] != TERMS || card["mit_ready"] != true {
        return Err(format!("the saved card: {card}"));
    }
    open_card(client, customer, card["last4"].as_str().unwrap_or_default()).await?;
    let shown = text_of(client, "#card-consent-terms", "the card's consent terms").await;
    if shown != TERMS {
        return Err(format!("the card shows the terms {shown:?}"));
    }
    shot(client, "enrolled-card").await;

    // 7. A second card for the same customer, picked on record; the owner withdraws it while its
    // window is open: the window closes and the enrollment ends cancelled, no card saved.
    open_enroll_dialog(client, dublin).await?;
    type_into(client, "#enroll-customer-search", "Enid").await?;
    click(
        client,
        &format!("#enroll-customer-results [data-customer='{customer}']"),
    )
    .await?;
    type_into(client, "#enroll-amount", "3.00").await?;
    click(client, "#enroll-start").await?;
    let pending = wait_js(
        client,
        "const r = document.querySelector('#pending-enrollments [data-testid=enrollment-row]'); return r ? r.dataset.enrollment : null",
        STEP_TIMEOUT,
        "the second enrollment pending",
    )
    .await;
    let pending = pending.as_str().unwrap_or_default().to_string();
    let deadline = Instant::now() + STEP_TIMEOUT;
    while client.windows().await.map_err(|e| e.to_string())?.len() < 2 {
        if Instant::now() > deadline {
            return Err("the second enrollment's window did not open".into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    click(
        client,
        &format!("[data-enrollment='{pending}'] [data-action=cancel]"),
    )
    .await?;
    wait_js(
        client,
        &format!("const r = document.querySelector('#settled-enrollments [data-enrollment=\"{pending}\"]'); return r && r.dataset.state === 'cancelled'"),
        STEP_TIMEOUT,
        "the withdrawn enrollment cancelled",
    )
    .await;
    let deadline = Instant::now() + STEP_TIMEOUT;
    while client.windows().await.map_err(|e| e.to_string())?.len() > 1 {
        if Instant::now() > deadline {
            return Err("the withdrawn enrollment's window stayed open".into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The window's closing is no news after the withdrawal: the note still says how it ended.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let note = text_of(client, "#enrollment-note", "the withdrawal's note").await;
    if !note.contains("Cancelled") {
        return Err(format!("after the withdrawal the note says {note:?}"));
    }
    Ok(())
}

/// Svea's own card page (a whole page Svea hosts) opened in the counter window: its form posts to
/// Svea, which sends the browser to the return address by an HTTP redirect, and the window must
/// capture that redirect before it loads. The status query alone does not give the card's token
/// (Svea masks it), so the captured return is what lets the enrollment confirm at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(coffer_e2e),
    ignore = "drives the built app in WebKit: set COFFER_E2E=1 (scripts/test.sh does)"
)]
async fn a_svea_card_enrolled_at_the_counter_on_sveas_own_page_returns_by_redirect() {
    in_the_app(|client| async move {
        let outcome = svea_journey(&client).await;
        (client, outcome)
    })
    .await;
}

const SVEA_TERMS: &str =
    "I, Saara Sivu, let Svea Demo Helsinki keep this card and charge it monthly until I cancel.";

async fn svea_journey(client: &Client) -> Result<(), String> {
    let helsinki = demo_merchant(client, "Svea Demo Helsinki").await?;
    let main = client.window().await.map_err(|e| e.to_string())?;

    open_enroll_dialog(client, helsinki).await?;
    if link_choice_disabled(client).await? {
        return Err("Svea's page works as a link, but the link choice is disabled".into());
    }
    new_customer_paying(
        client,
        "Saara Sivu",
        "saara@example.com",
        "9.90",
        SVEA_TERMS,
    )
    .await?;
    // Svea lists no customers: the new one goes into Coffer's register under a reference.
    type_into(client, "#enroll-reference", "SAARA-1").await?;
    type_into(client, "#enroll-address-street", "Sivukatu 3").await?;
    type_into(client, "#enroll-address-postal-code", "00100").await?;
    type_into(client, "#enroll-address-city", "Helsinki").await?;
    click(client, "#enroll-start").await?;

    // Svea's page itself, loaded from the provider (the sandbox), in the counter window.
    counter_window(client, &main).await?;
    find(client, "select[name=test_card]")
        .await
        .select_by_value("approve")
        .await
        .map_err(|e| e.to_string())?;
    type_into(client, "input[name=exp_month]", "12").await?;
    type_into(client, "input[name=exp_year]", "2031").await?;
    type_into(client, "input[name=cvv]", "123").await?;
    shot(client, "enroll-window-svea").await;
    click(client, "button[value=pay]").await?;

    // The redirect to the return address is captured: the window closes, nothing loads it.
    back_to_main(client, main).await?;
    let (_, card) = confirmed_card(client, helsinki).await?;
    if card["consent_terms"] != SVEA_TERMS || card["mit_ready"] != true {
        return Err(format!("the saved Svea card: {card}"));
    }
    shot(client, "enrollments-svea").await;
    Ok(())
}

/// ProcessOut.js in the page the app serves itself: the window's policy, built from that page,
/// lets ProcessOut's script load and frame its card fields; the cardholder picks the sandbox's
/// approve test card in them, and the card is saved only after Coffer's own look-up of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(coffer_e2e),
    ignore = "drives the built app in WebKit: set COFFER_E2E=1 (scripts/test.sh does)"
)]
async fn a_processout_card_enrolled_at_the_counter_through_processout_js() {
    in_the_app(|client| async move {
        let outcome = processout_journey(&client).await;
        (client, outcome)
    })
    .await;
}

const PROCESSOUT_TERMS: &str =
    "I, Paul Page, let ProcessOut Paris keep this card and charge it when I order by phone.";

async fn processout_journey(client: &Client) -> Result<(), String> {
    let paris = demo_merchant(client, "ProcessOut Paris").await?;
    let main = client.window().await.map_err(|e| e.to_string())?;

    open_enroll_dialog(client, paris).await?;
    new_customer_paying(
        client,
        "Paul Page",
        "paul@example.com",
        "4.00",
        PROCESSOUT_TERMS,
    )
    .await?;
    click(client, "#enroll-start").await?;

    counter_window(client, &main).await?;
    find(client, "iframe[title='ProcessOut card fields']").await;
    wait_js(
        client,
        "return !document.querySelector('#save').disabled || null",
        STEP_TIMEOUT,
        "ProcessOut's card fields ready (the Save button enabled)",
    )
    .await;
    client.enter_frame(0).await.map_err(|e| e.to_string())?;
    find(client, "#test-card")
        .await
        .select_by_value("approve")
        .await
        .map_err(|e| e.to_string())?;
    client
        .enter_parent_frame()
        .await
        .map_err(|e| e.to_string())?;
    shot(client, "enroll-window-processout").await;
    click(client, "#save").await?;

    back_to_main(client, main).await?;
    let (_, card) = confirmed_card(client, paris).await?;
    if card["consent_terms"] != PROCESSOUT_TERMS || card["mit_ready"] != true {
        return Err(format!("the saved ProcessOut card: {card}"));
    }
    Ok(())
}

/// PayPal through the same ProcessOut page: the page's APM button takes the window to PayPal's
/// page (the sandbox's), whose approval comes back to the return address by a redirect that the
/// window captures; ProcessOut's own token then decides, and the customer's PayPal is saved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(coffer_e2e),
    ignore = "drives the built app in WebKit: set COFFER_E2E=1 (scripts/test.sh does)"
)]
async fn a_paypal_account_enrolled_at_the_counter_through_the_processout_page() {
    in_the_app(|client| async move {
        let outcome = paypal_journey(&client).await;
        (client, outcome)
    })
    .await;
}

const PAYPAL_TERMS: &str =
    "I, Pia Pal, let ProcessOut Paris keep my PayPal and charge it when I order by phone.";

async fn paypal_journey(client: &Client) -> Result<(), String> {
    let paris = demo_merchant(client, "ProcessOut Paris").await?;
    let main = client.window().await.map_err(|e| e.to_string())?;

    open_enroll_dialog(client, paris).await?;
    new_customer_paying(client, "Pia Pal", "pia@example.com", "6.00", PAYPAL_TERMS).await?;
    click(client, "#enroll-start").await?;

    counter_window(client, &main).await?;
    find(client, "button.apm").await;
    shot(client, "enroll-window-paypal").await;
    click(client, "button.apm").await?;
    // PayPal's own page (the sandbox's), reached by leaving the app's page.
    find(client, "button[value=approve]").await;
    click(client, "button[value=approve]").await?;

    back_to_main(client, main).await?;
    let (_, saved) = confirmed_card(client, paris).await?;
    if saved["consent_terms"] != PAYPAL_TERMS
        || saved["mit_ready"] != true
        || saved["apm"] != "PayPal"
    {
        return Err(format!("the saved PayPal: {saved}"));
    }
    Ok(())
}

/// Whether the open enrollment dialog offers the link choice greyed out.
async fn link_choice_disabled(client: &Client) -> Result<bool, String> {
    let disabled = client
        .execute(
            "return document.querySelector('#enroll-mode-link').disabled",
            vec![],
        )
        .await
        .map_err(|e| e.to_string())?;
    disabled
        .as_bool()
        .ok_or_else(|| format!("the dialog has no link choice to read: {disabled}"))
}

/// Starts the app on a fresh profile, runs `journey` in it, and closes it.
async fn in_the_app<F, Fut>(journey: F)
where
    F: FnOnce(Client) -> Fut,
    Fut: std::future::Future<Output = (Client, Result<(), String>)>,
{
    let app = app_under_test();
    let _one_app_at_a_time = ONE_APP.lock().await;
    let profile = tempfile::tempdir().expect("temp profile");
    let driver = Driver::start(profile.path(), "coffer-e2e", &[]);
    let client = connect(&driver, &app).await;
    let (client, outcome) = journey(client).await;
    let _ = client.close().await;
    drop(driver);
    outcome.unwrap_or_else(|e: String| panic!("{e}"));
}

/// The counter window the app opened beside `main`, switched to.
async fn counter_window(client: &Client, main: &WindowHandle) -> Result<(), String> {
    let deadline = Instant::now() + STEP_TIMEOUT;
    let counter = loop {
        let windows = client.windows().await.map_err(|e| e.to_string())?;
        if let Some(other) = windows.into_iter().find(|w| w != main) {
            break other;
        }
        if Instant::now() > deadline {
            let body = client
                .execute("return document.body.innerText", vec![])
                .await
                .unwrap_or_default();
            return Err(format!("no enrollment window opened; main window: {body}"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    client
        .switch_to_window(counter)
        .await
        .map_err(|e| e.to_string())
}

/// Waits until the counter window closed (its page returned), then switches back to `main`.
async fn back_to_main(client: &Client, main: WindowHandle) -> Result<(), String> {
    let deadline = Instant::now() + STEP_TIMEOUT;
    while client.windows().await.map_err(|e| e.to_string())?.len() > 1 {
        if Instant::now() > deadline {
            let url = client.current_url().await.map_err(|e| e.to_string())?;
            return Err(format!(
                "the enrollment window stayed open after its page returned, at {url}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    client
        .switch_to_window(main)
        .await
        .map_err(|e| e.to_string())
}

/// The enrollment the Enrollments view lists as confirmed, and the card it saved, as the
/// engine gives them.
async fn confirmed_card(client: &Client, merchant: i64) -> Result<(Value, Value), String> {
    let row: i64 = wait_js(
        client,
        "const r = document.querySelector('#settled-enrollments [data-testid=enrollment-row][data-state=confirmed]'); return r ? r.dataset.enrollment : null",
        STEP_TIMEOUT,
        "the confirmed enrollment among the settled ones",
    )
    .await
    .as_str()
    .and_then(|id| id.parse().ok())
    .ok_or("the confirmed enrollment's id")?;
    let enrollments = invoke(
        client,
        "list_enrollments",
        json!({"request": {"merchant_id": merchant, "group": null, "settled": true}}),
    )
    .await?;
    let enrollment = enrollments
        .as_array()
        .and_then(|all| all.iter().find(|e| e["id"] == row))
        .cloned()
        .ok_or(format!("enrollment {row} in the list"))?;
    let customer = enrollment["customer_id"]
        .as_i64()
        .ok_or("the enrollment's customer")?;
    let card_id = enrollment["card_id"].as_i64().ok_or("the saved card")?;
    let cards = invoke(
        client,
        "list_cards",
        json!({"request": {"merchant_id": merchant, "group": null, "customer_id": customer, "last4": null,
                           "brand": null, "active_only": false, "limit": 10, "offset": null}}),
    )
    .await?;
    let card = cards
        .as_array()
        .and_then(|all| all.iter().find(|c| c["id"] == card_id))
        .cloned()
        .ok_or("the saved card among the customer's")?;
    Ok((enrollment, card))
}

/// Opens "Enroll a card" from the Enrollments view with `merchant` chosen.
async fn open_enroll_dialog(client: &Client, merchant: i64) -> Result<(), String> {
    click(client, "#nav-enrollments").await?;
    click(client, "#enroll-card").await?;
    find(client, "#enroll-dialog").await;
    find(client, "#enroll-merchant")
        .await
        .select_by_value(&merchant.to_string())
        .await
        .map_err(|e| e.to_string())
}

/// Fills the dialog for a new customer: name, e-mail, the initial amount and the consent.
async fn new_customer_paying(
    client: &Client,
    name: &str,
    email: &str,
    amount: &str,
    terms: &str,
) -> Result<(), String> {
    type_into(client, "#enroll-name", name).await?;
    type_into(client, "#enroll-email", email).await?;
    type_into(client, "#enroll-amount", amount).await?;
    type_into(client, "#enroll-terms", terms).await
}
