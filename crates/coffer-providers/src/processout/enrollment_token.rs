//! The enrollment's own customer token (issue 25, seed 002 "Saving APM tokens"): made blank
//! before the page opens, then saved with what the page returns — a card from ProcessOut.js
//! (`card_…`) or an APM's gateway request token (`gway_req_…`).
//!
//! 1. `start_enrollment` finds or creates the customer (tagged with our order id, created with
//!    `return_url`, seed 002 step 1) and its blank token (`POST /customers/{id}/tokens` with
//!    `return_url` and `verify`, step 2; tagged too), so a repeated start makes neither twice.
//!    Their ids go into the page (`fetchGatewayConfigurations({customerID, tokenID})`, step 3)
//!    and into `pending_ref` as `cust_…/tok_…` (our choice).
//! 2. `confirm_enrollment` saves the blank token with the returned source
//!    (`PUT /customers/{id}/tokens/{token_id}` with `source`, `verify`: seed 002 step 4's curl
//!    and `token.save`): a card is saved onto the SAME token (no second token, so no blank one
//!    is left over); a failed or cancelled page deletes the blank token, so a sync never finds
//!    it (it holds nothing and would not list as a card anyway, `convert::remote_card`).
//! 3. A saved APM token is read back (`expand=gateway_configuration` names the method):
//!    `verification_status` `pending` → still waiting (an asynchronous APM, seed 002);
//!    any status but `success`/`not-requested` (`failed`), or `is_chargeable` false → failed;
//!    else, for an amount, the invoice captured on the token as the cardholder-initiated
//!    initial (as for a card); for zero, the
//!    verification is the initial and, an APM having no card scheme transaction to link MITs to,
//!    the token itself is the initial reference (our choice; an MIT on it sends no
//!    `initial_scheme_transaction_id`, see `scheme_link`).
//!
//! A return is a hint: a `gway_req_…` is only ever used by ProcessOut's own save of this
//! enrollment's token, which refuses one unknown or made for another token; the return's
//! `customer_id`/`token_id` (the mobile SDKs' `handleAPMURLCallback` carries them, seed 002) must
//! name this enrollment's. Every write has a key derived from the enrollment's (the save's from
//! its source too), and a saved token is found again by our order id, so a repeat replays.

use std::collections::BTreeMap;

use coffer_core::{CardToken, CustomerRef, InitialKind, ProviderRef};
use reqwest::Method;

use super::enrollment::{derived_key, refused, returned_value, ENROLLMENT_KEY, REASON_MAX};
use super::{convert, wire, Call, ProcessOutClient};
use crate::enrollment::{EnrollmentRequest, EnrollmentSeen};
use crate::{InitialOutcome, ProviderError};

/// Whether a token holds nothing yet (`type` `pending`, no card).
fn is_blank(token: &wire::Token) -> bool {
    token.card.is_none() && !matches!(token.kind.as_deref(), Some("card" | "gateway_token"))
}

/// What a page's return says when it brings no source: a cancel or an error.
fn page_refusal(pairs: &[(String, String)]) -> Option<EnrollmentSeen> {
    if returned_value(pairs, "cancelled").is_some() {
        return Some(EnrollmentSeen::Failed {
            reason: "the cardholder cancelled on the card page".into(),
        });
    }
    returned_value(pairs, "error").map(|error| {
        let said: String = error.chars().take(REASON_MAX).collect();
        EnrollmentSeen::Failed {
            reason: format!("ProcessOut's page gave no payment method: {said}"),
        }
    })
}

impl ProcessOutClient {
    /// The enrollment's customer and blank token, found again or made.
    pub(super) async fn open_token(
        &self,
        request: &EnrollmentRequest,
    ) -> Result<(CustomerRef, String), ProviderError> {
        let customer = match &request.customer {
            Some(c) => c.clone(),
            None => match self.enrollment_customer(request).await? {
                Some(c) => c,
                None => self.create_customer(request).await?,
            },
        };
        if let Some(token) = self.enrollment_token(&customer, &request.order_id).await? {
            return Ok((customer, token.id));
        }
        let body = wire::TokenBlank {
            return_url: &request.return_url,
            verify: true,
            description: "Card on file",
            metadata: BTreeMap::from([(ENROLLMENT_KEY, request.order_id.as_str())]),
        };
        let key = derived_key(request, "blank-token");
        let path = format!("/customers/{}/tokens", convert::segment(customer.as_str()));
        let reply: wire::TokenReply = self.call(Call::post(path, &body, &key)?).await?;
        Ok((customer, reply.token.id))
    }

    fn token_path(customer: &CustomerRef, token: &str) -> String {
        format!(
            "/customers/{}/tokens/{}",
            convert::segment(customer.as_str()),
            convert::segment(token)
        )
    }

    /// The token as ProcessOut has it now, with its gateway configuration.
    async fn read_token(
        &self,
        customer: &CustomerRef,
        token: &str,
    ) -> Result<wire::Token, ProviderError> {
        let call =
            Call::get(Self::token_path(customer, token)).query("expand", "gateway_configuration");
        let reply: wire::TokenReply = self.call(call).await?;
        Ok(reply.token)
    }

    /// `PUT /customers/{id}/tokens/{token_id}` with `source` and `verify`.
    async fn save_token(
        &self,
        request: &EnrollmentRequest,
        customer: &CustomerRef,
        token: &str,
        source: &str,
        verify: bool,
    ) -> Result<wire::Token, ProviderError> {
        let key = derived_key(request, &format!("save-{source}"));
        let call = Call {
            method: Method::PUT,
            ..Call::post(
                Self::token_path(customer, token),
                &wire::TokenSave { source, verify },
                &key,
            )?
        };
        let reply: wire::TokenReply = self.call(call).await?;
        Ok(reply.token)
    }

    /// A failed page leaves no blank token behind; one already gone is fine.
    async fn drop_blank(
        &self,
        customer: &CustomerRef,
        token: &str,
        failed: EnrollmentSeen,
    ) -> Result<EnrollmentSeen, ProviderError> {
        self.delete_token(customer, &CardToken(token.to_string()))
            .await?;
        Ok(failed)
    }

    /// The enrollment's token: saved already (a replay), or blank and saved now with the return.
    pub(super) async fn on_token(
        &self,
        request: &EnrollmentRequest,
        customer: &CustomerRef,
        created: bool,
        token: wire::Token,
        returned: Option<&[(String, String)]>,
    ) -> Result<EnrollmentSeen, ProviderError> {
        if token.kind.as_deref() == Some("gateway_token") {
            let token = self.read_token(customer, &token.id).await?;
            return self.finish_apm(request, customer, created, token).await;
        }
        if !is_blank(&token) {
            return self.finish(request, customer, created, token).await;
        }
        let Some(pairs) = returned else {
            return Ok(EnrollmentSeen::Waiting);
        };
        let Some(source) = returned_value(pairs, "token") else {
            return match page_refusal(pairs) {
                Some(failed) => self.drop_blank(customer, &token.id, failed).await,
                None => Ok(EnrollmentSeen::Waiting),
            };
        };
        if source.starts_with("gway_req_") {
            return self
                .save_apm(request, customer, created, &token.id, source, pairs)
                .await;
        }
        if let Some(failed) = self.card_refusal(source).await? {
            return self.drop_blank(customer, &token.id, failed).await;
        }
        let verify = request.amount.minor == 0;
        match self
            .save_token(request, customer, &token.id, source, verify)
            .await
        {
            Ok(saved) => self.finish(request, customer, created, saved).await,
            Err(e) if refused(&e) => {
                let failed = EnrollmentSeen::Failed {
                    reason: format!("ProcessOut did not save the card: {}", e.message),
                };
                self.drop_blank(customer, &token.id, failed).await
            }
            Err(e) => Err(e),
        }
    }

    /// A `gway_req_…` return: ProcessOut saves it onto this enrollment's token or refuses it.
    async fn save_apm(
        &self,
        request: &EnrollmentRequest,
        customer: &CustomerRef,
        created: bool,
        token: &str,
        source: &str,
        pairs: &[(String, String)],
    ) -> Result<EnrollmentSeen, ProviderError> {
        for (name, ours) in [("customer_id", customer.as_str()), ("token_id", token)] {
            if returned_value(pairs, name).is_some_and(|v| v != ours) {
                return self
                    .drop_blank(
                        customer,
                        token,
                        EnrollmentSeen::Failed {
                            reason: format!(
                                "the return names another {name} than this enrollment's"
                            ),
                        },
                    )
                    .await;
            }
        }
        if convert::segment(source) != source {
            return self
                .drop_blank(
                    customer,
                    token,
                    EnrollmentSeen::Failed {
                        reason: "the return carried no ProcessOut gateway request".into(),
                    },
                )
                .await;
        }
        match self
            .save_token(request, customer, token, source, true)
            .await
        {
            Ok(_) => {}
            Err(e) if refused(&e) => {
                return self
                    .drop_blank(
                        customer,
                        token,
                        EnrollmentSeen::Failed {
                            reason: format!(
                                "ProcessOut did not save the payment method: {}",
                                e.message
                            ),
                        },
                    )
                    .await
            }
            Err(e) => return Err(e),
        }
        let saved = self.read_token(customer, token).await?;
        self.finish_apm(request, customer, created, saved).await
    }

    /// A saved APM token: its verification and `is_chargeable` decide, then the initial.
    async fn finish_apm(
        &self,
        request: &EnrollmentRequest,
        customer: &CustomerRef,
        created: bool,
        token: wire::Token,
    ) -> Result<EnrollmentSeen, ProviderError> {
        match token.verification_status.as_deref() {
            // `not-requested` too: processout-ios `POCreateCustomerTokenRequest` says `verify`
            // applies to cards only, so an APM may not be verified; `is_chargeable` decides.
            Some("success" | "not-requested") => {}
            // Seed 002: asynchronous APMs answer `pending`; the next check looks again.
            Some("pending") | None => return Ok(EnrollmentSeen::Waiting),
            Some(other) => {
                return Ok(EnrollmentSeen::Failed {
                    reason: format!("ProcessOut's verification of the payment method: {other}"),
                })
            }
        }
        if token.is_chargeable != Some(true) {
            return Ok(EnrollmentSeen::Failed {
                reason: "ProcessOut says the saved payment method is not chargeable by the \
                         merchant"
                    .into(),
            });
        }
        if request.amount.minor > 0 {
            return self.finish(request, customer, created, token).await;
        }
        let reference = ProviderRef(token.id.clone());
        let card = convert::remote_card(token)?
            .ok_or_else(|| ProviderError::malformed("the saved APM token holds nothing"))?;
        Ok(EnrollmentSeen::Confirmed {
            outcome: InitialOutcome {
                initial_ref: reference.clone(),
                provider_ref: reference,
                amount: request.amount,
                card,
                kind: InitialKind::Recurring,
            },
            registered: None,
            customer: created.then(|| customer.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_that_brings_no_source_fails_only_when_it_says_so() {
        let pairs = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
        assert!(matches!(
            page_refusal(&pairs("cancelled", "1")),
            Some(EnrollmentSeen::Failed { .. })
        ));
        assert!(matches!(
            page_refusal(&pairs("error", "customer.canceled")),
            Some(EnrollmentSeen::Failed { .. })
        ));
        assert_eq!(page_refusal(&pairs("other", "x")), None);
    }
}
