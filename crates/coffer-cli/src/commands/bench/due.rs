//! `coffer bench due`: a due run over N due occurrences, then the exactly-once check at the
//! sandbox, beside the raw rate of the same charge endpoint.
//!
//! Setup (timed apart, not part of the figure): an in-process sandbox whose Clover merchant has
//! enough customers for N usable cards; the merchant synced into a throw-away profile with the
//! seed's initial transactions and consents (as `coffer demo` records them); N monthly contracts
//! through `Engine::create_contract`, one per card, all due on the same day; today's run, which
//! sends the N pre-charge notices. Then the figure: the run on the due date, which charges all N
//! (`--concurrency` in flight, as `coffer run-due`). Then the check: `GET /__sandbox/charges`
//! must hold exactly one approved charge per occurrence and per card, each of them a ledger row
//! of Coffer's, and a second run on the due date must charge nothing.
//!
//! The raw rate: a plain reqwest loop that posts the same number of charges of the same shape
//! (`POST /v1/charges` with an `idempotency-key`, the same stored-credential flags) to the same
//! endpoint with the same concurrency, bodies read and not parsed.
//!
//! ratio = Coffer's charges per second / the raw loop's charges per second.
//!
//! The durable floor: the raw loop again, keeping only exactly-once's two rules (a request
//! leaves after a durable commit records it; its slot is reused after a commit records its
//! answer) with one bare table. Its ratio is the ceiling of Coffer's at this concurrency on
//! this machine: the cost of the commits alone, whatever the run does besides.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use chrono::{Datelike, Days};
use clap::Args;
use coffer_core::contract::Frequency;
use coffer_core::{Consent, MerchantId};
use coffer_engine::charge::ChargeQuery;
use coffer_engine::contracts::ContractInput;
use coffer_engine::due::{DueRun, DEFAULT_CONCURRENCY};
use coffer_engine::progress::NoProgress;
use coffer_engine::search::CardSearch;
use coffer_sandbox::{Sandbox, SandboxConfig, SandboxMerchant};
use coffer_store::repo::prelude::*;
use coffer_store::Store;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::sync::ratio;
use super::{clover_of, engine_with, rate, register, TempDir};

/// The amount of every bench contract, in minor units (7.70).
const AMOUNT_MINOR: i64 = 770;

#[derive(Args)]
pub struct DueArgs {
    /// Due occurrences to charge; several sizes separated by commas.
    #[arg(long, value_delimiter = ',', default_value = "5000,10000")]
    pub occurrences: Vec<usize>,
    /// Charges in flight at once (the due run's and the raw loop's).
    #[arg(long, default_value_t = DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
}

/// The figures of one size.
#[derive(Debug, Clone, Serialize)]
pub struct DueReport {
    pub occurrences: u64,
    pub concurrency: usize,
    /// Sandbox, sync, initials and consents, contracts, the notice run.
    pub setup_seconds: f64,
    pub contracts_seconds: f64,
    pub notice_run_seconds: f64,
    /// The due run that charges.
    pub run_seconds: f64,
    pub charges_per_s: f64,
    /// A second run on the due date (everything already charged).
    pub rerun_seconds: f64,
    pub rerun_charged: u64,
    /// The exactly-once check.
    pub sandbox_charges: u64,
    pub duplicate_charges: u64,
    pub occurrences_not_charged: u64,
    pub charges_without_ledger_row: u64,
    pub ledger_succeeded: u64,
    /// The plain HTTP loop.
    pub raw_charges: u64,
    pub raw_seconds: f64,
    pub raw_charges_per_s: f64,
    pub ratio: f64,
    /// The raw loop with a durable commit before each request leaves and after it is answered
    /// (`durable_floor`): the most any exactly-once run at this concurrency can make here.
    pub floor_seconds: f64,
    pub floor_charges_per_s: f64,
    /// The floor's rate over the raw loop's: the ceiling of `ratio`.
    pub floor_ratio: f64,
}

#[derive(Deserialize)]
struct InitialsPage {
    total: u64,
    initials: Vec<SeededInitial>,
}

#[derive(Deserialize)]
struct SeededInitial {
    token: String,
    initial_ref: String,
    amount_minor: i64,
    currency: String,
    /// `recurring` or `one_click` (Assist's seeded One Click initials, which rp.cfm refuses).
    #[serde(default)]
    kind: coffer_core::InitialKind,
}

#[derive(Deserialize)]
struct SandboxCharge {
    kind: String,
    status: String,
    card_token: String,
    idempotency_key: Option<String>,
}

/// Measures one size.
pub async fn measure(occurrences: usize, concurrency: usize) -> anyhow::Result<DueReport> {
    let setup_started = Instant::now();
    // About one usable card (initial transaction, not expiring) per customer; a margin on top.
    let customers = occurrences + occurrences / 2 + 100;
    // Every provider seeded: the emulators generate their customers on demand.
    let sandbox = Sandbox::start(SandboxConfig::demo(customers)).await?;
    let seeded = clover_of(&sandbox)?;
    let temp = TempDir::new("due")?;
    let secrets = Arc::new(coffer_engine::secrets::MemoryStore::default());
    let engine = engine_with(temp.path(), secrets.clone(), None)?;
    let (due, today) = due_day()?;
    let set_up = set_up_merchant(&engine, &seeded, occurrences, due, today).await?;
    let (merchant, cards) = (set_up.merchant, set_up.cards);
    errln!("bench due: today's run (pre-charge notices)");
    let started = Instant::now();
    engine
        .run_due(
            DueRun {
                merchants: vec![merchant].into(),
                concurrency,
                ..DueRun::default()
            },
            Arc::new(NoProgress),
        )
        .await?;
    let notice_run_seconds = started.elapsed().as_secs_f64();
    let contracts_seconds = set_up.contracts_seconds;
    let setup_seconds = setup_started.elapsed().as_secs_f64();

    errln!("bench due: the run on {due}");
    // That day's run, on a clock that reads its noon: a run never charges ahead of its today.
    let noon = due
        .and_hms_opt(12, 0, 0)
        .ok_or_else(|| anyhow::anyhow!("no noon on {due}"))?
        .and_utc();
    let engine = engine_with(temp.path(), secrets, Some(noon))?;
    let run = DueRun {
        date: None,
        merchants: vec![merchant].into(),
        concurrency,
        dry_run: false,
        approved: None,
    };
    let started = Instant::now();
    let summary = engine.run_due(run.clone(), Arc::new(NoProgress)).await?;
    let run_took = started.elapsed();
    anyhow::ensure!(
        summary.charged.len() == occurrences,
        "the run should charge all {occurrences} occurrences; it charged {}, declined {}, \
         refused {}, skipped {}, failed {} (first refusal: {:?}, first failure: {:?})",
        summary.charged.len(),
        summary.declined.len(),
        summary.refused.len(),
        summary.skipped.len(),
        summary.failed.len(),
        summary.refused.first().map(|i| &i.message),
        summary.failed.first().map(|i| &i.message),
    );
    let started = Instant::now();
    let rerun = engine.run_due(run, Arc::new(NoProgress)).await?;
    let rerun_took = started.elapsed();

    let check = check_exactly_once(&sandbox, &engine, vec![merchant], occurrences).await?;

    errln!("bench due: raw loop of {occurrences} charges");
    let tokens: Vec<String> = cards.into_iter().map(|(_, token)| token).collect();
    let (raw_charges, raw_took) = raw_charges(&seeded, &tokens, occurrences, concurrency).await?;
    errln!("bench due: durable floor of {occurrences} charges");
    let (floor_charges, floor_took) =
        durable_floor(&seeded, &tokens, occurrences, concurrency, temp.path()).await?;
    let charges_per_s = rate(summary.charged.len() as u64, run_took);
    let raw_rate = rate(raw_charges, raw_took);
    let floor_rate = rate(floor_charges, floor_took);
    Ok(DueReport {
        occurrences: occurrences as u64,
        concurrency,
        setup_seconds,
        contracts_seconds,
        notice_run_seconds,
        run_seconds: run_took.as_secs_f64(),
        charges_per_s,
        rerun_seconds: rerun_took.as_secs_f64(),
        rerun_charged: rerun.charged.len() as u64,
        sandbox_charges: check.sandbox_charges,
        duplicate_charges: check.duplicates,
        occurrences_not_charged: check.not_charged,
        charges_without_ledger_row: check.without_row,
        ledger_succeeded: check.ledger_succeeded,
        raw_charges,
        raw_seconds: raw_took.as_secs_f64(),
        raw_charges_per_s: raw_rate,
        ratio: ratio(charges_per_s, raw_rate),
        floor_seconds: floor_took.as_secs_f64(),
        floor_charges_per_s: floor_rate,
        floor_ratio: ratio(floor_rate, raw_rate),
    })
}

/// What the provider and the ledger say of a run that should have charged each occurrence once.
pub(crate) struct Check {
    /// Approved charges at the sandbox.
    pub sandbox_charges: u64,
    /// Occurrences or cards charged more than once (each extra charge counted).
    pub duplicates: u64,
    pub not_charged: u64,
    /// Approved charges the ledger has no row for.
    pub without_row: u64,
    pub ledger_succeeded: u64,
}

/// The exactly-once check, at the provider (`GET /__sandbox/charges`) and against the ledger of
/// `merchants`, which should hold `expected` charged occurrences.
pub(crate) async fn check_exactly_once(
    sandbox: &Sandbox,
    engine: &coffer_engine::Engine,
    merchants: Vec<MerchantId>,
    expected: usize,
) -> anyhow::Result<Check> {
    let charges: Vec<SandboxCharge> =
        reqwest::get(format!("{}/charges?provider=clover", sandbox.urls.admin))
            .await?
            .error_for_status()?
            .json()
            .await?;
    let charges: Vec<SandboxCharge> = charges
        .into_iter()
        .filter(|c| c.kind == "charge" && c.status == "approved")
        .collect();
    let ledger = engine
        .list_charges(ChargeQuery {
            merchants: merchants.into(),
            ..ChargeQuery::default()
        })
        .await?;
    let ledger_keys: HashSet<String> = ledger.iter().map(|a| a.idempotency_key.0.clone()).collect();
    let ledger_succeeded = ledger
        .iter()
        .filter(|a| a.state == coffer_core::ChargeState::Succeeded)
        .count() as u64;
    let mut per_occurrence: HashMap<String, u64> = HashMap::new();
    let mut per_card: HashMap<&str, u64> = HashMap::new();
    let mut without_row = 0;
    for c in &charges {
        let key = c.idempotency_key.clone().unwrap_or_default();
        if !ledger_keys.contains(&key) {
            without_row += 1;
        }
        // due-<merchant>-<contract>-<occurrence>-<try>: the occurrence is all but the try.
        let occurrence = key.rsplit_once('-').map(|(o, _)| o.to_string());
        *per_occurrence.entry(occurrence.unwrap_or(key)).or_default() += 1;
        *per_card.entry(c.card_token.as_str()).or_default() += 1;
    }
    Ok(Check {
        sandbox_charges: charges.len() as u64,
        duplicates: per_occurrence.values().map(|n| n - 1).sum::<u64>()
            + per_card.values().map(|n| n - 1).sum::<u64>(),
        not_charged: expected.saturating_sub(per_occurrence.len()) as u64,
        without_row,
        ledger_succeeded,
    })
}

/// The day the bench's contracts fall due: five days ahead (a notice lead of 3 fits), never
/// past the 28th so every month has it; and today.
pub(crate) fn due_day() -> anyhow::Result<(chrono::NaiveDate, chrono::NaiveDate)> {
    let today = chrono::Utc::now().date_naive();
    let mut due = today
        .checked_add_days(Days::new(5))
        .ok_or_else(|| anyhow::anyhow!("no date after {today}"))?;
    if due.day() > 28 {
        due = due
            .checked_add_days(Days::new(5))
            .ok_or_else(|| anyhow::anyhow!("no date after {due}"))?;
    }
    Ok((due, today))
}

/// A merchant registered, synced, with initials and consents and `occurrences` contracts.
pub(crate) struct SetUp {
    pub merchant: MerchantId,
    /// The contracts' cards: (card id, token).
    pub cards: Vec<(i64, String)>,
    pub contracts_seconds: f64,
}

/// Registers and syncs `seeded`, records its initials and consents, and makes `occurrences`
/// monthly contracts of 7.70 due on `due`, starting `today`.
pub(crate) async fn set_up_merchant(
    engine: &coffer_engine::Engine,
    seeded: &SandboxMerchant,
    occurrences: usize,
    due: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> anyhow::Result<SetUp> {
    let merchant = MerchantId(register(engine, seeded).await?.id);
    errln!("bench due: {}: syncing", seeded.name);
    let synced = engine
        .sync_merchant(merchant, Arc::new(NoProgress), CancellationToken::new())
        .await?;
    anyhow::ensure!(synced.error.is_none(), "sync failed: {synced:?}");
    record_initials_and_consents(engine, merchant, seeded).await?;
    let cards = usable_cards(engine, merchant, due, occurrences).await?;
    errln!(
        "bench due: {}: creating {occurrences} contracts",
        seeded.name
    );
    let started = Instant::now();
    for (card, _) in &cards {
        engine
            .create_contract(ContractInput {
                card: *card,
                amount: Some("7.70".into()),
                frequency: Some(Frequency::Monthly { day: due.day() }),
                start: Some(today),
                ..ContractInput::default()
            })
            .await?;
    }
    Ok(SetUp {
        merchant,
        cards,
        contracts_seconds: started.elapsed().as_secs_f64(),
    })
}

/// The seed's initial transactions (Clover lists none) and the cardholders' consents, as
/// `coffer demo` records them, written through a second connection to the profile's database.
async fn record_initials_and_consents(
    engine: &coffer_engine::Engine,
    merchant: MerchantId,
    seeded: &SandboxMerchant,
) -> anyhow::Result<()> {
    let store = Store::open(&coffer_engine::config::database_path(engine.data_dir()))?;
    let now = chrono::Utc::now();
    let mut offset = 0u64;
    loop {
        let page: InitialsPage = reqwest::get(format!(
            "{}/__sandbox/initials?merchant={}&offset={offset}&limit=1000",
            seeded.base_url,
            seeded.account.account_id()
        ))
        .await?
        .error_for_status()?
        .json()
        .await?;
        if page.initials.is_empty() {
            break;
        }
        offset += page.initials.len() as u64;
        store.batch(|store| {
            for i in &page.initials {
                let Ok(currency) = coffer_core::Currency::from_code(&i.currency) else {
                    continue;
                };
                store.set_initial_by_token(
                    merchant,
                    &coffer_core::CardToken(i.token.clone()),
                    &coffer_core::InitialTransaction {
                        reference: coffer_core::ProviderRef(i.initial_ref.clone()),
                        amount: Some(coffer_core::Money::from_minor(i.amount_minor, currency)),
                        at: now,
                        kind: i.kind,
                        registered: None,
                    },
                )?;
            }
            Ok(())
        })?;
        if offset >= page.total {
            break;
        }
    }
    store.record_consent_where_initial(
        merchant,
        &Consent {
            given_at: now,
            terms: "Bench: the cardholder agreed to merchant-initiated charges.".into(),
        },
    )?;
    Ok(())
}

/// `wanted` cards that a recurring charge on `due` may use: consent and initial transaction,
/// active, not expiring by then, no test behaviour (decline, timeout…).
async fn usable_cards(
    engine: &coffer_engine::Engine,
    merchant: MerchantId,
    due: chrono::NaiveDate,
    wanted: usize,
) -> anyhow::Result<Vec<(i64, String)>> {
    let mut chosen = Vec::with_capacity(wanted);
    let mut offset = 0;
    while chosen.len() < wanted {
        let page = engine
            .list_cards(CardSearch {
                merchant: Some(merchant),
                limit: Some(10_000),
                offset: Some(offset),
                ..CardSearch::default()
            })
            .await?;
        if page.is_empty() {
            break;
        }
        offset += page.len() as u32;
        for c in page {
            let after_due = (c.exp_year, c.exp_month) > (due.year(), due.month());
            let special = ["0341", "0002", "0069", "0077", "0019"].contains(&c.last4.as_str());
            if c.mit_ready && c.active && !c.expired && after_due && !special {
                chosen.push((c.id, c.token));
            }
        }
    }
    chosen.truncate(wanted);
    anyhow::ensure!(
        chosen.len() == wanted,
        "the sandbox has only {} usable cards, {wanted} were wanted",
        chosen.len()
    );
    Ok(chosen)
}

/// `count` charges of the due run's shape, `concurrency` in flight, each with its own key.
async fn raw_charges(
    m: &SandboxMerchant,
    tokens: &[String],
    count: usize,
    concurrency: usize,
) -> anyhow::Result<(u64, std::time::Duration)> {
    anyhow::ensure!(!tokens.is_empty(), "no card tokens for the raw loop");
    let client = reqwest::Client::new();
    let url = format!("{}/v1/charges", m.base_url);
    let started = Instant::now();
    let results: Vec<anyhow::Result<()>> = futures::stream::iter(0..count)
        .map(|i| {
            let (client, url) = (client.clone(), url.clone());
            let token = tokens[i % tokens.len()].clone();
            async move { raw_charge(&client, &url, &m.secret, &token, "raw", i).await }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let took = started.elapsed();
    let mut ok = 0;
    for r in results {
        r?;
        ok += 1;
    }
    Ok((ok, took))
}

/// One charge of the due run's shape, its body read and not parsed. `loop_name` (three
/// letters: Clover takes 12 characters of `external_reference_id`) tells the loops apart.
async fn raw_charge(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    token: &str,
    loop_name: &str,
    i: usize,
) -> anyhow::Result<()> {
    let body = serde_json::json!({
        "amount": AMOUNT_MINOR,
        "currency": "usd",
        "source": token,
        "capture": true,
        "ecomind": "moto",
        "description": format!("{loop_name} loop"),
        "external_reference_id": format!("{loop_name}{i:09}"),
        "stored_credentials": {
            "sequence": "SUBSEQUENT",
            "initiator": "MERCHANT",
            "is_scheduled": true
        }
    });
    let response = client
        .post(url)
        .bearer_auth(secret)
        .header("idempotency-key", format!("{loop_name}-{i}"))
        .header("x-forwarded-for", "127.0.0.1")
        .header("user-agent", "coffer-bench-raw-loop")
        .json(&body)
        .send()
        .await?;
    let status = response.status();
    let body = response.bytes().await?;
    anyhow::ensure!(
        status.is_success(),
        "the {loop_name} loop's charge was refused ({status}): {}",
        String::from_utf8_lossy(&body)
    );
    Ok(())
}

/// The raw loop with only what exactly-once itself asks: no request leaves before a durable
/// commit records it, and its slot is taken again only by a commit that records its answer.
/// Each commit records the answers that came in and the requests that take their slots (the
/// due run's group commit), at most `concurrency` recorded and unanswered. One bare table
/// (`INTEGER PRIMARY KEY`, a state), the store writer's settings (WAL, `synchronous=FULL`): no
/// policy, no audit event, no index. No run that keeps those two rules at this concurrency can
/// be faster on this machine, so its rate over the raw loop's bounds the due run's ratio.
async fn durable_floor(
    m: &SandboxMerchant,
    tokens: &[String],
    count: usize,
    concurrency: usize,
    dir: &std::path::Path,
) -> anyhow::Result<(u64, std::time::Duration)> {
    anyhow::ensure!(!tokens.is_empty(), "no card tokens for the durable floor");
    let mut db = rusqlite::Connection::open(dir.join("durable-floor.sqlite"))?;
    db.pragma_update(None, "journal_mode", "WAL")?;
    db.pragma_update(None, "synchronous", "FULL")?;
    db.pragma_update(None, "temp_store", "MEMORY")?;
    db.execute_batch(
        "CREATE TABLE IF NOT EXISTS charges (id INTEGER PRIMARY KEY, state TEXT NOT NULL)",
    )?;
    let client = reqwest::Client::new();
    let url = Arc::new(format!("{}/v1/charges", m.base_url));
    let secret = Arc::new(m.secret.clone());
    let (answers_tx, mut answers) = tokio::sync::mpsc::unbounded_channel();
    let send = |i: usize| {
        let (client, url, secret) = (client.clone(), url.clone(), secret.clone());
        let token = tokens[i % tokens.len()].clone();
        let answers_tx = answers_tx.clone();
        tokio::spawn(async move {
            let answer = raw_charge(&client, &url, &secret, &token, "dur", i).await;
            let _ = answers_tx.send((i, answer));
        });
    };
    let started = Instant::now();
    let (mut next, mut settled, mut ok) = (0usize, 0usize, 0u64);
    let mut answered: Vec<(usize, anyhow::Result<()>)> = Vec::new();
    while settled < count {
        let taking = (count - next).min(concurrency.max(1) - (next - settled - answered.len()));
        let planned = next..next + taking;
        tokio::task::block_in_place(|| -> rusqlite::Result<()> {
            let tx = db.transaction()?;
            {
                let mut settle =
                    tx.prepare_cached("UPDATE charges SET state = ?2 WHERE id = ?1")?;
                for (i, answer) in &answered {
                    let state = if answer.is_ok() {
                        "succeeded"
                    } else {
                        "failed"
                    };
                    settle.execute(rusqlite::params![*i as i64, state])?;
                }
                let mut plan =
                    tx.prepare_cached("INSERT INTO charges (id, state) VALUES (?1, 'sending')")?;
                for i in planned.clone() {
                    plan.execute([i as i64])?;
                }
            }
            tx.commit()
        })?;
        for (_, answer) in answered.drain(..) {
            answer?;
            ok += 1;
            settled += 1;
        }
        for i in planned {
            send(i);
        }
        next += taking;
        if settled == count {
            break;
        }
        let first = answers
            .recv()
            .await
            .ok_or_else(|| anyhow::anyhow!("the durable floor's requests stopped answering"))?;
        answered.push(first);
        while let Ok(more) = answers.try_recv() {
            answered.push(more);
        }
    }
    Ok((ok, started.elapsed()))
}

/// The table.
pub fn print(reports: &[DueReport]) {
    outln!(
        "{:>7} {:>5} {:>9} {:>10} {:>11} {:>9} {:>5} {:>7} {:>9} {:>11} {:>7} {:>11} {:>8}",
        "due",
        "conc",
        "setup s",
        "run s",
        "charges/s",
        "rerun s",
        "dup",
        "missing",
        "no row",
        "raw ch/s",
        "ratio",
        "floor ch/s",
        "ceiling"
    );
    for r in reports {
        outln!(
            "{:>7} {:>5} {:>9.1} {:>10.2} {:>11.0} {:>9.2} {:>5} {:>7} {:>9} {:>11.0} {:>7.2} {:>11.0} {:>8.2}",
            r.occurrences,
            r.concurrency,
            r.setup_seconds,
            r.run_seconds,
            r.charges_per_s,
            r.rerun_seconds,
            r.duplicate_charges,
            r.occurrences_not_charged,
            r.charges_without_ledger_row,
            r.raw_charges_per_s,
            r.ratio,
            r.floor_charges_per_s,
            r.floor_ratio
        );
    }
}
