//! The in-process world of the fault tests: the four emulators on an ephemeral port with Assist
//! charging a reused OrderNumber again (`assist_order_number_reuse_charges`, so a wrong resend
//! would show as a second charge), an engine on a throw-away profile with its secrets in memory,
//! and the demo merchants registered on a clock 40 days back (Assist keeps a series'
//! charges `RecurringPeriod`, 31 days, after its initial payment, which the demo records at its
//! own clock). And the one tally every test of money makes: what the sandbox made against what
//! the ledger holds.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Days, NaiveDate, Utc};
use coffer_core::{ChargeState, MerchantId};
use coffer_engine::merchants::MerchantEdit;
use coffer_engine::progress::NoProgress;
use coffer_engine::search::{CardSearch, CardView};
use coffer_engine::secrets::MemoryStore;
use coffer_engine::Engine;
use coffer_sandbox::{AcceptedCharge, FaultConfig, Sandbox, SandboxConfig};

/// Whether a card's last four digits make it a sandbox test card that declines, times out or
/// loses its answer on its own: every test card of the four emulators' docs ends below 1000,
/// which the seed never draws for an ordinary card (the shared 0341, 0002, 0069, 0077, 0019,
/// Assist's 0100, 0103, 0108, 0121, ProcessOut's 0010, 0291), except ProcessOut's doc card
/// 1216, whose payments decline.
pub fn is_test_card(last4: &str) -> bool {
    last4 == "1216" || last4.parse::<u32>().map_or(true, |n| n < 1000)
}

pub struct World {
    pub sandbox: Sandbox,
    /// The engine on the real clock.
    pub engine: Engine,
    pub dir: tempfile::TempDir,
    pub secrets: Arc<MemoryStore>,
}

impl World {
    /// `customers` per seeded merchant.
    pub async fn new(customers: usize) -> World {
        let mut config = SandboxConfig::demo(customers);
        config.faults = FaultConfig {
            assist_order_number_reuse_charges: true,
            ..FaultConfig::default()
        };
        let sandbox = Sandbox::start(config).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let secrets = Arc::new(MemoryStore::default());
        let past = Utc::now().checked_sub_days(Days::new(40)).unwrap();
        {
            let demo = engine_on(dir.path(), secrets.clone(), Some(past));
            coffer_demo::demo(
                &demo,
                Some(sandbox.urls.admin.clone()),
                Arc::new(NoProgress),
            )
            .await
            .unwrap();
        }
        let engine = engine_on(dir.path(), secrets.clone(), None);
        World {
            sandbox,
            engine,
            dir,
            secrets,
        }
    }

    /// Another engine on this profile whose clock reads `now`: a later run (cron tomorrow,
    /// reconcile a quarter of an hour on).
    pub fn engine_at(&self, now: DateTime<Utc>) -> Engine {
        engine_on(self.dir.path(), self.secrets.clone(), Some(now))
    }

    /// Sets the knobs `knobs` names (`PUT /__sandbox/faults`).
    pub async fn faults(&self, knobs: serde_json::Value) {
        let status = reqwest::Client::new()
            .put(format!("{}/faults", self.sandbox.urls.admin))
            .json(&knobs)
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_success(), "the sandbox takes the fault knobs");
    }

    /// The knobs as they stand (`GET /__sandbox/faults`): what is left of the counters.
    pub async fn knobs(&self) -> FaultConfig {
        reqwest::get(format!("{}/faults", self.sandbox.urls.admin))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The first merchant of `provider`.
    pub async fn merchant(&self, provider: &str) -> MerchantId {
        let all = self.engine.list_merchants().await.unwrap();
        let m = all
            .iter()
            .find(|m| m.provider == provider)
            .unwrap_or_else(|| panic!("the demo registered a {provider} merchant"));
        MerchantId(m.id)
    }

    /// Today where `merchant` is: a contract's start is judged in the merchant's zone, and
    /// between 21:00 and midnight UTC Minsk is already on the next day.
    pub async fn today(&self, merchant: MerchantId) -> NaiveDate {
        let all = self.engine.list_merchants().await.unwrap();
        let m = all.iter().find(|m| m.id == merchant.0).unwrap();
        let zone = coffer_core::merchant::parse_time_zone(&m.time_zone).unwrap();
        coffer_core::clock::local_date(Utc::now(), zone)
    }

    /// `count` cards of `merchant` that can be charged and behave (consent and initial
    /// recorded, active, not expiring, no test behaviour, no CVC asked for on every charge),
    /// skipping the first `skip`.
    pub async fn usable_cards(
        &self,
        merchant: MerchantId,
        skip: usize,
        count: usize,
    ) -> Vec<CardView> {
        let cards = self
            .engine
            .list_cards(CardSearch {
                merchant: Some(merchant),
                limit: Some(10_000),
                ..CardSearch::default()
            })
            .await
            .unwrap();
        let needing_cvc = crate::cards_needing_cvc(self.dir.path());
        let usable: Vec<CardView> = cards
            .into_iter()
            .filter(|c| !needing_cvc.contains(&c.id))
            .filter(|c| {
                c.mit_ready && c.active && !c.expired && !c.expiring_soon && !is_test_card(&c.last4)
            })
            .skip(skip)
            .take(count)
            .collect();
        assert_eq!(
            usable.len(),
            count,
            "merchant {merchant} has {count} usable cards after the first {skip}"
        );
        usable
    }

    /// Gives `merchant` no notice lead, so that a contract due today is charged today.
    pub async fn no_notice_lead(&self, merchant: MerchantId) {
        self.engine
            .edit_merchant(
                merchant,
                MerchantEdit {
                    notice_lead_days: Some(0),
                    ..MerchantEdit::default()
                },
                None,
            )
            .await
            .unwrap();
    }

    /// What the sandbox made (approved) of `kind` ("charge", "refund") for `amount_minor`.
    pub fn made(&self, kind: &str, amount_minor: i64) -> Vec<AcceptedCharge> {
        self.sandbox
            .ledger
            .all()
            .into_iter()
            .filter(|c| c.kind == kind && c.amount_minor == amount_minor && c.status == "approved")
            .collect()
    }
}

fn engine_on(
    dir: &std::path::Path,
    secrets: Arc<MemoryStore>,
    now: Option<DateTime<Utc>>,
) -> Engine {
    let builder = coffer_demo::with_embedded_sandboxes(Engine::builder())
        .data_dir(Some(dir.to_path_buf()))
        .secrets(secrets);
    match now {
        Some(now) => builder.clock(Arc::new(coffer_core::clock::FixedClock(now))),
        None => builder,
    }
    .open()
    .unwrap()
}

/// A charge the sandbox made, as the tally needs it.
#[derive(Debug, Clone)]
pub struct Made {
    pub provider: String,
    pub card_token: String,
    pub idempotency_key: Option<String>,
    pub order_id: Option<String>,
}

impl From<&AcceptedCharge> for Made {
    fn from(c: &AcceptedCharge) -> Made {
        Made {
            provider: c.provider.clone(),
            card_token: c.card_token.clone(),
            idempotency_key: c.idempotency_key.clone(),
            order_id: c.order_id.clone(),
        }
    }
}

/// A ledger row, as the tally needs it.
#[derive(Debug, Clone)]
pub struct Kept {
    pub idempotency_key: String,
    pub order_id: String,
    /// planned, sending, succeeded, declined, failed.
    pub state: String,
}

impl From<&coffer_core::ChargeAttempt> for Kept {
    fn from(a: &coffer_core::ChargeAttempt) -> Kept {
        Kept {
            idempotency_key: a.idempotency_key.0.clone(),
            order_id: a.order_id.clone(),
            state: a.state.as_str().to_string(),
        }
    }
}

/// What the sandbox made, held against the ledger, per provider.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Charges made.
    pub made: u64,
    /// Beyond one per card (every scenario charges a card once).
    pub duplicates: u64,
    /// Made, without a ledger row (Clover and ProcessOut record the Idempotency-Key, Assist and
    /// Svea Coffer's order id: OrderNumber, pmt_id).
    pub lost: u64,
    /// Made, and the row says failed or declined: the engine settled a made charge wrongly.
    pub wrong: u64,
    /// Made, and the row still open.
    pub open: u64,
}

/// The tally of `made` against `kept` for one provider.
pub fn tally(provider: &str, made: &[Made], kept: &[Kept]) -> Tally {
    let made: Vec<&Made> = made.iter().filter(|m| m.provider == provider).collect();
    let mut per_card: HashMap<&str, u64> = HashMap::new();
    for m in &made {
        *per_card.entry(m.card_token.as_str()).or_default() += 1;
    }
    let by_key: HashMap<&str, &Kept> = kept
        .iter()
        .map(|k| (k.idempotency_key.as_str(), k))
        .collect();
    let by_order: HashMap<&str, &Kept> = kept.iter().map(|k| (k.order_id.as_str(), k)).collect();
    let mut t = Tally {
        made: made.len() as u64,
        duplicates: per_card.values().map(|n| n.saturating_sub(1)).sum(),
        ..Tally::default()
    };
    for m in &made {
        let row = match (&m.idempotency_key, &m.order_id) {
            (Some(key), _) if by_key.contains_key(key.as_str()) => by_key.get(key.as_str()),
            (_, Some(order)) => by_order.get(order.as_str()),
            _ => None,
        };
        match row.map(|r| r.state.as_str()) {
            None => t.lost += 1,
            Some("succeeded") => {}
            Some("failed" | "declined") => t.wrong += 1,
            Some(_) => t.open += 1,
        }
    }
    t
}

/// The cards of `made` charged more than once.
pub fn charged_twice(made: &[Made]) -> Vec<String> {
    let mut seen = HashSet::new();
    made.iter()
        .filter(|m| !seen.insert(m.card_token.as_str()))
        .map(|m| m.card_token.clone())
        .collect()
}

/// Whether `state` is a failure: a made charge must never end there.
pub fn failed(state: ChargeState) -> bool {
    matches!(state, ChargeState::Failed | ChargeState::Declined)
}

/// Failures of a test over several providers, gathered so that one provider's failure does not
/// hide the others' numbers; asserted at the end.
#[derive(Debug, Default)]
pub struct Findings(Vec<String>);

impl Findings {
    /// Notes `why` unless `holds`.
    pub fn check(&mut self, holds: bool, why: impl FnOnce() -> String) {
        if !holds {
            let why = why();
            eprintln!("FINDING: {why}");
            self.0.push(why);
        }
    }

    /// Fails the test with every finding.
    pub fn assert_none(self, what: &str) {
        assert!(
            self.0.is_empty(),
            "{what}: {} finding(s):\n- {}",
            self.0.len(),
            self.0.join("\n- ")
        );
    }
}
