//! Completing a sandbox's whole payment page as a cardholder's browser would (sandbox merchants
//! only, issue 25): GET the page, read its one form (action, hidden fields, the test cards its
//! `test_card` choice offers), post the form back with the chosen card and button, and read the
//! return off the redirect the page answers, without following it (the return address is the
//! app's or the merchant's, never reachable from here). Nothing here types a card number: the
//! sandbox's page owns its test cards.

use std::time::Duration;

use reqwest::StatusCode;

use crate::http::{body_text, Resend};
use crate::{ProviderError, ProviderErrorKind};

/// A sandbox page that is not what its filler expects.
pub(crate) fn unusable(message: impl Into<String>) -> ProviderError {
    ProviderError::new(
        ProviderErrorKind::InvalidRequest {
            field: Some("page".into()),
        },
        message,
    )
}

/// The value of attribute `name` in one start tag (`<… name="value" …>`), HTML-unescaped.
pub(crate) fn attribute(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker)? + marker.len();
    let end = tag[start..].find('"')?;
    Some(unescape(&tag[start..start + end]))
}

/// The start tag that contains `marker`.
pub(crate) fn tag_with<'a>(page: &'a str, marker: &str) -> Option<&'a str> {
    let at = page.find(marker)?;
    let start = page[..at].rfind('<')?;
    let end = at + page[at..].find('>')?;
    Some(&page[start..=end])
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Every start tag named `name` (`<input …>`), in document order.
fn tags<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let opener = format!("<{name} ");
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(&opener) {
        let Some(end) = rest[at..].find('>') else {
            break;
        };
        found.push(&rest[at..=at + end]);
        rest = &rest[at + end + 1..];
    }
    found
}

/// The one form of a sandbox page, as a browser would post it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PageForm {
    /// Where the form posts, resolved against the page's address.
    pub action: String,
    /// Its hidden fields, in order.
    pub hidden: Vec<(String, String)>,
    /// The values its `test_card` choice offers.
    pub test_cards: Vec<String>,
}

impl PageForm {
    /// Reads the form with `id` off `html`, served from `page_url`.
    pub(crate) fn read(html: &str, id: &str, page_url: &str) -> Result<PageForm, ProviderError> {
        let form = tags(html, "form")
            .into_iter()
            .find(|t| attribute(t, "id").as_deref() == Some(id))
            .ok_or_else(|| unusable(format!("the sandbox page has no form '{id}'")))?;
        let action = attribute(form, "action").unwrap_or_default();
        let action = url::Url::parse(page_url)
            .and_then(|base| base.join(&action))
            .map_err(|e| unusable(format!("the sandbox page's form action: {e}")))?
            .to_string();
        let hidden = tags(html, "input")
            .into_iter()
            .filter(|t| attribute(t, "type").as_deref() == Some("hidden"))
            .filter_map(|t| Some((attribute(t, "name")?, attribute(t, "value")?)))
            .collect();
        let test_cards = tags(html, "option")
            .into_iter()
            .filter_map(|t| attribute(t, "value"))
            .collect();
        Ok(PageForm {
            action,
            hidden,
            test_cards,
        })
    }
}

/// A client that does not follow redirects: the page's redirect IS the return.
fn browser() -> Result<reqwest::Client, ProviderError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| {
            ProviderError::new(
                ProviderErrorKind::Unavailable,
                format!("cannot build HTTP client: {e}"),
            )
        })
}

fn unreachable(e: reqwest::Error) -> ProviderError {
    ProviderError::new(
        ProviderErrorKind::Unavailable,
        format!("the sandbox page is unreachable: {e}"),
    )
}

/// Opens the page at `url` (a plain GET, as a link or the app window does) and reads its form.
pub(crate) async fn open(url: &str, form_id: &str) -> Result<PageForm, ProviderError> {
    let response = browser()?.get(url).send().await.map_err(unreachable)?;
    let status = response.status();
    let html = body_text(response, Resend::Safe).await?;
    if status != StatusCode::OK {
        return Err(unusable(format!(
            "the sandbox page answered HTTP {status}: {}",
            problem(&html)
        )));
    }
    PageForm::read(&html, form_id, url)
}

/// Posts `form` with the `extra` fields (the choice, the button) and returns the query pairs of
/// the return the page redirects to.
pub(crate) async fn submit(
    form: &PageForm,
    extra: &[(&str, &str)],
) -> Result<Vec<(String, String)>, ProviderError> {
    let mut fields = form.hidden.clone();
    fields.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let response = browser()?
        .post(&form.action)
        .form(&fields)
        .send()
        .await
        .map_err(unreachable)?;
    let status = response.status();
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .map(str::to_string);
    let Some(location) = location.filter(|_| status.is_redirection()) else {
        let html = body_text(response, Resend::Safe).await.unwrap_or_default();
        return Err(unusable(format!(
            "the sandbox page answered HTTP {status} without a return: {}",
            problem(&html)
        )));
    };
    let location = url::Url::parse(&location)
        .map_err(|e| ProviderError::malformed(format!("the page's return address: {e}")))?;
    Ok(location.query_pairs().into_owned().collect())
}

/// The text of a sandbox error page's `<p class="problem">`, or a note that it has none.
fn problem(html: &str) -> String {
    let marker = "<p class=\"problem\">";
    html.find(marker)
        .and_then(|at| {
            let rest = &html[at + marker.len()..];
            rest.find("</p>").map(|end| unescape(&rest[..end]))
        })
        .unwrap_or_else(|| "no reason given".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_is_read_with_its_hidden_fields_and_test_cards() {
        let html = r#"<html><form id="other" action="/x"></form>
<form id="page" method="post" action="/pay/order.cfm">
<input type="hidden" name="OrderNumber" value="A&amp;B">
<input type="hidden" name="URL_RETURN_OK" value="https://coffer.invalid/r?x=1&amp;assist_return=ok">
<input name="typed" value="no">
<select name="test_card"><option value="approve">Approve</option><option value="decline">Decline</option></select>
</form>
<p class="problem">Bad &lt;thing&gt;</p></html>"#;
        let form =
            PageForm::read(html, "page", "http://127.0.0.1:9/assist/pay/order.cfm?a=1").unwrap();
        assert_eq!(form.action, "http://127.0.0.1:9/pay/order.cfm");
        assert_eq!(
            form.hidden,
            vec![
                ("OrderNumber".to_string(), "A&B".to_string()),
                (
                    "URL_RETURN_OK".to_string(),
                    "https://coffer.invalid/r?x=1&assist_return=ok".to_string()
                ),
            ]
        );
        assert_eq!(form.test_cards, vec!["approve", "decline"]);
        assert_eq!(problem(html), "Bad <thing>");
        assert!(PageForm::read(html, "missing", "http://127.0.0.1:9/").is_err());
    }
}
