//! `PaymentCancel.pmt`: refunds in part and in full, and payments after settlement.

use super::*;

#[tokio::test]
async fn cancel_refunds_partly_then_fully_and_refuses_what_is_not_left() {
    let svea = start(60).await;
    let (token, cap) = svea.card("approve").await;
    let seller = svea.seller().id.clone();
    svea.post(
        "/NewChargeWithTokenActionExtended.pmt",
        &charge_form(&seller, "R1", &cap, &token),
        Auth::Basic,
    )
    .await;
    let partial = svea
        .post(
            "/PaymentCancel.pmt",
            &cancel_form(&seller, "R1", &cap, "PARTIAL_REFUND", Some("1,00")),
            Auth::Hash("SHA-256"),
        )
        .await;
    assert_eq!(
        partial.field("pmtc_returncode").unwrap(),
        "00",
        "{}",
        partial.body
    );
    let names = [
        "pmtc_action",
        "pmtc_version",
        "pmtc_sellerid",
        "pmtc_id",
        "pmtc_returntext",
        "pmtc_returncode",
    ];
    let values: Vec<String> = names.iter().map(|n| partial.field(n).unwrap()).collect();
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    assert_eq!(
        partial.field("pmtc_hash").unwrap(),
        hex_hash("SHA-256", &hash_string(&refs, &svea.seller().secret)),
        "text before code in the cancel hash"
    );
    assert_eq!(
        svea.status("R1").await.field("pmtq_returncode").unwrap(),
        "92"
    );
    let wrong_original = svea
        .post(
            "/PaymentCancel.pmt",
            &cancel_form(&seller, "R1", "1,00", "FULL_REFUND", None),
            Auth::Basic,
        )
        .await;
    assert_eq!(wrong_original.field("pmtc_returncode").unwrap(), "90");
    assert!(wrong_original.has_error("pmtc_amount", "field"));
    let full_with_amount = svea
        .post(
            "/PaymentCancel.pmt",
            &cancel_form(&seller, "R1", &cap, "FULL_REFUND", Some("1,00")),
            Auth::Basic,
        )
        .await;
    assert!(
        full_with_amount.has_error("pmtc_cancelamount", "field"),
        "a full refund names no amount"
    );
    let rest = svea
        .post(
            "/PaymentCancel.pmt",
            &cancel_form(&seller, "R1", &cap, "FULL_REFUND", None),
            Auth::Basic,
        )
        .await;
    assert_eq!(rest.field("pmtc_returncode").unwrap(), "00");
    assert_eq!(
        svea.status("R1").await.field("pmtq_returncode").unwrap(),
        "99",
        "fully refunded"
    );
    let nothing = svea
        .post(
            "/PaymentCancel.pmt",
            &cancel_form(&seller, "R1", &cap, "PARTIAL_REFUND", Some("1,00")),
            Auth::Basic,
        )
        .await;
    assert_eq!(nothing.field("pmtc_returncode").unwrap(), "99");
    let unknown = svea
        .post(
            "/PaymentCancel.pmt",
            &cancel_form(&seller, "NOPE", "1,00", "FULL_REFUND", None),
            Auth::Basic,
        )
        .await;
    assert_eq!(unknown.field("pmtc_returncode").unwrap(), "20");
    let refunds: Vec<i64> = svea
        .ledger()
        .await
        .iter()
        .filter(|c| c["kind"] == "refund")
        .map(|c| c["amount_minor"].as_i64().unwrap())
        .collect();
    let cents = cap.replace(',', "").parse::<i64>().unwrap();
    assert_eq!(refunds, [100, cents - 100]);
}

#[tokio::test]
async fn settled_payments_need_refund_after_settlement() {
    let svea = start(60).await;
    let (token, cap) = svea.card("approve").await;
    let seller = svea.seller().id.clone();
    svea.post(
        "/NewChargeWithTokenActionExtended.pmt",
        &charge_form(&seller, "S1", &cap, &token),
        Auth::Basic,
    )
    .await;
    let settled = svea
        .http
        .post(format!("{}/__sandbox/settle", svea.base))
        .form(&[("seller_id", seller.as_str()), ("pmt_id", "S1")])
        .send()
        .await
        .unwrap();
    assert_eq!(settled.status(), 200);
    assert_eq!(
        svea.status("S1").await.field("pmtq_returncode").unwrap(),
        "40"
    );
    let cancel = svea
        .post(
            "/PaymentCancel.pmt",
            &cancel_form(&seller, "S1", &cap, "FULL_REFUND", None),
            Auth::Basic,
        )
        .await;
    assert_eq!(cancel.field("pmtc_returncode").unwrap(), "30");
    let after = svea
        .post(
            "/PaymentCancel.pmt",
            &cancel_form(&seller, "S1", &cap, "REFUND_AFTER_SETTLEMENT", Some(&cap)),
            Auth::Basic,
        )
        .await;
    assert_eq!(
        after.field("pmtc_returncode").unwrap(),
        "00",
        "{}",
        after.body
    );
    assert_eq!(after.field("pmtc_pay_with_amount").unwrap(), cap);
    assert!(after.field("pmtc_pay_with_iban").unwrap().starts_with("FI"));
}

#[tokio::test]
async fn a_settlement_run_settles_payments_paid_before_its_date_so_a_cancel_answers_30() {
    let svea = start(60).await;
    let (token, cap) = svea.card("approve").await;
    let seller = svea.seller().id.clone();
    svea.post(
        "/NewChargeWithTokenActionExtended.pmt",
        &charge_form(&seller, "RUN1", &cap, &token),
        Auth::Basic,
    )
    .await;
    let settle = |before: String| {
        let url = format!("{}/__sandbox/settle", svea.base);
        let seller = seller.clone();
        let http = svea.http.clone();
        async move {
            http.post(url)
                .form(&[
                    ("seller_id", seller.as_str()),
                    ("paid_before", before.as_str()),
                ])
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        settle(today()).await,
        "settled 0",
        "paid today: not before today"
    );
    assert_eq!(
        svea.status("RUN1").await.field("pmtq_returncode").unwrap(),
        "30"
    );
    let tomorrow = (chrono::Utc::now().with_timezone(&chrono_tz::Europe::Helsinki)
        + chrono::Duration::days(1))
    .format("%d.%m.%Y")
    .to_string();
    assert_eq!(settle(tomorrow).await, "settled 1");
    assert_eq!(
        svea.status("RUN1").await.field("pmtq_returncode").unwrap(),
        "40"
    );
    let cancel = svea
        .post(
            "/PaymentCancel.pmt",
            &cancel_form(&seller, "RUN1", &cap, "FULL_REFUND", None),
            Auth::Basic,
        )
        .await;
    assert_eq!(cancel.field("pmtc_returncode").unwrap(), "30");
}
