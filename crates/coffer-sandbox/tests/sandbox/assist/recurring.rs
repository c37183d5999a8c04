//! Recurring charges (`rp.cfm`) against the terms the initial order registered.

use super::*;

#[tokio::test]
async fn sandbox_initials_list_the_seeded_initial_orders_that_rp_cfm_accepts() {
    let f = fixture(30).await;
    let by = f.by.merchant_id.clone();
    let (status, all) = f
        .initials(&format!("merchant={by}&offset=0&limit=1000"))
        .await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all["merchant"], by.as_str());
    assert_eq!(all["offset"], 0);
    let listed = all["initials"].as_array().unwrap().clone();
    // Every seeded card with an initial order, in customer then card order.
    let expected: Vec<(Value, Value, Value)> = f
        .register(&f.by, 0, 30)
        .await
        .iter()
        .flat_map(|c| {
            c["cards"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|k| k["initial_billnumber"].is_string())
                .map(|k| {
                    (
                        c["customer_number"].clone(),
                        k["token"].clone(),
                        k["initial_billnumber"].clone(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(all["total"], expected.len());
    let got: Vec<(Value, Value, Value)> = listed
        .iter()
        .map(|e| {
            (
                e["customer"].clone(),
                e["token"].clone(),
                e["initial_ref"].clone(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    assert!(listed
        .iter()
        .all(|e| e["currency"] == f.by.currency.as_str()
            && (500..=2400).contains(&e["amount_minor"].as_i64().unwrap())));
    // The token is the One Click listing's own.
    let credentials =
        json!({"merchant_id": f.by.merchant_id, "login": f.by.login, "password": f.by.password});
    let cards = f
        .tokens(json!({"merchant": credentials, "customernumber": listed[0]["customer"]}))
        .await;
    assert!(
        cards
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["token"] == listed[0]["token"]),
        "{cards}"
    );

    // rp.cfm accepts a listed initial_ref, for the listed amount.
    let customer = f.customer(5, is_approver).await;
    let entry = listed
        .iter()
        .find(|e| e["token"] == customer["cards"][0]["token"])
        .expect("the seeded card is listed")
        .clone();
    let amount = format!(
        "{:.2}",
        entry["amount_minor"].as_i64().unwrap() as f64 / 100.0
    );
    let ok = f
        .by_post(
            "/recurrent/rp.cfm",
            &[
                ("BillNumber", entry["initial_ref"].as_str().unwrap()),
                ("OrderNumber", "LISTED-MIT-1"),
                ("Amount", &amount),
                ("Currency", "BYN"),
            ],
        )
        .await;
    assert_eq!(codes(&ok), "0/0", "{ok}");
    assert_eq!(first(&ok, "orderstate"), "Approved");
    assert_eq!(first(&ok, "amount"), amount);
    let (_, again) = f.initials(&format!("merchant={by}&limit=1000")).await;
    assert_eq!(
        again["initials"],
        json!(listed),
        "a charge against an initial changes nothing listed"
    );

    // Paging: windows of the full list; past the end is empty.
    let (_, window) = f.initials(&format!("merchant={by}&offset=5&limit=3")).await;
    assert_eq!(window["offset"], 5);
    assert_eq!(window["total"], all["total"]);
    assert_eq!(window["initials"], json!(listed[5..8]));
    let mut paged = Vec::new();
    for offset in (0..listed.len()).step_by(7) {
        let (_, page) = f
            .initials(&format!("merchant={by}&offset={offset}&limit=7"))
            .await;
        paged.extend(page["initials"].as_array().unwrap().iter().cloned());
    }
    assert_eq!(paged, listed, "pages put together give the whole list");
    let (_, past) = f
        .initials(&format!("merchant={by}&offset={}", listed.len()))
        .await;
    assert_eq!(past["initials"], json!([]));

    // Each merchant lists its own; an unknown one is 404.
    let (status, ru) = f
        .initials(&format!("merchant={}&limit=1", f.ru.merchant_id))
        .await;
    assert_eq!(status, 200);
    assert_eq!(ru["initials"][0]["currency"], "RUB");
    assert!(ru["initials"][0]["customer"]
        .as_str()
        .unwrap()
        .starts_with("RU-"));
    let (status, unknown) = f.initials("merchant=999999").await;
    assert_eq!(status, 404);
    assert!(unknown["error"].is_string(), "{unknown}");
}

#[tokio::test]
async fn a_seeded_one_click_initial_is_listed_as_such_and_rp_cfm_refuses_it() {
    let f = fixture(100).await;
    let by = f.by.merchant_id.clone();
    let (_, all) = f.initials(&format!("merchant={by}&limit=1000")).await;
    let listed = all["initials"].as_array().unwrap();
    let one_click: Vec<&Value> = listed.iter().filter(|e| e["kind"] == "one_click").collect();
    assert!(
        !one_click.is_empty(),
        "the demo shows at least one card whose initial was a One Click payment"
    );
    assert!(
        listed
            .iter()
            .all(|e| e["kind"] == "one_click" || e["kind"] == "recurring"),
        "every initial names its kind: {all}"
    );
    let entry = one_click[0];
    let amount = format!(
        "{:.2}",
        entry["amount_minor"].as_i64().unwrap() as f64 / 100.0
    );
    let refused = f
        .by_post(
            "/recurrent/rp.cfm",
            &[
                ("BillNumber", entry["initial_ref"].as_str().unwrap()),
                ("OrderNumber", "ONE-CLICK-MIT-1"),
                ("Amount", &amount),
                ("Currency", "BYN"),
            ],
        )
        .await;
    assert_eq!(
        codes(&refused),
        "15/320",
        "a One Click order registered no recurring terms: rp.cfm refuses it: {refused}"
    );
    let looked_up = f.order_result("ONE-CLICK-MIT-1").await;
    assert_eq!(
        attr(&looked_up, "count"),
        "0",
        "nothing was charged: {looked_up}"
    );
    // Its token still pays with the cardholder present (Token Pay).
    let credentials =
        json!({"merchant_id": f.by.merchant_id, "login": f.by.login, "password": f.by.password});
    let cards = f
        .tokens(json!({"merchant": credentials, "customernumber": entry["customer"]}))
        .await;
    assert!(
        cards
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["token"] == entry["token"]),
        "the One Click card is in the listing: {cards}"
    );
}

#[tokio::test]
async fn recurring_charges_follow_the_initial_orders_terms() {
    let f = fixture(30).await;
    let customer = f.customer(5, is_approver).await;
    let initial = customer["cards"][0]["initial_billnumber"]
        .as_str()
        .unwrap()
        .to_string();
    let fr = &f;
    let rp = |order: &'static str, amount: &'static str, currency: &'static str, bill: String| async move {
        fr.by_post(
            "/recurrent/rp.cfm",
            &[
                ("BillNumber", &bill),
                ("OrderNumber", order),
                ("Amount", amount),
                ("Currency", currency),
            ],
        )
        .await
    };
    assert_eq!(
        codes(&rp("MIT-0", "500.01", "BYN", initial.clone()).await),
        "5/108",
        "above RecurringMaxAmount"
    );
    assert_eq!(
        codes(&rp("MIT-0", "0.99", "BYN", initial.clone()).await),
        "5/108",
        "below RecurringMinAmount"
    );
    assert_eq!(
        codes(&rp("MIT-0", "10.00", "RUB", initial.clone()).await),
        "5/105",
        "another currency"
    );
    assert_eq!(
        codes(&rp("MIT-0", "10.00", "BYN", "7199999999999999".into()).await),
        "10/143",
        "unknown billnumber"
    );
    assert_eq!(
        codes(&rp("MIT-0", "10.00", "BYN", "12345".into()).await),
        "4/143"
    );

    let ok = rp("MIT-1", "29", "BYN", format!("{initial}.1")).await;
    assert_eq!(codes(&ok), "0/0", "{ok}");
    assert_eq!(first(&ok, "orderstate"), "Approved");
    assert_eq!(first(&ok, "responsecode"), "AS000");
    assert_eq!(first(&ok, "amount"), "29.00");
    let mit_bill = first(&ok, "billnumber");
    assert_ne!(mit_bill, initial, "each MIT gets its own billnumber");
    assert!(
        ok.contains("<orders><order>"),
        "rp.cfm wraps the order in <orders>"
    );

    assert_eq!(
        codes(&rp("MIT-2", "29", "BYN", initial.clone()).await),
        "15/320",
        "sooner than RecurringPeriod"
    );
    assert_eq!(
        codes(&rp("MIT-3", "29", "BYN", mit_bill.clone()).await),
        "15/320",
        "a MIT is no initial order"
    );
    f.rules(json!({"enforce_period": false})).await;
    assert_eq!(
        first(
            &rp("MIT-4", "29", "BYN", initial.clone()).await,
            "orderstate"
        ),
        "Approved",
        "switch: period not enforced"
    );
    f.rules(json!({"recurring_violation_as_error": false}))
        .await;
    let declined = rp("MIT-5", "600", "BYN", initial.clone()).await;
    assert_eq!(
        (
            first(&declined, "orderstate").as_str(),
            first(&declined, "responsecode").as_str()
        ),
        ("Declined", "AS100"),
        "switch: violations as declines"
    );

    let ledger = f.ledger().await;
    let mit = ledger
        .iter()
        .find(|c| c["id"] == mit_bill.as_str())
        .unwrap();
    assert_eq!(
        mit["stored_credential"]["BillNumber"],
        format!("{initial}.1"),
        "the link to the initial order, as received"
    );
    assert_eq!(mit["card_token"], customer["cards"][0]["token"]);

    let seeded = f
        .by_post(
            "/orderresult/orderresult.cfm",
            &[
                (
                    "Ordernumber",
                    customer["cards"][0]["initial_ordernumber"]
                        .as_str()
                        .unwrap(),
                ),
                ("StartYear", "2000"),
            ],
        )
        .await;
    assert_eq!(
        attr(&seeded, "count"),
        "1",
        "the seeded initial order is listed when the window reaches it"
    );
    assert_eq!(first(&seeded, "billnumber"), initial);
    let default_window = f
        .order_result(
            customer["cards"][0]["initial_ordernumber"]
                .as_str()
                .unwrap(),
        )
        .await;
    assert_eq!(
        attr(&default_window, "count"),
        "0",
        "older than the 3-day default window"
    );
}

#[tokio::test]
async fn rp_cfm_refuses_an_initial_not_registered_as_recurring_whatever_terms_it_carries() {
    let f = fixture(30).await;
    let customer = f.customer(5, is_approver).await;
    let cit = f.token_pay(&customer, "INIT-NEW", "5.00").await;
    let bill = first(&cit, "billnumber");
    let bare = f
        .by_post(
            "/recurrent/rp.cfm",
            &[
                ("BillNumber", &bill),
                ("OrderNumber", "M-1"),
                ("Amount", "5"),
                ("Currency", "BYN"),
            ],
        )
        .await;
    assert_eq!(
        codes(&bare),
        "15/320",
        "a Token Pay order registered no recurring terms: not a recurring initial"
    );
    let with_terms = f
        .by_post(
            "/recurrent/rp.cfm",
            &[
                ("BillNumber", &bill),
                ("OrderNumber", "M-2"),
                ("Amount", "5"),
                ("Currency", "BYN"),
                ("RecurringIndicator", "1"),
                ("RecurringMinAmount", "1"),
                ("RecurringMaxAmount", "50"),
                ("RecurringPeriod", "30"),
                ("RecurringMaxDate", "31.12.2099"),
            ],
        )
        .await;
    assert_eq!(
        codes(&with_terms),
        "15/320",
        "terms are registered on the payment page, never by rp.cfm (rp.cfm has no Recurring* parameters)"
    );
    assert!(
        f.ledger().await.iter().all(|c| c["order_id"] != "M-2"),
        "nothing was charged"
    );

    let seeded = f.customer(5, is_approver).await;
    let initial = seeded["cards"][0]["initial_billnumber"].as_str().unwrap();
    let ignored = f
        .by_post(
            "/recurrent/rp.cfm",
            &[
                ("BillNumber", initial),
                ("OrderNumber", "M-3"),
                ("Amount", "29"),
                ("Currency", "BYN"),
                ("RecurringMaxAmount", "10"),
            ],
        )
        .await;
    assert_eq!(
        first(&ignored, "orderstate"),
        "Approved",
        "the registered maximum (500) applies, not the one the request names: {ignored}"
    );
    let ledger = f.ledger().await;
    let row = ledger.iter().find(|c| c["order_id"] == "M-3").unwrap();
    assert!(
        row["warnings"][0]
            .as_str()
            .unwrap()
            .contains("not rp.cfm parameters"),
        "the ledger says the Recurring* field was ignored: {row}"
    );
}

#[tokio::test]
async fn with_the_reuse_knob_an_rp_cfm_charge_on_a_used_order_number_charges_again() {
    let f = fixture(30).await;
    // The 30-day RecurringPeriod would refuse a second charge of the series on its own.
    f.rules(json!({"enforce_period": false})).await;
    let good = f.customer(5, is_approver).await;
    let initial = good["cards"][0]["initial_billnumber"].as_str().unwrap();
    let fixture = &f;
    let charge = move |order: &'static str| async move {
        fixture
            .by_post(
                "/recurrent/rp.cfm",
                &[
                    ("BillNumber", initial),
                    ("OrderNumber", order),
                    ("Amount", "5.00"),
                    ("Currency", "BYN"),
                ],
            )
            .await
    };
    let made = charge("RP-R").await;
    assert_eq!(first(&made, "orderstate"), "Approved", "{made}");
    assert_eq!(
        codes(&charge("RP-R").await),
        "11/107",
        "off, rp.cfm refuses the reused OrderNumber"
    );
    crate::set_faults(
        &f.sandbox,
        json!({"assist_order_number_reuse_charges": true}),
    )
    .await;
    let again = charge("RP-R").await;
    assert_eq!(
        first(&again, "orderstate"),
        "Approved",
        "on, it charges again"
    );
    let charges = f
        .ledger()
        .await
        .into_iter()
        .filter(|c| c["order_id"] == "RP-R" && c["status"] == "approved")
        .count();
    assert_eq!(charges, 2, "two recurring charges under one OrderNumber");
}
