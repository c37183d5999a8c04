//! The deterministic demo seed. Every emulator draws its customers and cards from here, so
//! `--seed demo` gives the same data on every machine, and `--customers N` scales it (100,000
//! customers are generated in well under a second).
//!
//! The first customers of each merchant carry the documented test behaviours (soft decline,
//! hard decline, expired, timeout, response lost) so they are easy to find in the demo.

use chrono::{Datelike, NaiveDate};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// What the emulator does when a card is charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardBehaviour {
    /// Approved.
    Approve,
    /// Declined, may be retried (insufficient funds).
    SoftDecline,
    /// Declined, never retry (do not honor / stolen).
    HardDecline,
    /// The card is past its expiry.
    Expired,
    /// The request hangs past the client's timeout; nothing is charged.
    Timeout,
    /// The charge is recorded, then the connection is closed without an answer.
    ResponseLost,
}

/// Which seed to start from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seed {
    /// `demo` (the default) or `empty` (merchants only, no customers).
    pub name: String,
    /// Customers per merchant account.
    pub customers: usize,
    /// The seed's "today": expiries are spread around it.
    pub today: NaiveDate,
}

impl Seed {
    /// The demo seed with `customers` customers per merchant, around `today`.
    pub fn demo(customers: usize, today: NaiveDate) -> Seed {
        Seed {
            name: "demo".into(),
            customers,
            today,
        }
    }

    /// Merchants only.
    pub fn empty(today: NaiveDate) -> Seed {
        Seed {
            name: "empty".into(),
            customers: 0,
            today,
        }
    }
}

/// A generated customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoCustomer {
    /// 0-based position within the merchant.
    pub index: usize,
    /// Full name.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Phone.
    pub phone: String,
    /// 1–3 cards.
    pub cards: Vec<DemoCard>,
}

/// A generated card: display fields and behaviour. No card number exists for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoCard {
    /// "VISA", "MC", "AMEX", "DISCOVER", "MIR", "BELKART", "JCB".
    pub brand: &'static str,
    /// First six digits.
    pub bin: String,
    /// Last four digits.
    pub last4: String,
    /// Issuing bank.
    pub bank: &'static str,
    /// Expiry month 1–12.
    pub exp_month: u32,
    /// Four-digit expiry year.
    pub exp_year: i32,
    /// An initial cardholder-initiated transaction exists for the card.
    pub has_initial: bool,
    /// What a charge does.
    pub behaviour: CardBehaviour,
}

const FIRST: [&str; 24] = [
    "Anna", "Mikko", "Olga", "Erik", "Sofia", "Jonas", "Maria", "Pavel", "Elena", "Lars", "Aino",
    "Dmitri", "Hanna", "Oskar", "Irina", "Juha", "Liisa", "Nils", "Tatiana", "Ville", "Emma",
    "Sergei", "Kaisa", "Viktor",
];
const LAST: [&str; 24] = [
    "Virtanen",
    "Korhonen",
    "Ivanova",
    "Lindqvist",
    "Nieminen",
    "Petrov",
    "Makinen",
    "Johansson",
    "Smirnova",
    "Hamalainen",
    "Kowalski",
    "Laine",
    "Novak",
    "Heikkinen",
    "Berg",
    "Sokolova",
    "Koskinen",
    "Andersen",
    "Jarvinen",
    "Kuznetsov",
    "Lehtonen",
    "Nilsson",
    "Salo",
    "Morozova",
];
/// (brand, BIN, bank)
const CARDS: [(&str, &str, &str); 12] = [
    ("VISA", "424242", "Stripe Test Bank"),
    ("VISA", "457173", "Nordea Bank"),
    ("VISA", "416598", "OP Financial Group"),
    ("MC", "555555", "Danske Bank"),
    ("MC", "522598", "Belarusbank"),
    ("MC", "540038", "Sberbank"),
    ("AMEX", "378282", "American Express"),
    ("DISCOVER", "601111", "Discover Bank"),
    ("MIR", "220070", "Tinkoff Bank"),
    ("BELKART", "911100", "Belagroprombank"),
    ("JCB", "353011", "JCB Co."),
    ("VISA", "492181", "Handelsbanken"),
];
const SPECIAL: [CardBehaviour; 5] = [
    CardBehaviour::SoftDecline,
    CardBehaviour::HardDecline,
    CardBehaviour::Expired,
    CardBehaviour::Timeout,
    CardBehaviour::ResponseLost,
];

/// Names of the special customers, in the order of [`SPECIAL`], so a person sees what they do.
pub fn special_name(behaviour: CardBehaviour) -> Option<&'static str> {
    match behaviour {
        CardBehaviour::SoftDecline => Some("Test Soft-Decline"),
        CardBehaviour::HardDecline => Some("Test Hard-Decline"),
        CardBehaviour::Expired => Some("Test Expired-Card"),
        CardBehaviour::Timeout => Some("Test Timeout"),
        CardBehaviour::ResponseLost => Some("Test Response-Lost"),
        CardBehaviour::Approve => None,
    }
}

/// The last four digits that mark a test behaviour, whatever the seed: emulators recognise them
/// on tokens created at run time too. Documented in the sandbox README.
pub fn behaviour_of_last4(last4: &str) -> CardBehaviour {
    match last4 {
        "0341" => CardBehaviour::SoftDecline,
        "0002" => CardBehaviour::HardDecline,
        "0069" => CardBehaviour::Expired,
        "0077" => CardBehaviour::Timeout,
        "0019" => CardBehaviour::ResponseLost,
        _ => CardBehaviour::Approve,
    }
}

fn last4_of(behaviour: CardBehaviour) -> Option<&'static str> {
    match behaviour {
        CardBehaviour::SoftDecline => Some("0341"),
        CardBehaviour::HardDecline => Some("0002"),
        CardBehaviour::Expired => Some("0069"),
        CardBehaviour::Timeout => Some("0077"),
        CardBehaviour::ResponseLost => Some("0019"),
        CardBehaviour::Approve => None,
    }
}

/// The customers of merchant `merchant_key` (e.g. "clover/1"), deterministic in the key and
/// index. Customers are generated lazily so 100,000 of them cost no up-front time.
pub fn customers<'a>(
    seed: &'a Seed,
    merchant_key: &'a str,
) -> impl Iterator<Item = DemoCustomer> + 'a {
    (0..seed.customers).map(move |index| customer(seed, merchant_key, index))
}

/// One customer; see [`customers`].
pub fn customer(seed: &Seed, merchant_key: &str, index: usize) -> DemoCustomer {
    let mut rng = SmallRng::seed_from_u64(
        fnv(merchant_key) ^ (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15),
    );
    let special = SPECIAL.get(index).copied();
    let first = FIRST[rng.gen_range(0..FIRST.len())];
    let last = LAST[rng.gen_range(0..LAST.len())];
    let name = match special.and_then(special_name) {
        Some(name) => name.to_string(),
        None => format!("{first} {last}"),
    };
    let email = format!(
        "{}.{}{}@example.com",
        name.split(' ').next().unwrap_or("x").to_ascii_lowercase(),
        name.rsplit(' ').next().unwrap_or("y").to_ascii_lowercase(),
        index
    );
    let phone = format!(
        "+358 40 {:03} {:04}",
        rng.gen_range(0..1000),
        index % 10_000
    );
    let count = if special.is_some() {
        1
    } else {
        rng.gen_range(1..=3)
    };
    let cards = (0..count)
        .map(|n| {
            let (brand, bin, bank) = CARDS[rng.gen_range(0..CARDS.len())];
            let behaviour = if n == 0 {
                special.unwrap_or(CardBehaviour::Approve)
            } else {
                CardBehaviour::Approve
            };
            let mut last4 = format!("{:04}", rng.gen_range(1000..10_000));
            if let Some(fixed) = last4_of(behaviour) {
                last4 = fixed.to_string();
            } else if behaviour_of_last4(&last4) != CardBehaviour::Approve {
                last4 = "4242".into();
            }
            // Expiries: mostly 1–4 years ahead; one in ten expired; one in ten within 60 days.
            let months_ahead: i32 = match (behaviour, rng.gen_range(0..10)) {
                (CardBehaviour::Expired, _) | (_, 0) => -rng.gen_range(1..18),
                (_, 1) => rng.gen_range(0..2),
                _ => rng.gen_range(3..48),
            };
            let base = seed.today.year() * 12 + seed.today.month0() as i32 + months_ahead;
            DemoCard {
                brand,
                bin: bin.to_string(),
                last4,
                bank,
                exp_month: (base.rem_euclid(12) + 1) as u32,
                exp_year: base.div_euclid(12),
                has_initial: special.is_some() || rng.gen_range(0..3) > 0,
                behaviour,
            }
        })
        .collect();
    DemoCustomer {
        index,
        name,
        email,
        phone,
        cards,
    }
}

fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    #[test]
    fn the_seed_is_deterministic_and_varied() {
        let seed = Seed::demo(60, today());
        let a: Vec<_> = customers(&seed, "clover/1").collect();
        let b: Vec<_> = customers(&seed, "clover/1").collect();
        assert_eq!(a, b, "same key, same data");
        let other: Vec<_> = customers(&seed, "clover/2").collect();
        assert_ne!(a, other, "each merchant has its own customers");
        let cards: Vec<_> = a.iter().flat_map(|c| &c.cards).collect();
        assert!(cards.iter().all(|c| (1..=12).contains(&c.exp_month)));
        assert!(a.iter().all(|c| (1..=3).contains(&c.cards.len())));
        let expired = cards
            .iter()
            .filter(|c| {
                NaiveDate::from_ymd_opt(c.exp_year, c.exp_month, 1).unwrap()
                    < NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
            })
            .count();
        assert!(expired > 0, "some cards are expired");
        assert!(
            cards.iter().any(|c| !c.has_initial),
            "some cards lack an initial CIT"
        );
        let brands: std::collections::HashSet<_> = cards.iter().map(|c| c.brand).collect();
        assert!(brands.len() >= 4, "brands vary: {brands:?}");
        assert_eq!(a[1].cards[0].behaviour, CardBehaviour::HardDecline);
        assert_eq!(
            behaviour_of_last4(&a[1].cards[0].last4),
            CardBehaviour::HardDecline
        );
    }
}
