//! Enrolling a new card through Clover's hosted iframe (issue 25).
//!
//! Clover has no whole page of its own that saves a card: its card fields are an iframe that its
//! `sdk.js` mounts in a page the merchant hosts (docs.clover.com "Iframe—Create a payment form",
//! https://docs.clover.com/docs/using-the-clover-hosted-iframe), opened with the merchant's
//! public PAKMS key (`GET /pakms/apikey`, "Create a card token",
//! https://docs.clover.com/docs/ecommerce-generating-a-card-token). So:
//!
//! 1. `start_enrollment` fetches the PAKMS key and builds that page ([`host_page`]): it loads
//!    `sdk.js` from the checkout host of the merchant's environment, mounts the card fields,
//!    and once `clover.createToken()` answers a `clv_…` token, sends the browser to the return
//!    URL with `?token=…` (`?error=…` when Clover's fields refuse, `?cancelled=1` on Cancel).
//!    The page carries no secret: the PAKMS key is public by design.
//! 2. `confirm_enrollment` treats the token as a hint. Clover's own answers decide: saving the
//!    token on the customer (`POST /v1/customers` for a new customer, `PUT /v1/customers/{id}`
//!    with `source` for a known one: "Save a card for future transactions",
//!    https://docs.clover.com/docs/ecommerce-saving-card, "Clover sets the card source token as
//!    a multi-pay token for the customer") refuses a token Clover does not know or that was used
//!    already, and the FIRST cardholder-initiated charge ([`CloverClient::record_initial`]'s
//!    body: `stored_credentials` FIRST/CARDHOLDER, `is_scheduled` per the reason) must be paid.
//!    Its `ref_num` is the initial later MITs link to. Clover documents no $0 card verification
//!    for the Ecommerce API (none found in its docs, 2026-12-06), so the initial is a charge of
//!    the request's amount, and a zero amount is refused before any page opens.
//!
//! Every write carries a key derived from the request's `idempotency_key`: the charge's key is
//! honoured by Clover (a resend replays), the customer write's is sent but not known to be
//! honoured (notes §7.2). A repeated confirmation therefore first looks the FIRST charge up by
//! its key and `external_reference_id` (our order id), and a customer write refused because
//! the token is already used is settled by finding the token on the customer's saved cards
//! (for a new customer: the customers with the request's e-mail).
//!
//! **Choices** (crates/coffer-sandbox/docs/clover.md "Enrollment"): what the page's return
//! carries (`token`, `error`, `cancelled`), and the look-up window (from the enrollment's start,
//! its expiry less the mode's lifetime, less the usual lookup margin).

use async_trait::async_trait;
use coffer_core::{CustomerRef, Environment, IdempotencyKey, StoredCredential};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

use super::{convert, initial_done, is_first, read, wire, CloverClient};
use crate::enrollment::{
    hosted_html as html, script_json, EnrollmentPage, EnrollmentRequest, EnrollmentSeen,
    EnrollmentStarted, HostedEnrollment, SandboxCardholder,
};
use crate::http::Resend;
use crate::{InitialStep, ProviderError, ProviderErrorKind};

/// The id of the page's configuration block, read back by [`HostedEnrollment::fill_sandbox_page`].
pub(super) const CONFIG_ID: &str = "clover-enrollment";

/// Clover's four card elements the page mounts, with the element each goes into
/// (docs.clover.com "Iframe—Use card and page elements",
/// https://docs.clover.com/docs/clover-iframe-features).
const ELEMENTS: [(&str, &str); 4] = [
    ("CARD_NUMBER", "card-number"),
    ("CARD_DATE", "card-date"),
    ("CARD_CVV", "card-cvv"),
    ("CARD_POSTAL_CODE", "card-postal-code"),
];

/// The longest reason taken over from a return's `error` (the cardholder's browser wrote it).
const REASON_MAX: usize = 200;

fn invalid(field: &str, message: impl Into<String>) -> ProviderError {
    ProviderError::new(
        ProviderErrorKind::InvalidRequest {
            field: Some(field.to_string()),
        },
        message,
    )
}

/// A key for one of the confirmation's writes, derived from the enrollment's key: the same on
/// every confirmation of the enrollment, distinct per write, shaped as the UUID Clover's
/// `idempotency-key` examples use.
pub(super) fn derived_key(key: &IdempotencyKey, write: &str) -> String {
    let digest = Sha256::digest(format!("{}/{write}", key.as_str()).as_bytes());
    let h = hex::encode(&digest[..16]);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// What the page needs, in its configuration block.
pub(super) struct PageConfig<'a> {
    pub sdk: String,
    pub checkout: &'a str,
    pub api_key: &'a str,
    pub merchant_id: &'a str,
    pub return_url: &'a str,
    pub title: String,
}

/// The page the app serves for Clover's iframe: self-contained (no external CSS), loading only
/// Clover's `sdk.js` by absolute URL, so it works from a custom-scheme origin. Everything put into
/// it is escaped.
pub(super) fn host_page(config: &PageConfig<'_>) -> String {
    let block = serde_json::json!({
        "sdk": config.sdk,
        "checkout": config.checkout,
        "apiKey": config.api_key,
        "merchantId": config.merchant_id,
        "returnUrl": config.return_url,
        "elements": ELEMENTS.iter().map(|(e, id)| serde_json::json!([e, format!("#{id}")])).collect::<Vec<_>>(),
    });
    let fields: String = ELEMENTS
        .iter()
        .map(|(_, id)| format!("<div class=\"field\" id=\"{id}\"></div>\n"))
        .collect();
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 34rem; margin: 2rem auto; padding: 0 1rem; color: #1b1b1b; }}
.field {{ min-height: 3rem; margin: .5rem 0; }}
.field:empty {{ min-height: 0; margin: 0; }}
#status {{ min-height: 1.5rem; }}
button {{ font-size: 1rem; padding: .5rem 1.2rem; margin-right: .5rem; }}
</style>
<script type="application/json" id="{config_id}">{block}</script>
<script src="{sdk}"></script>
</head>
<body>
<h1>{title}</h1>
<p>The card is typed into Clover's own fields below and saved with Clover; this app never sees its number.</p>
{fields}<p id="status" role="status"></p>
<button id="save" type="button">Save card</button>
<button id="cancel" type="button">Cancel</button>
<script>
(function () {{
  var cfg = JSON.parse(document.getElementById("{config_id}").textContent);
  var status = document.getElementById("status");
  var save = document.getElementById("save");
  function go(name, value) {{
    var url = new URL(cfg.returnUrl);
    url.searchParams.set(name, value);
    window.location.href = url.toString();
  }}
  document.getElementById("cancel").onclick = function () {{ go("cancelled", "1"); }};
  if (typeof window.Clover !== "function") {{
    status.textContent = "Clover's card fields could not be loaded.";
    save.disabled = true;
    return;
  }}
  var clover = new window.Clover(cfg.apiKey, {{ merchantId: cfg.merchantId }});
  var elements = clover.elements();
  cfg.elements.forEach(function (pair) {{ elements.create(pair[0]).mount(pair[1]); }});
  save.onclick = function () {{
    save.disabled = true;
    status.textContent = "Saving the card with Clover…";
    clover.createToken().then(function (result) {{
      if (result && result.token) {{ go("token", result.token); return; }}
      var errors = (result && result.errors) || {{}};
      var said = Object.keys(errors).map(function (k) {{ return String(errors[k]); }}).join("; ");
      go("error", said || "Clover returned no token");
    }}, function (e) {{ go("error", String(e)); }});
  }};
}})();
</script>
</body>
</html>
"#,
        title = html(&config.title),
        config_id = CONFIG_ID,
        block = script_json(&block),
        sdk = html(&config.sdk),
        fields = fields,
    )
}

/// The configuration block of a page built by [`host_page`].
pub(super) fn page_config(page: &str) -> Result<serde_json::Value, ProviderError> {
    let open = format!("<script type=\"application/json\" id=\"{CONFIG_ID}\">");
    let start = page.find(&open).map(|i| i + open.len()).ok_or_else(|| {
        invalid(
            "page",
            "not a Clover enrollment page: no configuration block",
        )
    })?;
    let end = page[start..]
        .find("</script>")
        .ok_or_else(|| invalid("page", "the configuration block is not closed"))?;
    serde_json::from_str(&page[start..start + end])
        .map_err(|e| invalid("page", format!("the configuration block is not JSON: {e}")))
}

/// The value of `name` in a return's query pairs.
fn returned_value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

impl CloverClient {
    /// `GET /pakms/apikey` on the Platform host, as "Create a card token" shows it
    /// (`https://apisandbox.dev.clover.com/pakms/apikey`, Bearer OAuth token).
    async fn pakms_key(&self) -> Result<String, ProviderError> {
        let key: wire::PakmsKey = self.get(&self.api, "/pakms/apikey", &[]).await?;
        if key.api_access_key.trim().is_empty() {
            return Err(ProviderError::malformed(
                "PAKMS answered an empty apiAccessKey",
            ));
        }
        Ok(key.api_access_key)
    }

    /// The FIRST charge an earlier confirmation of this enrollment made, found by its key (in
    /// `metadata`) or its `external_reference_id`, among the charges since the enrollment opened.
    async fn earlier_first(
        &self,
        request: &EnrollmentRequest,
    ) -> Result<Option<wire::Charge>, ProviderError> {
        let key = derived_key(&request.idempotency_key, "first-charge");
        let reference = convert::external_reference(&request.order_id);
        let since = request.expires_at - request.mode.lifetime() - crate::LOOKUP_MARGIN;
        let customer = request
            .customer
            .clone()
            .unwrap_or(CustomerRef(String::new()));
        self.search_charges(&customer, since, |c| match convert::metadata_key(c) {
            Some(k) => k == key,
            None => c.external_reference_id.as_deref() == Some(reference.as_str()) && is_first(c),
        })
        .await
    }

    /// What a FIRST charge of this enrollment says: confirmed when paid, failed when declined,
    /// waiting while Clover decides.
    fn seen_of_first(
        &self,
        charge: &wire::Charge,
        request: &EnrollmentRequest,
        created: Option<&str>,
    ) -> Result<EnrollmentSeen, ProviderError> {
        match initial_done(charge) {
            Ok(InitialStep::Done(outcome)) => {
                let customer = match (&request.customer, created, charge.customer.as_deref()) {
                    (Some(_), _, _) => None,
                    (None, Some(id), _) | (None, None, Some(id)) => {
                        Some(CustomerRef(id.to_string()))
                    }
                    (None, None, None) => {
                        return Err(ProviderError::malformed(
                            "the enrollment's initial charge names no customer",
                        ))
                    }
                };
                Ok(EnrollmentSeen::Confirmed {
                    outcome,
                    registered: None,
                    customer,
                })
            }
            Ok(InitialStep::CardPage { .. }) => Err(ProviderError::malformed(
                "a Clover charge never asks for a card page",
            )),
            Err(e) if e.kind.is_decline() => Ok(EnrollmentSeen::Failed {
                reason: format!("Clover declined the initial charge: {}", e.message),
            }),
            Err(e) if e.kind == ProviderErrorKind::UnknownOutcome => Ok(EnrollmentSeen::Waiting),
            Err(e) => Err(e),
        }
    }

    /// `POST /v1/customers` or `PUT /v1/customers/{id}`: a write never resent inside one call,
    /// since whether Clover honours a key there is undocumented.
    async fn customer_write(
        &self,
        path: &str,
        create: bool,
        body: &wire::CustomerWrite,
        key: &str,
    ) -> Result<wire::CustomerV1, ProviderError> {
        let url = self.scl.url(path);
        let response = self
            .scl
            .send(Resend::Once, |c| {
                let builder = if create { c.post(&url) } else { c.put(&url) };
                builder
                    .bearer_auth(self.token.expose_secret())
                    .header("idempotency-key", key)
                    .json(body)
            })
            .await?;
        read(response, Resend::Once).await
    }

    /// The customer that holds `token` as a saved card: `customer` itself, or for a new one the
    /// customers with `email` (v3 `filter=emailAddress=…`, notes §2.6).
    async fn holder_of(
        &self,
        token: &str,
        customer: Option<&CustomerRef>,
        email: Option<&str>,
    ) -> Result<Option<String>, ProviderError> {
        let holds = |c: &wire::Customer| {
            c.cards
                .as_ref()
                .is_some_and(|l| l.elements.iter().any(|k| k.token.as_deref() == Some(token)))
        };
        if let Some(c) = customer {
            let path = format!(
                "/v3/merchants/{}/customers/{}/cards",
                self.merchant_uuid,
                convert::path_id("customer", c.as_str())?
            );
            let cards: wire::Listing<wire::Card> = self.get(&self.api, &path, &[]).await?;
            let held = cards
                .elements
                .iter()
                .any(|k| k.token.as_deref() == Some(token));
            return Ok(held.then(|| c.as_str().to_string()));
        }
        let Some(email) = email else {
            return Ok(None);
        };
        let path = format!("/v3/merchants/{}/customers", self.merchant_uuid);
        let query = [
            ("filter", format!("emailAddress={email}")),
            ("expand", "cards".to_string()),
        ];
        let found: wire::Listing<wire::Customer> = self.get(&self.api, &path, &query).await?;
        Ok(found.elements.into_iter().find(|c| holds(c)).map(|c| c.id))
    }

    /// Saves `token` on the request's customer (creating it for a new one) and says the
    /// customer's id, or why Clover refused the token.
    async fn save_token(
        &self,
        request: &EnrollmentRequest,
        token: &str,
    ) -> Result<Result<String, String>, ProviderError> {
        let key = derived_key(&request.idempotency_key, "customer");
        let (path, create, body) = match &request.customer {
            Some(c) => (
                format!(
                    "/v1/customers/{}",
                    convert::path_id("customer", c.as_str())?
                ),
                false,
                wire::CustomerWrite {
                    email: None,
                    first_name: None,
                    last_name: None,
                    source: token.to_string(),
                    ecomind: convert::ecomind(),
                },
            ),
            None => {
                let mut names = request.name.split_whitespace();
                let first = names.next().map(str::to_string);
                let rest = names.collect::<Vec<_>>().join(" ");
                (
                    "/v1/customers".to_string(),
                    true,
                    wire::CustomerWrite {
                        email: request.email.clone(),
                        first_name: first,
                        last_name: (!rest.is_empty()).then_some(rest),
                        source: token.to_string(),
                        ecomind: convert::ecomind(),
                    },
                )
            }
        };
        match self.customer_write(&path, create, &body, &key).await {
            Ok(customer) => Ok(Ok(customer.id)),
            Err(e) if refused_token(&e) => {
                // Used already: by an earlier confirmation of this very enrollment, when the
                // token is among this customer's saved cards; otherwise forged or another's.
                match self
                    .holder_of(token, request.customer.as_ref(), request.email.as_deref())
                    .await?
                {
                    Some(id) => Ok(Ok(id)),
                    None => Ok(Err(e.message)),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// The token's enrollment: saved on the customer, then the FIRST charge.
    async fn enroll_token(
        &self,
        request: &EnrollmentRequest,
        token: &str,
    ) -> Result<EnrollmentSeen, ProviderError> {
        if !token.starts_with("clv_") || convert::path_id("token", token).is_err() {
            return Ok(EnrollmentSeen::Failed {
                reason: "the return carried no Clover token".into(),
            });
        }
        let customer = match self.save_token(request, token).await? {
            Ok(id) => id,
            Err(reason) => {
                return Ok(EnrollmentSeen::Failed {
                    reason: format!("Clover did not save the card: {reason}"),
                })
            }
        };
        let key = derived_key(&request.idempotency_key, "first-charge");
        let body = self.charge_body(
            request.amount,
            token,
            &StoredCredential::initial(request.reason),
            &request.order_id,
            &key,
            "Card on file: initial charge",
        )?;
        let charge = match self.post_charge(&body, &key).await {
            Ok(charge) => charge,
            Err(e) if e.kind.is_decline() => {
                return Ok(EnrollmentSeen::Failed {
                    reason: format!("Clover declined the initial charge: {}", e.message),
                })
            }
            Err(e) => return Err(e),
        };
        let created = request.customer.is_none().then_some(customer.as_str());
        self.seen_of_first(&charge, request, created)
            .map_err(ProviderError::after_write)
    }
}

/// Whether a customer write was refused for its source (unknown, used, duplicate), as opposed
/// to failing for a reason a retry may cure.
fn refused_token(e: &ProviderError) -> bool {
    matches!(
        e.kind,
        ProviderErrorKind::InvalidRequest { .. }
            | ProviderErrorKind::NotFound
            | ProviderErrorKind::Duplicate
    ) || e.kind.is_decline()
}

#[async_trait]
impl HostedEnrollment for CloverClient {
    async fn start_enrollment(
        &self,
        request: &EnrollmentRequest,
    ) -> Result<EnrollmentStarted, ProviderError> {
        if request.amount.currency != self.currency {
            return Err(invalid(
                "currency",
                format!(
                    "this Clover merchant charges in {}, not {}",
                    self.currency, request.amount.currency
                ),
            ));
        }
        if request.amount.minor <= 0 {
            return Err(invalid(
                "amount",
                "Clover documents no $0 card verification: the initial is a FIRST charge of more than zero",
            ));
        }
        convert::amount_to_wire(request.amount)?;
        if request.customer.is_none() && request.email.as_deref().is_none_or(str::is_empty) {
            return Err(invalid(
                "email",
                "a new Clover card-on-file customer needs an e-mail (POST /v1/customers requires it)",
            ));
        }
        if request.order_id.is_empty() {
            return Err(invalid("order_id", "the enrollment needs an order id"));
        }
        let api_key = self.pakms_key().await?;
        let html = host_page(&PageConfig {
            sdk: format!("{}/sdk.js", self.checkout),
            checkout: &self.checkout,
            api_key: &api_key,
            merchant_id: &self.merchant_uuid,
            return_url: &request.return_url,
            title: format!("Save a card for {}", request.name),
        });
        Ok(EnrollmentStarted {
            page: EnrollmentPage::Hosted { html },
            pending_ref: None,
        })
    }

    async fn confirm_enrollment(
        &self,
        request: &EnrollmentRequest,
        _pending_ref: Option<&str>,
        returned: Option<&[(String, String)]>,
    ) -> Result<EnrollmentSeen, ProviderError> {
        // Clover's own record first: an earlier confirmation may have made the FIRST charge.
        if let Some(charge) = self.earlier_first(request).await? {
            return self.seen_of_first(&charge, request, None);
        }
        let Some(pairs) = returned else {
            return Ok(EnrollmentSeen::Waiting);
        };
        if let Some(token) = returned_value(pairs, "token") {
            return self.enroll_token(request, token).await;
        }
        if returned_value(pairs, "cancelled").is_some() {
            return Ok(EnrollmentSeen::Failed {
                reason: "the cardholder cancelled on the card page".into(),
            });
        }
        if let Some(error) = returned_value(pairs, "error") {
            let said: String = error.chars().take(REASON_MAX).collect();
            return Ok(EnrollmentSeen::Failed {
                reason: format!("Clover's card fields gave no token: {said}"),
            });
        }
        Ok(EnrollmentSeen::Waiting)
    }

    async fn fill_sandbox_page(
        &self,
        page: &EnrollmentPage,
        card: &SandboxCardholder,
    ) -> Result<Vec<(String, String)>, ProviderError> {
        if self.environment != Environment::Sandbox {
            return Err(ProviderError::new(
                ProviderErrorKind::Unsupported,
                "a live Clover merchant's card fields are for the cardholder alone",
            ));
        }
        let EnrollmentPage::Hosted { html } = page else {
            return Err(invalid("page", "Clover's enrollment page is a hosted page"));
        };
        let config = page_config(html)?;
        if card.cancel {
            return Ok(vec![("cancelled".into(), "1".into())]);
        }
        let text = |name: &str| {
            config
                .get(name)
                .and_then(serde_json::Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| invalid("page", format!("the configuration has no {name}")))
        };
        super::sandbox_page::fill(
            self,
            &text("checkout")?,
            &text("apiKey")?,
            &text("merchantId")?,
            card,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(title: &str, return_url: &str) -> String {
        host_page(&PageConfig {
            sdk: "https://checkout.sandbox.dev.clover.com/sdk.js".into(),
            checkout: "https://checkout.sandbox.dev.clover.com",
            api_key: "0f9e8d7c6b5a",
            merchant_id: "WDEVSNNHH8VQP",
            return_url,
            title: title.into(),
        })
    }

    #[test]
    fn derived_keys_are_stable_distinct_and_uuid_shaped() {
        let key = IdempotencyKey("3f1c9a52-6a55-4f0e-9a1d-4d1b2f7c8e90".into());
        let charge = derived_key(&key, "first-charge");
        assert_eq!(
            charge,
            derived_key(&key, "first-charge"),
            "the same on a retry"
        );
        assert_ne!(charge, derived_key(&key, "customer"), "one key per write");
        assert_ne!(
            charge,
            derived_key(&IdempotencyKey("other".into()), "first-charge"),
            "another enrollment, another key"
        );
        let parts: Vec<usize> = charge.split('-').map(str::len).collect();
        assert_eq!(parts, vec![8, 4, 4, 4, 12]);
    }

    #[test]
    fn the_page_escapes_what_it_is_given_and_reads_its_configuration_back() {
        let html = page(
            "Save a card for <b>Ana</b> & \"Bea\"",
            "https://coffer.invalid/r?x=</script><script>alert(1)</script>",
        );
        assert!(html.contains("Save a card for &lt;b&gt;Ana&lt;/b&gt; &amp; &quot;Bea&quot;"));
        assert!(!html.contains("<script>alert(1)"), "no script injected");
        assert!(html
            .contains("<script src=\"https://checkout.sandbox.dev.clover.com/sdk.js\"></script>"));
        let config = page_config(&html).unwrap();
        assert_eq!(
            config["returnUrl"], "https://coffer.invalid/r?x=</script><script>alert(1)</script>",
            "the JSON block keeps the URL exactly"
        );
        assert_eq!(config["apiKey"], "0f9e8d7c6b5a");
        assert_eq!(config["elements"][0][0], "CARD_NUMBER");
        assert!(page_config("<html></html>").is_err());
    }
}
