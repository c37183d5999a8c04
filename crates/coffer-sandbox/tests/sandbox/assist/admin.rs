//! The seed, the state file and the sandbox-only service faults.

use super::*;

#[tokio::test]
async fn two_merchants_are_seeded_with_assist_style_credentials() {
    let f = fixture(5).await;
    assert_eq!(f.by.currency, "BYN");
    assert_eq!(f.ru.currency, "RUB");
    for account in [&f.by, &f.ru] {
        assert!(
            account.merchant_id.bytes().all(|b| b.is_ascii_digit()),
            "Merchant_ID is a number"
        );
        assert!((8..=20).contains(&account.login.len()));
        assert!(
            (8..=20).contains(&account.password.len())
                && account.password.bytes().all(|b| b.is_ascii_alphanumeric())
        );
    }
    let merchants: Vec<Value> = f
        .http
        .get(format!("{}/merchants", f.sandbox.urls.admin))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let zones: Vec<&str> = merchants
        .iter()
        .filter(|m| m["account"]["provider"] == "assist")
        .map(|m| m["time_zone"].as_str().unwrap())
        .collect();
    assert_eq!(zones, ["Europe/Minsk", "Europe/Moscow"]);
    let customers = f.register(&f.ru, 0, 10).await;
    assert_eq!(customers.len(), 5);
    assert_eq!(customers[0]["customer_number"], "RU-000001");
    assert!(customers[0]["email"].as_str().unwrap().contains('@'));
}

#[tokio::test]
async fn state_survives_a_restart_through_the_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let mut config = SandboxConfig::demo(30);
    config.state_file = Some(path.clone());
    let sandbox = Sandbox::start(config.clone()).await.unwrap();
    let f = fixture_from(sandbox).await;
    let customer = f.customer(5, is_approver).await;
    let paid = f.token_pay(&customer, "KEEP-1", "7.00").await;
    let before = f.order_result("KEEP-1").await;
    f.sandbox.shutdown().await;
    let saved = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(saved.contains("KEEP-1"), "the state file holds the order");
    let again = Sandbox::start(config).await.unwrap();
    let g = fixture_from(again).await;
    let after = g.order_result("KEEP-1").await;
    assert_eq!(first(&after, "billnumber"), first(&paid, "billnumber"));
    assert_eq!(all(&after, "orderstate"), all(&before, "orderstate"));
    let next = g.token_pay(&customer, "KEEP-2", "7.00").await;
    assert_ne!(
        first(&next, "billnumber"),
        first(&paid, "billnumber"),
        "the billnumber sequence continues"
    );
}

#[tokio::test]
async fn seeding_scales_to_100000_customers_per_merchant() {
    let f = fixture(100_000).await;
    let all_customers = f.register(&f.ru, 0, usize::MAX).await;
    assert_eq!(all_customers.len(), 100_000);
    let last = &all_customers[99_999];
    assert_eq!(last["customer_number"], "RU-100000");
    let credentials =
        json!({"merchant_id": f.ru.merchant_id, "login": f.ru.login, "password": f.ru.password});
    let cards = f
        .tokens(json!({"merchant": credentials, "customernumber": "RU-100000"}))
        .await;
    assert_eq!(
        cards.as_array().unwrap().len(),
        last["cards"].as_array().unwrap().len()
    );
    let with_initial = all_customers
        .iter()
        .flat_map(|c| c["cards"].as_array().unwrap())
        .filter(|c| c["initial_billnumber"].is_string())
        .count();
    assert!(
        with_initial > 100_000,
        "most cards have a seeded initial order: {with_initial}"
    );
    let (status, head) = f
        .initials(&format!("merchant={}&limit=5000", f.ru.merchant_id))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        head["total"], with_initial,
        "total counts every seeded initial"
    );
    assert_eq!(
        head["initials"].as_array().unwrap().len(),
        1000,
        "initials pages stop at 1000"
    );
    let (_, tail) = f
        .initials(&format!(
            "merchant={}&offset={}&limit=1000",
            f.ru.merchant_id,
            with_initial - 2
        ))
        .await;
    let tail = tail["initials"].as_array().unwrap();
    let last_bill = all_customers
        .iter()
        .flat_map(|c| c["cards"].as_array().unwrap())
        .filter_map(|c| c["initial_billnumber"].as_str())
        .next_back()
        .unwrap();
    assert_eq!(tail.len(), 2, "the last page ends at total");
    assert_eq!(tail[1]["initial_ref"], last_bill);
}

#[tokio::test]
async fn in_body_rate_limits_and_garbled_answers_can_be_switched_on() {
    let f = fixture(30).await;
    let customer = f.customer(5, is_approver).await;
    f.rules(json!({"rate_limit_in_body_next": 1})).await;
    let limited = f.token_pay(&customer, "RL-1", "3.00").await;
    assert_eq!(
        codes(&limited),
        "17/3",
        "request rate exceeded, before processing"
    );
    assert_eq!(
        attr(&f.order_result("RL-1").await, "count"),
        "0",
        "nothing was made"
    );
    f.rules(json!({"malformed_next": 1})).await;
    let garbled = f.token_pay(&customer, "MAL-1", "3.00").await;
    assert!(
        !garbled.contains("</result>"),
        "the answer is cut off: {garbled}"
    );
    let found = f.order_result("MAL-1").await;
    assert_eq!(
        first(&found, "orderstate"),
        "Approved",
        "the garbled charge was processed"
    );
}
