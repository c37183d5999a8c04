//! Local emulators of the four providers Coffer talks to, built from their documented APIs
//! (`shared/providers/*.md`), so a new user works against demo merchants at once and every test
//! talks real HTTP.
//!
//! One process serves all four on one loopback port, each under its own prefix
//! (`/clover`, `/processout`, `/assist`, `/svea`), plus the admin API under `/__sandbox/`.
//! Each emulator is a folder (`routes/` with one file per resource, `state.rs`, `rules.rs`,
//! `wire.rs`) written from the provider's docs alone: it shares no wire code with the clients in
//! `coffer-providers`, so a misreading of the docs shows up as a failing test rather than hiding
//! in both. `scaffold.rs` is what their routes share: the `Authed` extractor.
#![deny(missing_docs)]

pub mod faults;
pub mod ledger;
pub mod seed;

mod assist;
mod clover;
mod processout;
mod scaffold;
mod svea;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use coffer_core::{Currency, ProviderAccount, ProviderKind};
use http::{Method, StatusCode};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

pub use faults::{FaultConfig, Faults};
pub use ledger::{AcceptedCharge, Ledger};
pub use seed::{CardBehaviour, Seed};

/// What an emulator needs from the process around it.
#[derive(Clone, Debug)]
pub(crate) struct Ctx {
    /// Processed payments, shared by all emulators.
    pub ledger: Arc<Ledger>,
    /// The fault knobs (the "timeout" test card reads its delay here).
    pub faults: Arc<Faults>,
    /// This emulator's own base URL, for redirects and links it hands out.
    pub base_url: String,
}

impl Ctx {
    /// The emulator's clock.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    /// What a lookup may reveal now, under the `lookup_lag_secs` knob.
    pub fn horizon(&self) -> faults::Horizon {
        self.faults.horizon(self.now())
    }
}

/// A seeded merchant account, with what a client needs to log in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxMerchant {
    /// Display name ("Clover Downtown").
    pub name: String,
    /// The provider's ids, in Coffer's own shape.
    pub account: ProviderAccount,
    /// The one secret (Clover access token, ProcessOut project secret, Assist password, Svea
    /// secret key). Sandbox-only values.
    pub secret: String,
    /// Charges are made in it.
    pub currency: Currency,
    /// IANA zone of the merchant.
    pub time_zone: String,
    /// The emulator's base URL.
    pub base_url: String,
}

/// One provider emulator. Registered once, in [`emulator`].
pub(crate) trait Emulator: Send + Sync + 'static {
    /// Which provider it plays.
    fn kind(&self) -> ProviderKind;
    /// Its routes, mounted under `/<kind>`.
    fn router(self: Arc<Self>) -> Router;
    /// The routes of [`Emulator::router`] that only look up although they are POSTs (paths as
    /// mounted there). Every GET is a lookup too; anything else is a write, which the fault
    /// knobs that hit writes count (`next_writes_only`, `error_after_write_next`).
    fn lookup_posts(&self) -> &'static [&'static str];
    /// Its seeded merchant accounts.
    fn merchants(&self) -> Vec<SandboxMerchant>;
    /// Its whole state, for `--state FILE`.
    fn snapshot(&self) -> serde_json::Value;
    /// Restores a snapshot taken by [`Emulator::snapshot`].
    fn restore(&self, snapshot: serde_json::Value) -> Result<(), String>;
    /// Back to the seed.
    fn reset(&self, seed: &Seed);
}

/// The emulator of `kind`, on `ctx`, seeded from `seed`: one line per provider, the one match
/// on the provider here (exhaustive, so the compiler points a new `ProviderKind` to it).
fn emulator(kind: ProviderKind, ctx: Ctx, seed: &Seed) -> Arc<dyn Emulator> {
    match kind {
        ProviderKind::Clover => Arc::new(clover::Emulator::new(ctx, seed)),
        ProviderKind::ProcessOut => Arc::new(processout::Emulator::new(ctx, seed)),
        ProviderKind::Assist => Arc::new(assist::Emulator::new(ctx, seed)),
        ProviderKind::Svea => Arc::new(svea::Emulator::new(ctx, seed)),
    }
}

/// Every provider's emulator, in [`ProviderKind::ALL`] order.
fn emulators(
    seed: &Seed,
    only_seed: Option<ProviderKind>,
    ctx: impl Fn(ProviderKind) -> Ctx,
) -> Vec<Arc<dyn Emulator>> {
    let empty = Seed::empty(seed.today);
    ProviderKind::ALL
        .into_iter()
        .map(|kind| {
            let seed = match only_seed {
                Some(only) if only != kind => &empty,
                _ => seed,
            };
            emulator(kind, ctx(kind), seed)
        })
        .collect()
}

/// How to start the sandboxes.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Where to listen; port 0 picks a free one.
    pub listen: SocketAddr,
    /// The seed.
    pub seed: Seed,
    /// Fault knobs at start.
    pub faults: FaultConfig,
    /// Keep state in this file across restarts.
    pub state_file: Option<PathBuf>,
    /// Give the seed's customers to this provider's merchants alone; the others start with
    /// their merchants only. Every emulator generates its seeded customers on demand, so this
    /// no longer saves memory; it keeps a benchmark's other providers empty when it wants
    /// them so. None: every provider. Not applied to a restored state file, which carries its
    /// own.
    pub only_seed: Option<ProviderKind>,
    /// Enforce the providers' documented rate limits: Clover's 16 requests a second per token
    /// (`shared/providers/clover.md` §1; its 5 concurrent per token always apply). The other
    /// providers' notes give no numbers, so they have none. Off by default, so tests and the
    /// demo keep their speed; on for a benchmark. Switchable at run time with
    /// `PUT /__sandbox/rate-limits` `{"on": true}`.
    pub rate_limits: bool,
}

impl SandboxConfig {
    /// Loopback, ephemeral port, demo seed with `customers` per merchant around today.
    pub fn demo(customers: usize) -> SandboxConfig {
        SandboxConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            seed: Seed::demo(customers, Utc::now().date_naive()),
            faults: FaultConfig::default(),
            state_file: None,
            only_seed: None,
            rate_limits: false,
        }
    }
}

/// The base URLs of a running sandbox process: one per provider (at `/<name>`) and the admin
/// API. As JSON (`coffer sandbox` prints it) an object with one key per provider name, in
/// [`ProviderKind::ALL`] order, then `admin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxUrls {
    /// Each provider's base URL, in [`ProviderKind::ALL`] order.
    providers: Vec<(ProviderKind, String)>,
    /// The admin API (`/__sandbox`).
    pub admin: String,
}

impl SandboxUrls {
    /// The URLs of a sandbox served at `root`: `<root>/<provider>` and `<root>/__sandbox`.
    fn under(root: &str) -> SandboxUrls {
        SandboxUrls {
            providers: ProviderKind::ALL
                .into_iter()
                .map(|kind| (kind, format!("{root}/{kind}")))
                .collect(),
            admin: format!("{root}/__sandbox"),
        }
    }

    /// The base URL of one provider.
    pub fn of(&self, kind: ProviderKind) -> &str {
        self.providers
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or("", |(_, url)| url)
    }
}

impl Serialize for SandboxUrls {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.providers.len() + 1))?;
        for (kind, url) in &self.providers {
            map.serialize_entry(kind.as_str(), url)?;
        }
        map.serialize_entry("admin", &self.admin)?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for SandboxUrls {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut map = std::collections::BTreeMap::<String, String>::deserialize(deserializer)?;
        let mut take =
            |key: &'static str| map.remove(key).ok_or_else(|| D::Error::missing_field(key));
        let providers = ProviderKind::ALL
            .into_iter()
            .map(|kind| Ok((kind, take(kind.as_str())?)))
            .collect::<Result<_, D::Error>>()?;
        Ok(SandboxUrls {
            providers,
            admin: take("admin")?,
        })
    }
}

/// A running sandbox. Dropping it stops the server and writes the state file, if any, in the
/// background; [`Sandbox::shutdown`] stops it and returns once that file is written.
#[derive(Debug)]
pub struct Sandbox {
    /// Where each emulator answers.
    pub urls: SandboxUrls,
    /// The fault knobs, for in-process tests.
    pub faults: Arc<Faults>,
    /// Processed payments, for in-process tests.
    pub ledger: Arc<Ledger>,
    emulators: Vec<Arc<dyn Emulator>>,
    stop: watch::Sender<bool>,
    /// The task that writes the state file once `stop` flips (with a state file only).
    saving: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for dyn Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Emulator({})", self.kind())
    }
}

impl Sandbox {
    /// The seeded merchant accounts of every emulator, with their sandbox credentials: what
    /// `GET /__sandbox/merchants` answers, for in-process callers.
    pub fn merchants(&self) -> Vec<SandboxMerchant> {
        self.emulators.iter().flat_map(|e| e.merchants()).collect()
    }

    /// Stops the server and returns only once the state file, if any, is written: a sandbox
    /// started on that file right after finds every answer this one gave, with no need to poll
    /// the file.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(saving) = self.saving.take() {
            if let Err(e) = saving.await {
                tracing::warn!("sandbox state writer ended abnormally: {e}");
            }
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

#[derive(Clone)]
struct Shared {
    emulators: Vec<Arc<dyn Emulator>>,
    ledger: Arc<Ledger>,
    faults: Arc<Faults>,
    seed: Seed,
    /// Where state is saved, with the lock that keeps two saves from interleaving.
    saver: Option<Arc<Saver>>,
}

/// Saves the state file after every request that may have changed state, before the answer
/// leaves: once the sandbox has said "paid", a restart (or a kill) cannot forget the payment.
#[derive(Debug)]
struct Saver {
    path: PathBuf,
    lock: std::sync::Mutex<()>,
}

#[derive(Serialize, Deserialize)]
struct StateFile {
    seed: Seed,
    emulators: serde_json::Map<String, serde_json::Value>,
    ledger: Vec<AcceptedCharge>,
}

/// Errors starting the sandbox.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The port could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// Address asked for.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The state file exists but cannot be read back.
    #[error("state file {path}: {reason}")]
    State {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

impl Sandbox {
    /// Binds, seeds (or restores the state file) and serves on the current tokio runtime.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| SandboxError::Listen {
                    addr: config.listen,
                    source,
                })?;
        let addr = listener
            .local_addr()
            .map_err(|source| SandboxError::Listen {
                addr: config.listen,
                source,
            })?;
        let root = format!("http://{addr}");
        let ledger = Arc::new(Ledger::default());
        let faults = Arc::new(Faults::new(config.faults.clone()));
        faults.set_rate_limits(config.rate_limits);
        let mut seed = config.seed.clone();
        let restored = match &config.state_file {
            Some(path) if path.exists() => {
                let state = read_state(path)?;
                seed = state.seed.clone();
                Some(state)
            }
            _ => None,
        };
        let only_seed = config.only_seed.filter(|_| restored.is_none());
        let emulators = emulators(&seed, only_seed, |kind| Ctx {
            ledger: ledger.clone(),
            faults: faults.clone(),
            base_url: format!("{root}/{kind}"),
        });
        if let (Some(state), Some(path)) = (restored, &config.state_file) {
            for emulator in &emulators {
                if let Some(snapshot) = state.emulators.get(emulator.kind().as_str()) {
                    emulator
                        .restore(snapshot.clone())
                        .map_err(|reason| SandboxError::State {
                            path: path.clone(),
                            reason,
                        })?;
                }
            }
            ledger.replace(state.ledger);
        }
        let shared = Shared {
            emulators: emulators.clone(),
            ledger: ledger.clone(),
            faults: faults.clone(),
            seed,
            saver: config.state_file.clone().map(|path| {
                Arc::new(Saver {
                    path,
                    lock: std::sync::Mutex::new(()),
                })
            }),
        };
        let app = app(shared.clone());
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(serve(listener, app, stopped.clone()));
        let saving = shared
            .saver
            .is_some()
            .then(|| tokio::spawn(save_on_stop(shared, stopped)));
        Ok(Sandbox {
            urls: SandboxUrls::under(&root),
            faults,
            ledger,
            emulators,
            stop,
            saving,
        })
    }
}

fn read_state(path: &PathBuf) -> Result<StateFile, SandboxError> {
    let err = |reason: String| SandboxError::State {
        path: path.clone(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| err(format!("not a sandbox state file: {e}")))
}

fn write_state(shared: &Shared) {
    let Some(saver) = &shared.saver else {
        return;
    };
    let Ok(_guard) = saver.lock.lock() else {
        return;
    };
    let path = &saver.path;
    let state = StateFile {
        seed: shared.seed.clone(),
        emulators: shared
            .emulators
            .iter()
            .map(|e| (e.kind().as_str().to_string(), e.snapshot()))
            .collect(),
        ledger: shared.ledger.all(),
    };
    let tmp = path.with_extension("tmp");
    let written = serde_json::to_vec(&state)
        .map_err(std::io::Error::other)
        .and_then(|bytes| std::fs::write(&tmp, bytes))
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        tracing::warn!("sandbox state not saved to {}: {e}", path.display());
    }
}

async fn save_on_stop(shared: Shared, mut stopped: watch::Receiver<bool>) {
    let _ = stopped.changed().await;
    write_state(&shared);
}

fn app(shared: Shared) -> Router {
    let mut router = Router::new().nest("/__sandbox", admin_routes(shared.clone()));
    for emulator in &shared.emulators {
        let kind = emulator.kind();
        let gate = faults::Gate {
            faults: shared.faults.clone(),
            lookup_posts: emulator.lookup_posts(),
        };
        let routes = emulator
            .clone()
            .router()
            .layer(middleware::from_fn_with_state(gate, faults::inject))
            .layer(middleware::from_fn_with_state(
                shared.clone(),
                save_after_write,
            ));
        router = router.nest(&format!("/{kind}"), routes);
    }
    router
}

async fn save_after_write(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    // Not the fault knobs' lookup list: some POST lookups change state (an Assist `In Process`
    // order turns final after its lookups), so every POST is saved.
    let writes = request.method() != Method::GET;
    let response = next.run(request).await;
    if writes && shared.saver.is_some() {
        let saving = shared.clone();
        let _ = tokio::task::spawn_blocking(move || write_state(&saving)).await;
    }
    response
}

fn admin_routes(shared: Shared) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/merchants", get(admin_merchants))
        .route("/charges", get(admin_charges))
        .route("/reset", post(admin_reset))
        .route("/faults", get(admin_faults).put(admin_set_faults))
        .route(
            "/rate-limits",
            get(admin_rate_limits).put(admin_set_rate_limits),
        )
        .with_state(shared)
}

async fn admin_merchants(State(shared): State<Shared>) -> Json<Vec<SandboxMerchant>> {
    Json(
        shared
            .emulators
            .iter()
            .flat_map(|e| e.merchants())
            .collect(),
    )
}

#[derive(Deserialize)]
struct ChargeFilter {
    provider: Option<String>,
}

async fn admin_charges(
    State(shared): State<Shared>,
    axum::extract::Query(filter): axum::extract::Query<ChargeFilter>,
) -> Json<Vec<AcceptedCharge>> {
    let all = shared.ledger.all();
    Json(match filter.provider {
        Some(p) => all.into_iter().filter(|c| c.provider == p).collect(),
        None => all,
    })
}

async fn admin_reset(State(shared): State<Shared>) -> impl IntoResponse {
    for emulator in &shared.emulators {
        emulator.reset(&shared.seed);
    }
    shared.ledger.replace(Vec::new());
    shared.faults.reset();
    let saving = shared.clone();
    let _ = tokio::task::spawn_blocking(move || write_state(&saving)).await;
    StatusCode::NO_CONTENT
}

async fn admin_faults(State(shared): State<Shared>) -> Json<FaultConfig> {
    Json(shared.faults.get())
}

async fn admin_set_faults(
    State(shared): State<Shared>,
    Json(update): Json<faults::FaultUpdate>,
) -> Json<FaultConfig> {
    Json(shared.faults.update(update))
}

/// Whether the providers' documented rate limits apply (`SandboxConfig::rate_limits`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct RateLimits {
    on: bool,
}

async fn admin_rate_limits(State(shared): State<Shared>) -> Json<RateLimits> {
    Json(RateLimits {
        on: shared.faults.rate_limits(),
    })
}

async fn admin_set_rate_limits(
    State(shared): State<Shared>,
    Json(update): Json<RateLimits>,
) -> Json<RateLimits> {
    shared.faults.set_rate_limits(update.on);
    Json(update)
}

#[derive(Debug)]
struct DroppedOnPurpose;

impl std::fmt::Display for DroppedOnPurpose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("response dropped by the sandbox")
    }
}

impl std::error::Error for DroppedOnPurpose {}

/// Serves connections until `stopped` flips. A response marked [`faults::DropConnection`]
/// becomes a service error, which makes hyper close the connection with no answer.
async fn serve(listener: TcpListener, app: Router, mut stopped: watch::Receiver<bool>) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.changed() => return,
        };
        let Ok((stream, _)) = accepted else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let app = app.clone();
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(
                move |request: hyper::Request<hyper::body::Incoming>| {
                    let app = app.clone();
                    async move {
                        let response = app
                            .oneshot(request.map(axum::body::Body::new))
                            .await
                            .unwrap_or_else(|never| match never {});
                        if response
                            .extensions()
                            .get::<faults::DropConnection>()
                            .is_some()
                        {
                            Err(DroppedOnPurpose)
                        } else {
                            Ok(response)
                        }
                    }
                },
            );
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = connection => {}
                _ = stopped.changed() => {}
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_urls_print_one_key_per_provider_then_admin_and_read_back() {
        let urls = SandboxUrls::under("http://127.0.0.1:9");
        let json = serde_json::to_string(&urls).unwrap();
        assert_eq!(
            json,
            r#"{"clover":"http://127.0.0.1:9/clover","processout":"http://127.0.0.1:9/processout","assist":"http://127.0.0.1:9/assist","svea":"http://127.0.0.1:9/svea","admin":"http://127.0.0.1:9/__sandbox"}"#,
            "the line `coffer sandbox` prints keeps its shape"
        );
        assert_eq!(serde_json::from_str::<SandboxUrls>(&json).unwrap(), urls);
        for kind in ProviderKind::ALL {
            assert_eq!(urls.of(kind), format!("http://127.0.0.1:9/{kind}"));
        }
    }
}
