//! Enrolling a new card through ProcessOut.js (issue 25).
//!
//! ProcessOut has no whole page of its own that saves a card for a merchant: its card fields are
//! iframes that ProcessOut.js mounts in a page the merchant hosts (processout/processout.js
//! `src/processout/processout.ts`: the script must be loaded from
//! `https://js.processout.com/processout.js`, `new ProcessOut.ProcessOut(projectID)`,
//! `setupForm(form, success, error)` fills the form's `[data-processout-input=cc-number|cc-exp|
//! cc-cvc]` elements (`cardform.ts`), and `tokenize(form, data, success(token), error(err))`
//! answers a single-use card id `card_…` after `POST /cards`, authenticated with the project id
//! alone). So:
//!
//! 1. `start_enrollment` builds that page ([`host_page`]): it loads `processout.js` from
//!    [`crate::endpoints::processout_js_base`], mounts the card fields, and sends the browser to
//!    the return URL with `token=card_…` (`error=…` when the fields refuse, `cancelled=1` on
//!    Cancel). It carries the public project id and never the secret key.
//! 2. `confirm_enrollment` treats the card id as a hint: `GET /cards/{id}` with the project's
//!    credentials must show a card of this project not used yet; then the customer is created
//!    (a new one: `POST /customers`, tagged with our order id in `metadata`), the card saved as a
//!    customer token (`POST /customers/{id}/tokens` with `source` = the card, notes §2 "Customer
//!    tokens"), and the initial made: for an amount, an invoice captured with the token as the
//!    cardholder-initiated initial of the series ([`ProcessOutClient::record_initial`]:
//!    `initiation_type` `cit`, `payment_intent` per the reason, notes §3); for zero, the token is
//!    created with `verify: true`, ProcessOut's zero/low-amount verification (notes §2, §3), and
//!    its `verification_status` decides.
//!
//! Every write carries an `Idempotency-Key` derived from the request's key, and the customer and
//! token carry our order id in `metadata` (key [`ENROLLMENT_KEY`]): a repeated confirmation (a
//! second return, a crash) first finds what an earlier one saved (the customer among those made
//! since the enrollment opened, the token among the customer's), and resends the initial's writes
//! under the same keys, which ProcessOut replays instead of charging again (DESIGN §4).
//!
//! Since APMs (PayPal) are offered too, the customer and a BLANK customer token are made at
//! the start and the card is saved onto that token (`enrollment_token.rs`, seed 002 "Saving APM
//! tokens"); the page also lists the APMs (`fetchGatewayConfigurations`) with a button each.
//! The steps above that create the customer and post a new token remain for an enrollment
//! started before the blank token existed.
//!
//! **Choices** (crates/coffer-sandbox/docs/processout.md "Enrollment"): what the page's return
//! carries; the metadata key; the look-up window (from the enrollment's start, its expiry less
//! the mode's lifetime, less the usual lookup margin). **Left out**: 3-D Secure in the browser
//! (ProcessOut.js `makeCardPayment`): a card needing it fails at the server-side capture or
//! verification.

use std::collections::BTreeMap;

use async_trait::async_trait;
use coffer_core::{CustomerRef, Environment, InitialKind, ProviderRef};

use super::{convert, wire, Call, ProcessOutClient};
use crate::enrollment::{
    hosted_html as html, script_json, EnrollmentPage, EnrollmentRequest, EnrollmentSeen,
    EnrollmentStarted, HostedEnrollment, SandboxCardholder,
};
use crate::{InitialOutcome, InitialRequest, InitialStep, ProviderError, ProviderErrorKind};

/// The id of the page's configuration block, read back by [`HostedEnrollment::fill_sandbox_page`].
pub(super) const CONFIG_ID: &str = "processout-enrollment";

/// The metadata key, on the customer and the customer token an enrollment creates, holding our
/// order id. **Our choice**: ProcessOut's `metadata` is free string → string (notes §2).
pub(super) const ENROLLMENT_KEY: &str = "coffer_enrollment";

/// The longest reason taken over from a return's `error` (the cardholder's browser wrote it).
pub(super) const REASON_MAX: usize = 200;

/// Customers per page of the look-up for an earlier confirmation's customer (the most
/// ProcessOut returns, notes §1 Pagination).
const PAGE_SIZE: u32 = 100;

/// The most pages one look-up reads before it gives up with an error.
const PAGE_LIMIT: usize = 1000;

fn invalid(field: &str, message: impl Into<String>) -> ProviderError {
    ProviderError::new(
        ProviderErrorKind::InvalidRequest {
            field: Some(field.to_string()),
        },
        message,
    )
}

/// The key of one of the confirmation's writes, derived from the enrollment's key: the same on
/// every confirmation of the enrollment, distinct per write.
pub(super) fn derived_key(request: &EnrollmentRequest, write: &str) -> String {
    format!("enroll-{write}:{}", request.idempotency_key.as_str())
}

/// What the page needs, in its configuration block.
pub(super) struct PageConfig<'a> {
    /// `…/processout.js`.
    pub sdk: String,
    /// The API origin ProcessOut.js posts the card to (`https://api.processout.com` live; Inferred
    /// from ProcessOut's own mobile SDKs, which post `/cards` there with the project id alone):
    /// named by a preconnect link, from which the app window's policy allows connecting there.
    pub api: String,
    /// The public project id (`test-proj_…` / `proj_…`): ProcessOut.js needs nothing else.
    pub project_id: &'a str,
    pub return_url: &'a str,
    pub title: String,
    /// The enrollment's ProcessOut customer and blank customer token, which an APM is saved
    /// onto (seed 002 "Saving APM tokens": `fetchGatewayConfigurations({customerID, tokenID})`).
    pub customer_id: &'a str,
    pub token_id: &'a str,
}

/// The page the app serves for ProcessOut.js: self-contained, loading only `processout.js` by
/// absolute URL, with all its inline script in one `<script>` and its style in one `<style>` (the
/// app window's content security policy hashes them). Everything put into it is escaped.
pub(super) fn host_page(config: &PageConfig<'_>) -> String {
    let block = serde_json::json!({
        "sdk": config.sdk,
        "projectId": config.project_id,
        "returnUrl": config.return_url,
        "customerId": config.customer_id,
        "tokenId": config.token_id,
    });
    format!(
        r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="preconnect" href="{api}">
<style>
body {{ font-family: system-ui, sans-serif; max-width: 34rem; margin: 2rem auto; padding: 0 1rem; color: #1b1b1b; }}
.field {{ min-height: 2.5rem; margin: .5rem 0; }}
#status {{ min-height: 1.5rem; }}
button {{ font-size: 1rem; padding: .5rem 1.2rem; margin-right: .5rem; }}
</style>
<script type="application/json" id="{config_id}">{block}</script>
<script src="{sdk}"></script>
</head>
<body>
<h1>{title}</h1>
<p>The card is typed into ProcessOut's own fields below and saved with ProcessOut; this app never sees its number.</p>
<form id="card-form" action="" method="post">
<div class="field" data-processout-input="cc-number" data-processout-placeholder="Card number"></div>
<div class="field" data-processout-input="cc-exp" data-processout-placeholder="MM / YY"></div>
<div class="field" data-processout-input="cc-cvc" data-processout-placeholder="CVC"></div>
</form>
<p id="status" role="status"></p>
<button id="save" type="button" disabled>Save card</button>
<button id="cancel" type="button">Cancel</button>
<div id="apms"></div>
<script>
(function () {{
  var cfg = JSON.parse(document.getElementById("{config_id}").textContent);
  var status = document.getElementById("status");
  var save = document.getElementById("save");
  function go(name, value) {{
    var url = cfg.returnUrl;
    var hash = url.indexOf("#");
    var tail = hash >= 0 ? url.slice(hash) : "";
    if (hash >= 0) {{ url = url.slice(0, hash); }}
    url += (url.indexOf("?") >= 0 ? "&" : "?") + encodeURIComponent(name) + "=" + encodeURIComponent(value);
    window.location.href = url + tail;
  }}
  function said(err) {{
    return String((err && (err.message || err.code)) || err || "ProcessOut gave no card");
  }}
  document.getElementById("cancel").onclick = function () {{ go("cancelled", "1"); }};
  document.getElementById("card-form").onsubmit = function (e) {{ e.preventDefault(); }};
  if (!window.ProcessOut || typeof window.ProcessOut.ProcessOut !== "function") {{
    status.textContent = "ProcessOut's card fields could not be loaded.";
    return;
  }}
  var client = new window.ProcessOut.ProcessOut(cfg.projectId);
  client.setupForm(document.getElementById("card-form"), function (form) {{
    save.disabled = false;
    save.onclick = function () {{
      save.disabled = true;
      status.textContent = "Saving the card with ProcessOut…";
      client.tokenize(form, {{}}, function (token) {{ go("token", token); }},
        function (err) {{ go("error", said(err)); }});
    }};
  }}, function (err) {{
    status.textContent = "ProcessOut's card fields could not be set up: " + said(err);
  }});
  var apms = document.getElementById("apms");
  if (typeof client.fetchGatewayConfigurations !== "function") {{ return; }}
  client.fetchGatewayConfigurations({{ customerID: cfg.customerId, tokenID: cfg.tokenId,
    filter: "alternative-payment-methods-with-tokenization" }}, function (confs) {{
    confs.forEach(function (conf) {{
      var b = document.createElement("button");
      b.type = "button";
      b.className = "apm";
      b.textContent = "Save payment details with " + conf.gateway.display_name;
      b.onclick = function () {{
        b.disabled = true;
        conf.handleCustomerTokenAction(function (token) {{ go("token", token); }},
          function (err) {{ go("error", said(err)); }});
      }};
      apms.appendChild(b);
    }});
  }}, function (err) {{
    apms.textContent = "No other payment methods: " + said(err);
  }});
}})();
</script>
</body>
</html>
"##,
        title = html(&config.title),
        config_id = CONFIG_ID,
        block = script_json(&block),
        sdk = html(&config.sdk),
        api = html(&config.api),
    )
}

/// The configuration block of a page built by [`host_page`].
pub(super) fn page_config(page: &str) -> Result<serde_json::Value, ProviderError> {
    let open = format!("<script type=\"application/json\" id=\"{CONFIG_ID}\">");
    let start = page.find(&open).map(|i| i + open.len()).ok_or_else(|| {
        invalid(
            "page",
            "not a ProcessOut enrollment page: no configuration block",
        )
    })?;
    let end = page[start..]
        .find("</script>")
        .ok_or_else(|| invalid("page", "the configuration block is not closed"))?;
    serde_json::from_str(&page[start..start + end])
        .map_err(|e| invalid("page", format!("the configuration block is not JSON: {e}")))
}

/// `cust_…/tok_…`: the enrollment's customer and token, kept as its pending reference.
pub(super) fn pending_ref(customer: &CustomerRef, token: &str) -> String {
    format!("{}/{token}", customer.as_str())
}

/// The customer and token of a [`pending_ref`].
pub(super) fn parse_pending(pending: &str) -> Result<(CustomerRef, String), ProviderError> {
    match pending.split_once('/') {
        Some((customer, token))
            if customer.starts_with("cust_")
                && token.starts_with("tok_")
                && !token.contains('/') =>
        {
            Ok((CustomerRef(customer.to_string()), token.to_string()))
        }
        _ => Err(ProviderError::new(
            ProviderErrorKind::InvalidRequest {
                field: Some("pending_ref".into()),
            },
            format!("'{pending}' is not a ProcessOut enrollment's cust_…/tok_…"),
        )),
    }
}

/// The value of `name` in a return's query pairs.
pub(super) fn returned_value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Whether an error says ProcessOut refused what was sent (an unknown or used card, a decline),
/// as opposed to failing for a reason a retry may cure.
pub(super) fn refused(e: &ProviderError) -> bool {
    matches!(
        e.kind,
        ProviderErrorKind::InvalidRequest { .. }
            | ProviderErrorKind::NotFound
            | ProviderErrorKind::Duplicate
    ) || e.kind.is_decline()
}

impl ProcessOutClient {
    /// `GET /cards/{id}`: the card ProcessOut.js made, if this project has it.
    pub(super) async fn card_record(
        &self,
        id: &str,
    ) -> Result<Option<wire::CardRecord>, ProviderError> {
        match self
            .call::<wire::CardReply>(Call::get(format!("/cards/{}", convert::segment(id))))
            .await
        {
            Ok(reply) => Ok(Some(reply.card)),
            Err(e) if e.kind == ProviderErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The customer an earlier confirmation of this enrollment created: among the customers made
    /// since the enrollment opened (newest first), the one carrying our order id.
    pub(super) async fn enrollment_customer(
        &self,
        request: &EnrollmentRequest,
    ) -> Result<Option<CustomerRef>, ProviderError> {
        let since = request.expires_at - request.mode.lifetime() - crate::LOOKUP_MARGIN;
        let mut cursor: Option<String> = None;
        for _ in 0..PAGE_LIMIT {
            let mut call = Call::get("/customers".into())
                .query("limit", PAGE_SIZE)
                .query("order", "desc");
            if let Some(c) = &cursor {
                call = call.query("start_after", c);
            }
            let page: wire::CustomerList = self.call(call).await?;
            let last = page.customers.last().map(|c| c.id.clone());
            let mut reached_back = false;
            for customer in page.customers {
                if let Some(at) = customer.created_at.as_deref() {
                    reached_back |= convert::time_from_wire(at)? < since;
                }
                if customer.metadata.get(ENROLLMENT_KEY) == Some(&request.order_id) {
                    return Ok(Some(CustomerRef(customer.id)));
                }
            }
            if !page.has_more || reached_back {
                return Ok(None);
            }
            match last {
                Some(id) if cursor.as_deref() != Some(id.as_str()) => cursor = Some(id),
                _ => {
                    return Err(ProviderError::malformed(
                        "ProcessOut's customer list says it has more but its cursor does not move",
                    ))
                }
            }
        }
        Err(ProviderError::new(
            ProviderErrorKind::Unavailable,
            "ProcessOut's customers did not end within the look-up's pages",
        ))
    }

    /// The customer token an earlier confirmation of this enrollment saved on `customer`.
    pub(super) async fn enrollment_token(
        &self,
        customer: &CustomerRef,
        order_id: &str,
    ) -> Result<Option<wire::Token>, ProviderError> {
        let mut cursor: Option<String> = None;
        for _ in 0..PAGE_LIMIT {
            let mut call = Call::get(format!(
                "/customers/{}/tokens",
                convert::segment(customer.as_str())
            ))
            .query("limit", PAGE_SIZE)
            .query("order", "desc");
            if let Some(c) = &cursor {
                call = call.query("start_after", c);
            }
            let page: wire::TokenList = match self.call(call).await {
                Ok(page) => page,
                Err(e) if e.kind == ProviderErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e),
            };
            let last = page.tokens.last().map(|t| t.id.clone());
            if let Some(token) = page
                .tokens
                .into_iter()
                .find(|t| t.metadata.get(ENROLLMENT_KEY).map(String::as_str) == Some(order_id))
            {
                return Ok(Some(token));
            }
            if !page.has_more {
                return Ok(None);
            }
            match last {
                Some(id) if cursor.as_deref() != Some(id.as_str()) => cursor = Some(id),
                _ => {
                    return Err(ProviderError::malformed(
                        "ProcessOut's token list says it has more but its cursor does not move",
                    ))
                }
            }
        }
        Err(ProviderError::new(
            ProviderErrorKind::Unavailable,
            "the customer's tokens did not end within the look-up's pages",
        ))
    }

    /// `POST /customers` for a new customer, tagged with our order id.
    pub(super) async fn create_customer(
        &self,
        request: &EnrollmentRequest,
    ) -> Result<CustomerRef, ProviderError> {
        let mut names = request.name.split_whitespace();
        let first = names.next();
        let rest = names.collect::<Vec<_>>().join(" ");
        let body = wire::CustomerCreate {
            first_name: first,
            last_name: (!rest.is_empty()).then_some(rest.as_str()),
            email: request.email.as_deref().filter(|e| !e.is_empty()),
            return_url: Some(request.return_url.as_str()),
            metadata: BTreeMap::from([(ENROLLMENT_KEY, request.order_id.as_str())]),
        };
        let key = derived_key(request, "customer");
        let reply: wire::CustomerReply = self
            .call(Call::post("/customers".into(), &body, &key)?)
            .await?;
        Ok(CustomerRef(reply.customer.id))
    }

    /// `POST /customers/{id}/tokens` with the card as `source`, verified when the initial is a
    /// zero amount.
    async fn save_card(
        &self,
        request: &EnrollmentRequest,
        customer: &CustomerRef,
        card: &str,
    ) -> Result<wire::Token, ProviderError> {
        let body = wire::TokenCreate {
            source: card,
            verify: request.amount.minor == 0,
            description: "Card on file",
            metadata: BTreeMap::from([(ENROLLMENT_KEY, request.order_id.as_str())]),
        };
        let key = derived_key(request, "token");
        let path = format!("/customers/{}/tokens", convert::segment(customer.as_str()));
        let reply: wire::TokenReply = self.call(Call::post(path, &body, &key)?).await?;
        Ok(reply.token)
    }

    /// The card from the page: ProcessOut's own record must show it in this project and unused;
    /// then the customer (a new one is created) and the customer token, and the initial.
    async fn enroll_card(
        &self,
        request: &EnrollmentRequest,
        known: Option<(CustomerRef, bool)>,
        card: &str,
    ) -> Result<EnrollmentSeen, ProviderError> {
        if let Some(refusal) = self.card_refusal(card).await? {
            return Ok(refusal);
        }
        let (customer, created) = match known {
            Some(known) => known,
            None => (self.create_customer(request).await?, true),
        };
        let token = match self.save_card(request, &customer, card).await {
            Ok(token) => token,
            Err(e) if refused(&e) => {
                return Ok(EnrollmentSeen::Failed {
                    reason: format!("ProcessOut did not save the card: {}", e.message),
                })
            }
            Err(e) => return Err(e),
        };
        self.finish(request, &customer, created, token).await
    }

    /// Why the card of a return cannot be saved, if it cannot: ProcessOut's own record must
    /// show it in this project and unused.
    pub(super) async fn card_refusal(
        &self,
        card: &str,
    ) -> Result<Option<EnrollmentSeen>, ProviderError> {
        if !card.starts_with("card_") || convert::segment(card) != card {
            return Ok(Some(EnrollmentSeen::Failed {
                reason: "the return carried no ProcessOut card".into(),
            }));
        }
        let reason = match self.card_record(card).await? {
            None => format!("ProcessOut knows no card {card} in this project"),
            Some(record) if record.used => {
                format!("the card {card} was already used at ProcessOut")
            }
            Some(record)
                if record
                    .project_id
                    .as_deref()
                    .is_some_and(|p| p != self.project_id) =>
            {
                format!(
                    "the card {} belongs to another ProcessOut project",
                    record.id
                )
            }
            Some(_) => return Ok(None),
        };
        Ok(Some(EnrollmentSeen::Failed { reason }))
    }

    /// The initial on the saved token: the capture of the amount, or the verification's result.
    pub(super) async fn finish(
        &self,
        request: &EnrollmentRequest,
        customer: &CustomerRef,
        created: bool,
        token: wire::Token,
    ) -> Result<EnrollmentSeen, ProviderError> {
        let created = created.then(|| customer.clone());
        if request.amount.minor == 0 {
            return self.verified(request, created, token).await;
        }
        let initial = InitialRequest {
            customer: customer.clone(),
            card_token: Some(coffer_core::CardToken(token.id.clone())),
            amount: request.amount,
            reason: request.reason,
            order_id: request.order_id.clone(),
            idempotency_key: coffer_core::IdempotencyKey(derived_key(request, "initial")),
            return_url: None,
            buyer: None,
        };
        match crate::Provider::record_initial(self, &initial).await {
            Ok(InitialStep::Done(outcome)) => Ok(EnrollmentSeen::Confirmed {
                outcome,
                registered: None,
                customer: created,
            }),
            Ok(InitialStep::CardPage { .. }) => Err(ProviderError::malformed(
                "a ProcessOut capture never asks for a card page",
            )),
            Err(e) if e.kind.is_decline() => Ok(EnrollmentSeen::Failed {
                reason: format!("ProcessOut declined the initial payment: {}", e.message),
            }),
            // Sent, not known: the next check resends under the same keys, which replays.
            Err(e) if e.kind == ProviderErrorKind::UnknownOutcome => Ok(EnrollmentSeen::Waiting),
            Err(e) => Err(e),
        }
    }

    /// A zero-amount enrollment: the token's verification decides (`verification_status`
    /// `success`; notes §2 Customer tokens). The verification's transaction is the initial: its
    /// scheme id, which ProcessOut keeps as the card's `initial_scheme_transaction_id`, is what
    /// later MITs link to.
    async fn verified(
        &self,
        request: &EnrollmentRequest,
        created: Option<CustomerRef>,
        token: wire::Token,
    ) -> Result<EnrollmentSeen, ProviderError> {
        let status = token.verification_status.clone().unwrap_or_default();
        let invoice_id = token.invoice_id.clone().filter(|i| !i.is_empty());
        match status.as_str() {
            "success" => {}
            "failed" => {
                let why = match &invoice_id {
                    Some(id) => self.verification_error(id).await?,
                    None => None,
                };
                return Ok(EnrollmentSeen::Failed {
                    reason: format!(
                        "ProcessOut's verification of the card failed{}",
                        why.map(|w| format!(": {w}")).unwrap_or_default()
                    ),
                });
            }
            // `pending` (notes §2: the seed docs' value) or not yet known: look again later.
            _ => return Ok(EnrollmentSeen::Waiting),
        }
        let card = convert::remote_card(token)?
            .ok_or_else(|| ProviderError::malformed("the verified token holds no card"))?;
        let initial_ref = card.initial_ref.clone().ok_or_else(|| {
            ProviderError::malformed(
                "the verified card carries no initial_scheme_transaction_id to link MITs to",
            )
        })?;
        let provider_ref = match &invoice_id {
            Some(id) => self
                .invoice(id)
                .await?
                .transaction_id
                .filter(|t| !t.is_empty())
                .map(ProviderRef)
                .unwrap_or_else(|| ProviderRef(id.clone())),
            None => initial_ref.clone(),
        };
        Ok(EnrollmentSeen::Confirmed {
            outcome: InitialOutcome {
                initial_ref,
                provider_ref,
                amount: request.amount,
                card,
                kind: InitialKind::Recurring,
            },
            registered: None,
            customer: created,
        })
    }

    /// What a failed verification's transaction says.
    async fn verification_error(&self, invoice_id: &str) -> Result<Option<String>, ProviderError> {
        let invoice = self.invoice(invoice_id).await?;
        let Some(id) = invoice.transaction_id.filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        let t = self.transaction(&id).await?;
        Ok(match (t.error_code, t.error_message) {
            (Some(code), Some(message)) => Some(format!("{message} ({code})")),
            (Some(code), None) => Some(code),
            (None, message) => message,
        })
    }
}

#[async_trait]
impl HostedEnrollment for ProcessOutClient {
    async fn start_enrollment(
        &self,
        request: &EnrollmentRequest,
    ) -> Result<EnrollmentStarted, ProviderError> {
        if request.amount.minor < 0 {
            return Err(invalid("amount", "the initial amount cannot be negative"));
        }
        if request.order_id.is_empty() {
            return Err(invalid("order_id", "the enrollment needs an order id"));
        }
        // The invoice is named by the order id: refused now rather than after the card is typed.
        convert::invoice_name(&request.order_id)?;
        // The customer and its blank token exist before the page opens, so the page can offer
        // the APMs that are saved onto them (seed 002); a card is saved onto the same token.
        let (customer, token) = self.open_token(request).await?;
        let html = host_page(&PageConfig {
            sdk: format!("{}/processout.js", self.js),
            api: self.api.clone(),
            project_id: &self.project_id,
            return_url: &request.return_url,
            title: format!("Save a card for {}", request.name),
            customer_id: customer.as_str(),
            token_id: &token,
        });
        Ok(EnrollmentStarted {
            page: EnrollmentPage::Hosted { html },
            pending_ref: Some(pending_ref(&customer, &token)),
        })
    }

    async fn confirm_enrollment(
        &self,
        request: &EnrollmentRequest,
        pending_ref: Option<&str>,
        returned: Option<&[(String, String)]>,
    ) -> Result<EnrollmentSeen, ProviderError> {
        // ProcessOut's own records first: the enrollment's token, blank or saved by an earlier
        // confirmation.
        let pending = pending_ref.map(parse_pending).transpose()?;
        let known = match (&pending, &request.customer) {
            (Some((customer, _)), given) => Some((customer.clone(), given.is_none())),
            (None, Some(c)) => Some((c.clone(), false)),
            (None, None) => self.enrollment_customer(request).await?.map(|c| (c, true)),
        };
        if let Some((customer, created)) = &known {
            if let Some(token) = self.enrollment_token(customer, &request.order_id).await? {
                return self
                    .on_token(request, customer, *created, token, returned)
                    .await;
            }
        }
        // No token of this enrollment: one started before its blank token existed.
        let Some(pairs) = returned else {
            return Ok(EnrollmentSeen::Waiting);
        };
        if let Some(card) = returned_value(pairs, "token") {
            return self.enroll_card(request, known, card).await;
        }
        if returned_value(pairs, "cancelled").is_some() {
            return Ok(EnrollmentSeen::Failed {
                reason: "the cardholder cancelled on the card page".into(),
            });
        }
        if let Some(error) = returned_value(pairs, "error") {
            let said: String = error.chars().take(REASON_MAX).collect();
            return Ok(EnrollmentSeen::Failed {
                reason: format!("ProcessOut's card fields gave no card: {said}"),
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
                "a live ProcessOut project's card fields are for the cardholder alone",
            ));
        }
        let EnrollmentPage::Hosted { html } = page else {
            return Err(invalid(
                "page",
                "ProcessOut's enrollment page is a hosted page",
            ));
        };
        let config = page_config(html)?;
        let text = |name: &str| {
            config
                .get(name)
                .and_then(serde_json::Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| invalid("page", format!("the configuration has no {name}")))
        };
        if card.test_card == super::sandbox_page::PAYPAL {
            // The APM's button, then Approve (or Cancel) on the sandbox's PayPal page.
            return super::sandbox_page::fill_apm(
                self,
                &text("projectId")?,
                &text("customerId")?,
                &text("tokenId")?,
                card.cancel,
            )
            .await;
        }
        if card.cancel {
            return Ok(vec![("cancelled".into(), "1".into())]);
        }
        let sdk = text("sdk")?;
        let base = sdk
            .strip_suffix("/processout.js")
            .ok_or_else(|| invalid("page", "the page loads no processout.js"))?;
        super::sandbox_page::fill(self, base, &text("projectId")?, card).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(title: &str, return_url: &str) -> String {
        host_page(&PageConfig {
            sdk: "https://js.processout.com/processout.js".into(),
            api: "https://api.processout.com".into(),
            project_id: "test-proj_8Hd2kQ",
            return_url,
            title: title.into(),
            customer_id: "cust_1",
            token_id: "tok_1",
        })
    }

    #[test]
    fn the_page_escapes_what_it_is_given_and_reads_its_configuration_back() {
        let html = page(
            "Save a card for <b>Ana</b> & \"Bea\"",
            "https://coffer.invalid/r?x=</script><script>alert(1)</script>",
        );
        assert!(html.contains("Save a card for &lt;b&gt;Ana&lt;/b&gt; &amp; &quot;Bea&quot;"));
        assert!(!html.contains("<script>alert(1)"), "no script injected");
        assert!(html.contains("<script src=\"https://js.processout.com/processout.js\"></script>"));
        let config = page_config(&html).unwrap();
        assert_eq!(
            config["returnUrl"], "https://coffer.invalid/r?x=</script><script>alert(1)</script>",
            "the JSON block keeps the URL exactly"
        );
        assert_eq!(config["projectId"], "test-proj_8Hd2kQ");
        assert_eq!(config["customerId"], "cust_1");
        assert_eq!(config["tokenId"], "tok_1");
        assert!(page_config("<html></html>").is_err());
    }

    #[test]
    fn the_page_has_one_inline_script_and_one_style() {
        let html = page("Save a card", "https://coffer.invalid/enroll/1/return");
        // The configuration block is data, not script; the SDK is loaded by URL.
        let inline_scripts = html.matches("<script>").count();
        assert_eq!(inline_scripts, 1, "one inline script for the window's CSP");
        assert_eq!(html.matches("<style>").count(), 1);
        assert_eq!(html.matches("<script src=").count(), 1);
        for field in ["cc-number", "cc-exp", "cc-cvc"] {
            assert!(html.contains(&format!("data-processout-input=\"{field}\"")));
        }
    }

    #[test]
    fn the_pending_reference_names_the_customer_and_its_token() {
        let customer = CustomerRef("cust_1".into());
        let pending = pending_ref(&customer, "tok_2");
        assert_eq!(pending, "cust_1/tok_2");
        assert_eq!(
            parse_pending(&pending).unwrap(),
            (customer, "tok_2".to_string())
        );
        for bad in ["cust_1", "tok_2/cust_1", "cust_1/tok_2/x", "iv_1/tok_2"] {
            assert!(parse_pending(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn derived_keys_are_stable_and_distinct() {
        let request = EnrollmentRequest {
            order_id: "enr-1".into(),
            customer: None,
            name: "Ana".into(),
            email: None,
            buyer: None,
            amount: coffer_core::Money::from_minor(0, coffer_core::Currency::EUR),
            reason: coffer_core::Reason::Recurring,
            registered: None,
            mode: coffer_core::EnrollmentMode::Counter,
            return_url: "https://coffer.invalid/r".into(),
            expires_at: chrono::Utc::now(),
            idempotency_key: coffer_core::IdempotencyKey("k-1".into()),
        };
        assert_eq!(
            derived_key(&request, "token"),
            derived_key(&request, "token")
        );
        assert_ne!(
            derived_key(&request, "token"),
            derived_key(&request, "customer")
        );
    }
}
