//! Every client against a server that answers with garbage: byte-level faults the sandboxes do
//! not model. A malformed answer is an error, never a panic; a garbled answer to a charge or a
//! refund may hide money that moved, so it is an unknown outcome, and a garbled lookup is never
//! taken for "the provider has no such charge".

use coffer_core::{
    CardToken, Currency, CustomerRef, Environment, IdempotencyKey, Merchant, MerchantId, Money,
    ProviderAccount, ProviderRef, Reason, SecretRef, StoredCredential,
};
use coffer_providers::{connect, ChargeLookup, ChargeRequest, Provider, RefundRequest};
use secrecy::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A server on an ephemeral port that answers every request with `status` and `body`.
async fn garbage_server(status: u16, content_type: &'static str, body: &'static [u8]) -> String {
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
                let head = format!(
                    "HTTP/1.1 {status} Whatever\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(body).await;
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
        secret: SecretRef {
            service: "coffer-test".into(),
            account: "garbage".into(),
        },
    }
}

fn accounts() -> Vec<(ProviderAccount, Currency)> {
    vec![
        (
            ProviderAccount::Clover {
                merchant_uuid: "WDEVSNNHH8VQP".into(),
                pakms_key: None,
            },
            Currency::USD,
        ),
        (
            ProviderAccount::ProcessOut {
                project_id: "test-proj_garbage".into(),
            },
            Currency::EUR,
        ),
        (
            ProviderAccount::Assist {
                merchant_id: "600101".into(),
                login: "shop".into(),
            },
            Currency::BYN,
        ),
        (
            ProviderAccount::Svea {
                seller_id: "SVEASANDBOX01".into(),
                key_generation: "001".into(),
            },
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
            let path = match kind {
                coffer_core::ProviderKind::Clover => "/clover",
                coffer_core::ProviderKind::ProcessOut => "/processout",
                coffer_core::ProviderKind::Assist => "/assist",
                coffer_core::ProviderKind::Svea => "/svea",
            };
            let client: Box<dyn Provider> = connect(
                &merchant(account, format!("{base}{path}"), currency),
                SecretString::from("garbage-secret".to_string()),
            )
            .unwrap();
            let request = charge(currency, kind);
            let charged = client.charge(&request).await;
            let error =
                charged.expect_err(&format!("{what}: a garbled charge answer is no success"));
            assert!(
                error.kind.outcome_unknown(),
                "{what}: the charge may have been made, so its outcome is unknown, got {error:?}"
            );
            let lookup = client
                .find_charge(&ChargeLookup {
                    sent_at: chrono::Utc::now() - chrono::Duration::minutes(5),
                    idempotency_key: request.idempotency_key.clone(),
                    order_id: request.order_id.clone(),
                    provider_ref: Some(ProviderRef(reference(kind).into())),
                    customer: request.customer.clone(),
                    card_token: request.card_token.clone(),
                    amount: request.amount,
                })
                .await;
            assert!(
                lookup.is_err(),
                "{what}: a garbled lookup must not read as 'no such charge' (reconcile would fail a \
                 charge that took money): {lookup:?}"
            );
            let refund = client
                .refund(&RefundRequest {
                    charge_ref: ProviderRef(reference(kind).into()),
                    order_id: request.order_id.clone(),
                    amount: request.amount,
                    charge_amount: request.amount,
                    idempotency_key: IdempotencyKey("garbage-refund".into()),
                    refund_id: "CFGARBAGEREF1".into(),
                })
                .await;
            match refund {
                Ok(done) => panic!("{what}: a garbled refund answer is no refund: {done:?}"),
                Err(e) => assert!(
                    e.kind.outcome_unknown(),
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
