//! ProcessOut.js and its card-field page, as `js.processout.com` serves them: `/js/processout.js`,
//! `/js/ccfield.html` (with its script `/js/ccfield.js`). No authentication: they are public.
//!
//! Sources: processout/processout.js `src/processout/processout.ts`: the page loads
//! `https://js.processout.com/processout.js`; `new ProcessOut.ProcessOut(projectID)`;
//! `setupForm(form, options | success, success | error, error?)` mounts the card fields into the
//! form's `[data-processout-input=cc-number]`, `cc-exp`, `cc-cvc` elements
//! (`src/processout/cardform.ts`) as iframes of `https://js.<host>/ccfield.html`
//! (`getProcessOutFieldEndpoint`); `tokenize(form, data, success(token, card), error(err))`
//! answers a `card_…` id after `POST /cards` on the API host with
//! `Authorization: Basic base64(projectID + ":")` and the body `number`, `exp_month`,
//! `exp_year`, `cvc2` (`tokenizeCard`), the answer being `{success, card: {id, …}}`; an error
//! is an `Exception` with `code` and `message`.
//!
//! For APMs (seed 002 "Saving APM tokens"), the script also has
//! `fetchGatewayConfigurations({customerID, tokenID, filter}, success(confs), error)`, each conf
//! with `gateway.display_name` and `handleCustomerTokenAction(success, error)`; here the latter
//! sends the same window to the sandbox's APM page (`apm.rs`), whose way back is the token's
//! `return_url` (our choice: real ProcessOut.js opens the APM's own page).
//!
//! **Choices** (docs/processout.md "Enrollment"): one iframe holds all card fields, mounted in
//! the `cc-number` element; it talks to the script with `postMessage` (`processout-tokenize`
//! / `processout-tokenized`), accepting requests only from its parent and answering to the
//! parent's origin (or `*` for an opaque origin, such as a custom-scheme app page: the answer
//! holds only the single-use `card_…` id, useless without the project's secret). The card
//! number goes from that iframe (the sandbox's origin) to the sandbox's own `POST /cards`, never
//! through the host page. The iframe offers the test cards `approve`, `decline` (a hard decline
//! at the capture or the verification) and `fail_3ds` (ProcessOut's `…0101`, 3-D Secure
//! required: the server-side capture or verification fails with `card.failed-3ds`), and a typed
//! number for a human.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::Datelike;
use http::header;
use std::sync::Arc;

use crate::processout::Emulator;

/// The test cards the card fields offer: `(value, label, number)`. Numbers from ProcessOut's
/// published test cards (notes §4): `4242…4242` succeeds, `…0002` is declined, `…0101`
/// requires 3-D Secure.
const TEST_CARDS: [(&str, &str, &str); 3] = [
    ("approve", "Approve (Visa 4242)", "4242424242424242"),
    ("decline", "Decline, hard (Visa 0002)", "4000000000000002"),
    (
        "fail_3ds",
        "3-D Secure fails (Visa 0101)",
        "4000000000000101",
    ),
];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn javascript(body: &'static str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/javascript; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// `GET /js/processout.js`: the public surface of ProcessOut.js the enrollment page uses.
pub(crate) async fn processout_js() -> Response {
    javascript(PROCESSOUT_JS)
}

/// `GET /js/ccfield.js`: the card fields' script.
pub(crate) async fn ccfield_js() -> Response {
    javascript(CCFIELD_JS)
}

/// `GET /js/ccfield.html`: the card fields, with the test cards and the tokenizer they post to.
pub(crate) async fn ccfield_html(State(emu): State<Arc<Emulator>>) -> Response {
    let year = (emu.ctx.now().year() + 4).to_string();
    let options: String = TEST_CARDS
        .iter()
        .map(|(value, label, number)| {
            format!(
                "<option value=\"{value}\" data-number=\"{number}\" data-exp-month=\"12\" data-exp-year=\"{year}\" data-cvc=\"123\">{label}</option>\n"
            )
        })
        .collect();
    let page = CCFIELD
        .replace(
            "{tokenizer}",
            &escape(&format!("{}/cards", emu.ctx.base_url.trim_end_matches('/'))),
        )
        .replace("{options}", &options);
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        page,
    )
        .into_response()
}

const CCFIELD: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ProcessOut card fields (sandbox)</title>
<style>
body { font-family: system-ui, sans-serif; margin: 0; padding: .5rem; }
label { display: block; margin: .4rem 0; }
input, select { font-size: 1rem; }
.note { color: #555; font-size: .85rem; }
</style>
</head>
<body>
<form id="processout-fields" data-tokenizer="{tokenizer}">
<label>Test card
<select id="test-card" name="test_card">
{options}<option value="typed">Type a card number below</option>
</select></label>
<label>Card number <input id="number" inputmode="numeric" autocomplete="off" placeholder="4242 4242 4242 4242"></label>
<label>Expiry (MM/YY) <input id="exp" autocomplete="off" placeholder="12/30"></label>
<label>CVC <input id="cvc" inputmode="numeric" autocomplete="off" placeholder="123"></label>
<p class="note">ProcessOut sandbox: the typed fields are used only with "Type a card number below".</p>
</form>
<script src="ccfield.js"></script>
</body>
</html>
"#;

const CCFIELD_JS: &str = r#"/* Coffer's ProcessOut sandbox: the card fields (ccfield.html). */
(function () {
  var params = new URLSearchParams(window.location.search);
  var origin = params.get("origin") || "";
  var target = /^https?:\/\/[^\/]+$/.test(origin) ? origin : "*";
  var projectId = params.get("project_id") || "";
  var form = document.getElementById("processout-fields");
  var select = document.getElementById("test-card");
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  function value(id) { return document.getElementById(id).value.trim(); }
  function reply(id, data) {
    data.type = "processout-tokenized";
    data.id = id;
    window.parent.postMessage(JSON.stringify(data), target);
  }
  function card() {
    var o = select.options[select.selectedIndex];
    if (o.value !== "typed") {
      return { number: o.getAttribute("data-number"), exp_month: o.getAttribute("data-exp-month"),
               exp_year: o.getAttribute("data-exp-year"), cvc2: o.getAttribute("data-cvc") };
    }
    var exp = value("exp").split("/");
    return { number: value("number").replace(/[\s-]+/g, ""), exp_month: (exp[0] || "").trim(),
             exp_year: (exp[1] || "").trim(), cvc2: value("cvc") };
  }
  window.addEventListener("message", function (e) {
    if (e.source !== window.parent) { return; }
    var m;
    try { m = JSON.parse(e.data); } catch (_) { return; }
    if (!m || m.type !== "processout-tokenize") { return; }
    fetch(form.getAttribute("data-tokenizer"), {
      method: "POST",
      headers: { "Authorization": "Basic " + btoa(projectId + ":"), "Content-Type": "application/json" },
      body: JSON.stringify(card())
    }).then(function (r) {
      return r.json();
    }).then(function (j) {
      if (j && j.success && j.card && j.card.id) { reply(m.id, { token: j.card.id }); return; }
      reply(m.id, { code: (j && j.error_type) || "card.invalid", message: (j && j.message) || "The card was refused." });
    }, function () {
      reply(m.id, { code: "processout-js.network-issue", message: "ProcessOut could not be reached." });
    });
  });
})();
"#;

const PROCESSOUT_JS: &str = r#"/* Coffer's ProcessOut sandbox: the public surface of ProcessOut.js. */
(function () {
  var script = document.currentScript;
  var src = script && script.src ? script.src : "";
  var base = src.replace(/\/processout\.js(\?.*)?$/, "");
  var ORIGIN = base ? new URL(base).origin : "";
  function Exception(code, message) { this.code = code; this.message = message || code; }
  function CardForm(frame) { this.frame = frame; }
  function ProcessOut(projectId) {
    if (!projectId) { throw new Exception("processout-js.missing-project-id"); }
    var self = this;
    this.projectID = projectId;
    this.sandbox = projectId.lastIndexOf("test-", 0) === 0;
    this.pending = {};
    window.addEventListener("message", function (e) {
      if (e.origin !== ORIGIN) { return; }
      var m;
      try { m = JSON.parse(e.data); } catch (_) { return; }
      if (!m || m.type !== "processout-tokenized") { return; }
      var done = self.pending[m.id];
      if (done) { delete self.pending[m.id]; done(m); }
    });
  }
  ProcessOut.prototype.getProjectID = function () { return this.projectID; };
  ProcessOut.prototype.setupForm = function (form, options, success, error) {
    if (typeof options === "function") { error = success; success = options; }
    if (!form) { throw new Exception("default", "The provided form element wasn't set."); }
    var number = form.querySelector("[data-processout-input=cc-number]");
    if (!number) { if (error) { error(new Exception("processout-js.missing-field", "No cc-number field.")); } return null; }
    ["cc-exp", "cc-cvc"].forEach(function (name) {
      var node = form.querySelector("[data-processout-input=" + name + "]");
      if (node) { node.style.display = "none"; }
    });
    var frame = document.createElement("iframe");
    frame.src = base + "/ccfield.html?project_id=" + encodeURIComponent(this.projectID) +
      "&origin=" + encodeURIComponent(document.location.origin);
    frame.title = "ProcessOut card fields";
    frame.className = "processout-field-cc-iframe";
    frame.style.border = "0";
    frame.style.width = "100%";
    frame.style.height = "18rem";
    var cardForm = new CardForm(frame);
    frame.onload = function () { if (success) { success(cardForm); } };
    frame.onerror = function () { if (error) { error(new Exception("processout-js.field-unavailable")); } };
    number.appendChild(frame);
    return cardForm;
  };
  ProcessOut.prototype.tokenize = function (val, data, success, error) {
    if (!(val instanceof CardForm)) { error(new Exception("processout-js.invalid-type")); return; }
    var id = Math.random().toString(36).slice(2, 12);
    this.pending[id] = function (m) {
      if (m.token) { success(m.token); } else { error(new Exception(m.code, m.message)); }
    };
    val.frame.contentWindow.postMessage(JSON.stringify({ type: "processout-tokenize", id: id }), ORIGIN);
  };
  /* Saving an APM as a customer token (seed 002 "Saving APM tokens"). The sandbox serves its
     API at the origin processout.js comes from, without "/js". */
  var API = base.replace(/\/js$/, "");
  function GatewayConfiguration(client, conf, options) {
    this.id = conf.id;
    this.name = conf.name;
    this.gateway = conf.gateway || {};
    this.client = client;
    this.customerID = options.customerID;
    this.tokenID = options.tokenID;
  }
  /* Sends this window to the APM's page; its way back is the token's return_url, carrying the
     gateway request token (the success callback is never reached in the same window). */
  GatewayConfiguration.prototype.handleCustomerTokenAction = function (success, error) {
    if (!this.customerID || !this.tokenID) {
      error(new Exception("processout-js.missing-customer-token", "No customer token to save the method on."));
      return;
    }
    window.location.href = API + "/apm/" + encodeURIComponent(this.id) + "/tokenize?project_id=" +
      encodeURIComponent(this.client.projectID) + "&customer_id=" + encodeURIComponent(this.customerID) +
      "&token_id=" + encodeURIComponent(this.tokenID);
  };
  ProcessOut.prototype.fetchGatewayConfigurations = function (options, success, error) {
    var self = this;
    options = options || {};
    fetch(API + "/gateway-configurations?filter=" + encodeURIComponent(options.filter || ""), {
      headers: { "Authorization": "Basic " + btoa(self.projectID + ":") }
    }).then(function (r) {
      return r.json();
    }).then(function (j) {
      if (!j || !j.success) {
        error(new Exception((j && j.error_type) || "default", j && j.message));
        return;
      }
      success((j.gateway_configurations || []).map(function (c) { return new GatewayConfiguration(self, c, options); }));
    }, function () {
      error(new Exception("processout-js.network-issue", "ProcessOut could not be reached."));
    });
  };
  window.ProcessOut = { ProcessOut: ProcessOut, Exception: Exception };
})();
"#;
