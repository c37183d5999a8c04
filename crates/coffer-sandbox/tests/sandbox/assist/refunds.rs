//! Cancels: full and partial refunds within Assist's rules.

use super::*;

#[tokio::test]
async fn cancels_refund_fully_or_partly_within_the_rules() {
    let f = fixture(30).await;
    let customer = f.customer(5, is_approver).await;
    let paid = f.token_pay(&customer, "REF-1", "25.90").await;
    let bill = first(&paid, "billnumber");
    let cancel = |extra: Vec<(&'static str, String)>| {
        let bill = bill.clone();
        let f = &f;
        async move {
            let mut form: Vec<(&str, String)> = vec![("Billnumber", bill)];
            form.extend(extra);
            let borrowed: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            f.by_post("/cancel/wscancel.cfm", &borrowed).await
        }
    };
    assert_eq!(
        codes(&cancel(vec![("Amount", "1.00".into())]).await),
        "3/105",
        "Amount without Currency"
    );
    assert_eq!(
        codes(&cancel(vec![("Currency", "BYN".into())]).await),
        "3/108",
        "Currency without Amount"
    );
    assert_eq!(
        codes(&cancel(vec![("Amount", "1.00".into()), ("Currency", "RUB".into())]).await),
        "5/105"
    );
    assert_eq!(
        codes(&cancel(vec![("Amount", "30.00".into()), ("Currency", "BYN".into())]).await),
        "5/108",
        "more than was paid"
    );
    let json_cancel = |id: &'static str| {
        let body = json!({
            "Billnumber": bill,
            "Merchant_ID": f.by.merchant_id,
            "Login": f.by.login,
            "Password": f.by.password,
            "Amount": "5.00",
            "Currency": "BYN",
            "Externalrefundid": id,
        });
        let f = &f;
        async move {
            f.http
                .post(format!("{}/cancel/wscancel.cfm", f.base))
                .json(&body)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let partial = json_cancel("RF-0000000001").await;
    assert_eq!(
        (
            partial["firstcode"].as_str(),
            partial["secondcode"].as_str()
        ),
        (Some("0"), Some("0")),
        "a JSON request is answered in JSON: {partial}"
    );
    let order = &partial["orders"]["order"][0];
    assert_eq!(order["orderstate"], "PartialCanceled");
    assert_eq!(
        order["operation"][1]["billnumber"],
        format!("{bill}.2"),
        "the cancel is operation 2"
    );
    let repeat = json_cancel("RF-0000000001").await;
    assert_eq!(
        (repeat["firstcode"].as_str(), repeat["secondcode"].as_str()),
        (Some("11"), Some("301")),
        "in JSON a repeated Externalrefundid refunds nothing: {repeat}"
    );
    let in_a_form = cancel(vec![
        ("Amount", "5.00".into()),
        ("Currency", "BYN".into()),
        ("Externalrefundid", "RF-0000000001".into()),
    ])
    .await;
    assert_eq!(
        codes(&in_a_form),
        "0/0",
        "in a form post Externalrefundid is not a parameter (docs: JSON and SOAP only), so the \
         same id refunds again: {in_a_form}"
    );
    assert_eq!(
        codes(&cancel(vec![("Amount", "15.91".into()), ("Currency", "BYN".into())]).await),
        "5/108",
        "only 15.90 is left"
    );
    let rest = f
        .by_post("/cancel/cancel.cfm", &[("Billnumber", &bill)])
        .await;
    assert_eq!(
        first(&rest, "orderstate"),
        "Canceled",
        "no amount: the rest, on the plain-POST path too"
    );
    assert_eq!(first(&rest, "amount"), "15.90");
    assert_eq!(
        codes(&cancel(vec![]).await),
        "15/308",
        "nothing left to cancel"
    );
    let refunds: Vec<i64> = f
        .ledger()
        .await
        .iter()
        .filter(|c| c["kind"] == "refund")
        .map(|c| c["amount_minor"].as_i64().unwrap())
        .collect();
    assert_eq!(refunds, [500, 500, 1590]);
    let warned = f
        .ledger()
        .await
        .into_iter()
        .filter(|c| c["kind"] == "refund")
        .filter(|c| !c["warnings"].as_array().unwrap().is_empty())
        .count();
    assert_eq!(
        warned, 1,
        "the ledger notes the Externalrefundid a form post ignored"
    );
    let declined = f
        .token_pay(&f.register(&f.by, 0, 1).await[0], "REF-2", "5")
        .await;
    let refused = f
        .by_post(
            "/cancel/wscancel.cfm",
            &[("Billnumber", &first(&declined, "billnumber"))],
        )
        .await;
    assert_eq!(
        codes(&refused),
        "15/308",
        "a declined order has nothing to cancel"
    );
}
