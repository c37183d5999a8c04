//! The engine's use cases against real HTTP sandboxes, in one test binary; modules by use case.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test binary: a failed unwrap is a failed test

mod apm_tokens;
mod card_import;
mod card_life;
mod charging;
mod contract_import;
mod contract_terms;
mod contracts;
mod copies;
mod database;
mod due;
mod due_batch;
mod endpoints;
mod enrollment;
mod enrollment_pages;
mod enrollment_processout;
mod erasure;
mod lost_answers;
mod merchant_check;
mod notices;
mod private_files;
mod reports;
mod safety;
mod svea_address_and_settlement;
mod svea_refresh;
mod truth;
mod world;

use std::sync::Arc;

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc};
use coffer_core::clock::{local_date, FixedClock};
use coffer_core::{CardId, ContractId};
use coffer_engine::contracts::{ContractInput, ContractView};
use coffer_engine::due::{DueRun, DueSummary};
use coffer_engine::progress::NoProgress;
use coffer_engine::search::{CardSearch, CardView};
use coffer_engine::secrets::MemoryStore;
use coffer_engine::Engine;
use coffer_sandbox::{Sandbox, SandboxConfig};
use coffer_store::repo::prelude::*;
use coffer_store::Store;

/// Last four digits with a test behaviour in the sandboxes.
pub const SPECIAL_LAST4: [&str; 5] = ["0341", "0002", "0069", "0077", "0019"];

/// A profile with the demo merchants registered against an in-process sandbox.
pub struct World {
    pub dir: tempfile::TempDir,
    pub sandbox: Sandbox,
    pub secrets: Arc<MemoryStore>,
    pub engine: Engine,
}

impl World {
    pub async fn new() -> World {
        let sandbox = Sandbox::start(SandboxConfig::demo(40)).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let secrets = Arc::new(MemoryStore::default());
        let engine = coffer_demo::with_embedded_sandboxes(Engine::builder())
            .data_dir(Some(dir.path().to_path_buf()))
            .secrets(secrets.clone())
            .clock(Arc::new(FixedClock(Utc::now())))
            .open()
            .unwrap();
        coffer_demo::demo(
            &engine,
            Some(sandbox.urls.admin.clone()),
            Arc::new(NoProgress),
        )
        .await
        .unwrap();
        World {
            dir,
            sandbox,
            secrets,
            engine,
        }
    }

    /// Another engine on the same profile, whose clock reads midday (Helsinki) of `date`: what
    /// `coffer run-due --date` builds, and a second process would be.
    pub fn engine_on(&self, date: NaiveDate) -> Engine {
        coffer_demo::with_embedded_sandboxes(Engine::builder())
            .data_dir(Some(self.dir.path().to_path_buf()))
            .secrets(self.secrets.clone())
            .clock(Arc::new(FixedClock(noon(date))))
            .open()
            .unwrap()
    }

    /// A second connection to the profile's database, to read what the engine wrote.
    pub fn store(&self) -> Store {
        Store::open(&coffer_engine::config::database_path(self.dir.path())).unwrap()
    }

    pub async fn merchant_id(&self, name: &str) -> i64 {
        self.engine
            .list_merchants()
            .await
            .unwrap()
            .into_iter()
            .find(|m| m.name == name)
            .unwrap_or_else(|| panic!("demo merchant {name}"))
            .id
    }

    /// `count` usable cards (consent, initial transaction, not expired, an e-mail on file) of the
    /// merchant, with the given test last4 or none of them.
    pub async fn cards(&self, merchant: &str, last4: Option<&str>, count: usize) -> Vec<CardView> {
        let id = self.merchant_id(merchant).await;
        let store = self.store();
        let cards: Vec<CardView> = self
            .engine
            .list_cards(CardSearch {
                merchant: Some(coffer_core::MerchantId(id)),
                active_only: true,
                limit: Some(5000),
                ..CardSearch::default()
            })
            .await
            .unwrap()
            .into_iter()
            .filter(|c| c.mit_ready && !c.expired && !c.expiring_soon)
            .filter(|c| match last4 {
                Some(l) => c.last4 == l,
                None => !SPECIAL_LAST4.contains(&c.last4.as_str()),
            })
            .filter(|c| {
                store
                    .customer(coffer_core::CustomerId(c.customer_id))
                    .unwrap()
                    .email
                    .is_some()
            })
            .collect();
        // One card per customer: two contracts of one customer are independent anyway, but
        // the tests count charges per card.
        assert!(
            cards.len() >= count,
            "the demo seed has {} such cards of {merchant}, the test needs {count}",
            cards.len()
        );
        cards.into_iter().take(count).collect()
    }

    /// What the sandbox processed, from its admin API.
    pub async fn sandbox_charges(&self) -> Vec<serde_json::Value> {
        reqwest::get(format!("{}/charges", self.sandbox.urls.admin))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Charges (not refunds) the sandbox processed for this card token.
    pub async fn charges_of(&self, token: &str) -> usize {
        self.sandbox_charges()
            .await
            .iter()
            .filter(|c| c["card_token"] == token && c["kind"] == "charge")
            .count()
    }
}

/// 12:00 in Helsinki on `date`.
pub fn noon(date: NaiveDate) -> DateTime<Utc> {
    chrono_tz::Europe::Helsinki
        .from_local_datetime(&date.and_hms_opt(12, 0, 0).unwrap())
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

/// Today in Helsinki, where the Svea demo merchants are.
pub fn today() -> NaiveDate {
    local_date(Utc::now(), chrono_tz::Europe::Helsinki)
}

/// Today for ProcessOut Paris, an hour behind Helsinki: from 22:00 UTC a day before [`today`],
/// so a test that runs the due run on the real clock for Paris asks for Paris's date.
pub fn paris_today() -> NaiveDate {
    local_date(Utc::now(), chrono_tz::Europe::Paris)
}

/// A due date a few days ahead (past the 3-day notice lead), not on the 1st, so the day before
/// it is in the same calendar month.
pub fn due_soon() -> NaiveDate {
    let mut due = today().checked_add_days(Days::new(5)).unwrap();
    if due.day() == 1 {
        due = due.checked_add_days(Days::new(1)).unwrap();
    }
    due
}

/// A monthly contract of `amount` on `card`, first due on `due`.
pub async fn monthly(engine: &Engine, card: i64, amount: &str, due: NaiveDate) -> ContractView {
    engine
        .create_contract(ContractInput {
            card,
            amount: Some(amount.into()),
            frequency: Some(coffer_core::contract::Frequency::Monthly { day: due.day() }),
            ..ContractInput::default()
        })
        .await
        .unwrap()
}

/// Runs the due run as of `date` on a fresh engine whose clock reads that date.
pub async fn run_on(world: &World, date: NaiveDate) -> DueSummary {
    world
        .engine_on(date)
        .run_due(
            DueRun {
                date: Some(date),
                ..DueRun::default()
            },
            Arc::new(NoProgress),
        )
        .await
        .unwrap()
}

pub fn occurrence_state(world: &World, contract: ContractId, number: u32) -> String {
    let o = world.store().occurrence(contract, number).unwrap().unwrap();
    format!("{:?}", o.state).to_lowercase()
}

pub fn card_id(card: &CardView) -> CardId {
    CardId(card.id)
}
