//! Fault knobs, settable at start and at run time through `PUT /__sandbox/faults`: added latency,
//! an error rate, 429 storms with Retry-After, and "process the request, then drop the
//! response". Rates are percentages drawn from a seeded generator; the `*_next` counters hit the
//! next N requests exactly, which is what tests use.

use std::sync::Mutex;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The knobs. Every field is optional in a `PUT`, which changes only what it names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultConfig {
    /// Added to every provider request, in milliseconds.
    pub latency_ms: u64,
    /// Percent of requests answered 503 before they are processed.
    pub error_rate: u8,
    /// Percent of requests answered 429 before they are processed.
    pub rate_limit_rate: u8,
    /// The Retry-After seconds sent with a 429.
    pub retry_after_secs: u64,
    /// Percent of requests processed and then answered by closing the connection.
    pub drop_rate: u8,
    /// The next N requests get a 503.
    pub error_next: u32,
    /// The next N requests get a 429.
    pub rate_limit_next: u32,
    /// The next N requests are processed and their responses dropped.
    pub drop_next: u32,
    /// How long the "timeout" test card keeps the request open, in milliseconds.
    pub timeout_ms: u64,
    /// Milliseconds to hold the answer after the request was processed: a window in which a
    /// client can be killed between "the provider charged" and "the client heard it".
    pub response_delay_ms: u64,
    /// The `*_next` counters count only writes (anything but GET): a test can lose the answer
    /// to a refund without also losing the lookup the client makes before it.
    pub next_writes_only: bool,
}

/// A partial update of the knobs.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FaultUpdate {
    latency_ms: Option<u64>,
    error_rate: Option<u8>,
    rate_limit_rate: Option<u8>,
    retry_after_secs: Option<u64>,
    drop_rate: Option<u8>,
    error_next: Option<u32>,
    rate_limit_next: Option<u32>,
    drop_next: Option<u32>,
    timeout_ms: Option<u64>,
    response_delay_ms: Option<u64>,
    next_writes_only: Option<bool>,
}

/// The live knobs shared by every emulator.
#[derive(Debug)]
pub struct Faults {
    config: Mutex<FaultConfig>,
    rng: Mutex<SmallRng>,
}

/// A response extension that tells the server to close the connection instead of answering:
/// the client sees its request vanish after the emulator has processed it.
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

/// A response the server turns into a closed connection.
pub fn dropped_response() -> Response {
    let mut response = StatusCode::OK.into_response();
    response.extensions_mut().insert(DropConnection);
    response
}

enum Decision {
    Pass { drop: bool },
    Unavailable,
    RateLimited(u64),
}

impl Faults {
    /// Knobs starting at `config`.
    pub fn new(config: FaultConfig) -> Faults {
        Faults {
            config: Mutex::new(config),
            rng: Mutex::new(SmallRng::seed_from_u64(0x00c0_ffee)),
        }
    }

    /// The current knobs.
    pub fn get(&self) -> FaultConfig {
        self.config.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Applies a partial update and returns the result.
    pub fn update(&self, update: FaultUpdate) -> FaultConfig {
        let Ok(mut c) = self.config.lock() else {
            return FaultConfig::default();
        };
        macro_rules! set {
            ($($f:ident),*) => { $(if let Some(v) = update.$f { c.$f = v; })* };
        }
        set!(
            latency_ms,
            error_rate,
            rate_limit_rate,
            retry_after_secs,
            drop_rate,
            error_next,
            rate_limit_next,
            drop_next,
            timeout_ms,
            response_delay_ms,
            next_writes_only
        );
        c.clone()
    }

    /// Clears every knob.
    pub fn reset(&self) {
        if let Ok(mut c) = self.config.lock() {
            *c = FaultConfig::default();
        }
    }

    /// How long the "timeout" test card hangs.
    pub fn timeout(&self) -> Duration {
        let ms = self.get().timeout_ms;
        Duration::from_millis(if ms == 0 { 35_000 } else { ms })
    }

    fn roll(&self, percent: u8) -> bool {
        percent > 0
            && self
                .rng
                .lock()
                .map(|mut r| r.gen_range(0..100u8) < percent)
                .unwrap_or(false)
    }

    fn decide(&self, read: bool) -> (Duration, Decision) {
        let Ok(mut c) = self.config.lock() else {
            return (Duration::ZERO, Decision::Pass { drop: false });
        };
        let latency = Duration::from_millis(c.latency_ms);
        let counted = !(read && c.next_writes_only);
        let decision = if counted && c.rate_limit_next > 0 {
            c.rate_limit_next -= 1;
            Decision::RateLimited(c.retry_after_secs)
        } else if counted && c.error_next > 0 {
            c.error_next -= 1;
            Decision::Unavailable
        } else if counted && c.drop_next > 0 {
            c.drop_next -= 1;
            Decision::Pass { drop: true }
        } else {
            let (rl, er, dr, ra) = (
                c.rate_limit_rate,
                c.error_rate,
                c.drop_rate,
                c.retry_after_secs,
            );
            drop(c);
            if self.roll(rl) {
                Decision::RateLimited(ra)
            } else if self.roll(er) {
                Decision::Unavailable
            } else {
                Decision::Pass {
                    drop: self.roll(dr),
                }
            }
        };
        (latency, decision)
    }
}

/// Middleware over every provider route.
pub async fn inject(State(faults): State<Arc<Faults>>, request: Request, next: Next) -> Response {
    let (latency, decision) = faults.decide(request.method() == http::Method::GET);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match decision {
        Decision::RateLimited(secs) => {
            let mut response = (StatusCode::TOO_MANY_REQUESTS, "Too Many Requests").into_response();
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(http::header::RETRY_AFTER, v);
            }
            response
        }
        Decision::Unavailable => Response::builder()
            .status(StatusCode::SERVICE_UNAVAILABLE)
            .body(Body::from("Service Unavailable (sandbox fault)"))
            .unwrap_or_default(),
        Decision::Pass { drop } => {
            let response = next.run(request).await;
            let hold = faults.get().response_delay_ms;
            if hold > 0 {
                tokio::time::sleep(Duration::from_millis(hold)).await;
            }
            if drop {
                dropped_response()
            } else {
                response
            }
        }
    }
}
