//! `coffer charge`, `refund`, `reconcile`, `charges`, and the consent / initial transaction of a
//! card (`card consent`, `card initial`).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use coffer_core::{AttemptId, CardId, ChargeState, CustomerId, MerchantId, Reason};
use coffer_engine::charge::ChargeQuery;
use coffer_engine::charge::{ChargeInput, ChargeResult};
use coffer_engine::consent::InitialInput;
use coffer_engine::reconcile::Resolution;
use coffer_engine::refunds::RefundInput;
use coffer_engine::ErrorKind;

use crate::exit_code;
use crate::output::Output;

#[derive(Args)]
pub struct ChargeArgs {
    /// The card to charge.
    #[arg(long)]
    card: i64,
    /// Amount in the merchant's currency, e.g. 12.34.
    #[arg(long)]
    amount: String,
    /// unscheduled (a card-on-file charge) or recurring.
    #[arg(long, default_value = "unscheduled", value_parser = ["unscheduled", "recurring", "installment"])]
    reason: String,
    /// Charge in the name of this merchant (default: the card's own).
    #[arg(long)]
    merchant: Option<i64>,
    /// The same key, from any process, returns the first attempt and never charges twice.
    #[arg(long)]
    idempotency_key: Option<String>,
    /// Show the flags and the policy verdict; send nothing.
    #[arg(long)]
    dry_run: bool,
    /// Shown to the cardholder where the provider has a description.
    #[arg(long)]
    description: Option<String>,
    /// Confirm an amount above the merchant's "confirm charges above" limit (see `coffer
    /// merchant list`); without it such a charge is refused and nothing is sent.
    #[arg(long)]
    confirm_large: bool,
}

#[derive(Args)]
pub struct RefundArgs {
    /// The charge's attempt id.
    attempt: i64,
    /// How much (default: all that is not yet refunded).
    #[arg(long)]
    amount: Option<String>,
    /// The same key, from any process, returns the first refund and never refunds twice.
    #[arg(long)]
    idempotency_key: Option<String>,
}

#[derive(Args)]
pub struct RefundTransferredArgs {
    /// The refund's attempt id (the one `coffer refund` printed as awaiting your transfer).
    attempt: i64,
}

#[derive(Args)]
pub struct ReconcileArgs {
    /// Leave alone a request that left less than this long ago (seconds): it may still be in
    /// flight. Older ones are looked up, and resent only where the provider makes that safe.
    #[arg(long, default_value_t = coffer_engine::reconcile::DEFAULT_GRACE_SECS)]
    older_than: i64,
    /// Only this merchant's attempts (repeatable); all merchants' without it.
    #[arg(long = "merchant", value_name = "ID")]
    merchants: Vec<i64>,
    /// Only this card's attempts.
    #[arg(long, value_name = "ID")]
    card: Option<i64>,
}

#[derive(Args)]
pub struct ResolveArgs {
    /// The attempt whose outcome is unknown.
    attempt: i64,
    /// You found it made at the provider: its reference there.
    #[arg(long, conflicts_with_all = ["not_made", "checked_on"], required_unless_present = "not_made")]
    made: Option<String>,
    /// You checked at the provider and it is not there.
    #[arg(long, requires = "checked_on")]
    not_made: bool,
    /// The day you checked at the provider (YYYY-MM-DD).
    #[arg(long)]
    checked_on: Option<chrono::NaiveDate>,
}

#[derive(Args)]
pub struct AlertsArgs {
    /// Only this merchant's alerts.
    #[arg(long)]
    merchant: Option<i64>,
    /// Mark this alert seen (it stays on record).
    #[arg(long)]
    acknowledge: Option<i64>,
}

#[derive(Args)]
pub struct ChargesArgs {
    #[arg(long)]
    card: Option<i64>,
    #[arg(long)]
    customer: Option<i64>,
    #[arg(long)]
    merchant: Option<i64>,
    /// planned | sending | succeeded | declined | failed | awaiting_transfer.
    #[arg(long)]
    status: Option<ChargeState>,
    #[arg(long, default_value_t = 100)]
    limit: u32,
}

#[derive(Subcommand)]
pub enum CardCommand {
    /// Import stored cards with their consent and initial transaction from CSV.
    Import(super::card_import::ImportArgs),
    /// Stop using a card: Coffer charges it no more and its contracts end (the cardholder is
    /// told). The card stays saved at the provider, where the web shop may still use it.
    StopUsing {
        /// The card.
        card: i64,
    },
    /// Delete a card at the provider (Clover, ProcessOut): irreversible; neither Coffer nor the
    /// web shop can charge it again, and its contracts end (the cardholder is told).
    Delete {
        /// The card.
        card: i64,
        /// Confirm the deletion (required: it cannot be undone).
        #[arg(long)]
        yes: bool,
    },
    /// Show one card: its initial transaction and kind, whether it must be re-enrolled, and why.
    Show {
        /// The card.
        card: i64,
    },
    /// Record the cardholder's consent to merchant-initiated charges.
    Consent {
        /// The card.
        card: i64,
        /// The terms text the cardholder agreed to.
        #[arg(long)]
        terms: String,
    },
    /// Make the initial cardholder-initiated transaction (with consent) that MITs link to.
    Initial {
        /// The customer.
        #[arg(long)]
        customer: i64,
        /// The stored card (not for Svea, whose card page creates it).
        #[arg(long)]
        card: Option<i64>,
        /// Amount of the initial charge.
        #[arg(long)]
        amount: String,
        /// What later charges will be: recurring, installment or unscheduled.
        #[arg(long, default_value = "recurring", value_parser = ["unscheduled", "recurring", "installment"])]
        reason: String,
        /// The terms text the cardholder agreed to.
        #[arg(long)]
        terms: String,
    },
}

pub(crate) fn reason(text: &str) -> Reason {
    match text {
        "recurring" => Reason::Recurring,
        "installment" => Reason::Installment,
        _ => Reason::Unscheduled,
    }
}

fn print_result(r: &ChargeResult) {
    outln!(
        "{}: {} (attempt {}){}",
        r.status,
        r.amount,
        r.attempt_id
            .map(|i| i.to_string())
            .unwrap_or_else(|| "none".into()),
        if r.replayed {
            ", the first answer for this idempotency key"
        } else {
            ""
        }
    );
    if let Some(reference) = &r.provider_ref {
        outln!("  provider reference: {reference}");
    }
    for v in &r.violations {
        outln!("  refused by {}: {}", v.rule, v.message);
    }
    if let Some(m) = &r.message {
        if r.violations.is_empty() {
            outln!("  {m}");
        }
    }
    for w in &r.warnings {
        outln!("  warning: {w}");
    }
}

pub async fn charge(
    args: ChargeArgs,
    data_dir: Option<PathBuf>,
    out: Output,
) -> anyhow::Result<u8> {
    let engine = super::engine(data_dir)?;
    let input = ChargeInput {
        card: CardId(args.card),
        amount: args.amount,
        reason: reason(&args.reason),
        merchant: args.merchant.map(MerchantId),
        idempotency_key: args.idempotency_key,
        description: args.description,
        confirm_large: args.confirm_large,
    };
    if args.dry_run {
        let preview = engine.preview_charge(input).await?;
        out.show(&preview, |p| {
            outln!(
                "{} {} on {} •••• {} ({})",
                p.provider,
                p.amount,
                p.card.brand,
                p.card.last4,
                p.merchant_name
            );
            outln!(
                "  flags: sequence={:?} initiator={:?} reason={:?} scheduled={} initial_ref={}",
                p.flags.sequence,
                p.flags.initiator,
                p.flags.reason,
                p.flags.scheduled,
                p.flags
                    .initial_ref
                    .as_ref()
                    .map(|r| r.0.as_str())
                    .unwrap_or("none")
            );
            if p.violations.is_empty() {
                outln!(
                    "  policy: every rule passes ({})",
                    p.rules_checked.join(", ")
                );
            }
            for v in &p.violations {
                outln!("  refused by {}: {}", v.rule, v.message);
            }
        })?;
        return Ok(if preview.violations.is_empty() {
            0
        } else {
            exit_code(ErrorKind::PolicyRefused)
        });
    }
    let result = engine.charge_card(input).await?;
    out.show(&result, print_result)?;
    Ok(result.error_kind().map(exit_code).unwrap_or(0))
}

pub async fn refund(
    args: RefundArgs,
    data_dir: Option<PathBuf>,
    out: Output,
) -> anyhow::Result<u8> {
    let engine = super::engine(data_dir)?;
    let result = engine
        .refund_charge(RefundInput {
            charge: AttemptId(args.attempt),
            amount: args.amount,
            idempotency_key: args.idempotency_key,
        })
        .await?;
    out.show(&result, print_refund)?;
    Ok(match result.status {
        // Taken by the provider; the transfer instructions are the owner's to act on.
        ChargeState::Succeeded | ChargeState::AwaitingTransfer => 0,
        ChargeState::Sending | ChargeState::Planned => exit_code(ErrorKind::UnknownOutcome),
        _ => 1,
    })
}

fn print_refund(r: &coffer_engine::refunds::RefundResult) {
    outln!(
        "refund {}: {} of attempt {} (refund attempt {})",
        r.status,
        r.amount,
        r.refund_of,
        r.attempt_id
    );
    outln!("  {} of {} left to refund", r.left, r.charge_amount);
    match &r.transfer {
        Some(t) if t.transferred_at.is_none() => {
            outln!("  The payment was already settled to you: the cardholder is refunded only");
            outln!("  after you transfer the money to the provider. Pay exactly:");
            outln!("    recipient  {}", t.recipient);
            outln!("    IBAN       {}", t.iban);
            outln!("    reference  {}", t.reference);
            outln!("    amount     {}", t.amount);
            outln!(
                "  Then record it: coffer refund-transferred {}",
                r.attempt_id
            );
        }
        _ => {
            if let Some(m) = &r.message {
                outln!("  {m}");
            }
        }
    }
}

/// `coffer refund-transferred`: the owner's bank transfer for a refund after settlement is made.
pub async fn refund_transferred(
    args: RefundTransferredArgs,
    data_dir: Option<PathBuf>,
    out: Output,
) -> anyhow::Result<u8> {
    let engine = super::engine(data_dir)?;
    let result = engine
        .record_refund_transfer(AttemptId(args.attempt))
        .await?;
    out.show(&result, print_refund)?;
    Ok(0)
}

pub async fn resolve(
    args: ResolveArgs,
    data_dir: Option<PathBuf>,
    out: Output,
) -> anyhow::Result<u8> {
    let engine = super::engine(data_dir)?;
    let resolution = match (args.made, args.checked_on) {
        (Some(provider_ref), _) => Resolution::Made { provider_ref },
        (None, Some(checked_on)) => Resolution::NotMade { checked_on },
        (None, None) => anyhow::bail!("say --made REFERENCE or --not-made --checked-on DATE"),
    };
    let done = engine
        .resolve_attempt(AttemptId(args.attempt), resolution)
        .await?;
    out.show(&done, |a| {
        outln!("attempt {}: {} ({})", a.attempt_id, a.status, a.note)
    })?;
    Ok(0)
}

pub async fn reconcile(
    args: ReconcileArgs,
    data_dir: Option<PathBuf>,
    out: Output,
) -> anyhow::Result<u8> {
    let engine = super::engine(data_dir)?;
    let scope = coffer_engine::reconcile::ReconcileScope {
        merchants: args.merchants.into_iter().map(MerchantId).collect(),
        card: args.card.map(CardId),
    };
    let summary = engine
        .reconcile_in(&scope, chrono::Duration::seconds(args.older_than.max(0)))
        .await?;
    out.show(&summary, |s| {
        for a in &s.settled {
            outln!("attempt {}: {} ({})", a.attempt_id, a.status, a.note);
        }
        for a in &s.unresolved {
            outln!("attempt {}: outcome unknown ({})", a.attempt_id, a.note);
            if let Some(check) = &a.what_to_check {
                outln!("  {check}");
            }
        }
        for alert in &s.alerts {
            outln!("ALERT: {alert}");
        }
        if s.settled.is_empty() && s.unresolved.is_empty() {
            outln!("nothing to reconcile");
        }
    })?;
    Ok(u8::from(
        !summary.unresolved.is_empty() || !summary.alerts.is_empty(),
    ))
}

pub async fn alerts(
    args: AlertsArgs,
    data_dir: Option<PathBuf>,
    out: Output,
) -> anyhow::Result<u8> {
    let engine = super::engine(data_dir)?;
    if let Some(id) = args.acknowledge {
        engine.acknowledge_alert(id).await?;
    }
    let alerts = engine
        .list_alerts(
            args.merchant
                .map(MerchantId)
                .into_iter()
                .collect::<Vec<_>>(),
        )
        .await?;
    out.show(&alerts, |alerts| {
        for a in alerts {
            outln!(
                "alert {} ({}), attempt {}: {}",
                a.id,
                a.kind,
                a.attempt_id,
                a.message
            );
        }
        if alerts.is_empty() {
            outln!("no open alert");
        }
    })?;
    Ok(u8::from(!alerts.is_empty()))
}

pub async fn charges(
    args: ChargesArgs,
    data_dir: Option<PathBuf>,
    out: Output,
) -> anyhow::Result<u8> {
    let engine = super::engine(data_dir)?;
    let rows = engine
        .charge_history(ChargeQuery {
            merchants: args.merchant.map(MerchantId).into_iter().collect(),
            card: args.card.map(CardId),
            customer: args.customer,
            state: args.status,
            limit: Some(args.limit),
        })
        .await?;
    out.show(&rows, |rows| {
        for line in rows {
            let a = &line.attempt;
            // A charge's refunds change what its state says: "refunded", "partly refunded: … left".
            let state = match &line.refunds {
                Some(standing) => standing.words.clone(),
                None => a.state.to_string(),
            };
            outln!(
                "{:>6}  {:<7} {:<9} {:>14}  card {:>6}  {}  {}{}",
                a.id,
                format!("{:?}", a.kind).to_lowercase(),
                state,
                a.amount.to_string(),
                a.card_id,
                a.created_at.format("%Y-%m-%d %H:%M"),
                a.provider_ref.as_ref().map(|r| r.0.as_str()).unwrap_or(""),
                a.refund_of
                    .map(|r| format!("  refund of {r}"))
                    .unwrap_or_default()
            );
        }
    })?;
    Ok(0)
}

pub async fn card(cmd: CardCommand, data_dir: Option<PathBuf>, out: Output) -> anyhow::Result<u8> {
    let engine = super::engine(data_dir)?;
    match cmd {
        CardCommand::Import(args) => return super::card_import::import(&engine, args, out).await,
        CardCommand::StopUsing { card } => {
            return super::card_life::stop_using(&engine, CardId(card), out).await;
        }
        CardCommand::Delete { card, yes } => {
            return super::card_life::delete(&engine, CardId(card), yes, out).await;
        }
        CardCommand::Show { card } => {
            let view = engine.show_card(CardId(card)).await?;
            out.show(&view, |c| {
                match &c.apm {
                    Some(name) => println!(
                        "card {} (customer {}): {name} (APM token)  {}",
                        c.id, c.customer_id, c.status.label
                    ),
                    None => println!(
                        "card {} (customer {}): {} •••• {}  {:02}/{}  {}",
                        c.id,
                        c.customer_id,
                        c.brand,
                        c.last4,
                        c.exp_month,
                        c.exp_year,
                        c.status.label
                    ),
                }
                println!(
                    "  status: {} ({})",
                    c.status.state.as_str(),
                    c.status.reason
                );
                println!("  next step: {}", c.status.next_step);
                println!("  provider: {}  token: {}", c.provider, c.token);
                println!(
                    "  initial: {} ({})",
                    c.initial_ref.as_deref().unwrap_or("none"),
                    c.initial_kind.as_deref().unwrap_or("-")
                );
                if let Some(art) = &c.art_url {
                    println!("  card art: {art}");
                }
            })?;
        }
        CardCommand::Consent { card, terms } => {
            let view = engine.record_consent(CardId(card), terms).await?;
            out.show(&view, |c| {
                outln!("consent recorded for card {} (•••• {})", c.id, c.last4)
            })?;
        }
        CardCommand::Initial {
            customer,
            card,
            amount,
            reason: why,
            terms,
        } => {
            let result = engine
                .record_initial(InitialInput {
                    customer: CustomerId(customer),
                    card: card.map(CardId),
                    amount,
                    reason: reason(&why),
                    terms,
                })
                .await?;
            out.show(&result, |r| match (&r.card, &r.card_page_url) {
                (Some(card), _) => outln!(
                    "initial transaction recorded on card {} (•••• {}): MITs link to {}",
                    card.id,
                    card.last4,
                    r.initial_ref.as_deref().unwrap_or("?")
                ),
                (None, Some(url)) => outln!("the cardholder must complete the card page: {url}"),
                _ => outln!("{:?}", r.status),
            })?;
        }
    }
    Ok(0)
}
