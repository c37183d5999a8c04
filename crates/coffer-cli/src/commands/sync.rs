//! `coffer sync`, `coffer demo`, `coffer customers`, `coffer cards`, `coffer customer import`.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;
use clap::{Args, Subcommand};
use coffer_core::{CustomerId, MerchantId};
use coffer_engine::progress::{Progress, ProgressEvent};
use coffer_engine::search::{CardSearch, CustomerOrder, CustomerSearch};
use coffer_engine::{EngineError, ErrorKind};
use tokio_util::sync::CancellationToken;

use crate::output::Output;

/// Progress as lines on stderr, so stdout stays clean for `--json`.
struct StderrProgress;

impl Progress for StderrProgress {
    fn report(&self, event: ProgressEvent) {
        match event.total {
            Some(total) => errln!(
                "{}: {} ({}/{})",
                event.stage,
                event.message,
                event.done,
                total
            ),
            None => errln!("{}: {}", event.stage, event.message),
        }
    }
}

#[derive(Args)]
pub struct SyncArgs {
    /// Sync one merchant.
    #[arg(long, conflicts_with_all = ["all", "group"])]
    merchant: Option<i64>,
    /// Sync a group of merchants.
    #[arg(long)]
    group: Option<String>,
    /// Sync every merchant.
    #[arg(long)]
    all: bool,
}

#[derive(Args)]
pub struct DemoArgs {
    /// Admin URL of a running `coffer sandbox` (…/__sandbox); without it, the embedded sandboxes.
    #[arg(long, value_name = "ADMIN_URL")]
    sandbox: Option<String>,
}

#[derive(Args)]
pub struct CustomersArgs {
    /// Free text: name, e-mail, reference, last4, BIN or brand.
    #[arg(long)]
    search: Option<String>,
    #[arg(long)]
    merchant: Option<i64>,
    #[arg(long)]
    group: Option<String>,
    /// name | reference | newest.
    #[arg(long, default_value = "name", value_parser = ["name", "reference", "newest"])]
    sort: String,
    #[arg(long, default_value_t = 50)]
    limit: u32,
    #[arg(long, default_value_t = 0)]
    offset: u32,
}

#[derive(Args)]
pub struct CardsArgs {
    #[arg(long)]
    customer: Option<i64>,
    #[arg(long)]
    merchant: Option<i64>,
    #[arg(long)]
    group: Option<String>,
    #[arg(long)]
    last4: Option<String>,
    #[arg(long)]
    brand: Option<String>,
    #[arg(long)]
    bin: Option<String>,
    /// Cards whose last valid day is before this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    expiring_before: Option<NaiveDate>,
    /// Only active cards.
    #[arg(long)]
    active: bool,
    #[arg(long, default_value_t = 100)]
    limit: u32,
    #[arg(long, default_value_t = 0)]
    offset: u32,
}

#[derive(Subcommand)]
pub enum CustomerCommand {
    /// Import register customers (Assist, Svea) from CSV: customer_number,name,email,phone and,
    /// for Svea, street,postal_code,city,country.
    Import {
        /// The CSV file.
        file: PathBuf,
        /// The merchant to import into.
        #[arg(long)]
        merchant: i64,
    },
    /// Add one customer to an Assist or Svea merchant's register.
    Add {
        /// The merchant whose register it joins.
        #[arg(long)]
        merchant: i64,
        /// The CustomerNumber the provider knows the customer by.
        #[arg(long = "number")]
        number: String,
        /// The customer's name.
        #[arg(long)]
        name: String,
        /// E-mail, where the notices go.
        #[arg(long)]
        email: Option<String>,
        /// Phone.
        #[arg(long)]
        phone: Option<String>,
        #[command(flatten)]
        address: AddressArgs,
    },
    /// Change a register customer's name, contact fields or address (Assist, Svea).
    Edit {
        /// The customer's id in Coffer.
        customer: i64,
        /// The customer's name (kept when not given).
        #[arg(long)]
        name: Option<String>,
        /// E-mail (kept when not given; an empty value removes it).
        #[arg(long)]
        email: Option<String>,
        /// Phone (kept when not given; an empty value removes it).
        #[arg(long)]
        phone: Option<String>,
        #[command(flatten)]
        address: AddressArgs,
    },
    /// Show one customer: reference, name, contact fields, address, and whether it was erased.
    Show {
        /// The customer's id in Coffer.
        customer: i64,
    },
    /// Erase a customer (a data-protection request): saved cards deleted at providers that
    /// offer it, contracts ended without notice, name, e-mail, phone and address gone
    /// everywhere; amounts, references and the audit chain kept. Cannot be undone.
    Erase {
        /// The customer's id in Coffer.
        customer: i64,
        /// Erase without asking: it cannot be undone.
        #[arg(long)]
        yes: bool,
    },
}

/// The postal address Svea requires in every payment: all four parts (country defaults to FI).
#[derive(Args, Default)]
pub struct AddressArgs {
    /// Street and number, e.g. "Mannerheimintie 1".
    #[arg(long)]
    street: Option<String>,
    /// Postal code, e.g. 00100.
    #[arg(long)]
    postal_code: Option<String>,
    /// City.
    #[arg(long)]
    city: Option<String>,
    /// ISO 3166 two-letter country code (FI when not given).
    #[arg(long)]
    country: Option<String>,
}

impl AddressArgs {
    fn given(&self) -> bool {
        self.street.is_some()
            || self.postal_code.is_some()
            || self.city.is_some()
            || self.country.is_some()
    }

    fn input(self) -> coffer_engine::customers::AddressInput {
        coffer_engine::customers::AddressInput {
            street: self.street,
            postal_code: self.postal_code,
            city: self.city,
            country: self.country,
        }
    }
}

pub async fn sync(args: SyncArgs, data_dir: Option<PathBuf>, out: Output) -> anyhow::Result<u8> {
    let engine = super::engine(data_dir)?;
    let cancel = CancellationToken::new();
    let on_ctrl_c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.cancel();
        }
    });
    let progress: Arc<dyn Progress> = Arc::new(StderrProgress);
    let summaries = match (args.merchant, args.group, args.all) {
        (Some(id), _, _) => vec![
            engine
                .sync_merchant(MerchantId(id), progress, cancel)
                .await?,
        ],
        (None, Some(group), _) => {
            let scope = engine.merchant_scope(None, Some(group)).await?;
            engine.sync_all(scope, progress, cancel).await?
        }
        (None, None, true) => engine.sync_all(Vec::new(), progress, cancel).await?,
        (None, None, false) => {
            return Err(EngineError::new(
                ErrorKind::InvalidInput,
                "merchant: give --merchant ID, --group NAME or --all",
            )
            .into())
        }
    };
    let failed = summaries.iter().any(|s| s.error.is_some());
    out.show(&summaries, |all| {
        for s in all {
            outln!(
                "{:<28} customers {:>6} (+/~{})  cards {:>6} (+{} ~{} inactive {}){}{}{}",
                s.merchant_name,
                s.customers,
                s.customers_changed,
                s.cards,
                s.cards_added,
                s.cards_updated,
                s.cards_deactivated,
                if s.cancelled { "  cancelled" } else { "" },
                s.note
                    .as_deref()
                    .map(|n| format!("  {n}"))
                    .unwrap_or_default(),
                s.error
                    .as_deref()
                    .map(|e| format!("  FAILED: {e}"))
                    .unwrap_or_default()
            );
        }
    })?;
    Ok(u8::from(failed))
}

pub async fn demo(args: DemoArgs, data_dir: Option<PathBuf>, out: Output) -> anyhow::Result<u8> {
    let engine = super::engine(data_dir)?;
    let summary = coffer_demo::demo(&engine, args.sandbox, Arc::new(StderrProgress)).await?;
    out.show(&summary, |s| {
        outln!(
            "{} demo merchants ready, {} register customers added, {} cards with consent",
            s.merchants.len(),
            s.customers_registered,
            s.consents_recorded
        );
        for m in &s.merchants {
            outln!("{:>4}  {:<10} {}", m.id, m.provider, m.name);
        }
    })?;
    Ok(0)
}

pub async fn customers(
    args: CustomersArgs,
    data_dir: Option<PathBuf>,
    out: Output,
) -> anyhow::Result<u8> {
    let engine = super::engine(data_dir)?;
    let rows = engine
        .search_customers(CustomerSearch {
            merchant: args.merchant.map(MerchantId),
            group: args.group,
            text: args.search,
            sort: match args.sort.as_str() {
                "reference" => CustomerOrder::Reference,
                "newest" => CustomerOrder::Newest,
                _ => CustomerOrder::Name,
            },
            limit: Some(args.limit),
            offset: Some(args.offset),
        })
        .await?;
    out.show(&rows, |rows| {
        for c in rows {
            // An erased customer has no name left: the list says why the name is blank.
            let name = match c.erased_at {
                Some(at) => format!("(erased {})", at.format("%Y-%m-%d")),
                None => c.name.clone(),
            };
            outln!(
                "{:>6}  {:<24} {:<28} {:<32} cards {} ({} usable)  {}{}",
                c.id,
                c.reference,
                name,
                c.email.as_deref().unwrap_or(""),
                c.cards,
                c.usable_cards,
                c.merchant_name,
                c.matched_card
                    .as_deref()
                    .map(|card| format!("  matched {card}"))
                    .unwrap_or_default()
            );
        }
    })?;
    Ok(0)
}

pub async fn cards(args: CardsArgs, data_dir: Option<PathBuf>, out: Output) -> anyhow::Result<u8> {
    let engine = super::engine(data_dir)?;
    let cards = engine
        .list_cards(CardSearch {
            merchant: args.merchant.map(MerchantId),
            group: args.group,
            customer: args.customer.map(CustomerId),
            last4: args.last4,
            brand: args.brand,
            bin: args.bin,
            expiring_before: args.expiring_before,
            active_only: args.active,
            limit: Some(args.limit),
            offset: Some(args.offset),
        })
        .await?;
    out.show(&cards, |cards| {
        for k in cards {
            // One status per card, from the engine; "expiring soon" is a note beside it.
            let mut badges = vec![k.status.state.as_str()];
            if k.expiring_soon {
                badges.push("expiring-soon");
            }
            // An APM token (PayPal…) has no last4 or expiry: its name stands in their place.
            let shown = match &k.apm {
                Some(name) => format!("{name:<11} {:<12}", "(APM token)"),
                None => format!(
                    "{:<11} •••• {}  {:02}/{}",
                    k.brand, k.last4, k.exp_month, k.exp_year
                ),
            };
            outln!(
                "{:>6}  customer {:>6}  {}  {:<20} {}",
                k.id,
                k.customer_id,
                shown,
                k.bank.as_deref().unwrap_or(""),
                badges.join(" ")
            );
        }
    })?;
    Ok(0)
}

pub async fn customer(
    cmd: CustomerCommand,
    data_dir: Option<PathBuf>,
    out: Output,
) -> anyhow::Result<u8> {
    let engine = super::engine(data_dir)?;
    match cmd {
        CustomerCommand::Erase { customer, yes } => {
            return super::erase::erase(&engine, customer, yes, out).await;
        }
        CustomerCommand::Show { customer } => {
            let record = engine.customer_record(CustomerId(customer)).await?;
            out.show(&record, |r| {
                let c = &r.customer;
                outln!(
                    "customer {} ({}) at merchant {}",
                    c.id.0,
                    c.reference,
                    c.merchant_id.0
                );
                if let Some(at) = r.erased_at {
                    outln!(
                        "  erased on {} (data-protection request): name, e-mail, phone and \
                         address are gone",
                        at.format("%Y-%m-%d %H:%M UTC")
                    );
                    return;
                }
                outln!("  name:    {}", c.name);
                outln!("  e-mail:  {}", c.email.as_deref().unwrap_or("—"));
                outln!("  phone:   {}", c.phone.as_deref().unwrap_or("—"));
                match &c.address {
                    Some(a) => outln!("  address: {a}"),
                    None => outln!("  address: —"),
                }
            })?;
        }
        CustomerCommand::Import { file, merchant } => {
            let summary = engine.import_customers(MerchantId(merchant), &file).await?;
            out.show(&summary, |s| {
                outln!(
                    "imported {} customers into merchant {}",
                    s.imported,
                    s.merchant_id
                )
            })?;
        }
        CustomerCommand::Add {
            merchant,
            number,
            name,
            email,
            phone,
            address,
        } => {
            let fields = coffer_engine::customers::CustomerDetails {
                reference: coffer_core::CustomerRef(number),
                name,
                email,
                phone,
                address: address
                    .input()
                    .checked()
                    .map_err(coffer_engine::error::EngineError::from)?,
            };
            let id = engine.create_customer(MerchantId(merchant), fields).await?;
            out.show(
                &serde_json::json!({"id": id, "merchant_id": merchant}),
                |_| outln!("customer {id} added to merchant {merchant}"),
            )?;
        }
        CustomerCommand::Edit {
            customer,
            name,
            email,
            phone,
            address,
        } => {
            let current = engine.customer(CustomerId(customer)).await?;
            let keep = |given: Option<String>, now: Option<String>| match given {
                Some(v) if v.trim().is_empty() => None,
                Some(v) => Some(v),
                None => now,
            };
            let new_address = if address.given() {
                address
                    .input()
                    .checked()
                    .map_err(coffer_engine::error::EngineError::from)?
            } else {
                current.address.clone()
            };
            let saved = engine
                .edit_customer(
                    CustomerId(customer),
                    name.unwrap_or(current.name),
                    keep(email, current.email),
                    keep(phone, current.phone),
                    new_address,
                )
                .await?;
            out.show(
                &serde_json::json!({
                    "id": saved.id.0,
                    "reference": saved.reference.0,
                    "name": saved.name,
                    "email": saved.email,
                    "phone": saved.phone,
                    "address": saved.address,
                }),
                |_| {
                    outln!("customer {customer} ({}) saved", saved.reference);
                    match &saved.address {
                        Some(a) => outln!("  address: {a}"),
                        None => {
                            outln!("  no address (Svea charges are refused until one is given)")
                        }
                    }
                },
            )?;
        }
    }
    Ok(0)
}
