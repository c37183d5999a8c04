//! The seed, the sandbox-only initials listing and the state file.

use super::*;

#[tokio::test]
async fn seeds_three_store_locations_with_their_own_credentials() {
    let env = Env::start(5).await;
    assert_eq!(env.merchants.len(), 3, "three locations of one owner");
    let mut mids: Vec<String> = (0..3).map(|m| env.mid(m)).collect();
    assert!(mids.iter().all(|id| id.len() == 13
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())));
    mids.dedup();
    assert_eq!(mids.len(), 3, "distinct merchant UUIDs");
    assert_ne!(env.token(0), env.token(1));
    assert_ne!(env.apikey(0), env.apikey(2));
    let currencies: Vec<&str> = env
        .merchants
        .iter()
        .map(|m| m["currency"].as_str().unwrap())
        .collect();
    assert_eq!(currencies, ["USD", "USD", "EUR"]);
    let (status, key) = env.get(0, "/pakms/apikey").await;
    assert_eq!(status, 200);
    assert_eq!(
        key["apiAccessKey"],
        env.apikey(0),
        "PAKMS key of the token's merchant"
    );
    let (status, gateway) = env
        .get(1, &format!("/v3/merchants/{}/gateway", env.mid(1)))
        .await;
    assert_eq!(status, 200);
    assert_eq!(gateway["supportsMultiPayToken"], true);
}

#[tokio::test]
async fn seeded_cards_with_an_initial_are_listed_and_link_without_warning() {
    let env = Env::start(30).await;
    let seeded = env.usable(true, 0);
    let without = env.usable(false, 0);
    let (customer, token) = env.seeded_token(0, seeded).await;
    let (status, list) = env
        .get(0, &format!("/v1/charges?customer={customer}"))
        .await;
    assert_eq!(status, 200);
    let initial = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["source"]["id"] == token.as_str())
        .expect("the seeded initial charge is listed")
        .clone();
    assert_eq!(initial["stored_credentials"]["sequence"], "FIRST");
    let ref_num = initial["ref_num"].as_str().unwrap();
    let linked = json!({"amount": 300, "currency": "usd", "source": token, "ecomind": "moto",
        "stored_credentials": {"sequence": "SUBSEQUENT", "initiator": "MERCHANT", "is_scheduled": true,
            "installment_info": {"bill_pay_indicator": "Recurring", "invoice_number": ref_num}}});
    let (status, charge) = env.charge(0, &linked, None).await;
    assert_eq!(status, 200);
    assert!(charge.get("warning_message").is_none(), "{charge}");
    let (_, token_without) = env.seeded_token(0, without).await;
    let unlinked = json!({"amount": 300, "currency": "usd", "source": token_without,
        "stored_credentials": {"sequence": "SUBSEQUENT", "initiator": "MERCHANT", "is_scheduled": false}});
    let (_, charge) = env.charge(0, &unlinked, None).await;
    assert_eq!(
        charge["warning_message"], WARNING,
        "a seeded card without an initial CIT warns"
    );
}

#[tokio::test]
async fn sandbox_initials_list_the_seeded_initials_that_link_without_warning() {
    let env = Env::start(30).await;
    let mid = env.mid(0);
    let (status, all) = env
        .initials(&format!("merchant={mid}&offset=0&limit=1000"))
        .await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all["merchant"], mid.as_str());
    assert_eq!(all["offset"], 0);
    let listed = all["initials"].as_array().unwrap().clone();
    // Every seeded card with an initial, in customer then card order.
    let expected: Vec<(usize, usize)> = (0..30)
        .flat_map(|i| {
            seed::customer(&env.config.seed, "clover/1", i)
                .cards
                .iter()
                .enumerate()
                .filter(|(_, c)| c.has_initial)
                .map(|(k, _)| (i, k))
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(all["total"], expected.len());
    assert_eq!(listed.len(), expected.len());
    for (entry, (index, k)) in listed.iter().zip(&expected).take(8) {
        let (status, page) = env
            .get(
                0,
                &format!("/v3/merchants/{mid}/customers?expand=cards&limit=1&offset={index}"),
            )
            .await;
        assert_eq!(status, 200);
        let customer = &page["elements"][0];
        assert_eq!(entry["customer"], customer["id"]);
        assert_eq!(
            entry["token"], customer["cards"]["elements"][*k]["token"],
            "the token exactly as the card listing gives it"
        );
        assert_eq!(entry["amount_minor"], 100);
        assert_eq!(entry["currency"], "USD");
        assert_eq!(entry["initial_ref"].as_str().unwrap().len(), 12);
    }
    // The listed ref_num is the seeded FIRST charge's, and a scheduled MIT linked to it is
    // approved without a warning.
    let seeded = env.usable(true, 0);
    let (customer, token) = env.seeded_token(0, seeded).await;
    let entry = listed
        .iter()
        .find(|e| e["token"] == token.as_str())
        .expect("the seeded card is listed")
        .clone();
    assert_eq!(entry["customer"], customer.as_str());
    let (_, charges) = env
        .get(0, &format!("/v1/charges?customer={customer}"))
        .await;
    let first = charges["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["source"]["id"] == token.as_str())
        .unwrap()
        .clone();
    assert_eq!(first["stored_credentials"]["sequence"], "FIRST");
    assert_eq!(entry["initial_ref"], first["ref_num"]);
    assert_eq!(entry["amount_minor"], first["amount"]);
    let linked = json!({"amount": 300, "currency": "usd", "source": token, "ecomind": "moto",
        "stored_credentials": {"sequence": "SUBSEQUENT", "initiator": "MERCHANT", "is_scheduled": true,
            "installment_info": {"bill_pay_indicator": "Recurring", "invoice_number": entry["initial_ref"]}}});
    let (status, charge) = env.charge(0, &linked, Some("listed-mit")).await;
    assert_eq!(status, 200);
    assert_eq!(charge["paid"], true);
    assert!(charge.get("warning_message").is_none(), "{charge}");
    let ledger = env.ledger().await;
    let recorded = ledger
        .iter()
        .find(|c| c["idempotency_key"] == "listed-mit")
        .unwrap();
    assert_eq!(recorded["warnings"], json!([]));

    // Paging: windows of the full list; past the end is empty.
    let (_, window) = env
        .initials(&format!("merchant={mid}&offset=5&limit=3"))
        .await;
    assert_eq!(window["offset"], 5);
    assert_eq!(window["total"], all["total"]);
    assert_eq!(window["initials"], json!(listed[5..8]));
    let mut paged = Vec::new();
    for offset in (0..listed.len()).step_by(7) {
        let (_, page) = env
            .initials(&format!("merchant={mid}&offset={offset}&limit=7"))
            .await;
        paged.extend(page["initials"].as_array().unwrap().iter().cloned());
    }
    assert_eq!(paged, listed, "pages put together give the whole list");
    let (_, past) = env
        .initials(&format!("merchant={mid}&offset={}", listed.len()))
        .await;
    assert_eq!(past["initials"], json!([]));

    // A new FIRST charge replaces the card's initial; a card saved at run time joins at the end.
    let (new_customer, new_token) = env.saved_card(0, "4242424242424242").await;
    let first = json!({"amount": 250, "currency": "usd", "source": new_token, "ecomind": "ecom",
        "stored_credentials": {"sequence": "FIRST", "initiator": "CARDHOLDER", "is_scheduled": false}});
    let (status, initial) = env.charge(0, &first, None).await;
    assert_eq!(status, 200);
    let again = json!({"amount": 175, "currency": "usd", "source": token, "ecomind": "ecom",
        "stored_credentials": {"sequence": "FIRST", "initiator": "CARDHOLDER", "is_scheduled": false}});
    let (status, renewed) = env.charge(0, &again, None).await;
    assert_eq!(status, 200);
    let (_, after) = env.initials(&format!("merchant={mid}&limit=1000")).await;
    let after = after["initials"].as_array().unwrap();
    assert_eq!(after.len(), listed.len() + 1);
    assert_eq!(
        after.last().unwrap(),
        &json!({"token": new_token, "initial_ref": initial["ref_num"], "amount_minor": 250,
            "currency": "USD", "customer": new_customer})
    );
    let moved = after.iter().find(|e| e["token"] == token.as_str()).unwrap();
    assert_eq!(moved["initial_ref"], renewed["ref_num"]);
    assert_eq!(moved["amount_minor"], 175);

    // Each merchant lists its own; an unknown one is 404.
    let (status, other) = env
        .initials(&format!("merchant={}&limit=1", env.mid(2)))
        .await;
    assert_eq!(status, 200);
    assert_eq!(other["initials"][0]["currency"], "EUR");
    assert_ne!(other["initials"][0]["token"], listed[0]["token"]);
    let (status, unknown) = env.initials("merchant=NOSUCHMERCHANT").await;
    assert_eq!(status, 404);
    assert!(unknown["error"].is_string(), "{unknown}");
}

#[tokio::test]
async fn state_file_round_trip_keeps_charges_and_cards() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let mut config = SandboxConfig::demo(6);
    config.state_file = Some(path.clone());
    let env = Env::with(config.clone()).await;
    let (customer, token) = env.saved_card(0, "4242424242424242").await;
    let (_, charge) = env.charge(0, &json!({"amount": 100, "currency": "usd", "source": token,
        "stored_credentials": {"sequence": "FIRST", "initiator": "CARDHOLDER", "is_scheduled": false}}), Some("persist")).await;
    let id = charge["id"].as_str().unwrap().to_string();
    let (_, before) = env.get(0, &format!("/v1/charges/{id}")).await;
    env.sandbox.shutdown().await;
    assert!(
        std::fs::read_to_string(&path).is_ok_and(|s| s.contains(&id)),
        "the state file holds the charge once shutdown returns"
    );
    let again = Env::with(config).await;
    let (status, after) = again.get(0, &format!("/v1/charges/{id}")).await;
    assert_eq!(
        (status, after),
        (200, before),
        "the charge survives a restart"
    );
    let mit = json!({"amount": 300, "currency": "usd", "source": token,
        "stored_credentials": {"sequence": "SUBSEQUENT", "initiator": "MERCHANT", "is_scheduled": false}});
    let (_, charge) = again.charge(0, &mit, None).await;
    assert!(
        charge.get("warning_message").is_none(),
        "the recorded initial survives too"
    );
    let (status, _) = again.get(0, &format!("/v1/customers/{customer}")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn seeds_one_hundred_thousand_customers_per_merchant() {
    let env = Env::start(100_000).await;
    for m in 0..3 {
        let mid = env.mid(m);
        let (status, tail) = env
            .get(
                m,
                &format!("/v3/merchants/{mid}/customers?expand=cards&limit=1000&offset=99990"),
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(
            tail["elements"].as_array().unwrap().len(),
            10,
            "exactly 100,000 customers"
        );
        let last = tail["elements"][9]["id"].as_str().unwrap();
        let (status, _) = env.get(m, &format!("/v1/customers/{last}")).await;
        assert_eq!(status, 200);
        let (_, page) = env
            .get(m, &format!("/v3/merchants/{mid}/customers?limit=5000"))
            .await;
        assert_eq!(
            page["elements"].as_array().unwrap().len(),
            1000,
            "pages stop at the hard maximum"
        );
    }
    let (_, charges) = env.get(0, "/v1/charges?limit=100").await;
    assert_eq!(charges["data"].as_array().unwrap().len(), 100);
    assert_eq!(charges["has_more"], true);
    let mid = env.mid(1);
    let (status, head) = env.initials(&format!("merchant={mid}&limit=5000")).await;
    assert_eq!(status, 200);
    assert_eq!(
        head["initials"].as_array().unwrap().len(),
        1000,
        "initials pages stop at 1000"
    );
    let total = head["total"].as_u64().unwrap() as usize;
    assert!(total > 100_000, "most cards have an initial: {total}");
    let (_, tail) = env
        .initials(&format!("merchant={mid}&offset={}&limit=1000", total - 2))
        .await;
    let tail = tail["initials"].as_array().unwrap();
    assert_eq!(tail.len(), 2, "the last page ends at total");
    let last = (0..100_000)
        .rev()
        .find(|&i| {
            seed::customer(&env.config.seed, "clover/2", i)
                .cards
                .iter()
                .any(|c| c.has_initial)
        })
        .unwrap();
    assert_eq!(tail[1]["customer"], format!("C2{last:011}"));
}
