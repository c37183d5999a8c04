//! The seed, the state file and the admin reset.

use super::*;

#[tokio::test]
async fn a_sandbox_seeded_for_clover_alone_keeps_the_projects_without_customers() {
    let po = Po::with_config(SandboxConfig {
        only_seed: Some(coffer_core::ProviderKind::Clover),
        ..SandboxConfig::demo(7)
    })
    .await;
    let (status, body) = po.get("/customers").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["customers"].as_array().map(Vec::len),
        Some(0),
        "{body}"
    );
    let clover = po
        .merchants
        .iter()
        .find(|m| m["account"]["provider"] == "clover")
        .unwrap();
    let (mid, token) = (
        clover["account"]["merchant_uuid"].as_str().unwrap(),
        clover["secret"].as_str().unwrap(),
    );
    let url = format!(
        "{}/v3/merchants/{mid}/customers?limit=100",
        po.sandbox.urls.of(ProviderKind::Clover)
    );
    let (_, page) = read(po.http.get(url).bearer_auth(token).send().await.unwrap()).await;
    assert_eq!(page["elements"].as_array().map(Vec::len), Some(7), "{page}");
}

#[tokio::test]
async fn state_survives_a_restart_through_the_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let mut config = SandboxConfig::demo(20);
    config.state_file = Some(path.clone());
    let po = Po::with_config(config.clone()).await;
    let (customer, token) = po.approving(true).await;
    let invoice = po.invoice(&customer, "42", "mit", "recurring").await;
    let iv = invoice["id"].as_str().unwrap().to_string();
    let (_, captured) = po
        .post(
            &format!("/invoices/{iv}/capture"),
            json!({"source": token}),
            Some("k-restart"),
        )
        .await;
    let (_, before) = po.get(&format!("/invoices/{iv}/transactions")).await;
    let (_, customers_before) = po.get("/customers?limit=100").await;
    po.sandbox.shutdown().await;
    assert!(
        std::fs::read_to_string(&path).is_ok_and(|s| s.contains(&iv)),
        "the state file holds the invoice once shutdown returns"
    );
    let po = Po::with_config(config).await;
    let (_, after) = po.get(&format!("/invoices/{iv}/transactions")).await;
    assert_eq!(before, after, "the transaction is restored as it was");
    let (_, customers_after) = po.get("/customers?limit=100").await;
    assert_eq!(customers_before, customers_after);
    let (_, replay) = po
        .post(
            &format!("/invoices/{iv}/capture"),
            json!({"source": token}),
            Some("k-restart"),
        )
        .await;
    assert_eq!(replay, captured, "the idempotency store is restored too");
}

#[tokio::test]
async fn seeding_scales_to_a_million_customers_per_project_generated_on_demand() {
    let po = Po::start(1_000_000).await;
    let (_, page) = po.get("/customers?limit=100").await;
    assert_eq!(page["total_count"], 1_000_000);
    assert_eq!(page["customers"].as_array().unwrap().len(), 100);
    let last = page["customers"][99]["id"].as_str().unwrap().to_string();
    let (_, next) = po
        .get(&format!("/customers?limit=100&start_after={last}"))
        .await;
    assert_eq!(next["customers"].as_array().unwrap().len(), 100);
    assert_ne!(next["customers"][0]["id"], page["customers"][0]["id"]);
    let first_of_next = next["customers"][0]["id"].as_str().unwrap();
    let (_, back) = po
        .get(&format!("/customers?limit=100&end_before={first_of_next}"))
        .await;
    assert_eq!(
        back["customers"], page["customers"],
        "end_before pages back"
    );
    let (_, oldest) = po.get("/customers?limit=3&order=asc").await;
    let oldest_id = oldest["customers"][0]["id"].as_str().unwrap();
    let (status, found) = po.get(&format!("/customers/{oldest_id}")).await;
    assert_eq!((status, &found["customer"]), (200, &oldest["customers"][0]));
    let other = po
        .http
        .get(format!("{}/customers?limit=1", po.base))
        .basic_auth(&po.other_project, Some(&po.other_secret));
    let (_, other) = read(other.send().await.unwrap()).await;
    assert_eq!(other["total_count"], 1_000_000, "every project is seeded");
    let (status, _) = po.get(&format!("/customers/{oldest_id}")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn seeded_initial_cits_list_with_run_time_ones_and_keep_their_changes() {
    let po = Po::start(12).await;
    let (_, all) = po.get("/transactions?limit=100&order=asc").await;
    let seeded = all["transactions"].as_array().unwrap().clone();
    assert!(!seeded.is_empty());
    assert_eq!(all["total_count"], seeded.len());
    let first = seeded[0]["id"].as_str().unwrap();
    let (status, body) = po
        .post(
            &format!("/transactions/{first}/refunds"),
            json!({"amount": "0.4", "reason": "other"}),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, again) = po.get(&format!("/transactions/{first}")).await;
    assert_eq!(again["transaction"]["refunded_amount"], "0.4", "{again}");
    let (customer, _) = po.approving(true).await;
    let invoice = po.invoice(&customer, "8", "cit", "recurring").await;
    let (status, body) = po
        .post(
            &format!("/invoices/{}/capture", invoice["id"].as_str().unwrap()),
            json!({"source": customer}),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, newest) = po.get("/transactions?limit=1").await;
    assert_eq!(newest["total_count"], seeded.len() + 1);
    assert_eq!(newest["transactions"][0]["id"], body["transaction"]["id"]);
    assert_eq!(newest["has_more"], true);
    let (_, older) = po
        .get(&format!(
            "/transactions?limit=100&start_after={}",
            body["transaction"]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        older["transactions"].as_array().unwrap().len(),
        seeded.len()
    );
    assert_eq!(older["has_more"], false);
    let (_, invoices) = po.get("/invoices?limit=100").await;
    assert_eq!(invoices["total_count"], seeded.len() + 1);
}

#[tokio::test]
async fn an_admin_reset_returns_to_the_seed() {
    let po = Po::start(12).await;
    let (customer, token) = po.approving(true).await;
    let invoice = po.invoice(&customer, "8", "mit", "recurring").await;
    let iv = invoice["id"].as_str().unwrap();
    po.post(
        &format!("/invoices/{iv}/capture"),
        json!({"source": token}),
        Some("k-reset"),
    )
    .await;
    let (_, before) = po.get("/customers?limit=100").await;
    let reset = po
        .http
        .post(format!("{}/reset", po.sandbox.urls.admin))
        .send()
        .await
        .unwrap();
    assert!(reset.status().is_success());
    let (status, body) = po.get(&format!("/invoices/{iv}")).await;
    assert_error(status, &body, 404, "resource.invoice.not-found");
    let (_, events) = po.get("/events").await;
    assert_eq!(events["total_count"], 0);
    let (_, after) = po.get("/customers?limit=100").await;
    assert_eq!(before, after, "the seeded customers are as before");
    let (_, again) = po
        .post(
            "/invoices",
            json!({"name": "again", "amount": "1", "currency": "EUR"}),
            Some("k-reset"),
        )
        .await;
    assert_eq!(
        again["success"], true,
        "the idempotency store is cleared too"
    );
}
