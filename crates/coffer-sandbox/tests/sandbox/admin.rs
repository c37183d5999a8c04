use coffer_core::ProviderKind;
use coffer_sandbox::{Sandbox, SandboxConfig};

#[tokio::test]
async fn admin_api_answers_and_faults_can_be_set_at_run_time() {
    let sandbox = Sandbox::start(SandboxConfig::demo(5)).await.unwrap();
    let http = reqwest::Client::new();
    let health = http
        .get(format!("{}/health", sandbox.urls.admin))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let set = http
        .put(format!("{}/faults", sandbox.urls.admin))
        .json(&serde_json::json!({"latency_ms": 5, "rate_limit_next": 2, "retry_after_secs": 1}))
        .send()
        .await
        .unwrap();
    let knobs: serde_json::Value = set.json().await.unwrap();
    assert_eq!(
        knobs["rate_limit_next"], 2,
        "the update is applied and echoed"
    );
    assert_eq!(knobs["latency_ms"], 5);
    let charges: Vec<serde_json::Value> = http
        .get(format!("{}/charges", sandbox.urls.admin))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(charges.is_empty(), "a fresh sandbox has processed nothing");
}

#[tokio::test]
async fn the_next_counters_can_be_kept_for_writes() {
    let sandbox = Sandbox::start(SandboxConfig::demo(5)).await.unwrap();
    let http = reqwest::Client::new();
    http.put(format!("{}/faults", sandbox.urls.admin))
        .json(&serde_json::json!({"error_next": 1, "next_writes_only": true}))
        .send()
        .await
        .unwrap();
    let read = http
        .get(format!(
            "{}/invoices",
            sandbox.urls.of(ProviderKind::ProcessOut)
        ))
        .send()
        .await
        .unwrap();
    assert_ne!(read.status(), 503, "a GET passes the counter by");
    let write = http
        .post(format!(
            "{}/invoices",
            sandbox.urls.of(ProviderKind::ProcessOut)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), 503, "the first write takes the 503");
    let next = http
        .post(format!(
            "{}/invoices",
            sandbox.urls.of(ProviderKind::ProcessOut)
        ))
        .send()
        .await
        .unwrap();
    assert_ne!(next.status(), 503, "the counter is spent");
}

#[tokio::test]
async fn the_knobs_for_real_failures_are_echoed_kept_by_partial_updates_and_reset() {
    let sandbox = Sandbox::start(SandboxConfig::demo(5)).await.unwrap();
    let knobs = crate::set_faults(
        &sandbox,
        serde_json::json!({"error_after_write_next": 2, "lookup_lag_secs": 30, "assist_order_number_reuse_charges": true}),
    )
    .await;
    assert_eq!(
        (
            &knobs["error_after_write_next"],
            &knobs["lookup_lag_secs"],
            &knobs["assist_order_number_reuse_charges"]
        ),
        (
            &serde_json::json!(2),
            &serde_json::json!(30),
            &serde_json::json!(true)
        ),
        "the PUT answer echoes the new knobs like the others: {knobs}"
    );
    let later = crate::set_faults(&sandbox, serde_json::json!({"latency_ms": 1})).await;
    assert_eq!(
        later["lookup_lag_secs"], 30,
        "a PUT changes only what it names: {later}"
    );
    let http = reqwest::Client::new();
    let read: serde_json::Value = http
        .get(format!("{}/faults", sandbox.urls.admin))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read, later, "GET answers the same knobs");
    let reset = http
        .post(format!("{}/reset", sandbox.urls.admin))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 204);
    let read: serde_json::Value = http
        .get(format!("{}/faults", sandbox.urls.admin))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            &read["error_after_write_next"],
            &read["lookup_lag_secs"],
            &read["assist_order_number_reuse_charges"]
        ),
        (
            &serde_json::json!(0),
            &serde_json::json!(0),
            &serde_json::json!(false)
        ),
        "a reset clears them"
    );
}

#[tokio::test]
async fn the_next_counters_kept_for_writes_pass_the_post_lookups_of_svea_and_assist_by() {
    let sandbox = Sandbox::start(SandboxConfig::demo(5)).await.unwrap();
    crate::set_faults(
        &sandbox,
        serde_json::json!({"error_next": 1, "next_writes_only": true}),
    )
    .await;
    let http = reqwest::Client::new();
    for lookup in [
        format!(
            "{}/PaymentStatusQuery.pmt",
            sandbox.urls.of(ProviderKind::Svea)
        ),
        format!(
            "{}/orderresult/orderresult.cfm",
            sandbox.urls.of(ProviderKind::Assist)
        ),
        format!(
            "{}/pay/oneclick/v1/token.cfm",
            sandbox.urls.of(ProviderKind::Assist)
        ),
    ] {
        let status = http.post(&lookup).send().await.unwrap().status();
        assert_ne!(status, 503, "{lookup} only reads, though it is a POST");
    }
    let write = http
        .post(format!(
            "{}/PaymentCancel.pmt",
            sandbox.urls.of(ProviderKind::Svea)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        write.status(),
        503,
        "a Svea cancel is a write and takes the 503"
    );
}
