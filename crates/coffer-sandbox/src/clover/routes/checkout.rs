//! Clover's checkout host: the iframe SDK (`/sdk.js`) and the page it mounts (`/widget.html`).
//!
//! Sources: docs.clover.com "Iframe—Create a payment form"
//! (https://docs.clover.com/docs/using-the-clover-hosted-iframe) loads
//! `https://checkout.sandbox.dev.clover.com/sdk.js`; "Iframe—Use card and page elements"
//! (https://docs.clover.com/docs/clover-iframe-features) names `new Clover(key, {merchantId})`,
//! `clover.elements()`, `elements.create('CARD_NUMBER' | 'CARD_DATE' | 'CARD_CVV' |
//! 'CARD_POSTAL_CODE')`, `.mount(selector)` and `clover.createToken()` answering
//! `{token, card}` or `{errors}`. Clover's `sdk.js` mounts each element as an iframe of
//! `<checkout host>/widget.html?element=…&origin=…&apiKey=…&mId=…` and talks to it with
//! `postMessage` (`postTokenRequest`), accepting answers only from the checkout host's origin.
//!
//! **Choice** (docs/clover.md "Enrollment"): one iframe holds all four fields, mounted where the
//! first element is mounted; the other elements' `mount` only checks its selector. Card data goes
//! from that iframe (the sandbox's origin) to the sandbox tokenizer `/v1/tokens` with the
//! `apikey` header, never through the host page, which only receives the token and the card's
//! display fields. The iframe offers the test cards `approve`, `decline` (a hard decline at the
//! first charge), `fail_3ds` (the iframe answers `{errors}`: 3-D Secure is not emulated on
//! charges) and a typed number for a human.

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use chrono::Datelike;
use http::{header, StatusCode};

use super::{lock, param, query, Emu};

/// The card a test-card choice types: `(value, label, number, or the iframe's error)`.
const TEST_CARDS: [(&str, &str, Option<&str>, Option<&str>); 3] = [
    (
        "approve",
        "Approve (Visa 4242)",
        Some("4242424242424242"),
        None,
    ),
    // Last four 0002: the seed's hard decline (`stolen_card`) at the first charge.
    (
        "decline",
        "Decline, hard (Visa 0002)",
        Some("4000000000000002"),
        None,
    ),
    (
        "fail_3ds",
        "3-D Secure fails",
        None,
        Some("3-D Secure authentication failed (sandbox test card)"),
    ),
];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// `GET /sdk.js`: the public surface of Clover's iframe SDK, small.
pub(crate) async fn sdk() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/javascript; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        SDK,
    )
        .into_response()
}

/// `GET /widget.html?element=…&apiKey=…&mId=…&origin=…`: the card fields. An unknown `apiKey`
/// gets a 401 page, as the tokenizer would refuse it.
pub(crate) async fn widget(State(emu): Emu, RawQuery(raw): RawQuery) -> Response {
    let pairs = query(raw);
    let key = param(&pairs, "apiKey").unwrap_or("");
    let known = lock(&emu)
        .map(|s| s.by_apikey(key).is_some())
        .unwrap_or(false);
    if !known {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<!doctype html><title>Clover</title><p>Unknown apiKey.</p>",
        )
            .into_response();
    }
    let year = (emu.ctx.now().year() + 4).to_string();
    let options: String = TEST_CARDS
        .iter()
        .map(|(value, label, number, error)| match (number, error) {
            (Some(number), _) => format!(
                "<option value=\"{value}\" data-number=\"{number}\" data-exp-month=\"12\" data-exp-year=\"{year}\" data-cvv=\"123\">{label}</option>\n"
            ),
            (None, Some(error)) => format!(
                "<option value=\"{value}\" data-error=\"{}\">{label}</option>\n",
                escape(error)
            ),
            (None, None) => String::new(),
        })
        .collect();
    let page = WIDGET
        .replace(
            "{tokenizer}",
            &escape(&format!("{}/v1/tokens", emu.ctx.base_url)),
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

const WIDGET: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Clover card fields (sandbox)</title>
<style>
body { font-family: system-ui, sans-serif; margin: 0; padding: .5rem; }
label { display: block; margin: .4rem 0; }
input, select { font-size: 1rem; }
.note { color: #555; font-size: .85rem; }
</style>
</head>
<body>
<form id="clover-fields" data-tokenizer="{tokenizer}" onsubmit="return false">
<label>Test card
<select id="test-card" name="test_card">
{options}<option value="typed">Type a card number below</option>
</select></label>
<label>Card number <input id="number" inputmode="numeric" autocomplete="off" placeholder="4242 4242 4242 4242"></label>
<label>Expiry (MM/YY) <input id="date" autocomplete="off" placeholder="12/30"></label>
<label>CVV <input id="cvv" inputmode="numeric" autocomplete="off" placeholder="123"></label>
<label>Postal code <input id="zip" autocomplete="off"></label>
<p class="note">Clover sandbox: the typed fields are used only with "Type a card number below".</p>
</form>
<script>
(function () {
  var params = new URLSearchParams(window.location.search);
  var origin = params.get("origin") || "";
  var target = /^https?:\/\/[^\/]+$/.test(origin) ? origin : "*";
  var form = document.getElementById("clover-fields");
  var select = document.getElementById("test-card");
  function value(id) { return document.getElementById(id).value.trim(); }
  function reply(hash, data) {
    window.parent.postMessage(JSON.stringify({ functionToInvoke: "tokenResponse", hash: hash, data: data, shouldDefer: false }), target);
  }
  function card() {
    var o = select.options[select.selectedIndex];
    if (o.value !== "typed") {
      if (o.getAttribute("data-error")) { return { error: o.getAttribute("data-error") }; }
      return { card: { number: o.getAttribute("data-number"), exp_month: o.getAttribute("data-exp-month"),
                       exp_year: o.getAttribute("data-exp-year"), cvv: o.getAttribute("data-cvv") } };
    }
    var date = value("date").split("/");
    return { card: { number: value("number").replace(/[\s-]+/g, ""), exp_month: (date[0] || "").trim(),
                     exp_year: (date[1] || "").trim(), cvv: value("cvv") } };
  }
  window.addEventListener("message", function (e) {
    if (e.source !== window.parent) { return; }
    var m;
    try { m = JSON.parse(e.data); } catch (_) { return; }
    if (!m || m.functionToInvoke !== "postTokenRequest") { return; }
    var c = card();
    if (c.error) { reply(m.hash, { errors: { CARD_NUMBER: c.error } }); return; }
    fetch(form.getAttribute("data-tokenizer"), {
      method: "POST",
      headers: { "apikey": params.get("apiKey") || "", "content-type": "application/json" },
      body: JSON.stringify(c)
    }).then(function (r) {
      return r.json().then(function (j) { return { ok: r.ok, j: j }; });
    }).then(function (x) {
      if (x.ok && x.j.id) { reply(m.hash, { token: x.j.id, card: x.j.card }); return; }
      var said = (x.j.error && x.j.error.message) || x.j.message || "The card was refused.";
      reply(m.hash, { errors: { CARD_NUMBER: said } });
    }, function () {
      reply(m.hash, { errors: { CARD_NUMBER: "The tokenizer could not be reached." } });
    });
  });
})();
</script>
</body>
</html>
"#;

const SDK: &str = r#"/* Coffer's Clover sandbox: the public surface of Clover's iframe SDK (sdk.js). */
(function () {
  var script = document.currentScript;
  var src = script && script.src ? script.src : "";
  var base = src.replace(/\/sdk\.js(\?.*)?$/, "");
  var ORIGIN = base ? new URL(base).origin : "";
  var ELEMENTS = ["CARD", "CARD_NAME", "CARD_NUMBER", "CARD_DATE", "CARD_CVV", "CARD_POSTAL_CODE", "CARD_STREET_ADDRESS"];
  function randomString() { return Math.random().toString(36).slice(2, 12); }
  function Clover(apiKey, options) {
    if (!apiKey) { throw new Error("Apikey is required"); }
    var self = this;
    this.apiKey = apiKey;
    this.options = options || {};
    this.pending = {};
    this.frame = null;
    window.addEventListener("message", function (e) {
      if (e.origin !== ORIGIN || !self.frame || e.source !== self.frame.contentWindow) { return; }
      var m;
      try { m = JSON.parse(e.data); } catch (_) { return; }
      var resolve = m && self.pending[m.hash];
      if (resolve) { delete self.pending[m.hash]; resolve(m.data); }
    });
  }
  Clover.prototype.elements = function () {
    var self = this;
    return {
      create: function (type) {
        if (ELEMENTS.indexOf(type) < 0) { throw new Error("Enter a valid element such as " + ELEMENTS.join(", ")); }
        return {
          mount: function (selector) {
            var node = document.querySelector(selector);
            if (!node) { throw new Error("Unable to find a dom element for selector " + selector); }
            self.mountFields(node, type);
          },
          addEventListener: function () {},
          removeEventListener: function () {}
        };
      }
    };
  };
  Clover.prototype.mountFields = function (node, type) {
    node.setAttribute("data-clover-element", type);
    if (this.frame) { return; }
    var query = "element=CARD&origin=" + encodeURIComponent(document.location.origin) +
      "&apiKey=" + encodeURIComponent(this.apiKey) +
      (this.options.merchantId ? "&mId=" + encodeURIComponent(this.options.merchantId) : "");
    var frame = document.createElement("iframe");
    frame.src = base + "/widget.html?" + query;
    frame.title = "Clover card fields";
    frame.style.border = "0";
    frame.style.width = "100%";
    frame.style.height = "20rem";
    node.appendChild(frame);
    this.frame = frame;
  };
  Clover.prototype.createToken = function () {
    var self = this;
    return new Promise(function (resolve) {
      if (!self.frame) { resolve({ errors: { CARD_NUMBER: "The card fields are not mounted." } }); return; }
      var hash = randomString();
      self.pending[hash] = resolve;
      self.frame.contentWindow.postMessage(JSON.stringify({ functionToInvoke: "postTokenRequest", hash: hash,
        data: { isMultipayToken: false }, shouldDefer: true }), ORIGIN);
    });
  };
  window.Clover = Clover;
})();
"#;
