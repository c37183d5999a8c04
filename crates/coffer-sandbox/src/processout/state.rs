//! The emulator's memory: one [`Project`] per seeded ProcessOut project, each holding its
//! customers (with their customer tokens), invoices, transactions, single-use cards and the
//! idempotency store. Everything is serde-able for `--state FILE`; the id → position indexes are
//! rebuilt after a restore instead of being written out.
//!
//! Objects live in creation order in plain vectors, so the documented cursor pagination is a
//! position lookup in an index and seeding 100,000 customers is one pass with no re-sorting.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use coffer_core::Currency;
use serde::{Deserialize, Serialize};

use crate::faults::Horizon;
use crate::seed::Seed;

/// The seeded projects: (merchant key, display name, currency, IANA time zone).
pub(crate) const PROJECTS: [(&str, &str, Currency, &str); 2] = [
    (
        "processout/1",
        "ProcessOut Paris",
        Currency::EUR,
        "Europe/Paris",
    ),
    (
        "processout/2",
        "ProcessOut London",
        Currency::GBP,
        "Europe/London",
    ),
];

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct State {
    pub projects: Vec<Project>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Project {
    /// `test-proj_…`: only sandbox projects exist here.
    pub id: String,
    /// `key_sandbox_…`, the Basic-auth password.
    pub secret: String,
    pub name: String,
    pub currency: Currency,
    pub time_zone: String,
    /// The seed's merchant key (`processout/1`) and the seed: the seeded customers, tokens and
    /// initial CITs are generated from them on demand (`seeding.rs`), never stored. A state
    /// file from before holds its seeded objects in the vectors below and reads back with no
    /// seed of its own.
    #[serde(default)]
    pub seed_key: String,
    #[serde(default = "no_seed")]
    pub seed: Seed,
    /// Seeded customers changed since seeding, by index: the copy wins over the seed's.
    #[serde(default)]
    pub changed_customers: BTreeMap<usize, Customer>,
    /// Seeded customers deleted, by index.
    #[serde(default)]
    pub deleted_customers: BTreeSet<usize>,
    /// Seeded initial invoices and transactions changed since seeding, by card serial.
    #[serde(default)]
    pub changed_invoices: BTreeMap<u64, Invoice>,
    #[serde(default)]
    pub changed_transactions: BTreeMap<u64, Transaction>,
    /// Customers created through the API, oldest first (they follow the seeded ones).
    pub customers: Vec<Customer>,
    /// Invoices and transactions made through the API, oldest first (after the seeded ones).
    pub invoices: Vec<Invoice>,
    pub transactions: Vec<Transaction>,
    /// Cards minted by the sandbox's `POST /cards` (ProcessOut.js stand-in), single-use.
    pub cards: Vec<CardSnapshot>,
    /// Gateway request tokens (`gway_req_…`) the sandbox's APM page minted: single-use, bound to
    /// the blank customer token they were made for (seed 002 "Saving APM tokens").
    #[serde(default)]
    pub gateway_requests: Vec<GatewayRequest>,
    /// What happened, newest last, as `GET /events` lists it.
    #[serde(default)]
    pub events: Vec<Event>,
    /// `Idempotency-Key` → the first answer.
    pub idempotency: HashMap<String, StoredReply>,
    /// Feeds the ids of objects created at run time, so they stay deterministic.
    pub serial: u64,
    #[serde(skip)]
    pub customer_index: HashMap<String, usize>,
    #[serde(skip)]
    pub invoice_index: HashMap<String, usize>,
    #[serde(skip)]
    pub event_index: HashMap<String, usize>,
    #[serde(skip)]
    pub transaction_index: HashMap<String, usize>,
    /// Customer id → positions of its transactions, oldest first.
    #[serde(skip)]
    pub customer_transactions: HashMap<String, Vec<usize>>,
    /// Every `scheme_id` handed out at run time, to check an MIT's link without a scan (the
    /// seeded ones are recognised by their shape).
    #[serde(skip)]
    pub scheme_ids: HashSet<String>,
    /// How many seeded cards carry an initial CIT, counted on first need.
    #[serde(skip)]
    pub seeded_initials: std::sync::OnceLock<usize>,
}

/// The seed of a project read from a state file written before seeded objects were generated
/// on demand: none, its objects are all in the file.
fn no_seed() -> Seed {
    Seed::empty(chrono::NaiveDate::MIN)
}

/// An event: its `data` is a snapshot of the resource when it fired.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Event {
    pub id: String,
    /// `transaction.captured`, `customer.token.created`, …
    pub name: String,
    pub data: serde_json::Value,
    pub fired_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredReply {
    /// Hash of method, path and canonical body: a different request under the same key is refused.
    pub fingerprint: String,
    pub status: u16,
    pub body: String,
    /// The first answer was lost on purpose (response-lost card); replays are lost too.
    pub lost: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Customer {
    pub id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub company_name: Option<String>,
    pub country_code: Option<String>,
    pub currency: Option<Currency>,
    pub reference_id: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub default_token_id: Option<String>,
    pub tokens: Vec<Token>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Token {
    pub id: String,
    pub customer_id: String,
    /// `card`, `gateway_token` (an APM token) or `pending`.
    pub kind: String,
    pub card: Option<CardSnapshot>,
    /// The APM a `gateway_token` was saved from; `None` for card and pending tokens.
    #[serde(default)]
    pub gateway: Option<ApmGateway>,
    /// For a `gateway_token`: whether its APM lets the merchant charge it without the customer
    /// (the token's `is_chargeable`). A card token is chargeable by its card; ignored there.
    #[serde(default)]
    pub gateway_chargeable: bool,
    /// `not-requested`, `success`, `failed`.
    pub verification_status: String,
    /// The verification's invoice (the token object's `invoice_id`, notes §2), when it was verified.
    #[serde(default)]
    pub invoice_id: Option<String>,
    pub description: Option<String>,
    pub return_url: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub created_at: DateTime<Utc>,
}

impl Token {
    /// ProcessOut's `is_chargeable`: a card token with its card, or an APM token whose gateway
    /// lets the merchant charge it. A pending token holds nothing to charge.
    pub fn is_chargeable(&self) -> bool {
        self.card.is_some() || (self.gateway.is_some() && self.gateway_chargeable)
    }
}

/// The gateway configuration of an APM token, as processout-go's `GatewayConfiguration`
/// (`id`, `name`) and its `Gateway` (`name`, `display_name`) name it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ApmGateway {
    pub configuration_id: String,
    pub configuration_name: String,
    pub gateway_name: String,
    pub display_name: String,
}

/// What the cardholder approved at an APM's page for one blank customer token: the `gway_req_…`
/// the page sends back, to be saved onto that token (seed 002 "Saving APM tokens", step 4).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct GatewayRequest {
    pub id: String,
    pub customer_id: String,
    pub token_id: String,
    pub gateway: ApmGateway,
    /// Single-use, as a `card_…` source is (our choice: seed 002 says it serves only to make
    /// the customer token).
    pub used: bool,
}

/// The card as ProcessOut describes it: display fields only, never the number or the CVC.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CardSnapshot {
    pub id: String,
    pub scheme: String,
    pub card_type: String,
    pub bank_name: Option<String>,
    pub iin: String,
    pub last_4_digits: String,
    pub exp_month: u32,
    pub exp_year: i32,
    pub name: Option<String>,
    pub initial_scheme_transaction_id: Option<String>,
    /// A `card_…` source is single-use.
    pub used: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Invoice {
    pub id: String,
    pub name: String,
    pub amount_minor: i64,
    pub currency: Currency,
    pub customer_id: Option<String>,
    pub order_id: Option<String>,
    pub transaction_id: String,
    pub token_id: Option<String>,
    pub initiation_type: Option<String>,
    pub payment_intent: Option<String>,
    pub merchant_initiator_type: Option<String>,
    pub statement_descriptor: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub details: Vec<Detail>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Detail {
    pub id: String,
    pub name: String,
    pub amount_minor: i64,
    pub quantity: i64,
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Transaction {
    pub id: String,
    pub invoice_id: String,
    pub customer_id: Option<String>,
    pub token_id: Option<String>,
    pub card_id: Option<String>,
    pub name: String,
    /// `waiting`, `authorized`, `completed`, `failed`, `voided`, `refunded`.
    pub status: String,
    pub amount_minor: i64,
    pub currency: Currency,
    pub authorized_minor: i64,
    pub captured_minor: i64,
    pub refunded_minor: i64,
    pub voided_minor: i64,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub scheme_id: Option<String>,
    pub initial_scheme_transaction_id: Option<String>,
    pub operations: Vec<Operation>,
    pub refunds: Vec<Refund>,
    pub metadata: BTreeMap<String, String>,
    pub created_at: DateTime<Utc>,
    pub authorized_at: Option<DateTime<Utc>>,
    pub captured_at: Option<DateTime<Utc>>,
    pub refunded_at: Option<DateTime<Utc>>,
    pub voided_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Operation {
    pub id: String,
    /// `authorization`, `capture`, `void`, `refund`.
    pub kind: String,
    pub amount_minor: i64,
    pub is_successful: bool,
    pub error_code: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Refund {
    pub id: String,
    pub transaction_id: String,
    pub amount_minor: i64,
    pub reason: String,
    pub information: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub created_at: DateTime<Utc>,
}

impl Invoice {
    /// The invoice as a lookup may show it under `lookup_lag_secs`: nothing if it was made
    /// after the horizon, and without the token of a payment made after it (`paid` says
    /// whether its transaction shows one).
    pub fn as_seen(&self, horizon: Horizon, paid: bool) -> Option<Cow<'_, Invoice>> {
        if !horizon.shows(self.created_at) {
            return None;
        }
        if paid || self.token_id.is_none() {
            return Some(Cow::Borrowed(self));
        }
        let mut invoice = self.clone();
        invoice.token_id = None;
        Some(Cow::Owned(invoice))
    }
}

impl Transaction {
    /// The transaction as a lookup may show it under `lookup_lag_secs`: nothing if it was made
    /// after the horizon, else as it stood then, without the operations and refunds made
    /// since (a capture made after it leaves the transaction `waiting`).
    pub fn as_seen(&self, horizon: Horizon) -> Option<Cow<'_, Transaction>> {
        if !horizon.shows(self.created_at) {
            return None;
        }
        let recent = self.operations.iter().any(|o| !horizon.shows(o.created_at))
            || self.refunds.iter().any(|r| !horizon.shows(r.created_at));
        if !recent {
            return Some(Cow::Borrowed(self));
        }
        let mut seen = self.clone();
        seen.operations.retain(|o| horizon.shows(o.created_at));
        seen.refunds.retain(|r| horizon.shows(r.created_at));
        seen.replay_operations();
        Some(Cow::Owned(seen))
    }

    /// Whether a payment (authorization or capture) went through.
    pub fn is_paid(&self) -> bool {
        self.operations
            .iter()
            .any(|o| o.is_successful && matches!(o.kind.as_str(), "authorization" | "capture"))
    }

    /// Status, amounts and times recomputed from the operations, the way the routes set them
    /// when each operation was made.
    fn replay_operations(&mut self) {
        let message = self.error_message.take();
        let code = self.error_code.take();
        self.status = "waiting".into();
        (
            self.authorized_minor,
            self.captured_minor,
            self.refunded_minor,
            self.voided_minor,
        ) = (0, 0, 0, 0);
        (
            self.authorized_at,
            self.captured_at,
            self.refunded_at,
            self.voided_at,
        ) = (None, None, None, None);
        if !self.is_paid() {
            self.scheme_id = None;
            self.initial_scheme_transaction_id = None;
        }
        if self.operations.is_empty() {
            self.token_id = None;
            self.card_id = None;
        }
        for op in &self.operations {
            let (amount, at) = (op.amount_minor, Some(op.created_at));
            if !op.is_successful {
                self.status = "failed".into();
                self.error_message = message.clone().filter(|_| code == op.error_code);
                self.error_code = op.error_code.clone();
                continue;
            }
            self.error_code = None;
            self.error_message = None;
            match op.kind.as_str() {
                "authorization" => {
                    self.status = "authorized".into();
                    (self.authorized_minor, self.authorized_at) = (amount, at);
                }
                "capture" => {
                    self.status = "completed".into();
                    if self.authorized_minor == 0 {
                        (self.authorized_minor, self.authorized_at) = (amount, at);
                    }
                    (self.captured_minor, self.captured_at) = (amount, at);
                }
                "void" => {
                    self.status = "voided".into();
                    (self.voided_minor, self.voided_at) = (amount, at);
                }
                "refund" => {
                    self.status = "refunded".into();
                    self.refunded_minor += amount;
                    self.refunded_at = at;
                }
                _ => {}
            }
        }
    }
}

impl State {
    /// The seeded projects, their customers, tokens and the initial CIT of each card that has one.
    pub fn seeded(seed: &Seed) -> State {
        State {
            projects: PROJECTS
                .iter()
                .map(|(key, name, currency, zone)| {
                    Project::seeded(seed, key, name, *currency, zone)
                })
                .collect(),
        }
    }

    /// Rebuilds the indexes after deserialising.
    pub fn reindex(&mut self) {
        for project in &mut self.projects {
            project.reindex();
        }
    }

    pub fn project_mut(&mut self, id: &str) -> Option<&mut Project> {
        self.projects.iter_mut().find(|p| p.id == id)
    }
}

impl Project {
    pub fn reindex(&mut self) {
        self.customer_index = self
            .customers
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.clone(), i))
            .collect();
        self.invoice_index = self
            .invoices
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.clone(), i))
            .collect();
        self.event_index = self
            .events
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.clone(), i))
            .collect();
        self.transaction_index = HashMap::with_capacity(self.transactions.len());
        self.customer_transactions = HashMap::new();
        self.scheme_ids = HashSet::new();
        for (i, t) in self.transactions.iter().enumerate() {
            self.transaction_index.insert(t.id.clone(), i);
            if let Some(customer) = &t.customer_id {
                self.customer_transactions
                    .entry(customer.clone())
                    .or_default()
                    .push(i);
            }
            if let Some(scheme) = &t.scheme_id {
                self.scheme_ids.insert(scheme.clone());
            }
        }
    }

    /// Records an event about `resource`, stored under `key` (`transaction`, `token`, …) in its
    /// data as ProcessOut does.
    pub fn fire(&mut self, name: &str, key: &str, resource: serde_json::Value, at: DateTime<Utc>) {
        let id = self.next_id("ev_");
        let mut data = serde_json::Map::new();
        data.insert("name".into(), name.into());
        data.insert("sandbox".into(), true.into());
        data.insert(key.into(), resource);
        self.event_index.insert(id.clone(), self.events.len());
        self.events.push(Event {
            id,
            name: name.to_string(),
            data: serde_json::Value::Object(data),
            fired_at: at,
        });
    }

    pub fn event(&self, id: &str) -> Option<&Event> {
        self.event_index.get(id).and_then(|&i| self.events.get(i))
    }

    /// A fresh deterministic id with `prefix` (`iv_`, `tr_`, …).
    pub fn next_id(&mut self, prefix: &str) -> String {
        self.serial += 1;
        format!("{prefix}{}", det_id(&self.id, prefix, self.serial))
    }

    /// A fresh scheme transaction id, as the card network would hand out.
    pub fn next_scheme_id(&mut self) -> String {
        self.serial += 1;
        scheme_id(&self.id, self.serial)
    }

    /// A card verification for a token being saved with `verify: true`: a zero-amount
    /// cardholder-initiated authorization of the card, recorded as its own invoice and
    /// transaction (the token object's `invoice_id`, notes §2, "verification invoice" in the token
    /// reference). Approved: the transaction is `authorized` with a scheme id, which becomes
    /// the card's `initial_scheme_transaction_id` later MITs link to. Declined per the test card
    /// (`…0101` fails 3-D Secure, `…0002` a hard decline): `failed`. The token's
    /// `verification_status` (`success` / `failed`) and the invoice id are returned.
    /// **Our choice** (docs/processout.md "Enrollment"): ProcessOut publishes no shape of the
    /// verification's transaction, nor whether it voids it afterwards.
    pub fn verify_card(
        &mut self,
        customer_id: &str,
        token_id: &str,
        card: &mut CardSnapshot,
        at: DateTime<Utc>,
    ) -> (&'static str, String) {
        let status = crate::processout::rules::verification_status(&card.last_4_digits);
        let outcome = crate::processout::rules::card_outcome(
            &card.last_4_digits,
            crate::processout::rules::Attempt::Authorize,
        );
        let (code, message) = match outcome {
            crate::processout::rules::CardOutcome::Decline(code, message) if status == "failed" => {
                (Some(code.to_string()), Some(message.to_string()))
            }
            _ => (None, None),
        };
        let approved = code.is_none();
        let invoice_id = self.next_id("iv_");
        let transaction_id = self.next_id("tr_");
        let scheme_id = approved.then(|| self.next_scheme_id());
        let name = format!("Card verification {}", card.last_4_digits);
        self.push_invoice(Invoice {
            id: invoice_id.clone(),
            name: name.clone(),
            amount_minor: 0,
            currency: self.currency,
            customer_id: Some(customer_id.to_string()),
            order_id: None,
            transaction_id: transaction_id.clone(),
            token_id: Some(token_id.to_string()),
            initiation_type: Some("cit".into()),
            payment_intent: Some("recurring".into()),
            merchant_initiator_type: None,
            statement_descriptor: None,
            metadata: BTreeMap::new(),
            details: Vec::new(),
            created_at: at,
        });
        let operation = Operation {
            id: format!("tr_op_{}_1", transaction_id.trim_start_matches("tr_")),
            kind: "authorization".into(),
            amount_minor: 0,
            is_successful: approved,
            error_code: code.clone(),
            created_at: at,
        };
        self.push_transaction(Transaction {
            id: transaction_id,
            invoice_id: invoice_id.clone(),
            customer_id: Some(customer_id.to_string()),
            token_id: Some(token_id.to_string()),
            card_id: Some(card.id.clone()),
            name,
            status: if approved { "authorized" } else { "failed" }.into(),
            amount_minor: 0,
            currency: self.currency,
            authorized_minor: 0,
            captured_minor: 0,
            refunded_minor: 0,
            voided_minor: 0,
            error_code: code,
            error_message: message,
            scheme_id: scheme_id.clone(),
            initial_scheme_transaction_id: None,
            operations: vec![operation],
            refunds: Vec::new(),
            metadata: BTreeMap::new(),
            created_at: at,
            authorized_at: approved.then_some(at),
            captured_at: None,
            refunded_at: None,
            voided_at: None,
        });
        if card.initial_scheme_transaction_id.is_none() {
            card.initial_scheme_transaction_id = scheme_id;
        }
        (status, invoice_id)
    }
}

pub(super) const ALPHABET: &[u8; 62] =
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// 32 alphanumerics, a pure function of the inputs (ProcessOut ids look like `cust_` + 32).
pub(crate) fn det_id(key: &str, kind: &str, n: u64) -> String {
    let mut state = fnv(key) ^ fnv(kind).rotate_left(17) ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut out = String::with_capacity(32);
    for _ in 0..32 {
        state = splitmix(state);
        out.push(char::from(ALPHABET[(state % 62) as usize]));
    }
    out
}

/// 15 digits, like the example `"scheme_id":"483920118822016"`.
pub(super) fn scheme_id(key: &str, n: u64) -> String {
    let v = splitmix(fnv(key) ^ n.wrapping_mul(0xd6e8_feb8_6659_fd93));
    format!("{:015}", v % 1_000_000_000_000_000)
}

pub(super) fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

pub(super) fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, NaiveDate};

    #[test]
    fn seeding_is_deterministic_and_links_initial_cits() {
        let seed = Seed::demo(40, NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        let a = State::seeded(&seed);
        let b = State::seeded(&seed);
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap(),
            "same seed, same state"
        );
        let project = &a.projects[0];
        assert_eq!(project.customer_total(), 40);
        assert_ne!(
            a.projects[0].id, a.projects[1].id,
            "each project has its own id"
        );
        let customers: Vec<Customer> = (0..project.customer_slots())
            .filter_map(|i| project.customer_at(i).map(Cow::into_owned))
            .collect();
        assert_eq!(customers.len(), 40);
        let apm: Vec<_> = customers
            .iter()
            .flat_map(|c| &c.tokens)
            .filter(|t| t.kind == "gateway_token")
            .collect();
        assert_eq!(apm.len(), 2, "two seeded APM tokens");
        assert!(
            apm.iter().all(|t| t.card.is_none() && t.gateway.is_some()),
            "they hold no card, only their gateway"
        );
        assert_eq!(
            apm.iter().map(|t| t.is_chargeable()).collect::<Vec<_>>(),
            [false, true],
            "PayPal only by the customer, Klarna by the merchant too"
        );
        for c in &customers {
            assert_eq!(
                project.customer(&c.id).map(|f| f.id.clone()),
                Some(c.id.clone())
            );
            for token in &c.tokens {
                assert_eq!(
                    project.token_owner(&token.id).map(|o| o.id.clone()),
                    Some(c.id.clone()),
                    "a seeded token names its owner"
                );
                let Some(card) = token.card.as_ref() else {
                    continue;
                };
                if let Some(scheme) = &card.initial_scheme_transaction_id {
                    assert!(
                        project.knows_scheme_id(scheme),
                        "the initial CIT of {} is recorded",
                        token.id
                    );
                }
            }
        }
        let transactions: Vec<_> = (0..project.transaction_slots())
            .filter_map(|i| project.transaction_at(i))
            .collect();
        assert_eq!(transactions.len(), project.seeded_initials());
        assert!(!transactions.is_empty());
        assert!(transactions.iter().all(|t| t.status == "completed"));
        for t in &transactions {
            assert_eq!(
                project.transaction(&t.id).map(|f| f.id.clone()),
                Some(t.id.clone())
            );
            let invoice = project.invoice(&t.invoice_id).expect("its invoice");
            assert_eq!(invoice.transaction_id, t.id);
            assert!(project.knows_scheme_id(t.scheme_id.as_deref().unwrap()));
        }
        assert!(!project.knows_scheme_id("483920118822016"));
        assert!(project.customer("cust_made-up").is_none());
        assert!(
            a.projects[1].customer(&customers[0].id).is_none(),
            "a seeded id is its own project's alone"
        );
    }

    #[test]
    fn a_changed_or_deleted_seeded_customer_is_kept_apart_from_the_seed() {
        let seed = Seed::demo(10, NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        let mut project = State::seeded(&seed).projects.remove(0);
        let id = project.customer_at(3).unwrap().id.clone();
        project.customer_mut(&id).unwrap().email = Some("new@example.com".into());
        assert_eq!(
            project.customer(&id).unwrap().email.as_deref(),
            Some("new@example.com")
        );
        assert_eq!(
            project.changed_customers.len(),
            1,
            "only the changed one is kept"
        );
        assert!(project.remove_customer(&id));
        assert!(project.customer(&id).is_none());
        assert!(project.customer_at(3).is_none());
        assert_eq!(project.customer_total(), 9);
        assert!(!project.remove_customer(&id), "gone for good");
    }

    #[test]
    fn a_state_file_from_before_on_demand_seeding_reads_back_with_its_objects() {
        let seed = Seed::demo(3, NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        let mut project = State::seeded(&Seed::empty(seed.today)).projects.remove(0);
        // The old file held every seeded customer in `customers`.
        let old = State::seeded(&seed).projects.remove(0);
        let customer = old.customer_at(1).unwrap().into_owned();
        project.push_customer(customer.clone());
        let mut json = serde_json::to_value(&project).unwrap();
        let fields = json.as_object_mut().unwrap();
        for new in [
            "seed_key",
            "seed",
            "changed_customers",
            "deleted_customers",
            "changed_invoices",
            "changed_transactions",
        ] {
            fields.remove(new);
        }
        let mut restored: Project = serde_json::from_value(json).unwrap();
        restored.reindex();
        assert_eq!(restored.customer_total(), 1);
        assert_eq!(
            restored.customer(&customer.id).map(|c| c.email.clone()),
            Some(customer.email)
        );
    }

    #[test]
    fn seeded_ids_carry_their_number_and_nothing_else_parses() {
        for n in [0, 1, 4, 999_999, 4_000_002] {
            let id = crate::processout::seeding::seeded_id("processout/1", "cust", n);
            assert_eq!(id.len(), 32);
            assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
            assert_eq!(
                crate::processout::seeding::parse_seeded_id("processout/1", "cust", &id),
                Some(n)
            );
            assert_eq!(
                crate::processout::seeding::parse_seeded_id("processout/2", "cust", &id),
                None
            );
            assert_eq!(
                crate::processout::seeding::parse_seeded_id("processout/1", "tok", &id),
                None
            );
        }
        let other = det_id("processout/1", "cust", 7);
        assert_eq!(
            crate::processout::seeding::parse_seeded_id("processout/1", "cust", &other),
            None
        );
    }

    /// What a lookup lagging 10 s shows at `at + 10 s`: everything made up to `at`.
    fn horizon_at(at: DateTime<Utc>) -> Horizon {
        crate::Faults::new(crate::FaultConfig {
            lookup_lag_secs: 10,
            ..crate::FaultConfig::default()
        })
        .horizon(at + Duration::seconds(10))
    }

    #[test]
    fn a_lagging_lookup_sees_a_transaction_as_it_stood_at_the_horizon() {
        let seed = Seed::demo(5, NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        let mut t = (0..20)
            .find_map(|i| {
                State::seeded(&seed).projects[0]
                    .transaction_at(i)
                    .map(Cow::into_owned)
            })
            .unwrap();
        let t0 = t.created_at;
        let (t1, t2) = (t0 + Duration::minutes(1), t0 + Duration::minutes(2));
        let op = |kind: &str, amount_minor, created_at| Operation {
            id: format!("op-{kind}"),
            kind: kind.into(),
            amount_minor,
            is_successful: true,
            error_code: None,
            created_at,
        };
        t.operations = vec![
            op("authorization", 100, t0),
            op("capture", 100, t1),
            op("refund", 40, t2),
        ];
        t.refunds = vec![Refund {
            id: "refd_1".into(),
            transaction_id: t.id.clone(),
            amount_minor: 40,
            reason: "other".into(),
            information: None,
            metadata: BTreeMap::new(),
            created_at: t2,
        }];
        (t.status, t.captured_at, t.refunded_minor, t.refunded_at) =
            ("refunded".into(), Some(t1), 40, Some(t2));

        assert!(
            t.as_seen(horizon_at(t0 - Duration::seconds(1))).is_none(),
            "made after the horizon: not there at all"
        );
        let authorized = t.as_seen(horizon_at(t0)).unwrap();
        assert_eq!(
            (authorized.status.as_str(), authorized.authorized_minor),
            ("authorized", 100),
            "the capture made after the horizon is not shown"
        );
        assert_eq!(
            (authorized.captured_minor, authorized.captured_at),
            (0, None)
        );
        let captured = t.as_seen(horizon_at(t1)).unwrap();
        assert_eq!(
            (captured.status.as_str(), captured.captured_minor),
            ("completed", 100)
        );
        assert_eq!(
            (captured.refunded_minor, captured.refunds.len()),
            (0, 0),
            "nor the refund made after it"
        );
        assert!(
            matches!(t.as_seen(horizon_at(t2)), Some(Cow::Borrowed(_))),
            "everything old enough: the transaction itself"
        );
    }

    #[test]
    fn ids_have_the_documented_shape() {
        let id = det_id("processout/1", "cust", 7);
        assert_eq!(id.len(), 32);
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(id, det_id("processout/1", "cust", 8));
        assert_eq!(scheme_id("k", 1).len(), 15);
    }
}
