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
