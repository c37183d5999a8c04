//! Filling the sandbox's card fields as a browser would (sandbox merchants only): open the
//! iframe page the sandbox serves under Clover's checkout path (`/widget.html`, the page Clover's
//! `sdk.js` mounts), pick the chosen test card among the page's own choices, and tokenize it at
//! the tokenizer the page names with the PAKMS `apikey` header, exactly the request the iframe's
//! script makes. The card number comes from the sandbox's page, never from Coffer.

use serde_json::json;

use super::CloverClient;
use crate::enrollment::SandboxCardholder;
use crate::http::{body_text, Resend};
use crate::sandbox_page::{attribute, tag_with, unusable};
use crate::ProviderError;

pub(super) async fn fill(
    client: &CloverClient,
    checkout: &str,
    api_key: &str,
    merchant_id: &str,
    card: &SandboxCardholder,
) -> Result<Vec<(String, String)>, ProviderError> {
    let widget = format!("{}/widget.html", checkout.trim_end_matches('/'));
    let response = client
        .scl
        .send(Resend::Safe, |c| {
            c.get(&widget).query(&[
                ("element", "CARD"),
                ("apiKey", api_key),
                ("mId", merchant_id),
                ("origin", "null"),
            ])
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
    if let Some(error) = attribute(option, "data-error") {
        return Ok(vec![("error".into(), error)]);
    }
    let field = |name: &str| {
        attribute(option, name)
            .ok_or_else(|| unusable(format!("test card '{}' has no {name}", card.test_card)))
    };
    let tokenizer = tag_with(&page, "id=\"clover-fields\"")
        .and_then(|form| attribute(form, "data-tokenizer"))
        .ok_or_else(|| unusable("the sandbox's card fields name no tokenizer"))?;
    let body = json!({"card": {
        "number": field("data-number")?,
        "exp_month": field("data-exp-month")?,
        "exp_year": field("data-exp-year")?,
        "cvv": field("data-cvv")?,
    }});
    let response = client
        .scl
        .send(Resend::Once, |c| {
            c.post(&tokenizer).header("apikey", api_key).json(&body)
        })
        .await?;
    let status = response.status().as_u16();
    let answer: serde_json::Value = serde_json::from_str(&body_text(response, Resend::Once).await?)
        .map_err(ProviderError::malformed)?;
    if (200..300).contains(&status) {
        let token = answer["id"]
            .as_str()
            .ok_or_else(|| ProviderError::malformed("the tokenizer answered no id"))?;
        return Ok(vec![("token".into(), token.to_string())]);
    }
    let said = answer["error"]["message"]
        .as_str()
        .or(answer["message"].as_str())
        .unwrap_or("the tokenizer refused the card");
    Ok(vec![("error".into(), said.to_string())])
}
