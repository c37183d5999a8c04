//! Assist's credentials (Merchant_ID, Login, Password) and the web-service errors of a
//! malformed request.

use super::*;

#[tokio::test]
async fn bad_credentials_are_refused_with_firstcode_7() {
    let f = fixture(1).await;
    let unknown = f
        .post(
            "/orderresult/orderresult.cfm",
            &[
                ("Merchant_ID", "699999"),
                ("Login", &f.by.login),
                ("Password", &f.by.password),
                ("Ordernumber", "x"),
                ("Format", "3"),
            ],
        )
        .await;
    assert_eq!(codes(&unknown), "7/100");
    let wrong = f
        .post(
            "/orderresult/orderresult.cfm",
            &[
                ("Merchant_ID", &f.by.merchant_id),
                ("Login", &f.by.login),
                ("Password", "Wrong1234"),
                ("Ordernumber", "x"),
                ("Format", "3"),
            ],
        )
        .await;
    assert_eq!(codes(&wrong), "7/141");
    let someone_elses = f
        .post(
            "/orderresult/orderresult.cfm",
            &[
                ("Merchant_ID", &f.by.merchant_id),
                ("Login", &f.ru.login),
                ("Password", &f.ru.password),
                ("Ordernumber", "x"),
            ],
        )
        .await;
    assert_eq!(
        codes(&someone_elses),
        "7/141",
        "another merchant's login does not open this one"
    );
    let missing = f
        .post(
            "/orderresult/orderresult.cfm",
            &[("Login", &f.by.login), ("Ordernumber", "x")],
        )
        .await;
    assert_eq!(codes(&missing), "3/100");
    let ok = f.order_result("never-used").await;
    assert_eq!(codes(&ok), "0/0");
    assert_eq!(
        attr(&ok, "count"),
        "0",
        "nothing under an unused order number"
    );
}

#[tokio::test]
async fn malformed_and_missing_fields_get_web_service_errors() {
    let f = fixture(30).await;
    let good = f.customer(5, is_approver).await;
    let token =
        json!({"Token": good["cards"][0]["token"], "CustomerNumber": good["customer_number"]})
            .to_string();
    let pay = |extra: Vec<(&'static str, String)>| {
        let mut form: Vec<(&str, String)> = vec![
            ("OrderNumber", "V-1".into()),
            ("OrderAmount", "10.00".into()),
            ("TokenType", "5".into()),
            ("PaymentToken", token.clone()),
        ];
        for (k, v) in extra {
            form.retain(|(name, _)| *name != k);
            form.push((k, v));
        }
        form
    };
    let cases: Vec<(Vec<(&'static str, String)>, &str)> = vec![
        (vec![("OrderAmount", "10,34".into())], "4/108"),
        (vec![("OrderAmount", "0".into())], "5/108"),
        (vec![("OrderAmount", "".into())], "3/108"),
        (vec![("OrderNumber", "".into())], "3/107"),
        (vec![("OrderNumber", "x".repeat(129))], "4/107"),
        (vec![("OrderCurrency", "BY".into())], "4/105"),
        (vec![("OrderCurrency", "RUB".into())], "5/105"),
        (vec![("Delay", "2".into())], "4/109"),
        (vec![("Format", "4".into())], "6/103"),
        (vec![("PaymentToken", "{not json".into())], "4/306"),
        (vec![("TokenType", "2".into())], "15/306"),
    ];
    for (extra, expected) in cases {
        let form = pay(extra.clone());
        let borrowed: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let answer = f.by_post("/pay/tokenpay.cfm", &borrowed).await;
        assert_eq!(codes(&answer), expected, "{extra:?}");
    }
    let forged = json!({"Token": "00000000-0001-4000-a000-000000000001", "CustomerNumber": good["customer_number"]}).to_string();
    let unknown = f
        .by_post(
            "/pay/tokenpay.cfm",
            &[
                ("OrderNumber", "V-2"),
                ("OrderAmount", "1"),
                ("TokenType", "5"),
                ("PaymentToken", &forged),
            ],
        )
        .await;
    assert_eq!(
        (
            first(&unknown, "orderstate").as_str(),
            first(&unknown, "responsecode").as_str()
        ),
        ("Declined", "AS100")
    );
    let others =
        json!({"Token": good["cards"][0]["token"], "CustomerNumber": "BY-000001"}).to_string();
    let stolen = f
        .by_post(
            "/pay/tokenpay.cfm",
            &[
                ("OrderNumber", "V-3"),
                ("OrderAmount", "1"),
                ("TokenType", "5"),
                ("PaymentToken", &others),
            ],
        )
        .await;
    assert_eq!(
        first(&stolen, "responsecode"),
        "AS100",
        "a token works only with its own customer"
    );
    f.rules(json!({"unknown_token_as_error": true})).await;
    let as_error = f
        .by_post(
            "/pay/tokenpay.cfm",
            &[
                ("OrderNumber", "V-4"),
                ("OrderAmount", "1"),
                ("TokenType", "5"),
                ("PaymentToken", &forged),
            ],
        )
        .await;
    assert_eq!(codes(&as_error), "10/201");
    let cof = f
        .http
        .put(format!("{}/__sandbox/cof", f.base))
        .json(&json!({"merchant_id": f.by.merchant_id, "cit_cof": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(cof.status(), 200);
    let no_cof = f
        .by_post(
            "/pay/tokenpay.cfm",
            &[
                ("OrderNumber", "V-5"),
                ("OrderAmount", "1"),
                ("TokenType", "5"),
                ("PaymentToken", &token),
            ],
        )
        .await;
    assert_eq!(codes(&no_cof), "15/306", "Token Pay fails without CIT COF");
    let missing_page = f
        .http
        .post(format!("{}/pay/nothing.cfm", f.base))
        .send()
        .await
        .unwrap();
    assert_eq!(missing_page.status(), 404);
}
