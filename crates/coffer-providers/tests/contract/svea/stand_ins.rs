//! The Svea client against stand-ins that answer with Svea's published answers or with what a
//! tampering peer sends: answer hashes, Basic authentication, the buyer fields, the refund
//! after settlement.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a panic is the failure report

use super::*;

/// What a stand-in Svea received: each request's head (lower-cased header names) and body.
type Seen = std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>;

/// A stand-in for Svea on a local port: answers every request with `answer(request body)`,
/// and keeps what it received.
async fn stand_in_svea(answer: impl Fn(&str) -> String + Send + Sync + 'static) -> (String, Seen) {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Seen = Default::default();
    let kept = seen.clone();
    let answer = std::sync::Arc::new(answer);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let answer = answer.clone();
            let kept = kept.clone();
            tokio::spawn(async move {
                let Some((head, body)) = crate::read_request(&mut stream).await else {
                    return;
                };
                let head = head.to_ascii_lowercase();
                let reply = answer(&body);
                kept.lock().unwrap().push((head, body));
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/xml; charset=UTF-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
                    reply.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    (format!("http://{addr}"), seen)
}

/// A stand-in for Svea that answers every request with `body`.
async fn tampering_svea(body: String) -> String {
    stand_in_svea(move |_| body.clone()).await.0
}

/// The value of `name` in a form body.
fn form_value(body: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn a_tampered_answer_hash_is_an_error_and_nothing_is_reported_paid() {
    let s = setup().await;
    let (token, initial, cap) = s.card("approve").await;
    let real = s
        .client()
        .charge(&charge_request("TAMPER-0", &token, &initial, cap))
        .await
        .unwrap();
    assert_eq!(
        real.status,
        RemoteStatus::Succeeded,
        "the untampered answer verifies"
    );
    // Replay a genuine-looking answer for another order with one digit of the amount changed.
    let reference = "00000000000010000427";
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><chargeWithTokenResponse><pmt_action>NEW_PAYMENT_EXTENDED</pmt_action>\
         <pmt_version>4204</pmt_version><pmt_id>TAMPER-1</pmt_id><pmt_reference>{reference}</pmt_reference>\
         <pmt_amount>9,99</pmt_amount><pmt_currency>EUR</pmt_currency><pmt_sellercosts>0,00</pmt_sellercosts>\
         <pmt_paymentmethod>FI50</pmt_paymentmethod><pmt_escrow>N</pmt_escrow><pmt_token>{token}</pmt_token>\
         <pmt_hash>6A0C0F76E51D709704853592D32CDAFE7D92D235A24487BEC1CE5E1CAF2FCEE7</pmt_hash></chargeWithTokenResponse>"
    );
    let mut merchant = s.merchant.clone();
    merchant.base_url = tampering_svea(body).await;
    // Hash mode: there, and only there, Svea hashes its answers with the algorithm we name.
    let client = SveaClient::with_options(
        &merchant,
        SecretString::from(s.secret.clone()),
        SveaOptions {
            auth: SveaAuth::Hash(SveaHash::Sha256),
            policy: HttpPolicy::default(),
        },
    )
    .unwrap();
    let error = client
        .charge(&charge_request("TAMPER-1", &token, &initial, eur(999)))
        .await
        .unwrap_err();
    assert_eq!(
        error.kind,
        ProviderErrorKind::UnknownOutcome,
        "an answer whose hash fails cannot be trusted either way; the engine looks the pmt_id \
         up by status query: {error}"
    );
    assert_eq!(error.provider_ref, Some(ProviderRef("TAMPER-1".into())));
}

#[tokio::test]
async fn under_basic_requests_carry_no_hash_and_answers_without_a_hash_are_taken() {
    let s = setup().await;
    let (token, initial, _) = s.card("approve").await;
    // Svea's token-charge answer (fields of Svea's S2S invoice page), without any hash, or
    // with a hash whose algorithm we never named: neither is required under Basic.
    let answer = |hash: &'static str| {
        move |body: &str| {
            let get = |name: &str| form_value(body, name).unwrap_or_default();
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?><chargeWithTokenResponse>\
                 <pmt_action>{}</pmt_action><pmt_version>{}</pmt_version><pmt_id>{}</pmt_id>\
                 <pmt_reference>{:0>20}</pmt_reference><pmt_amount>{}</pmt_amount><pmt_currency>EUR</pmt_currency>\
                 <pmt_sellercosts>0,00</pmt_sellercosts><pmt_paymentmethod>FI50</pmt_paymentmethod>\
                 <pmt_escrow>N</pmt_escrow><pmt_token>{}</pmt_token>{hash}</chargeWithTokenResponse>",
                get("pmt_action"),
                get("pmt_version"),
                get("pmt_id"),
                get("pmt_reference"),
                get("pmt_amount"),
                get("pmt_token"),
            )
        }
    };
    for (n, hash) in ["", "<pmt_hash>0123ABCD</pmt_hash>"]
        .into_iter()
        .enumerate()
    {
        let (url, seen) = stand_in_svea(answer(hash)).await;
        let mut merchant = s.merchant.clone();
        merchant.base_url = url;
        let client = SveaClient::with_options(
            &merchant,
            SecretString::from(s.secret.clone()),
            SveaOptions {
                auth: SveaAuth::Basic,
                policy: HttpPolicy::default(),
            },
        )
        .unwrap();
        let order = format!("BASIC-{n}");
        let charged = client
            .charge(&charge_request(&order, &token, &initial, eur(500)))
            .await
            .unwrap();
        assert_eq!(
            charged.status,
            RemoteStatus::Succeeded,
            "an answer {hash:?} under Basic is a charge: no hash is required or trusted there"
        );
        let (head, body) = seen.lock().unwrap()[0].clone();
        assert!(
            head.contains("authorization: basic "),
            "Basic authenticates: {head}"
        );
        for field in ["pmt_hash", "pmt_hashversion"] {
            assert!(
                form_value(&body, field).is_none(),
                "Svea: \"Exclude parameters pmt_hash and pmt_hashversion\" under Basic: {body}"
            );
        }
    }
    // A cancel answer with a code and text only, as Svea's Magento 2 module reads it.
    let (url, seen) = stand_in_svea(|_| {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><pmtc><pmtc_returncode>00</pmtc_returncode>\
         <pmtc_returntext>OK</pmtc_returntext></pmtc>"
            .to_string()
    })
    .await;
    let mut merchant = s.merchant.clone();
    merchant.base_url = url;
    let client =
        coffer_providers::connect(&merchant, SecretString::from(s.secret.clone())).unwrap();
    let refunded = client
        .refund(&refund("BASIC-0", eur(100), eur(500), 1))
        .await
        .unwrap();
    assert_eq!(
        refunded.amount,
        eur(100),
        "code 00 without a hash is a refund under Basic"
    );
    let (_, body) = seen.lock().unwrap()[0].clone();
    assert!(
        form_value(&body, "pmtc_hash").is_none() && form_value(&body, "pmtc_hashversion").is_none()
    );
}

#[tokio::test]
async fn hash_mode_still_names_its_algorithm_and_signs_every_request() {
    let s = setup().await;
    let (url, seen) = stand_in_svea(|_| "<pmtq/>".to_string()).await;
    let mut merchant = s.merchant.clone();
    merchant.base_url = url;
    let client = SveaClient::with_options(
        &merchant,
        SecretString::from(s.secret.clone()),
        SveaOptions {
            auth: SveaAuth::Hash(SveaHash::Sha512),
            policy: HttpPolicy::default(),
        },
    )
    .unwrap();
    let request = charge_request("HASHED-1", "0123", "INIT1", eur(500));
    assert!(client.find_charge(&lookup(&request)).await.is_err());
    let (head, body) = seen.lock().unwrap()[0].clone();
    assert!(
        !head.contains("authorization:"),
        "no Basic in hash mode: {head}"
    );
    assert_eq!(
        form_value(&body, "pmtq_hashversion").as_deref(),
        Some("SHA-512")
    );
    assert_eq!(
        form_value(&body, "pmtq_hash").map(|h| h.len()),
        Some(128),
        "a SHA-512 hash in hex"
    );
}

/// A Basic client whose Svea answers every request with `excerpt`.
async fn reading(s: &Setup, excerpt: String, auth: SveaAuth) -> SveaClient {
    let mut merchant = s.merchant.clone();
    merchant.base_url = tampering_svea(excerpt).await;
    SveaClient::with_options(
        &merchant,
        SecretString::from(s.secret.clone()),
        SveaOptions {
            auth,
            policy: HttpPolicy::default(),
        },
    )
    .unwrap()
}

fn excerpt_of(file: &str) -> String {
    crate::published::published("svea")
        .into_iter()
        .find(|(name, _, _)| name == file)
        .unwrap_or_else(|| panic!("tests/published/svea/{file}"))
        .2
}

#[tokio::test]
async fn svea_s_published_token_payment_gives_its_date_and_card_and_its_masked_hash_fails_in_hash_mode(
) {
    let s = setup().await;
    let lookup_of = |order: &str| lookup(&charge_request(order, "t", "INIT1", eur(56810)));

    // The unknown-payment and not-confirmed readings, and this one's status and amount, are
    // the battery's published readings (Svea's Harness); here its date, card and hash.
    let token_answer = excerpt_of("status_query_token_payment.txt");
    let client = reading(&s, token_answer.clone(), SveaAuth::Basic).await;
    let found = client
        .find_charge(&lookup_of("1234567"))
        .await
        .unwrap()
        .expect("a settled token payment");
    assert_eq!(
        found.status,
        RemoteStatus::Succeeded,
        "40 is settled to the seller"
    );
    assert_eq!(found.amount, eur(56810));
    assert_eq!(
        found
            .at
            .map(|at| at.with_timezone(&s.merchant.time_zone).date_naive()),
        chrono::NaiveDate::from_ymd_opt(2016, 5, 11),
        "pmtq_paymentdate 11.05.2016 is a dd.MM.yyyy day"
    );
    let card = client
        .refresh_card(
            &ProviderRef("1234567".into()),
            &CardToken("57c48209-0000-1111-2222-333333333333".into()),
        )
        .await
        .unwrap()
        .expect("the card of the token payment");
    assert_eq!(card.last4, "0024");
    assert_eq!(card.brand, coffer_core::CardBrand::Visa);
    assert_eq!((card.expiry.year, card.expiry.month), (2017, 11));
    assert!(
        client
            .refresh_card(
                &ProviderRef("1234567".into()),
                &CardToken("99c48209-0000-1111-2222-333333333333".into()),
            )
            .await
            .is_err(),
        "a token whose shown characters differ from Svea's masked one is not this card"
    );

    // The page masks the hash ("***"): under Basic nothing is checked, in hash mode it fails.
    let hashed = reading(&s, token_answer, SveaAuth::Hash(SveaHash::Sha512)).await;
    let error = hashed.find_charge(&lookup_of("1234567")).await.unwrap_err();
    assert_eq!(
        error.kind,
        ProviderErrorKind::MalformedResponse,
        "hash mode keeps checking answer hashes: {error}"
    );
}

/// The buyer and delivery fields Svea's Magento 2 module requires, with their (min, max) lengths,
/// read from the published excerpt: every `'pmt_buyer…'`/`'pmt_delivery…' => [min, max]` line
/// with a minimum of at least 1.
fn compulsory_address_fields() -> Vec<(String, usize, usize)> {
    let excerpt = excerpt_of("magento_payment_compulsory_fields.txt");
    let fields: Vec<(String, usize, usize)> = excerpt
        .lines()
        .filter_map(|line| {
            let (name, rest) = line.trim().strip_prefix('\'')?.split_once("' => [")?;
            let (min, rest) = rest.split_once(',')?;
            let max = rest.trim().split(']').next()?;
            let (min, max): (usize, usize) = (min.trim().parse().ok()?, max.trim().parse().ok()?);
            (min >= 1 && name != "pmt_buyername" && name != "pmt_deliveryname")
                .then(|| (name.to_string(), min, max))
        })
        .collect();
    assert_eq!(
        fields.len(),
        8,
        "four buyer and four delivery fields: {fields:?}"
    );
    fields
}

#[tokio::test]
async fn every_svea_payment_carries_the_buyer_and_delivery_address_the_published_module_requires() {
    let s = setup().await;
    let (url, seen) = stand_in_svea(|_| "<errors/>".to_string()).await;
    let mut merchant = s.merchant.clone();
    merchant.base_url = url;
    let client =
        coffer_providers::connect(&merchant, SecretString::from(s.secret.clone())).unwrap();
    let _ = client
        .charge(&charge_request("ADDR-1", "tok", "INIT1", eur(990)))
        .await;
    let _ = client
        .record_initial(&initial_request("ADDR-2", eur(0)))
        .await;
    let bodies: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|(_, b)| b.clone())
        .collect();
    assert_eq!(
        bodies.len(),
        2,
        "a token charge and a card page payment were sent"
    );
    let expected = |name: &str| {
        let part = name
            .trim_start_matches("pmt_buyer")
            .trim_start_matches("pmt_delivery");
        match part {
            "address" => "Mannerheimintie 1",
            "postalcode" => "00100",
            "city" => "Helsinki",
            "country" => "FI",
            other => panic!("no address part {other}"),
        }
    };
    for body in &bodies {
        for (name, min, max) in compulsory_address_fields() {
            let value = form_value(body, &name).unwrap_or_else(|| panic!("{name} is sent"));
            assert!(
                (min..=max).contains(&value.chars().count()),
                "{name} '{value}' has {min}..={max} characters"
            );
            assert_eq!(value, expected(&name), "{name} is the customer's");
        }
        assert_eq!(
            form_value(body, "pmt_buyername").as_deref(),
            Some("Matti Virtanen")
        );
    }

    let mut without = charge_request("ADDR-3", "tok", "INIT1", eur(990));
    without.buyer = None;
    let refused = client.charge(&without).await.unwrap_err();
    assert_eq!(
        refused.kind,
        ProviderErrorKind::InvalidRequest {
            field: Some("pmt_buyeraddress".into())
        },
        "{refused}"
    );
    assert_eq!(
        seen.lock().unwrap().len(),
        2,
        "nothing is sent without an address"
    );
}

/// A PaymentCancel.pmt answer in the shape the modules read: the root's children by name.
fn cancel_answer(body: &str, code: &str, pay_with: &[(&str, &str)]) -> String {
    let action = form_value(body, "pmtc_action").unwrap_or_default();
    let id = form_value(body, "pmtc_id").unwrap_or_default();
    let extra: String = pay_with
        .iter()
        .map(|(k, v)| format!("<{k}>{v}</{k}>"))
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><pmtc><pmtc_action>{action}</pmtc_action>\
         <pmtc_version>0005</pmtc_version><pmtc_sellerid>SELLER</pmtc_sellerid><pmtc_id>{id}</pmtc_id>\
         <pmtc_returncode>{code}</pmtc_returncode><pmtc_returntext>OK</pmtc_returntext>{extra}</pmtc>"
    )
}

#[tokio::test]
async fn a_cancel_answered_30_is_refunded_after_settlement_with_the_published_pay_with_fields() {
    let s = setup().await;
    // The pmtc_pay_with_* names, as Svea's WooCommerce module reads them.
    let excerpt = excerpt_of("woocommerce_refund_after_settlement.txt");
    let mut names: Vec<String> = excerpt
        .split("$response['")
        .skip(1)
        .filter_map(|rest| rest.split_once("']").map(|(name, _)| name.to_string()))
        .collect();
    names.dedup();
    assert_eq!(
        names,
        [
            "pmtc_pay_with_recipientname",
            "pmtc_pay_with_iban",
            "pmtc_pay_with_reference",
            "pmtc_pay_with_amount"
        ]
    );
    let values = ["Svea Payments Oy", "FI2112345600000785", "12344", "2,50"];
    let pay_with: Vec<(String, String)> = names
        .iter()
        .cloned()
        .zip(values.iter().map(|v| v.to_string()))
        .collect();
    let (url, seen) = stand_in_svea(move |body| {
        let pairs: Vec<(&str, &str)> = pay_with
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        match form_value(body, "pmtc_action").as_deref() {
            Some("CANCEL") => cancel_answer(body, "30", &[]),
            _ => cancel_answer(body, "00", &pairs),
        }
    })
    .await;
    let mut merchant = s.merchant.clone();
    merchant.base_url = url;
    let client =
        coffer_providers::connect(&merchant, SecretString::from(s.secret.clone())).unwrap();
    let outcome = client
        .refund(&refund("SETTLED-1", eur(250), eur(990), 1))
        .await
        .unwrap();
    let transfer = outcome.transfer.expect("instructions for the merchant");
    assert_eq!(transfer.recipient, "Svea Payments Oy");
    assert_eq!(transfer.iban, "FI2112345600000785");
    assert_eq!(transfer.reference, "12344");
    assert_eq!(transfer.amount, eur(250));
    assert_eq!(transfer.transferred_at, None);
    assert_eq!(outcome.amount, eur(250));
    let bodies: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|(_, b)| b.clone())
        .collect();
    assert_eq!(bodies.len(), 2, "a CANCEL, then a REFUND_AFTER_SETTLEMENT");
    assert_eq!(
        form_value(&bodies[0], "pmtc_action").as_deref(),
        Some("CANCEL")
    );
    for (name, value) in [
        ("pmtc_action", "REFUND_AFTER_SETTLEMENT"),
        ("pmtc_canceltype", "REFUND_AFTER_SETTLEMENT"),
        ("pmtc_cancelamount", "2,50"),
        ("pmtc_amount", "9,90"),
        ("pmtc_currency", "EUR"),
    ] {
        assert_eq!(
            form_value(&bodies[1], name).as_deref(),
            Some(value),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_refund_after_settlement_answer_without_its_instructions_is_an_unknown_outcome() {
    let s = setup().await;
    let (url, _) = stand_in_svea(|body| match form_value(body, "pmtc_action").as_deref() {
        Some("CANCEL") => cancel_answer(body, "30", &[]),
        _ => cancel_answer(body, "00", &[("pmtc_pay_with_iban", "FI2112345600000785")]),
    })
    .await;
    let mut merchant = s.merchant.clone();
    merchant.base_url = url;
    let client =
        coffer_providers::connect(&merchant, SecretString::from(s.secret.clone())).unwrap();
    let error = client
        .refund(&refund("SETTLED-2", eur(250), eur(990), 1))
        .await
        .unwrap_err();
    assert_eq!(error.kind, ProviderErrorKind::UnknownOutcome, "{error}");
}
