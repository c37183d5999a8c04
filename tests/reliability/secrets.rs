//! A whole session with live-style merchants (environment `live`, the secret given through an
//! environment variable and kept in the real keyring) plus every other seeded merchant, with
//! every log on (`COFFER_LOG=trace`): sync, search, a charge and its refund, a contract and two
//! due runs, reconcile, a register import, notices, the audit log. Afterwards no merchant secret
//! and no full card number (every test card of the sandbox docs) is in the data dir (database,
//! WAL, notices' .eml files, CSV exports, anything), in any log line or in any output, and no
//! card number is in the sandbox's saved state (Svea's card page handles one). The SMTP
//! password given on stdin is nowhere either.
//! tests/cli/secrets.rs checks the keyring's side (one merchant, removal deletes the entry).

use chrono::Datelike;
use coffer_core::{CloverAccount, ProviderAccount};
use coffer_e2e::{raw, require_keyring, Profile, Run, SandboxProcess};

use crate::array;
use crate::crash_loop::{due_date, usable_cards};

/// Every full card number the sandbox docs and emulators name as a test card.
const TEST_PANS: [&str; 13] = [
    "375987654000004",
    "378282246310005",
    "4000000000000002",
    "4005571702222222",
    "4005578003333335",
    "4242424242424241",
    "4242424242424242",
    "4264281511117771",
    "5100000000000123",
    "5424180273333333",
    "5555555555554444",
    "6011361000006668",
    "7123400000098765",
];

const TRACE: [(&str, &str); 1] = [("COFFER_LOG", "trace")];

fn run(profile: &Profile, args: &[&str], runs: &mut Vec<Run>) -> serde_json::Value {
    let done = profile.coffer_with(args, None, &TRACE).ok();
    let value = serde_json::from_slice(&done.output.stdout).unwrap_or(serde_json::Value::Null);
    runs.push(done);
    value
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_live_style_session_leaves_no_secret_and_no_card_number_on_disk_or_in_logs() {
    if !require_keyring() {
        return;
    }
    // The sandbox keeps its state in a file, as the app's embedded sandboxes keep theirs in the
    // profile, so the scan covers what a provider was sent: Svea's card page below takes a full
    // card number and must keep only its display fields. (The file also holds the sandbox's own
    // accounts with their secrets, as a provider does, so it is scanned for card numbers only.)
    let sandbox_dir = tempfile::tempdir().unwrap();
    let sandbox_state = sandbox_dir.path().join("state.json");
    let sandbox = SandboxProcess::start_with(12, Some(&sandbox_state));
    let admin = sandbox.urls.admin.clone();
    let seeded = raw::merchants(&admin).await;
    let profile = Profile::new();
    let mut runs = Vec::new();

    // Live-style: the owner adds the Clover and ProcessOut accounts as live merchants, secret in
    // an environment variable (as a script or a service manager would pass it).
    for provider in ["clover", "processout"] {
        let m = raw::of_provider(&seeded, provider)[0].clone();
        let mut args = vec![
            "--json".to_string(),
            "merchant".into(),
            "add".into(),
            "--provider".into(),
            provider.into(),
            "--name".into(),
            format!("{} (live-style)", m.name),
            // The provider's test stage (the seeded ProcessOut project is a test-proj_ one), and
            // the sandbox standing in for the provider: an explicit, audited override.
            "--environment".into(),
            "test".into(),
            "--override-host".into(),
            m.base_url.clone(),
            "--override-reason".into(),
            "reliability suite: the local sandbox stands in for the provider".into(),
            "--account-id".into(),
            m.account.account_id().to_string(),
            "--time-zone".into(),
            m.time_zone.clone(),
            "--currency".into(),
            m.currency.code().to_string(),
            "--secret-env".into(),
            "COFFER_TEST_MERCHANT_SECRET".into(),
        ];
        if let ProviderAccount::Clover(CloverAccount {
            pakms_key: Some(key),
            ..
        }) = &m.account
        {
            args.extend(["--pakms-key".to_string(), key.clone()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let added = profile
            .coffer_with(
                &args,
                None,
                &[
                    ("COFFER_LOG", "trace"),
                    ("COFFER_TEST_MERCHANT_SECRET", m.secret.as_str()),
                ],
            )
            .ok();
        runs.push(added);
    }
    // The rest of the seeded accounts (Assist, Svea, other locations) through demo, secrets to
    // the keyring too; the two live-style ones are found and kept.
    run(
        &profile,
        &["--json", "demo", "--sandbox", &admin],
        &mut runs,
    );
    run(&profile, &["--json", "sync", "--all"], &mut runs);
    run(
        &profile,
        &["--json", "customers", "--search", "4242"],
        &mut runs,
    );
    run(&profile, &["--json", "cards", "--limit", "1000"], &mut runs);

    let (card, _) = usable_cards(&profile, "clover", 2)[1].clone();
    let card = card.to_string();
    run(
        &profile,
        &[
            "--json",
            "charge",
            "--card",
            &card,
            "--amount",
            "3.21",
            "--dry-run",
        ],
        &mut runs,
    );
    let charged = run(
        &profile,
        &["--json", "charge", "--card", &card, "--amount", "3.21"],
        &mut runs,
    );
    assert_eq!(
        charged["status"], "succeeded",
        "the session's charge goes through: {charged}"
    );
    let attempt = charged["attempt_id"].to_string();
    run(&profile, &["--json", "refund", &attempt], &mut runs);

    let due = due_date();
    let (contract_card, _) = usable_cards(&profile, "processout", 1)[0].clone();
    run(
        &profile,
        &[
            "--json",
            "contract",
            "create",
            "--card",
            &contract_card.to_string(),
            "--amount",
            "4.56",
            "--monthly",
            &due.day().to_string(),
        ],
        &mut runs,
    );
    run(&profile, &["--json", "run-due"], &mut runs);
    // The due date's cron run (the debug binary's clock comes from COFFER_TEST_NOW).
    let on_due = format!("{due}T12:00:00Z");
    let mut env = TRACE.to_vec();
    env.push(("COFFER_TEST_NOW", on_due.as_str()));
    let done = profile.coffer_with(&["--json", "run-due"], None, &env).ok();
    let due_run = serde_json::from_slice(&done.output.stdout).unwrap_or(serde_json::Value::Null);
    runs.push(done);
    assert_eq!(
        array(&due_run["charged"]).len(),
        1,
        "the session's due run charges the contract: {due_run}"
    );
    run(&profile, &["--json", "reconcile"], &mut runs);
    run(
        &profile,
        &["--json", "charges", "--limit", "1000"],
        &mut runs,
    );
    let merchants = run(&profile, &["--json", "merchant", "list"], &mut runs);
    let assist = array(&merchants)
        .iter()
        .find(|m| m["provider"] == "assist")
        .expect("an Assist merchant")["id"]
        .to_string();
    let csv = profile.path().join("register.csv");
    std::fs::write(
        &csv,
        "customer_number,name,email,phone\nSEC0001,Secret Scan,secret.scan@example.com,+358 40 000 0001\n",
    )
    .unwrap();
    run(
        &profile,
        &[
            "--json",
            "customer",
            "import",
            csv.to_str().unwrap(),
            "--merchant",
            &assist,
        ],
        &mut runs,
    );
    // A Svea card registered through Svea's card page (sandbox mode picks the page's own Visa
    // test card, so the sandbox handles a full number as it would a cardholder's).
    let svea = array(&merchants)
        .iter()
        .find(|m| m["provider"] == "svea")
        .expect("a Svea merchant")["id"]
        .to_string();
    let svea_cards = run(
        &profile,
        &["--json", "cards", "--merchant", &svea, "--limit", "5"],
        &mut runs,
    );
    let svea_customer = array(&svea_cards)[0]["customer_id"].to_string();
    let registered = run(
        &profile,
        &[
            "--json",
            "card",
            "initial",
            "--customer",
            &svea_customer,
            "--amount",
            "20.00",
            "--terms",
            "I agree to monthly charges of at most 20.00 EUR.",
        ],
        &mut runs,
    );
    assert!(
        registered["card"]["last4"].is_string(),
        "the card page registered a card: {registered}"
    );
    // SMTP with a login: the password goes to the keyring through stdin, and the settings are
    // shown back.
    let smtp_password = "smtp-pw-3c9f1a7e";
    let smtp = [
        "--json",
        "notices",
        "smtp",
        "--merchant",
        &assist,
        "--host",
        "smtp.example.com",
        "--port",
        "465",
        "--security",
        "tls",
        "--username",
        "shop",
        "--from",
        "shop@example.com",
        "--password-stdin",
    ];
    runs.push(
        profile
            .coffer_with(&smtp, Some(&format!("{smtp_password}\n")), &TRACE)
            .ok(),
    );
    run(
        &profile,
        &["--json", "notices", "smtp", "--merchant", &assist],
        &mut runs,
    );
    run(&profile, &["--json", "notices"], &mut runs);
    run(
        &profile,
        &["--json", "audit", "list", "--limit", "1000"],
        &mut runs,
    );
    run(&profile, &["--json", "audit", "verify"], &mut runs);
    for kind in ["customers", "cards", "charges", "audit"] {
        run(&profile, &["--json", "export", kind], &mut runs);
    }

    assert!(
        profile.path().join("outbox").exists(),
        "the session wrote notices to the outbox, so the scan covers them"
    );
    assert_eq!(
        std::fs::read_dir(profile.path().join("exports"))
            .map(|d| d.count())
            .unwrap_or(0),
        4,
        "the four exports are in the data dir, so the scan covers them"
    );
    assert!(
        runs.iter()
            .any(|r| r.stderr().contains("TRACE") || r.stderr().contains("DEBUG")),
        "COFFER_LOG=trace produced log lines, so the log scan means something"
    );
    let mut needles: Vec<(String, String)> = seeded
        .iter()
        .map(|m| (format!("the secret of {}", m.name), m.secret.clone()))
        .collect();
    needles.push(("the SMTP password".into(), smtp_password.into()));
    needles.extend(
        TEST_PANS
            .iter()
            .map(|p| (format!("card number {p}"), p.to_string())),
    );
    for (what, needle) in &needles {
        let found = profile.files_containing(needle.as_bytes());
        assert!(
            found.is_empty(),
            "{what} must be nowhere in the data dir; found in {found:?}"
        );
        if needle.len() >= 13 && needle.bytes().all(|b| b.is_ascii_digit()) {
            let state = std::fs::read(&sandbox_state).expect("the sandbox wrote its state");
            assert!(
                !state.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{what} must not be in the sandbox's state"
            );
        }
        for r in &runs {
            for (stream, text) in [("stdout", r.stdout()), ("stderr", r.stderr())] {
                assert!(
                    !text.contains(needle.as_str()),
                    "{what} must not appear on {stream} of coffer {:?} (logs at trace)",
                    r.args
                );
            }
        }
    }
}
