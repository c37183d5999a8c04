//! `coffer demo`: against a `coffer sandbox` child process (secrets to the keyring) and against
//! the embedded sandboxes (no keyring at all).

use std::collections::BTreeSet;

use coffer_e2e::raw;
use coffer_e2e::{keyring_account, keyring_secret, require_keyring, Profile, SandboxProcess};

use crate::array;

/// The tokens `coffer cards --merchant ID` lists.
fn cached_tokens(profile: &Profile, merchant: i64) -> BTreeSet<String> {
    let run = profile
        .coffer(&[
            "--json",
            "cards",
            "--merchant",
            &merchant.to_string(),
            "--limit",
            "10000",
        ])
        .ok();
    array(&run.json())
        .iter()
        .map(|k| k["token"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_against_a_sandbox_process_registers_its_merchants_with_secrets_in_the_keyring_and_syncs_them(
) {
    if !require_keyring() {
        return;
    }
    let sandbox = SandboxProcess::start(10);
    let seeded = raw::merchants(&sandbox.urls.admin).await;
    let profile = Profile::new();
    // Every log level on: no secret may show up in what the command prints.
    let run = profile
        .coffer_with(
            &["--json", "demo", "--sandbox", &sandbox.urls.admin],
            None,
            &[("COFFER_LOG", "trace")],
        )
        .ok();
    for m in &seeded {
        assert!(
            !run.stdout().contains(&m.secret) && !run.stderr().contains(&m.secret),
            "demo never prints {}'s secret, not even in trace logs",
            m.name
        );
    }
    let summary = run.json();
    let merchants = array(&summary["merchants"]).clone();
    assert_eq!(
        merchants.len(),
        seeded.len(),
        "every seeded merchant becomes a Coffer merchant"
    );
    for s in array(&summary["synced"]) {
        assert!(s["error"].is_null(), "every demo merchant syncs: {s}");
    }
    assert_eq!(
        summary["customers_registered"], 40,
        "the registers of the two Assist and the two Svea accounts come from the sandbox (10 each)"
    );

    for m in &seeded {
        let view = merchants
            .iter()
            .find(|v| v["name"] == m.name.as_str())
            .unwrap_or_else(|| panic!("demo registered {}", m.name));
        assert_eq!(
            view["base_url"],
            m.base_url.as_str(),
            "{} talks to the sandbox process",
            m.name
        );
        let provider = m.account.kind().to_string();
        let account = keyring_account(&provider, m.account.account_id(), "sandbox");
        let stored = keyring_secret(&profile.service, &account);
        assert_eq!(
            stored.as_deref(),
            Some(m.secret.as_str()),
            "{}'s demo secret is in the keyring",
            m.name
        );

        let id = view["id"].as_i64().unwrap();
        let expected: Option<BTreeSet<String>> = match provider.as_str() {
            "clover" => Some(raw::clover_customers(m).await),
            "processout" => Some(raw::processout_customers(m).await),
            "assist" => {
                let mut register = raw::assist_register(m).await;
                for c in &mut register {
                    c.cards = raw::assist_cards(m, &c.reference).await;
                }
                Some(register)
            }
            _ => None,
        }
        .map(|customers| {
            customers
                .into_iter()
                .flat_map(|c| c.cards)
                .map(|k| k.token)
                .collect()
        });
        let expected = match (expected, provider.as_str()) {
            // Its APM tokens are kept beside the cards.
            (Some(mut tokens), "processout") => {
                tokens.extend(
                    raw::processout_apm_tokens(m)
                        .await
                        .into_iter()
                        .map(|(token, _, _)| token),
                );
                Some(tokens)
            }
            (expected, _) => expected,
        };
        if let Some(expected) = expected {
            assert!(!expected.is_empty(), "{} has seeded cards", m.name);
            assert_eq!(
                cached_tokens(&profile, id),
                expected,
                "{}: the cache holds exactly the sandbox's cards",
                m.name
            );
        }
    }
    for m in &seeded {
        assert!(
            profile.files_containing(m.secret.as_bytes()).is_empty(),
            "{}'s demo secret goes to the keyring, not the data dir",
            m.name
        );
    }

    let again = profile
        .coffer(&["--json", "demo", "--sandbox", &sandbox.urls.admin])
        .ok()
        .json();
    let ids = |v: &serde_json::Value| -> Vec<i64> {
        array(&v["merchants"])
            .iter()
            .map(|m| m["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(
        ids(&again),
        ids(&summary),
        "a second demo reuses the merchants it registered"
    );
    assert_eq!(
        again["customers_registered"], 0,
        "and registers no customer twice"
    );

    for id in ids(&summary) {
        profile
            .coffer(&["merchant", "remove", &id.to_string()])
            .ok();
    }
}

#[test]
fn demo_with_the_embedded_sandboxes_needs_no_keyring_and_fills_the_cache() {
    let profile = Profile::new();
    let nowhere = format!("unix:path={}/no-bus-here", profile.path().display());
    let no_keyring = [("DBUS_SESSION_BUS_ADDRESS", nowhere.as_str())];
    let summary = profile
        .coffer_with(&["--json", "demo"], None, &no_keyring)
        .ok()
        .json();
    let merchants = array(&summary["merchants"]);
    assert!(
        merchants.len() >= 4,
        "demo registers merchants of every provider: {summary}"
    );
    for m in merchants {
        assert!(
            m["base_url"].as_str().unwrap().starts_with("embedded:"),
            "without --sandbox every demo merchant uses the embedded sandboxes: {m}"
        );
    }
    for s in array(&summary["synced"]) {
        assert!(s["error"].is_null(), "every embedded merchant syncs: {s}");
    }
    let clover = merchants
        .iter()
        .find(|m| m["provider"] == "clover")
        .unwrap();
    let customers = profile
        .coffer(&[
            "--json",
            "customers",
            "--merchant",
            &clover["id"].to_string(),
            "--limit",
            "1000",
        ])
        .ok()
        .json();
    assert_eq!(
        array(&customers).len(),
        60,
        "the embedded Clover location's customers are cached"
    );

    // Another process syncs again from the embedded sandboxes' saved state: nothing changed.
    let again = profile
        .coffer_with(&["--json", "sync", "--all"], None, &no_keyring)
        .ok()
        .json();
    for s in array(&again) {
        assert!(
            s["error"].is_null(),
            "a later sync of embedded merchants needs no keyring either: {s}"
        );
        assert_eq!(
            s["cards_added"], 0,
            "the embedded state survived between processes: {s}"
        );
        assert_eq!(
            s["cards_deactivated"], 0,
            "no card vanished between processes: {s}"
        );
    }
}
