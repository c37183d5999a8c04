//! Clover's per-token request rate: 16 requests a second (`shared/providers/clover.md` §1 "Rate
//! limits"; the 429's `retry-after` and `X-RateLimit-tokenLimit` header, §4.2 and the error
//! table). Off unless the sandbox runs with its rate limits on ([`crate::SandboxConfig`]'s
//! `rate_limits`, or `PUT /__sandbox/rate-limits`), so tests and the demo keep their speed. The
//! concurrency limit (5 per token, `limit_concurrency`) always applies, as before.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::header;
use serde_json::json;

use super::{bare, respond};
use crate::clover::Emulator;

/// Requests a second per token (notes §1).
pub(crate) const REQUESTS_PER_SECOND_PER_TOKEN: usize = 16;

const WINDOW: Duration = Duration::from_secs(1);

/// One token's recent requests: a sliding one-second window of the admitted ones, and until
/// when it is refused. Not state: it only paces requests.
#[derive(Debug, Default)]
pub(crate) struct Window {
    admitted: VecDeque<Instant>,
    refused_until: Option<Instant>,
}

impl Window {
    /// Admits a request at `now`, or answers the whole seconds to wait. A request made while
    /// refused is refused again and restarts the wait: the notes' "calling earlier lengthens
    /// the wait" (error table, 429 row); one made after `retry-after` is not.
    pub(crate) fn admit(&mut self, now: Instant) -> Result<(), u64> {
        if let Some(until) = self.refused_until {
            if now < until {
                self.refused_until = Some(now + WINDOW);
                return Err(WINDOW.as_secs());
            }
            self.refused_until = None;
        }
        while self
            .admitted
            .front()
            .is_some_and(|&t| now.duration_since(t) >= WINDOW)
        {
            self.admitted.pop_front();
        }
        if self.admitted.len() < REQUESTS_PER_SECOND_PER_TOKEN {
            self.admitted.push_back(now);
            return Ok(());
        }
        // Free again once the oldest admitted request leaves the window.
        let until = self.admitted.front().map_or(now, |&t| t + WINDOW);
        self.refused_until = Some(until);
        let wait = until.saturating_duration_since(now);
        Err(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
    }
}

/// A 17th request of one token within a second gets 429 with `retry-after` and the header
/// naming the limit hit, when the sandbox's rate limits are on.
pub(crate) async fn limit_rate(
    State(emu): State<Arc<Emulator>>,
    request: Request,
    next: Next,
) -> Response {
    // The sandbox's own admin routes are not Clover's API: never limited.
    if !emu.ctx.faults.rate_limits() || request.uri().path().contains("/__sandbox/") {
        return next.run(request).await;
    }
    let Some(credential) = credential_of(&request) else {
        return next.run(request).await;
    };
    let verdict = match emu.request_windows.lock() {
        Ok(mut windows) => windows.entry(credential).or_default().admit(Instant::now()),
        Err(_) => return bare(500),
    };
    match verdict {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            let mut response = respond(
                429,
                json!({ "message": "429 Too Many Requests" }).to_string(),
            );
            let headers = response.headers_mut();
            headers.insert(header::RETRY_AFTER, http::HeaderValue::from(wait.max(1)));
            headers.insert(
                "x-ratelimit-tokenlimit",
                http::HeaderValue::from(REQUESTS_PER_SECOND_PER_TOKEN),
            );
            response
        }
    }
}

/// Per credential, its window.
pub(crate) type Windows = HashMap<String, Window>;

/// The token a request is limited by: its bearer header, or the `apikey` header Clover's
/// e-commerce endpoints take (notes §4.2: limits are per token).
pub(crate) fn credential_of(request: &Request) -> Option<String> {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .or_else(|| request.headers().get("apikey"))
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixteen_a_second_pass_the_seventeenth_waits_and_an_early_retry_waits_longer() {
        let start = Instant::now();
        let mut w = Window::default();
        for i in 0..16 {
            assert_eq!(
                w.admit(start + Duration::from_millis(i * 10)),
                Ok(()),
                "{i}"
            );
        }
        let late = start + Duration::from_millis(500);
        assert_eq!(w.admit(late), Err(1), "the 17th within the second");
        // Retrying before the window frees restarts the wait.
        let early = start + Duration::from_millis(900);
        assert_eq!(w.admit(early), Err(1));
        assert_eq!(
            w.admit(start + Duration::from_millis(1_200)),
            Err(1),
            "still within a second of the early retry"
        );
        assert_eq!(w.admit(start + Duration::from_millis(2_300)), Ok(()));
    }

    #[test]
    fn a_client_that_honours_retry_after_is_admitted() {
        let start = Instant::now();
        let mut w = Window::default();
        for _ in 0..16 {
            assert_eq!(w.admit(start), Ok(()));
        }
        let refused = start + Duration::from_millis(100);
        let wait = w.admit(refused).unwrap_err();
        assert_eq!(wait, 1);
        assert_eq!(w.admit(refused + Duration::from_secs(wait)), Ok(()));
    }
}
