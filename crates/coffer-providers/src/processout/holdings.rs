//! Checking an imported ProcessOut card and its initial, and deleting a customer token
//! (issue 24).
//!
//! What ProcessOut lets us confirm, and from which documented lookup:
//! - the card: `GET /customers/{customer_id}/tokens/{token_id}` (providers/processout.md §2
//!   "Customer tokens"; processout-go `Token.Find`). A token of another customer answers
//!   `resource.token.not-found` like a missing one, so "another customer" is never shown.
//! - the initial by its `tr_…`: `GET /transactions/{id}` (status, amount, customer, token).
//! - the initial by its scheme transaction id (the network's id): searched among
//!   `GET /customers/{customer_id}/transactions` by `scheme_id`, then matched against the
//!   card's own `initial_scheme_transaction_id`. An id found nowhere is an initial made
//!   outside ProcessOut (another processor): it cannot be looked up and is taken as given
//!   ([`InitialSeen::CannotLook`]), never "not found".
//! - deleting: `DELETE /customers/{customer_id}/tokens/{token_id}`, `{"success":true}`,
//!   irreversible (§2 "Customer tokens"; processout-go `Token.Delete`).

use coffer_core::{CardToken, CustomerRef, ProviderRef};
use reqwest::Method;

use super::{convert, wire, Call, ProcessOutClient};
use crate::holdings::{CardOnFile, InitialFound, InitialRef, InitialSeen, Match, Revoked, Seen};
use crate::http::Resend;
use crate::{ProviderError, ProviderErrorKind};

/// How many pages of a customer's transactions are read looking for a scheme id.
const MAX_PAGES: usize = 50;

impl ProcessOutClient {
    pub(super) async fn token_on_file(
        &self,
        customer: &CustomerRef,
        token: &CardToken,
    ) -> Result<CardOnFile, ProviderError> {
        let call = Call::get(format!(
            "/customers/{}/tokens/{}",
            convert::segment(customer.as_str()),
            convert::segment(token.as_str())
        ))
        .query("expand", "gateway_configuration");
        match self.call::<wire::TokenReply>(call).await {
            Ok(reply) => {
                if reply
                    .token
                    .customer_id
                    .as_deref()
                    .is_some_and(|c| c != customer.as_str())
                {
                    return Ok(CardOnFile::OtherCustomer {
                        customer: reply.token.customer_id.clone().map(CustomerRef),
                    });
                }
                match convert::remote_card(reply.token)? {
                    Some(card) => Ok(CardOnFile::Found(card)),
                    // A pending token holds no payment details yet: nothing to import.
                    None => Ok(CardOnFile::NotFound),
                }
            }
            Err(e) if e.kind == ProviderErrorKind::NotFound => Ok(missing(&e)),
            Err(e) => Err(e),
        }
    }

    pub(super) async fn initial_seen(
        &self,
        initial: &InitialRef,
    ) -> Result<InitialSeen, ProviderError> {
        let reference = initial.reference.as_str();
        if reference.starts_with("tr_") {
            return match self.transaction(reference).await {
                Ok(t) => judge(t, initial),
                Err(e) if e.kind == ProviderErrorKind::NotFound => Ok(InitialSeen::NotFound),
                Err(e) => Err(e),
            };
        }
        if let Some(t) = self.customer_transaction_by_scheme(initial).await? {
            return judge(t, initial);
        }
        // Not one of this customer's ProcessOut transactions: perhaps the card's own record.
        if let CardOnFile::Found(card) = self
            .token_on_file(&initial.customer, &initial.card_token)
            .await?
        {
            if card.initial_ref.as_ref().map(ProviderRef::as_str) == Some(reference) {
                return Ok(InitialSeen::Succeeded(InitialFound {
                    reference: initial.reference.clone(),
                    amount: Seen::NotShown,
                    date: Seen::NotShown,
                    card: Match::Same,
                    card_seen: Some(card),
                    customer: Match::Same,
                    agreement: Seen::NotShown,
                }));
            }
        }
        Ok(InitialSeen::CannotLook {
            reason: "ProcessOut shows no transaction of this customer with that scheme transaction id; an initial made before ProcessOut is the network's id and cannot be looked up, so it is taken as given",
        })
    }

    async fn customer_transaction_by_scheme(
        &self,
        initial: &InitialRef,
    ) -> Result<Option<wire::Transaction>, ProviderError> {
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut call = Call::get(format!(
                "/customers/{}/transactions",
                convert::segment(initial.customer.as_str())
            ))
            .query("limit", 100)
            .query("order", "asc");
            if let Some(c) = &cursor {
                call = call.query("start_after", c);
            }
            let page: wire::TransactionList = match self.call(call).await {
                Ok(page) => page,
                // An unknown customer has no transactions to show.
                Err(e) if e.kind == ProviderErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e),
            };
            cursor = page.transactions.last().map(|t| t.id.clone());
            let more = page.has_more;
            if let Some(t) = page
                .transactions
                .into_iter()
                .find(|t| t.scheme_id.as_deref() == Some(initial.reference.as_str()))
            {
                return Ok(Some(t));
            }
            if !more || cursor.is_none() {
                return Ok(None);
            }
        }
        Err(ProviderError::malformed(format!(
            "customer {} has more than {MAX_PAGES} pages of transactions",
            initial.customer
        )))
    }

    pub(super) async fn delete_token(
        &self,
        customer: &CustomerRef,
        token: &CardToken,
    ) -> Result<Revoked, ProviderError> {
        let call = Call {
            method: Method::DELETE,
            path: format!(
                "/customers/{}/tokens/{}",
                convert::segment(customer.as_str()),
                convert::segment(token.as_str())
            ),
            query: Vec::new(),
            body: None,
            idempotency_key: None,
            // Deleting twice deletes nothing more: the second answer is "not found".
            resend: Resend::Idempotent,
        };
        match self.call::<serde::de::IgnoredAny>(call).await {
            Ok(_) => Ok(Revoked::Deleted),
            Err(e) if e.kind == ProviderErrorKind::NotFound => match missing(&e) {
                // Gone with its customer, or never there: nothing left to delete either way.
                CardOnFile::NotFound | CardOnFile::NoSuchCustomer => Ok(Revoked::AlreadyGone),
                _ => Err(e),
            },
            Err(e) => Err(e),
        }
    }
}

/// Which resource a 404 says is missing (`resource.customer.not-found`,
/// `resource.token.not-found`).
fn missing(e: &ProviderError) -> CardOnFile {
    match e.provider_code.as_deref() {
        Some("resource.customer.not-found") => CardOnFile::NoSuchCustomer,
        _ => CardOnFile::NotFound,
    }
}

/// An initial transaction as the import sees it. `completed`, `authorized`, `refunded` and the
/// dispute states all mean the transaction went through; `failed`, `voided` and `blocked` that
/// it did not; the rest are undecided (transaction `status` values, notes §2).
fn judge(t: wire::Transaction, initial: &InitialRef) -> Result<InitialSeen, ProviderError> {
    let status = t.status.as_str();
    match status {
        "failed" | "voided" | "blocked" => {
            return Ok(InitialSeen::Failed {
                code: t.error_code.clone().or_else(|| Some(status.to_string())),
                message: t.error_message.clone(),
            })
        }
        "waiting" | "pending" | "pending-capture" | "in-review" => return Ok(InitialSeen::Pending),
        _ => {}
    }
    let amount = convert::amount_from_wire(&t.amount, &t.currency)?;
    let date = match t.created_at.as_deref() {
        Some(text) => Seen::Shown(convert::time_from_wire(text)?.date_naive()),
        None => Seen::NotShown,
    };
    Ok(InitialSeen::Succeeded(InitialFound {
        reference: ProviderRef(t.scheme_id.clone().unwrap_or_else(|| t.id.clone())),
        amount: Seen::Shown(amount),
        date,
        card: same(t.token_id.as_deref(), initial.card_token.as_str()),
        card_seen: None,
        customer: same(t.customer_id.as_deref(), initial.customer.as_str()),
        agreement: Seen::NotShown,
    }))
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
            customer: CustomerRef("cust_1".into()),
            card_token: CardToken("tok_1".into()),
            reference: ProviderRef("483920118822016".into()),
            date: None,
            amount: None,
        }
    }

    fn transaction(json: &str) -> wire::Transaction {
        serde_json::from_str(json).expect("fixture parses")
    }

    #[test]
    fn a_completed_transaction_is_a_succeeded_initial_with_its_amount_card_and_customer() {
        let t = transaction(
            r#"{"id":"tr_1","status":"completed","amount":"568.1","currency":"EUR","scheme_id":"483920118822016","customer_id":"cust_1","token_id":"tok_2","created_at":"2026-01-15T09:12:44.118Z"}"#,
        );
        let InitialSeen::Succeeded(found) = judge(t, &initial()).expect("judged") else {
            panic!("a completed transaction is a succeeded initial");
        };
        assert_eq!(
            found.amount.shown().map(|m| m.minor),
            Some(56810),
            "the decimal string is read exactly"
        );
        assert_eq!(found.customer, Match::Same, "same customer");
        assert_eq!(
            found.card,
            Match::Different("tok_2".into()),
            "another token is shown as such"
        );
    }

    #[test]
    fn a_failed_transaction_is_a_failed_initial_and_a_waiting_one_pending() {
        let failed = transaction(
            r#"{"id":"tr_1","status":"failed","amount":"1","currency":"EUR","error_code":"card.declined"}"#,
        );
        assert_eq!(
            judge(failed, &initial()).expect("judged"),
            InitialSeen::Failed {
                code: Some("card.declined".into()),
                message: None
            },
            "the error code is kept"
        );
        let waiting =
            transaction(r#"{"id":"tr_1","status":"waiting","amount":"1","currency":"EUR"}"#);
        assert_eq!(
            judge(waiting, &initial()).expect("judged"),
            InitialSeen::Pending,
            "undecided is pending"
        );
    }

    #[test]
    fn an_unreadable_amount_is_an_error_not_a_panic() {
        let t =
            transaction(r#"{"id":"tr_1","status":"completed","amount":"twelve","currency":"EUR"}"#);
        assert!(
            judge(t, &initial()).is_err(),
            "malformed amount is an error"
        );
    }

    fn token(json: &str) -> wire::Token {
        serde_json::from_str(json).expect("fixture parses")
    }

    #[test]
    fn an_apm_token_is_listed_by_its_gateway_and_chargeable_only_when_processout_says_so() {
        let paypal = token(
            r#"{"id":"tok_a","type":"gateway_token","is_chargeable":true,"customer_id":"cust_1","gateway_configuration":{"id":"gway_conf_1","name":"PayPal EU","gateway":{"name":"paypal","display_name":"PayPal"}}}"#,
        );
        let card = convert::remote_card(paypal)
            .expect("converted")
            .expect("an APM token is listed");
        assert_eq!(
            card.method,
            crate::StoredMethod::Apm {
                name: "PayPal".into()
            },
            "the gateway's display name"
        );
        assert!(card.merchant_initiated && card.active, "is_chargeable true");
        assert!(card.last4.is_empty(), "no card digits");
        let unnamed = token(r#"{"id":"tok_b","type":"gateway_token"}"#);
        let card = convert::remote_card(unnamed)
            .expect("converted")
            .expect("listed");
        assert_eq!(
            card.method,
            crate::StoredMethod::Apm { name: "APM".into() },
            "no configuration expanded"
        );
        assert!(
            !card.merchant_initiated && !card.active,
            "our choice: an absent is_chargeable is not chargeable"
        );
        let pending = token(r#"{"id":"tok_c","type":"pending"}"#);
        assert_eq!(
            convert::remote_card(pending).expect("converted"),
            None,
            "a pending token holds nothing"
        );
    }
}
