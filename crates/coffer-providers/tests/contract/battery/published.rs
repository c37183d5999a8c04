//! The battery's behaviours against the published-example stand-ins: small local servers that
//! answer with a provider's own published example answers (`tests/published/<provider>/`), so
//! the clients are held to the providers' words and not only to our emulators'. A provider
//! lists in its [`Harness`] the examples it has for each behaviour; [`battery!`] runs only the
//! behaviours a provider has examples for (see each provider's `published:` list there).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use coffer_core::{CustomerRef, Money, ProviderRef};
use coffer_providers::{
    ChargeLookup, ChargeRequest, ProviderError, ProviderErrorKind, RemoteStatus,
};

use super::Harness;

/// One canned answer: the first route whose method matches (any, when empty) and whose
/// fragment is in the path answers.
pub(crate) struct Route {
    pub method: &'static str,
    pub path_has: &'static str,
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

/// A published status answer and what a lookup must read from it.
pub(crate) struct Reading {
    /// The file in `tests/published/<provider>/`.
    pub example: &'static str,
    pub routes: Vec<Route>,
    pub lookup: ChargeLookup,
    /// `None`: the answer says the provider never saw the charge.
    pub found: Option<Found>,
}

/// What a lookup reads from a published answer.
pub(crate) struct Found {
    pub status: RemoteStatus,
    pub amount: Money,
    pub provider_ref: Option<ProviderRef>,
    pub at: Option<DateTime<Utc>>,
}

/// A published refusal (a decline, a credentials or a field error) and what the call must make
/// of it.
pub(crate) struct Refused {
    pub example: &'static str,
    pub routes: Vec<Route>,
    pub call: Call,
    pub kind: Kind,
    pub code: Option<&'static str>,
    pub provider_ref: Option<ProviderRef>,
}

/// The call that meets the published answer.
pub(crate) enum Call {
    CheckCredentials,
    CardsOf(CustomerRef),
    Charge(Box<ChargeRequest>),
}

/// The error kind a published refusal must be read as.
pub(crate) enum Kind {
    Exactly(ProviderErrorKind),
    /// `InvalidRequest`, whichever field.
    AnyInvalid,
    /// Soft or hard: the published example does not say which.
    AnyDecline,
}

/// A stand-in provider on a local port answering with `routes` (404 `{}` when none matches).
async fn stand_in(routes: Vec<Route>) -> String {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let routes = Arc::new(routes);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let routes = routes.clone();
            tokio::spawn(async move {
                let Some((head, _)) = crate::read_request(&mut stream).await else {
                    return;
                };
                let mut line = head.split_whitespace();
                let method = line.next().unwrap_or_default().to_string();
                let path = line.next().unwrap_or_default().to_string();
                let (status, content_type, body) = routes
                    .iter()
                    .find(|r| {
                        (r.method.is_empty() || r.method == method) && path.contains(r.path_has)
                    })
                    .map(|r| (r.status, r.content_type, r.body.clone()))
                    .unwrap_or((404, "application/json", "{}".into()));
                let answer = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

/// Each published status answer is read into its status, amount and reference, or into "the
/// provider never saw it", never into an error.
pub(crate) async fn published_status_answers_are_read_into_their_status<H: Harness>() {
    let h = H::start().await;
    let readings = H::published_readings();
    assert!(!readings.is_empty(), "listed only where examples exist");
    for reading in readings {
        let what = reading.example;
        let client = h.client_at(&stand_in(reading.routes).await);
        let found = client
            .find_charge(&reading.lookup)
            .await
            .unwrap_or_else(|e| panic!("{what}: a published answer reads: {e}"));
        match (found, reading.found) {
            (None, None) => {}
            (Some(found), Some(expected)) => {
                assert_eq!(found.status, expected.status, "{what}");
                assert_eq!(found.amount, expected.amount, "{what}");
                if let Some(reference) = expected.provider_ref {
                    assert_eq!(found.provider_ref, reference, "{what}");
                }
                if let Some(at) = expected.at {
                    assert_eq!(found.at, Some(at), "{what}: the time it gives");
                }
            }
            (found, expected) => panic!(
                "{what}: read as {found:?}, published as {}",
                if expected.is_some() {
                    "a charge"
                } else {
                    "no charge"
                }
            ),
        }
    }
}

/// What `call` meets at `base`: the error it must be.
async fn refused<H: Harness>(h: &H, refusal: Refused) {
    let what = refusal.example;
    let client = h.client_at(&stand_in(refusal.routes).await);
    let error: ProviderError = match &refusal.call {
        Call::CheckCredentials => client.check_credentials().await.err(),
        Call::CardsOf(customer) => client.cards_of(customer).await.err(),
        Call::Charge(request) => client.charge(request).await.err(),
    }
    .unwrap_or_else(|| panic!("{what}: a published refusal is no success"));
    match refusal.kind {
        Kind::Exactly(kind) => assert_eq!(error.kind, kind, "{what}: {error}"),
        Kind::AnyInvalid => assert!(
            matches!(error.kind, ProviderErrorKind::InvalidRequest { .. }),
            "{what}: an invalid request: {error}"
        ),
        Kind::AnyDecline => assert!(error.kind.is_decline(), "{what}: a decline: {error}"),
    }
    if let Some(code) = refusal.code {
        assert_eq!(
            error.provider_code.as_deref(),
            Some(code),
            "{what}: the provider's code"
        );
    }
    if let Some(reference) = refusal.provider_ref {
        assert_eq!(error.provider_ref, Some(reference), "{what}: the reference");
    }
}

/// Each published decline is a decline with the provider's code and the declined charge's
/// reference, never an unknown outcome or an error of ours.
pub(crate) async fn published_declines_are_declines_with_their_code<H: Harness>() {
    let h = H::start().await;
    let declines = H::published_declines();
    assert!(!declines.is_empty(), "listed only where examples exist");
    for decline in declines {
        refused(&h, decline).await;
    }
}

/// Each published refusal of credentials or of a field is the matching kind with the
/// provider's code: `Auth`, or `InvalidRequest` naming the field.
pub(crate) async fn published_refusals_are_read_into_their_kind_and_code<H: Harness>() {
    let h = H::start().await;
    let refusals = H::published_refusals();
    assert!(!refusals.is_empty(), "listed only where examples exist");
    for refusal in refusals {
        refused(&h, refusal).await;
    }
}
