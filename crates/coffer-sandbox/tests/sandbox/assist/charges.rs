//! Token Pay charges and `orderresult`: order numbers, test cards and amounts, the fault
//! knobs on a charge.

use super::*;

#[tokio::test]
async fn token_pay_charges_a_saved_card_and_orderresult_finds_it() {
    let f = fixture(30).await;
    let customer = f.customer(5, is_approver).await;
    let payment_token = json!({"Token": customer["cards"][0]["token"], "CustomerNumber": customer["customer_number"]}).to_string();
    // Lower-case names, as one Ruby client sends them.
    let answer = f
        .post(
            "/pay/tokenpay.cfm",
            &[
                ("merchant_id", &f.by.merchant_id),
                ("login", &f.by.login),
                ("password", &f.by.password),
                ("ordernumber", "CF-2024-000187"),
                ("orderamount", "25.90"),
                ("ordercurrency", "BYN"),
                ("tokentype", "5"),
                ("paymenttoken", &payment_token),
                ("format", "3"),
            ],
        )
        .await;
    assert_eq!(codes(&answer), "0/0", "{answer}");
    assert_eq!(first(&answer, "orderstate"), "Approved");
    assert_eq!(first(&answer, "responsecode"), "AS000");
    assert_eq!(first(&answer, "orderamount"), "25.90");
    let bill = first(&answer, "billnumber");
    assert_eq!(bill.len(), 16);
    let masked = all(&answer, "meannumber");
    assert!(
        masked[0].contains("******")
            && masked[0].ends_with(customer["cards"][0]["last4"].as_str().unwrap())
    );

    let result = f.order_result("CF-2024-000187").await;
    assert_eq!(attr(&result, "count"), "1");
    assert_eq!(first(&result, "billnumber"), bill);
    assert_eq!(all(&result, "operationtype"), ["100"]);
    assert!(
        all(&result, "billnumber").contains(&format!("{bill}.1")),
        "operations carry the extended billnumber"
    );

    let ledger = f.ledger().await;
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0]["status"], "approved");
    assert_eq!(ledger[0]["amount_minor"], 2590);
    assert_eq!(ledger[0]["order_id"], "CF-2024-000187");
    assert_eq!(
        ledger[0]["stored_credential"]["tokentype"], "5",
        "flags kept as received"
    );

    let as_json = f
        .by_post(
            "/orderresult/orderresult.cfm",
            &[("Ordernumber", "CF-2024-000187"), ("Format", "5")],
        )
        .await;
    let value: Value = serde_json::from_str(&as_json).expect("Format=5 is JSON");
    assert_eq!(value["order"][0]["billnumber"], bill.as_str());
}

#[tokio::test]
async fn test_cards_decline_with_assist_codes() {
    let f = fixture(20).await;
    // (customer index, last4, responsecode, merchantadvicecode): docs/assist.md "Test cards".
    let cases = [
        (0, "0341", "AS102", None),
        (1, "0002", "AS108", None),
        (2, "0069", "AS104", None),
        (10, "0100", "AS100", None),
        (11, "0108", "AS108", None),
        (12, "0121", "AS100", Some("21")),
        (13, "0103", "AS100", Some("03")),
        (14, "0141", "AS100", None),
    ];
    // Visa's decline category (`errorcategory`) on the Visa test cards only.
    let categories = [
        None,
        None,
        None,
        Some("4"),
        Some("2"),
        None,
        None,
        Some("1"),
    ];
    for ((index, last4, code, advice), category) in cases.into_iter().zip(categories) {
        let customer = &f.register(&f.by, index, 1).await[0];
        assert_eq!(
            customer["cards"][0]["last4"], last4,
            "customer {index} carries the documented test card"
        );
        let order = format!("DECLINE-{index}");
        let answer = f.token_pay(customer, &order, "10.00").await;
        assert_eq!(codes(&answer), "0/0", "a decline is a processed request");
        assert_eq!(first(&answer, "orderstate"), "Declined", "{answer}");
        assert_eq!(first(&answer, "responsecode"), code, "{answer}");
        let advised = all(&answer, "merchantadvicecode");
        assert_eq!(
            advised.first().map(String::as_str),
            advice,
            "the advice code is on the order only where the card sets one: {answer}"
        );
        let looked_up = f.order_result(&order).await;
        assert_eq!(
            all(&looked_up, "merchantadvicecode")
                .first()
                .map(String::as_str),
            advice,
            "orderresult shows the same order field as the payment answer: {looked_up}"
        );
        for (xml, what) in [(&answer, "payment answer"), (&looked_up, "orderresult")] {
            assert_eq!(
                all(xml, "errorcategory").first().map(String::as_str),
                category,
                "{last4}: Visa's category in the {what}: {xml}"
            );
        }
    }
    let ledger = f.ledger().await;
    assert_eq!(ledger.len(), cases.len());
    assert!(ledger.iter().all(|c| c["status"] == "declined"));
}

#[tokio::test]
async fn order_numbers_are_reused_only_after_a_failed_attempt() {
    let f = fixture(30).await;
    let soft = &f.register(&f.by, 0, 1).await[0];
    let good = f.customer(5, is_approver).await;
    let declined = f.token_pay(soft, "ORD-1", "10.00").await;
    assert_eq!(first(&declined, "orderstate"), "Declined");
    let retry = f.token_pay(&good, "ORD-1", "10.00").await;
    assert_eq!(first(&retry, "orderstate"), "Approved");
    assert_ne!(
        first(&retry, "billnumber"),
        first(&declined, "billnumber"),
        "a new attempt gets a new billnumber"
    );
    let result = f.order_result("ORD-1").await;
    assert_eq!(
        attr(&result, "count"),
        "2",
        "orderresult lists every attempt"
    );
    assert_eq!(
        all(&result, "orderstate"),
        ["Declined", "Approved"],
        "oldest first"
    );
    let again = f.token_pay(&good, "ORD-1", "10.00").await;
    assert_eq!(
        codes(&again),
        "11/107",
        "an approved order number is refused"
    );
    f.rules(json!({"refuse_duplicate_order": false})).await;
    let charged = f.token_pay(&good, "ORD-1", "10.00").await;
    assert_eq!(
        first(&charged, "orderstate"),
        "Approved",
        "switch: charged again"
    );
}

#[tokio::test]
async fn two_stage_orders_are_confirmed_by_charge_cfm() {
    let f = fixture(30).await;
    let customer = f.customer(5, is_approver).await;
    let token = json!({"Token": customer["cards"][0]["token"], "CustomerNumber": customer["customer_number"]}).to_string();
    let held = f
        .by_post(
            "/pay/tokenpay.cfm",
            &[
                ("OrderNumber", "TWO-1"),
                ("OrderAmount", "12.00"),
                ("TokenType", "5"),
                ("PaymentToken", &token),
                ("Delay", "1"),
            ],
        )
        .await;
    assert_eq!(first(&held, "orderstate"), "Delayed");
    let bill = first(&held, "billnumber");
    let confirmed = f
        .by_post("/charge/charge.cfm", &[("Billnumber", &bill)])
        .await;
    assert_eq!(first(&confirmed, "orderstate"), "Approved", "{confirmed}");
    let again = f
        .by_post("/charge/charge.cfm", &[("Billnumber", &bill)])
        .await;
    assert_eq!(
        codes(&again),
        "15/302",
        "only a Delayed order can be confirmed"
    );
}

#[tokio::test]
async fn test_amounts_give_any_code_and_in_process_settles_on_lookup() {
    let f = fixture(30).await;
    let customer = f.customer(5, is_approver).await;
    let fraud = f.token_pay(&customer, "AMT-1", "999.08").await;
    assert_eq!(first(&fraud, "responsecode"), "AS108");
    let pending = f.token_pay(&customer, "AMT-2", "999.30").await;
    assert_eq!(first(&pending, "orderstate"), "In Process");
    assert!(
        f.ledger().await.iter().all(|c| c["order_id"] != "AMT-2"),
        "nothing decided yet"
    );
    let looked = f.order_result("AMT-2").await;
    assert_eq!(
        first(&looked, "orderstate"),
        "Approved",
        "final after one lookup"
    );
    let settled: Vec<Value> = f
        .ledger()
        .await
        .into_iter()
        .filter(|c| c["order_id"] == "AMT-2")
        .collect();
    assert_eq!(settled.len(), 1);
    assert_eq!(
        settled[0]["stored_credential"]["TokenType"], "5",
        "the request's fields are kept until then"
    );

    // A JSON body is answered in JSON.
    let body = json!({"Merchant_ID": f.by.merchant_id, "Login": f.by.login, "Password": f.by.password, "Ordernumber": "AMT-2"});
    let response = f
        .http
        .post(format!("{}/orderresult/orderresult.cfm", f.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let value: Value = response.json().await.unwrap();
    assert_eq!(
        (value["firstcode"].as_str(), value["count"].as_str()),
        (Some("0"), Some("1"))
    );
    assert_eq!(value["order"][0]["orderstate"], "Approved");
}

#[tokio::test]
async fn timeout_card_charges_nothing_and_response_lost_card_charges_once() {
    let f = fixture(10).await;
    f.http
        .put(format!("{}/faults", f.sandbox.urls.admin))
        .json(&json!({"timeout_ms": 200}))
        .send()
        .await
        .unwrap();
    let hanging = &f.register(&f.by, 3, 1).await[0];
    let answer = f.token_pay(hanging, "HANG-1", "10.00").await;
    assert_eq!(
        codes(&answer),
        "16/306",
        "after the hold: operation timed out"
    );
    assert_eq!(
        attr(&f.order_result("HANG-1").await, "count"),
        "0",
        "nothing was made"
    );

    let lost = &f.register(&f.by, 4, 1).await[0];
    let token =
        json!({"Token": lost["cards"][0]["token"], "CustomerNumber": lost["customer_number"]})
            .to_string();
    let sent = f
        .http
        .post(format!("{}/pay/tokenpay.cfm", f.base))
        .form(&[
            ("Merchant_ID", f.by.merchant_id.as_str()),
            ("Login", &f.by.login),
            ("Password", &f.by.password),
            ("OrderNumber", "LOST-1"),
            ("OrderAmount", "10.00"),
            ("TokenType", "5"),
            ("PaymentToken", &token),
        ])
        .send()
        .await;
    assert!(sent.is_err(), "the connection closes without an answer");
    let found = f.order_result("LOST-1").await;
    assert_eq!(
        first(&found, "orderstate"),
        "Approved",
        "the charge was made"
    );
    let ledger = f.ledger().await;
    assert_eq!(
        ledger.len(),
        1,
        "one charge: the lost one, not the hung one"
    );
    assert_eq!(ledger[0]["order_id"], "LOST-1");
}

#[tokio::test]
async fn a_card_that_needs_its_cvc_is_not_charged_without_the_cardholder() {
    let f = fixture(60).await;
    let credentials =
        json!({"merchant_id": f.by.merchant_id, "login": f.by.login, "password": f.by.password});
    let mut checked = 0;
    for index in [24, 49] {
        let customer = &f.register(&f.by, index, 1).await[0];
        let listed = f
            .tokens(json!({"merchant": credentials, "customernumber": customer["customer_number"]}))
            .await;
        assert_eq!(
            listed[0]["needCVC"], true,
            "every 25th customer's first card"
        );
        if listed[0]["active"] == false {
            continue;
        }
        let answer = f.token_pay(customer, &format!("CVC-{index}"), "3.00").await;
        assert_eq!(first(&answer, "responsecode"), "AS110", "{answer}");
        assert_eq!(first(&answer, "orderstate"), "Declined");
        checked += 1;
    }
    assert!(checked > 0, "at least one active needCVC card in the seed");
}

#[tokio::test]
async fn a_token_pay_answered_502_by_the_proxy_was_made_and_orderresult_finds_it() {
    let f = fixture(30).await;
    let good = f.customer(5, is_approver).await;
    let knobs = crate::set_faults(&f.sandbox, json!({"error_after_write_next": 1})).await;
    assert_eq!(
        knobs["error_after_write_next"], 1,
        "the PUT echoes the knob"
    );
    let before = f.order_result("GW-1").await;
    assert_eq!(
        attr(&before, "count"),
        "0",
        "orderresult is a lookup though it is a POST: it passes the counter by"
    );
    let credentials =
        json!({"merchant_id": f.by.merchant_id, "login": f.by.login, "password": f.by.password});
    let listed = f
        .tokens(json!({"merchant": credentials, "customernumber": good["customer_number"]}))
        .await;
    assert!(
        listed[0]["token"].is_string(),
        "so is the token listing: {listed}"
    );
    let payment_token = payment_token(&good);
    let response = f
        .by_send(
            "/pay/tokenpay.cfm",
            &token_pay_form("GW-1", "10.00", &payment_token),
        )
        .await;
    crate::assert_bad_gateway(response, "the Token Pay charge").await;
    let ledger = f.ledger().await;
    assert_eq!(ledger.len(), 1, "the charge behind the 502 was made");
    assert_eq!(
        (&ledger[0]["order_id"], &ledger[0]["status"]),
        (&json!("GW-1"), &json!("approved"))
    );
    let found = f.order_result("GW-1").await;
    assert_eq!(attr(&found, "count"), "1", "Assist's own lookup finds it");
    assert_eq!(first(&found, "orderstate"), "Approved");
    let next = f.token_pay(&good, "GW-2", "10.00").await;
    assert_eq!(
        first(&next, "orderstate"),
        "Approved",
        "the next write is answered as usual"
    );
    assert_eq!(f.ledger().await.len(), 2);
}

#[tokio::test]
async fn orderresult_under_lag_shows_an_order_and_a_cancel_only_once_they_are_old_enough() {
    let f = fixture(30).await;
    let good = f.customer(5, is_approver).await;
    let initial = good["cards"][0]["initial_billnumber"].as_str().unwrap();
    let initial_order = good["cards"][0]["initial_ordernumber"].as_str().unwrap();
    let fixture = &f;
    let seeded = move || async move {
        fixture
            .by_post(
                "/orderresult/orderresult.cfm",
                &[("Ordernumber", initial_order), ("StartYear", "2000")],
            )
            .await
    };
    let knobs = crate::set_faults(&f.sandbox, json!({"lookup_lag_secs": crate::LAG_SECS})).await;
    assert_eq!(
        knobs["lookup_lag_secs"],
        crate::LAG_SECS,
        "the PUT echoes the knob"
    );
    let paid = f.token_pay(&good, "LAG-1", "10.00").await;
    assert_eq!(
        first(&paid, "orderstate"),
        "Approved",
        "the write itself is not lagged"
    );
    assert_eq!(
        attr(&f.order_result("LAG-1").await, "count"),
        "0",
        "a fresh order is not visible to orderresult yet"
    );
    let old = seeded().await;
    assert_eq!(
        first(&old, "orderstate"),
        "Approved",
        "an order made long before shows as usual"
    );
    let cancel = f
        .by_post(
            "/cancel/wscancel.cfm",
            &[
                ("Billnumber", initial),
                ("Amount", "1.00"),
                ("Currency", "BYN"),
            ],
        )
        .await;
    assert_eq!(
        first(&cancel, "orderstate"),
        "PartialCanceled",
        "a cancel of a visible order is made: {cancel}"
    );
    let old = seeded().await;
    assert_eq!(
        (first(&old, "orderstate"), all(&old, "operationtype")),
        ("Approved".to_string(), vec!["100".to_string()]),
        "the cancel is not visible yet: {old}"
    );
    tokio::time::sleep(crate::PAST_LAG).await;
    let found = f.order_result("LAG-1").await;
    assert_eq!(
        (attr(&found, "count"), first(&found, "orderstate")),
        ("1".to_string(), "Approved".to_string()),
        "once the lag has passed the order shows"
    );
    let old = seeded().await;
    assert_eq!(
        (first(&old, "orderstate"), all(&old, "operationtype")),
        (
            "PartialCanceled".to_string(),
            vec!["100".to_string(), "300".to_string()]
        ),
        "and the cancel: {old}"
    );
}

#[tokio::test]
async fn with_the_reuse_knob_a_reused_order_number_charges_again() {
    let f = fixture(30).await;
    let good = f.customer(5, is_approver).await;
    let first_charge = f.token_pay(&good, "ORD-R", "10.00").await;
    assert_eq!(first(&first_charge, "orderstate"), "Approved");
    let refused = f.token_pay(&good, "ORD-R", "10.00").await;
    assert_eq!(
        codes(&refused),
        "11/107",
        "off (the default), a reused approved OrderNumber is refused as before"
    );
    assert_eq!(f.ledger().await.len(), 1, "and nothing more is charged");
    let knobs = crate::set_faults(
        &f.sandbox,
        json!({"assist_order_number_reuse_charges": true}),
    )
    .await;
    assert_eq!(
        knobs["assist_order_number_reuse_charges"], true,
        "the PUT echoes the knob"
    );
    let again = f.token_pay(&good, "ORD-R", "10.00").await;
    assert_eq!(
        first(&again, "orderstate"),
        "Approved",
        "on, it charges again"
    );
    assert_ne!(
        first(&again, "billnumber"),
        first(&first_charge, "billnumber"),
        "as a second, separate order"
    );
    let charges: Vec<Value> = f
        .ledger()
        .await
        .into_iter()
        .filter(|c| c["order_id"] == "ORD-R" && c["status"] == "approved")
        .collect();
    assert_eq!(
        charges.len(),
        2,
        "money moved twice under one OrderNumber: {charges:?}"
    );
    assert_eq!(
        attr(&f.order_result("ORD-R").await, "count"),
        "2",
        "orderresult lists both orders"
    );
}
