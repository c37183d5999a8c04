//! Checking an imported Assist card and its initial order (issue 24).
//!
//! What Assist lets us confirm, and from which documented lookup:
//! - the card: the One Click token listing by `CustomerNumber` (providers/assist.md §2.1,
//!   `token.cfm`). Assist answers an unknown customer like one without cards, so
//!   "no such customer" and "another customer" are never shown: only found or not found.
//! - the initial by its `OrderNumber` and day: `orderresult.cfm` from a day before the
//!   import's date (§2.4: `Start*` in GMT; without them only the last three days are
//!   searched). It shows the attempts' `billnumber`, `orderstate`, amount, `orderdate`, the
//!   operation's masked card (`meannumber`) and, when present, the One Click `token`.
//! - not shown by `orderresult`, so taken as given: the customer (no `CustomerNumber` in its
//!   fields) and the `Recurring*` limits the initial registered (§3.3; none of them comes back
//!   in §2.4's field list).
//! - deleting: Assist documents no merchant call that deletes a saved card; the cardholder
//!   deletes it on Assist's own page (§3.2).

use chrono::{Duration, Utc};
#[cfg(test)]
use coffer_core::ProviderRef;
use coffer_core::{CardToken, CustomerRef};

use super::{convert, wire, AssistClient, REFUND_LOOKUP_DAYS};
use crate::holdings::{CardOnFile, InitialFound, InitialRef, InitialSeen, Match, Seen};
use crate::{Provider, ProviderError, RemoteStatus};

/// Why a card cannot be deleted at Assist.
pub(super) const NO_REVOCATION: &str = "Assist documents no merchant call that deletes a saved card (the cardholder deletes it on Assist's page); Coffer can only stop using it";

impl AssistClient {
    pub(super) async fn card_on_file(
        &self,
        customer: &CustomerRef,
        token: &CardToken,
    ) -> Result<CardOnFile, ProviderError> {
        let cards = self.cards_of(customer).await?;
        Ok(match cards.into_iter().find(|c| &c.token == token) {
            Some(card) => CardOnFile::Found(card),
            None => CardOnFile::NotFound,
        })
    }

    pub(super) async fn initial_seen(
        &self,
        initial: &InitialRef,
    ) -> Result<InitialSeen, ProviderError> {
        let since = match initial.date.and_then(|d| d.and_hms_opt(0, 0, 0)) {
            Some(midnight) => midnight.and_utc() - Duration::days(1),
            None => Utc::now() - Duration::days(REFUND_LOOKUP_DAYS),
        };
        let result = self.order_result(initial.reference.as_str(), since).await?;
        let orders: Vec<&wire::Order> = result.all_orders().collect();
        let Some(order) = convert::pick_attempt(&orders, None) else {
            return Ok(match initial.date {
                Some(_) => InitialSeen::NotFound,
                // Without the day, only the last REFUND_LOOKUP_DAYS were searched.
                None => InitialSeen::CannotLook {
                    reason: "Assist finds an order only within a time window: give the initial order's date",
                },
            });
        };
        judge(order, initial)
    }
}

/// The order an `orderresult` settles on, as the import sees it.
fn judge(order: &wire::Order, initial: &InitialRef) -> Result<InitialSeen, ProviderError> {
    let outcome = convert::charge_outcome(order, true)?;
    match outcome.status {
        RemoteStatus::Declined { code, message, .. } => Ok(InitialSeen::Failed { code, message }),
        RemoteStatus::Pending => Ok(InitialSeen::Pending),
        RemoteStatus::Succeeded => {
            let card = match order.token.as_deref().map(str::trim) {
                Some(t) if t == initial.card_token.as_str() => Match::Same,
                Some(t) if !t.is_empty() => Match::Different(t.to_string()),
                _ => Match::NotShown,
            };
            let card_seen = match card {
                Match::Different(_) => None,
                _ => order
                    .operation
                    .iter()
                    .find_map(|op| convert::card_from_operation(&initial.card_token, op)),
            };
            Ok(InitialSeen::Succeeded(InitialFound {
                reference: outcome.provider_ref,
                amount: Seen::Shown(outcome.amount),
                date: match outcome.at {
                    Some(at) => Seen::Shown(at.date_naive()),
                    None => Seen::NotShown,
                },
                card,
                card_seen,
                customer: Match::NotShown,
                agreement: Seen::NotShown,
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn initial() -> InitialRef {
        InitialRef {
            customer: CustomerRef("CUST-000042".into()),
            card_token: CardToken("tok-1".into()),
            reference: ProviderRef("INIT-1".into()),
            date: None,
            amount: None,
        }
    }

    fn order(state: &str, code: &str) -> wire::Order {
        wire::Order {
            billnumber: Some("5000000000000123".into()),
            ordernumber: Some("INIT-1".into()),
            orderamount: Some("29.90".into()),
            ordercurrency: Some("EUR".into()),
            orderstate: Some(state.into()),
            responsecode: Some(code.into()),
            ..Default::default()
        }
    }

    #[test]
    fn an_approved_order_is_a_succeeded_initial_whose_limits_are_taken_as_given() {
        let InitialSeen::Succeeded(found) =
            judge(&order("Approved", "AS000"), &initial()).expect("judged")
        else {
            panic!("an approved order is a succeeded initial");
        };
        assert_eq!(
            found.reference,
            ProviderRef("5000000000000123".into()),
            "the billnumber is what rp.cfm links to"
        );
        assert_eq!(
            found.amount.shown().map(|m| m.minor),
            Some(2990),
            "\"29.90\" read exactly"
        );
        assert_eq!(
            found.agreement,
            Seen::NotShown,
            "orderresult shows no Recurring*"
        );
        assert_eq!(
            found.customer,
            Match::NotShown,
            "orderresult shows no CustomerNumber"
        );
    }

    #[test]
    fn a_declined_order_is_a_failed_initial_and_a_bad_amount_an_error() {
        assert!(
            matches!(
                judge(&order("Declined", "AS100"), &initial()),
                Ok(InitialSeen::Failed { .. })
            ),
            "declined is failed"
        );
        let mut bad = order("Approved", "AS000");
        bad.orderamount = Some("twelve".into());
        assert!(
            judge(&bad, &initial()).is_err(),
            "an unreadable amount is an error"
        );
    }
}
