//! The emulator's state, keyed by merchant, serde-able whole for `--state FILE`.
//!
//! Seeded customers, their cards and their initial charges are a pure function of the seed, the
//! merchant number and the customer index, so they are generated when asked for rather than
//! stored: 100,000 customers per merchant cost nothing up front and a snapshot holds only what
//! the API changed. A seeded customer is copied into `customers` the first time it changes
//! (a card added or revoked, an initial charge recorded); from then on that copy wins.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveTime, TimeZone, Utc};
use coffer_core::Currency;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::rules;
use crate::faults::Horizon;
use crate::seed::{self, CardBehaviour, Seed};

/// Everything the emulator knows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct State {
    pub seed: Seed,
    pub merchants: Vec<MerchantState>,
}

/// The three store locations of one owner (brief: three merchant accounts).
const LOCATIONS: [(&str, Currency, &str); 3] = [
    ("Clover Downtown", Currency::USD, "America/New_York"),
    ("Clover Harbour", Currency::USD, "America/New_York"),
    ("Clover Dublin", Currency::EUR, "Europe/Dublin"),
];

/// How often stale idempotency answers are dropped from memory.
const REPLAY_SWEEP_MS: i64 = 60_000;

/// One merchant account (one mId) and everything it owns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct MerchantState {
    /// 1-based; part of every id the merchant hands out.
    pub number: usize,
    pub mid: String,
    pub name: String,
    pub access_token: String,
    pub apikey: String,
    pub currency: Currency,
    pub time_zone: String,
    /// Seeded customers occupy indices `0..seeded`; created ones follow.
    pub seeded: usize,
    pub next_customer: usize,
    /// Materialised customers (changed seeded ones and all created ones), by index.
    pub customers: BTreeMap<usize, Customer>,
    /// Tokens from `POST /v1/tokens` not (yet) saved on a customer.
    pub tokens: HashMap<String, Token>,
    /// Tokens saved on a created or changed customer → the customer index.
    pub token_owner: HashMap<String, usize>,
    /// Charges made through the API, oldest first.
    pub charges: Vec<Charge>,
    /// Seeded initial charges changed since seeding (refunded), by id.
    pub seeded_charges: HashMap<String, Charge>,
    pub refunds: Vec<Refund>,
    /// `idempotency-key` → stored answer.
    pub idempotency: HashMap<String, Replay>,
    /// When `expire_replays` next walks `idempotency` (ms since the epoch).
    #[serde(default)]
    pub next_replay_sweep_ms: i64,
    /// Feeds every generated id, so ids are deterministic.
    pub counter: u64,
}

/// A customer: one record, shown by the v1 and v3 views.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Customer {
    pub index: usize,
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub created_ms: i64,
    /// Positions are stable: a revoked card stays, marked deleted, so card ids never shift.
    pub cards: Vec<Card>,
}

/// A saved card: a multi-pay token with its display fields. No card number exists for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Card {
    pub id: String,
    pub token: String,
    pub brand: String,
    pub first6: String,
    pub last4: String,
    pub exp_month: u32,
    pub exp_year: i32,
    pub behaviour: CardBehaviour,
    pub deleted: bool,
    /// `ref_num` of the last approved FIRST charge of this card.
    pub initial_ref: Option<String>,
    pub modified_ms: i64,
}

/// A `clv_` token from the tokenizer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Token {
    pub id: String,
    pub brand: String,
    pub first6: String,
    pub last4: String,
    pub exp_month: u32,
    pub exp_year: i32,
    pub behaviour: CardBehaviour,
    /// Single-use tokens are consumed by their first charge or customer save.
    pub used: bool,
    pub created_ms: i64,
}

/// The card fields copied onto a charge (`source`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SourceCard {
    pub token: String,
    pub brand: String,
    pub first6: String,
    pub last4: String,
    pub exp_month: u32,
    pub exp_year: i32,
}

/// A charge, approved or declined.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Charge {
    pub id: String,
    pub amount: i64,
    pub amount_refunded: i64,
    pub currency: String,
    pub created_ms: i64,
    pub captured: bool,
    pub paid: bool,
    /// `succeeded` or `failed`.
    pub status: String,
    pub ref_num: Option<String>,
    pub auth_code: Option<String>,
    pub source: SourceCard,
    pub customer: Option<String>,
    pub description: Option<String>,
    pub external_reference_id: Option<String>,
    pub metadata: Option<Value>,
    pub stored_credentials: Value,
    pub ecomind: String,
    pub tax_amount: Option<i64>,
    pub tip_amount: Option<i64>,
    pub warning_message: Option<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub decline_code: Option<String>,
}

/// A refund of a charge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Refund {
    pub id: String,
    pub amount: i64,
    pub charge: String,
    pub currency: String,
    pub created_ms: i64,
    pub status: String,
    pub reason: Option<String>,
    pub external_reference_id: Option<String>,
}

/// A stored answer to an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Replay {
    /// SHA-256 of the request body: another body under the same key is refused.
    pub request_hash: String,
    pub status: u16,
    pub body: String,
    pub created_ms: i64,
    /// The response-lost test card: every replay is lost too.
    pub lost: bool,
}

impl Replay {
    /// Still within the retention, so the key answers with it.
    fn is_fresh(&self, now_ms: i64) -> bool {
        now_ms - self.created_ms < rules::IDEMPOTENCY_RETENTION_MS
    }
}

/// Where a card of a charge source lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CardAt {
    /// On a customer: index and card position.
    Saved(usize, usize),
    /// A loose token.
    Loose,
}

/// One card with an initial charge on record, as `GET /__sandbox/initials` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Initial {
    /// The multi-pay token, as the card listings show it.
    pub token: String,
    /// `ref_num` of the card's recorded FIRST charge: what a linked MIT names as
    /// `installment_info.invoice_number`.
    pub initial_ref: String,
    pub amount_minor: i64,
    /// ISO 4217, upper case.
    pub currency: String,
    /// The owner's customer id.
    pub customer: String,
}

/// A card the initials listing shows: saved, not revoked, an initial on record.
fn is_listed(card: &Card) -> bool {
    !card.deleted && card.initial_ref.is_some()
}

/// How many cards with an initial each seeded customer of one merchant has, as seeded: what the
/// initials listing pages over without generating every customer on every call. Derived from
/// the seed alone, so it is built once per (seed, merchant) and never part of the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SeededInitials {
    pub seed: Seed,
    per_customer: Vec<u8>,
    total: usize,
}

impl SeededInitials {
    pub fn build(seed: &Seed, merchant_key: &str, seeded: usize) -> SeededInitials {
        let per_customer: Vec<u8> = (0..seeded)
            .map(|i| seed::initial_cards(seed, merchant_key, i) as u8)
            .collect();
        let total = per_customer.iter().map(|&n| usize::from(n)).sum();
        SeededInitials {
            seed: seed.clone(),
            per_customer,
            total,
        }
    }

    /// Whether this was built for a merchant with `seeded` customers of `seed`.
    pub fn fits(&self, seed: &Seed, seeded: usize) -> bool {
        self.seed == *seed && self.per_customer.len() == seeded
    }

    fn of(&self, index: usize) -> usize {
        self.per_customer.get(index).copied().map_or(0, usize::from)
    }
}

impl State {
    pub fn seeded(seed: &Seed) -> State {
        State {
            seed: seed.clone(),
            merchants: LOCATIONS
                .iter()
                .enumerate()
                .map(|(i, (name, currency, zone))| {
                    MerchantState::new(i + 1, name, *currency, zone, seed)
                })
                .collect(),
        }
    }

    /// The merchant whose OAuth token this is.
    pub fn by_token(&self, token: &str) -> Option<usize> {
        self.merchants.iter().position(|m| m.access_token == token)
    }

    /// The merchant whose PAKMS key this is.
    pub fn by_apikey(&self, key: &str) -> Option<usize> {
        self.merchants.iter().position(|m| m.apikey == key)
    }
}

/// Midnight UTC of the seed's day: the clock every seeded object is dated by.
pub(crate) fn seed_epoch_ms(seed: &Seed) -> i64 {
    Utc.from_utc_datetime(&seed.today.and_time(NaiveTime::MIN))
        .timestamp_millis()
}

/// The seeded initial charge of a card is this much, in minor units (a small CIT).
const SEEDED_INITIAL_AMOUNT: i64 = 100;

impl MerchantState {
    fn new(
        number: usize,
        name: &str,
        currency: Currency,
        zone: &str,
        seed: &Seed,
    ) -> MerchantState {
        let key = format!("clover/{number}");
        let seeded = if seed.name == "empty" {
            0
        } else {
            seed.customers
        };
        MerchantState {
            number,
            mid: rules::code13(&format!("{key}/merchant")),
            name: name.to_string(),
            access_token: rules::digest_hex(format!("{key}/access_token").as_bytes())[..32]
                .to_string(),
            apikey: rules::digest_hex(format!("{key}/pakms").as_bytes())[..32].to_string(),
            currency,
            time_zone: zone.to_string(),
            seeded,
            next_customer: seeded,
            customers: BTreeMap::new(),
            tokens: HashMap::new(),
            token_owner: HashMap::new(),
            charges: Vec::new(),
            seeded_charges: HashMap::new(),
            refunds: Vec::new(),
            idempotency: HashMap::new(),
            next_replay_sweep_ms: 0,
            counter: 0,
        }
    }

    pub fn key(&self) -> String {
        format!("clover/{}", self.number)
    }

    pub fn next_counter(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// Customer `index` as the seed made it.
    fn generated(&self, seed: &Seed, index: usize) -> Customer {
        let demo = seed::customer(seed, &self.key(), index);
        let epoch = seed_epoch_ms(seed);
        let (first, last) = demo
            .name
            .split_once(' ')
            .unwrap_or((demo.name.as_str(), ""));
        let created_ms = epoch - (index as i64 + 1) * 3_600_000;
        Customer {
            index,
            id: rules::customer_id(self.number, index),
            first_name: first.to_string(),
            last_name: last.to_string(),
            email: demo.email.clone(),
            phone: demo.phone.clone(),
            created_ms,
            cards: demo
                .cards
                .iter()
                .enumerate()
                .map(|(k, c)| Card {
                    id: rules::card_id(self.number, index, k),
                    token: rules::seeded_token(self.number, index, k),
                    brand: c.brand.to_string(),
                    first6: c.bin.clone(),
                    last4: c.last4.clone(),
                    exp_month: c.exp_month,
                    exp_year: c.exp_year,
                    behaviour: c.behaviour,
                    deleted: false,
                    initial_ref: c
                        .has_initial
                        .then(|| rules::seeded_ref_num(self.number, index, k)),
                    modified_ms: created_ms,
                })
                .collect(),
        }
    }

    /// Customer `index`, materialised or generated.
    pub fn customer(&self, seed: &Seed, index: usize) -> Option<Customer> {
        match self.customers.get(&index) {
            Some(c) => Some(c.clone()),
            None if index < self.seeded => Some(self.generated(seed, index)),
            None => None,
        }
    }

    /// Customer `index` for changing: materialised on first write.
    pub fn customer_mut(&mut self, seed: &Seed, index: usize) -> Option<&mut Customer> {
        if !self.customers.contains_key(&index) {
            let generated = (index < self.seeded).then(|| self.generated(seed, index))?;
            for card in &generated.cards {
                self.token_owner.insert(card.token.clone(), index);
            }
            self.customers.insert(index, generated);
        }
        self.customers.get_mut(&index)
    }

    /// Customer by its id.
    pub fn customer_by_id(&self, seed: &Seed, id: &str) -> Option<Customer> {
        rules::parse_customer_id(self.number, id).and_then(|i| self.customer(seed, i))
    }

    /// Where a saved card with this token is: its customer index and position.
    pub fn saved_card(&self, seed: &Seed, token: &str) -> Option<(usize, usize)> {
        let index = match self.token_owner.get(token) {
            Some(i) => *i,
            None => rules::parse_seeded_token(self.number, token)?.0,
        };
        let customer = self.customer(seed, index)?;
        let position = customer
            .cards
            .iter()
            .position(|c| c.token == token && !c.deleted)?;
        Some((index, position))
    }

    /// The seeded initial charges of customer `index`, as seeded (before any refund).
    fn seeded_initials(&self, seed: &Seed, index: usize) -> Vec<Charge> {
        if index >= self.seeded {
            return Vec::new();
        }
        let customer = self.generated(seed, index);
        customer
            .cards
            .iter()
            .enumerate()
            .filter_map(|(k, card)| {
                let ref_num = card.initial_ref.clone()?;
                let id = rules::seeded_charge_id(self.number, index, k);
                Some(self.seeded_charges.get(&id).cloned().unwrap_or_else(|| Charge {
                    id,
                    amount: SEEDED_INITIAL_AMOUNT,
                    amount_refunded: 0,
                    currency: self.currency.code().to_ascii_lowercase(),
                    created_ms: customer.created_ms - k as i64 * 1000,
                    captured: true,
                    paid: true,
                    status: "succeeded".into(),
                    ref_num: Some(ref_num),
                    auth_code: Some(rules::auth_code((index * 10 + k) as u64)),
                    source: SourceCard {
                        token: card.token.clone(),
                        brand: card.brand.clone(),
                        first6: card.first6.clone(),
                        last4: card.last4.clone(),
                        exp_month: card.exp_month,
                        exp_year: card.exp_year,
                    },
                    customer: Some(customer.id.clone()),
                    description: Some("Card saved with consent".into()),
                    external_reference_id: None,
                    metadata: None,
                    stored_credentials: serde_json::json!({
                        "sequence": "FIRST", "initiator": "CARDHOLDER", "is_scheduled": false
                    }),
                    ecomind: "ecom".into(),
                    tax_amount: None,
                    tip_amount: None,
                    warning_message: None,
                    failure_code: None,
                    failure_message: None,
                    decline_code: None,
                }))
            })
            .collect()
    }

    /// A charge by id, processed or seeded.
    pub fn charge(&self, seed: &Seed, id: &str) -> Option<Charge> {
        if let Some(c) = self.charges.iter().rev().find(|c| c.id == id) {
            return Some(c.clone());
        }
        let (index, _) = rules::parse_seeded_charge_id(self.number, id)?;
        self.seeded_initials(seed, index)
            .into_iter()
            .find(|c| c.id == id)
    }

    /// A charge as a lookup may show it under `lookup_lag_secs`: nothing if it was made after
    /// the horizon, and without the refunds made after it.
    pub fn as_seen(&self, mut charge: Charge, horizon: Horizon) -> Option<Charge> {
        if !horizon.shows_ms(charge.created_ms) {
            return None;
        }
        if horizon.lags() {
            // Refunds are kept in the order they were made: the hidden ones are the newest.
            let hidden: i64 = self
                .refunds
                .iter()
                .rev()
                .take_while(|r| !horizon.shows_ms(r.created_ms))
                .filter(|r| r.charge == charge.id)
                .map(|r| r.amount)
                .sum();
            charge.amount_refunded -= hidden;
        }
        Some(charge)
    }

    /// Stores a changed charge back where it came from.
    pub fn put_charge(&mut self, charge: Charge) {
        match self.charges.iter_mut().rev().find(|c| c.id == charge.id) {
            Some(slot) => *slot = charge,
            None => {
                self.seeded_charges.insert(charge.id.clone(), charge);
            }
        }
    }

    /// Every charge, newest first: processed ones, then the seeded ones (all older), generated
    /// lazily so a page costs only what it reads.
    pub fn charges_newest_first<'a>(
        &'a self,
        seed: &'a Seed,
        customer: Option<usize>,
    ) -> Box<dyn Iterator<Item = Charge> + 'a> {
        let customer_id = customer.map(|i| rules::customer_id(self.number, i));
        let processed = self
            .charges
            .iter()
            .rev()
            .filter(move |c| customer_id.is_none() || c.customer == customer_id)
            .cloned();
        match customer {
            Some(index) => Box::new(processed.chain(self.seeded_initials(seed, index))),
            // Seeded customer i was created before customer i-1, so newest first is ascending i.
            None => Box::new(
                processed.chain((0..self.seeded).flat_map(move |i| self.seeded_initials(seed, i))),
            ),
        }
    }

    /// Customers in listing order (by index), generated lazily.
    pub fn customers_from<'a>(
        &'a self,
        seed: &'a Seed,
        offset: usize,
    ) -> impl Iterator<Item = Customer> + 'a {
        (offset..self.next_customer).filter_map(move |i| self.customer(seed, i))
    }

    /// How many listed initials customer `index` has: live cards with an initial on record.
    fn initials_of(&self, seeded: &SeededInitials, index: usize) -> usize {
        match self.customers.get(&index) {
            Some(c) => c.cards.iter().filter(|k| is_listed(k)).count(),
            None => seeded.of(index),
        }
    }

    /// The cards with an initial charge on record, in customer then card order, as
    /// `GET /__sandbox/initials` lists them: (total, the `limit` from position `offset`).
    /// Only materialised customers and the page's own customers are looked at; the seed's
    /// counts come from `seeded`, built once.
    pub fn initials_page(
        &self,
        seed: &Seed,
        seeded: &SeededInitials,
        offset: usize,
        limit: usize,
    ) -> (usize, Vec<Initial>) {
        let materialised_delta: isize = self
            .customers
            .keys()
            .map(|&i| self.initials_of(seeded, i) as isize - seeded.of(i) as isize)
            .sum();
        let total = (seeded.total as isize + materialised_delta).max(0) as usize;
        let mut page = Vec::new();
        if limit == 0 || offset >= total {
            return (total, page);
        }
        // Charges of this run by ref_num, built only if the page shows a run-time initial.
        let mut by_ref: Option<HashMap<&str, &Charge>> = None;
        let mut position = 0;
        for index in 0..self.next_customer {
            let count = self.initials_of(seeded, index);
            if count == 0 || position + count <= offset {
                position += count;
                continue;
            }
            let Some(customer) = self.customer(seed, index) else {
                continue;
            };
            for (k, card) in customer.cards.iter().enumerate() {
                let Some(initial_ref) = card.initial_ref.as_ref().filter(|_| is_listed(card))
                else {
                    continue;
                };
                position += 1;
                if position <= offset {
                    continue;
                }
                let seeded_ref = index < self.seeded
                    && *initial_ref == rules::seeded_ref_num(self.number, index, k);
                let (amount_minor, currency) = if seeded_ref {
                    (SEEDED_INITIAL_AMOUNT, self.currency.code().to_string())
                } else {
                    let charges = by_ref.get_or_insert_with(|| {
                        self.charges
                            .iter()
                            .filter_map(|c| Some((c.ref_num.as_deref()?, c)))
                            .collect()
                    });
                    match charges.get(initial_ref.as_str()) {
                        Some(c) => (c.amount, c.currency.to_ascii_uppercase()),
                        None => (0, self.currency.code().to_string()),
                    }
                };
                page.push(Initial {
                    token: card.token.clone(),
                    initial_ref: initial_ref.clone(),
                    amount_minor,
                    currency,
                    customer: customer.id.clone(),
                });
                if page.len() == limit {
                    return (total, page);
                }
            }
        }
        (total, page)
    }

    /// The stored answer to an idempotency key, unless older than the retention.
    pub fn replay(&self, key: &str, now_ms: i64) -> Option<&Replay> {
        self.idempotency.get(key).filter(|r| r.is_fresh(now_ms))
    }

    /// Drops idempotency answers older than the retention. `replay` already ignores them, so
    /// this only frees memory and walks the map at most once a minute: a walk on every charge
    /// made the charge endpoint's cost grow with its own history (quadratic over a due run).
    pub fn expire_replays(&mut self, now_ms: i64) {
        if now_ms < self.next_replay_sweep_ms {
            return;
        }
        self.next_replay_sweep_ms = now_ms + REPLAY_SWEEP_MS;
        self.idempotency.retain(|_, r| r.is_fresh(now_ms));
    }

    /// The card of a source: the saved card (and owner) or a loose token.
    pub fn card_at(&self, seed: &Seed, token: &str) -> Option<CardAt> {
        if let Some((i, k)) = self.saved_card(seed, token) {
            return Some(CardAt::Saved(i, k));
        }
        self.tokens.contains_key(token).then_some(CardAt::Loose)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn seed(n: usize) -> Seed {
        Seed::demo(n, NaiveDate::from_ymd_opt(2026, 11, 23).unwrap())
    }

    #[test]
    fn three_merchants_with_distinct_credentials() {
        let state = State::seeded(&seed(10));
        assert_eq!(state.merchants.len(), 3);
        let mids: std::collections::HashSet<_> =
            state.merchants.iter().map(|m| m.mid.clone()).collect();
        assert_eq!(mids.len(), 3);
        assert!(state.merchants.iter().all(|m| m.mid.len() == 13));
        assert_eq!(state.by_token(&state.merchants[2].access_token), Some(2));
        assert_eq!(state.by_token("nope"), None);
    }

    #[test]
    fn an_idempotency_answer_lives_for_the_retention_and_the_sweep_drops_it_later() {
        let mut state = State::seeded(&seed(1));
        let m = &mut state.merchants[0];
        let day = rules::IDEMPOTENCY_RETENTION_MS;
        m.idempotency.insert(
            "k1".into(),
            Replay {
                request_hash: "h".into(),
                status: 200,
                body: "{}".into(),
                created_ms: 1_000,
                lost: false,
            },
        );
        assert!(m.replay("k1", 1_000 + day - 1).is_some());
        assert!(
            m.replay("k1", 1_000 + day).is_none(),
            "expired answers are never replayed"
        );
        m.expire_replays(500);
        assert_eq!(m.idempotency.len(), 1, "nothing is due yet");
        m.expire_replays(1_000 + day);
        assert!(
            m.idempotency.is_empty(),
            "a sweep after the retention frees the answer"
        );
    }

    #[test]
    fn seeded_objects_are_found_by_their_ids_without_being_stored() {
        let seed = seed(20);
        let state = State::seeded(&seed);
        let m = &state.merchants[0];
        let c = m.customer(&seed, 7).unwrap();
        assert_eq!(m.customer_by_id(&seed, &c.id), Some(c.clone()));
        assert_eq!(m.saved_card(&seed, &c.cards[0].token), Some((7, 0)));
        assert!(m.customers.is_empty(), "reads never materialise");
        let initials: Vec<_> = m.charges_newest_first(&seed, None).collect();
        assert!(!initials.is_empty());
        let first = &initials[0];
        assert_eq!(m.charge(&seed, &first.id).as_ref(), Some(first));
        assert!(
            initials
                .windows(2)
                .all(|w| w[0].created_ms >= w[1].created_ms),
            "newest first"
        );
        assert!(
            state.merchants[1].customer_by_id(&seed, &c.id).is_none(),
            "ids are per merchant"
        );
    }

    #[test]
    fn initials_pages_agree_with_the_cards_and_drop_a_revoked_one() {
        let seed = seed(12);
        let mut state = State::seeded(&seed);
        let m = &mut state.merchants[0];
        let counts = SeededInitials::build(&seed, &m.key(), m.seeded);
        let (total, all) = m.initials_page(&seed, &counts, 0, 1000);
        let cards: Vec<Card> = (0..12)
            .flat_map(|i| m.customer(&seed, i).unwrap().cards)
            .filter(|k| k.initial_ref.is_some())
            .collect();
        assert_eq!(total, cards.len());
        assert_eq!(all.len(), total);
        assert!(all
            .iter()
            .zip(&cards)
            .all(|(e, k)| e.token == k.token && Some(&e.initial_ref) == k.initial_ref.as_ref()));
        let (_, window) = m.initials_page(&seed, &counts, 3, 2);
        assert_eq!(window, all[3..5]);
        let revoked = all[4].clone();
        let (index, k) = m.saved_card(&seed, &revoked.token).unwrap();
        m.customer_mut(&seed, index).unwrap().cards[k].deleted = true;
        let (after_total, after) = m.initials_page(&seed, &counts, 0, 1000);
        assert_eq!(after_total, total - 1);
        assert_eq!(after.len(), total - 1);
        assert!(!after.contains(&revoked), "a revoked card is not listed");
        assert_eq!(
            m.initials_page(&seed, &counts, 3, 2).1,
            [all[3].clone(), all[5].clone()]
        );
    }

    #[test]
    fn materialising_keeps_the_seeded_view() {
        let seed = seed(5);
        let mut state = State::seeded(&seed);
        let m = &mut state.merchants[1];
        let before = m.customer(&seed, 3).unwrap();
        let token = before.cards[0].token.clone();
        m.customer_mut(&seed, 3).unwrap().cards[0].deleted = true;
        assert!(m.customer(&seed, 3).unwrap().cards[0].deleted);
        assert_eq!(m.saved_card(&seed, &token), None, "a revoked card is gone");
    }
}
