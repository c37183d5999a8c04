//! The ProcessOut emulator: customers, customer tokens, invoices captured with a token,
//! transactions and refunds, behind HTTP Basic auth (project id : secret key), every answer in
//! the `{"success": …}` envelope, `Idempotency-Key` honoured on every write.
//!
//! `mod.rs` holds the [`Emulator`] and the plumbing every route shares (auth, body parsing,
//! idempotent replay, the timeout and lost-response cards); `routes/` the handlers, one file
//! per resource; `rules.rs` the provider's rules, `state.rs` the data, `wire.rs` the JSON shapes.
//! The emulator's own documentation is `crates/coffer-sandbox/docs/processout.md`.

mod routes;
mod rules;
mod seeding;
mod state;
mod store;
mod wire;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine as _;
use coffer_core::{ProcessOutAccount, ProviderAccount, ProviderKind};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::scaffold::{Credentials, Emulated};
use crate::{Ctx, SandboxMerchant, Seed};
use rules::ApiError;
use state::{Project, State, StoredReply};

pub(crate) struct Emulator {
    ctx: Ctx,
    state: Mutex<State>,
}

/// What a write produced.
pub(crate) enum Reply {
    /// Answer this.
    Done(StatusCode, Value),
    /// The timeout card: hold the request, then close it; nothing was changed.
    Hang,
    /// The response-lost card: the change is made, the answer is never delivered.
    Lost(StatusCode, Value),
}

impl Emulator {
    pub(crate) fn new(ctx: Ctx, seed: &Seed) -> Self {
        Emulator {
            ctx,
            state: Mutex::new(State::seeded(seed)),
        }
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>, ApiError> {
        self.state.lock().map_err(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "sandbox.state-unavailable",
                "The sandbox state is unavailable after an earlier failure.",
            )
        })
    }

    /// Runs a read for the authenticated project.
    fn read(
        &self,
        caller: &Caller,
        f: impl FnOnce(&Project) -> Result<Value, ApiError>,
    ) -> Response {
        let answer = self.lock().and_then(|mut state| {
            let project = caller.project_in(&mut state)?;
            f(project)
        });
        match answer {
            Ok(body) => ok(body),
            Err(e) => error_response(&e),
        }
    }

    /// Runs a write for the authenticated project, honouring `Idempotency-Key`: the same key
    /// with the same request replays the first answer byte for byte; with another request it
    /// is refused (409, our choice: the notes leave this open).
    async fn write<T: DeserializeOwned>(
        &self,
        caller: &Caller,
        headers: &HeaderMap,
        route: &str,
        body: &Bytes,
        f: impl FnOnce(&mut Project, &Ctx, T, Option<&str>) -> Result<Reply, ApiError>,
    ) -> Response {
        let key = headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .filter(|k| !k.is_empty());
        let reply = self.lock().and_then(|mut state| {
            let project = caller.project_in(&mut state)?;
            let value = parse_body(body)?;
            let fingerprint = fingerprint(route, &value);
            if let Some(key) = &key {
                if let Some(stored) = project.idempotency.get(key) {
                    if stored.fingerprint != fingerprint {
                        return Err(ApiError::new(
                            StatusCode::CONFLICT,
                            "request.idempotency-key.reused",
                            format!("The Idempotency-Key '{key}' was already used for a different request."),
                        ));
                    }
                    return Ok(Replayed(stored.clone()));
                }
            }
            let request: T = serde_json::from_value(value).map_err(|e| {
                ApiError::invalid("request.validation.invalid-body", format!("The request body is invalid: {e}."))
            })?;
            let reply = f(project, &self.ctx, request, key.as_deref())?;
            if let Some(key) = key {
                let stored = match &reply {
                    Reply::Done(status, body) => Some((*status, body, false)),
                    Reply::Lost(status, body) => Some((*status, body, true)),
                    Reply::Hang => None,
                };
                if let Some((status, body, lost)) = stored {
                    project.idempotency.insert(
                        key,
                        StoredReply {
                            fingerprint,
                            status: status.as_u16(),
                            body: body.to_string(),
                            lost,
                        },
                    );
                }
            }
            Ok(Fresh(reply))
        });
        match reply {
            Err(e) => error_response(&e),
            Ok(Replayed(stored)) if stored.lost => crate::faults::dropped_response(),
            Ok(Replayed(stored)) => {
                let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
                json_text(status, stored.body)
            }
            Ok(Fresh(Reply::Done(status, body))) => json_text(status, body.to_string()),
            Ok(Fresh(Reply::Lost(..))) => crate::faults::dropped_response(),
            Ok(Fresh(Reply::Hang)) => {
                tokio::time::sleep(self.ctx.faults.timeout()).await;
                crate::faults::dropped_response()
            }
        }
    }
}

enum Outcome {
    Replayed(StoredReply),
    Fresh(Reply),
}
use Outcome::{Fresh, Replayed};

impl Emulated for Emulator {
    type State = State;
    type Rejection = ApiError;

    fn lock(&self) -> Result<MutexGuard<'_, State>, ApiError> {
        Emulator::lock(self)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error_response(&self)
    }
}

/// A project that authenticated with HTTP Basic: the project's id.
pub(crate) struct Caller(String);

impl Caller {
    /// The caller's project; a project gone since (a restore) is unauthenticated as ProcessOut
    /// would answer for a deleted project's key.
    fn project_in<'a>(&self, state: &'a mut State) -> Result<&'a mut Project, ApiError> {
        state
            .project_mut(&self.0)
            .ok_or_else(ApiError::unauthenticated)
    }
}

impl Credentials for Caller {
    type Emulator = Emulator;

    fn authenticate(emu: &Emulator, parts: &Parts) -> Result<Caller, ApiError> {
        let mut state = emu.lock()?;
        authenticate(&mut state, &parts.headers).map(|project| Caller(project.id.clone()))
    }
}

/// A caller named by its project id alone: HTTP Basic with the project id as username and an
/// empty password, as ProcessOut.js authenticates its `POST /cards` (processout/processout.js
/// `src/processout/processout.ts` `apiRequest`: `Authorization: Basic btoa(projectID + ":")`).
/// The project's secret is accepted too (a server may tokenize as well).
pub(crate) struct PublicCaller(String);

impl PublicCaller {
    /// The same project as a [`Caller`], for the shared read and write plumbing.
    fn caller(&self) -> Caller {
        Caller(self.0.clone())
    }
}

impl Credentials for PublicCaller {
    type Emulator = Emulator;

    fn authenticate(emu: &Emulator, parts: &Parts) -> Result<PublicCaller, ApiError> {
        let state = emu.lock()?;
        let (user, password) =
            basic_credentials(&parts.headers).ok_or_else(ApiError::unauthenticated)?;
        match state.projects.iter().find(|p| p.id == user) {
            Some(project)
                if password.is_empty()
                    || constant_time_eq(project.secret.as_bytes(), password.as_bytes()) =>
            {
                Ok(PublicCaller(project.id.clone()))
            }
            _ => Err(ApiError::unauthenticated()),
        }
    }
}

/// The username and password of an HTTP Basic `Authorization` header.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let raw = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| {
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()
        })
        .and_then(|raw| String::from_utf8(raw).ok())?;
    let (user, password) = raw.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// HTTP Basic: username = project id, password = the project's secret key.
fn authenticate<'a>(
    state: &'a mut State,
    headers: &HeaderMap,
) -> Result<&'a mut Project, ApiError> {
    let (user, password) = basic_credentials(headers).ok_or_else(ApiError::unauthenticated)?;
    match state.project_mut(&user) {
        Some(project) if constant_time_eq(project.secret.as_bytes(), password.as_bytes()) => {
            Ok(project)
        }
        _ => Err(ApiError::unauthenticated()),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// An empty body is `{}`; anything else must be a JSON object.
fn parse_body(body: &Bytes) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(Value::Object(map)),
        _ => Err(ApiError::invalid(
            "request.validation.invalid-body",
            "The request body must be a JSON object.",
        )),
    }
}

/// serde_json's map is ordered by key, so the re-serialised body is canonical: the same
/// request sent with its keys in another order is still the same request.
fn fingerprint(route: &str, body: &Value) -> String {
    let mut hash = Sha256::new();
    hash.update(route.as_bytes());
    hash.update([0]);
    hash.update(body.to_string().as_bytes());
    hex::encode(hash.finalize())
}

fn json_text(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// `{"success": true, …}` merged with the resource keys.
pub(crate) fn success(mut body: Value) -> Value {
    if let Value::Object(map) = &mut body {
        map.insert("success".into(), Value::Bool(true));
    }
    body
}

fn ok(body: Value) -> Response {
    json_text(StatusCode::OK, success(body).to_string())
}

pub(crate) fn error_body(e: &ApiError) -> Value {
    json!({"success": false, "error_type": e.error_type, "message": e.message})
}

fn error_response(e: &ApiError) -> Response {
    json_text(e.status, error_body(e).to_string())
}

impl crate::Emulator for Emulator {
    fn kind(&self) -> ProviderKind {
        ProviderKind::ProcessOut
    }

    fn router(self: Arc<Self>) -> Router {
        use routes::{
            apm::*, customers::*, invoices::*, js::*, refunds::*, tokens::*, transactions::*,
        };
        Router::new()
            .route("/customers", get(list_customers).post(create_customer))
            .route(
                "/customers/{customer_id}",
                get(get_customer).delete(delete_customer),
            )
            .route(
                "/customers/{customer_id}/transactions",
                get(customer_transactions),
            )
            .route(
                "/customers/{customer_id}/tokens",
                get(list_tokens).post(create_token),
            )
            .route(
                "/customers/{customer_id}/tokens/{token_id}",
                get(get_token).put(update_token).delete(delete_token),
            )
            .route("/cards", post(create_card))
            .route("/cards/{card_id}", get(get_card))
            // ProcessOut.js and its card-field page, served here as on js.processout.com.
            .route("/js/processout.js", get(processout_js))
            .route("/js/ccfield.html", get(ccfield_html))
            .route("/js/ccfield.js", get(ccfield_js))
            // Saving an APM as a customer token (seed 002), with the sandbox's APM page.
            .route(
                "/gateway-configurations",
                get(gateway_configurations).options(gateway_configurations_preflight),
            )
            .route(
                "/apm/{configuration_id}/tokenize",
                get(apm_page).post(apm_decide),
            )
            .route("/invoices", get(list_invoices).post(create_invoice))
            .route("/invoices/{invoice_id}", get(get_invoice))
            .route("/invoices/{invoice_id}/authorize", post(authorize_invoice))
            .route("/invoices/{invoice_id}/capture", post(capture_invoice))
            .route("/invoices/{invoice_id}/void", post(void_invoice))
            .route("/invoices/{invoice_id}/refunds", post(refund_invoice))
            .route(
                "/invoices/{invoice_id}/transactions",
                get(invoice_transaction),
            )
            .route("/events", get(list_events))
            .route("/events/{event_id}", get(get_event))
            .route("/transactions", get(list_transactions))
            .route("/transactions/{transaction_id}", get(get_transaction))
            .route(
                "/transactions/{transaction_id}/refunds",
                get(list_refunds).post(refund_transaction),
            )
            .route(
                "/transactions/{transaction_id}/refunds/{refund_id}",
                get(get_refund),
            )
            .method_not_allowed_fallback(|| async {
                error_response(&ApiError::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "request.route.method-not-allowed",
                    "The route does not accept this method.",
                ))
            })
            .fallback(|| async {
                error_response(&ApiError::new(
                    StatusCode::NOT_FOUND,
                    "request.route.not-found",
                    "The requested route was not found.",
                ))
            })
            .with_state(self)
    }

    fn lookup_posts(&self) -> &'static [&'static str] {
        // Every ProcessOut lookup is a GET.
        &[]
    }

    fn merchants(&self) -> Vec<SandboxMerchant> {
        let Ok(state) = self.state.lock() else {
            return Vec::new();
        };
        state
            .projects
            .iter()
            .map(|p| SandboxMerchant {
                name: p.name.clone(),
                account: ProviderAccount::ProcessOut(ProcessOutAccount {
                    project_id: p.id.clone(),
                }),
                secret: p.secret.clone(),
                currency: p.currency,
                time_zone: p.time_zone.clone(),
                base_url: self.ctx.base_url.clone(),
            })
            .collect()
    }

    fn snapshot(&self) -> Value {
        match self.state.lock() {
            Ok(state) => serde_json::to_value(&*state).unwrap_or(Value::Null),
            Err(_) => Value::Null,
        }
    }

    fn restore(&self, snapshot: Value) -> Result<(), String> {
        let mut restored: State = serde_json::from_value(snapshot)
            .map_err(|e| format!("processout state unreadable: {e}"))?;
        restored.reindex();
        let mut state = self
            .state
            .lock()
            .map_err(|_| "processout state lock poisoned".to_string())?;
        *state = restored;
        Ok(())
    }

    fn reset(&self, seed: &Seed) {
        let fresh = State::seeded(seed);
        if let Ok(mut state) = self.state.lock() {
            *state = fresh;
        }
    }
}
