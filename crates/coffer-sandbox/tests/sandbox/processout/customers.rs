//! Customers and their tokens: Basic auth, cursors, where each object belongs, deletion.

use super::*;

#[tokio::test]
async fn every_route_needs_basic_auth_with_the_project_secret() {
    let po = Po::start(3).await;
    let anonymous = po
        .http
        .get(format!("{}/customers", po.base))
        .send()
        .await
        .unwrap();
    let (status, body) = read(anonymous).await;
    assert_error(status, &body, 401, "request.authentication.invalid");
    let wrong = po
        .http
        .get(format!("{}/customers", po.base))
        .basic_auth(&po.project, Some("key_sandbox_nope"));
    let (status, body) = read(wrong.send().await.unwrap()).await;
    assert_error(status, &body, 401, "request.authentication.invalid");
    let crossed = po
        .http
        .post(format!("{}/invoices", po.base))
        .basic_auth(&po.other_project, Some(&po.secret));
    let (status, body) = read(crossed.json(&json!({})).send().await.unwrap()).await;
    assert_error(status, &body, 401, "request.authentication.invalid");
    let (status, body) = po.get("/customers").await;
    assert_eq!(status, 200);
    assert_eq!(body["success"], true, "every success carries success:true");
}

#[tokio::test]
async fn customers_page_with_the_documented_cursor() {
    let po = Po::start(60).await;
    let (status, first) = po.get("/customers").await;
    assert_eq!(status, 200);
    assert_eq!(
        first["customers"].as_array().unwrap().len(),
        10,
        "default limit is 10"
    );
    assert_eq!(first["limit"], 10);
    assert_eq!(first["order"], "desc");
    assert_eq!(first["has_more"], true);
    assert_eq!(first["total_count"], 60);
    assert_eq!(first["count"], 10);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/customers?limit=25&start_after={c}"),
            None => "/customers?limit=25".to_string(),
        };
        let (_, page) = po.get(&path).await;
        let ids: Vec<String> = page["customers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect();
        if let Some(c) = &cursor {
            assert!(!ids.contains(c), "the cursor object is excluded");
        }
        cursor = ids.last().cloned();
        seen.extend(ids);
        if page["has_more"] == false {
            break;
        }
    }
    assert_eq!(seen.len(), 60, "every customer once");
    let unique: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), 60);
    assert!(seen
        .iter()
        .all(|id| id.starts_with("cust_") && id.len() == 37));
    let (_, asc) = po.get("/customers?order=asc&limit=1").await;
    assert_eq!(
        asc["customers"][0]["id"].as_str(),
        seen.last().map(String::as_str),
        "asc starts with the oldest"
    );
    let (_, before) = po
        .get(&format!("/customers?limit=5&end_before={}", seen[20]))
        .await;
    let before_ids: Vec<&str> = before["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        before_ids,
        seen[15..20].iter().map(String::as_str).collect::<Vec<_>>()
    );
    let (status, body) = po
        .get(&format!(
            "/customers?start_after={}&end_before={}",
            seen[1], seen[5]
        ))
        .await;
    assert_error(status, &body, 400, "request.validation.invalid-pagination");
    let (status, body) = po.get("/customers?limit=101").await;
    assert_error(status, &body, 400, "request.validation.invalid-limit");
    let (status, body) = po.get("/customers?limit=0").await;
    assert_error(status, &body, 400, "request.validation.invalid-limit");
}

#[tokio::test]
async fn customers_and_tokens_are_found_only_where_they_belong() {
    let po = Po::start(10).await;
    let (customer, token) = po.special("Soft-Decline").await;
    let (status, body) = po.get(&format!("/customers/{customer}")).await;
    assert_eq!(status, 200);
    assert_eq!(body["customer"]["default_token_id"], token.as_str());
    assert_eq!(body["customer"]["sandbox"], true);
    let (_, tokens) = po.get(&format!("/customers/{customer}/tokens")).await;
    let t = &tokens["tokens"][0];
    assert_eq!(t["id"], token.as_str());
    assert_eq!(t["type"], "card");
    assert_eq!(t["is_default"], true);
    assert_eq!(t["is_chargeable"], true);
    assert_eq!(t["card"]["last_4_digits"], "0341");
    assert_eq!(t["summary"], "**** **** **** 0341");
    assert!(
        t["card"]["exp_year"].as_i64().unwrap() > 2000,
        "4-digit year as a number"
    );
    let (status, _) = po
        .get(&format!("/customers/{customer}/tokens/{token}"))
        .await;
    assert_eq!(status, 200);
    let (other, _) = po.special("Hard-Decline").await;
    let (status, body) = po.get(&format!("/customers/{other}/tokens/{token}")).await;
    assert_error(status, &body, 404, "resource.token.not-found");
    let theirs = po.invoice(&other, "5", "mit", "recurring").await;
    let (status, body) = po
        .post(
            &format!("/invoices/{}/capture", theirs["id"].as_str().unwrap()),
            json!({"source": token}),
            None,
        )
        .await;
    assert_error(status, &body, 404, "resource.token.not-found");
    assert!(
        po.ledger().await.is_empty(),
        "another customer's token charges nothing"
    );
    let (status, body) = po.get("/customers/cust_nope").await;
    assert_error(status, &body, 404, "resource.customer.not-found");
    let (status, body) = po.get("/invoices/iv_nope").await;
    assert_error(status, &body, 404, "resource.invoice.not-found");
    let (status, body) = po.get("/transactions/tr_nope").await;
    assert_error(status, &body, 404, "resource.transaction.not-found");
    let (status, body) = po
        .post(
            "/customers",
            json!({"first_name": "Eva", "email": "eva@example.com", "phone": null}),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let created = body["customer"]["id"].as_str().unwrap();
    let (_, first) = po.get("/customers?limit=1").await;
    assert_eq!(
        first["customers"][0]["id"], created,
        "the newest customer leads the default desc order"
    );
}

#[tokio::test]
async fn a_deleted_customer_is_gone_and_charges_without_a_customer_find_theirs() {
    let po = Po::start(12).await;
    let (customer, token) = po.approving(true).await;
    let (status, body) = po
        .post(
            "/invoices",
            json!({"name": "walk-in", "amount": "3", "currency": "EUR"}),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let iv = body["invoice"]["id"].as_str().unwrap();
    let (status, body) = po
        .post(
            &format!("/invoices/{iv}/capture"),
            json!({"source": token}),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let tr = body["transaction"]["id"].as_str().unwrap().to_string();
    let (_, mine) = po
        .get(&format!("/customers/{customer}/transactions?order=asc"))
        .await;
    let ids: Vec<&str> = mine["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids.last(),
        Some(&tr.as_str()),
        "the token's owner is the payer"
    );

    let deleted = po
        .req(reqwest::Method::DELETE, &format!("/customers/{customer}"))
        .send()
        .await
        .unwrap();
    assert_eq!(read(deleted).await.1["success"], true);
    let (status, body) = po.get(&format!("/customers/{customer}")).await;
    assert_error(status, &body, 404, "resource.customer.not-found");
    let (_, list) = po.get("/customers?limit=100").await;
    assert_eq!(list["total_count"], 11);
    assert!(list["customers"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["id"] != customer.as_str()));
}
