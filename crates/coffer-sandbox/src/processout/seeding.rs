//! The demo projects the sandbox starts with: customers, their card and APM tokens and the
//! initial CIT of each card that has one, all a pure function of the seed (ids included), so a
//! restart or a second machine sees the same objects.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveTime, Utc};
use coffer_core::Currency;

use super::state::*;
use crate::seed::{self, DemoCard, Seed};

/// Amount of the seeded initial CIT of a card, in minor units.
const SEEDED_INITIAL_MINOR: i64 = 100;

impl Project {
    pub(super) fn seeded(
        seed: &Seed,
        key: &str,
        name: &str,
        currency: Currency,
        zone: &str,
    ) -> Project {
        let mut project = Project {
            id: format!("test-proj_{}", det_id(key, "proj", 0)),
            secret: format!("key_sandbox_{}", det_id(key, "secret", 0)),
            name: name.to_string(),
            currency,
            time_zone: zone.to_string(),
            customers: Vec::with_capacity(seed.customers),
            invoices: Vec::new(),
            transactions: Vec::new(),
            cards: Vec::new(),
            gateway_requests: Vec::new(),
            events: Vec::new(),
            idempotency: HashMap::new(),
            serial: 0,
            customer_index: HashMap::with_capacity(seed.customers),
            invoice_index: HashMap::new(),
            event_index: HashMap::new(),
            transaction_index: HashMap::new(),
            customer_transactions: HashMap::new(),
            scheme_ids: HashSet::new(),
        };
        // Customers were "created" one minute apart, ending at the seed's midnight, so the
        // documented creation order (and the `desc` default) is the seed order.
        let end = seed.today.and_time(NaiveTime::MIN).and_utc();
        let count = seed.customers as i64;
        for demo in seed::customers(seed, key) {
            let created_at = end - Duration::minutes(count - demo.index as i64);
            let customer_id = format!("cust_{}", det_id(key, "cust", demo.index as u64));
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
                currency: Some(currency),
                reference_id: None,
                metadata: BTreeMap::new(),
                default_token_id: None,
                tokens: Vec::with_capacity(demo.cards.len()),
                created_at,
            };
            for (n, card) in demo.cards.iter().enumerate() {
                let serial = (demo.index as u64) << 2 | n as u64;
                let token = seeded_token(key, serial, &customer_id, card, created_at);
                if card.has_initial {
                    project.seed_initial_cit(key, serial, &customer, &token, card, created_at);
                }
                let mut token = token;
                if card.has_initial {
                    if let Some(c) = token.card.as_mut() {
                        c.initial_scheme_transaction_id = Some(scheme_id(key, serial));
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
            if seed.customers > 5 && demo.index + 1 == seed.customers {
                for n in 0..SEEDED_APMS.len() {
                    let serial = demo.index as u64;
                    let apm = seeded_apm_token(key, serial, &customer_id, n, created_at);
                    customer.tokens.push(apm);
                }
            }
            project
                .customer_index
                .insert(customer.id.clone(), project.customers.len());
            project.customers.push(customer);
        }
        project
    }

    fn seed_initial_cit(
        &mut self,
        key: &str,
        serial: u64,
        customer: &Customer,
        token: &Token,
        card: &DemoCard,
        at: DateTime<Utc>,
    ) {
        let invoice_id = format!("iv_{}", det_id(key, "iv-seed", serial));
        let transaction_id = format!("tr_{}", det_id(key, "tr-seed", serial));
        let name = format!("Initial payment {}", card.last4);
        let amount = SEEDED_INITIAL_MINOR;
        self.push_invoice(Invoice {
            id: invoice_id.clone(),
            name: name.clone(),
            amount_minor: amount,
            currency: self.currency,
            customer_id: Some(customer.id.clone()),
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
        });
        self.push_transaction(Transaction {
            id: transaction_id,
            invoice_id,
            customer_id: Some(customer.id.clone()),
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
            scheme_id: Some(scheme_id(key, serial)),
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
        });
    }
}

fn seeded_token(
    key: &str,
    serial: u64,
    customer_id: &str,
    card: &DemoCard,
    at: DateTime<Utc>,
) -> Token {
    Token {
        id: format!("tok_{}", det_id(key, "tok", serial)),
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
        id: format!("tok_{}", det_id(key, label, serial)),
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
