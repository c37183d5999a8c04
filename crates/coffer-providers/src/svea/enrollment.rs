//! Enrolling a new card through Svea's own card page (issue 25).
//!
//! 1. `start_enrollment` starts the page server-to-server, as the add-card flow does
//!    ([`SveaClient::open_card_page`]): `/NewPaymentExtended.pmt` with `pmt_action`
//!    `NEW_PAYMENT_EXTENDED`, `pmt_version` 4304 (pay and tokenize) for an amount, or
//!    `/TokenizeExtended.pmt`, `TOKENIZE`, 4504 (tokenize only, all sums `0,00`) for zero
//!    (seed 004; providers/svea.md §2), the buyer's name and address (Svea requires them), and
//!    the return addresses `pmt_okreturn` / `pmt_errorreturn` / `pmt_cancelreturn` /
//!    `pmt_delayedpayreturn` = the request's return URL with `svea_return=ok|error|cancel|delayed`.
//!    Svea answers `pmt_paymenturl`, the page to open or send; the `pmt_id` is the pending
//!    reference.
//! 2. `confirm_enrollment`: the status query by `pmt_id` decides whether it was paid (§3.4): not
//!    yet → waiting; refused or cancelled → failed; paid for exactly the amount asked → the card
//!    token. Svea masks `pmtq_token` in the status query (seed 004, `57c48209-****-…`), so the
//!    token comes only with the browser's return: its `pmt_id` and `pmt_amount` must be this
//!    payment's, a `pmt_hash` it carries must verify with the merchant's secret over seed 004's
//!    list (`pmt_action`, `pmt_version`, `pmt_id`, `pmt_reference`, `pmt_amount`,
//!    `pmt_currency`, `pmt_sellercosts`, `pmt_paymentmethod`, `pmt_escrow`, `pmt_token`), and
//!    its token must agree with the status query's mask. Paid without such a return →
//!    [`EnrollmentSeen::AwaitingReturn`]: the engine keeps the enrollment until the owner pastes
//!    the return. A page started server-to-server with Basic returns no hash (Svea's S2S page:
//!    validate such a return with a status query), so the mask is then the only check the token
//!    meets.
//!
//! **Choices** (crates/coffer-sandbox/docs/svea.md "Enrollment"): which algorithms verify a
//! return's hash under Basic (SHA-512 and SHA-256: the secret is the proof, the algorithm was
//! never named), and what an unverifiable return leads to (awaiting the true one, not a failure:
//! the cardholder paid).

use async_trait::async_trait;
use coffer_core::{Environment, InitialKind, ProviderRef};

use super::card_page::SandboxCard;
use super::errors::{self, PaymentState};
use super::sign::{self, SveaHash};
use super::{convert, SveaAuth, SveaClient};
use crate::enrollment::{
    EnrollmentPage, EnrollmentRequest, EnrollmentSeen, EnrollmentStarted, HostedEnrollment,
    SandboxCardholder,
};
use crate::{InitialOutcome, ProviderError, ProviderErrorKind};

/// The fields of the browser's return that its `pmt_hash` covers, in order (seed 004, "The
/// response message hash that is transmitted through the browser includes the following data").
const RETURN_HASH_FIELDS: [&str; 10] = [
    "pmt_action",
    "pmt_version",
    "pmt_id",
    "pmt_reference",
    "pmt_amount",
    "pmt_currency",
    "pmt_sellercosts",
    "pmt_paymentmethod",
    "pmt_escrow",
    "pmt_token",
];

fn invalid(field: &str, message: impl Into<String>) -> ProviderError {
    ProviderError::new(
        ProviderErrorKind::InvalidRequest {
            field: Some(field.to_string()),
        },
        message,
    )
}

fn get<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// What the owner is asked to bring when Svea shows the payment paid but no usable return came.
fn awaiting(pmt_id: &str, problem: &str) -> EnrollmentSeen {
    EnrollmentSeen::AwaitingReturn {
        why: format!(
            "Svea shows payment {pmt_id} paid, but its card token comes only with the address the \
             cardholder's browser returned to ({problem}): paste that address, or cancel"
        ),
    }
}

impl SveaClient {
    /// Whether the return's `pmt_hash`, where it carries one, is right.
    fn return_hash_ok(&self, returned: &[(String, String)]) -> bool {
        let Some(received) = get(returned, "pmt_hash") else {
            return true;
        };
        let mut values = Vec::new();
        for name in RETURN_HASH_FIELDS {
            match get(returned, name) {
                Some(value) => values.push(value),
                None => return false,
            }
        }
        let algorithms: &[SveaHash] = match self.auth {
            SveaAuth::Hash(algorithm) => &[algorithm][..],
            SveaAuth::Basic => &[SveaHash::Sha512, SveaHash::Sha256],
        };
        let secret = &self.secret;
        algorithms
            .iter()
            .any(|a| sign::verify(*a, &values, secret, received))
    }
}

#[async_trait]
impl HostedEnrollment for SveaClient {
    async fn start_enrollment(
        &self,
        request: &EnrollmentRequest,
    ) -> Result<EnrollmentStarted, ProviderError> {
        if request.amount.currency != coffer_core::Currency::EUR {
            return Err(invalid(
                "currency",
                format!("Svea takes EUR only, not {}", request.amount.currency),
            ));
        }
        if request.amount.minor < 0 {
            return Err(invalid("amount", "a negative amount is no payment"));
        }
        let (url, pmt_id) = self
            .open_card_page(
                &request.order_id,
                request.amount,
                request.buyer.as_ref(),
                &request.return_url,
            )
            .await?;
        Ok(EnrollmentStarted {
            page: EnrollmentPage::Provider { url },
            pending_ref: Some(pmt_id),
        })
    }

    async fn confirm_enrollment(
        &self,
        request: &EnrollmentRequest,
        pending_ref: Option<&str>,
        returned: Option<&[(String, String)]>,
    ) -> Result<EnrollmentSeen, ProviderError> {
        let pmt_id = match pending_ref {
            Some(id) => id.to_string(),
            None => convert::pmt_id(&request.order_id)?,
        };
        let status = self.status_query(&pmt_id).await?;
        let amount =
            convert::amount_from_wire(status.pmtq_amount.as_deref().unwrap_or(""), "pmtq_amount")?;
        let code = status.pmtq_returncode.as_deref().unwrap_or("");
        match errors::payment_state(code, amount.minor == 0)? {
            PaymentState::Paid => {}
            // Not started on the page yet (00 with 0,00), or not decided.
            PaymentState::Unknown | PaymentState::Pending => return Ok(EnrollmentSeen::Waiting),
            PaymentState::QueryFailed => {
                return Err(ProviderError::new(
                    ProviderErrorKind::Unavailable,
                    "Svea could not answer the status query; check again later",
                ))
            }
            PaymentState::Unpaid => {
                let why = status
                    .pmt_errorcode
                    .clone()
                    .or(status.pmtq_returntext.clone())
                    .unwrap_or_else(|| code.to_string());
                return Ok(EnrollmentSeen::Failed {
                    reason: format!("Svea shows payment {pmt_id} not paid ({why})"),
                });
            }
            PaymentState::Refunded => {
                return Ok(EnrollmentSeen::Failed {
                    reason: format!("Svea shows payment {pmt_id} refunded or cancelled"),
                })
            }
        }
        if amount != request.amount {
            return Ok(EnrollmentSeen::Failed {
                reason: format!(
                    "Svea shows payment {pmt_id} paid {amount}, not the {} asked",
                    request.amount
                ),
            });
        }
        let Some(returned) = returned else {
            return Ok(awaiting(&pmt_id, "none came"));
        };
        if get(returned, "pmt_id") != Some(pmt_id.as_str()) {
            return Ok(awaiting(&pmt_id, "the one given is about another payment"));
        }
        let Some(token) = get(returned, "pmt_token").filter(|t| !t.is_empty()) else {
            return Ok(awaiting(&pmt_id, "the one given carries no pmt_token"));
        };
        let hinted = get(returned, "pmt_amount").unwrap_or("");
        if convert::amount_from_wire(hinted, "pmt_amount").ok() != Some(amount) {
            return Ok(awaiting(
                &pmt_id,
                "the one given says another amount than Svea's status query",
            ));
        }
        if !self.return_hash_ok(returned) {
            return Ok(awaiting(
                &pmt_id,
                "the one given has a pmt_hash that does not verify with the merchant's secret",
            ));
        }
        if status.pmtq_token.is_none() {
            return Ok(awaiting(
                &pmt_id,
                "Svea's status query shows no token to check the given one against",
            ));
        }
        let card = match convert::card_from_status(&status, token) {
            Ok(card) => card,
            Err(_) => {
                return Ok(awaiting(
                    &pmt_id,
                    "the token in the one given does not match the status query's",
                ))
            }
        };
        let reference = ProviderRef(pmt_id);
        Ok(EnrollmentSeen::Confirmed {
            outcome: InitialOutcome {
                initial_ref: reference.clone(),
                provider_ref: reference,
                amount,
                card,
                kind: InitialKind::Recurring,
            },
            registered: None,
            customer: None,
        })
    }

    async fn fill_sandbox_page(
        &self,
        page: &EnrollmentPage,
        card: &SandboxCardholder,
    ) -> Result<Vec<(String, String)>, ProviderError> {
        if self.merchant.environment != Environment::Sandbox {
            return Err(ProviderError::new(
                ProviderErrorKind::Unsupported,
                "a live Svea card page is for the cardholder alone",
            ));
        }
        let EnrollmentPage::Provider { url } = page else {
            return Err(invalid("page", "Svea's enrollment page is its own page"));
        };
        // The sandbox page's choices: its test cards, 3-D Secure pass or fail, Cancel.
        let (test_card, passes_3ds) = match card.test_card.as_str() {
            "fail_3ds" => ("approve", false),
            other => (other, true),
        };
        let typed = SandboxCard {
            test_card: Some(test_card.to_string()),
            passes_3ds,
            cancel: card.cancel,
            ..SandboxCard::approving()
        };
        self.complete_sandbox_card_page(url, &typed).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn signed(algorithm: SveaHash, token: &str) -> Vec<(String, String)> {
        let fields = [
            ("pmt_action", "NEW_PAYMENT_EXTENDED"),
            ("pmt_version", "4304"),
            ("pmt_id", "ENR-1"),
            ("pmt_reference", "00000000000000001232"),
            ("pmt_amount", "9,90"),
            ("pmt_currency", "EUR"),
            ("pmt_sellercosts", "0,00"),
            ("pmt_paymentmethod", "FI50"),
            ("pmt_escrow", "N"),
            ("pmt_token", token),
        ];
        let values: Vec<&str> = fields.iter().map(|(_, v)| *v).collect();
        let secret = SecretString::from("TESTSECRET123".to_string());
        let hash = sign::sign(algorithm, &values, &secret);
        let mut pairs: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        pairs.push(("pmt_hash".into(), hash));
        pairs
    }

    #[test]
    fn a_returns_hash_must_be_the_merchants_over_seed_004s_fields() {
        let basic = super::super::tests::client(SveaAuth::Basic);
        let sha512 = super::super::tests::client(SveaAuth::Hash(SveaHash::Sha512));
        let good = signed(SveaHash::Sha512, "57c48209-1111-2222-3333-444455556666");
        assert!(basic.return_hash_ok(&good));
        assert!(sha512.return_hash_ok(&good));
        assert!(basic.return_hash_ok(&signed(SveaHash::Sha256, "t")));
        assert!(
            !sha512.return_hash_ok(&signed(SveaHash::Sha256, "t")),
            "a hash-mode client takes its own algorithm only"
        );
        let mut swapped = good.clone();
        if let Some(pair) = swapped.iter_mut().find(|(k, _)| k == "pmt_token") {
            pair.1 = "57c48209-9999-2222-3333-444455556666".into();
        }
        assert!(!basic.return_hash_ok(&swapped), "the token is hashed");
        let without_escrow: Vec<(String, String)> = good
            .iter()
            .filter(|(k, _)| k != "pmt_escrow")
            .cloned()
            .collect();
        assert!(!basic.return_hash_ok(&without_escrow));
        let unsigned: Vec<(String, String)> = good
            .iter()
            .filter(|(k, _)| k != "pmt_hash")
            .cloned()
            .collect();
        assert!(
            basic.return_hash_ok(&unsigned),
            "a Basic-started page returns no hash: the status query's mask checks the token"
        );
    }
}
