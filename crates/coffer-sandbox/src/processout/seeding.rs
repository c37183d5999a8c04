//! The demo projects the sandbox starts with: customers, their card and APM tokens and the
//! initial CIT of each card that has one, all a pure function of the seed (ids included), so a
//! restart or a second machine sees the same objects. They are generated when asked for, never
//! stored: a seeded id carries its position, and `store.rs` keeps only what changed since.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveTime, Utc};
use coffer_core::Currency;

use super::state::*;
use crate::seed::{self, DemoCard, Seed};

/// Amount of the seeded initial CIT of a card, in minor units.
const SEEDED_INITIAL_MINOR: i64 = 100;

impl Project {
    /// A project of the seed: its seeded customers, their tokens and initial CITs are not
    /// stored but generated on demand from (merchant key, index), like Clover's: a million
    /// customers per project cost nothing up front, and only what the API changes is kept.
    pub(super) fn seeded(
        seed: &Seed,
        key: &str,
        name: &str,
        currency: Currency,
        zone: &str,
    ) -> Project {
        Project {
            id: format!("test-proj_{}", det_id(key, "proj", 0)),
            secret: format!("key_sandbox_{}", det_id(key, "secret", 0)),
            name: name.to_string(),
            currency,
            time_zone: zone.to_string(),
            seed_key: key.to_string(),
            seed: seed.clone(),
            changed_customers: BTreeMap::new(),
            deleted_customers: BTreeSet::new(),
            changed_invoices: BTreeMap::new(),
            changed_transactions: BTreeMap::new(),
            customers: Vec::new(),
            invoices: Vec::new(),
            transactions: Vec::new(),
            cards: Vec::new(),
            gateway_requests: Vec::new(),
            events: Vec::new(),
            idempotency: HashMap::new(),
            serial: 0,
            customer_index: HashMap::new(),
            invoice_index: HashMap::new(),
            event_index: HashMap::new(),
            transaction_index: HashMap::new(),
            customer_transactions: HashMap::new(),
            scheme_ids: HashSet::new(),
            seeded_initials: std::sync::OnceLock::new(),
        }
    }

    /// How many customers the seed gave this project (indices `0..n`).
    pub(super) fn seeded_count(&self) -> usize {
        self.seed.customers
    }

    /// When seeded customer `index` was "created": one minute apart, ending at the seed's
    /// midnight, so the documented creation order (and the `desc` default) is the seed order.
    fn seeded_created_at(&self, index: usize) -> DateTime<Utc> {
        let end = self.seed.today.and_time(NaiveTime::MIN).and_utc();
        end - Duration::minutes(self.seeded_count() as i64 - index as i64)
    }

    /// The latest date of anything seeded: the last customer and its initial CITs.
    pub(super) fn seeded_made_by(&self) -> DateTime<Utc> {
        self.seed.today.and_time(NaiveTime::MIN).and_utc()
    }

    /// Seeded customer `index` as the seed made it, with its tokens; `None` past the seed.
    pub(super) fn seeded_customer(&self, index: usize) -> Option<Customer> {
        if index >= self.seeded_count() {
            return None;
        }
        let key = self.seed_key.as_str();
        let demo = seed::customer(&self.seed, key, index);
        let created_at = self.seeded_created_at(index);
        let customer_id = format!("cust_{}", seeded_id(key, "cust", index as u64));
        let (first, last) = match demo.name.split_once(' ') {
            Some((f, l)) => (f.to_string(), l.to_string()),
            None => (demo.name.clone(), String::new()),
        };
        let mut customer = Customer {
            id: customer_id.clone(),
            first_name: Some(first),
            last_name: Some(last),
            email: Some(demo.email),
            phone_number: Some(demo.phone),
            company_name: None,
            country_code: None,
            currency: Some(self.currency),
            reference_id: None,
            metadata: BTreeMap::new(),
            default_token_id: None,
            tokens: Vec::with_capacity(demo.cards.len()),
            created_at,
        };
        for (n, card) in demo.cards.iter().enumerate() {
            let serial = card_serial(index, n);
            let mut token = seeded_token(key, serial, &customer_id, card, created_at);
            if card.has_initial {
                if let Some(c) = token.card.as_mut() {
                    c.initial_scheme_transaction_id = Some(seeded_scheme_id(key, serial));
                    c.used = true;
                }
            }
            if n == 0 {
                customer.default_token_id = Some(token.id.clone());
            }
            customer.tokens.push(token);
        }
        // The saved APMs on the last customer, past the special and the first ordinary
        // ones the demo and the tests pick cards from.
        if self.seeded_count() > 5 && index + 1 == self.seeded_count() {
            for n in 0..SEEDED_APMS.len() {
                let apm = seeded_apm_token(key, index as u64, &customer_id, n, created_at);
                customer.tokens.push(apm);
            }
        }
        Some(customer)
    }

    /// The seeded initial CIT of card `serial` ([`card_serial`]), invoice and transaction as
    /// seeded; `None` when that card does not exist or has no initial.
    pub(super) fn seeded_initial(&self, serial: u64) -> Option<(Invoice, Transaction)> {
        let (index, n) = serial_parts(serial);
        if index >= self.seeded_count() {
            return None;
        }
        let key = self.seed_key.as_str();
        let demo = seed::customer(&self.seed, key, index);
        let card = demo.cards.get(n).filter(|c| c.has_initial)?;
        let at = self.seeded_created_at(index);
        let customer_id = format!("cust_{}", seeded_id(key, "cust", index as u64));
        let token = seeded_token(key, serial, &customer_id, card, at);
        Some(self.initial_cit(serial, &customer_id, &token, card, at))
    }

    /// How many seeded cards carry an initial CIT: the seed's share of the invoice and
    /// transaction listings' `total_count`. Counted once, on the first listing that asks.
    pub(super) fn seeded_initials(&self) -> usize {
        *self.seeded_initials.get_or_init(|| {
            (0..self.seeded_count())
                .map(|i| seed::initial_cards(&self.seed, &self.seed_key, i))
                .sum()
        })
    }

    /// The seeded index a customer id names, if it is one of this project's seed.
    pub(super) fn parse_seeded_customer(&self, id: &str) -> Option<usize> {
        let n = parse_seeded_id(&self.seed_key, "cust", id.strip_prefix("cust_")?)?;
        usize::try_from(n).ok().filter(|&i| i < self.seeded_count())
    }

    /// The seeded index that owns a token id, if it is a seeded card or APM token.
    pub(super) fn parse_seeded_token(&self, id: &str) -> Option<usize> {
        let tail = id.strip_prefix("tok_")?;
        let index = match parse_seeded_id(&self.seed_key, "tok", tail) {
            Some(serial) => serial_parts(serial).0,
            None => SEEDED_APMS.iter().find_map(|(label, _, _)| {
                parse_seeded_id(&self.seed_key, label, tail).map(|n| n as usize)
            })?,
        };
        (index < self.seeded_count()).then_some(index)
    }

    /// The card serial a seeded initial invoice id names.
    pub(super) fn parse_seeded_invoice(&self, id: &str) -> Option<u64> {
        parse_seeded_id(&self.seed_key, "iv-seed", id.strip_prefix("iv_")?)
    }

    /// The card serial a seeded initial transaction id names.
    pub(super) fn parse_seeded_transaction(&self, id: &str) -> Option<u64> {
        parse_seeded_id(&self.seed_key, "tr-seed", id.strip_prefix("tr_")?)
    }

    /// Whether `scheme_id` is the scheme id of a seeded initial CIT of this project.
    pub(super) fn is_seeded_scheme_id(&self, scheme_id: &str) -> bool {
        parse_seeded_scheme_id(&self.seed_key, scheme_id)
            .is_some_and(|serial| self.seeded_initial(serial).is_some())
    }

    fn initial_cit(
        &self,
        serial: u64,
        customer_id: &str,
        token: &Token,
        card: &DemoCard,
        at: DateTime<Utc>,
    ) -> (Invoice, Transaction) {
        let key = self.seed_key.as_str();
        let invoice_id = format!("iv_{}", seeded_id(key, "iv-seed", serial));
        let transaction_id = format!("tr_{}", seeded_id(key, "tr-seed", serial));
        let name = format!("Initial payment {}", card.last4);
        let amount = SEEDED_INITIAL_MINOR;
        let invoice = Invoice {
            id: invoice_id.clone(),
            name: name.clone(),
            amount_minor: amount,
            currency: self.currency,
            customer_id: Some(customer_id.to_string()),
            order_id: None,
            transaction_id: transaction_id.clone(),
            token_id: Some(token.id.clone()),
            initiation_type: Some("cit".into()),
            payment_intent: Some("recurring".into()),
            merchant_initiator_type: None,
            statement_descriptor: None,
            metadata: BTreeMap::new(),
            details: Vec::new(),
            created_at: at,
        };
        let transaction = Transaction {
            id: transaction_id,
            invoice_id,
            customer_id: Some(customer_id.to_string()),
            token_id: Some(token.id.clone()),
            card_id: token.card.as_ref().map(|c| c.id.clone()),
            name,
            status: "completed".into(),
            amount_minor: amount,
            currency: self.currency,
            authorized_minor: amount,
            captured_minor: amount,
            refunded_minor: 0,
            voided_minor: 0,
            error_code: None,
            error_message: None,
            scheme_id: Some(seeded_scheme_id(key, serial)),
            initial_scheme_transaction_id: None,
            operations: vec![Operation {
                id: format!("tr_op_{}", det_id(key, "op-seed", serial)),
                kind: "capture".into(),
                amount_minor: amount,
                is_successful: true,
                error_code: None,
                created_at: at,
            }],
            refunds: Vec::new(),
            metadata: BTreeMap::new(),
            created_at: at,
            authorized_at: Some(at),
            captured_at: Some(at),
            refunded_at: None,
            voided_at: None,
        };
        (invoice, transaction)
    }
}

/// Card `n` (0–2) of seeded customer `index` as one number: the position of its token and
/// initial CIT among the seed's, four slots a customer.
pub(super) fn card_serial(index: usize, n: usize) -> u64 {
    (index as u64) << 2 | n as u64
}

fn serial_parts(serial: u64) -> (usize, usize) {
    ((serial >> 2) as usize, (serial & 3) as usize)
}

/// 62^8: the last eight characters of a seeded id carry its number.
const TAIL_SPACE: u64 = 218_340_105_584_896;

/// A seeded object's 32 alphanumerics (ProcessOut ids look like `cust_` + 32): 24 drawn from
/// (key, kind, n) and 8 that carry `n` itself, offset per (key, kind), so the emulator finds a
/// seeded object from its id alone, without an index of a million ids.
pub(super) fn seeded_id(key: &str, kind: &str, n: u64) -> String {
    let mut out = det_id(key, kind, n);
    out.truncate(24);
    let mut tail = (n % TAIL_SPACE + tail_offset(key, kind)) % TAIL_SPACE;
    let mut digits = [0u8; 8];
    for d in digits.iter_mut().rev() {
        *d = ALPHABET[(tail % 62) as usize];
        tail /= 62;
    }
    out.extend(digits.iter().map(|&b| char::from(b)));
    out
}

/// The `n` a [`seeded_id`] of (key, kind) was made from; `None` for any other string.
pub(super) fn parse_seeded_id(key: &str, kind: &str, id: &str) -> Option<u64> {
    if id.len() != 32 {
        return None;
    }
    let tail = id.get(24..)?.bytes().try_fold(0u64, |acc, b| {
        let digit = ALPHABET.iter().position(|&a| a == b)? as u64;
        Some(acc * 62 + digit)
    })?;
    let n = (tail + TAIL_SPACE - tail_offset(key, kind)) % TAIL_SPACE;
    (seeded_id(key, kind, n) == id).then_some(n)
}

fn tail_offset(key: &str, kind: &str) -> u64 {
    splitmix(fnv(key) ^ fnv(kind).rotate_left(29)) % TAIL_SPACE
}

/// 10^8: the last eight digits of a seeded scheme id carry its card serial.
const SCHEME_TAIL: u64 = 100_000_000;

/// The scheme id of a seeded initial CIT: 15 digits like the example `"483920118822016"`,
/// 7 drawn from the serial and 8 that carry it, so an MIT's link is checked without a set of
/// every seeded scheme id. Serials past 10^8 (25 million customers) are not seeded.
pub(super) fn seeded_scheme_id(key: &str, serial: u64) -> String {
    let check = splitmix(fnv(key) ^ serial.wrapping_mul(0xd6e8_feb8_6659_fd93)) % 10_000_000;
    let offset = splitmix(fnv(key)) % SCHEME_TAIL;
    format!(
        "{check:07}{:08}",
        (serial % SCHEME_TAIL + offset) % SCHEME_TAIL
    )
}

fn parse_seeded_scheme_id(key: &str, scheme_id: &str) -> Option<u64> {
    if scheme_id.len() != 15 || !scheme_id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let tail: u64 = scheme_id.get(7..)?.parse().ok()?;
    let offset = splitmix(fnv(key)) % SCHEME_TAIL;
    let serial = (tail + SCHEME_TAIL - offset) % SCHEME_TAIL;
    (seeded_scheme_id(key, serial) == scheme_id).then_some(serial)
}

fn seeded_token(
    key: &str,
    serial: u64,
    customer_id: &str,
    card: &DemoCard,
    at: DateTime<Utc>,
) -> Token {
    Token {
        id: format!("tok_{}", seeded_id(key, "tok", serial)),
        customer_id: customer_id.to_string(),
        kind: "card".into(),
        gateway: None,
        gateway_chargeable: false,
        card: Some(CardSnapshot {
            id: format!("card_{}", det_id(key, "card", serial)),
            scheme: scheme_of_brand(card.brand).to_string(),
            card_type: "credit".into(),
            bank_name: Some(card.bank.to_string()),
            iin: card.bin.clone(),
            last_4_digits: card.last4.clone(),
            exp_month: card.exp_month,
            exp_year: card.exp_year,
            name: None,
            initial_scheme_transaction_id: None,
            used: false,
            created_at: at,
        }),
        verification_status: if card.has_initial {
            "success"
        } else {
            "not-requested"
        }
        .into(),
        invoice_id: None,
        description: None,
        return_url: None,
        metadata: BTreeMap::new(),
        created_at: at,
    }
}

/// The seed's APM tokens (`type: gateway_token`, no card): id label, display name and
/// `is_chargeable`. PayPal only the customer can pay with (our choice); Klarna the merchant may
/// charge without the customer, MITs included (docs/processout.md, APM tokens).
const SEEDED_APMS: [(&str, &str, bool); 2] = [
    ("tok-apm", "PayPal", false),
    ("tok-apm-mit", "Klarna", true),
];

/// The seed's `n`th APM token ([`SEEDED_APMS`]) on the customer.
fn seeded_apm_token(
    key: &str,
    serial: u64,
    customer_id: &str,
    n: usize,
    at: DateTime<Utc>,
) -> Token {
    let (label, name, chargeable) = SEEDED_APMS[n];
    Token {
        id: format!("tok_{}", seeded_id(key, label, serial)),
        customer_id: customer_id.to_string(),
        kind: "gateway_token".into(),
        card: None,
        gateway: Some(ApmGateway {
            configuration_id: format!("gway_conf_{}", det_id(key, "gway-conf", n as u64)),
            configuration_name: format!("{name} (sandbox)"),
            gateway_name: name.to_lowercase(),
            display_name: name.into(),
        }),
        gateway_chargeable: chargeable,
        verification_status: "success".into(),
        invoice_id: None,
        description: Some(name.into()),
        return_url: None,
        metadata: BTreeMap::new(),
        created_at: at,
    }
}

/// ProcessOut's lower-case scheme names for the seed's brand labels.
pub(crate) fn scheme_of_brand(brand: &str) -> &'static str {
    match brand {
        "VISA" => "visa",
        "MC" => "mastercard",
        "AMEX" => "american-express",
        "DISCOVER" => "discover",
        "MIR" => "mir",
        "BELKART" => "belkart",
        "JCB" => "jcb",
        _ => "unknown",
    }
}
