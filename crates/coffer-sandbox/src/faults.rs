//! Fault knobs, settable at start and at run time through `PUT /__sandbox/faults`: added latency,
//! an error rate, 429 storms with Retry-After, "process the request, then drop the response",
//! "process it, then answer 502", and lookups that lag behind what was made. Rates are
//! percentages drawn from a seeded generator; the `*_next` counters hit the next N requests
//! exactly, which is what tests use.
//!
//! A request is a *lookup* or a *write*. Every GET is a lookup, and so is each POST route an
//! emulator names in [`crate::Emulator::lookup_posts`] (Svea's status query and Assist's
//! orderresult are POSTs that only read). Everything else can move money or create state and
//! is a write. The middleware decides this once, from that one list, for every knob that cares.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use http::{HeaderValue, Method, StatusCode};
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
    /// The `*_next` counters count only writes (anything but a lookup: GETs and the POST
    /// lookups each emulator names): a test can lose the answer to a refund without also losing
    /// the lookup the client makes before it.
    pub next_writes_only: bool,
    /// The next N writes are processed in full (the charge, refund or cancel is made, in the
    /// emulator's state and in the admin ledger), and then the client gets `502 Bad Gateway`
    /// with an nginx-style HTML body instead of the answer: a proxy in front of the provider
    /// that lost the answer. Lookups never count, whatever `next_writes_only` says. A test
    /// knob, not a provider fact.
    pub error_after_write_next: u32,
    /// Lookups do not reveal a charge, refund or cancel until this many seconds after it was
    /// made, by the emulator's clock; what was made earlier (also before the knob was set)
    /// shows as usual once its own age passes it. Writes are not affected. 0 = no lag. A test
    /// knob, not a provider fact.
    pub lookup_lag_secs: u64,
    /// Assist only (the other emulators ignore it): a Token Pay or rp.cfm charge that reuses
    /// the OrderNumber of an order that took money makes a second, separate order and charges
    /// again, as a live Assist may (shared/providers/assist.md §4.4). Off, the emulator refuses
    /// it with `11/107` unless `PUT /assist/__sandbox/rules` turned `refuse_duplicate_order`
    /// off.
    pub assist_order_number_reuse_charges: bool,
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
    error_after_write_next: Option<u32>,
    lookup_lag_secs: Option<u64>,
    assist_order_number_reuse_charges: Option<bool>,
}

/// The live knobs shared by every emulator.
#[derive(Debug)]
pub struct Faults {
    config: Mutex<FaultConfig>,
    rng: Mutex<SmallRng>,
    /// The providers' documented rate limits apply (`SandboxConfig::rate_limits`). Not a
    /// fault knob: an admin reset leaves it as it is.
    rate_limits: AtomicBool,
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

/// The answer a proxy in front of a provider gives when the provider's answer did not reach it
/// (nginx's own page): the client cannot tell whether the write was made.
pub fn bad_gateway_response() -> Response {
    const BODY: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
        <center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
    (
        StatusCode::BAD_GATEWAY,
        [(http::header::CONTENT_TYPE, "text/html")],
        BODY,
    )
        .into_response()
}

/// What a lookup may reveal under `lookup_lag_secs`: what was made at or before its instant.
/// `None` when lookups are not lagged, so that callers can skip the work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Horizon(Option<DateTime<Utc>>);

impl Horizon {
    /// Whether a lookup may show something made at `made`.
    pub(crate) fn shows(self, made: DateTime<Utc>) -> bool {
        self.0.is_none_or(|h| made <= h)
    }

    /// [`Horizon::shows`] for Unix milliseconds.
    pub(crate) fn shows_ms(self, made_ms: i64) -> bool {
        self.0.is_none_or(|h| made_ms <= h.timestamp_millis())
    }

    /// Whether some recent things are hidden at all.
    pub(crate) fn lags(self) -> bool {
        self.0.is_some()
    }
}

/// What happens to a request the knobs let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Answered as processed.
    Answer,
    /// Processed, then the connection is closed.
    Drop,
    /// Processed, then a proxy's 502 instead of the answer.
    BadGateway,
}

#[derive(Debug, PartialEq, Eq)]
enum Decision {
    Pass(Pass),
    Unavailable,
    RateLimited(u64),
}

impl Faults {
    /// Knobs starting at `config`.
    pub fn new(config: FaultConfig) -> Faults {
        Faults {
            config: Mutex::new(config),
            rng: Mutex::new(SmallRng::seed_from_u64(0x00c0_ffee)),
            rate_limits: AtomicBool::new(false),
        }
    }

    /// Whether the emulators enforce their providers' documented rate limits.
    pub fn rate_limits(&self) -> bool {
        self.rate_limits.load(Ordering::Relaxed)
    }

    /// Turns the providers' documented rate limits on or off.
    pub fn set_rate_limits(&self, on: bool) {
        self.rate_limits.store(on, Ordering::Relaxed);
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
            next_writes_only,
            error_after_write_next,
            lookup_lag_secs,
            assist_order_number_reuse_charges
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

    /// What lookups may reveal at `now`.
    pub(crate) fn horizon(&self, now: DateTime<Utc>) -> Horizon {
        let lag = self.config.lock().map(|c| c.lookup_lag_secs).unwrap_or(0);
        if lag == 0 {
            return Horizon(None);
        }
        let lag = i64::try_from(lag).map_or(chrono::TimeDelta::MAX, |secs| {
            chrono::TimeDelta::try_seconds(secs).unwrap_or(chrono::TimeDelta::MAX)
        });
        Horizon(Some(
            now.checked_sub_signed(lag)
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
        ))
    }

    /// Whether Assist charges again on a reused OrderNumber (`assist_order_number_reuse_charges`).
    pub(crate) fn assist_reuse_charges(&self) -> bool {
        self.config
            .lock()
            .map(|c| c.assist_order_number_reuse_charges)
            .unwrap_or(false)
    }

    fn decide(&self, lookup: bool) -> (Duration, Decision) {
        let Ok(mut c) = self.config.lock() else {
            return (Duration::ZERO, Decision::Pass(Pass::Answer));
        };
        let latency = Duration::from_millis(c.latency_ms);
        let counted = !(lookup && c.next_writes_only);
        let decision = if counted && c.rate_limit_next > 0 {
            c.rate_limit_next -= 1;
            Decision::RateLimited(c.retry_after_secs)
        } else if counted && c.error_next > 0 {
            c.error_next -= 1;
            Decision::Unavailable
        } else if counted && c.drop_next > 0 {
            c.drop_next -= 1;
            Decision::Pass(Pass::Drop)
        } else if !lookup && c.error_after_write_next > 0 {
            c.error_after_write_next -= 1;
            Decision::Pass(Pass::BadGateway)
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
            } else if self.roll(dr) {
                Decision::Pass(Pass::Drop)
            } else {
                Decision::Pass(Pass::Answer)
            }
        };
        (latency, decision)
    }
}

/// Whether a request only looks up: every GET (and HEAD), and a POST to one of the routes the
/// emulator names in `lookup_posts` (paths as its router mounts them, without `/<provider>`).
pub(crate) fn is_lookup(method: &Method, path: &str, lookup_posts: &[&str]) -> bool {
    method == Method::GET
        || method == Method::HEAD
        || (method == Method::POST && lookup_posts.contains(&path))
}

/// The state of [`inject`] for one emulator: the shared knobs and that emulator's lookups.
#[derive(Debug, Clone)]
pub(crate) struct Gate {
    /// The shared knobs.
    pub faults: Arc<Faults>,
    /// The emulator's [`crate::Emulator::lookup_posts`].
    pub lookup_posts: &'static [&'static str],
}

/// Middleware over every provider route of one emulator.
pub(crate) async fn inject(State(gate): State<Gate>, request: Request, next: Next) -> Response {
    let lookup = is_lookup(request.method(), request.uri().path(), gate.lookup_posts);
    let faults = gate.faults;
    let (latency, decision) = faults.decide(lookup);
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
        Decision::Pass(pass) => {
            let response = next.run(request).await;
            let hold = faults.get().response_delay_ms;
            if hold > 0 {
                tokio::time::sleep(Duration::from_millis(hold)).await;
            }
            let dropped = response.extensions().get::<DropConnection>().is_some();
            match pass {
                Pass::Drop => dropped_response(),
                // A response the emulator drops itself (response-lost card) stays dropped: a
                // proxy that heard nothing has nothing to turn into a 502 either way.
                Pass::BadGateway if !dropped => bad_gateway_response(),
                Pass::BadGateway | Pass::Answer => response,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faults(config: FaultConfig) -> Faults {
        Faults::new(config)
    }

    #[test]
    fn only_gets_and_named_posts_are_lookups() {
        let posts = ["/PaymentStatusQuery.pmt"];
        assert!(is_lookup(&Method::GET, "/v1/charges", &posts));
        assert!(is_lookup(&Method::POST, "/PaymentStatusQuery.pmt", &posts));
        assert!(
            !is_lookup(&Method::POST, "/PaymentCancel.pmt", &posts),
            "a POST not named is a write"
        );
        assert!(
            !is_lookup(&Method::PUT, "/PaymentStatusQuery.pmt", &posts),
            "only the POST of a lookup route reads"
        );
    }

    #[test]
    fn a_bad_gateway_is_spent_on_writes_only_and_after_the_earlier_counters() {
        let f = faults(FaultConfig {
            error_after_write_next: 1,
            drop_next: 1,
            ..FaultConfig::default()
        });
        assert_eq!(
            f.decide(true).1,
            Decision::Pass(Pass::Drop),
            "drop_next counts lookups unless next_writes_only"
        );
        assert_eq!(
            f.decide(true).1,
            Decision::Pass(Pass::Answer),
            "a lookup never takes the 502"
        );
        assert_eq!(f.decide(false).1, Decision::Pass(Pass::BadGateway));
        assert_eq!(
            f.decide(false).1,
            Decision::Pass(Pass::Answer),
            "the counter is spent"
        );
    }

    #[test]
    fn the_horizon_lags_by_the_knob_and_is_open_without_it() {
        let now = Utc::now();
        let f = faults(FaultConfig::default());
        assert_eq!(f.horizon(now), Horizon(None), "no lag: nothing hidden");
        assert!(!f.horizon(now).lags());
        f.update(FaultUpdate {
            lookup_lag_secs: Some(5),
            ..FaultUpdate::default()
        });
        let h = f.horizon(now);
        assert!(h.shows(now - chrono::TimeDelta::seconds(5)));
        assert!(!h.shows(now - chrono::TimeDelta::seconds(4)));
        assert!(!h.shows_ms(now.timestamp_millis()));
        f.update(FaultUpdate {
            lookup_lag_secs: Some(u64::MAX),
            ..FaultUpdate::default()
        });
        assert!(
            !f.horizon(now).shows(now - chrono::TimeDelta::days(365)),
            "a huge lag hides everything instead of overflowing"
        );
        assert!(
            Horizon(None).shows(now),
            "an open horizon shows what was just made"
        );
    }
}
