//! `PaymentStatusQuery.pmt`: unknown ids, answer hashes, and what a lagged lookup shows.

use super::*;

#[tokio::test]
async fn status_query_answers_unknown_ids_with_00_and_hashes_per_the_notes() {
    let svea = start(60).await;
    let seller = svea.seller();
    let unknown = svea
        .post(
            "/PaymentStatusQuery.pmt",
            &svea.status_form("NOPE1"),
            Auth::Hash("SHA-256"),
        )
        .await;
    assert_eq!(unknown.status, 200, "{}", unknown.body);
    assert!(unknown.body.contains("<pmtq>"));
    assert_eq!(unknown.field("pmtq_returncode").unwrap(), "00");
    assert_eq!(unknown.field("pmtq_amount").unwrap(), "0,00");
    assert_eq!(
        unknown.field("pmtq_returntext").unwrap(),
        "No payment found with specified data",
        "Svea's own words for an unknown payment (DOCS page 1657014098)"
    );
    let basic = svea.status("NOPE2").await;
    assert_eq!(basic.field("pmtq_returncode").unwrap(), "00");
    assert_eq!(
        basic.field("pmtq_hash"),
        None,
        "Svea's unknown-payment answer to a Basic request has no hash: {}",
        basic.body
    );
    assert_eq!(
        basic.field("pmtq_orderid"),
        None,
        "nor an order id: there is no order"
    );
    let names = [
        "pmtq_action",
        "pmtq_version",
        "pmtq_sellerid",
        "pmtq_id",
        "pmtq_amount",
        "pmtq_returncode",
        "pmtq_returntext",
    ];
    let values: Vec<String> = names.iter().map(|n| unknown.field(n).unwrap()).collect();
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    assert_eq!(
        unknown.field("pmtq_hash").unwrap(),
        hex_hash("SHA-256", &hash_string(&refs, &seller.secret))
    );

    let (token, cap) = svea.card("approve").await;
    svea.post(
        "/NewChargeWithTokenActionExtended.pmt",
        &charge_form(&seller.id, "Q1", &cap, &token),
        Auth::Basic,
    )
    .await;
    let paid = svea
        .post(
            "/PaymentStatusQuery.pmt",
            &svea.status_form("Q1"),
            Auth::Hash("SHA-512"),
        )
        .await;
    let names = [
        "pmtq_action",
        "pmtq_version",
        "pmtq_sellerid",
        "pmtq_id",
        "pmtq_amount",
        "pmtq_returncode",
        "pmtq_returntext",
        "pmtq_sellercosts",
        "pmtq_paymentmethod",
        "pmtq_escrow",
        "pmtq_certification",
        "pmtq_paymentdate",
    ];
    let values: Vec<String> = names.iter().map(|n| paid.field(n).unwrap()).collect();
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    assert_eq!(
        paid.field("pmtq_hash").unwrap(),
        hex_hash("SHA-512", &hash_string(&refs, &seller.secret))
    );
    assert_eq!(paid.field("pmtq_orderid").unwrap(), "CONTRACT-42-2026-01");
    assert_eq!(
        paid.field("pmtq_token_debit_limit").unwrap(),
        cap,
        "the cap is the original amount"
    );
    assert_eq!(paid.field("pmtq_token_expiration_month").unwrap().len(), 2);
    assert!(
        paid.field("pmtq_token").unwrap().ends_with("****"),
        "the token is masked"
    );
    assert_eq!(paid.field("pmtq_card_number_masked").unwrap().len(), 4);
    let bad = svea
        .post(
            "/PaymentStatusQuery.pmt",
            &{
                let mut f = svea.status_form("Q1");
                set(&mut f, "pmtq_version", "0004");
                f
            },
            Auth::Basic,
        )
        .await;
    assert!(bad.has_error("pmtq_version", "field"));
}

#[tokio::test]
async fn status_queries_under_lag_show_a_charge_and_a_refund_only_once_they_are_old_enough() {
    let svea = start(60).await;
    let seller = svea.seller().id.clone();
    let (token, cap, _) = svea.nth_card("approve", 0).await;
    let (_, initial_amount, initial) = svea.nth_card("approve", 1).await;
    let knobs = crate::set_faults(
        &svea.sandbox,
        serde_json::json!({"lookup_lag_secs": crate::LAG_SECS}),
    )
    .await;
    assert_eq!(
        knobs["lookup_lag_secs"],
        crate::LAG_SECS,
        "the PUT echoes the knob"
    );
    let charged = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "LAG1", &cap, &token),
            Auth::Basic,
        )
        .await;
    assert_eq!(
        (charged.status, charged.field("pmt_id")),
        (200, Some("LAG1".to_string())),
        "the write itself is not lagged: {}",
        charged.body
    );
    let fresh = svea.status("LAG1").await;
    let unknown = svea.status("NEVER1").await;
    for field in ["pmtq_returncode", "pmtq_returntext", "pmtq_amount"] {
        assert_eq!(
            fresh.field(field),
            unknown.field(field),
            "a fresh charge answers like an unknown payment ({field})"
        );
    }
    assert_eq!(fresh.field("pmtq_orderid"), None, "{}", fresh.body);
    assert_eq!(
        svea.status(&initial)
            .await
            .field("pmtq_returncode")
            .unwrap(),
        "40",
        "a payment made long before shows as usual (settled)"
    );
    let refund = svea
        .post(
            "/PaymentCancel.pmt",
            &cancel_form(
                &seller,
                &initial,
                &initial_amount,
                "REFUND_AFTER_SETTLEMENT",
                Some("1,00"),
            ),
            Auth::Basic,
        )
        .await;
    assert_eq!(
        refund.field("pmtc_returncode").unwrap(),
        "00",
        "a refund of a visible payment is made: {}",
        refund.body
    );
    assert_eq!(
        svea.status(&initial)
            .await
            .field("pmtq_returncode")
            .unwrap(),
        "40",
        "the refund extent is as before the refund"
    );
    tokio::time::sleep(crate::PAST_LAG).await;
    assert_eq!(
        svea.status("LAG1").await.field("pmtq_returncode").unwrap(),
        "30",
        "once the lag has passed the charge shows paid"
    );
    assert_eq!(
        svea.status(&initial)
            .await
            .field("pmtq_returncode")
            .unwrap(),
        "92",
        "and the refund shows"
    );
}
