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
    /// "VISA", "MC", "AMEX", "DISCOVER", "MIR", "BELKART": what its market issues.
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

/// Where a demo merchant trades: its customers' names, phones and the cards a merchant of
/// that provider there would see. Choice: the BIN–bank pairs are illustrative (a plausible
/// prefix of the brand for a bank of that market), not read from a BIN table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Market {
    /// United States: Clover's home market.
    UnitedStates,
    /// Ireland: Clover's European platform.
    Ireland,
    /// France: ProcessOut's home market.
    France,
    /// United Kingdom.
    UnitedKingdom,
    /// Belarus: Assist's Belarusian platform (docs.belassist.by).
    Belarus,
    /// Russia: Assist's Russian platform (docs.assist.ru).
    Russia,
    /// Finland: Svea Payments (ex Maksuturva) serves Finnish merchants.
    Finland,
}

struct MarketData {
    first: &'static [&'static str],
    last: &'static [&'static str],
    /// Country calling code and mobile prefix, e.g. "+358 40".
    phone: &'static str,
    /// (brand, BIN, bank)
    cards: &'static [(&'static str, &'static str, &'static str)],
}

impl Market {
    /// The market of a seeded merchant key ("clover/3"); a key of no seeded merchant gets its
    /// provider's home market.
    pub fn of_merchant(merchant_key: &str) -> Market {
        match merchant_key {
            "clover/3" => Market::Ireland,
            "processout/2" => Market::UnitedKingdom,
            "assist/2" => Market::Russia,
            key if key.starts_with("processout/") => Market::France,
            key if key.starts_with("assist/") => Market::Belarus,
            key if key.starts_with("svea/") => Market::Finland,
            _ => Market::UnitedStates,
        }
    }

    fn data(self) -> &'static MarketData {
        match self {
            Market::UnitedStates => &UNITED_STATES,
            Market::Ireland => &IRELAND,
            Market::France => &FRANCE,
            Market::UnitedKingdom => &UNITED_KINGDOM,
            Market::Belarus => &BELARUS,
            Market::Russia => &RUSSIA,
            Market::Finland => &FINLAND,
        }
    }

    /// The brands a card of this market may carry.
    pub fn brands(self) -> impl Iterator<Item = &'static str> {
        self.data().cards.iter().map(|(brand, _, _)| *brand)
    }
}

static UNITED_STATES: MarketData = MarketData {
    first: &[
        "James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "David", "Linda", "Daniel",
        "Ashley", "Chris", "Emily",
    ],
    last: &[
        "Smith", "Johnson", "Williams", "Brown", "Garcia", "Miller", "Davis", "Martinez", "Wilson",
        "Anderson", "Taylor", "Moore",
    ],
    phone: "+1 212",
    cards: &[
        ("VISA", "414720", "JPMorgan Chase Bank"),
        ("VISA", "400022", "Bank of America"),
        ("VISA", "446542", "Wells Fargo Bank"),
        ("MC", "517805", "Capital One"),
        ("MC", "542418", "Citibank"),
        ("AMEX", "378282", "American Express"),
        ("DISCOVER", "601100", "Discover Bank"),
    ],
};

static IRELAND: MarketData = MarketData {
    first: &[
        "Aoife", "Conor", "Niamh", "Sean", "Ciara", "Padraig", "Siobhan", "Eoin", "Orla", "Cian",
    ],
    last: &[
        "Murphy",
        "Kelly",
        "O'Sullivan",
        "Walsh",
        "Byrne",
        "Ryan",
        "O'Brien",
        "Doyle",
        "McCarthy",
        "Gallagher",
    ],
    phone: "+353 85",
    cards: &[
        ("VISA", "454618", "AIB"),
        ("VISA", "476342", "Bank of Ireland"),
        ("MC", "539923", "PTSB"),
        ("MC", "535522", "AIB"),
    ],
};

static FRANCE: MarketData = MarketData {
    first: &[
        "Camille", "Louis", "Lea", "Hugo", "Chloe", "Jules", "Manon", "Lucas", "Ines", "Arthur",
    ],
    last: &[
        "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
        "Moreau",
    ],
    phone: "+33 6",
    cards: &[
        ("VISA", "497010", "BNP Paribas"),
        ("VISA", "497671", "Societe Generale"),
        ("MC", "513100", "Credit Agricole"),
        ("MC", "535600", "La Banque Postale"),
        ("AMEX", "374101", "American Express"),
    ],
};

static UNITED_KINGDOM: MarketData = MarketData {
    first: &[
        "Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Mia", "Thomas", "Grace",
    ],
    last: &[
        "Jones", "Evans", "Roberts", "Wright", "Walker", "Hughes", "Green", "Hall", "Clarke",
        "Jackson",
    ],
    phone: "+44 7700",
    cards: &[
        ("VISA", "465858", "Barclays"),
        ("VISA", "475129", "Lloyds Bank"),
        ("MC", "535462", "NatWest"),
        ("MC", "537410", "Monzo Bank"),
        ("AMEX", "374288", "American Express"),
    ],
};

static BELARUS: MarketData = MarketData {
    first: &[
        "Alexei", "Olga", "Pavel", "Tatiana", "Andrei", "Natalia", "Sergei", "Irina", "Dmitri",
        "Yulia",
    ],
    last: &[
        "Ivanov",
        "Kovalenko",
        "Novik",
        "Shevchuk",
        "Lukashevich",
        "Karpovich",
        "Melnik",
        "Kozlovskaya",
        "Bondarenko",
        "Zhuk",
    ],
    phone: "+375 29",
    cards: &[
        ("BELKART", "911100", "Belagroprombank"),
        ("BELKART", "911200", "Belarusbank"),
        ("VISA", "418396", "Priorbank"),
        ("VISA", "427852", "Belarusbank"),
        ("MC", "522598", "Belinvestbank"),
    ],
};

static RUSSIA: MarketData = MarketData {
    first: &[
        "Elena",
        "Dmitri",
        "Maria",
        "Mikhail",
        "Anna",
        "Ivan",
        "Ekaterina",
        "Nikolai",
        "Svetlana",
        "Viktor",
    ],
    last: &[
        "Petrov",
        "Smirnova",
        "Kuznetsov",
        "Sokolova",
        "Popov",
        "Morozova",
        "Volkov",
        "Lebedeva",
        "Kozlov",
        "Novikova",
    ],
    phone: "+7 916",
    cards: &[
        ("MIR", "220070", "T-Bank"),
        ("MIR", "220220", "Sberbank"),
        ("MIR", "220024", "VTB"),
        ("VISA", "427600", "Sberbank"),
        ("MC", "548673", "Alfa-Bank"),
    ],
};

static FINLAND: MarketData = MarketData {
    first: &[
        "Aino", "Mikko", "Liisa", "Juha", "Kaisa", "Ville", "Hanna", "Matti", "Emma", "Oskari",
        "Sanna", "Jukka",
    ],
    last: &[
        "Virtanen",
        "Korhonen",
        "Nieminen",
        "Makinen",
        "Hamalainen",
        "Laine",
        "Heikkinen",
        "Koskinen",
        "Jarvinen",
        "Lehtonen",
        "Salo",
        "Lindqvist",
    ],
    phone: "+358 40",
    cards: &[
        ("VISA", "457173", "Nordea"),
        ("VISA", "416598", "OP"),
        ("VISA", "492181", "Handelsbanken"),
        ("MC", "555555", "Danske Bank"),
        ("MC", "522462", "S-Pankki"),
        ("MC", "516131", "Aktia"),
    ],
};

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
    let market = Market::of_merchant(merchant_key).data();
    let first = market.first[rng.gen_range(0..market.first.len())];
    let last = market.last[rng.gen_range(0..market.last.len())];
    let name = match special.and_then(special_name) {
        Some(name) => name.to_string(),
        None => format!("{first} {last}"),
    };
    let email = format!(
        "{}.{}{}@example.com",
        local_part(name.split(' ').next().unwrap_or("x")),
        local_part(name.rsplit(' ').next().unwrap_or("y")),
        index
    );
    let phone = format!(
        "{} {:03} {:04}",
        market.phone,
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
            let drawn = market.cards[rng.gen_range(0..market.cards.len())];
            // A test customer's card is a Visa in date, so what it shows is its behaviour alone
            // (the networks' retry limits, say, are known for Visa).
            let (brand, bin, bank) = match special {
                Some(_) => market
                    .cards
                    .iter()
                    .copied()
                    .find(|(brand, _, _)| *brand == "VISA")
                    .unwrap_or(drawn),
                None => drawn,
            };
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
                (CardBehaviour::Expired, _) => -rng.gen_range(1..18),
                (_, _) if special.is_some() => rng.gen_range(3..48),
                (_, 0) => -rng.gen_range(1..18),
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

/// How many cards of [`customer`] `index` have an initial transaction, without building the
/// customer: the same draws in the same order, no strings. What the emulators' listings count
/// their seeded initials with (a million customers in a fraction of the time `customer` takes).
pub fn initial_cards(seed: &Seed, merchant_key: &str, index: usize) -> usize {
    let mut rng = SmallRng::seed_from_u64(
        fnv(merchant_key) ^ (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15),
    );
    let special = SPECIAL.get(index).copied();
    if special.is_some() {
        // One card, in date, with its initial on record.
        return 1;
    }
    let market = Market::of_merchant(merchant_key).data();
    let _first = rng.gen_range(0..market.first.len());
    let _last = rng.gen_range(0..market.last.len());
    let _phone = rng.gen_range(0..1000);
    let count = rng.gen_range(1..=3);
    let _ = seed;
    (0..count)
        .filter(|_| {
            let _drawn = rng.gen_range(0..market.cards.len());
            let _last4 = rng.gen_range(1000..10_000);
            // The expiry's draws, as in `customer` for an ordinary (approving) card.
            let _months: i32 = match rng.gen_range(0..10) {
                0 => -rng.gen_range(1..18),
                1 => rng.gen_range(0..2),
                _ => rng.gen_range(3..48),
            };
            rng.gen_range(0..3) > 0
        })
        .count()
}

/// "O'Brien" → "obrien": names become e-mail local parts.
fn local_part(word: &str) -> String {
    word.chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase()
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

    #[test]
    fn each_merchant_sees_the_cards_of_its_market() {
        let seed = Seed::demo(200, today());
        let brands = |key: &str| -> std::collections::BTreeSet<&'static str> {
            customers(&seed, key)
                .flat_map(|c| c.cards)
                .map(|card| card.brand)
                .collect()
        };
        let set = |list: &[&'static str]| list.iter().copied().collect();
        assert_eq!(brands("svea/1"), set(&["MC", "VISA"]), "Finnish cards");
        assert_eq!(brands("assist/1"), set(&["BELKART", "MC", "VISA"]));
        assert_eq!(brands("assist/2"), set(&["MC", "MIR", "VISA"]));
        assert_eq!(brands("clover/1"), set(&["AMEX", "DISCOVER", "MC", "VISA"]));
        assert_eq!(brands("clover/3"), set(&["MC", "VISA"]), "Irish cards");
        let finn = customer(&seed, "svea/1", 7);
        assert!(finn.phone.starts_with("+358 "), "{}", finn.phone);
        assert!(
            FINLAND.last.iter().any(|l| finn.name.ends_with(l)),
            "{}",
            finn.name
        );
        let belarus_banks: Vec<_> = customers(&seed, "assist/1")
            .flat_map(|c| c.cards)
            .map(|card| card.bank)
            .collect();
        assert!(belarus_banks
            .iter()
            .all(|b| BELARUS.cards.iter().any(|(_, _, bank)| bank == b)));
        let irish = customers(&seed, "clover/3").find(|c| c.name.contains('\''));
        if let Some(irish) = irish {
            assert!(!irish.email.contains('\''), "{}", irish.email);
        }
    }

    #[test]
    fn initial_cards_counts_what_customer_builds() {
        let seed = Seed::demo(3_000, today());
        for key in [
            "clover/1",
            "clover/3",
            "processout/1",
            "processout/2",
            "assist/1",
            "assist/2",
            "svea/1",
        ] {
            for c in customers(&seed, key) {
                assert_eq!(
                    initial_cards(&seed, key, c.index),
                    c.cards.iter().filter(|k| k.has_initial).count(),
                    "{key} #{}",
                    c.index
                );
            }
        }
    }

    #[test]
    fn a_brand_matches_its_bin() {
        for market in [
            &UNITED_STATES,
            &IRELAND,
            &FRANCE,
            &UNITED_KINGDOM,
            &BELARUS,
            &RUSSIA,
            &FINLAND,
        ] {
            for (brand, bin, bank) in market.cards {
                let ok = match *brand {
                    "VISA" => bin.starts_with('4'),
                    "MC" => matches!(&bin[..2], "51" | "52" | "53" | "54" | "55"),
                    "AMEX" => bin.starts_with("34") || bin.starts_with("37"),
                    "DISCOVER" => bin.starts_with("6011"),
                    "MIR" => bin.starts_with("220"),
                    "BELKART" => bin.starts_with("9112") || bin.starts_with("9111"),
                    _ => false,
                };
                assert!(ok && bin.len() == 6, "{brand} {bin} ({bank})");
            }
        }
    }
}
