//! The seed, the sandbox-only token listing and the state file.

use super::*;

#[tokio::test]
async fn seeds_two_eur_sellers_in_helsinki_with_key_generation_001() {
    let svea = start(5).await;
    let merchants: Vec<serde_json::Value> = svea
        .http
        .get(format!("{}/merchants", svea.sandbox.urls.admin))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ours: Vec<_> = merchants
        .iter()
        .filter(|m| m["account"]["provider"] == "svea")
        .collect();
    assert_eq!(ours.len(), 2, "two seller accounts");
    for m in ours {
        assert_eq!(m["currency"], "EUR");
        assert_eq!(m["time_zone"], "Europe/Helsinki");
        assert_eq!(m["account"]["key_generation"], "001");
        assert_eq!(m["base_url"], svea.base);
        assert!(
            m["account"]["seller_id"].as_str().unwrap().len() <= 15,
            "seller id is AN15"
        );
    }
}

#[tokio::test]
async fn sandbox_token_listing_gives_seeded_customers_with_initial_payments() {
    let svea = start(10).await;
    let listing = svea.tokens(0, 10).await;
    assert_eq!(listing["total"], 10);
    let customers = listing["customers"].as_array().unwrap();
    assert_eq!(customers.len(), 10);
    let first = &customers[0]["cards"][0];
    assert_eq!(first["behaviour"], "soft_decline");
    let initial_id = first["initial"]["pmt_id"].as_str().unwrap();
    let status = svea.status(initial_id).await;
    assert_eq!(
        status.field("pmtq_returncode").unwrap(),
        "40",
        "the initial payment is settled"
    );
    assert_eq!(
        status.field("pmtq_amount").unwrap(),
        first["initial"]["amount"].as_str().unwrap()
    );
    let missing = svea
        .http
        .get(format!("{}/__sandbox/tokens?seller_id=NOBODY", svea.base))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn state_file_round_trip_keeps_payments_and_monthly_counters() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let mut config = SandboxConfig::demo(20);
    config.state_file = Some(path.clone());
    let svea = start_with(config.clone()).await;
    let (token, cap) = svea.card("approve").await;
    let charged = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&svea.seller().id, "KEEP1", &cap, &token),
            Auth::Basic,
        )
        .await;
    assert_eq!(charged.status, 200);
    svea.sandbox.shutdown().await;
    assert!(
        std::fs::read_to_string(&path).is_ok_and(|t| t.contains("KEEP1")),
        "the state file holds KEEP1 once shutdown returns"
    );
    let first: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let svea = start_with(config).await;
    assert_eq!(
        svea.status("KEEP1").await.field("pmtq_returncode").unwrap(),
        "30",
        "the payment survived"
    );
    let again = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&svea.seller().id, "KEEP2", "1,00", &token),
            Auth::Basic,
        )
        .await;
    assert_eq!(
        again.field("pmt_errorcode").unwrap(),
        "ERROR_PAYMENT_INSTRUMENT_LIMIT_EXCEEDED",
        "so did the month"
    );
    let seller_id = svea.seller().id.clone();
    svea.sandbox.shutdown().await;
    assert!(
        std::fs::read_to_string(&path).is_ok_and(|t| t.contains("KEEP2")),
        "the state file holds KEEP2 once shutdown returns"
    );
    let second: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut expected = first["emulators"]["svea"].clone();
    let restored = &second["emulators"]["svea"];
    assert_ne!(&expected, restored, "KEEP2 was recorded");
    // Everything but the one new declined payment is unchanged by the restore.
    expected["sellers"][&seller_id]["payments"]["KEEP2"] =
        restored["sellers"][&seller_id]["payments"]["KEEP2"].clone();
    assert_eq!(
        &expected, restored,
        "snapshot → restore → snapshot is the same state"
    );
}

#[tokio::test]
async fn seeds_100000_customers_per_seller() {
    let svea = start(100_000).await;
    let listing = svea.tokens(99_998, 5).await;
    assert_eq!(listing["total"], 100_000);
    let customers = listing["customers"].as_array().unwrap();
    assert_eq!(customers.len(), 2, "the last page holds the last two");
    assert_eq!(customers[1]["index"], 99_999);
    let card = customers
        .iter()
        .flat_map(|c| c["cards"].as_array().unwrap())
        .find(|c| !c["pmt_token"].is_null());
    if let Some(card) = card {
        let status = svea
            .status(card["initial"]["pmt_id"].as_str().unwrap())
            .await;
        assert_eq!(
            status.field("pmtq_returncode").unwrap(),
            "40",
            "deep seeded payments are real"
        );
    }
}
