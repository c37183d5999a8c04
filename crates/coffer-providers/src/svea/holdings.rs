//! Checking an imported Svea card and its initial (issue 24).
//!
//! Svea keeps no card listing and no customers: a stored card is seen only through the
//! Payment Status Query of the payment that tokenized it (providers/svea.md §3.4, the Seed's
//! token fields `pmtq_token`, `pmtq_token_debit_limit`, `pmtq_card_number_masked`,
//! `pmtq_card_scheme`, `pmtq_token_expiration_*`). So:
//! - the card alone cannot be looked up ([`CardOnFile::CannotLook`]);
//! - the initial by its `pmt_id`: exists, paid or not, its amount and day, the token it made
//!   (masked: compared place by place as `refresh_card` does), the card's display fields, and
//!   the per-charge limit (`pmtq_token_debit_limit`, the original amount) as the agreement's
//!   maximum;
//! - the customer is never shown: Svea has none ([`Match::NotShown`]).
//! - deleting: Svea documents no merchant call that deletes a token
//!   ([`CardRevocation::NotOffered`](crate::CardRevocation::NotOffered)); Coffer only stops
//!   using it.

use coffer_core::{CardToken, CustomerRef, ProviderRef};

use super::errors::{self, PaymentState};
use super::{convert, SveaClient};
use crate::holdings::{CardOnFile, InitialFound, InitialRef, InitialSeen, Match, Seen};
use crate::{ProviderError, ProviderErrorKind, RecurringAgreement};

/// Why Svea cannot show a card by its token alone.
pub(super) const NO_CARD_LOOKUP: &str = "Svea has no card listing: a card is confirmed only through the status query of the payment that tokenized it (its pmt_id)";

impl SveaClient {
    pub(super) fn card_on_file(
        &self,
        _customer: &CustomerRef,
        _token: &CardToken,
    ) -> Result<CardOnFile, ProviderError> {
        Ok(CardOnFile::CannotLook {
            reason: NO_CARD_LOOKUP,
        })
    }

    pub(super) async fn initial_seen(
        &self,
        initial: &InitialRef,
    ) -> Result<InitialSeen, ProviderError> {
        let pmt_id = convert::pmt_id(initial.reference.as_str())?;
        let status = self.status_query(&pmt_id).await?;
        let code = status.pmtq_returncode.as_deref().unwrap_or("");
        let amount_text = status.pmtq_amount.as_deref().unwrap_or("");
        // Svea answers an id it never saw with 00 (or an unpaid code) and 0,00 (§3.4).
        match errors::payment_state(code, amount_text == "0,00")? {
            PaymentState::Unpaid if amount_text == "0,00" => return Ok(InitialSeen::NotFound),
            PaymentState::Unknown => return Ok(InitialSeen::NotFound),
            PaymentState::Unpaid => {
                return Ok(InitialSeen::Failed {
                    code: Some(code.to_string()),
                    message: status.pmtq_returntext.clone(),
                })
            }
            PaymentState::Pending => return Ok(InitialSeen::Pending),
            PaymentState::QueryFailed => {
                return Err(ProviderError::new(
                    ProviderErrorKind::Unavailable,
                    "Svea's status query failed (pmtq_returncode 01); ask again later",
                )
                .with_code("01"))
            }
            // Paid, or paid then refunded: the tokenizing payment went through and made the
            // token either way.
            PaymentState::Paid | PaymentState::Refunded => {}
        }
        let amount = convert::amount_from_wire(amount_text, "pmtq_amount")?;
        let date = match status.pmtq_paymentdate.as_deref() {
            Some(text) => Seen::Shown(convert::date_from_wire(text.trim(), "pmtq_paymentdate")?),
            None => Seen::NotShown,
        };
        let card_seen = convert::card_from_status(&status, initial.card_token.as_str());
        let card = match (&status.pmtq_token, &card_seen) {
            (None, _) => Match::NotShown,
            (Some(_), Ok(_)) => Match::Same,
            (Some(shown), Err(_)) => Match::Different(shown.clone()),
        };
        let agreement = match status.pmtq_token_debit_limit.as_deref() {
            Some(limit) if !limit.trim().is_empty() => Seen::Shown(RecurringAgreement {
                min_amount: None,
                max_amount: Some(convert::amount_from_wire(
                    limit.trim(),
                    "pmtq_token_debit_limit",
                )?),
                period_days: None,
                end_date: None,
            }),
            _ => Seen::NotShown,
        };
        let card_seen = match card {
            Match::Different(_) => None,
            _ => card_seen.ok(),
        };
        Ok(InitialSeen::Succeeded(InitialFound {
            reference: ProviderRef(pmt_id),
            amount: Seen::Shown(amount),
            date,
            card,
            card_seen,
            customer: Match::NotShown,
            agreement,
        }))
    }
}
