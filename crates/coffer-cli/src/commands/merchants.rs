//! `coffer merchant add|edit|list|remove|test`. Add and edit ask the provider whether it accepts
//! the account and secret before saving (`--no-check` skips that, e.g. offline). Secrets come from stdin or an environment variable,
//! never from the command line, where other users and shell history could read them.

use std::io::Read;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use std::str::FromStr;

use coffer_core::{
    CloverRegion, Environment, InvalidInput, MerchantId, ProviderAccount, ProviderKind, Stage,
};
use coffer_engine::merchant_check::{ConnectionCheck, MerchantTest};
use coffer_engine::merchants::{EndpointInput, MerchantEdit, MerchantInput, MerchantView};
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

/// The environment as the owner names it: Coffer's sandbox, the provider's own test
/// environment, or its production servers. `test` and `live` are both stored as live (the
/// provider's own servers, a credential the provider issued); the stage tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvironmentChoice {
    /// Coffer's emulator (embedded or external); the URL is given with --base-url.
    Sandbox,
    /// The provider's own test environment.
    Test,
    /// The provider's production servers.
    Live,
}

impl FromStr for EnvironmentChoice {
    type Err = InvalidInput;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sandbox" => Ok(EnvironmentChoice::Sandbox),
            "test" => Ok(EnvironmentChoice::Test),
            "live" | "production" => Ok(EnvironmentChoice::Live),
            _ => Err(InvalidInput::new(
                "environment",
                format!("'{s}' is not sandbox, test (the provider's test environment) or live"),
            )),
        }
    }
}

impl EnvironmentChoice {
    fn split(self) -> (Environment, Option<Stage>) {
        match self {
            EnvironmentChoice::Sandbox => (Environment::Sandbox, None),
            EnvironmentChoice::Test => (Environment::Live, Some(Stage::Test)),
            EnvironmentChoice::Live => (Environment::Live, Some(Stage::Production)),
        }
    }
}

#[derive(Args)]
pub struct EndpointArgs {
    /// Clover only: north_america (default), europe or latin_america.
    #[arg(long)]
    region: Option<CloverRegion>,
    /// Assist only (test and live): the server name Assist gave you, e.g. payments.paysec.by.
    #[arg(long)]
    host: Option<String>,
    /// Sandbox merchants only: embedded:<provider>, or an external sandbox's http://127.0.0.1:….
    #[arg(long)]
    base_url: Option<String>,
    /// Test/live only: send the secret to this URL although it is not https on the provider's
    /// own hosts. Needs --override-reason; audited and shown with the merchant.
    #[arg(
        long,
        value_name = "URL",
        requires = "override_reason",
        conflicts_with = "base_url"
    )]
    override_host: Option<String>,
    /// Why the override is needed (recorded in the audit log).
    #[arg(long, value_name = "TEXT", requires = "override_host")]
    override_reason: Option<String>,
}

impl EndpointArgs {
    fn given(&self) -> bool {
        self.region.is_some()
            || self.host.is_some()
            || self.base_url.is_some()
            || self.override_host.is_some()
    }

    fn input(self, stage: Option<Stage>) -> EndpointInput {
        EndpointInput {
            stage,
            region: self.region,
            host: self.host,
            base_url: self.base_url.or(self.override_host),
            override_reason: self.override_reason,
        }
    }
}

#[derive(Args)]
pub struct AddArgs {
    /// clover | processout | assist | svea.
    #[arg(long)]
    provider: ProviderKind,
    /// Display name ("Downtown store").
    #[arg(long)]
    name: String,
    /// sandbox (Coffer's emulator) | test (the provider's test environment) | live.
    #[arg(long, default_value = "live")]
    environment: EnvironmentChoice,
    #[command(flatten)]
    endpoint: EndpointArgs,
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
    /// sandbox | test | live; a change needs the secret again.
    #[arg(long)]
    environment: Option<EnvironmentChoice>,
    #[command(flatten)]
    endpoint: EndpointArgs,
    #[arg(long)]
    time_zone: Option<String>,
    #[arg(long)]
    currency: Option<String>,
    #[arg(long)]
    notice_lead_days: Option<u32>,
    /// New group; an empty value clears it.
    #[arg(long)]
    group: Option<String>,
    /// Ask a second time (`coffer charge --confirm-large`) before a charge by hand above this
    /// amount in the merchant's currency; `none` never asks. New merchants start at 1,000.
    #[arg(long, value_name = "AMOUNT|none")]
    confirm_above: Option<String>,
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

/// What the owner chose, in the CLI's words: sandbox, test or live.
fn environment_label(m: &MerchantView) -> &'static str {
    match (m.environment, m.stage) {
        (Environment::Sandbox, _) => "sandbox",
        (Environment::Live, Some(Stage::Test)) => "test",
        (Environment::Live, _) => "live",
    }
}

/// The second-confirmation limit in words.
fn limit_words(m: &MerchantView) -> String {
    match &m.confirm_above {
        Some(limit) => format!("charges above {} are confirmed twice", limit.grouped()),
        None => "no second confirmation for large charges".into(),
    }
}

fn print_saved(verb: &str, m: &MerchantView) {
    outln!(
        "{verb} merchant {} ({}): {} at {}",
        m.id,
        m.name,
        environment_label(m),
        m.base_url
    );
    outln!("  {}", limit_words(m));
    if let Some(o) = &m.host_override {
        outln!(
            "! OVERRIDE: its secret goes to {}, not a {} host ({})",
            o.host,
            m.provider,
            o.reason
        );
    }
}

fn print_merchants(merchants: &[MerchantView]) {
    for m in merchants {
        outln!(
            "{:>4}  {:<10} {:<28} {:<16} {:<8} {:<7} {}  {}",
            m.id,
            m.provider,
            m.name,
            m.account.account_id(),
            environment_label(m),
            m.currency,
            m.time_zone,
            m.group.as_deref().unwrap_or("")
        );
        outln!("      {}", limit_words(m));
        if let Some(o) = &m.host_override {
            outln!(
                "      ! OVERRIDE: the secret goes to {} ({}), not a {} host: {}",
                o.host,
                m.base_url,
                m.provider,
                o.reason
            );
        }
    }
}

/// The account `merchant add` was given: the provider's account fields, as
/// `coffer_core::providers` lists them, filled from the flags (the first field is `--account-id`),
/// so no provider is named here.
fn account_of(a: &AddArgs) -> Result<ProviderAccount, EngineError> {
    let rules = coffer_core::providers::rules(a.provider);
    let flag = |key: &str| match key {
        "login" => a.login.clone(),
        "key_generation" => Some(a.key_generation.clone()),
        "pakms_key" => a.pakms_key.clone(),
        _ => None,
    };
    let internal = |e: serde_json::Error| EngineError::new(ErrorKind::Internal, e.to_string());
    let mut fields = serde_json::Map::new();
    fields.insert(
        "provider".into(),
        serde_json::to_value(a.provider).map_err(internal)?,
    );
    for (i, field) in rules.account_fields.iter().enumerate() {
        let value = if i == 0 {
            Some(a.account_id.clone())
        } else {
            flag(field.key)
        };
        match value {
            Some(value) => {
                fields.insert(field.key.into(), value.into());
            }
            None if field.required => {
                return Err(EngineError::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "{}: {} needs --{}",
                        field.key,
                        rules.label,
                        field.key.replace('_', "-")
                    ),
                ))
            }
            None => {}
        }
    }
    serde_json::from_value(serde_json::Value::Object(fields)).map_err(internal)
}

pub async fn run(
    cmd: MerchantCommand,
    data_dir: Option<PathBuf>,
    out: Output,
) -> anyhow::Result<u8> {
    let engine = super::engine(data_dir)?;
    match cmd {
        MerchantCommand::Add(a) => {
            let account = account_of(&a)?;
            let secret = read_secret(&a.secret)?;
            let (environment, stage) = a.environment.split();
            let view = engine
                .add_merchant_checked(
                    MerchantInput {
                        name: a.name,
                        account,
                        environment,
                        endpoint: a.endpoint.input(stage),
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
            out.show(&view, |m| print_saved("added", m))?;
        }
        MerchantCommand::Edit(e) => {
            let secret = read_secret(&e.secret)?;
            let (environment, stage) = match e.environment {
                Some(choice) => {
                    let (environment, stage) = choice.split();
                    (Some(environment), stage)
                }
                None => (None, None),
            };
            let endpoint =
                (e.environment.is_some() || e.endpoint.given()).then(|| e.endpoint.input(stage));
            let view = engine
                .edit_merchant_checked(
                    MerchantId(e.id),
                    MerchantEdit {
                        name: e.name,
                        endpoint,
                        environment,
                        time_zone: e.time_zone,
                        currency: e.currency,
                        notice_lead_days: e.notice_lead_days,
                        group: e.group.map(|g| Some(g).filter(|g| !g.is_empty())),
                        confirm_above: e.confirm_above.map(|a| {
                            Some(a).filter(|a| {
                                !a.trim().is_empty() && !a.trim().eq_ignore_ascii_case("none")
                            })
                        }),
                    },
                    secret,
                    e.check.check(),
                )
                .await
                .inspect_err(|e| hint_offline(e, out))?;
            out.show(&view, |m| print_saved("saved", m))?;
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
