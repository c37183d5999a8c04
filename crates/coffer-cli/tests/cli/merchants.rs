//! `coffer merchant test` and the connection check of `merchant add`: what an owner connecting a
//! merchant sees, with the built-in sandboxes (no keyring needed).

use serde_json::Value;

use crate::{coffer, stdout_json};

/// `merchant add` of an embedded Clover account; `extra` goes last.
fn add_embedded_clover(
    d: &std::path::Path,
    account_id: &str,
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec![
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
        "embedded:clover",
        "--account-id",
        account_id,
        "--time-zone",
        "America/New_York",
        "--currency",
        "USD",
    ];
    args.extend_from_slice(extra);
    coffer(d, &args)
}

#[test]
fn every_demo_merchant_passes_merchant_test_so_an_owner_starts_from_a_working_set_up() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let demo = coffer(d, &["demo"]);
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let list = stdout_json(&coffer(d, &["--json", "merchant", "list"]));
    let merchants = list.as_array().expect("a list of merchants");
    assert!(
        merchants.len() >= 4,
        "the demo has a merchant of each provider: {list}"
    );
    for m in merchants {
        let id = m["id"].to_string();
        let out = coffer(d, &["--json", "merchant", "test", &id]);
        let test = stdout_json(&out);
        assert_eq!(out.status.code(), Some(0), "a passed check exits 0: {test}");
        assert_eq!(
            test["ok"], true,
            "the sandbox accepts its demo account: {test}"
        );
        assert_eq!(
            test["provider"], m["provider"],
            "the view says which provider"
        );
        assert!(
            test["checked"].as_str().unwrap_or("").contains("embedded:"),
            "the view says where the provider was asked: {test}"
        );
    }
    let human = coffer(d, &["merchant", "test", &merchants[0]["id"].to_string()]);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.starts_with("ok: ") && text.contains("checked: "),
        "a person reads the answer and what was checked: {text}"
    );
}

#[test]
fn an_account_the_provider_does_not_know_is_not_added_and_the_account_id_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = add_embedded_clover(d, "UNKNOWNMID001", &[]);
    let error = stdout_json(&out);
    assert_eq!(error["kind"], "not_found", "{error}");
    assert_eq!(out.status.code(), Some(1), "exit code of not_found");
    let message = error["message"].as_str().unwrap_or("");
    assert!(
        message.starts_with("merchant_uuid:") && message.contains("nothing was saved"),
        "the message names the account id field and says nothing was saved: {error}"
    );
    let list = stdout_json(&coffer(d, &["--json", "merchant", "list"]));
    assert_eq!(list, Value::Array(vec![]), "a failed check saves nothing");

    let saved = stdout_json(&add_embedded_clover(d, "UNKNOWNMID001", &["--no-check"]));
    let id = saved["id"].to_string();
    assert_ne!(
        saved["id"],
        Value::Null,
        "--no-check saves without asking: {saved}"
    );
    let out = coffer(d, &["--json", "merchant", "test", &id]);
    let test = stdout_json(&out);
    assert_eq!(test["ok"], false, "{test}");
    assert_eq!(test["kind"], "not_found", "{test}");
    assert_eq!(test["field"], "merchant_uuid", "the field at fault: {test}");
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failed check exits by its kind"
    );
}

#[test]
fn testing_a_merchant_that_does_not_exist_is_the_not_found_envelope() {
    let dir = tempfile::tempdir().unwrap();
    let out = coffer(dir.path(), &["--json", "merchant", "test", "42"]);
    let error = stdout_json(&out);
    assert_eq!(error["kind"], "not_found", "{error}");
    assert_eq!(out.status.code(), Some(1));
}

/// `merchant add --json` of a live account chosen by provider and environment; `extra` goes last.
fn add_live(d: &std::path::Path, provider: &str, account_id: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "--json",
        "merchant",
        "add",
        "--provider",
        provider,
        "--name",
        "Live shop",
        "--account-id",
        account_id,
        "--time-zone",
        "Europe/Helsinki",
        "--currency",
        "EUR",
        "--secret-env",
        "COFFER_CLI_TEST_SECRET",
        "--no-check",
    ];
    args.extend_from_slice(extra);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_coffer"))
        .arg("--data-dir")
        .arg(d)
        .args(&args)
        .env_remove("COFFER_DATA_DIR")
        .env("COFFER_CLI_TEST_SECRET", "not-a-real-secret")
        .output()
        .expect("the coffer binary runs");
    assert!(
        !out.status.success(),
        "each of these is refused before anything is saved or any keyring is asked"
    );
    stdout_json(&out)
}

#[test]
fn a_live_merchant_is_chosen_by_provider_and_environment_and_wrong_choices_name_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mismatch = add_live(d, "processout", "test-proj_abc", &["--environment", "live"]);
    assert_eq!(mismatch["kind"], "invalid_input", "{mismatch}");
    assert!(
        mismatch["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("project_id:"),
        "a sandbox project id on ProcessOut production is refused on project_id: {mismatch}"
    );
    let foreign = add_live(
        d,
        "assist",
        "600123",
        &[
            "--login",
            "coffer_bo_01",
            "--host",
            "payments.paysec.by.evil.example",
        ],
    );
    assert!(
        foreign["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("host:"),
        "an Assist host outside Assist's domains is refused on host: {foreign}"
    );
    let typed = add_live(
        d,
        "clover",
        "MIDTYPED00001",
        &["--base-url", "https://scl.clover.com.evil.example"],
    );
    assert!(
        typed["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("base_url:")
            && typed["message"].as_str().unwrap_or("").contains("override"),
        "a typed live URL needs an override, and the message says so: {typed}"
    );
    let region = add_live(d, "svea", "SELLER1", &["--region", "europe"]);
    assert!(
        region["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("region:"),
        "only Clover has regions: {region}"
    );
    let list = stdout_json(&coffer(d, &["--json", "merchant", "list"]));
    assert_eq!(list, serde_json::json!([]), "nothing was saved");
}
