//! `coffer contract create|edit|consent|initial|set-amount|pause|resume|skip|unskip|cancel|list|show|import`
//! and `coffer notices`.

use std::io::Read;
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Subcommand};
use coffer_core::contract::{ContractStatus, Frequency};
use coffer_core::{CardId, ContractId, MerchantId};
use coffer_engine::contracts::{ContractEdit, ContractInput, ContractView};
use coffer_engine::notices::SmtpInput;
use secrecy::SecretString;

use crate::output::Output;

#[derive(Args, Default)]
pub struct FrequencyArgs {
    /// Every month on this day (1–31; the last day of shorter months).
    #[arg(long, value_name = "DAY", conflicts_with_all = ["yearly", "every_days"])]
    monthly: Option<u32>,
    /// Every year on this month and day, MM-DD.
    #[arg(long, value_name = "MM-DD", conflicts_with = "every_days")]
    yearly: Option<String>,
    /// Every N days from the start date.
    #[arg(long, value_name = "N")]
    every_days: Option<u32>,
}

impl FrequencyArgs {
    pub(crate) fn frequency(&self) -> anyhow::Result<Option<Frequency>> {
        if let Some(day) = self.monthly {
            return Ok(Some(Frequency::Monthly { day }));
        }
        if let Some(days) = self.every_days {
            return Ok(Some(Frequency::EveryDays { days }));
        }
        if let Some(text) = &self.yearly {
            let parsed = text
                .split_once('-')
                .and_then(|(m, d)| Some((m.parse().ok()?, d.parse().ok()?)));
            let Some((month, day)) = parsed else {
                return Err(
                    coffer_engine::EngineError::from(coffer_core::InvalidInput::new(
                        "yearly",
                        format!("'{text}' must be MM-DD, e.g. 03-15"),
                    ))
                    .into(),
                );
            };
            return Ok(Some(Frequency::Yearly { month, day }));
        }
        Ok(None)
    }
}

#[derive(Subcommand)]
pub enum ContractCommand {
    /// Create a recurring contract on a card with consent and an initial transaction; the
    /// cardholder gets the contract confirmation.
    Create {
        /// The card.
        #[arg(long)]
        card: i64,
        /// A fixed amount per charge.
        #[arg(long, conflicts_with_all = ["max", "min"])]
        amount: Option<String>,
        /// The largest amount of a varying charge.
        #[arg(long)]
        max: Option<String>,
        /// The smallest amount of a varying charge (Assist RecurringMinAmount).
        #[arg(long)]
        min: Option<String>,
        /// The original payment amount (default: the card's initial transaction).
        #[arg(long)]
        original: Option<String>,
        #[command(flatten)]
        frequency: FrequencyArgs,
        /// First possible due date, YYYY-MM-DD (default: today).
        #[arg(long)]
        start: Option<NaiveDate>,
        /// Last possible due date, YYYY-MM-DD.
        #[arg(long)]
        end: Option<NaiveDate>,
    },
    /// Change a contract's terms; the old terms are kept in its history. The cardholder is sent
    /// a notice of the change (what, from which charge, how to cancel); the new terms apply from
    /// the first charge not yet announced. A higher amount is not charged until new consent is
    /// recorded (`contract consent`), or above Svea's original amount / Assist's registered
    /// maximum until a new initial transaction (`contract initial`). `--dry-run` shows all this
    /// without changing anything.
    Edit {
        /// The contract.
        id: i64,
        #[arg(long, conflicts_with_all = ["max", "min"])]
        amount: Option<String>,
        #[arg(long)]
        max: Option<String>,
        #[arg(long)]
        min: Option<String>,
        #[command(flatten)]
        frequency: FrequencyArgs,
        /// New end date.
        #[arg(long, conflicts_with = "no_end")]
        end: Option<NaiveDate>,
        /// Remove the end date.
        #[arg(long)]
        no_end: bool,
        /// Why, kept in the history.
        #[arg(long)]
        reason: Option<String>,
        /// Show what the change would do (notice, consent, new initial) and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Record the cardholder's consent to the contract's changed terms: charges up to its new
    /// amount are no longer held (audited).
    Consent {
        /// The contract.
        id: i64,
        /// What the cardholder agreed to, as shown to them.
        #[arg(long)]
        terms: String,
    },
    /// Make a new initial cardholder-initiated transaction for the contract's new terms (needed
    /// above Svea's original amount), with the cardholder's consent; the contract moves onto it.
    Initial {
        /// The contract.
        id: i64,
        /// Amount of the initial payment (default: the contract's largest charge).
        #[arg(long)]
        amount: Option<String>,
        /// What the cardholder agreed to, as shown to them.
        #[arg(long)]
        terms: String,
    },
    /// Set what one occurrence of a varying contract charges, before its notice goes out.
    SetAmount {
        /// The contract.
        id: i64,
        /// The occurrence's number (see `contract show` or `upcoming`).
        #[arg(long)]
        occurrence: u32,
        /// The amount, within the contract's bounds.
        #[arg(long)]
        amount: String,
    },
    /// Stop charging until resumed. A charge already announced to the cardholder is cancelled
    /// and the cardholder is sent a cancellation of it. Undo: `contract resume`.
    Pause {
        /// The contract.
        id: i64,
    },
    /// Charge again from the next due date (those missed while paused are not charged); the
    /// next charge is announced at once where its notice is due. Undo: `contract pause`.
    Resume {
        /// The contract.
        id: i64,
    },
    /// Skip one upcoming charge: it is not made. If it was announced, the cardholder is sent a
    /// cancellation of it (and it stays skipped); otherwise `contract unskip` undoes it.
    Skip {
        /// The contract.
        id: i64,
        /// The occurrence's number (see `contract show`).
        #[arg(long)]
        occurrence: u32,
    },
    /// Undo a skip the cardholder was not told of: the charge is scheduled and announced again.
    Unskip {
        /// The contract.
        id: i64,
        /// The occurrence's number.
        #[arg(long)]
        occurrence: u32,
    },
    /// Cancel the whole contract, one upcoming occurrence, or a made charge (refunded).
    Cancel {
        /// The contract.
        id: i64,
        /// Cancel only this upcoming occurrence (the same as `contract skip`).
        #[arg(long, conflicts_with = "charge")]
        occurrence: Option<u32>,
        /// Refund the charge made for this occurrence.
        #[arg(long)]
        charge: Option<u32>,
        /// With --charge: refund this much of it (all that is left without it).
        #[arg(long, requires = "charge")]
        amount: Option<String>,
        /// Why.
        #[arg(long)]
        reason: Option<String>,
    },
    /// List contracts.
    List {
        #[arg(long)]
        merchant: Option<i64>,
        #[arg(long)]
        card: Option<i64>,
        /// active | paused | cancelled | ended.
        #[arg(long, value_parser = ["active", "paused", "cancelled", "ended"])]
        status: Option<String>,
    },
    /// One contract with its occurrences and history.
    Show {
        /// The contract.
        id: i64,
    },
    /// Import the recurring contracts a merchant's old billing system charged, from CSV: all
    /// rows or none; the columns are in the README ("Importing contracts").
    Import {
        /// The CSV file.
        file: PathBuf,
        /// The merchant whose cards the contracts are on.
        #[arg(long)]
        merchant: i64,
    },
}

#[derive(Args)]
pub struct NoticesArgs {
    #[command(subcommand)]
    command: Option<NoticesCommand>,
    /// Pre-charge notices still owed (and whether they are already too late).
    #[arg(long)]
    pending: bool,
    #[arg(long)]
    merchant: Option<i64>,
}

#[derive(Subcommand)]
pub enum NoticesCommand {
    /// How a merchant's notices go out: the .eml outbox (default) or SMTP.
    Smtp {
        /// The merchant.
        #[arg(long)]
        merchant: i64,
        /// SMTP server; without it, show the settings.
        #[arg(long)]
        host: Option<String>,
        #[arg(long, default_value_t = 587)]
        port: u16,
        /// none | starttls | tls. `none` takes no password: it would cross the network readable.
        #[arg(long, default_value = "starttls", value_parser = ["none", "starttls", "tls"])]
        security: String,
        #[arg(long)]
        username: Option<String>,
        /// The From address.
        #[arg(long)]
        from: Option<String>,
        /// Read the SMTP password from stdin (it goes to the keyring).
        #[arg(long)]
        password_stdin: bool,
        /// Back to the .eml outbox.
        #[arg(long, conflicts_with = "host")]
        clear: bool,
    },
}

fn print_contract(c: &ContractView) {
    outln!(
        "contract {} [{}] {} — {} on {} ({}), {}",
        c.contract.id,
        format!("{:?}", c.contract.status).to_lowercase(),
        c.merchant_name,
        c.customer_name,
        c.card,
        c.amount_words,
        c.frequency_words
    );
    outln!(
        "  from {} until {}{}",
        c.contract.start,
        c.contract
            .end
            .map(|d| d.to_string())
            .unwrap_or_else(|| "cancelled".into()),
        c.next_due
            .map(|d| format!(", next due {d}"))
            .unwrap_or_default()
    );
    for o in &c.occurrences {
        outln!(
            "  #{} {} {} {}{}",
            o.number,
            o.due,
            o.amount,
            format!("{:?}", o.state).to_lowercase(),
            o.notice_sent_at
                .map(|at| format!(", notice sent {}", at.format("%Y-%m-%d %H:%M UTC")))
                .unwrap_or_default()
        );
    }
    for h in &c.history {
        outln!(
            "  changed {}: {}",
            h.changed_at.format("%Y-%m-%d %H:%M UTC"),
            h.reason
        );
    }
    for n in &c.notices_sent {
        outln!(
            "  notice {} sent to {} ({})",
            n.kind.as_str(),
            n.recipient,
            n.location
        );
    }
    if let Some(e) = &c.notice_error {
        outln!("  notice NOT sent: {e}");
    }
    if let Some(why) = &c.initial_needed {
        outln!(
            "  WAITING: {why} (`coffer contract initial {}`)",
            c.contract.id
        );
    }
    if let Some(why) = &c.consent_needed {
        outln!(
            "  WAITING: {why} (`coffer contract consent {}`)",
            c.contract.id
        );
    }
    if let Some(change) = &c.terms_change {
        change.summary.iter().for_each(|line| outln!("  {line}"));
    }
    c.done.iter().for_each(|line| outln!("  {line}"));
}

fn status_of(text: &str) -> ContractStatus {
    match text {
        "paused" => ContractStatus::Paused,
        "cancelled" => ContractStatus::Cancelled,
        "ended" => ContractStatus::Ended,
        _ => ContractStatus::Active,
    }
}

pub async fn contract(
    cmd: ContractCommand,
    data_dir: Option<PathBuf>,
    out: Output,
) -> anyhow::Result<u8> {
    let engine = super::engine(data_dir)?;
    let view = match cmd {
        ContractCommand::Create {
            card,
            amount,
            max,
            min,
            original,
            frequency,
            start,
            end,
        } => {
            engine
                .create_contract(ContractInput {
                    card,
                    amount,
                    max_amount: max,
                    min_amount: min,
                    original_amount: original,
                    frequency: frequency.frequency()?,
                    start,
                    end,
                })
                .await?
        }
        ContractCommand::Edit {
            id,
            amount,
            max,
            min,
            frequency,
            end,
            no_end,
            reason,
            dry_run,
        } => {
            let edit = ContractEdit {
                amount,
                max_amount: max,
                min_amount: min,
                frequency: frequency.frequency()?,
                end: if no_end { Some(None) } else { end.map(Some) },
                reason,
            };
            if dry_run {
                let effect = engine.preview_contract_edit(ContractId(id), edit).await?;
                out.show(&effect, |e| {
                    outln!("contract {id}: nothing changed yet (dry run)");
                    e.summary.iter().for_each(|line| outln!("  {line}"));
                })?;
                return Ok(0);
            }
            engine.edit_contract(ContractId(id), edit).await?
        }
        ContractCommand::Consent { id, terms } => {
            engine
                .record_contract_consent(ContractId(id), terms)
                .await?
        }
        ContractCommand::Initial { id, amount, terms } => {
            engine
                .renew_contract_initial(ContractId(id), amount, terms)
                .await?
        }
        ContractCommand::Skip { id, occurrence } => {
            engine.cancel_occurrence(ContractId(id), occurrence).await?
        }
        ContractCommand::Unskip { id, occurrence } => {
            engine
                .restore_occurrence(ContractId(id), occurrence)
                .await?
        }
        ContractCommand::SetAmount {
            id,
            occurrence,
            amount,
        } => {
            engine
                .set_occurrence_amount(ContractId(id), occurrence, amount)
                .await?
        }
        ContractCommand::Pause { id } => engine.pause_contract(ContractId(id)).await?,
        ContractCommand::Resume { id } => engine.resume_contract(ContractId(id)).await?,
        ContractCommand::Cancel {
            id,
            occurrence,
            charge,
            amount,
            reason,
        } => match (occurrence, charge) {
            (Some(n), _) => engine.cancel_occurrence(ContractId(id), n).await?,
            (None, Some(n)) => {
                let refund = engine.cancel_charge(ContractId(id), n, amount).await?;
                out.show(&refund, |r| {
                    outln!(
                        "refund {}: {} of attempt {} (refund attempt {})",
                        r.status,
                        r.amount,
                        r.refund_of,
                        r.attempt_id
                    );
                })?;
                return Ok(if refund.status == coffer_core::ChargeState::Succeeded {
                    0
                } else {
                    1
                });
            }
            (None, None) => engine.cancel_contract(ContractId(id), reason).await?,
        },
        ContractCommand::List {
            merchant,
            card,
            status,
        } => {
            let list = engine
                .list_contracts(
                    merchant.map(MerchantId).into_iter().collect::<Vec<_>>(),
                    status.as_deref().map(status_of),
                    card.map(CardId),
                )
                .await?;
            out.show(&list, |list| {
                if list.is_empty() {
                    outln!("no contracts");
                }
                list.iter().for_each(print_contract);
            })?;
            return Ok(0);
        }
        ContractCommand::Show { id } => engine.show_contract(ContractId(id)).await?,
        ContractCommand::Import { file, merchant } => {
            let summary = engine.import_contracts(MerchantId(merchant), &file).await?;
            out.show(&summary, |s| {
                outln!(
                    "imported {} contracts into merchant {}",
                    s.contracts.len(),
                    s.merchant_id
                );
                for c in &s.contracts {
                    outln!(
                        "  line {}: contract {} on card {}, next due {}",
                        c.line,
                        c.contract_id,
                        c.card_id,
                        c.next_due
                    );
                }
            })?;
            return Ok(0);
        }
    };
    out.show(&view, print_contract)?;
    Ok(0)
}

pub async fn notices(
    args: NoticesArgs,
    data_dir: Option<PathBuf>,
    out: Output,
) -> anyhow::Result<u8> {
    let engine = super::engine(data_dir)?;
    if let Some(NoticesCommand::Smtp {
        merchant,
        host,
        port,
        security,
        username,
        from,
        password_stdin,
        clear,
    }) = args.command
    {
        let merchant = MerchantId(merchant);
        let view = if clear {
            engine.clear_smtp(merchant).await?
        } else if let Some(host) = host {
            let password = if password_stdin {
                let mut text = String::new();
                std::io::stdin().read_to_string(&mut text)?;
                Some(SecretString::from(
                    text.trim_end_matches(['\r', '\n']).to_string(),
                ))
            } else {
                None
            };
            let from = from.ok_or_else(|| {
                coffer_engine::EngineError::from(coffer_core::InvalidInput::new(
                    "from",
                    "give the From address of the notices",
                ))
            })?;
            engine
                .set_smtp(
                    merchant,
                    SmtpInput {
                        host,
                        port,
                        security,
                        username,
                        from_address: from,
                    },
                    password,
                )
                .await?
        } else {
            engine.smtp(merchant).await?
        };
        out.show(&view, |v| match &v.smtp {
            Some(s) => outln!(
                "merchant {}: notices by SMTP {}:{} ({}) from {}",
                v.merchant_id,
                s.host,
                s.port,
                s.security,
                s.from_address
            ),
            None => outln!(
                "merchant {}: notices written to {}",
                v.merchant_id,
                v.outbox.as_deref().unwrap_or("the outbox")
            ),
        })?;
        return Ok(0);
    }
    let scope: Vec<MerchantId> = args.merchant.map(MerchantId).into_iter().collect();
    if args.pending {
        let pending = engine.pending_notices(scope).await?;
        out.show(&pending, |list| {
            if list.is_empty() {
                outln!("no notices owed");
            }
            for p in list {
                outln!(
                    "contract {} #{}: {} due {}, notice by {}{}",
                    p.contract_id,
                    p.occurrence,
                    p.amount,
                    p.due,
                    p.send_by,
                    if p.late {
                        " (LATE: the charge will be refused)"
                    } else {
                        ""
                    }
                );
                if let Some(why) = &p.held {
                    outln!("  HELD, not announced: {why}");
                }
            }
        })?;
        return Ok(0);
    }
    let list = engine.list_notices(scope).await?;
    out.show(&list, |list| {
        if list.is_empty() {
            outln!("no notices");
        }
        for n in list {
            outln!(
                "{} contract {}{} to {}: {}{} via {} {}",
                n.sent_at.format("%Y-%m-%d %H:%M UTC"),
                n.contract_id,
                n.occurrence.map(|o| format!(" #{o}")).unwrap_or_default(),
                n.recipient,
                n.kind.as_str(),
                match (n.amount, n.due) {
                    (Some(a), Some(d)) => format!(" {a} on {d}"),
                    _ => String::new(),
                },
                n.channel,
                n.location
            );
        }
    })?;
    Ok(0)
}
