//! Checking an imported Clover card and its initial, and revoking a saved card (issue 24).
//!
//! What Clover lets us confirm, and from which documented lookup:
//! - the card: `GET /v3/merchants/{mId}/customers/{customerId}/cards` (providers/clover.md §2,
//!   §2.6 card element: `id`, `token`, `first6`, `last4`, `expirationDate`, `cardType`). A token
//!   of another customer is simply not in this customer's list: "another customer" is never
//!   shown.
//! - the initial by its `ref_num`: searched among `GET /v1/charges?customer=…&created.gte=…`
//!   (§2.2; the charge object carries `ref_num`, `paid`, `status`, `amount`, `created`,
//!   `source` and `customer`, §2.1). From the import's date minus a day, else over the
//!   customer's whole history. The charge's `source.id` is the token it was paid with.
//! - revoking: `DELETE /v1/customers/{customerId}/sources/{cardId}`, answered
//!   `{"id", "object", "deleted": true}` (§2.5, "confirmed"). The card id comes from the v3
//!   card list, which names both the id and the multi-pay token Coffer holds.

use chrono::{DateTime, Duration, Utc};
use coffer_core::{CardToken, CustomerRef, ProviderRef};

use super::{convert, read, wire, CloverClient};
use crate::holdings::{CardOnFile, InitialFound, InitialRef, InitialSeen, Match, Revoked, Seen};
use crate::http::Resend;
use crate::{ProviderError, ProviderErrorKind, RemoteStatus};

/// The `DELETE …/sources/{cardId}` answer.
#[derive(Debug, serde::Deserialize)]
struct Deleted {
    #[serde(default)]
    deleted: bool,
}

impl CloverClient {
    /// The v3 card elements of a customer; `None` when Clover knows no such customer.
    async fn saved_cards(
        &self,
        customer: &CustomerRef,
    ) -> Result<Option<Vec<wire::Card>>, ProviderError> {
        let path = format!(
            "/v3/merchants/{}/customers/{}/cards",
            self.merchant_uuid,
            convert::path_id("customer", customer.as_str())?
        );
        match self
            .get::<wire::Listing<wire::Card>>(&self.api, &path, &[])
            .await
        {
            Ok(list) => Ok(Some(list.elements)),
            Err(e) if e.kind == ProviderErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub(super) async fn card_on_file(
        &self,
        customer: &CustomerRef,
        token: &CardToken,
    ) -> Result<CardOnFile, ProviderError> {
        let Some(cards) = self.saved_cards(customer).await? else {
            return Ok(CardOnFile::NoSuchCustomer);
        };
        match cards
            .iter()
            .find(|c| c.token.as_deref() == Some(token.as_str()))
        {
            Some(card) => Ok(CardOnFile::Found(convert::card_from_v3(card)?)),
            None => Ok(CardOnFile::NotFound),
        }
    }

    pub(super) async fn initial_seen(
        &self,
        initial: &InitialRef,
    ) -> Result<InitialSeen, ProviderError> {
        let since = initial
            .date
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc() - Duration::days(1))
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        let reference = initial.reference.as_str();
        let found = self
            .search_charges(&initial.customer, since, |c| {
                c.ref_num.as_deref() == Some(reference)
            })
            .await?;
        let Some(charge) = found else {
            return Ok(InitialSeen::NotFound);
        };
        judge(&charge, initial)
    }

    pub(super) async fn revoke_source(
        &self,
        customer: &CustomerRef,
        token: &CardToken,
    ) -> Result<Revoked, ProviderError> {
        let Some(cards) = self.saved_cards(customer).await? else {
            return Ok(Revoked::AlreadyGone);
        };
        let Some(card_id) = cards
            .iter()
            .find(|c| c.token.as_deref() == Some(token.as_str()))
            .and_then(|c| c.id.clone())
        else {
            return Ok(Revoked::AlreadyGone);
        };
        let path = format!(
            "/v1/customers/{}/sources/{}",
            convert::path_id("customer", customer.as_str())?,
            convert::path_id("card", &card_id)?
        );
        let url = self.scl.url(&path);
        // Deleting twice deletes nothing more: the second answer is a 404.
        let sent = self
            .scl
            .send(Resend::Idempotent, |c| {
                c.delete(&url).bearer_auth(self.token.expose_secret())
            })
            .await;
        let answer = match sent {
            Ok(response) => read::<Deleted>(response, Resend::Idempotent).await,
            Err(e) => Err(e),
        };
        match answer {
            Ok(Deleted { deleted: true }) => Ok(Revoked::Deleted),
            Ok(Deleted { deleted: false }) => Err(ProviderError::malformed(
                "Clover answered the card delete without \"deleted\": true",
            )
            .after_write()),
            Err(e) if e.kind == ProviderErrorKind::NotFound => Ok(Revoked::AlreadyGone),
            Err(e) => Err(e),
        }
    }
}

use secrecy::ExposeSecret;

/// A charge found by its `ref_num`, as the import sees it.
fn judge(charge: &wire::Charge, initial: &InitialRef) -> Result<InitialSeen, ProviderError> {
    let outcome = convert::outcome(charge, false)?;
    match outcome.status {
        RemoteStatus::Declined { code, message, .. } => Ok(InitialSeen::Failed { code, message }),
        RemoteStatus::Pending => Ok(InitialSeen::Pending),
        RemoteStatus::Succeeded => {
            let card_seen = charge.source.as_ref().and_then(|s| {
                convert::card_from_source(s, charge.ref_num.clone().map(ProviderRef)).ok()
            });
            Ok(InitialSeen::Succeeded(InitialFound {
                reference: ProviderRef(initial.reference.as_str().to_string()),
                amount: Seen::Shown(outcome.amount),
                date: match outcome.at {
                    Some(at) => Seen::Shown(at.date_naive()),
                    None => Seen::NotShown,
                },
                card: same(
                    charge.source.as_ref().map(|s| s.id.as_str()),
                    initial.card_token.as_str(),
                ),
                card_seen,
                customer: same(charge.customer.as_deref(), initial.customer.as_str()),
                agreement: Seen::NotShown,
            }))
        }
    }
}

fn same(shown: Option<&str>, expected: &str) -> Match {
    match shown {
        Some(s) if s == expected => Match::Same,
        Some(s) => Match::Different(s.to_string()),
        None => Match::NotShown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn initial() -> InitialRef {
        InitialRef {
            customer: CustomerRef("R2D7XK9Q4M1PA".into()),
            card_token: CardToken("clv_1TSTSexampleexampleexample".into()),
            reference: ProviderRef("216400500123".into()),
            date: None,
            amount: None,
        }
    }

    #[test]
    fn the_documented_charge_is_a_succeeded_initial_on_the_same_card() {
        // The documented sandbox response (notes §2.1).
        let charge: wire::Charge =
            serde_json::from_str(include_str!("../../tests/fixtures/clover/charge.json"))
                .expect("fixture parses");
        let InitialSeen::Succeeded(found) = judge(&charge, &initial()).expect("judged") else {
            panic!("a paid, succeeded charge is a succeeded initial");
        };
        assert_eq!(found.card, Match::Same, "source.id is the imported token");
        assert_eq!(
            found.amount.shown().map(|m| m.minor),
            Some(charge.amount),
            "integer cents kept"
        );
        assert_eq!(
            found.card_seen.map(|c| c.last4),
            Some("4242".to_string()),
            "the source's display fields are kept"
        );
    }

    #[test]
    fn a_failed_charge_is_a_failed_initial_with_its_code() {
        let charge: wire::Charge = serde_json::from_str(
            r#"{"id":"X","amount":100,"currency":"usd","paid":false,"status":"failed","failure_code":"card_declined","decline_code":"do_not_honor","ref_num":"216400500123"}"#,
        )
        .expect("parses");
        assert!(
            matches!(judge(&charge, &initial()), Ok(InitialSeen::Failed { code: Some(c), .. }) if c == "do_not_honor"),
            "the decline code is kept"
        );
    }
}
