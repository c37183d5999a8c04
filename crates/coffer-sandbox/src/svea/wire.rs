//! The emulator's own view of Svea's wire: HTML-form requests decoded in their declared charset,
//! and the XML documents Svea answers with (`<chargeWithTokenResponse>`, `<pmtq>`, `<pmtc>`,
//! `<pmt>`, `<errors>`). Written from `shared/providers/svea.md` alone; the client has its own.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::charset::Charset;

/// A decoded `application/x-www-form-urlencoded` body, in the order the fields came.
#[derive(Debug, Clone, Default)]
pub(crate) struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    /// Decodes the body. Values are percent-decoded to bytes first, then read in the charset
    /// named by `charset_field` (`pmt_charsethttp`), UTF-8 when absent.
    pub(crate) fn parse(body: &[u8], charset_field: &str) -> Result<Form, String> {
        let raw: Vec<(Vec<u8>, Vec<u8>)> = body
            .split(|&b| b == b'&')
            .filter(|part| !part.is_empty())
            .map(|part| {
                let mut halves = part.splitn(2, |&b| b == b'=');
                let key = percent_decode(halves.next().unwrap_or_default());
                let value = percent_decode(halves.next().unwrap_or_default());
                (key, value)
            })
            .collect();
        let charset = match raw.iter().find(|(k, _)| k == charset_field.as_bytes()) {
            Some((_, name)) => {
                let name = String::from_utf8_lossy(name);
                Charset::parse(&name).ok_or_else(|| charset_field.to_string())?
            }
            None => Charset::Utf8,
        };
        let mut pairs = Vec::with_capacity(raw.len());
        for (key, value) in raw {
            let key = String::from_utf8(key).map_err(|_| "form field name".to_string())?;
            let value = charset.decode(&value).ok_or_else(|| key.clone())?;
            pairs.push((key, value));
        }
        Ok(Form { pairs })
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value, or "" when absent: for hash strings, where validation already ran.
    pub(crate) fn text(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }

    pub(crate) fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The field names, for the ledger's record of what was received.
    pub(crate) fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }
}

fn percent_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < input.len() => {
                let hex = std::str::from_utf8(&input[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    out
}

/// The credentials of an `Authorization: Basic` header, if one was sent.
pub(crate) enum BasicAuth {
    Absent,
    Malformed,
    Given { user: String, password: String },
}

pub(crate) fn basic_auth(headers: &HeaderMap) -> BasicAuth {
    use base64::Engine as _;
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return BasicAuth::Absent;
    };
    let Some(encoded) = value.to_str().ok().and_then(|v| v.strip_prefix("Basic ")) else {
        return BasicAuth::Malformed;
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok());
    match decoded.as_deref().and_then(|d| d.split_once(':')) {
        Some((user, password)) => BasicAuth::Given {
            user: user.to_string(),
            password: password.to_string(),
        },
        None => BasicAuth::Malformed,
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

/// A flat XML answer: one root with text children, in order.
#[derive(Debug, Clone)]
pub(crate) struct XmlDoc {
    root: &'static str,
    fields: Vec<(String, String)>,
    errors: Vec<FieldError>,
}

impl XmlDoc {
    pub(crate) fn new(root: &'static str) -> XmlDoc {
        XmlDoc {
            root,
            fields: Vec::new(),
            errors: Vec::new(),
        }
    }

    pub(crate) fn field(mut self, name: &str, value: impl Into<String>) -> XmlDoc {
        self.fields.push((name.to_string(), value.into()));
        self
    }

    pub(crate) fn field_opt(self, name: &str, value: Option<String>) -> XmlDoc {
        match value {
            Some(v) => self.field(name, v),
            None => self,
        }
    }

    /// `<error>` children, as the cancel answer carries them with return code 90.
    pub(crate) fn errors(mut self, errors: Vec<FieldError>) -> XmlDoc {
        self.errors = errors;
        self
    }

    pub(crate) fn render(&self) -> String {
        let mut out =
            String::from("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n");
        out.push_str(&format!("<{}>", self.root));
        for (name, value) in &self.fields {
            out.push_str(&format!("<{name}>{}</{name}>", escape(value)));
        }
        for error in &self.errors {
            out.push_str(&error.render());
        }
        out.push_str(&format!("</{}>\n", self.root));
        out
    }

    pub(crate) fn respond(&self, status: StatusCode) -> Response {
        xml_response(status, self.render())
    }
}

/// One `<error name="FIELD" type="field">FIELD is invalid</error>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldError {
    pub name: String,
    pub kind: &'static str,
    pub text: String,
}

impl FieldError {
    pub(crate) fn invalid(name: &str) -> FieldError {
        FieldError {
            name: name.to_string(),
            kind: "field",
            text: format!("{name} is invalid"),
        }
    }

    fn render(&self) -> String {
        format!(
            "<error name=\"{}\" type=\"{}\">{}</error>",
            escape(&self.name),
            self.kind,
            escape(&self.text)
        )
    }
}

/// The `<errors>` document of a refused request.
pub(crate) fn errors_response(status: StatusCode, errors: &[FieldError]) -> Response {
    let mut body =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n<errors>");
    for error in errors {
        body.push_str(&error.render());
    }
    body.push_str("</errors>\n");
    xml_response(status, body)
}

fn xml_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml; charset=UTF-8"),
    );
    response
}

/// The 401 every endpoint answers bad credentials with; Basic clients get the challenge header.
pub(crate) fn unauthorized(errors: &[FieldError]) -> Response {
    let mut response = errors_response(StatusCode::UNAUTHORIZED, errors);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"Svea Payments\""),
    );
    response
}

/// Escapes text for the card page.
pub(crate) fn html_escape(text: &str) -> String {
    escape(text)
}
