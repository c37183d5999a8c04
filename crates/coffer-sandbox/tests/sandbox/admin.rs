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
        .get(format!("{}/invoices", sandbox.urls.processout))
        .send()
        .await
        .unwrap();
    assert_ne!(read.status(), 503, "a GET passes the counter by");
    let write = http
        .post(format!("{}/invoices", sandbox.urls.processout))
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), 503, "the first write takes the 503");
    let next = http
        .post(format!("{}/invoices", sandbox.urls.processout))
        .send()
        .await
        .unwrap();
    assert_ne!(next.status(), 503, "the counter is spent");
}
