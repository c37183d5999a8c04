//! The one HTTP client every provider uses: timeouts on every request, bounded retries of what is
//! safe to resend, 429 handling, and tracing that shows method, path and status only (never a
//! body, a query string or a header, which may hold secrets or card data).

use std::time::Duration;

use coffer_core::ProviderKind;
use reqwest::{RequestBuilder, Response, StatusCode};

use crate::error::{ProviderError, ProviderErrorKind};

/// Whether a request may be sent again without risk of a second effect, and so how its
/// failures read. For both kinds of write, a failure after any try may have reached the
/// provider is [`ProviderErrorKind::UnknownOutcome`]; only a call none of whose tries left
/// (connection, DNS or TLS refused) is [`ProviderErrorKind::Unavailable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resend {
    /// A read: retried on any transport error, 429 or 502/503/504; a failure is `Unavailable`.
    Safe,
    /// A write carrying an idempotency key that the provider answers with its first result
    /// (Clover, ProcessOut, with a byte-identical body): retried like a read.
    Idempotent,
    /// A write that could be applied twice, or whose resend the provider answers with a refusal
    /// rather than the first result (Assist, Svea, Clover refunds): never resent once it may have
    /// left, and a 5xx is handed back to the caller, which reads it as an unknown outcome.
    Once,
}

/// Timeouts and retry bounds.
#[derive(Debug, Clone, Copy)]
pub struct HttpPolicy {
    /// Connecting.
    pub connect_timeout: Duration,
    /// The whole request, answer included.
    pub request_timeout: Duration,
    /// Tries in all, the first included.
    pub max_tries: u32,
    /// First backoff; doubles each try.
    pub backoff: Duration,
    /// The longest Retry-After we wait for inside one call; longer is returned as RateLimited.
    pub max_retry_after: Duration,
}

impl Default for HttpPolicy {
    fn default() -> Self {
        HttpPolicy {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            max_tries: 3,
            backoff: Duration::from_millis(200),
            max_retry_after: Duration::from_secs(5),
        }
    }
}

/// A provider's HTTP client over one base URL (which may carry a path prefix, as the sandbox's
/// `http://127.0.0.1:PORT/clover` does).
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    base: String,
    provider: ProviderKind,
    policy: HttpPolicy,
}

impl HttpClient {
    /// Builds a client for `base_url`.
    pub fn new(
        provider: ProviderKind,
        base_url: &str,
        policy: HttpPolicy,
    ) -> Result<HttpClient, ProviderError> {
        let parsed = url::Url::parse(base_url).map_err(|e| {
            ProviderError::new(
                ProviderErrorKind::InvalidRequest {
                    field: Some("base_url".into()),
                },
                format!("base_url '{base_url}' is not a URL: {e}"),
            )
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ProviderError::new(
                ProviderErrorKind::InvalidRequest {
                    field: Some("base_url".into()),
                },
                "base_url must start with http:// or https://",
            ));
        }
        let inner = reqwest::Client::builder()
            .connect_timeout(policy.connect_timeout)
            .timeout(policy.request_timeout)
            .user_agent(concat!("Coffer/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                ProviderError::new(
                    ProviderErrorKind::Unavailable,
                    format!("cannot build HTTP client: {e}"),
                )
            })?;
        Ok(HttpClient {
            inner,
            base: base_url.trim_end_matches('/').to_string(),
            provider,
            policy,
        })
    }

    /// The underlying client, to start a request.
    pub fn client(&self) -> &reqwest::Client {
        &self.inner
    }

    /// `base + path`; `path` starts with '/'.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends the request `build` makes, retrying within the policy as `resend` allows.
    ///
    /// Returns the response for every status but 429 (retried, then `RateLimited`) and, for
    /// resendable calls, 502/503/504 (retried, then returned). The caller maps the status.
    ///
    /// A write is reported [`ProviderErrorKind::Unavailable`] only when no try of it can have
    /// reached the provider (every failure was a connection, DNS or TLS failure before the
    /// first byte). Once any try may have arrived — it timed out or was reset after sending,
    /// or it was answered 5xx — a later failure of the call is
    /// [`ProviderErrorKind::UnknownOutcome`], whatever that later try met.
    pub async fn send(
        &self,
        resend: Resend,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Response, ProviderError> {
        let write = resend != Resend::Safe;
        let mut delay = self.policy.backoff;
        let mut tries = 0;
        // Whether an earlier try of this call may have reached the provider.
        let mut maybe_arrived = false;
        loop {
            tries += 1;
            let last_try = tries >= self.policy.max_tries;
            let request = build(&self.inner);
            let (method, path) = describe(&request);
            let started = std::time::Instant::now();
            match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    tracing::debug!(provider = %self.provider, %method, %path, status = status.as_u16(),
                        elapsed_ms = started.elapsed().as_millis() as u64, "provider call");
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        let retry_after = retry_after(&response);
                        let wait = retry_after.unwrap_or(delay);
                        // A write never waits here: its `sending` row is committed, and the
                        // wait belongs before that commit (DESIGN §4). The engine waits out
                        // Retry-After before it plans the next write to this provider.
                        if write || last_try || wait > self.policy.max_retry_after {
                            // A 429 is answered before processing, but an earlier try of this
                            // write may have been processed: then nothing is known.
                            return Err(if write && maybe_arrived {
                                self.unknown_outcome()
                            } else {
                                ProviderError::new(
                                    ProviderErrorKind::RateLimited { retry_after },
                                    format!("{} is rate limiting requests", self.provider),
                                )
                            });
                        }
                        tokio::time::sleep(wait).await;
                        delay *= 2;
                        continue;
                    }
                    let gateway = matches!(
                        status,
                        StatusCode::BAD_GATEWAY
                            | StatusCode::SERVICE_UNAVAILABLE
                            | StatusCode::GATEWAY_TIMEOUT
                    );
                    if gateway && resend != Resend::Once && !last_try {
                        // A proxy's 5xx does not prove the provider never saw the request.
                        maybe_arrived = true;
                        tokio::time::sleep(delay).await;
                        delay *= 2;
                        continue;
                    }
                    return Ok(response);
                }
                Err(error) => {
                    // Only a failure to connect (DNS, TCP, TLS) or to build the request proves
                    // that no byte left; a timeout or reset after that may follow a request
                    // the provider processed.
                    let never_sent = error.is_connect() || error.is_builder();
                    maybe_arrived |= !never_sent;
                    tracing::debug!(provider = %self.provider, %method, %path, never_sent,
                        timeout = error.is_timeout(), "provider call failed");
                    if (never_sent || resend != Resend::Once) && !last_try {
                        tokio::time::sleep(delay).await;
                        delay *= 2;
                        continue;
                    }
                    return Err(if write && maybe_arrived {
                        self.unknown_outcome()
                    } else if never_sent {
                        ProviderError::new(
                            ProviderErrorKind::Unavailable,
                            format!("cannot reach {}; nothing was sent", self.provider),
                        )
                    } else {
                        ProviderError::new(
                            ProviderErrorKind::Unavailable,
                            format!("{} did not answer", self.provider),
                        )
                    });
                }
            }
        }
    }

    fn unknown_outcome(&self) -> ProviderError {
        ProviderError::new(
            ProviderErrorKind::UnknownOutcome,
            format!(
                "{} did not answer after the request was sent; the outcome is unknown",
                self.provider
            ),
        )
    }
}

fn describe(request: &RequestBuilder) -> (String, String) {
    match request.try_clone().and_then(|r| r.build().ok()) {
        Some(r) => (r.method().to_string(), r.url().path().to_string()),
        None => ("?".into(), "?".into()),
    }
}

/// Reads Retry-After in seconds (the HTTP-date form is rare with payment APIs and is ignored).
pub fn retry_after(response: &Response) -> Option<Duration> {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// The largest answer Coffer reads from a provider, counted after decompression (gzip is on,
/// so a small raw body may inflate). The timeout bounds how long a call takes, not how much it
/// brings. Choice: no answer Coffer asks for comes near it (a page of 1,000 Clover customers
/// with their cards is about 2 MB).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Reads a response body as text, at most [`MAX_BODY_BYTES`], mapping a body cut off after the
/// status arrived: for a write the provider answered, so it had the request, and the outcome is
/// unknown; for a read it is an unreadable answer, never "nothing there". An answer over the cap
/// is malformed the same way.
pub async fn body_text(response: Response, resend: Resend) -> Result<String, ProviderError> {
    read_capped(response, resend, MAX_BODY_BYTES).await
}

async fn read_capped(
    mut response: Response,
    resend: Resend,
    cap: usize,
) -> Result<String, ProviderError> {
    let unreadable = |message: String| {
        let error = ProviderError::malformed(message);
        if resend == Resend::Safe {
            error
        } else {
            error.after_write()
        }
    };
    let too_large = || {
        unreadable(format!(
            "the answer is larger than {} MiB, more than any answer Coffer asks for; \
             it was not read",
            cap / (1024 * 1024)
        ))
    };
    // Without gzip the length is known before a byte is read (with it, reqwest drops it).
    if response
        .content_length()
        .is_some_and(|len| len > cap as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| unreadable(format!("the answer was cut off: {e}")))?
    {
        if body.len() + chunk.len() > cap {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    // As reqwest's `text()` without its charset feature: every provider answers in UTF-8.
    Ok(String::from_utf8_lossy(&body).into_owned())
}

#[cfg(test)]
mod tests {
    //! Byte-level transport faults against a socket on loopback: what each one proves about a
    //! write, and what it is for a read.
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    fn policy() -> HttpPolicy {
        HttpPolicy {
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(2),
            max_tries: 3,
            backoff: Duration::from_millis(5),
            max_retry_after: Duration::from_secs(1),
        }
    }

    fn client(addr: std::net::SocketAddr) -> HttpClient {
        HttpClient::new(ProviderKind::Clover, &format!("http://{addr}"), policy()).unwrap()
    }

    async fn post(http: &HttpClient, resend: Resend) -> Result<String, ProviderError> {
        let url = http.url("/v1/charges");
        let response = http
            .send(resend, |c| c.post(&url).body("{\"amount\":100}"))
            .await?;
        body_text(response, resend).await
    }

    /// Reads one request head (and its small body) off `socket`.
    async fn read_request(socket: &mut TcpStream) {
        let mut seen = Vec::new();
        let mut buf = [0u8; 2048];
        while !String::from_utf8_lossy(&seen).contains("{\"amount\":100}") {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    }

    /// A server that answers every connection with `answer(socket)` after reading the request.
    async fn server(
        answer: impl AsRef<[u8]> + Send + 'static,
        connections: usize,
    ) -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            for _ in 0..connections {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                read_request(&mut socket).await;
                let _ = socket.write_all(answer.as_ref()).await;
                let _ = socket.shutdown().await;
            }
            // The listener drops here: later connections are refused.
        });
        addr
    }

    async fn refused_port() -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap()
    }

    #[tokio::test]
    async fn a_refused_connection_is_unavailable_even_for_a_write() {
        let addr = refused_port().await;
        for resend in [Resend::Once, Resend::Idempotent, Resend::Safe] {
            let error = post(&client(addr), resend).await.unwrap_err();
            assert_eq!(
                error.kind,
                ProviderErrorKind::Unavailable,
                "{resend:?}: nothing listened, so no byte of the request left"
            );
        }
    }

    #[tokio::test]
    async fn a_connection_closed_after_the_request_is_an_unknown_outcome_for_a_write() {
        for resend in [Resend::Once, Resend::Idempotent] {
            let addr = server(b"", 3).await;
            let error = post(&client(addr), resend).await.unwrap_err();
            assert_eq!(
                error.kind,
                ProviderErrorKind::UnknownOutcome,
                "{resend:?}: the provider had the request and may have processed it"
            );
        }
        let addr = server(b"", 3).await;
        assert_eq!(
            post(&client(addr), Resend::Safe).await.unwrap_err().kind,
            ProviderErrorKind::Unavailable,
            "a read that got no answer changed nothing"
        );
    }

    #[tokio::test]
    async fn a_retry_that_cannot_connect_after_a_5xx_is_still_an_unknown_outcome() {
        // One connection answered 503, then nothing listens: the first try may have arrived.
        let addr = server(
            b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            1,
        )
        .await;
        let error = post(&client(addr), Resend::Idempotent).await.unwrap_err();
        assert_eq!(
            error.kind,
            ProviderErrorKind::UnknownOutcome,
            "a later refused connection does not undo a try that may have been processed"
        );
    }

    #[tokio::test]
    async fn a_body_cut_off_is_an_unknown_outcome_for_a_write_and_malformed_for_a_read() {
        const CUT: &[u8] =
            b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\nconnection: close\r\n\r\n{\"id\":\"AB";
        let addr = server(CUT, 1).await;
        assert_eq!(
            post(&client(addr), Resend::Once).await.unwrap_err().kind,
            ProviderErrorKind::UnknownOutcome,
            "the provider answered, so it had the charge"
        );
        let addr = server(CUT, 1).await;
        assert_eq!(
            post(&client(addr), Resend::Safe).await.unwrap_err().kind,
            ProviderErrorKind::MalformedResponse,
            "an unreadable read is never 'nothing there'"
        );
    }

    /// `HTTP/1.1 200` with `body` and the given extra headers.
    fn answer(headers: &str, body: &[u8]) -> Vec<u8> {
        let mut bytes = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        bytes.extend_from_slice(body);
        bytes
    }

    #[tokio::test]
    async fn an_answer_over_the_cap_is_refused_raw_or_inflated() {
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        let addr = server(answer("", &big), 1).await;
        let error = post(&client(addr), Resend::Safe).await.unwrap_err();
        assert_eq!(error.kind, ProviderErrorKind::MalformedResponse);
        assert!(
            error.message.contains("larger than 16 MiB"),
            "{}",
            error.message
        );

        // 17 MiB of spaces gzip to about 17 KB: the cap counts what it inflates to.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut gz, &vec![b' '; MAX_BODY_BYTES + 1024 * 1024]).unwrap();
        let bomb = gz.finish().unwrap();
        assert!(bomb.len() < 100 * 1024, "a small raw body: {}", bomb.len());
        let addr = server(answer("content-encoding: gzip\r\n", &bomb), 1).await;
        let error = post(&client(addr), Resend::Once).await.unwrap_err();
        assert_eq!(
            error.kind,
            ProviderErrorKind::UnknownOutcome,
            "an oversized answer to a write still proves the provider had it"
        );
        assert!(
            error.message.contains("larger than 16 MiB"),
            "{}",
            error.message
        );

        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, b"{\"id\":\"ok\"}").unwrap();
        let small = gz.finish().unwrap();
        let addr = server(answer("content-encoding: gzip\r\n", &small), 1).await;
        assert_eq!(
            post(&client(addr), Resend::Safe).await.unwrap(),
            "{\"id\":\"ok\"}",
            "a gzip answer under the cap reads as before"
        );
    }
}
