//! Saving an APM (PayPal) as a customer token, as seed 002 "Saving APM tokens" describes it:
//! the merchant makes a blank customer token with a `return_url`; in the browser ProcessOut.js
//! `fetchGatewayConfigurations({customerID, tokenID, filter:
//! "alternative-payment-methods-with-tokenization"})` lists the APMs and a configuration's
//! `handleCustomerTokenAction` sends the customer to the APM's page, whose way back carries a
//! gateway request token `gway_req_…`; the server then saves the blank token with it
//! (`PUT /customers/{id}/tokens/{token_id}` with `source`, `verify`; see `tokens.rs`).
//!
//! **Choices** (docs/processout.md "Enrollment"): one sandbox configuration, PayPal, which
//! supports tokenization and merchant-initiated charges; `GET /gateway-configurations` is
//! authenticated with the project id alone (as `POST /cards` is for ProcessOut.js) and answers
//! `{gateway_configurations: [{id, name, enabled, gateway: {name, display_name}}]}` (field
//! names from processout-go `GatewayConfiguration` / `Gateway`), allowed cross-origin (CORS,
//! inferred: ProcessOut.js calls it from the merchant's page); the APM's page is the
//! sandbox's `/apm/{configuration}/tokenize?project_id=&customer_id=&token_id=` with Approve
//! and Cancel, and its way back is a 303 to the token's `return_url` with
//! `token=gway_req_…&customer_id=…&token_id=…` (the mobile SDKs' `handleAPMURLCallback`
//! return carries those three, seed 002) or `error=customer.canceled`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde_json::json;

use super::Params;
use crate::processout::rules::ApiError;
use crate::processout::state::{ApmGateway, GatewayRequest, Project};
use crate::processout::{Emulator, PublicCaller};

/// The sandbox's one tokenizing APM configuration.
pub(crate) fn paypal() -> ApmGateway {
    ApmGateway {
        configuration_id: "gway_conf_sandbox_paypal".into(),
        configuration_name: "PayPal (sandbox)".into(),
        gateway_name: "paypal".into(),
        display_name: "PayPal".into(),
    }
}

/// The filters that list the APM (seed 002's `alternative-payment-methods-with-tokenization`;
/// the mobile SDKs' plain APM filter; no filter at all). Our choice: any other filter (a card
/// filter) lists none here, the sandbox having no card gateway configuration to show.
fn lists_apms(filter: Option<&str>) -> bool {
    matches!(
        filter.unwrap_or(""),
        "" | "alternative-payment-methods" | "alternative-payment-methods-with-tokenization"
    )
}

/// Inferred: ProcessOut.js calls this from the merchant's page, another origin than the API's,
/// so the API must allow it cross-origin (with the `Authorization` header, hence a preflight).
const CORS: [(header::HeaderName, &str); 3] = [
    (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
    (
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        "Authorization, Content-Type, API-Version",
    ),
    (header::ACCESS_CONTROL_ALLOW_METHODS, "GET, OPTIONS"),
];

/// `OPTIONS /gateway-configurations`: the browser's preflight.
pub(crate) async fn gateway_configurations_preflight() -> Response {
    (StatusCode::NO_CONTENT, CORS).into_response()
}

/// `GET /gateway-configurations?filter=…`.
pub(crate) async fn gateway_configurations(
    crate::scaffold::Authed { emu: em, caller }: crate::scaffold::Authed<PublicCaller>,
    Query(q): Params,
) -> Response {
    let mut answer = em.read(&caller.caller(), |_| {
        let confs: Vec<_> = if lists_apms(q.get("filter").map(String::as_str)) {
            let g = paypal();
            vec![json!({
                "id": g.configuration_id,
                "name": g.configuration_name,
                "enabled": true,
                "gateway": {"name": g.gateway_name, "display_name": g.display_name},
            })]
        } else {
            Vec::new()
        };
        Ok(json!({ "gateway_configurations": confs }))
    });
    for (name, value) in CORS {
        answer
            .headers_mut()
            .insert(name, header::HeaderValue::from_static(value));
    }
    answer
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

fn problem(e: &ApiError) -> Response {
    page(
        e.status,
        format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>PayPal (sandbox)</title></head><body><h1>This payment method cannot be saved</h1><p id=\"problem\">{}</p></body></html>",
            html_escape(&e.message)
        ),
    )
}

/// The blank token an APM page is for, with its return address: the configuration must be
/// the sandbox's, the customer and token of the project, the token still blank.
fn blank_token(
    p: &Project,
    configuration: &str,
    customer_id: &str,
    token_id: &str,
) -> Result<String, ApiError> {
    if configuration != paypal().configuration_id {
        return Err(ApiError::not_found("gateway_configuration", configuration));
    }
    let customer = p
        .customer(customer_id)
        .ok_or_else(|| ApiError::not_found("customer", customer_id))?;
    let token = customer
        .tokens
        .iter()
        .find(|t| t.id == token_id)
        .ok_or_else(|| ApiError::not_found("token", token_id))?;
    if token.kind != "pending" {
        return Err(ApiError::invalid(
            "request.token.not-blank",
            format!("The token {token_id} already holds a payment method."),
        ));
    }
    token.return_url.clone().ok_or_else(|| {
        ApiError::invalid(
            "request.token.missing-return-url",
            format!("The token {token_id} has no return_url to come back to."),
        )
    })
}

fn field<'a>(q: &'a HashMap<String, String>, name: &str) -> &'a str {
    q.get(name).map(String::as_str).unwrap_or("")
}

/// `GET /apm/{configuration}/tokenize`: the APM's own page, where the customer approves.
pub(crate) async fn apm_page(
    State(emu): State<Arc<Emulator>>,
    Path(configuration): Path<String>,
    Query(q): Params,
) -> Response {
    let (project_id, customer_id, token_id) = (
        field(&q, "project_id"),
        field(&q, "customer_id"),
        field(&q, "token_id"),
    );
    let checked = emu.lock().and_then(|mut state| {
        let p = state
            .project_mut(project_id)
            .ok_or_else(|| ApiError::not_found("project", project_id))?;
        blank_token(p, &configuration, customer_id, token_id)
    });
    if let Err(e) = checked {
        return problem(&e);
    }
    let hidden = |name: &str, value: &str| {
        format!(
            "<input type=\"hidden\" name=\"{name}\" value=\"{}\">\n",
            html_escape(value)
        )
    };
    page(
        StatusCode::OK,
        format!(
            r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>PayPal (sandbox)</title></head>
<body>
<h1>PayPal (sandbox)</h1>
<p>Save PayPal as a payment method for this merchant? It may charge it later without you.</p>
<form id="apm-form" method="post" action="tokenize">
{}{}{}<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="cancel">Cancel</button>
</form>
</body>
</html>
"#,
            hidden("project_id", project_id),
            hidden("customer_id", customer_id),
            hidden("token_id", token_id),
        ),
    )
}

/// `POST /apm/{configuration}/tokenize`: the customer's answer; redirects to the token's
/// `return_url` with the gateway request token, or with the error.
pub(crate) async fn apm_decide(
    State(emu): State<Arc<Emulator>>,
    Path(configuration): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (project_id, customer_id, token_id) = (
        field(&form, "project_id"),
        field(&form, "customer_id"),
        field(&form, "token_id"),
    );
    let approve = field(&form, "decision") == "approve";
    let answer = emu.lock().and_then(|mut state| {
        let p = state
            .project_mut(project_id)
            .ok_or_else(|| ApiError::not_found("project", project_id))?;
        let return_url = blank_token(p, &configuration, customer_id, token_id)?;
        if !approve {
            return Ok((return_url, vec![("error", "customer.canceled".to_string())]));
        }
        let id = p.next_id("gway_req_");
        p.gateway_requests.push(GatewayRequest {
            id: id.clone(),
            customer_id: customer_id.into(),
            token_id: token_id.into(),
            gateway: paypal(),
            used: false,
        });
        Ok((
            return_url,
            vec![
                ("token", id),
                ("customer_id", customer_id.to_string()),
                ("token_id", token_id.to_string()),
            ],
        ))
    });
    let (return_url, pairs) = match answer {
        Ok(found) => found,
        Err(e) => return problem(&e),
    };
    let (base, fragment) = match return_url.split_once('#') {
        Some((b, f)) => (b.to_string(), format!("#{f}")),
        None => (return_url.clone(), String::new()),
    };
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &pairs {
        query.append_pair(k, v);
    }
    let joiner = if base.contains('?') { '&' } else { '?' };
    let location = format!("{base}{joiner}{}{fragment}", query.finish());
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// Takes a single-use `gway_req_…` source for the customer token it was made for, as the
/// token's save does (seed 002 step 4). Bound to that customer and token: another's is refused.
pub(crate) fn take_gateway_request(
    p: &mut Project,
    source: &str,
    customer_id: &str,
    token_id: &str,
) -> Result<ApmGateway, ApiError> {
    let request = p
        .gateway_requests
        .iter_mut()
        .find(|r| r.id == source)
        .ok_or_else(|| ApiError::not_found("gateway_request", source))?;
    if request.customer_id != customer_id || request.token_id != token_id {
        return Err(ApiError::invalid(
            "request.source.invalid",
            format!("The source {source} was made for another customer token."),
        ));
    }
    if request.used {
        return Err(ApiError::invalid(
            "request.source.already-used",
            format!("The source {source} was already used."),
        ));
    }
    request.used = true;
    Ok(request.gateway.clone())
}
