//! Clover's 16 requests a second per token (notes §1 "Rate limits"), behind the sandbox's
//! `rate_limits` switch.

use super::*;

/// GETs as token `m` until one is refused (at most 200): how many passed before it, and the
/// refusal's `retry-after` and `x-ratelimit-tokenlimit`.
async fn burst_until_refused(env: &Env, m: usize) -> Option<(usize, String, String)> {
    for passed in 0..200 {
        let response = env
            .http
            .get(env.url("/pakms/apikey"))
            .bearer_auth(env.token(m))
            .send()
            .await
            .unwrap();
        if response.status() == 429 {
            let header = |name: &str| {
                response.headers()[name]
                    .to_str()
                    .unwrap_or_default()
                    .to_string()
            };
            return Some((
                passed,
                header("retry-after"),
                header("x-ratelimit-tokenlimit"),
            ));
        }
        assert_eq!(response.status(), 200);
    }
    None
}

async fn with_rate_limits() -> Env {
    Env::with(SandboxConfig {
        rate_limits: true,
        ..SandboxConfig::demo(6)
    })
    .await
}

#[tokio::test]
async fn a_burst_over_sixteen_a_second_from_one_token_is_refused_with_retry_after() {
    let env = with_rate_limits().await;
    let (passed, retry_after, limit) = burst_until_refused(&env, 0)
        .await
        .expect("a burst is refused");
    assert!(passed >= 16, "the first sixteen pass: {passed}");
    assert_eq!(retry_after, "1");
    assert_eq!(limit, "16", "the header names the limit hit");
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let (status, _) = env.get(0, "/pakms/apikey").await;
    assert_eq!(status, 200, "after retry-after the token is served again");
}

#[tokio::test]
async fn each_token_has_its_own_limit() {
    let env = with_rate_limits().await;
    burst_until_refused(&env, 0)
        .await
        .expect("the first token is refused");
    let (status, _) = env.get(1, "/pakms/apikey").await;
    assert_eq!(status, 200, "another merchant's token is not");
    let initials = format!("/__sandbox/initials?merchant={}&limit=1", env.mid(0));
    let (status, _) = env.get(0, &initials).await;
    assert_eq!(
        status, 200,
        "the sandbox's own admin route is not Clover's API"
    );
}

#[tokio::test]
async fn with_the_switch_off_nothing_is_refused_and_the_admin_api_turns_it_on() {
    let env = Env::start(6).await;
    for _ in 0..40 {
        let (status, _) = env.get(0, "/pakms/apikey").await;
        assert_eq!(status, 200);
    }
    let switch = format!("{}/rate-limits", env.sandbox.urls.admin);
    let off: Value = env
        .http
        .get(&switch)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(off, json!({"on": false}));
    let on: Value = env
        .http
        .put(&switch)
        .json(&json!({"on": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(on, json!({"on": true}));
    assert!(burst_until_refused(&env, 0).await.is_some());
}
