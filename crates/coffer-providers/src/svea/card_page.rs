//! Svea's card page: where a card enters (the cardholder types it on Svea's page, the return
//! comes back through the browser and is confirmed by a status query), and the sandbox-only
//! filling of that page without a browser.

use super::*;

/// A card typed into the sandbox's card page by [`SveaClient::complete_sandbox_card_page`].
/// Sandbox only: the number is sent to the local emulator and never kept.
#[derive(Clone, PartialEq, Eq)]
pub struct SandboxCard {
    /// A Luhn-valid test number typed into the page; its last four digits pick the sandbox
    /// behaviour (`0341` soft decline, `0002` hard decline, `0069` expired, others approve).
    /// Empty: the page's own test card named by `test_card` is used instead.
    pub number: String,
    /// The sandbox page's test-card choice (`approve`), used when `number` is empty: the
    /// sandbox owns its test numbers, so this client never holds one.
    pub test_card: Option<String>,
    /// 1–12.
    pub exp_month: u32,
    /// Four digits, not in the past.
    pub exp_year: i32,
    /// Three or four digits.
    pub cvc: String,
    /// Whether the 3-D Secure step succeeds.
    pub passes_3ds: bool,
    /// Press "Cancel" instead of paying.
    pub cancel: bool,
}

impl SandboxCard {
    /// The sandbox's approving test card (chosen on its page, not typed), valid until December
    /// three years on.
    pub fn approving() -> SandboxCard {
        use chrono::Datelike;
        SandboxCard {
            number: String::new(),
            test_card: Some("approve".into()),
            exp_month: 12,
            exp_year: Utc::now().year() + 3,
            cvc: "123".into(),
            passes_3ds: true,
            cancel: false,
        }
    }
}

/// Shows the last four digits only, so a log line can never carry a card number or CVC.
impl std::fmt::Debug for SandboxCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let last4: String = self
            .number
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        f.debug_struct("SandboxCard")
            .field("number", &format_args!("…{last4}"))
            .field("test_card", &self.test_card)
            .field("exp_month", &self.exp_month)
            .field("exp_year", &self.exp_year)
            .field("passes_3ds", &self.passes_3ds)
            .field("cancel", &self.cancel)
            .finish_non_exhaustive()
    }
}

impl SveaClient {
    /// Sandbox only: opens the sandbox card page at `page_url` (from
    /// [`InitialStep::CardPage`]), types `card` into it and submits it without a browser, then
    /// returns the query pairs of the redirect to the return URL, ready for
    /// [`Provider::finish_initial`]. Refuses to run against a live merchant.
    pub async fn complete_sandbox_card_page(
        &self,
        page_url: &str,
        card: &SandboxCard,
    ) -> Result<Vec<(String, String)>, ProviderError> {
        if self.merchant.environment != Environment::Sandbox {
            return Err(ProviderError::new(
                ProviderErrorKind::Unsupported,
                "the card page is filled in automatically only in sandbox mode",
            ));
        }
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| {
                ProviderError::new(
                    ProviderErrorKind::Unavailable,
                    format!("cannot build HTTP client: {e}"),
                )
            })?;
        let unreachable = |e: reqwest::Error| {
            ProviderError::new(
                ProviderErrorKind::Unavailable,
                format!("sandbox card page unreachable: {e}"),
            )
        };
        let page = client.get(page_url).send().await.map_err(unreachable)?;
        if page.status() != StatusCode::OK {
            return Err(ProviderError::new(
                ProviderErrorKind::InvalidRequest { field: None },
                format!("the sandbox card page answered HTTP {}", page.status()),
            ));
        }
        let html = crate::http::body_text(page, crate::http::Resend::Safe).await?;
        let action = form_action(&html)
            .ok_or_else(|| ProviderError::malformed("the card page has no form"))?;
        let mut fields = hidden_inputs(&html);
        let mut typed = |name: &str, value: String| fields.push((name.to_string(), value));
        typed("card_number", card.number.clone());
        if let Some(choice) = &card.test_card {
            typed("test_card", choice.clone());
        }
        typed("exp_month", format!("{:02}", card.exp_month));
        typed("exp_year", card.exp_year.to_string());
        typed("cvv", card.cvc.clone());
        typed(
            "three_ds",
            if card.passes_3ds { "pass" } else { "fail" }.into(),
        );
        typed("action", if card.cancel { "cancel" } else { "pay" }.into());
        let action = url::Url::parse(page_url)
            .and_then(|base| base.join(&action))
            .map_err(|e| ProviderError::malformed(format!("card page form action: {e}")))?;
        let submitted = client
            .post(action)
            .form(&fields)
            .send()
            .await
            .map_err(unreachable)?;
        if submitted.status() == StatusCode::UNPROCESSABLE_ENTITY {
            let html = crate::http::body_text(submitted, crate::http::Resend::Safe)
                .await
                .unwrap_or_default();
            return Err(ProviderError::new(
                ProviderErrorKind::InvalidRequest {
                    field: Some("card_number".into()),
                },
                format!(
                    "the sandbox card page refused the card: {}",
                    page_problem(&html)
                ),
            ));
        }
        let location = submitted
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .ok_or_else(|| {
                ProviderError::malformed(format!(
                    "the card page answered HTTP {} without a redirect",
                    submitted.status()
                ))
            })?;
        let location = url::Url::parse(location)
            .map_err(|e| ProviderError::malformed(format!("return redirect: {e}")))?;
        Ok(location.query_pairs().into_owned().collect())
    }
}

#[async_trait]
impl crate::CardRefresh for SveaClient {
    async fn refresh_card(
        &self,
        initial_ref: &ProviderRef,
        token: &coffer_core::CardToken,
    ) -> Result<Option<RemoteCard>, ProviderError> {
        let status = self.status_query(initial_ref.as_str()).await?;
        let code = status.pmtq_returncode.as_deref().unwrap_or("");
        match errors::payment_state(code, false)? {
            // Svea answers an id it never saw like an unpaid payment of 0,00.
            PaymentState::Unpaid if status.pmtq_amount.as_deref() == Some("0,00") => Ok(None),
            _ => Ok(Some(convert::card_from_status(&status, token.as_str())?)),
        }
    }
}

#[async_trait]
impl crate::CardPage for SveaClient {
    async fn fill_sandbox_card_page(
        &self,
        url: &str,
    ) -> Result<Vec<(String, String)>, ProviderError> {
        let card = SandboxCard::approving();
        self.complete_sandbox_card_page(url, &card).await
    }

    async fn finish_initial(
        &self,
        pending_id: &str,
        returned: &[(String, String)],
    ) -> Result<InitialOutcome, ProviderError> {
        let get = |name: &str| {
            returned
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let reference = ProviderRef(pending_id.to_string());
        match get("svea_return") {
            Some("cancel") => {
                return Err(ProviderError::new(
                    ProviderErrorKind::DeclinedSoft,
                    "the cardholder cancelled on Svea's page",
                )
                .with_code("PAYER_INTERRUPTED")
                .with_ref(reference))
            }
            Some("error") => {
                let code = get("pmt_errorcode").unwrap_or("ERROR_IN_PAYMENT");
                return Err(errors::from_errorcode(code, None, Some(pending_id)));
            }
            Some("delayed") => {
                return Err(ProviderError::new(
                    ProviderErrorKind::UnknownOutcome,
                    "Svea will confirm the payment later; check its status",
                )
                .with_ref(reference))
            }
            _ => {}
        }
        if get("pmt_id") != Some(pending_id) {
            return Err(ProviderError::new(
                ProviderErrorKind::InvalidRequest {
                    field: Some("pmt_id".into()),
                },
                format!("the return is not about the pending payment {pending_id}"),
            ));
        }
        // The return came through the cardholder's browser, so it can be forged or edited, and a
        // card page started with Basic (ours always is) brings back no hash we could check:
        // Svea's S2S page says to "use Payment Status Query instantly to validate the payment,
        // especially when the payment confirmation message does not include hash"
        // (docs.sveapayments.fi/api/payment-api/payment/s2s-api/). So what it says is a hint
        // only, checked against Svea's status query, as Svea's Magento 2 module does
        // (`Gateway/Response/Payment/SuccessHandler.php`, `validatePaymentStatus`: only 20, 30
        // and 40 count as paid there).
        for name in [
            "pmt_action",
            "pmt_version",
            "pmt_reference",
            "pmt_amount",
            "pmt_currency",
            "pmt_sellercosts",
            "pmt_paymentmethod",
            "pmt_escrow",
        ] {
            if get(name).is_none() {
                return Err(ProviderError::malformed(format!("the return lacks {name}")));
            }
        }
        let token = get("pmt_token")
            .ok_or_else(|| ProviderError::malformed("the return carries no pmt_token"))?;
        let refused = |field: &str, why: String| {
            ProviderError::new(
                ProviderErrorKind::InvalidRequest {
                    field: Some(field.to_string()),
                },
                format!(
                    "the card-page return is refused: {why}. It came through the cardholder's \
                     browser and Svea's status query does not confirm it; nothing is recorded"
                ),
            )
            .with_code("RETURN_NOT_CONFIRMED")
            .with_ref(reference.clone())
        };
        // The cardholder may have paid on Svea's page, so a query that fails or cannot be read
        // leaves the payment unknown, never failed.
        let unconfirmed = |e: ProviderError| {
            ProviderError::new(
                ProviderErrorKind::UnknownOutcome,
                format!("Svea's status of payment {pending_id} could not be read: {e}"),
            )
            .with_ref(reference.clone())
        };
        let status = self.status_query(pending_id).await.map_err(unconfirmed)?;
        let amount =
            convert::amount_from_wire(status.pmtq_amount.as_deref().unwrap_or(""), "pmtq_amount")
                .map_err(unconfirmed)?;
        let code = status.pmtq_returncode.as_deref().unwrap_or("");
        match errors::payment_state(code, amount.minor == 0).map_err(unconfirmed)? {
            PaymentState::Paid => {}
            // Svea: "00" with 0,00 is an order that does not exist or where no payment method
            // was chosen (DOCS page 1657012617), never a completed card page.
            PaymentState::Unknown => {
                return Err(refused(
                    "pmt_id",
                    format!(
                        "it says payment {pending_id} was completed, but Svea knows no payment \
                         under it (status 00, 0,00)"
                    ),
                ))
            }
            PaymentState::Unpaid => {
                let decline = status
                    .pmt_errorcode
                    .as_deref()
                    .unwrap_or("ERROR_IN_PAYMENT");
                return Err(errors::from_errorcode(
                    decline,
                    status.pmtq_returntext.as_deref(),
                    Some(pending_id),
                ));
            }
            other => {
                return Err(ProviderError::new(
                    ProviderErrorKind::UnknownOutcome,
                    format!(
                        "the card-page return is not confirmed: Svea's status query shows \
                         {code} ({other:?}), not a completed payment; nothing is recorded yet, \
                         check again later"
                    ),
                )
                .with_ref(reference))
            }
        }
        let hinted = get("pmt_amount").unwrap_or("");
        if convert::amount_from_wire(hinted, "pmt_amount").ok() != Some(amount) {
            return Err(refused(
                "pmt_amount",
                format!("it says {hinted}, Svea's status query says {amount}"),
            ));
        }
        // Svea's status query shows the token masked (`57c48209-****-…` in Svea's card
        // tokenization page), so the characters it shows are what can be confirmed.
        if status.pmtq_token.is_none() {
            return Err(refused(
                "pmt_token",
                "Svea's status query shows no card token for this payment".into(),
            ));
        }
        let card = convert::card_from_status(&status, token).map_err(|e| {
            let why = e
                .message
                .trim_start_matches("unreadable provider response: ");
            refused("pmt_token", why.to_string())
        })?;
        Ok(InitialOutcome {
            initial_ref: reference.clone(),
            provider_ref: reference,
            amount,
            card,
            kind: coffer_core::InitialKind::Recurring,
        })
    }
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let marker = format!("{name}=\"");
    let start = tag.find(&marker)? + marker.len();
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

fn form_action(html: &str) -> Option<String> {
    let start = html.find("<form")?;
    let end = html[start..].find('>')? + start;
    attribute(&html[start..end], "action")
}

fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    html.match_indices("<input")
        .filter_map(|(start, _)| {
            let end = html[start..].find('>')? + start;
            let tag = &html[start..end];
            if attribute(tag, "type").as_deref() != Some("hidden") {
                return None;
            }
            Some((
                attribute(tag, "name")?,
                attribute(tag, "value").unwrap_or_default(),
            ))
        })
        .collect()
}

fn page_problem(html: &str) -> String {
    html.find("role=\"alert\">")
        .and_then(|start| {
            let start = start + "role=\"alert\">".len();
            html[start..]
                .find('<')
                .map(|end| unescape(&html[start..start + end]))
        })
        .unwrap_or_else(|| "no reason given".into())
}

/// `return_url` with `svea_return=<kind>` added, so the return tells which of Svea's four
/// return addresses (ok, error, cancel, delayed) the payer came back through.
pub(super) fn return_url(base: &str, kind: &str) -> Result<String, ProviderError> {
    let invalid = |message: String| {
        ProviderError::new(
            ProviderErrorKind::InvalidRequest {
                field: Some("return_url".into()),
            },
            message,
        )
    };
    let mut url =
        url::Url::parse(base).map_err(|e| invalid(format!("return URL '{base}': {e}")))?;
    url.query_pairs_mut().append_pair("svea_return", kind);
    let url = url.to_string();
    if url.len() > 200 {
        return Err(invalid(format!(
            "return URL must stay within Svea's 200 characters: {url}"
        )));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sandbox_card_never_prints_its_number() {
        // Visa's test number, assembled so it never stands whole in the source.
        let number = ["4242"; 4].concat();
        let typed = SandboxCard {
            number: number.clone(),
            test_card: None,
            ..SandboxCard::approving()
        };
        let shown = format!("{typed:?}");
        assert!(!shown.contains(&number), "{shown}");
        assert!(!shown.contains("123"), "no CVC: {shown}");
        assert!(shown.contains("4242"));
    }

    #[test]
    fn return_urls_say_which_way_the_payer_came_back() {
        assert_eq!(
            return_url("https://shop.example/back?x=1", "ok").unwrap(),
            "https://shop.example/back?x=1&svea_return=ok"
        );
        assert!(return_url("not a url", "ok").is_err());
        assert!(return_url(&format!("https://shop.example/{}", "a".repeat(200)), "ok").is_err());
    }

    #[test]
    fn reads_the_sandbox_card_page_form() {
        let html = r#"<form method="post" action="http://127.0.0.1:1/svea/card-page">
<input type="hidden" name="s" value="SELLER">
<input type="hidden" name="id" value="A&amp;B">
<label>Card number <input name="card_number"></label></form>
<p class="error" role="alert">The card number is not valid.</p>"#;
        assert_eq!(
            form_action(html).as_deref(),
            Some("http://127.0.0.1:1/svea/card-page")
        );
        assert_eq!(
            hidden_inputs(html),
            vec![
                ("s".to_string(), "SELLER".to_string()),
                ("id".to_string(), "A&B".to_string())
            ]
        );
        assert_eq!(page_problem(html), "The card number is not valid.");
    }
}
