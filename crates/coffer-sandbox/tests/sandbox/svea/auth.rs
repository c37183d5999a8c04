//! Svea's authentication: Basic auth or the request hash, each seller's modes, the charset
//! the form and its hash are read in.

use super::*;

#[tokio::test]
async fn worked_hash_example_of_the_notes_is_reproduced() {
    let mut form = charge_form(
        "TESTSELLER",
        "MIT202601000001",
        "568,10",
        "7b3c9e2a1f4d4c8e9a6b2d5e8f1a0c37",
    );
    set(&mut form, "pmt_duedate", "15.01.2026");
    set(&mut form, "pmt_row_deliverydate1", "15.01.2026");
    assert_eq!(
        payment_hash(&form, "SHA-256", "TESTSECRET123"),
        "D9FEED2CD32FF8FB1F45DD96BE0ACEB0EC0CAB04C91390CDC65B35E2D707DFB1"
    );
    assert_eq!(
        payment_hash(&form, "SHA-512", "TESTSECRET123"),
        "BD1713E3092DEB4B538CEEBE3EBA48BD0FDABB11A14323B1D421627D1F4F390A72E6B17CFC871FDFDE933E568CE4BB5773A32A701149A098D6648A7F5B04A5AE"
    );
}

#[tokio::test]
async fn bad_credentials_are_refused_with_401() {
    let svea = start(60).await;
    let (token, cap) = svea.card("approve").await;
    let seller = svea.seller().id.clone();
    let form = charge_form(&seller, "AUTH1", &cap, &token);
    let wrong_secret = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &form,
            Auth::BasicWith(&seller, "wrong"),
        )
        .await;
    assert_eq!(wrong_secret.status, 401);
    assert_eq!(
        wrong_secret.field("pmt_errorcode").unwrap(),
        "ERROR_IN_REQUEST_TECHNICAL_DATA"
    );
    let mut tampered = form.clone();
    set(&mut tampered, "pmt_hashversion", "SHA-256");
    set(&mut tampered, "pmt_hash", &"A".repeat(64));
    let bad_hash = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &tampered,
            Auth::None,
        )
        .await;
    assert_eq!(bad_hash.status, 401, "a wrong hash is refused");
    let mut other_key = form.clone();
    set(&mut other_key, "pmt_keygeneration", "002");
    let wrong_generation = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &other_key,
            Auth::Hash("SHA-256"),
        )
        .await;
    assert_eq!(
        wrong_generation.status, 401,
        "an unknown key generation is refused"
    );
    let nothing = svea
        .post("/NewChargeWithTokenActionExtended.pmt", &form, Auth::None)
        .await;
    assert_eq!(nothing.status, 401, "no credentials at all");
    let status = svea
        .post(
            "/PaymentStatusQuery.pmt",
            &svea.status_form("X"),
            Auth::BasicWith(&seller, "nope"),
        )
        .await;
    assert_eq!(status.status, 401, "status queries authenticate too");
    assert!(
        svea.ledger().await.is_empty(),
        "nothing refused reaches the ledger"
    );
    let after = svea.status("AUTH1").await;
    assert_eq!(
        after.field("pmtq_amount").unwrap(),
        "0,00",
        "a refused request consumes no pmt_id"
    );
}

#[tokio::test]
async fn a_seller_may_be_limited_to_one_authentication_mode() {
    let svea = start(60).await;
    let (token, cap) = svea.card("approve").await;
    let seller = svea.seller().id.clone();
    let limit = |hash: &'static str, basic: &'static str| {
        let http = svea.http.clone();
        let url = format!("{}/__sandbox/auth-modes", svea.base);
        let seller = seller.clone();
        async move {
            http.post(url)
                .form(&[
                    ("seller_id", seller.as_str()),
                    ("hash", hash),
                    ("basic", basic),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(limit("N", "Y").await, 200);
    let hashed = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "MODE1", &cap, &token),
            Auth::Hash("SHA-512"),
        )
        .await;
    assert_eq!(hashed.status, 401, "hash mode is off");
    assert_eq!(limit("Y", "N").await, 200);
    let basic = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "MODE2", &cap, &token),
            Auth::Basic,
        )
        .await;
    assert_eq!(basic.status, 401, "Basic is off");
    let hashed = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "MODE3", &cap, &token),
            Auth::Hash("SHA-512"),
        )
        .await;
    assert_eq!(hashed.status, 200, "hash mode is on again: {}", hashed.body);
    assert_eq!(limit("maybe", "N").await, 400);
}

#[tokio::test]
async fn forms_and_hashes_are_read_in_the_declared_latin1_charset() {
    let svea = start(60).await;
    let (token, cap) = svea.card("approve").await;
    let seller = svea.seller();
    let mut form = charge_form(&seller.id, "LATIN1", &cap, &token);
    set(&mut form, "pmt_charset", "ISO-8859-1");
    set(&mut form, "pmt_charsethttp", "ISO-8859-1");
    set(&mut form, "pmt_buyername", "Liisa M\u{e4}kinen");
    // The hash is computed over ISO-8859-1 bytes, and the form is percent-encoded in them too.
    let text = hash_string(
        &PAYMENT_HASH_ORDER
            .iter()
            .filter_map(|f| get(&form, f))
            .collect::<Vec<_>>(),
        &seller.secret,
    );
    let latin1: Vec<u8> = text
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect();
    set(&mut form, "pmt_hashversion", "SHA-256");
    set(
        &mut form,
        "pmt_hash",
        &hex::encode_upper(Sha256::digest(&latin1)),
    );
    let body: String = form
        .iter()
        .map(|(k, v)| {
            let bytes: Vec<u8> = v
                .chars()
                .map(|c| u8::try_from(u32::from(c)).unwrap())
                .collect();
            let value: String = bytes
                .iter()
                .map(|b| {
                    if b.is_ascii_alphanumeric() {
                        (*b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            format!("{k}={value}")
        })
        .collect::<Vec<_>>()
        .join("&");
    let answer = svea
        .http
        .post(format!(
            "{}/NewChargeWithTokenActionExtended.pmt",
            svea.base
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let status = svea.status("LATIN1").await;
    assert_eq!(
        status.field("pmtq_buyername").unwrap(),
        "Liisa M\u{e4}kinen",
        "decoded as ISO-8859-1"
    );
    let mut utf8 = charge_form(&seller.id, "LATIN2", &cap, &token);
    set(&mut utf8, "pmt_charsethttp", "KOI8-R");
    let refused = svea
        .post("/NewChargeWithTokenActionExtended.pmt", &utf8, Auth::Basic)
        .await;
    assert!(
        refused.has_error("pmt_charsethttp", "field"),
        "{}",
        refused.body
    );
}
