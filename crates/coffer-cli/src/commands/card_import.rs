//! `coffer card import FILE.csv --merchant ID`: cards a merchant already holds, with the
//! consent and initial transaction its shop made, made MIT-ready in one go (Engine::import_cards).

use std::path::PathBuf;

use clap::Args;
use coffer_core::MerchantId;
use coffer_engine::{Engine, ErrorKind};

use crate::exit_code;
use crate::output::Output;

/// Import stored cards with their consent and initial transaction from CSV:
/// customer_reference,card_token,initial_ref,consent_at,terms, plus the optional columns the
/// README lists (Assist: initial_date, recurring_min, recurring_max, recurring_period,
/// recurring_max_date; Svea: original_amount, street, postal_code, city, country). Every row is
/// checked with the provider first; all rows are saved or none.
#[derive(Args)]
pub struct ImportArgs {
    /// The CSV file.
    pub file: PathBuf,
    /// The merchant the cards are stored at.
    #[arg(long)]
    pub merchant: i64,
}

/// Runs the import; exits with the invalid-input code, listing every problem, when a row is
/// wrong (nothing saved then).
pub async fn import(engine: &Engine, args: ImportArgs, out: Output) -> anyhow::Result<u8> {
    let report = engine
        .import_cards(MerchantId(args.merchant), &args.file)
        .await?;
    out.show(&report, |r| {
        if !r.saved() {
            errln!(
                "nothing imported: {} problem(s) in {}",
                r.problems.len(),
                args.file.display()
            );
            for p in &r.problems {
                errln!("  {p}");
            }
            return;
        }
        outln!(
            "imported {} card(s) into merchant {}: each is MIT-ready",
            r.imported.len(),
            r.merchant_id
        );
        for c in &r.imported {
            outln!(
                "  line {}: card {} of customer {}, initial {}",
                c.line,
                c.card_id,
                c.customer_reference,
                c.initial_ref
            );
            for given in &c.taken_as_given {
                outln!("    taken as given: {given}");
            }
        }
    })?;
    Ok(if report.saved() {
        0
    } else {
        exit_code(ErrorKind::InvalidInput)
    })
}
