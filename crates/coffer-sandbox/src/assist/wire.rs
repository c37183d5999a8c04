//! The emulator's own view of Assist's wire: request parameters read case-insensitively from a
//! form or JSON body, and answers built as a small element tree that renders to the documented
//! XML (`Format=3`, root `<result firstcode=… secondcode=…>`) or to JSON (`Format=5`, or a JSON
//! request body). Written from `shared/providers/assist.md` alone; shares nothing with the client.

use std::fmt::Write as _;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Request parameters with Assist's case-insensitive names (clients send `OrderNumber`,
/// `Ordernumber` and `ordernumber` alike; assist.md §1).
#[derive(Debug, Clone, Default)]
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
    /// The body was JSON, so the answer is JSON too.
    pub json: bool,
}

/// Why a body could not be read as parameters.
#[derive(Debug)]
pub(crate) struct Unreadable;

impl Params {
    /// Reads a form-encoded or JSON object body; the Content-Type decides, form by default.
    pub fn from_body(headers: &HeaderMap, body: &[u8]) -> Result<Params, Unreadable> {
        let is_json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
        if is_json {
            let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| Unreadable)?;
            let object = value.as_object().ok_or(Unreadable)?;
            let pairs = object
                .iter()
                .map(|(k, v)| (k.clone(), json_text(v)))
                .collect();
            Ok(Params { pairs, json: true })
        } else {
            let pairs = form_urlencoded::parse(body).into_owned().collect();
            Ok(Params { pairs, json: false })
        }
    }

    /// Builds parameters from pairs (tests and the token listing's nested object).
    #[cfg(test)]
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Params {
        Params {
            pairs: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            json: false,
        }
    }

    /// Every pair as received, in order (the payment page carries them on as hidden fields;
    /// our choice, docs/assist.md "Enrollment").
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The value of `name`, any case; an empty value counts as absent, as Assist treats it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The named pairs exactly as received (names in the sender's case), for the ledger.
    pub fn subset(&self, names: &[&str]) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        for (k, v) in &self.pairs {
            if names.iter().any(|n| n.eq_ignore_ascii_case(k)) {
                map.insert(k.clone(), serde_json::Value::String(v.clone()));
            }
        }
        serde_json::Value::Object(map)
    }
}

/// JSON scalars as the text a form would have carried.
pub(crate) fn json_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// How the answer is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Xml,
    Json,
}

/// Whether the requested `Format` is one the emulator answers in. CSV (1), WDDX (2) and SOAP (4)
/// are answered with web-service error 6/103 (assist.md §6 allows it).
pub(crate) fn negotiate(params: &Params) -> Result<Format, Format> {
    let fallback = if params.json {
        Format::Json
    } else {
        Format::Xml
    };
    match params.get("Format") {
        None => Ok(fallback),
        Some("3") => Ok(Format::Xml),
        Some("5") => Ok(Format::Json),
        Some(_) => Err(fallback),
    }
}

/// One element of an answer: attributes, then either text or children.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Element {
    pub name: &'static str,
    pub attributes: Vec<(&'static str, String)>,
    pub text: Option<String>,
    pub children: Vec<Element>,
}

impl Element {
    pub fn new(name: &'static str) -> Element {
        Element {
            name,
            attributes: Vec::new(),
            text: None,
            children: Vec::new(),
        }
    }

    pub fn attr(mut self, name: &'static str, value: impl ToString) -> Element {
        self.attributes.push((name, value.to_string()));
        self
    }

    /// Adds `<name>value</name>`.
    pub fn field(mut self, name: &'static str, value: impl ToString) -> Element {
        let mut child = Element::new(name);
        child.text = Some(value.to_string());
        self.children.push(child);
        self
    }

    pub fn child(mut self, child: Element) -> Element {
        self.children.push(child);
        self
    }

    pub fn to_xml(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        self.write_xml(&mut out);
        out
    }

    fn write_xml(&self, out: &mut String) {
        let _ = write!(out, "<{}", self.name);
        for (k, v) in &self.attributes {
            let _ = write!(out, " {k}=\"{}\"", quick_xml::escape::escape(v.as_str()));
        }
        out.push('>');
        if let Some(text) = &self.text {
            out.push_str(&quick_xml::escape::escape(text.as_str()));
        }
        for child in &self.children {
            child.write_xml(out);
        }
        let _ = write!(out, "</{}>", self.name);
    }

    /// The JSON form: attributes and fields become members; `order` and `operation` are always
    /// arrays so that a reader never has to guess between one and many.
    pub fn to_json(&self) -> serde_json::Value {
        if let Some(text) = &self.text {
            if self.children.is_empty() && self.attributes.is_empty() {
                return serde_json::Value::String(text.clone());
            }
        }
        let mut map = serde_json::Map::new();
        for (k, v) in &self.attributes {
            map.insert((*k).to_string(), serde_json::Value::String(v.clone()));
        }
        for child in &self.children {
            let value = child.to_json();
            if matches!(child.name, "order" | "operation") {
                let entry = map
                    .entry(child.name.to_string())
                    .or_insert_with(|| serde_json::Value::Array(Vec::new()));
                if let serde_json::Value::Array(items) = entry {
                    items.push(value);
                }
            } else {
                map.insert(child.name.to_string(), value);
            }
        }
        serde_json::Value::Object(map)
    }

    pub fn render(&self, format: Format) -> Response {
        match format {
            Format::Xml => (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
                self.to_xml(),
            )
                .into_response(),
            Format::Json => (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                self.to_json().to_string(),
            )
                .into_response(),
        }
    }
}

/// A web-service error pair (assist.md §4.3). HTTP stays 200: Assist reports in the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct WsError {
    pub firstcode: u16,
    pub secondcode: u16,
}

impl WsError {
    pub const fn new(firstcode: u16, secondcode: u16) -> WsError {
        WsError {
            firstcode,
            secondcode,
        }
    }

    pub fn element(self) -> Element {
        Element::new("result")
            .attr("firstcode", self.firstcode)
            .attr("secondcode", self.secondcode)
    }
}

/// `<result firstcode="0" secondcode="0">`, the root of every processed answer.
pub(crate) fn ok_root() -> Element {
    WsError::new(0, 0).element()
}

/// A card listed by the One Click token service, in the published example's shape
/// (docs.belassist.by pageId=78512321, versions 78→101): `bin` a JSON number, `post` and
/// `expire` strings, `active`/`needCVC` booleans, `assets` an array.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TokenCard {
    pub expire: String,
    pub token: String,
    pub bank: String,
    pub brand: String,
    pub bin: u64,
    pub active: bool,
    #[serde(rename = "needCVC")]
    pub need_cvc: bool,
    pub post: String,
    pub assets: Vec<CardAsset>,
}

/// One card-design component: `assetData` is an array of files, each with its URL, media type
/// and size (same page).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CardAsset {
    #[serde(rename = "assetType")]
    pub asset_type: &'static str,
    #[serde(rename = "altText")]
    pub alt_text: &'static str,
    #[serde(rename = "paymentType")]
    pub payment_type: &'static str,
    #[serde(rename = "assetData")]
    pub asset_data: Vec<AssetData>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct AssetData {
    pub url: String,
    #[serde(rename = "mediaType")]
    pub media_type: &'static str,
    pub width: u32,
    pub height: u32,
}

/// The token service's published error: `{"fault":{"detail":"<error message>","faultcode":
/// <first code>,"faultstring":<second code>}}` (same page), the codes as JSON numbers.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TokenFault {
    pub fault: FaultBody,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct FaultBody {
    pub detail: String,
    pub faultcode: u16,
    pub faultstring: u16,
}

/// A row of the sandbox-only customer register (`GET /assist/__sandbox/customers`).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RegisterCustomer {
    pub customer_number: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    /// Sandbox extension: the seeded cards and the billnumber of their initial order, which a
    /// real merchant would have in its own records from the shop's payment page.
    pub cards: Vec<RegisterCard>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct RegisterCard {
    pub token: String,
    pub last4: String,
    pub initial_billnumber: Option<String>,
    pub initial_ordernumber: Option<String>,
    /// `recurring` or `one_click` (`rules::one_click_initial`), when the card has an initial.
    pub initial_kind: Option<&'static str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_names_are_case_insensitive_and_empty_means_absent() {
        let p = Params::from_pairs(&[("ordernumber", "A1"), ("BILLNUMBER", " "), ("Format", "3")]);
        assert_eq!(p.get("OrderNumber"), Some("A1"));
        assert_eq!(p.get("Billnumber"), None, "blank is absent");
        assert_eq!(negotiate(&p), Ok(Format::Xml));
        let soap = Params::from_pairs(&[("format", "4")]);
        assert_eq!(negotiate(&soap), Err(Format::Xml), "SOAP is refused");
    }

    #[test]
    fn xml_escapes_text_and_json_keeps_orders_as_arrays() {
        let root = ok_root()
            .attr("count", 1)
            .child(Element::new("order").field("ordercomment", "a<b & \"c\""));
        let xml = root.to_xml();
        assert!(xml.contains("<result firstcode=\"0\" secondcode=\"0\" count=\"1\">"));
        assert!(xml.contains("a&lt;b &amp; &quot;c&quot;"), "{xml}");
        let json = root.to_json();
        assert_eq!(json["order"][0]["ordercomment"], "a<b & \"c\"");
        assert_eq!(json["firstcode"], "0");
    }
}
