//! Filling the sandbox's card fields as a browser would (sandbox merchants only): open the
//! card-field page ProcessOut.js mounts (`<js base>/ccfield.html`), pick the chosen test card
//! among the page's own choices, and tokenize it at the `POST /cards` the page names, with the
//! project id alone as Basic user — exactly the request ProcessOut.js makes
//! (processout/processout.js `src/processout/processout.ts` `apiRequest` and `tokenizeCard`:
//! `number`, `exp_month`, `exp_year`, `cvc2` as strings; answer `{success, card: {id}}`). The card
//! number comes from the sandbox's page, never from Coffer.
//!
//! With the test card [`PAYPAL`], the page's APM button instead: the configurations
//! ProcessOut.js's `fetchGatewayConfigurations` lists (seed 002 "Saving APM tokens"), the
//! sandbox's page of the PayPal one (where `handleCustomerTokenAction` sends the window), and its
//! Approve or Cancel, whose redirect to the return address is the return.

use serde_json::json;

use super::ProcessOutClient;
use crate::enrollment::SandboxCardholder;
use crate::http::{body_text, Resend};
use crate::sandbox_page::{attribute, tag_with, unusable};
use crate::ProviderError;

pub(super) async fn fill(
    client: &ProcessOutClient,
    js_base: &str,
    project_id: &str,
    card: &SandboxCardholder,
) -> Result<Vec<(String, String)>, ProviderError> {
    let fields = format!("{}/ccfield.html", js_base.trim_end_matches('/'));
    let response = client
        .http
        .send(Resend::Safe, |c| {
            c.get(&fields)
                .query(&[("project_id", project_id), ("origin", "null")])
        })
        .await?;
    let status = response.status().as_u16();
    let page = body_text(response, Resend::Safe).await?;
    if status != 200 {
        return Err(unusable(format!(
            "the sandbox's card fields answered {status}"
        )));
    }
    let option =
        tag_with(&page, &format!("<option value=\"{}\"", card.test_card)).ok_or_else(|| {
            unusable(format!(
                "the sandbox's card fields offer no test card '{}'",
                card.test_card
            ))
        })?;
    let field = |name: &str| {
        attribute(option, name)
            .ok_or_else(|| unusable(format!("test card '{}' has no {name}", card.test_card)))
    };
    let tokenizer = tag_with(&page, "id=\"processout-fields\"")
        .and_then(|form| attribute(form, "data-tokenizer"))
        .ok_or_else(|| unusable("the sandbox's card fields name no tokenizer"))?;
    let body = json!({
        "number": field("data-number")?,
        "exp_month": field("data-exp-month")?,
        "exp_year": field("data-exp-year")?,
        "cvc2": field("data-cvc")?,
    });
    let response = client
        .http
        .send(Resend::Once, |c| {
            c.post(&tokenizer)
                .basic_auth(project_id, Some(""))
                .json(&body)
        })
        .await?;
    let answer: serde_json::Value = serde_json::from_str(&body_text(response, Resend::Once).await?)
        .map_err(ProviderError::malformed)?;
    if answer["success"] == true {
        let token = answer["card"]["id"]
            .as_str()
            .ok_or_else(|| ProviderError::malformed("POST /cards answered no card id"))?;
        return Ok(vec![("token".into(), token.to_string())]);
    }
    let said = answer["message"]
        .as_str()
        .or(answer["error_type"].as_str())
        .unwrap_or("ProcessOut refused the card");
    Ok(vec![("error".into(), said.to_string())])
}

/// The test card that chooses the page's PayPal button instead of the card fields.
pub(super) const PAYPAL: &str = "paypal";

/// The APM filter of seed 002's `fetchGatewayConfigurations`.
const APM_FILTER: &str = "alternative-payment-methods-with-tokenization";

/// Presses the page's PayPal button and answers the sandbox's PayPal page: Approve, or Cancel.
pub(super) async fn fill_apm(
    client: &ProcessOutClient,
    project_id: &str,
    customer_id: &str,
    token_id: &str,
    cancel: bool,
) -> Result<Vec<(String, String)>, ProviderError> {
    // Where the sandbox's processout.js calls them: its own address less `/js`.
    let api = client
        .js
        .trim_end_matches('/')
        .strip_suffix("/js")
        .ok_or_else(|| unusable("the sandbox's processout.js is not under /js"))?;
    let listing = format!("{api}/gateway-configurations");
    let response = client
        .http
        .send(Resend::Safe, |c| {
            c.get(&listing)
                .query(&[("filter", APM_FILTER)])
                .basic_auth(project_id, Some(""))
        })
        .await?;
    let text = body_text(response, Resend::Safe).await?;
    let list: super::wire::GatewayConfigurationList =
        serde_json::from_str(&text).map_err(ProviderError::malformed)?;
    let conf = list
        .gateway_configurations
        .iter()
        .find(|c| {
            c.gateway
                .as_ref()
                .and_then(|g| g.name.as_deref())
                .is_some_and(|n| n == PAYPAL)
        })
        .ok_or_else(|| unusable("the sandbox lists no PayPal configuration"))?;
    let mut page = url::Url::parse(&format!(
        "{api}/apm/{}/tokenize",
        super::convert::segment(&conf.id)
    ))
    .map_err(|e| unusable(format!("the APM page's address: {e}")))?;
    page.query_pairs_mut()
        .append_pair("project_id", project_id)
        .append_pair("customer_id", customer_id)
        .append_pair("token_id", token_id);
    let form = crate::sandbox_page::open(page.as_str(), "apm-form").await?;
    let decision = if cancel { "cancel" } else { "approve" };
    crate::sandbox_page::submit(&form, &[("decision", decision)]).await
}
