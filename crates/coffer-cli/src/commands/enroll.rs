//! `coffer enroll start|list|check|cancel|return|sandbox-fill|return-page`: new cards saved
//! through the provider's own hosted page (`coffer_engine::enrollment`). The CLI has no window:
//! at the counter it prints the page to open (or, for a page the app hosts, says to use the
//! desktop app); a link goes out by the notices channel.

use chrono::NaiveDate;
use clap::{Args, Subcommand};
use coffer_core::{ContractId, CustomerId, EnrollmentId, EnrollmentMode, MerchantId};
use coffer_engine::contracts::ContractInput;
use coffer_engine::customers::CustomerDetails;
use coffer_engine::enrollment::SandboxCardholder;
use coffer_engine::enrollment::{EnrollmentInput, EnrollmentView};
use coffer_engine::Engine;

use super::contracts::FrequencyArgs;
use crate::output::Output;

#[derive(Subcommand)]
pub enum EnrollCommand {
    /// Open the provider's page for a new card: at the counter (prints the page) or `--link`
    /// (sends it to the cardholder by the notices channel).
    Start(Box<StartArgs>),
    /// Enrollments: the pending ones, `--all` for the settled ones too.
    List {
        /// Only this merchant.
        #[arg(long)]
        merchant: Option<i64>,
        /// Settled ones too.
        #[arg(long)]
        all: bool,
    },
    /// Ask the providers where the pending enrollments stand (or one, by id) and settle them.
    Check {
        /// One enrollment.
        id: Option<i64>,
        /// Only this merchant.
        #[arg(long)]
        merchant: Option<i64>,
    },
    /// Withdraw a pending enrollment (a card the cardholder already saved is kept).
    Cancel {
        /// The enrollment.
        id: i64,
    },
    /// Hand over the address the page returned to (from a browser), then check it with the
    /// provider.
    Return {
        /// The enrollment.
        id: i64,
        /// The whole return address.
        address: String,
    },
    /// Sandbox merchants only: complete the sandbox's page as a cardholder would.
    SandboxFill {
        /// The enrollment.
        id: i64,
        /// The page's test card: approve, decline or fail_3ds.
        #[arg(long, default_value = "approve", value_parser = ["approve", "decline", "fail_3ds"])]
        card: String,
        /// Press Cancel on the page instead.
        #[arg(long)]
        cancel: bool,
    },
    /// The page an enrollment link sends the cardholder back to (the merchant's own web page).
    ReturnPage {
        /// The merchant.
        #[arg(long)]
        merchant: i64,
        /// Set it (https).
        #[arg(long, conflicts_with = "clear")]
        set: Option<String>,
        /// Remove it.
        #[arg(long)]
        clear: bool,
    },
}

#[derive(Args)]
pub struct StartArgs {
    /// The merchant account.
    #[arg(long)]
    merchant: i64,
    /// The customer on record.
    #[arg(long, conflicts_with = "name")]
    customer: Option<i64>,
    /// A new customer's name.
    #[arg(long)]
    name: Option<String>,
    /// A new customer's reference in the register (Assist, Svea).
    #[arg(long, requires = "name")]
    reference: Option<String>,
    /// A new customer's e-mail.
    #[arg(long, requires = "name")]
    email: Option<String>,
    /// Send the page as a link instead of opening it at the counter.
    #[arg(long)]
    link: bool,
    /// Where the link goes (default: the customer's e-mail).
    #[arg(long, requires = "link")]
    send_to: Option<String>,
    /// The initial payment's amount ("0" for a verification where the provider takes one).
    #[arg(long)]
    amount: String,
    /// What later charges will be: recurring, installment or unscheduled.
    #[arg(long, default_value = "recurring", value_parser = ["unscheduled", "recurring", "installment"])]
    reason: String,
    /// The consent text the cardholder is shown and accepts.
    #[arg(long)]
    terms: String,
    /// The contract whose card this replaces (an Assist "re-enroll").
    #[arg(long)]
    replaces: Option<i64>,
    /// A contract to create on the card once confirmed: its fixed amount,
    #[arg(long = "contract-amount", conflicts_with = "contract_max")]
    contract_amount: Option<String>,
    /// or the largest amount of a varying charge,
    #[arg(long = "contract-max")]
    contract_max: Option<String>,
    /// and its smallest (Assist needs one).
    #[arg(long = "contract-min")]
    contract_min: Option<String>,
    #[command(flatten)]
    frequency: FrequencyArgs,
    /// The contract's first possible due date.
    #[arg(long = "contract-start")]
    contract_start: Option<NaiveDate>,
    /// The contract's last possible due date.
    #[arg(long = "contract-end")]
    contract_end: Option<NaiveDate>,
}

/// Runs one `coffer enroll` subcommand.
pub async fn run(engine: &Engine, cmd: EnrollCommand, out: Output) -> anyhow::Result<u8> {
    match cmd {
        EnrollCommand::Start(args) => {
            let input = input_of(*args)?;
            let view = engine.start_enrollment(input).await?;
            out.show(&view, print_started)?;
        }
        EnrollCommand::List { merchant, all } => {
            let views = engine
                .list_enrollments(
                    coffer_engine::scope::Scope::of(merchant.map(MerchantId), None),
                    all,
                )
                .await?;
            out.show(&views, |views| {
                if views.is_empty() {
                    outln!("no enrollments");
                }
                views.iter().for_each(print_line)
            })?;
        }
        EnrollCommand::Check { id, merchant } => match id {
            Some(id) => {
                let view = engine.check_enrollment(EnrollmentId(id)).await?;
                out.show(&view, print_line)?;
            }
            None => {
                let views = engine
                    .check_enrollments(coffer_engine::scope::Scope::of(
                        merchant.map(MerchantId),
                        None,
                    ))
                    .await?;
                out.show(&views, |views| views.iter().for_each(print_line))?;
            }
        },
        EnrollCommand::Cancel { id } => {
            let view = engine.cancel_enrollment(EnrollmentId(id)).await?;
            out.show(&view, print_line)?;
        }
        EnrollCommand::Return { id, address } => {
            let view = engine
                .enrollment_returned(EnrollmentId(id), &address)
                .await?;
            out.show(&view, print_line)?;
        }
        EnrollCommand::SandboxFill { id, card, cancel } => {
            let view = engine
                .fill_sandbox_enrollment(
                    EnrollmentId(id),
                    SandboxCardholder {
                        test_card: card,
                        cancel,
                    },
                )
                .await?;
            out.show(&view, print_line)?;
        }
        EnrollCommand::ReturnPage {
            merchant,
            set,
            clear,
        } => {
            let merchant = MerchantId(merchant);
            let page = if clear {
                engine.set_link_return_page(merchant, None).await?
            } else if set.is_some() {
                engine.set_link_return_page(merchant, set).await?
            } else {
                engine.link_return_page(merchant).await?
            };
            out.show(&page, |page| match page {
                Some(url) => outln!("links return to {url}"),
                None => outln!("no return page set: links cannot be sent yet"),
            })?;
        }
    }
    Ok(0)
}

fn input_of(args: StartArgs) -> anyhow::Result<EnrollmentInput> {
    let frequency = args.frequency.frequency()?;
    let wants_contract = args.contract_amount.is_some()
        || args.contract_max.is_some()
        || frequency.is_some()
        || args.contract_end.is_some();
    let contract = wants_contract.then(|| ContractInput {
        card: 0,
        amount: args.contract_amount.clone(),
        max_amount: args.contract_max.clone(),
        min_amount: args.contract_min.clone(),
        original_amount: None,
        frequency,
        start: args.contract_start,
        end: args.contract_end,
    });
    let new_customer = args.name.map(|name| CustomerDetails {
        reference: args.reference.clone().unwrap_or_default().into(),
        name,
        email: args.email.clone(),
        phone: None,
        address: None,
    });
    Ok(EnrollmentInput {
        merchant: MerchantId(args.merchant),
        customer: args.customer.map(CustomerId),
        new_customer,
        mode: if args.link {
            EnrollmentMode::Link
        } else {
            EnrollmentMode::Counter
        },
        amount: args.amount,
        reason: super::charge::reason(&args.reason),
        terms: args.terms,
        send_to: args.send_to,
        contract,
        replaces_for: args.replaces.map(ContractId),
    })
}

fn print_started(view: &EnrollmentView) {
    print_line(view);
    match (&view.page_url, view.mode) {
        (Some(url), EnrollmentMode::Counter) => {
            outln!("  open this page for the cardholder: {url}");
            outln!(
                "  then `coffer enroll return {} <the address it returned to>` or `coffer enroll check {}`",
                view.id,
                view.id
            );
        }
        (None, EnrollmentMode::Counter) => outln!(
            "  {}'s card fields sit in a page the app hosts: open the enrollment in the desktop app",
            view.provider
        ),
        (_, EnrollmentMode::Link) => outln!(
            "  link sent to {}; `coffer enroll check` settles it once the cardholder is done",
            view.sent_to.as_deref().unwrap_or("?")
        ),
    }
}

fn print_line(view: &EnrollmentView) {
    let card = view
        .card_id
        .map(|c| format!(" card {c}"))
        .unwrap_or_default();
    let contract = view
        .contract_id
        .map(|c| format!(" contract {c}"))
        .unwrap_or_default();
    let why = view
        .failure
        .as_deref()
        .or(view.waiting_on.as_deref())
        .map(|w| format!(" — {w}"))
        .unwrap_or_default();
    outln!(
        "enrollment {} {} {} ({}, {}) for {}: {} {}{card}{contract}{why}",
        view.id,
        view.state.as_str(),
        view.mode.as_str(),
        view.merchant_name,
        view.provider,
        view.customer_name,
        view.amount,
        view.order_id
    );
}
