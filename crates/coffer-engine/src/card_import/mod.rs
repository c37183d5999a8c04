//! Importing the cards a merchant already holds (issue 24): cards its web shop or terminal
//! stored, with the consent and the initial cardholder-initiated transaction made there. Each
//! row is checked in Coffer's records and with the provider before anything is saved; all rows
//! are saved in one transaction, or none. An imported card is MIT-ready exactly as if Coffer
//! had made its initial: it carries the consent and the initial transaction its
//! merchant-initiated charges link to.
//!
//! The file's columns are in [`rows::REQUIRED_COLUMNS`] and [`rows::OPTIONAL_COLUMNS`] (the
//! README lists them with what each provider needs).

mod check;
pub mod rows;

use std::path::Path;

use coffer_core::{Consent, MerchantId};
use coffer_store::customers::CustomerFields;
use coffer_store::search::CardQuery;
use coffer_store::StoreError;
use serde::Serialize;

use crate::error::EngineResult;
use crate::Engine;
use check::{CardSource, Known, Plan};
use coffer_store::cards::CardFields;

/// One problem of an import file: the line (1 is the header), the column, and the rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ImportProblem {
    /// The file's line.
    pub line: u64,
    /// The column (or `header`, `row`).
    pub field: String,
    /// What is wrong, in plain words.
    pub rule: String,
}

impl ImportProblem {
    fn new(line: u64, field: &str, rule: impl Into<String>) -> ImportProblem {
        ImportProblem {
            line,
            field: field.to_string(),
            rule: rule.into(),
        }
    }
}

impl std::fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}, {}: {}", self.line, self.field, self.rule)
    }
}

/// One card the import made MIT-ready.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ImportedCard {
    /// The file's line.
    pub line: u64,
    /// Coffer's card id.
    pub card_id: i64,
    /// The customer's reference.
    pub customer_reference: String,
    /// The card's token.
    pub card_token: String,
    /// The initial transaction recorded: the reference its merchant-initiated charges link
    /// to, as the provider showed it (Assist: the initial order's BillNumber).
    pub initial_ref: String,
    /// What the provider could not confirm and was taken as the file gives it.
    pub taken_as_given: Vec<String>,
}

/// What a card import did. With any problem nothing was saved and `imported` is empty: fix
/// the file and import it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CardImportReport {
    /// The merchant imported into.
    pub merchant_id: i64,
    /// The cards made MIT-ready (none when there are problems).
    pub imported: Vec<ImportedCard>,
    /// Every problem found, by line; empty when the import was saved.
    pub problems: Vec<ImportProblem>,
}

impl CardImportReport {
    /// Whether the import was saved.
    pub fn saved(&self) -> bool {
        self.problems.is_empty()
    }
}

impl Engine {
    /// Imports cards a merchant already holds from a CSV file: all rows or none. Row problems
    /// are in the report (nothing saved); an unreadable file or an unreachable provider is an
    /// error.
    pub async fn import_cards(
        &self,
        merchant: MerchantId,
        path: &Path,
    ) -> EngineResult<CardImportReport> {
        let text = crate::import_file::read_text(path)?;
        self.import_card_rows(merchant, text).await
    }

    /// [`Engine::import_cards`] on the file's text (the desktop app reads the file), within the
    /// same bounds as a file read from disk.
    pub async fn import_cards_csv(
        &self,
        merchant: MerchantId,
        text: String,
    ) -> EngineResult<CardImportReport> {
        let text = crate::import_file::check_text("chosen in the window", text)?;
        self.import_card_rows(merchant, text).await
    }

    async fn import_card_rows(
        &self,
        merchant: MerchantId,
        text: String,
    ) -> EngineResult<CardImportReport> {
        let owner = self.merchant(merchant).await?;
        let today = coffer_core::clock::local_date(self.now(), owner.time_zone);
        let (rows, mut problems) = rows::parse_rows(&text, owner.currency, owner.time_zone, today);
        let wanted: Vec<(coffer_core::CustomerRef, coffer_core::CardToken)> = rows
            .iter()
            .map(|r| (r.customer.clone(), r.token.clone()))
            .collect();
        let known = self
            .read_store(move |store| {
                let refs: std::collections::HashMap<String, coffer_core::CustomerId> = store
                    .customer_refs(merchant)?
                    .into_iter()
                    .map(|(id, r)| (r.0, id))
                    .collect();
                let mut known = Vec::with_capacity(wanted.len());
                for (customer, token) in &wanted {
                    let customer = refs
                        .get(customer.as_str())
                        .map(|id| store.customer(*id))
                        .transpose()?;
                    let card = match &customer {
                        Some(c) => store
                            .cards_of_customer(c.id)?
                            .into_iter()
                            .find(|k| k.token == *token),
                        None => None,
                    };
                    known.push(Known { customer, card });
                }
                Ok(known)
            })
            .await?;
        let rules = coffer_core::providers::rules(owner.provider());
        let mut plans = Vec::new();
        let mut fresh = Vec::new();
        if !rows.is_empty() {
            let provider = self.provider_for(&owner).await?;
            for (row, known) in rows.into_iter().zip(known) {
                let checked = check::confirm(
                    provider.as_ref(),
                    rules.label,
                    rules.capabilities.needs_buyer_address,
                    matches!(
                        rules.registered_cap,
                        Some(coffer_core::providers::RegisteredCap::RegisteredMax { .. })
                    ),
                    row,
                    known,
                )
                .await?;
                fresh.extend(checked.fresh);
                match checked.outcome {
                    Ok(plan) => plans.push(plan),
                    Err(mut found) => problems.append(&mut found),
                }
            }
        } else if problems.is_empty() {
            problems.push(ImportProblem::new(
                2,
                "row",
                "the file has no card rows under its header",
            ));
        }
        problems.append(&mut self.cards_of_others(merchant, fresh).await?);
        if !problems.is_empty() {
            problems.sort_by_key(|p| p.line);
            return Ok(CardImportReport {
                merchant_id: merchant.0,
                imported: Vec::new(),
                problems,
            });
        }
        let imported = self.save_imported_cards(merchant, plans).await?;
        Ok(CardImportReport {
            merchant_id: merchant.0,
            imported,
            problems: Vec::new(),
        })
    }

    /// Cards new to their row's customer which Coffer holds for another customer (only the
    /// provider's own listing could show them as the row's): refused, never moved.
    async fn cards_of_others(
        &self,
        merchant: MerchantId,
        fresh: Vec<(u64, coffer_core::CustomerRef, CardFields)>,
    ) -> EngineResult<Vec<ImportProblem>> {
        self.read_store(move |store| {
            let mut problems = Vec::new();
            for (line, customer, fields) in fresh {
                let holder = store
                    .search_cards(&CardQuery {
                        merchants: vec![merchant],
                        last4: Some(fields.last4.as_str().to_string()),
                        limit: Some(10_000),
                        ..CardQuery::default()
                    })?
                    .into_iter()
                    .find(|k| k.token == fields.token);
                if let Some(card) = holder {
                    problems.push(ImportProblem::new(
                        line,
                        "card_token",
                        format!(
                            "Coffer holds this card for another customer (id {}), not '{customer}'",
                            card.customer_id
                        ),
                    ));
                }
            }
            Ok(problems)
        })
        .await
    }

    /// Writes every confirmed row in one transaction, with an audit event per card.
    async fn save_imported_cards(
        &self,
        merchant: MerchantId,
        plans: Vec<Plan>,
    ) -> EngineResult<Vec<ImportedCard>> {
        let now = self.now();
        let events: Vec<_> = plans
            .iter()
            .map(|p| {
                self.audit_event(
                    Some(merchant.0),
                    "card_imported",
                    format!("customer:{}", p.customer.id),
                    serde_json::json!({
                        "line": p.row.line,
                        "card_token": p.row.token.0,
                        "initial_ref": p.initial.reference.0,
                        "initial_ref_given": p.row.initial_ref.0,
                        "initial_amount": p.initial.amount.map(|m| m.to_string()),
                        "consent_at": p.row.consent_at,
                        "terms": p.row.terms,
                        "recurring": p.row.agreement.as_ref().map(|a| serde_json::json!({
                            "min": a.min_amount.map(|m| m.to_string()),
                            "max": a.max_amount.map(|m| m.to_string()),
                            "period_days": a.period_days,
                            "end": a.end_date,
                        })),
                        "address_recorded": p.address.is_some(),
                        "taken_as_given": p.taken_as_given,
                    }),
                )
            })
            .collect();
        self.with_store(move |store| {
            Ok(store.batch(|store| {
                let mut imported = Vec::with_capacity(plans.len());
                for (plan, event) in plans.iter().zip(events) {
                    let customer = &plan.customer;
                    let card_id = match &plan.card {
                        CardSource::Cached(id) => *id,
                        CardSource::Fresh(fields) => {
                            store.upsert_card(merchant, customer.id, fields, now)?.0
                        }
                    };
                    // Checked again under the write lock: another desk may have moved on.
                    let card = store.card(card_id)?;
                    if card.customer_id != customer.id || check::mit_ready(&card) {
                        return Err(StoreError::Conflict(format!(
                            "line {}, card_token: card {} changed while the file was checked; \
                             nothing was imported, import the file again",
                            plan.row.line, card.id
                        )));
                    }
                    if let Some(address) = &plan.address {
                        let fields = CustomerFields {
                            reference: customer.reference.clone(),
                            name: customer.name.clone(),
                            email: customer.email.clone(),
                            phone: customer.phone.clone(),
                            address: Some(address.clone()),
                        };
                        store.update_register_customer(customer.id, &fields, now)?;
                    }
                    store.set_card_initial(card_id, &plan.initial)?;
                    store.set_card_consent(
                        card_id,
                        &Consent {
                            given_at: plan.row.consent_at,
                            terms: plan.row.terms.clone(),
                        },
                    )?;
                    let mut event = event;
                    event.subject = format!("card:{card_id}");
                    store.append_audit_here(event)?;
                    imported.push(ImportedCard {
                        line: plan.row.line,
                        card_id: card_id.0,
                        customer_reference: customer.reference.0.clone(),
                        card_token: plan.row.token.0.clone(),
                        initial_ref: plan.initial.reference.0.clone(),
                        taken_as_given: plan.taken_as_given.clone(),
                    });
                }
                Ok(imported)
            })?)
        })
        .await
    }
}
