//! `coffer customer erase ID --yes`: a data-protection request (`Engine::erase_customer`).

use coffer_core::CustomerId;
use coffer_engine::erase::{CardAtProvider, ErasureReport, KEPT};
use coffer_engine::{Engine, EngineError, ErrorKind};

use crate::output::Output;

/// Erases the customer once `--yes` says the owner means it (erasure cannot be undone).
pub async fn erase(engine: &Engine, customer: i64, yes: bool, out: Output) -> anyhow::Result<u8> {
    if !yes {
        return Err(EngineError::new(
            ErrorKind::InvalidInput,
            format!(
                "yes: erasing customer {customer} cannot be undone; add --yes to go on. \
                 Their saved cards are deleted at providers that offer it and their contracts \
                 end without notice. {KEPT}"
            ),
        )
        .into());
    }
    let report = engine.erase_customer(CustomerId(customer)).await?;
    out.show(&report, show)?;
    Ok(0)
}

fn show(report: &ErasureReport) {
    outln!("customer {} erased", report.customer_id);
    for card in &report.cards {
        let what = match card.at_provider {
            CardAtProvider::Deleted => "deleted at the provider",
            CardAtProvider::AlreadyGone => "already gone at the provider",
            CardAtProvider::NotOffered => {
                "kept by the provider (it offers no deletion); Coffer no longer uses it"
            }
        };
        outln!("  card {} (…{}): {what}", card.card_id, card.last4);
    }
    outln!(
        "  contracts ended without notice: {}; outbox notices deleted: {}",
        report.contracts_ended,
        report.outbox_files_deleted
    );
    outln!(
        "  ledger rows pseudonymised: {}; notices blanked: {}; audit events blanked: {}",
        report.ledger_rows_pseudonymised,
        report.notices_blanked,
        report.audit_events_blanked
    );
    outln!("  {}", report.kept);
    if !report.still_held.is_empty() {
        outln!("  Still holding this customer's details:");
        for place in &report.still_held {
            outln!("    {place}");
        }
    }
}
