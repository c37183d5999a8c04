//! Settling an enrollment by the provider's own answer: after the page's return (a hint the
//! browser carries, kept so a later check can repeat it), by a lookup for a link, and at expiry.
//! Only `EnrollmentSeen::Confirmed` saves a card, in one transaction with the enrollment's
//! settlement, so two checks racing save it once.

use coffer_core::{CustomerId, EnrollmentId, EnrollmentState, Environment, InvalidInput};
use coffer_providers::{EnrollmentPage, EnrollmentSeen, SandboxCardholder};
use coffer_store::customers::{CustomerFields, CustomerOrigin};
use coffer_store::enrollments::Settled;

use crate::consent::{initial_card_fields, write_initial_card, InitialWrite};
use crate::contracts::ContractInput;
use crate::error::{EngineError, EngineResult, ErrorKind};
use crate::scope::Scope;
use crate::Engine;

use super::EnrollmentView;

impl Engine {
    /// Takes the return of an enrollment's page (the whole address the browser was sent to),
    /// keeps it as a hint and settles the enrollment by the provider's own answer.
    pub async fn enrollment_returned(
        &self,
        id: EnrollmentId,
        return_address: &str,
    ) -> EngineResult<EnrollmentView> {
        let row = self.enrollment_row(id).await?;
        let Some(query) = return_query(&row.return_url, return_address) else {
            return Err(InvalidInput::new(
                "return",
                format!("'{return_address}' is not enrollment {id}'s return address"),
            )
            .into());
        };
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if row.state == EnrollmentState::Pending {
            let kept = pairs.clone();
            self.with_store(move |store| Ok(store.set_enrollment_returned(id, &kept)?))
                .await?;
        }
        self.check_enrollment(id).await
    }

    /// Asks the provider where a pending enrollment stands and settles it: saved when the
    /// provider confirms the card, failed when it says so, expired when nobody finished the page
    /// in time. A settled one is only shown.
    pub async fn check_enrollment(&self, id: EnrollmentId) -> EngineResult<EnrollmentView> {
        let row = self.enrollment_row(id).await?;
        if row.state.is_settled() {
            return self.enrollment(id).await;
        }
        let merchant = self.merchant(row.merchant_id).await?;
        let provider = self.provider_for(&merchant).await?;
        let hosted = provider.hosted_enrollment().ok_or_else(|| {
            EngineError::new(
                ErrorKind::Internal,
                format!("{} has no hosted enrollment page", merchant.name),
            )
        })?;
        let request = self.enrollment_request(&row).await?;
        let seen = hosted
            .confirm_enrollment(
                &request,
                row.pending_ref.as_deref(),
                row.returned.as_deref(),
            )
            .await?;
        match seen {
            EnrollmentSeen::Confirmed {
                outcome,
                registered,
                customer,
            } => {
                self.save_enrolled_card(&row, outcome, registered, customer)
                    .await?;
            }
            EnrollmentSeen::Failed { reason } => {
                self.end_enrollment(id, EnrollmentState::Failed, reason)
                    .await?;
            }
            EnrollmentSeen::Waiting if self.now() >= row.expires_at => {
                self.end_enrollment(
                    id,
                    EnrollmentState::Expired,
                    format!(
                        "the cardholder did not complete the page before {}",
                        row.expires_at.format("%Y-%m-%d %H:%M UTC")
                    ),
                )
                .await?;
            }
            EnrollmentSeen::Waiting => {}
            // Paid at the provider: expiring it would hide a card the cardholder paid for, so it
            // stays pending, saying what the owner must bring.
            EnrollmentSeen::AwaitingReturn { why } => {
                if row.waiting_on.as_deref() != Some(why.as_str()) {
                    self.with_store(move |store| {
                        Ok(store.set_enrollment_waiting_on(id, Some(&why))?)
                    })
                    .await?;
                }
            }
        }
        self.enrollment(id).await
    }

    /// Checks every pending enrollment of a scope (a link's cardholder finishes at home, a
    /// counter window may have been closed): the enrollments as they stand after, with the
    /// ones the provider could not be asked about left pending.
    pub async fn check_enrollments(
        &self,
        scope: impl Into<Scope>,
    ) -> EngineResult<Vec<EnrollmentView>> {
        let pending = self.list_enrollments(scope, false).await?;
        let mut out = Vec::with_capacity(pending.len());
        for enrollment in pending {
            match self.check_enrollment(enrollment.id).await {
                Ok(view) => out.push(view),
                Err(e) if e.kind() == ErrorKind::ProviderUnavailable => {
                    tracing::warn!(enrollment = %enrollment.id, error = %e, "enrollment not checked");
                    out.push(enrollment);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// Sandbox merchants only: completes the sandbox's own page as a cardholder would, with one
    /// of its test cards, and settles the enrollment from the return (for the CLI and tests; the
    /// app opens the real page in a window).
    pub async fn fill_sandbox_enrollment(
        &self,
        id: EnrollmentId,
        cardholder: SandboxCardholder,
    ) -> EngineResult<EnrollmentView> {
        let row = self.enrollment_row(id).await?;
        let merchant = self.merchant(row.merchant_id).await?;
        if merchant.environment != Environment::Sandbox {
            return Err(EngineError::new(
                ErrorKind::PolicyRefused,
                format!(
                    "{} is a live merchant: only the cardholder completes its provider's page",
                    merchant.name
                ),
            ));
        }
        let page = match (&row.page_url, &row.page_html) {
            (Some(url), _) => EnrollmentPage::Provider { url: url.clone() },
            (None, Some(html)) => EnrollmentPage::Hosted { html: html.clone() },
            (None, None) => {
                return Err(EngineError::new(
                    ErrorKind::Conflict,
                    format!("enrollment {id} has no page"),
                ))
            }
        };
        let provider = self.provider_for(&merchant).await?;
        let hosted = provider.hosted_enrollment().ok_or_else(|| {
            EngineError::new(ErrorKind::Internal, "no hosted enrollment page".to_string())
        })?;
        let pairs = hosted.fill_sandbox_page(&page, &cardholder).await?;
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter())
            .finish();
        let separator = if row.return_url.contains('?') {
            '&'
        } else {
            '?'
        };
        self.enrollment_returned(id, &format!("{}{separator}{query}", row.return_url))
            .await
    }

    /// Saves the confirmed card: the customer (created now for a new one), the card, its
    /// initial and the consent, the ledger row of the initial charge and the enrollment's
    /// settlement, all in one transaction; then the contract asked for in the same flow.
    async fn save_enrolled_card(
        &self,
        row: &coffer_core::Enrollment,
        outcome: coffer_providers::InitialOutcome,
        registered: Option<coffer_core::card::RegisteredSeries>,
        provider_customer: Option<coffer_core::CustomerRef>,
    ) -> EngineResult<()> {
        let fields = initial_card_fields(&outcome.card)?;
        let now = self.now();
        let id = row.id;
        let merchant = row.merchant_id;
        let new_customer = match (row.customer_id, &row.new_customer, provider_customer) {
            (Some(_), _, _) => None,
            (None, Some(details), Some(reference)) => Some(CustomerFields {
                reference,
                name: details.name.clone(),
                email: details.email.clone(),
                phone: details.phone.clone(),
                address: None,
            }),
            (None, _, None) => {
                return Err(EngineError::new(
                    ErrorKind::Internal,
                    format!(
                        "the provider confirmed enrollment {id} without saying which customer \
                         holds the card"
                    ),
                ))
            }
            (None, None, Some(_)) => {
                return Err(EngineError::new(
                    ErrorKind::Internal,
                    format!("enrollment {id} has no customer"),
                ))
            }
        };
        let known_customer = row.customer_id;
        let registered = registered.or_else(|| row.registered.clone());
        let terms = row.terms.clone();
        let audit = self.audit_event(
            Some(merchant.0),
            "enrollment_confirmed",
            format!("enrollment:{id}"),
            serde_json::json!({"initial_ref": outcome.initial_ref, "provider_ref": outcome.provider_ref, "amount": outcome.amount.to_string(), "mode": row.mode.as_str()}),
        );
        let saved = self
            .with_store(move |store| {
                Ok(store.batch(|store| {
                    if store.enrollment(id)?.state.is_settled() {
                        return Ok(None);
                    }
                    let customer = match (known_customer, &new_customer) {
                        (Some(c), _) => c,
                        (None, Some(fields)) => {
                            store
                                .upsert_customer(merchant, fields, CustomerOrigin::Sync, now)?
                                .0
                        }
                        (None, None) => CustomerId(0),
                    };
                    let card = write_initial_card(
                        store,
                        &InitialWrite {
                            merchant,
                            customer,
                            fields,
                            card: None,
                            attempt: None,
                            outcome: &outcome,
                            registered,
                            terms: &terms,
                            now,
                        },
                    )?;
                    let settled = Settled::Confirmed {
                        card,
                        customer,
                        contract: None,
                        note: None,
                    };
                    if !store.settle_enrollment(id, &settled, now)? {
                        return Ok(None);
                    }
                    let mut audit = audit;
                    audit.subject = format!("card:{card}");
                    store.append_audit_here(audit)?;
                    Ok(Some(card))
                })?)
            })
            .await?;
        let Some(card) = saved else {
            return Ok(());
        };
        self.after_confirmation(row, card).await
    }

    /// The contract of the same flow, or the re-enrolled contract moved to the new card. A
    /// failure here leaves the card saved and says why on the enrollment.
    async fn after_confirmation(
        &self,
        row: &coffer_core::Enrollment,
        card: coffer_core::CardId,
    ) -> EngineResult<()> {
        let id = row.id;
        let result = if let Some(contract) = row.replaces_for {
            self.move_contract_to(contract, card, id).await.map(Some)
        } else if let Some(draft) = &row.contract {
            match serde_json::from_str::<ContractInput>(draft) {
                Ok(mut input) => {
                    input.card = card.0;
                    self.create_contract(input)
                        .await
                        .map(|c| Some(c.contract.id))
                }
                Err(e) => Err(EngineError::new(
                    ErrorKind::Internal,
                    format!("the stored contract draft is unreadable: {e}"),
                )),
            }
        } else {
            Ok(None)
        };
        let (contract, note) = match result {
            Ok(contract) => (contract, None),
            Err(e) => (
                None,
                Some(format!(
                    "the card is saved, but its contract was not made: {e}"
                )),
            ),
        };
        self.with_store(move |store| {
            Ok(store.set_enrollment_contract(id, contract, note.as_deref())?)
        })
        .await
    }

    async fn move_contract_to(
        &self,
        contract: coffer_core::ContractId,
        card: coffer_core::CardId,
        enrollment: EnrollmentId,
    ) -> EngineResult<coffer_core::ContractId> {
        let now = self.now();
        let audit = self.audit_event(
            None,
            "contract_card_replaced",
            format!("contract:{contract}"),
            serde_json::json!({"card": card.0, "enrollment": enrollment.0}),
        );
        self.with_store(move |store| {
            let mut moved = store.contract(contract)?;
            let old = moved.card_id;
            let new_card = store.card(card)?;
            moved.card_id = card;
            moved.terms_accepted_at = now;
            if let Some(max) = new_card
                .initial
                .as_ref()
                .and_then(|i| i.registered.as_ref())
                .and_then(|r| r.max_amount)
            {
                moved.registered_max = Some(max);
            }
            Ok(store.batch(|store| {
                store.update_contract(
                    &moved,
                    &format!(
                        "re-enrolled: card {old} replaced by card {card}, whose initial was made \
                         on the provider's page (enrollment {enrollment})"
                    ),
                    now,
                )?;
                let mut audit = audit;
                audit.merchant_id = Some(moved.merchant_id.0);
                store.append_audit_here(audit)?;
                Ok(contract)
            })?)
        })
        .await
    }

    /// The address an enrollment link is sent to.
    pub(super) async fn link_recipient(
        &self,
        input: &super::EnrollmentInput,
        customer: Option<CustomerId>,
    ) -> EngineResult<String> {
        if let Some(to) = input.send_to.as_ref().filter(|t| !t.trim().is_empty()) {
            return Ok(to.trim().to_string());
        }
        let email = match customer {
            Some(id) => self.customer(id).await?.email,
            None => input.new_customer.as_ref().and_then(|c| c.email.clone()),
        };
        email.filter(|e| !e.trim().is_empty()).ok_or_else(|| {
            InvalidInput::new(
                "send_to",
                "a link needs the cardholder's e-mail address: the customer has none on record",
            )
            .into()
        })
    }
}

/// The query the page added to `return_url`, when `address` is that return: the merchant's own
/// return page may carry a query already, which the page extends with `&`.
fn return_query<'a>(return_url: &str, address: &'a str) -> Option<&'a str> {
    let rest = address.strip_prefix(return_url)?;
    let query = match rest.as_bytes().first() {
        None | Some(b'#') => "",
        Some(b'&') if return_url.contains('?') => &rest[1..],
        Some(b'?') if !return_url.contains('?') => &rest[1..],
        Some(_) => return None,
    };
    Some(query.split('#').next().unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::return_query;

    #[test]
    fn the_return_query_follows_the_return_page_with_or_without_its_own_query() {
        let plain = "https://coffer.invalid/enroll/o1/return";
        assert_eq!(
            return_query(plain, &format!("{plain}?token=t#x")),
            Some("token=t")
        );
        assert_eq!(return_query(plain, plain), Some(""));
        let shop = "https://shop.example/cards?from=coffer";
        assert_eq!(
            return_query(shop, &format!("{shop}&assist_return=ok")),
            Some("assist_return=ok")
        );
        // Another page that only starts like the return page is not its return.
        assert_eq!(return_query(plain, &format!("{plain}ed?token=t")), None);
        assert_eq!(
            return_query(shop, "https://elsewhere.example/?token=t"),
            None
        );
    }
}
