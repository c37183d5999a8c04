//! Every client against a server that answers with garbage, or closes, or is not there:
//! byte-level faults the sandboxes do not model. A malformed answer is an error, never a panic;
//! a garbled, cut-off, 5xx or missing answer to a charge or a refund may hide money that moved,
//! so it is an unknown outcome; only a refused connection proves nothing was sent. A garbled
//! lookup is `MalformedResponse`, never taken for "the provider has no such charge".

use coffer_core::{
    AssistAccount, CardToken, CloverAccount, Currency, CustomerRef, Environment, IdempotencyKey,
    Merchant, MerchantId, Money, ProcessOutAccount, ProviderAccount, ProviderRef, Reason,
    StoredCredential, SveaAccount,
};
use coffer_providers::assist::AssistClient;
use coffer_providers::clover::CloverClient;
use coffer_providers::http::HttpPolicy;
use coffer_providers::processout::ProcessOutClient;
use coffer_providers::svea::SveaClient;
use coffer_providers::{ChargeLookup, ChargeRequest, Provider, ProviderErrorKind, RefundRequest};
use secrecy::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A server on an ephemeral port that answers every request with `status` and `body`.
async fn garbage_server(status: u16, content_type: &'static str, body: &'static [u8]) -> String {
    let head = format!(
        "HTTP/1.1 {status} Whatever\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let mut raw = head.into_bytes();
    raw.extend_from_slice(body);
    raw_server(Box::leak(raw.into_boxed_slice())).await
}

/// A server on an ephemeral port that reads each request whole, writes `answer` as it is (an
/// empty one closes without a word) and closes the connection.
async fn raw_server(answer: &'static [u8]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                // Read the head and as much body as it announces, then answer and close.
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    let Ok(n) = socket.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    seen.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&seen).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text[..end]
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("content-length")
                                    .then(|| v.trim().parse::<usize>().ok())?
                            })
                            .unwrap_or(0);
                        if seen.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                let _ = socket.write_all(answer).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

fn merchant(account: ProviderAccount, base_url: String, currency: Currency) -> Merchant {
    Merchant {
        id: MerchantId(1),
        name: "Garbage".into(),
        account,
        environment: Environment::Sandbox,
        base_url,
        time_zone: coffer_core::merchant::parse_time_zone("Europe/Helsinki").unwrap(),
        currency,
        notice_lead_days: 3,
        group: None,
        endpoint: Default::default(),
    }
}

fn accounts() -> Vec<(ProviderAccount, Currency)> {
    vec![
        (
            ProviderAccount::Clover(CloverAccount {
                merchant_uuid: "WDEVSNNHH8VQP".into(),
                pakms_key: None,
            }),
            Currency::USD,
        ),
        (
            ProviderAccount::ProcessOut(ProcessOutAccount {
                project_id: "test-proj_garbage".into(),
            }),
            Currency::EUR,
        ),
        (
            ProviderAccount::Assist(AssistAccount {
                merchant_id: "600101".into(),
                login: "shop".into(),
            }),
            Currency::BYN,
        ),
        (
            ProviderAccount::Svea(SveaAccount {
                seller_id: "SVEASANDBOX01".into(),
                key_generation: "001".into(),
            }),
            Currency::EUR,
        ),
    ]
}

/// A reference each client accepts as one of its provider's (Assist: a 15–16 digit billnumber).
fn reference(kind: coffer_core::ProviderKind) -> &'static str {
    match kind {
        coffer_core::ProviderKind::Assist => "500000000000001",
        _ => "REF00000001",
    }
}

/// The charge a refund names. ProcessOut reads a transaction first to find its invoice, so
/// its refund names the invoice: the refund write itself is what meets the fault.
fn refunded(kind: coffer_core::ProviderKind) -> &'static str {
    match kind {
        coffer_core::ProviderKind::ProcessOut => "iv_garbage",
        other => reference(other),
    }
}

/// Each client, with its provider's path under `base` and short backoffs (the retries still
/// happen, only faster).
fn client_at(base: &str, account: ProviderAccount, currency: Currency) -> Box<dyn Provider> {
    use coffer_core::ProviderKind as K;
    let kind = account.kind();
    let path = match kind {
        K::Clover => "/clover",
        K::ProcessOut => "/processout",
        K::Assist => "/assist",
        K::Svea => "/svea",
    };
    let merchant = merchant(account, format!("{base}{path}"), currency);
    let secret = SecretString::from("garbage-secret".to_string());
    let policy = HttpPolicy {
        backoff: std::time::Duration::from_millis(5),
        ..HttpPolicy::default()
    };
    match kind {
        K::Clover => Box::new(CloverClient::with_policy(&merchant, secret, policy).unwrap()),
        K::ProcessOut => {
            Box::new(ProcessOutClient::with_policy(&merchant, secret, policy).unwrap())
        }
        K::Assist => Box::new(AssistClient::with_policy(&merchant, secret, policy).unwrap()),
        K::Svea => Box::new(SveaClient::with_policy(&merchant, secret, policy).unwrap()),
    }
}

fn lookup_of(request: &ChargeRequest, kind: coffer_core::ProviderKind) -> ChargeLookup {
    ChargeLookup {
        sent_at: chrono::Utc::now() - chrono::Duration::minutes(5),
        idempotency_key: request.idempotency_key.clone(),
        order_id: request.order_id.clone(),
        provider_ref: Some(ProviderRef(reference(kind).into())),
        customer: request.customer.clone(),
        card_token: request.card_token.clone(),
        amount: request.amount,
    }
}

fn refund_of(request: &ChargeRequest, kind: coffer_core::ProviderKind) -> RefundRequest {
    RefundRequest {
        charge_ref: ProviderRef(refunded(kind).into()),
        order_id: request.order_id.clone(),
        amount: request.amount,
        charge_amount: request.amount,
        idempotency_key: IdempotencyKey("garbage-refund".into()),
        refund_id: "CFGARBAGEREF1".into(),
    }
}

/// What each call of every client met at `base`: (charge, lookup, refund) error kinds.
async fn kinds_at(base: &str) -> Vec<(coffer_core::ProviderKind, [ProviderErrorKind; 3])> {
    let mut seen = Vec::new();
    for (account, currency) in accounts() {
        let kind = account.kind();
        let client = client_at(base, account, currency);
        let request = charge(currency, kind);
        let charged = client.charge(&request).await;
        let looked = client.find_charge(&lookup_of(&request, kind)).await;
        let refunded = client.refund(&refund_of(&request, kind)).await;
        let kind_of = |what: &str, e: Option<coffer_providers::ProviderError>| {
            e.unwrap_or_else(|| panic!("{kind}: the {what} met a fault and still succeeded"))
                .kind
        };
        seen.push((
            kind,
            [
                kind_of("charge", charged.err()),
                kind_of("lookup", looked.err()),
                kind_of("refund", refunded.err()),
            ],
        ));
    }
    seen
}

#[tokio::test]
async fn a_refused_connection_is_unavailable_because_nothing_was_sent() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    for (kind, [charge, lookup, refund]) in kinds_at(&base).await {
        let unavailable = ProviderErrorKind::Unavailable;
        assert_eq!(
            charge, unavailable,
            "{kind}: no byte of the charge left, so the engine may mark it failed"
        );
        assert_eq!(lookup, unavailable, "{kind}: a lookup that reached no one");
        assert_eq!(
            refund, unavailable,
            "{kind}: no byte of the refund left, so it was not made"
        );
    }
}

#[tokio::test]
async fn a_connection_closed_after_the_request_is_an_unknown_outcome_for_every_write() {
    let base = raw_server(b"").await;
    for (kind, [charge, lookup, refund]) in kinds_at(&base).await {
        assert_eq!(
            charge,
            ProviderErrorKind::UnknownOutcome,
            "{kind}: the provider had the charge and may have made it"
        );
        assert_eq!(
            refund,
            ProviderErrorKind::UnknownOutcome,
            "{kind}: the provider had the refund and may have made it"
        );
        assert_ne!(
            lookup,
            ProviderErrorKind::UnknownOutcome,
            "{kind}: a lookup moves no money"
        );
    }
}

#[tokio::test]
async fn a_5xx_is_an_unknown_outcome_for_every_write_and_unavailable_for_a_read() {
    for status in [500u16, 502, 503, 504] {
        let base = garbage_server(status, "text/html", b"<html>Bad Gateway</html>").await;
        for (kind, [charge, lookup, refund]) in kinds_at(&base).await {
            assert_eq!(
                charge,
                ProviderErrorKind::UnknownOutcome,
                "{kind}: a {status} (a proxy's too) does not prove the charge was not made"
            );
            assert_eq!(
                refund,
                ProviderErrorKind::UnknownOutcome,
                "{kind}: a {status} does not prove the refund was not made"
            );
            assert_eq!(
                lookup,
                ProviderErrorKind::Unavailable,
                "{kind}: a {status} to a lookup says nothing; ask again later"
            );
        }
    }
}

#[tokio::test]
async fn a_body_cut_off_is_an_unknown_outcome_for_a_write_and_malformed_for_a_lookup() {
    let base = raw_server(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\nconnection: close\r\n\r\n{\"id\":\"H7QW",
    )
    .await;
    for (kind, [charge, lookup, refund]) in kinds_at(&base).await {
        assert_eq!(
            charge,
            ProviderErrorKind::UnknownOutcome,
            "{kind}: an answer began, so the provider had the charge"
        );
        assert_eq!(
            refund,
            ProviderErrorKind::UnknownOutcome,
            "{kind}: the refund likewise"
        );
        assert_eq!(
            lookup,
            ProviderErrorKind::MalformedResponse,
            "{kind}: an unreadable lookup is never 'not found'"
        );
    }
}

fn charge(currency: Currency, kind: coffer_core::ProviderKind) -> ChargeRequest {
    // A reference each client accepts as an initial transaction of its provider.
    let initial = reference(kind);
    ChargeRequest {
        amount: Money::from_minor(1000, currency),
        card_token: CardToken("tok_garbage".into()),
        customer: CustomerRef("cust_garbage".into()),
        credential: StoredCredential::merchant_initiated(
            Reason::Unscheduled,
            ProviderRef(initial.into()),
        ),
        idempotency_key: IdempotencyKey("garbage-key".into()),
        order_id: "CFGARBAGE0001".into(),
        description: "garbage test".into(),
        agreement: None,
        // Svea refuses a payment without an address before sending; the others ignore it.
        buyer: Some(coffer_providers::Buyer {
            name: "Matti Virtanen".into(),
            address: coffer_core::Address::new("Mannerheimintie 1", "00100", "Helsinki", "FI")
                .unwrap(),
        }),
    }
}

const ANSWERS: [(u16, &str, &[u8]); 6] = [
    (200, "application/json", b"{\"id\":\"ABC"),
    (200, "application/json", b"{}"),
    (
        200,
        "application/json",
        b"{\"id\":5,\"amount\":\"lots\",\"status\":[],\"success\":\"yes\"}",
    ),
    (200, "text/html", b"<html><body>maintenance</body></html>"),
    (200, "text/xml", b"<?xml version=\"1.0\"?><unclosed>"),
    (200, "application/octet-stream", b"\xff\xfe\x00\x01garbage"),
];

#[tokio::test]
async fn garbled_answers_are_errors_and_a_garbled_charge_or_refund_is_an_unknown_outcome() {
    let mut wrong = Vec::new();
    for (status, content_type, body) in ANSWERS {
        let base = garbage_server(status, content_type, body).await;
        for (account, currency) in accounts() {
            let kind = account.kind();
            let what = format!("{kind} answering {}", String::from_utf8_lossy(body));
            let client = client_at(&base, account, currency);
            let request = charge(currency, kind);
            let charged = client.charge(&request).await;
            let error =
                charged.expect_err(&format!("{what}: a garbled charge answer is no success"));
            assert_eq!(
                error.kind,
                ProviderErrorKind::UnknownOutcome,
                "{what}: the charge may have been made, so its outcome is unknown, got {error:?}"
            );
            let lookup = client.find_charge(&lookup_of(&request, kind)).await;
            assert_eq!(
                lookup.as_ref().map_err(|e| e.kind.clone()).err(),
                Some(ProviderErrorKind::MalformedResponse),
                "{what}: a garbled lookup must not read as 'no such charge' (reconcile would fail \
                 a charge that took money): {lookup:?}"
            );
            match client.refund(&refund_of(&request, kind)).await {
                Ok(done) => panic!("{what}: a garbled refund answer is no refund: {done:?}"),
                Err(e) => assert_eq!(
                    e.kind,
                    ProviderErrorKind::UnknownOutcome,
                    "{what}: the refund may have been made, so its outcome is unknown, got {e:?}"
                ),
            }
            // An empty page read from garbage would make sync deactivate every card.
            let page = client.list_customers(None, 10).await;
            if let Ok(page) = &page {
                wrong.push(format!(
                    "{what}: a garbled customer page read as {} customers",
                    page.items.len()
                ));
            }
            let cards = client.cards_of(&CustomerRef("cust_garbage".into())).await;
            // Assist's one documented empty answer is `{}` (providers/assist.md §2.1).
            let documented_empty = kind == coffer_core::ProviderKind::Assist && body == b"{}";
            if let (Ok(cards), false) = (&cards, documented_empty) {
                wrong.push(format!(
                    "{what}: a garbled card list read as {} cards",
                    cards.len()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A server that keeps the head of every request it gets and answers each with a 503.
async fn recording_server() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let heads = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = heads.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let kept = kept.clone();
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                while !String::from_utf8_lossy(&seen).contains("\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                kept.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&seen).to_ascii_lowercase());
                let _ = socket
                    .write_all(b"HTTP/1.1 503 No\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (format!("http://{addr}"), heads)
}

#[tokio::test]
async fn a_refund_carries_its_own_idempotency_key_where_the_provider_takes_one() {
    for (account, currency) in accounts() {
        let kind = account.kind();
        if !matches!(
            kind,
            coffer_core::ProviderKind::Clover | coffer_core::ProviderKind::ProcessOut
        ) {
            continue;
        }
        let (base, heads) = recording_server().await;
        let client = client_at(&base, account, currency);
        let request = charge(currency, kind);
        let refund = RefundRequest {
            idempotency_key: IdempotencyKey("refund-key-7f3a".into()),
            ..refund_of(&request, kind)
        };
        let error = client.refund(&refund).await.unwrap_err();
        assert_eq!(
            error.kind,
            ProviderErrorKind::UnknownOutcome,
            "{kind}: a 503 to a refund may hide a refund that was made"
        );
        let heads = heads.lock().unwrap().clone();
        let refund_posts: Vec<&String> = heads.iter().filter(|h| h.starts_with("post ")).collect();
        assert!(
            !refund_posts.is_empty(),
            "{kind}: the refund was posted: {heads:?}"
        );
        for head in refund_posts {
            assert!(
                head.contains("idempotency-key: refund-key-7f3a"),
                "{kind}: every send of the refund carries RefundRequest.idempotency_key: {head}"
            );
        }
    }
}
