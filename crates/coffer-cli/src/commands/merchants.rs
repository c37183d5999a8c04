//! `coffer merchant add|edit|list|remove|test`. Add and edit ask the provider whether it accepts
//! the account and secret before saving (`--no-check` skips that, e.g. offline). Secrets come from stdin or an environment variable,
//! never from the command line, where other users and shell history could read them.

use std::io::Read;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use coffer_core::{Environment, MerchantId, ProviderAccount, ProviderKind};
use coffer_engine::merchant_check::{ConnectionCheck, MerchantTest};
use coffer_engine::merchants::{MerchantEdit, MerchantInput, MerchantView};
use coffer_engine::{EngineError, ErrorKind};
use secrecy::SecretString;

use crate::exit_code;
use crate::output::Output;

#[derive(Subcommand)]
pub enum MerchantCommand {
    /// Add a merchant account.
    Add(AddArgs),
    /// Change a merchant account (only the fields given).
    Edit(EditArgs),
    /// List merchant accounts.
    List,
    /// Remove a merchant account and its keyring entry; its ledger and audit events stay.
    Remove {
        /// Merchant id.
        id: i64,
    },
    /// Ask the provider whether it accepts the saved account and secret (changes nothing).
    Test {
        /// Merchant id.
        id: i64,
    },
}

#[derive(Args)]
pub struct CheckArgs {
    /// Save without asking the provider first whether the account and secret work (offline).
    #[arg(long)]
    no_check: bool,
}

impl CheckArgs {
    fn check(&self) -> ConnectionCheck {
        if self.no_check {
            ConnectionCheck::Skip
        } else {
            ConnectionCheck::First
        }
    }
}

#[derive(Args)]
pub struct SecretArgs {
    /// Read the secret (access token, API secret, password, secret key) from stdin.
    #[arg(long)]
    secret_stdin: bool,
    /// Read the secret from this environment variable.
    #[arg(long, value_name = "VAR")]
    secret_env: Option<String>,
}

#[derive(Args)]
pub struct AddArgs {
    /// clover | processout | assist | svea.
    #[arg(long)]
    provider: ProviderKind,
    /// Display name ("Downtown store").
    #[arg(long)]
    name: String,
    /// sandbox | live.
    #[arg(long, default_value = "live")]
    environment: Environment,
    /// The provider's base URL, or embedded:<provider> for the embedded sandbox.
    #[arg(long)]
    base_url: String,
    /// Clover merchant UUID, ProcessOut project id, Assist Merchant_ID or Svea seller id.
    #[arg(long)]
    account_id: String,
    /// Assist Login.
    #[arg(long)]
    login: Option<String>,
    /// Svea key generation (default 001).
    #[arg(long, default_value = "001")]
    key_generation: String,
    /// Clover public PAKMS key.
    #[arg(long)]
    pakms_key: Option<String>,
    /// IANA time zone, e.g. Europe/Helsinki.
    #[arg(long)]
    time_zone: String,
    /// ISO 4217 currency.
    #[arg(long)]
    currency: String,
    /// Days of notice before each scheduled charge.
    #[arg(long, default_value_t = 3)]
    notice_lead_days: u32,
    /// Group of locations ("all stores of this owner").
    #[arg(long)]
    group: Option<String>,
    #[command(flatten)]
    secret: SecretArgs,
    #[command(flatten)]
    check: CheckArgs,
}

#[derive(Args)]
pub struct EditArgs {
    /// Merchant id.
    id: i64,
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    environment: Option<Environment>,
    #[arg(long)]
    base_url: Option<String>,
    #[arg(long)]
    time_zone: Option<String>,
    #[arg(long)]
    currency: Option<String>,
    #[arg(long)]
    notice_lead_days: Option<u32>,
    /// New group; an empty value clears it.
    #[arg(long)]
    group: Option<String>,
    #[command(flatten)]
    secret: SecretArgs,
    #[command(flatten)]
    check: CheckArgs,
}

/// Reads the secret as the flags say; `None` when neither flag was given.
fn read_secret(args: &SecretArgs) -> anyhow::Result<Option<SecretString>> {
    let raw = match (&args.secret_stdin, &args.secret_env) {
        (true, Some(_)) => {
            return Err(EngineError::new(
                ErrorKind::InvalidInput,
                "secret: give --secret-stdin or --secret-env, not both",
            )
            .into())
        }
        (true, None) => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text)?;
            text.trim_end_matches(['\n', '\r']).to_string()
        }
        (false, Some(var)) => std::env::var(var).map_err(|_| {
            EngineError::new(
                ErrorKind::InvalidInput,
                format!("secret: the environment variable {var} is not set"),
            )
        })?,
        (false, None) => return Ok(None),
    };
    Ok(Some(SecretString::from(raw)))
}

fn print_merchants(merchants: &[MerchantView]) {
    for m in merchants {
        outln!(
            "{:>4}  {:<10} {:<28} {:<16} {:<8} {:<7} {}  {}",
            m.id,
            m.provider,
            m.name,
            m.account.account_id(),
            m.environment.as_str(),
            m.currency,
            m.time_zone,
            m.group.as_deref().unwrap_or("")
        );
    }
}

pub async fn run(
    cmd: MerchantCommand,
    data_dir: Option<PathBuf>,
    out: Output,
) -> anyhow::Result<u8> {
    let engine = super::engine(data_dir)?;
    match cmd {
        MerchantCommand::Add(a) => {
            let account = match a.provider {
                ProviderKind::Clover => ProviderAccount::Clover {
                    merchant_uuid: a.account_id,
                    pakms_key: a.pakms_key,
                },
                ProviderKind::ProcessOut => ProviderAccount::ProcessOut {
                    project_id: a.account_id,
                },
                ProviderKind::Assist => ProviderAccount::Assist {
                    merchant_id: a.account_id,
                    login: a.login.ok_or_else(|| {
                        EngineError::new(ErrorKind::InvalidInput, "login: Assist needs --login")
                    })?,
                },
                ProviderKind::Svea => ProviderAccount::Svea {
                    seller_id: a.account_id,
                    key_generation: a.key_generation,
                },
            };
            let secret = read_secret(&a.secret)?;
            let view = engine
                .add_merchant_checked(
                    MerchantInput {
                        name: a.name,
                        account,
                        environment: a.environment,
                        base_url: a.base_url,
                        time_zone: a.time_zone,
                        currency: a.currency,
                        notice_lead_days: a.notice_lead_days,
                        group: a.group,
                    },
                    secret,
                    a.check.check(),
                )
                .await
                .inspect_err(|e| hint_offline(e, out))?;
            out.show(&view, |m| outln!("added merchant {} ({})", m.id, m.name))?;
        }
        MerchantCommand::Edit(e) => {
            let secret = read_secret(&e.secret)?;
            let view = engine
                .edit_merchant_checked(
                    MerchantId(e.id),
                    MerchantEdit {
                        name: e.name,
                        base_url: e.base_url,
                        environment: e.environment,
                        time_zone: e.time_zone,
                        currency: e.currency,
                        notice_lead_days: e.notice_lead_days,
                        group: e.group.map(|g| Some(g).filter(|g| !g.is_empty())),
                    },
                    secret,
                    e.check.check(),
                )
                .await
                .inspect_err(|e| hint_offline(e, out))?;
            out.show(&view, |m| outln!("saved merchant {} ({})", m.id, m.name))?;
        }
        MerchantCommand::List => {
            let merchants = engine.list_merchants().await?;
            out.show(&merchants, |m| print_merchants(m))?;
        }
        MerchantCommand::Remove { id } => {
            engine.remove_merchant(MerchantId(id)).await?;
            out.show(&serde_json::json!({"removed": id}), |_| {
                outln!("removed merchant {id}")
            })?;
        }
        MerchantCommand::Test { id } => {
            let test = engine.test_merchant(MerchantId(id)).await?;
            out.show(&test, print_test)?;
            return Ok(if test.ok {
                0
            } else {
                exit_code(test.kind.unwrap_or(ErrorKind::Internal))
            });
        }
    }
    Ok(0)
}

/// When the provider cannot be reached, say how to save anyway (on stderr, never in `--json`).
fn hint_offline(error: &EngineError, out: Output) {
    if !out.json && error.kind() == ErrorKind::ProviderUnavailable {
        errln!("hint: to save it without the connection check (e.g. offline), add --no-check");
    }
}

fn print_test(test: &MerchantTest) {
    match (test.ok, test.kind) {
        (true, _) => outln!("ok: {}", test.message),
        (false, kind) => outln!(
            "failed ({}): {}",
            kind.map(|k| k.code()).unwrap_or("internal"),
            test.message
        ),
    }
    outln!("checked: {}", test.checked);
}
