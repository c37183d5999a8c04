//! Token charges (`pmt_version` 4204): the answers, field errors, the token rules and the test
//! cards.

use super::*;

#[tokio::test]
async fn token_charge_with_basic_auth_answers_xml_over_the_padded_reference_without_a_hash() {
    let svea = start(60).await;
    let (token, cap) = svea.card("approve").await;
    let form = charge_form(&svea.seller().id, "MIT0001", &cap, &token);
    let answer = svea
        .post("/NewChargeWithTokenActionExtended.pmt", &form, Auth::Basic)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.content_type, "text/xml; charset=UTF-8");
    assert!(
        answer.body.contains("<chargeWithTokenResponse>"),
        "{}",
        answer.body
    );
    assert_eq!(
        answer.field("pmt_reference").unwrap(),
        "00000000000010000427",
        "technical format"
    );
    assert_eq!(answer.field("pmt_amount").unwrap(), cap);
    assert_eq!(answer.field("pmt_token").unwrap(), token);
    assert_eq!(
        answer.field("pmt_hash"),
        None,
        "a Basic request gets an answer without a hash, as Svea's S2S answers show: {}",
        answer.body
    );
    // A pmt_hashversion sent with Basic anyway (Svea asks to leave it out) changes nothing.
    let mut named = charge_form(&svea.seller().id, "MIT0002", &cap, &token);
    set(&mut named, "pmt_hashversion", "SHA-512");
    let again = svea
        .post("/NewChargeWithTokenActionExtended.pmt", &named, Auth::Basic)
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.field("pmt_hash"), None, "{}", again.body);
    let ledger = svea.ledger().await;
    assert_eq!(ledger.len(), 2, "MIT0001 and MIT0002 were charged");
    assert_eq!(ledger[0]["order_id"], "MIT0001");
    assert_eq!(ledger[0]["status"], "approved");
    assert_eq!(ledger[0]["stored_credential"]["pmt_version"], "4204");
    let status = svea.status("MIT0001").await;
    assert_eq!(
        status.field("pmtq_returncode").unwrap(),
        "30",
        "a token charge is paid at once"
    );
    assert!(status.field("pmtq_paymentdate").unwrap().len() == 10);
}

#[tokio::test]
async fn token_charge_with_request_hash_uses_the_named_algorithm_and_accepts_lower_case() {
    let svea = start(60).await;
    let listing = svea.tokens(5, 55).await;
    let approve: Vec<(String, String)> = listing["customers"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["cards"].as_array().unwrap().clone())
        .filter(|c| c["behaviour"] == "approve" && !c["pmt_token"].is_null())
        .filter(|c| {
            c["exp_year"].as_i64().unwrap() * 12 + c["exp_month"].as_i64().unwrap()
                >= chrono_months_now()
        })
        .map(|c| {
            (
                c["pmt_token"].as_str().unwrap().into(),
                c["initial"]["amount"].as_str().unwrap().into(),
            )
        })
        .collect();
    for (n, version) in ["SHA-256", "SHA-512", "MD5"].iter().enumerate() {
        let (token, cap) = &approve[n];
        let mut form = charge_form(&svea.seller().id, &format!("HASH{n}"), cap, token);
        if *version == "MD5" {
            let hash = format!(
                "{:x}",
                md5::Md5::digest(
                    hash_string(
                        &PAYMENT_HASH_ORDER
                            .iter()
                            .filter_map(|f| get(&form, f))
                            .collect::<Vec<_>>(),
                        &svea.seller().secret,
                    )
                    .as_bytes()
                )
            );
            set(&mut form, "pmt_hashversion", "MD5");
            set(&mut form, "pmt_hash", &hash);
            let answer = svea
                .post("/NewChargeWithTokenActionExtended.pmt", &form, Auth::None)
                .await;
            assert_eq!(
                answer.status, 200,
                "lower-case MD5 hex is accepted: {}",
                answer.body
            );
            assert_eq!(
                answer.field("pmt_hash").unwrap().len(),
                32,
                "the answer uses MD5 too"
            );
            continue;
        }
        let answer = svea
            .post(
                "/NewChargeWithTokenActionExtended.pmt",
                &form,
                Auth::Hash(version),
            )
            .await;
        assert_eq!(answer.status, 200, "{version}: {}", answer.body);
        assert_eq!(
            answer.field("pmt_hash").unwrap(),
            charge_answer_hash(&answer, version, &svea.seller().secret)
        );
    }
}

#[tokio::test]
async fn field_errors_name_the_field() {
    let svea = start(60).await;
    let (token, cap) = svea.card("approve").await;
    let seller = svea.seller().id.clone();
    type Edit = Box<dyn Fn(&mut Form)>;
    let cases: Vec<(&str, Edit)> = vec![
        (
            "pmt_amount",
            Box::new(|f: &mut Form| set(f, "pmt_amount", "568.10")),
        ),
        (
            "pmt_currency",
            Box::new(|f: &mut Form| set(f, "pmt_currency", "USD")),
        ),
        (
            "pmt_reference",
            Box::new(|f: &mut Form| set(f, "pmt_reference", "10000428")),
        ),
        (
            "pmt_duedate",
            Box::new(|f: &mut Form| set(f, "pmt_duedate", "2026-01-15")),
        ),
        (
            "pmt_userlocale",
            Box::new(|f: &mut Form| set(f, "pmt_userlocale", "de_DE")),
        ),
        ("pmt_rows", Box::new(|f: &mut Form| set(f, "pmt_rows", "2"))),
        (
            "pmt_row_price_gross1",
            Box::new(|f: &mut Form| set(f, "pmt_row_price_net1", "1,00")),
        ),
        (
            "pmt_amount",
            Box::new(|f: &mut Form| set(f, "pmt_row_price_gross1", "1,00")),
        ),
        (
            "pmt_sellercosts",
            Box::new(|f: &mut Form| set(f, "pmt_sellercosts", "5,00")),
        ),
        (
            "pmt_id",
            Box::new(|f: &mut Form| set(f, "pmt_id", "ID-LONGER-THAN-TWENTY")),
        ),
        (
            "pmt_buyername",
            Box::new(|f: &mut Form| f.retain(|(k, _)| k != "pmt_buyername")),
        ),
    ];
    for (n, (field, change)) in cases.iter().enumerate() {
        let mut form = charge_form(&seller, &format!("FIELD{n}"), &cap, &token);
        change(&mut form);
        let answer = svea
            .post("/NewChargeWithTokenActionExtended.pmt", &form, Auth::Basic)
            .await;
        assert_eq!(answer.status, 400, "{field}: {}", answer.body);
        assert!(answer.body.contains("<errors>"), "{}", answer.body);
        assert!(
            answer.body.contains(&format!(
                "<error name=\"{field}\" type=\"field\">{field} is invalid</error>"
            )),
            "{field} expected in {}",
            answer.body
        );
    }
    let mut not_zero = payment_form(&seller, "TOKENIZE", "4504", "TOK-NONZERO", "1,00", None);
    set(&mut not_zero, "pmt_row_price_gross1", "1,00");
    let answer = svea
        .post("/TokenizeExtended.pmt", &not_zero, Auth::Basic)
        .await;
    assert!(
        answer.has_error("pmt_amount", "field"),
        "a tokenization must be zero: {}",
        answer.body
    );
}

#[tokio::test]
async fn pmt_id_is_never_reusable() {
    let svea = start(60).await;
    let (token, cap) = svea.card("approve").await;
    let (soft, _) = svea.card("soft_decline").await;
    let seller = svea.seller().id.clone();
    let declined = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "ONCE1", "1,00", &soft),
            Auth::Basic,
        )
        .await;
    assert_eq!(
        declined.field("pmt_errorcode").unwrap(),
        "ERROR_CARD_AUTHORIZATION_FAILED"
    );
    let reused = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "ONCE1", &cap, &token),
            Auth::Basic,
        )
        .await;
    assert!(
        reused.has_error("pmt_id", "existingPayment"),
        "{}",
        reused.body
    );
    assert!(reused
        .body
        .contains("[generic][pmt_sellerid][pmt_id][existingPayment]"));
    let paid = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "ONCE2", &cap, &token),
            Auth::Basic,
        )
        .await;
    assert_eq!(paid.status, 200);
    let again = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "ONCE2", &cap, &token),
            Auth::Basic,
        )
        .await;
    assert_eq!(again.field("pmt_errorcode").unwrap(), "ALREADY_PAID");
    let page = payment_form(&seller, "TOKENIZE", "4504", "ONCE2", "0,00", None);
    let tokenize = svea.post("/TokenizeExtended.pmt", &page, Auth::Basic).await;
    assert!(
        tokenize.has_error("pmt_id", "existingPayment"),
        "ids are shared by every endpoint"
    );
}

#[tokio::test]
async fn refuses_second_token_charge_in_same_month_and_any_charge_above_the_original() {
    let svea = start(60).await;
    let (token, cap) = svea.card("approve").await;
    let seller = svea.seller().id.clone();
    let cents = |text: &str| text.replace(',', "").parse::<i64>().unwrap();
    let above =
        coffer_core::Money::from_minor(cents(&cap) + 1, coffer_core::Currency::EUR).to_decimal(',');
    let too_much = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "CAP1", &above, &token),
            Auth::Basic,
        )
        .await;
    assert_eq!(
        too_much.field("pmt_errorcode").unwrap(),
        "ERROR_PAYMENT_INSTRUMENT_LIMIT_EXCEEDED"
    );
    let first = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "MONTH1", &cap, &token),
            Auth::Basic,
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.field("pmt_errorcode").is_none());
    let second = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "MONTH2", "1,00", &token),
            Auth::Basic,
        )
        .await;
    assert_eq!(
        second.field("pmt_errorcode").unwrap(),
        "ERROR_PAYMENT_INSTRUMENT_LIMIT_EXCEEDED"
    );
    let statuses: Vec<String> = svea
        .ledger()
        .await
        .iter()
        .map(|c| c["status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        statuses,
        ["declined", "approved", "declined"],
        "every processed charge is in the ledger"
    );
}

#[tokio::test]
async fn test_cards_answer_with_the_documented_codes() {
    let svea = start(60).await;
    let seller = svea.seller().id.clone();
    for (n, (behaviour, code)) in [
        ("soft_decline", "ERROR_CARD_AUTHORIZATION_FAILED"),
        ("hard_decline", "EXTERNAL_SERVICE_DENIED"),
        ("expired", "ERROR_PAYMENT_INSTRUMENT_EXPIRED"),
    ]
    .into_iter()
    .enumerate()
    {
        let (token, _) = svea.card(behaviour).await;
        let answer = svea
            .post(
                "/NewChargeWithTokenActionExtended.pmt",
                &charge_form(&seller, &format!("CARD{n}"), "1,00", &token),
                Auth::Basic,
            )
            .await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.field("pmt_errorcode").unwrap(), code, "{behaviour}");
        let status = svea.status(&format!("CARD{n}")).await;
        assert_eq!(
            status.field("pmtq_returncode").unwrap(),
            "11",
            "{behaviour} is unpaid"
        );
        assert_eq!(status.field("pmt_errorcode").unwrap(), code);
    }
    let unknown = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "CARD9", "1,00", "no-such-token"),
            Auth::Basic,
        )
        .await;
    assert_eq!(
        unknown.field("pmt_errorcode").unwrap(),
        "ERROR_PAYMENT_INSTRUMENT_NOT_FOUND"
    );
}

#[tokio::test]
async fn timeout_card_holds_the_request_then_answers_timeout_and_charges_nothing() {
    let svea = start(60).await;
    svea.http
        .put(format!("{}/faults", svea.sandbox.urls.admin))
        .json(&serde_json::json!({"timeout_ms": 300}))
        .send()
        .await
        .unwrap();
    let (token, _) = svea.card("timeout").await;
    let answer = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&svea.seller().id, "SLOW1", "1,00", &token),
            Auth::Basic,
        )
        .await;
    assert_eq!(
        answer.field("pmt_errorcode").unwrap(),
        "ERROR_CARD_AUTHORIZATION_TIMEOUT"
    );
    assert_eq!(
        svea.status("SLOW1").await.field("pmtq_returncode").unwrap(),
        "11",
        "nothing was charged"
    );
    assert!(
        svea.ledger().await.is_empty(),
        "the timeout card charges nothing"
    );
}

#[tokio::test]
async fn response_lost_card_records_the_charge_and_closes_the_connection() {
    let svea = start(60).await;
    let (token, cap) = svea.card("response_lost").await;
    let form = charge_form(&svea.seller().id, "LOST1", &cap, &token);
    let sent = svea
        .http
        .post(format!(
            "{}/NewChargeWithTokenActionExtended.pmt",
            svea.base
        ))
        .basic_auth(&svea.seller().id, Some(&svea.seller().secret))
        .form(&form)
        .send()
        .await;
    assert!(sent.is_err(), "no answer arrives");
    assert_eq!(
        svea.status("LOST1").await.field("pmtq_returncode").unwrap(),
        "30",
        "but the payment was made"
    );
    let ledger = svea.ledger().await;
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0]["status"], "approved");
}

#[tokio::test]
async fn a_token_charge_answered_502_by_the_proxy_was_made_and_its_status_query_finds_it() {
    let svea = start(60).await;
    let seller = svea.seller().id.clone();
    let (token, cap, _) = svea.nth_card("approve", 0).await;
    let (other, other_cap, _) = svea.nth_card("approve", 1).await;
    let knobs = crate::set_faults(
        &svea.sandbox,
        serde_json::json!({"error_after_write_next": 1}),
    )
    .await;
    assert_eq!(
        knobs["error_after_write_next"], 1,
        "the PUT echoes the knob"
    );
    let before = svea.status("GW1").await;
    assert_eq!(
        (before.status, before.field("pmtq_returncode").unwrap()),
        (200, "00".to_string()),
        "a status query is a lookup though it is a POST: it passes the counter by"
    );
    let response = svea
        .http
        .post(format!(
            "{}/NewChargeWithTokenActionExtended.pmt",
            svea.base
        ))
        .basic_auth(&seller, Some(&svea.seller().secret))
        .form(&charge_form(&seller, "GW1", &cap, &token))
        .send()
        .await
        .unwrap();
    crate::assert_bad_gateway(response, "the token charge").await;
    let ledger = svea.ledger().await;
    assert_eq!(ledger.len(), 1, "the charge behind the 502 was made");
    assert_eq!(
        (&ledger[0]["id"], &ledger[0]["status"]),
        (&serde_json::json!("GW1"), &serde_json::json!("approved"))
    );
    assert_eq!(
        svea.status("GW1").await.field("pmtq_returncode").unwrap(),
        "30",
        "Svea's own status query finds it paid"
    );
    let next = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "GW2", &other_cap, &other),
            Auth::Basic,
        )
        .await;
    assert_eq!(
        (next.status, next.field("pmt_id")),
        (200, Some("GW2".to_string())),
        "the next write is answered as usual: {}",
        next.body
    );
    assert_eq!(svea.ledger().await.len(), 2);
}

#[tokio::test]
async fn a_payment_with_an_empty_buyer_or_delivery_address_is_refused_naming_each_field() {
    let svea = start(60).await;
    let (token, cap) = svea.card("approve").await;
    let seller = svea.seller().id.clone();
    let compulsory = [
        "pmt_buyeraddress",
        "pmt_buyerpostalcode",
        "pmt_buyercity",
        "pmt_buyercountry",
        "pmt_deliveryaddress",
        "pmt_deliverypostalcode",
        "pmt_deliverycity",
        "pmt_deliverycountry",
    ];
    let mut form = charge_form(&seller, "NOADDRESS1", &cap, &token);
    for name in compulsory {
        set(&mut form, name, "");
    }
    let answer = svea
        .post("/NewChargeWithTokenActionExtended.pmt", &form, Auth::Basic)
        .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    for name in compulsory {
        assert!(
            answer.has_error(name, "field"),
            "{name} is named: {}",
            answer.body
        );
    }
    assert_eq!(
        svea.status("NOADDRESS1")
            .await
            .field("pmtq_returncode")
            .unwrap(),
        "00",
        "nothing was charged"
    );
    let mut missing = charge_form(&seller, "NOADDRESS2", &cap, &token);
    missing.retain(|(k, _)| k != "pmt_buyercity");
    let answer = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &missing,
            Auth::Basic,
        )
        .await;
    assert!(
        answer.has_error("pmt_buyercity", "field"),
        "{}",
        answer.body
    );
    let answer = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "ADDRESSED", &cap, &token),
            Auth::Basic,
        )
        .await;
    assert_eq!(
        answer.status, 200,
        "with the address it goes through: {}",
        answer.body
    );
}
