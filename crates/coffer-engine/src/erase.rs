//! Erasing a customer (a data-protection request): Coffer forgets who the person was and keeps
//! what bookkeeping needs.
//!
//! In order, each step before the next:
//! 1. Refused while an attempt on one of the customer's cards is unsettled (`planned` or
//!    `sending`): its outcome still has to be proved against the provider, and the ledger row
//!    must stay whole until then. Refused for a customer already erased.
//! 2. Each of the customer's cards is deleted at the provider where the provider offers it
//!    (Clover, ProcessOut: [`Capabilities::card_revocation`]); where it does not (Assist,
//!    Svea) the card stays there and Coffer only stops using it — the report says so, per card.
//!    A provider that cannot be reached stops the erasure here, with nothing blanked yet, so the
//!    owner can run it again.
//! 3. The customer's contracts end, without a notice: the person asked to be forgotten, a
//!    notice would have to go to the very address being erased, and nothing is charged after
//!    this. Each end is an ordinary audited `contract_ended`.
//! 4. The customer's notices written to the outbox (.eml files, which name and address the
//!    person) are deleted.
//! 5. In one transaction: the cards are made inactive (brand, last four digits and expiry stay,
//!    for bookkeeping), and the store blanks name, e-mail, phone and address everywhere it keeps
//!    them ([`ErasureWrites::erase_customer_records`]: customer row and search index, the buyer
//!    in the ledger's kept requests, notices' recipient, the personal details of the customer's
//!    audit events) and marks the customer erased, so a later sync leaves the row as it is; a
//!    `customer_erased` audit event records the counts and no personal data. Amounts, dates,
//!    references, tokens and the audit chain stay; the chain still verifies, because events hash
//!    a digest of their personal details.
//!
//! 6. After that transaction the write-ahead log is emptied and truncated: its older page
//!    images held what was just blanked. The database file itself holds none of it: the writer
//!    zeroes what it frees (`secure_delete`), the full-text index removes deleted entries
//!    (schema 26), and the upgrade to schema 26 rewrote the file once. The report names what
//!    still holds the details on this computer: the copies kept before upgrades, and the CSV
//!    exports that show them ([`exports`]; the owner's files, so named, not deleted).
//!
//! What Coffer cannot erase: the provider's own customer record (Clover, ProcessOut keep the
//! customer object; the merchant asks the provider) and the cards Assist and Svea keep.

mod exports;

use coffer_core::contract::ContractStatus;
use coffer_core::{CardId, CustomerId};
use coffer_providers::holdings::Revoked;
use coffer_store::contracts::ContractFilter;
use serde::Serialize;

use crate::error::{EngineError, EngineResult, ErrorKind};
use crate::Engine;

/// What happened to one card at its provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum CardAtProvider {
    /// Deleted at the provider now.
    Deleted,
    /// The provider no longer had it.
    AlreadyGone,
    /// The provider offers no deletion: the card stays there, Coffer no longer uses it.
    NotOffered,
}

/// One card of an erased customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ErasedCard {
    /// Coffer's card id.
    pub card_id: i64,
    /// Kept for bookkeeping.
    pub last4: String,
    /// What the provider did.
    pub at_provider: CardAtProvider,
}

/// What an erasure did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ErasureReport {
    /// The erased customer.
    pub customer_id: i64,
    /// Its cards and what their provider did.
    pub cards: Vec<ErasedCard>,
    /// Contracts ended (without notice).
    pub contracts_ended: u32,
    /// Outbox .eml notices deleted.
    pub outbox_files_deleted: u32,
    /// Ledger rows whose kept request lost the buyer's name and address (amounts and
    /// references kept).
    pub ledger_rows_pseudonymised: u32,
    /// Notice rows whose recipient was blanked.
    pub notices_blanked: u32,
    /// Audit events whose personal details were blanked (the chain still verifies).
    pub audit_events_blanked: u32,
    /// What stays, in the owner's words.
    pub kept: String,
    /// Where the customer's details can still be read, one sentence each: the copies Coffer
    /// kept before upgrades (the owner deletes them when no longer needed), and the database's
    /// write-ahead log if another window of Coffer kept it from being emptied. Empty when the
    /// details are nowhere on this computer's Coffer files.
    pub still_held: Vec<String>,
}

/// What Coffer keeps of an erased customer, as the report and the confirmation say it.
pub const KEPT: &str = "Kept: amounts, dates, order ids, provider references, the card's brand, \
     last four digits and expiry, and the audit log (its chain still verifies). Gone: name, \
     e-mail, phone, address and the outbox notices.";

/// Where the details can still be read after the erasure, one sentence each for the report:
/// the copies kept before upgrades, the exports that show the person, and the write-ahead log
/// when another connection kept it from being emptied.
fn still_held(
    copies: &[crate::copies::UpgradeCopyView],
    exports: &[std::path::PathBuf],
    by_name: bool,
    wal_emptied: bool,
) -> Vec<String> {
    let shows = if by_name {
        "shows a customer of this name (this one, or another of the same name)"
    } else {
        "shows this customer's e-mail or phone"
    };
    let copies = copies.iter().map(|copy| {
        format!(
            "{}: a copy of the database kept before an upgrade, as it was then; delete it when \
             you no longer need to go back to that version (Settings, Data folder, or `coffer \
             copies delete`)",
            copy.path
        )
    });
    let exports = exports.iter().map(|export| {
        format!(
            "{}: a CSV export made before the erasure that {shows}; exports are yours, so Coffer \
             leaves them: delete it, or the customer's rows in it",
            export.display()
        )
    });
    let wal = (!wal_emptied).then(|| {
        "the database's write-ahead log (coffer.db-wal), until later changes overwrite it or \
         every Coffer window and command is closed (the log is emptied then): another one was \
         reading the database"
            .to_string()
    });
    copies.chain(exports).chain(wal).collect()
}

fn count(n: impl TryInto<u32>) -> u32 {
    n.try_into().unwrap_or(u32::MAX)
}

impl Engine {
    /// Erases a customer's personal data (see the module doc for every step).
    pub async fn erase_customer(&self, id: CustomerId) -> EngineResult<ErasureReport> {
        let (customer, merchant, cards, contracts) = self
            .read_store(move |store| {
                let customer = store.customer(id)?;
                if let Some(at) = store.customer_erased_at(id)? {
                    return Err(EngineError::new(
                        ErrorKind::Conflict,
                        format!("customer {id} was already erased ({at})"),
                    ));
                }
                let unsettled = store.unsettled_attempts_of_customer(id)?;
                if !unsettled.is_empty() {
                    let list: Vec<String> = unsettled.iter().map(ToString::to_string).collect();
                    return Err(EngineError::new(
                        ErrorKind::Conflict,
                        format!(
                            "customer {id} has charge attempts whose outcome is not settled yet \
                             ({}): reconcile them first, then erase",
                            list.join(", ")
                        ),
                    ));
                }
                let merchant = store.merchant(customer.merchant_id)?;
                let mut cards = Vec::new();
                let mut contracts = Vec::new();
                for card in store.card_ids_of_customer(id)? {
                    cards.push(store.card(card)?);
                    contracts.extend(
                        store
                            .contracts(&ContractFilter {
                                merchants: Vec::new(),
                                card: Some(card),
                                status: None,
                            })?
                            .into_iter()
                            .filter(|c| {
                                matches!(c.status, ContractStatus::Active | ContractStatus::Paused)
                            })
                            .map(|c| c.id),
                    );
                }
                Ok((customer, merchant, cards, contracts))
            })
            .await?;

        let traces = exports::traces_of(&customer);
        let outcomes = self.revoke_cards(&merchant, &customer, &cards).await?;
        let erased_cards: Vec<ErasedCard> = cards
            .iter()
            .zip(outcomes)
            .map(|(card, at_provider)| ErasedCard {
                card_id: card.id.0,
                last4: card.last4.as_str().to_string(),
                at_provider,
            })
            .collect();

        let reason = "the customer was erased (data-protection request); no notice is sent";
        for contract in &contracts {
            self.set_status(*contract, ContractStatus::Ended, reason)
                .await?;
        }

        let files = self
            .read_store(move |store| Ok(store.outbox_notices_of_customer(id)?))
            .await?;
        let dir = self.data_dir().to_path_buf();
        let deleted = tokio::task::spawn_blocking(move || delete_files(&dir, &files))
            .await
            .map_err(|e| EngineError::new(ErrorKind::Internal, format!("outbox task: {e}")))??;

        let now = self.now();
        let revoked = erased_cards
            .iter()
            .filter(|c| c.at_provider != CardAtProvider::NotOffered)
            .count();
        let mut event = self.audit_event(
            Some(merchant.id.0),
            "customer_erased",
            format!("customer:{}", customer.reference),
            serde_json::Value::Null,
        );
        let card_ids: Vec<CardId> = cards.iter().map(|c| c.id).collect();
        let contracts_ended = count(contracts.len());
        let rows = self
            .with_store(move |store| {
                Ok(store.batch(|store| {
                    for card in &card_ids {
                        store.deactivate_card(*card)?;
                    }
                    let rows = store.erase_customer_records(id, now)?;
                    // A pending page must not save a card for an erased customer.
                    for pending in store.enrollments_of(id)? {
                        store.settle_enrollment(
                            pending.id,
                            &coffer_store::enrollments::Settled::Ended {
                                state: coffer_core::EnrollmentState::Cancelled,
                                why: "the customer was erased".into(),
                            },
                            now,
                        )?;
                    }
                    store.forget_enrollment_details(id)?;
                    event.details = serde_json::json!({
                        "customer_id": id.0,
                        "cards": card_ids.len(),
                        "cards_revoked": revoked,
                        "contracts_ended": contracts_ended,
                        "outbox_files_deleted": deleted,
                        "ledger_rows_pseudonymised": rows.ledger_rows,
                        "notices_blanked": rows.notices,
                        "audit_events_blanked": rows.audit_events,
                    })
                    .to_string();
                    store.append_audit_here(event)?;
                    Ok(rows)
                })?)
            })
            .await?;
        // Outside the transaction: a checkpoint cannot run inside one.
        let wal_emptied = self
            .with_store(move |store| Ok(store.scrub_after_erasure()?))
            .await?;
        let copies = self.upgrade_copies().await?;
        let by_name = traces.by_name;
        let exports = self.exports_holding(traces.strings).await?;
        let still_held = still_held(&copies, &exports, by_name, wal_emptied);
        Ok(ErasureReport {
            customer_id: id.0,
            cards: erased_cards,
            contracts_ended,
            outbox_files_deleted: deleted,
            ledger_rows_pseudonymised: count(rows.ledger_rows),
            notices_blanked: count(rows.notices),
            audit_events_blanked: count(rows.audit_events),
            kept: KEPT.to_string(),
            still_held,
        })
    }

    /// Deletes saved cards at the merchant's provider where it offers that, one by one; where
    /// it does not, nothing is sent and each card is [`CardAtProvider::NotOffered`]. The first
    /// failure stops it (cards deleted before it stay deleted: deletion is irreversible, and a
    /// second run finds them already gone).
    /// Deletes each card at the provider where it offers that (card delete's own call), and
    /// stops at the first failure, before anything is erased.
    async fn revoke_cards(
        &self,
        merchant: &coffer_core::Merchant,
        customer: &coffer_core::Customer,
        cards: &[coffer_core::Card],
    ) -> EngineResult<Vec<CardAtProvider>> {
        let offered = coffer_core::providers::rules(merchant.provider())
            .capabilities
            .deletes_saved_cards;
        if !offered {
            return Ok(vec![CardAtProvider::NotOffered; cards.len()]);
        }
        let mut out = Vec::with_capacity(cards.len());
        for card in cards {
            let done = self
                .revoke_at_provider(merchant, customer, card)
                .await
                .map_err(|e| {
                    EngineError::new(
                        e.kind(),
                        format!(
                            "card {} could not be deleted at the provider, nothing was erased: {e}",
                            card.id
                        ),
                    )
                })?;
            out.push(match done {
                Revoked::Deleted => CardAtProvider::Deleted,
                Revoked::AlreadyGone => CardAtProvider::AlreadyGone,
            });
        }
        Ok(out)
    }
}

/// Deletes the files that are there (a relative path is the profile directory's); a file
/// already gone counts as nothing.
fn delete_files(dir: &std::path::Path, paths: &[String]) -> EngineResult<u32> {
    let mut deleted = 0;
    for path in paths {
        match std::fs::remove_file(dir.join(path)) {
            Ok(()) => deleted += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(EngineError::new(
                    ErrorKind::Internal,
                    format!("cannot delete the outbox notice {path}: {e}"),
                ))
            }
        }
    }
    Ok(deleted)
}
