//! Everything the Svea emulator remembers, per seller: every `pmt_id` ever received (as a
//! payment, paid or not, so none can be reused), the card tokens with their limits and monthly
//! charges, and the seller's credentials. Serde-able as a whole for `--state FILE`.
//!
//! Seeded from `crate::seed`: each card with an initial transaction has a `pmt_token` whose
//! initial payment+tokenization (`pmt_version` 4304) carries the amount that caps later token
//! charges. Seeded tokens and initial payments are *derived* from the seed, not stored: their
//! ids encode the customer and card, and an entry is copied into the maps the first time a
//! request touches it. Seeding 100,000 customers therefore costs nothing, and a snapshot holds
//! only what happened since. Customers themselves are never stored: Svea keeps none.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub(crate) use super::payment::{Flow, ReturnUrls};
use super::rules::{self, HashVersion};
use crate::faults::Horizon;
use crate::seed::{self, CardBehaviour, DemoCustomer, Seed};

/// The seeded seller accounts: (merchant key, seller id, display name).
pub(crate) const SELLERS: [(&str, &str, &str); 2] = [
    ("svea/1", "SVEASANDBOX01", "Svea Demo Helsinki"),
    ("svea/2", "SVEASANDBOX02", "Svea Demo Tampere"),
];

/// Debit limit of a token made by a zero-sum tokenization (4504), which has no original amount
/// to cap later charges by. A sandbox choice; Svea sets it by agreement.
pub(crate) const ZERO_SUM_DEBIT_LIMIT: i64 = 100_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct State {
    pub seed: Seed,
    pub sellers: BTreeMap<String, Seller>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Seller {
    pub merchant_key: String,
    pub seller_id: String,
    pub name: String,
    pub secret: String,
    pub key_generation: String,
    /// Which authentication the seller may use (§6: hash, Basic, or both; both by default).
    pub accepts_hash: bool,
    pub accepts_basic: bool,
    /// The number in the merchant key (`svea/1` → 1); seeded ids carry it.
    pub seller_no: u64,
    /// Every payment by `pmt_id` made at run time, and the seeded initial payments touched so
    /// far; an id here, or a seeded one, can never be used again.
    pub payments: BTreeMap<String, Payment>,
    /// Tokens made on the card page, and the seeded tokens touched so far.
    pub tokens: BTreeMap<String, Token>,
    /// Refunds made, for ledger ids.
    pub refunds: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum PaymentStatus {
    /// Created; the payer has not finished the card page.
    AwaitingPayer,
    /// The charge is with the card processor (the timeout test card holds here).
    Processing,
    /// Not paid, with the `pmt_errorcode` that says why.
    Unpaid {
        code: String,
        text: String,
    },
    Paid,
    /// Settled ("compensated") to the seller.
    Settled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Payment {
    pub pmt_id: String,
    pub order_id: String,
    /// As sent (answers pad it to 20 digits).
    pub reference: String,
    pub amount: i64,
    pub seller_costs: i64,
    pub method: String,
    pub escrow: String,
    pub flow: Flow,
    pub status: PaymentStatus,
    pub payment_date: Option<NaiveDate>,
    pub refunded: i64,
    pub token: Option<String>,
    pub buyer_name: String,
    pub returns: Option<ReturnUrls>,
    /// The algorithm answers about this payment (the token-charge answer, the card-page
    /// return) are hashed with: the request's in hash mode; `None` when it came with Basic auth,
    /// whose answers carry no hash (docs/svea.md "Answer hashes"). A snapshot written when this
    /// was not optional still reads (`"Sha512"` is `Some`).
    #[serde(default)]
    pub hash_version: Option<HashVersion>,
    /// When the request that made it arrived; `None` for the seed's (made long ago). With
    /// `paid_at` and `refunds_made`, what a lagging status query hides (`lookup_lag_secs`).
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// When it was paid, when that came after its creation (the card page).
    #[serde(default)]
    pub paid_at: Option<DateTime<Utc>>,
    /// Each refund: when, and how much.
    #[serde(default)]
    pub refunds_made: Vec<(DateTime<Utc>, i64)>,
}

impl Payment {
    /// `pmtq_returncode` and `pmtq_returntext` (§3.4).
    pub(crate) fn return_code(&self) -> (&'static str, &'static str) {
        let refunds = |settled: bool| {
            if self.amount > 0 && self.refunded >= self.amount {
                ("99", "Refunded")
            } else if self.refunded > 0 {
                ("92", "Partially refunded")
            } else if settled {
                ("40", "Compensated to the seller")
            } else {
                ("30", "Paid")
            }
        };
        match &self.status {
            PaymentStatus::AwaitingPayer => ("10", "Waiting for payment"),
            PaymentStatus::Processing => ("00", "Payment in progress"),
            PaymentStatus::Unpaid { .. } => ("11", "Unpaid"),
            PaymentStatus::Paid => refunds(false),
            PaymentStatus::Settled => refunds(true),
        }
    }

    pub(crate) fn is_paid(&self) -> bool {
        matches!(self.status, PaymentStatus::Paid | PaymentStatus::Settled)
    }

    /// The payment as a status query may show it under `lookup_lag_secs`: nothing (Svea's
    /// unknown-payment answer) if it was made after the horizon; awaiting the payer if the
    /// card page paid it after; refunded only by the refunds made up to it.
    pub(crate) fn as_seen(&self, horizon: Horizon) -> Option<Cow<'_, Payment>> {
        if self.created_at.is_some_and(|at| !horizon.shows(at)) {
            return None;
        }
        let unpaid = self.paid_at.is_some_and(|at| !horizon.shows(at));
        let hidden: i64 = self
            .refunds_made
            .iter()
            .filter(|(at, _)| !horizon.shows(*at))
            .map(|(_, amount)| amount)
            .sum();
        if !unpaid && hidden == 0 {
            return Some(Cow::Borrowed(self));
        }
        let mut seen = self.clone();
        seen.refunded -= hidden;
        if unpaid {
            seen.status = PaymentStatus::AwaitingPayer;
            seen.payment_date = None;
            seen.token = None;
        }
        Some(Cow::Owned(seen))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Token {
    pub token: String,
    /// The seeded customer's index, for tokens from the seed.
    pub customer: Option<usize>,
    pub scheme: String,
    pub bin: String,
    pub last4: String,
    pub bank: Option<String>,
    pub exp_month: u32,
    pub exp_year: i32,
    pub behaviour: CardBehaviour,
    pub initial_pmt_id: String,
    pub initial_amount: i64,
    pub debit_limit: i64,
    pub monthly_limit: i64,
    /// (`YYYY-MM` in Helsinki, amount) of each successful token charge.
    pub charges: Vec<(String, i64)>,
}

impl Token {
    pub(crate) fn limits(&self) -> rules::TokenLimits<'_> {
        rules::TokenLimits {
            exp_year: self.exp_year,
            exp_month: self.exp_month,
            expired_card: self.behaviour == CardBehaviour::Expired,
            debit_limit: self.debit_limit,
            monthly_limit: self.monthly_limit,
            charges: &self.charges,
        }
    }

    /// The token as a status query shows it: the first eight characters, the rest masked.
    pub(crate) fn masked(&self) -> String {
        let shown: String = self.token.chars().take(8).collect();
        let hidden = self.token.chars().count().saturating_sub(8);
        format!("{shown}{}", "*".repeat(hidden))
    }
}

impl State {
    pub(crate) fn seeded(seed: &Seed) -> State {
        let sellers = SELLERS
            .iter()
            .enumerate()
            .map(|(n, (key, seller_id, name))| {
                let seller = seed_seller(n as u64 + 1, key, seller_id, name);
                (seller_id.to_string(), seller)
            })
            .collect();
        State {
            seed: seed.clone(),
            sellers,
        }
    }
}

/// A deterministic 64-bit mix (splitmix64), so ids depend only on seller, customer and card.
pub(crate) fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The `pmt_token` of a seeded card: 32 hex digits that carry the seller and card position
/// (so the token can be derived back) followed by a keyed mix of them.
pub(crate) fn seeded_token(seller_no: u64, customer: usize, card: usize) -> String {
    let position = (customer as u64) * 4 + card as u64;
    let key = (seller_no << 56) ^ position;
    format!(
        "{:02x}{:08x}{:016x}{:06x}",
        seller_no & 0xff,
        position & 0xffff_ffff,
        mix(key),
        mix(key ^ 0x5eed) & 0xff_ffff
    )
}

/// The (seller, customer, card) a seeded token was made for; `None` for any other string.
fn parse_seeded_token(token: &str) -> Option<(u64, usize, usize)> {
    if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let seller_no = u64::from_str_radix(token.get(..2)?, 16).ok()?;
    let position = usize::from_str_radix(token.get(2..10)?, 16).ok()?;
    let (customer, card) = (position / 4, position % 4);
    (seeded_token(seller_no, customer, card) == token).then_some((seller_no, customer, card))
}

/// The `pmt_id` of a seeded card's initial payment+tokenization.
pub(crate) fn seeded_initial_id(seller_no: u64, customer: usize, card: usize) -> String {
    format!("INIT{seller_no}{customer:07}{card}")
}

/// The (customer, card) of a seeded initial `pmt_id` of `seller_no`.
fn parse_seeded_initial_id(seller_no: u64, pmt_id: &str) -> Option<(usize, usize)> {
    let rest = pmt_id
        .strip_prefix("INIT")?
        .strip_prefix(&seller_no.to_string())?;
    if rest.len() < 8 || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (customer, card) = rest.split_at(rest.len() - 1);
    let (customer, card) = (customer.parse().ok()?, card.parse().ok()?);
    (seeded_initial_id(seller_no, customer, card) == pmt_id).then_some((customer, card))
}

/// The seeded token of card `n` of `customer` and its initial payment, when the card has one.
pub(crate) fn seeded_card(
    seller_no: u64,
    today: NaiveDate,
    customer: &DemoCustomer,
    n: usize,
) -> Option<(Payment, Token)> {
    let card = customer.cards.get(n).filter(|card| card.has_initial)?;
    let token = seeded_token(seller_no, customer.index, n);
    let pmt_id = seeded_initial_id(seller_no, customer.index, n);
    let noise = mix(seller_no ^ ((customer.index as u64) << 8) ^ n as u64);
    // Initial amounts between 5,00 and 199,99 EUR; dates 35–400 days before the seed's today.
    let amount = 500 + (noise % 19_500) as i64;
    let date = today.checked_sub_days(Days::new(35 + (noise >> 20) % 365));
    let reference = rules::reference_of(
        seller_no * 100_000_000 + (customer.index as u64) * 4 + n as u64 + 1000,
    );
    let payment = Payment {
        pmt_id: pmt_id.clone(),
        order_id: format!("ORDER-{}-{}-{}", seller_no, customer.index, n),
        reference,
        amount,
        seller_costs: 0,
        method: "FI50".into(),
        escrow: "N".into(),
        flow: Flow::PaymentAndTokenize,
        status: PaymentStatus::Settled,
        payment_date: date,
        refunded: 0,
        token: Some(token.clone()),
        buyer_name: customer.name.clone(),
        returns: None,
        // Seeded payments are never answered with a hash of their own.
        hash_version: None,
        created_at: None,
        paid_at: None,
        refunds_made: Vec::new(),
    };
    let token = Token {
        token,
        customer: Some(customer.index),
        scheme: scheme_name(card.brand).into(),
        bin: card.bin.clone(),
        last4: card.last4.clone(),
        bank: Some(card.bank.to_string()),
        exp_month: card.exp_month,
        exp_year: card.exp_year,
        behaviour: card.behaviour,
        initial_pmt_id: pmt_id,
        initial_amount: amount,
        debit_limit: amount,
        monthly_limit: amount,
        charges: Vec::new(),
    };
    Some((payment, token))
}

impl Seller {
    /// Copies a seeded card's token and initial payment into the maps, keeping whichever of
    /// the two is there already.
    fn adopt(&mut self, seed: &Seed, customer: usize, card: usize) {
        if customer >= seed.customers {
            return;
        }
        let demo = seed::customer(seed, &self.merchant_key, customer);
        if let Some((payment, token)) = seeded_card(self.seller_no, seed.today, &demo, card) {
            self.payments
                .entry(payment.pmt_id.clone())
                .or_insert(payment);
            self.tokens.entry(token.token.clone()).or_insert(token);
        }
    }

    /// Makes a seeded token, if `token` is one, present in `tokens`.
    pub(crate) fn touch_token(&mut self, seed: &Seed, token: &str) {
        if self.tokens.contains_key(token) {
            return;
        }
        if let Some((seller_no, customer, card)) = parse_seeded_token(token) {
            if seller_no == self.seller_no {
                self.adopt(seed, customer, card);
            }
        }
    }

    /// Makes a seeded initial payment, if `pmt_id` is one, present in `payments`.
    pub(crate) fn touch_payment(&mut self, seed: &Seed, pmt_id: &str) {
        if self.payments.contains_key(pmt_id) {
            return;
        }
        if let Some((customer, card)) = parse_seeded_initial_id(self.seller_no, pmt_id) {
            self.adopt(seed, customer, card);
        }
    }
}

fn seed_seller(seller_no: u64, key: &str, seller_id: &str, name: &str) -> Seller {
    Seller {
        merchant_key: key.to_string(),
        seller_id: seller_id.to_string(),
        name: name.to_string(),
        secret: format!(
            "svea-sandbox-secret-{seller_no}-{}",
            seller_id.to_ascii_lowercase()
        ),
        key_generation: "001".into(),
        accepts_hash: true,
        accepts_basic: true,
        seller_no,
        payments: BTreeMap::new(),
        tokens: BTreeMap::new(),
        refunds: 0,
    }
}

/// The seed's brand names in Svea's `pmtq_card_scheme` words.
fn scheme_name(brand: &str) -> &str {
    match brand {
        "MC" => "MASTERCARD",
        other => other,
    }
}
