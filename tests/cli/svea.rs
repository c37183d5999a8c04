//! Svea through the real binary: the address Svea requires in every payment, and a refund of a
//! payment already settled to the merchant, which waits for the owner's bank transfer.

use coffer_e2e::{require_keyring, Profile, SandboxProcess};
use serde_json::Value;

use crate::array;

/// A profile filled by `coffer demo` against `sandbox`, its first Svea merchant, and one of its
/// cards that can be charged: (profile, merchant, card, customer).
fn svea_card(sandbox: &SandboxProcess) -> (Profile, Value, i64, i64) {
    let profile = Profile::new();
    profile
        .coffer(&["--json", "demo", "--sandbox", &sandbox.urls.admin])
        .ok();
    let merchants = profile.coffer(&["--json", "merchant", "list"]).ok().json();
    let merchant = array(&merchants)
        .iter()
        .find(|m| m["provider"] == "svea")
        .unwrap()
        .clone();
    let cards = profile
        .coffer(&[
            "--json",
            "cards",
            "--merchant",
            &merchant["id"].to_string(),
            "--limit",
            "1000",
        ])
        .ok()
        .json();
    let card = array(&cards)
        .iter()
        .find(|c| {
            c["mit_ready"] == true
                && c["active"] == true
                && c["expired"] == false
                && c["expiring_soon"] == false
                && !["0341", "0002", "0069", "0077", "0019"].contains(&c["last4"].as_str().unwrap())
        })
        .unwrap()
        .clone();
    (
        profile,
        merchant,
        card["id"].as_i64().unwrap(),
        card["customer_id"].as_i64().unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_svea_customer_s_address_is_edited_and_a_placeholder_is_refused_naming_the_field() {
    if !require_keyring() {
        return;
    }
    let sandbox = SandboxProcess::start(10);
    let (profile, _, _, customer) = svea_card(&sandbox);
    let customer = customer.to_string();
    let saved = profile
        .coffer(&[
            "--json",
            "customer",
            "edit",
            &customer,
            "--street",
            "Hämeenkatu 12 B 4",
            "--postal-code",
            "33100",
            "--city",
            "Tampere",
        ])
        .ok()
        .json();
    assert_eq!(saved["address"]["street"], "Hämeenkatu 12 B 4", "{saved}");
    assert_eq!(
        saved["address"]["country"], "FI",
        "FI when not given: {saved}"
    );
    let placeholder = profile.coffer(&[
        "customer",
        "edit",
        &customer,
        "--street",
        "-",
        "--postal-code",
        "33100",
        "--city",
        "Tampere",
    ]);
    assert!(!placeholder.output.status.success());
    assert!(
        placeholder.stderr().contains("address_street")
            && placeholder.stderr().contains("placeholder"),
        "{}",
        placeholder.stderr()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_of_a_settled_svea_charge_prints_where_to_pay_and_waits_for_refund_transferred() {
    if !require_keyring() {
        return;
    }
    let sandbox = SandboxProcess::start(10);
    let (profile, merchant, card, _) = svea_card(&sandbox);
    let made = profile
        .coffer(&[
            "--json",
            "charge",
            "--card",
            &card.to_string(),
            "--amount",
            "10.00",
            "--reason",
            "recurring",
        ])
        .ok()
        .json();
    assert_eq!(made["status"], "succeeded", "{made}");
    let charge_id = made["attempt_id"].as_i64().unwrap();
    let charge = charge_id.to_string();
    let ledger = profile
        .coffer(&["--json", "charges", "--card", &card.to_string()])
        .ok()
        .json();
    let pmt_id = array(&ledger)
        .iter()
        .find(|a| a["id"].as_i64() == Some(charge_id))
        .unwrap()["order_id"]
        .as_str()
        .unwrap()
        .to_string();
    let settled = reqwest::Client::new()
        .post(format!(
            "{}/__sandbox/settle",
            merchant["base_url"].as_str().unwrap()
        ))
        .form(&[
            (
                "seller_id",
                merchant["account"]["seller_id"].as_str().unwrap(),
            ),
            ("pmt_id", pmt_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(settled.status(), 200);

    let refund = profile
        .coffer(&["refund", &charge, "--amount", "4.00"])
        .ok()
        .stdout();
    assert!(
        refund.contains("refund awaiting_transfer: 4.00 EUR"),
        "{refund}"
    );
    for line in [
        "recipient  Svea Payments Oy",
        "IBAN       FI",
        "reference  ",
        "amount     4.00 EUR",
    ] {
        assert!(refund.contains(line), "'{line}' in {refund}");
    }
    let refund_id = refund
        .split("coffer refund-transferred ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("the command to run once paid: {refund}"))
        .to_string();

    let blocked = profile.coffer(&["refund", &charge, "--amount", "1.00"]);
    assert!(!blocked.output.status.success());
    assert!(
        blocked.stderr().contains("waiting for your bank transfer"),
        "{}",
        blocked.stderr()
    );

    let waiting = profile
        .coffer(&["--json", "charges", "--status", "awaiting_transfer"])
        .ok()
        .json();
    assert_eq!(array(&waiting).len(), 1, "{waiting}");
    assert_eq!(array(&waiting)[0]["transfer"]["amount"]["minor"], 400);

    let done = profile
        .coffer(&["refund-transferred", &refund_id])
        .ok()
        .stdout();
    assert!(done.contains("refund succeeded: 4.00 EUR"), "{done}");
    assert!(done.contains("You recorded the transfer"), "{done}");
}
