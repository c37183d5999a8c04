//! A live merchant's secret and an SMTP password typed into the app go to the keyring and
//! nowhere else: not in any answer the app's commands give the window, not in the profile
//! (database, WAL, exports, outbox, the embedded sandboxes' state, logs). The full card numbers
//! of the sandbox docs are in none of them either.

use super::*;

const LIVE_SECRET: &str = "clover-live-token-7d41c0e9b2";
const SMTP_PASSWORD: &str = "smtp-pw-e2e-51a8f3";
/// The test cards the embedded sandboxes know (sandbox docs), assembled so no whole number
/// stands in the source.
fn test_pans() -> Vec<String> {
    [
        ["4242", "4242", "4242", "4242"],
        ["4000", "0000", "0000", "0002"],
        ["5555", "5555", "5555", "4444"],
        ["5100", "0000", "0000", "0123"],
    ]
    .iter()
    .map(|groups| groups.concat())
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(coffer_e2e),
    ignore = "drives the built app in WebKit: set COFFER_E2E=1 (scripts/test.sh does)"
)]
async fn secrets_typed_into_the_app_are_in_no_answer_and_nowhere_in_the_profile() {
    let app = app_under_test();
    let _one_app_at_a_time = ONE_APP.lock().await;
    let profile = tempfile::tempdir().expect("temp profile");
    let driver = Driver::start(profile.path(), "coffer-e2e", &[]);
    let client = connect(&driver, &app).await;
    let outcome = secrets_journey(&client).await;
    let _ = client.close().await;
    drop(driver);
    let answers = outcome.unwrap_or_else(|e: String| panic!("{e}"));

    let mut needles = vec![
        (
            "the live merchant's secret".to_string(),
            LIVE_SECRET.to_string(),
        ),
        ("the SMTP password".to_string(), SMTP_PASSWORD.to_string()),
    ];
    needles.extend(
        test_pans()
            .into_iter()
            .map(|p| ("a test card number".to_string(), p)),
    );
    let files = files_under(profile.path());
    assert!(
        files.iter().any(|f| f.ends_with("coffer.db"))
            && files.iter().any(|f| f.ends_with("state.json")),
        "the scan covers the database and the sandboxes' state: {files:?}"
    );
    for (what, needle) in &needles {
        for (command, answer) in &answers {
            assert!(
                !answer.contains(needle.as_str()),
                "{what} is in the answer to {command}"
            );
        }
        for file in &files {
            let bytes = std::fs::read(file).unwrap_or_default();
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{what} is in {}",
                file.display()
            );
        }
    }
}

/// Adds a live Clover merchant with a secret (saved without the provider's check: the live
/// host is out of reach here), replaces the secret, sets SMTP with a password, asks the
/// provider about the live merchant (it fails offline: its error is an answer too), exports,
/// and returns every answer the window got.
async fn secrets_journey(client: &Client) -> Result<Vec<(String, String)>, String> {
    wait_js(
        client,
        "return document.querySelectorAll('[data-testid=customer-row]').length",
        SETUP_TIMEOUT,
        "the demo customers after first start",
    )
    .await;
    let mut answers = Vec::new();
    let added = invoke(
        client,
        "add_merchant",
        json!({"request": {
            "name": "Corner Shop (live)",
            "account": {"provider": "clover", "merchant_uuid": "LIVE1234567AB", "pakms_key": null},
            "environment": "live",
            "endpoint": {"stage": "production", "region": null, "host": null,
                         "base_url": null, "override_reason": null},
            "time_zone": "America/New_York",
            "currency": "USD",
            "notice_lead_days": 3,
            "group": null,
            "secret": LIVE_SECRET,
            "skip_check": true
        }}),
    )
    .await?;
    let live = added["id"].as_i64().ok_or("the live merchant has an id")?;
    answers.push(("add_merchant".to_string(), added.to_string()));
    let edited = invoke(
        client,
        "edit_merchant",
        json!({"request": {"id": live, "name": null, "endpoint": null, "environment": null,
                           "time_zone": null, "currency": null, "notice_lead_days": null,
                           "group": null, "secret": format!("{LIVE_SECRET}-2"), "skip_check": true}}),
    )
    .await?;
    answers.push(("edit_merchant".to_string(), edited.to_string()));
    let smtp = invoke(
        client,
        "set_smtp",
        json!({"request": {"merchant_id": live, "host": "smtp.example.com", "port": 465,
                           "security": "tls", "username": "shop",
                           "from_address": "shop@example.com", "password": SMTP_PASSWORD}}),
    )
    .await?;
    answers.push(("set_smtp".to_string(), smtp.to_string()));
    let checked = match invoke(client, "test_merchant", json!({"id": live})).await {
        Ok(v) => v.to_string(),
        Err(e) => e,
    };
    answers.push(("test_merchant".to_string(), checked));
    for (command, args) in [
        ("list_merchants", json!({})),
        ("smtp", json!({"merchantId": live})),
        ("list_audit", json!({"filter": {}})),
        ("profile", json!({})),
    ] {
        let answer = match invoke(client, command, args).await {
            Ok(v) => v.to_string(),
            Err(e) => e,
        };
        answers.push((command.to_string(), answer));
    }
    // The views the owner would look at render those answers too (reloaded: the merchant was
    // added behind the window's back).
    client
        .execute("location.reload(); return true", vec![])
        .await
        .map_err(|e| e.to_string())?;
    wait_js(
        client,
        "return document.querySelectorAll('[data-testid=customer-row]').length",
        SETUP_TIMEOUT,
        "the customers after a reload",
    )
    .await;
    find(client, "#nav-settings")
        .await
        .click()
        .await
        .map_err(|e| e.to_string())?;
    wait_js(
        client,
        "return document.body.innerText.includes('Corner Shop (live)')",
        STEP_TIMEOUT,
        "the live merchant in Settings",
    )
    .await;
    let page = client
        .execute("return document.body.innerText", vec![])
        .await
        .map_err(|e| e.to_string())?;
    answers.push(("the Settings view".to_string(), page.to_string()));
    Ok(answers)
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}
