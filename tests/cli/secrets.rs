//! Merchant secrets: only in the keyring, never on disk, in output or in the audit log.

use coffer_e2e::raw;
use coffer_e2e::{keyring_account, keyring_secret, require_keyring, Profile, SandboxProcess};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merchant_secret_lives_only_in_the_keyring_where_another_process_reads_it_and_removal_deletes_it(
) {
    if !require_keyring() {
        return;
    }
    let sandbox = SandboxProcess::start(8);
    let seeded = raw::merchants(&sandbox.urls.admin).await;
    let m = raw::of_provider(&seeded, "clover")[0].clone();
    let profile = Profile::new();
    let mut outputs = Vec::new();

    let added = profile
        .coffer_with(
            &[
                "--json",
                "merchant",
                "add",
                "--provider",
                "clover",
                "--name",
                "Downtown",
                "--environment",
                "sandbox",
                "--base-url",
                &m.base_url,
                "--account-id",
                m.account.account_id(),
                "--time-zone",
                "America/New_York",
                "--currency",
                "USD",
                "--secret-stdin",
            ],
            Some(&format!("{}\n", m.secret)),
            &[],
        )
        .ok();
    let id = added.json()["id"].as_i64().expect("the new merchant's id");
    outputs.push(added);

    let account = keyring_account("clover", m.account.account_id(), "sandbox");
    let stored = keyring_secret(&profile.service, &account);
    assert_eq!(
        stored.as_deref(),
        Some(m.secret.as_str()),
        "the secret is in the keyring under Coffer's service and the merchant's address"
    );

    // Another process reads it back from the keyring to talk to the provider, with every log on.
    let synced = profile
        .coffer_with(
            &["--json", "sync", "--merchant", &id.to_string()],
            None,
            &[("COFFER_LOG", "trace")],
        )
        .ok();
    let summary = &synced.json()[0];
    assert!(
        summary["error"].is_null(),
        "sync with the keyring's secret works: {summary}"
    );
    assert_eq!(
        summary["customers"], 8,
        "the sync reached the provider with the secret: {summary}"
    );
    outputs.push(synced);
    outputs.push(profile.coffer(&["--json", "merchant", "list"]).ok());
    outputs.push(
        profile
            .coffer(&["--json", "cards", "--merchant", &id.to_string()])
            .ok(),
    );
    let audit = profile.coffer(&["--json", "audit", "list"]).ok();
    assert!(
        !audit.json().as_array().unwrap().is_empty(),
        "the audit log recorded the merchant's addition and sync"
    );
    outputs.push(audit);

    assert!(
        !profile.files_containing(b"Downtown").is_empty(),
        "the scan sees what Coffer saved (the merchant's name), so an empty result below means something"
    );
    let secret = m.secret.as_bytes();
    let leaked = profile.files_containing(secret);
    assert!(
        leaked.is_empty(),
        "the secret must be nowhere in the data dir (database, WAL, anything), found in {leaked:?}"
    );
    for run in &outputs {
        for (stream, text) in [("stdout", run.stdout()), ("stderr", run.stderr())] {
            assert!(
                !text.contains(&m.secret),
                "coffer {:?} must not print the secret on {stream}",
                run.args
            );
        }
    }

    // The same profile in a session without a keyring: sync says why it cannot reach the secret.
    let nowhere = format!("unix:path={}/no-bus-here", profile.path().display());
    let blind = profile.coffer_with(
        &["--json", "sync", "--merchant", &id.to_string()],
        None,
        &[("DBUS_SESSION_BUS_ADDRESS", nowhere.as_str())],
    );
    assert_eq!(
        blind.json()["kind"],
        "keyring_unavailable",
        "without a keyring, sync stops with the keyring code rather than an auth failure: {}",
        blind.stdout()
    );

    let removed = profile
        .coffer(&["--json", "merchant", "remove", &id.to_string()])
        .ok();
    assert!(
        !removed.stdout().contains(&m.secret),
        "remove does not print the secret"
    );
    let after = keyring_secret(&profile.service, &account);
    assert_eq!(
        after, None,
        "removing the merchant removes its keyring entry"
    );
}

#[test]
fn adding_a_merchant_without_a_reachable_keyring_stops_with_keyring_unavailable_and_saves_nothing()
{
    let profile = Profile::new();
    let nowhere = format!("unix:path={}/no-bus-here", profile.path().display());
    let run = profile.coffer_with(
        &[
            "--json",
            "merchant",
            "add",
            "--provider",
            "processout",
            "--name",
            "Paris",
            "--account-id",
            "proj_e2e",
            "--time-zone",
            "Europe/Paris",
            "--currency",
            "EUR",
            "--secret-stdin",
        ],
        Some("key_live_e2e_never_stored"),
        &[("DBUS_SESSION_BUS_ADDRESS", nowhere.as_str())],
    );
    assert!(
        !run.output.status.success(),
        "without a keyring the merchant cannot be added"
    );
    let error = run.json();
    assert_eq!(
        error["kind"], "keyring_unavailable",
        "the error says the keyring is unavailable, in the stable code: {error}"
    );
    assert!(
        error["message"].as_str().unwrap_or("").contains("keyring"),
        "the message says what is missing in plain words: {error}"
    );
    let list = profile.coffer(&["--json", "merchant", "list"]).ok().json();
    assert_eq!(list, serde_json::json!([]), "no merchant row was saved");
    assert!(
        profile.files_containing(b"proj_e2e").is_empty(),
        "not even an archived merchant row or an audit event of the attempt is on disk"
    );
    assert!(
        profile
            .files_containing(b"key_live_e2e_never_stored")
            .is_empty(),
        "the secret did not land on disk instead"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sandbox_merchant_moved_to_another_base_url_keeps_its_keyring_entry_at_the_same_address()
{
    if !require_keyring() {
        return;
    }
    let sandbox = SandboxProcess::start(4);
    let seeded = raw::merchants(&sandbox.urls.admin).await;
    let m = raw::of_provider(&seeded, "processout")[0].clone();
    let profile = Profile::new();
    let added = profile
        .coffer_with(
            &[
                "--json",
                "merchant",
                "add",
                "--provider",
                "processout",
                "--name",
                "Paris",
                "--environment",
                "sandbox",
                "--base-url",
                &m.base_url,
                "--account-id",
                m.account.account_id(),
                "--time-zone",
                "Europe/Paris",
                "--currency",
                "EUR",
                "--secret-stdin",
            ],
            Some(&m.secret),
            &[],
        )
        .ok()
        .json();
    let id = added["id"].to_string();
    // The same sandbox under another name of the loopback host.
    let moved_url = m.base_url.replace("127.0.0.1", "localhost");
    profile
        .coffer(&["--json", "merchant", "edit", &id, "--base-url", &moved_url])
        .ok();
    // The address is provider/account@environment: a sandbox's new URL does not move it.
    let at = keyring_account("processout", m.account.account_id(), "sandbox");
    assert_eq!(
        keyring_secret(&profile.service, &at).as_deref(),
        Some(m.secret.as_str()),
        "the secret stays at the merchant's one address"
    );
    let synced = profile
        .coffer(&["--json", "sync", "--merchant", &id])
        .ok()
        .json();
    assert_eq!(
        synced[0]["customers"], 4,
        "another process syncs through the new URL with the same secret: {synced}"
    );
    profile.coffer(&["merchant", "remove", &id]).ok();
    assert_eq!(
        keyring_secret(&profile.service, &at),
        None,
        "removal deletes the entry"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_merchant_is_added_by_provider_and_environment_and_an_override_is_marked_and_audited(
) {
    if !require_keyring() {
        return;
    }
    let profile = Profile::new();
    // Clover Europe, live: the URL comes from the published table; nothing is sent (--no-check).
    let added = profile
        .coffer_with(
            &[
                "--json",
                "merchant",
                "add",
                "--provider",
                "clover",
                "--name",
                "Dublin",
                "--environment",
                "live",
                "--region",
                "europe",
                "--account-id",
                "MIDDUBLIN0001",
                "--time-zone",
                "Europe/Dublin",
                "--currency",
                "EUR",
                "--secret-env",
                "COFFER_TEST_MERCHANT_SECRET",
                "--no-check",
            ],
            None,
            &[("COFFER_TEST_MERCHANT_SECRET", "clover-live-e2e-token")],
        )
        .ok()
        .json();
    assert_eq!(added["base_url"], "https://scl.clover.com", "{added}");
    assert_eq!(added["region"], "europe");
    assert_eq!(added["stage"], "production");
    assert!(added["host_override"].is_null());
    assert_eq!(
        keyring_secret(
            &profile.service,
            &keyring_account("clover", "MIDDUBLIN0001", "live")
        )
        .as_deref(),
        Some("clover-live-e2e-token"),
        "the secret is at provider/account@environment"
    );
    let id = added["id"].to_string();
    // Moving it to Clover's test environment changes the host: refused without the secret.
    let moved = profile.coffer(&[
        "--json",
        "merchant",
        "edit",
        &id,
        "--environment",
        "test",
        "--no-check",
    ]);
    assert!(!moved.output.status.success(), "{}", moved.stdout());
    assert!(
        moved.stdout().contains("secret") || moved.stderr().contains("secret"),
        "the refusal names the secret: {} {}",
        moved.stdout(),
        moved.stderr()
    );

    // A test/live merchant sent to Coffer's sandbox process only through an override with a reason.
    let sandbox = SandboxProcess::start(4);
    let seeded = raw::merchants(&sandbox.urls.admin).await;
    let m = raw::of_provider(&seeded, "processout")[0].clone();
    let base = [
        "merchant",
        "add",
        "--provider",
        "processout",
        "--name",
        "Paris proxy",
        // The seeded project is a sandbox one (test-proj_…): ProcessOut's test stage.
        "--environment",
        "test",
        "--account-id",
        m.account.account_id(),
        "--time-zone",
        "Europe/Paris",
        "--currency",
        "EUR",
        "--secret-stdin",
    ];
    let mut plain = vec!["--json"];
    plain.extend_from_slice(&base);
    plain.extend_from_slice(&["--base-url", &m.base_url]);
    let refused = profile.coffer_with(&plain, Some(&m.secret), &[]);
    assert!(
        !refused.output.status.success(),
        "a typed URL for a live merchant needs an override"
    );
    assert!(
        refused.stdout().contains("base_url"),
        "{}",
        refused.stdout()
    );
    let mut with_override = vec!["--json"];
    with_override.extend_from_slice(&base);
    with_override.extend_from_slice(&[
        "--override-host",
        &m.base_url,
        "--override-reason",
        "e2e: the sandbox process stands in for ProcessOut",
    ]);
    let overridden = profile
        .coffer_with(&with_override, Some(&m.secret), &[])
        .ok()
        .json();
    assert_eq!(
        overridden["host_override"]["reason"],
        "e2e: the sandbox process stands in for ProcessOut"
    );
    let listed = profile.coffer(&["merchant", "list"]).ok().stdout();
    assert!(
        listed.contains("OVERRIDE"),
        "the list marks the overridden merchant: {listed}"
    );
    let audit = profile
        .coffer(&[
            "--json",
            "audit",
            "list",
            "--action",
            "merchant_host_override",
        ])
        .ok()
        .json();
    assert!(
        audit.to_string().contains("stands in for ProcessOut"),
        "the override is in the audit log: {audit}"
    );
}
