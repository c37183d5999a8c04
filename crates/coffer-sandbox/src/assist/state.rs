//! What the Assist emulator remembers: merchant accounts, the orders made while it runs, and the
//! switches for behaviours the notes leave UNCONFIRMED.
//!
//! Seeded customers, cards and their initial orders are not stored: they are derived on demand
//! from the seed (`crate::seed::customer` is deterministic), with customer numbers, tokens and
//! billnumbers that encode the customer's position. That keeps `--customers 100000` to a few
//! bytes of state per merchant and makes a snapshot small, while every seeded reference still
//! resolves.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use coffer_core::Currency;
use serde::{Deserialize, Serialize};

pub(crate) use super::order::{OrderState, RecurringTerms};
use crate::faults::Horizon;
use crate::seed::{self, DemoCard, DemoCustomer, Seed};

/// One Assist merchant account (a `Merchant_ID` with its Login and Password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct MerchantAccount {
    /// 1-based position; part of every seeded reference.
    pub slot: u8,
    pub merchant_id: String,
    pub login: String,
    pub password: String,
    pub name: String,
    pub currency: Currency,
    pub time_zone: String,
    /// Prefix of the seeded `CustomerNumber`s ("BY", "RU").
    pub region: String,
    /// One Click (CIT COF) processing enabled by support; Token Pay fails without it.
    pub cit_cof: bool,
    /// MIT COF enabled; without it rp.cfm still runs, as a classic recurring payment (Seed).
    pub mit_cof: bool,
}

impl MerchantAccount {
    pub fn seed_key(&self) -> String {
        format!("assist/{}", self.slot)
    }
}

/// The demo accounts. Credentials follow Assist's formats (Login 8–20 of `[A-Za-z0-9_]`,
/// Password 8–20 of `[A-Za-z0-9]`) and are sandbox-only values.
pub(crate) fn demo_merchants() -> Vec<MerchantAccount> {
    vec![
        MerchantAccount {
            slot: 1,
            merchant_id: "600101".into(),
            login: "coffer_minsk_01".into(),
            password: "SandboxMinsk2026".into(),
            name: "Assist Minsk".into(),
            currency: Currency::BYN,
            time_zone: "Europe/Minsk".into(),
            region: "BY".into(),
            cit_cof: true,
            mit_cof: true,
        },
        MerchantAccount {
            slot: 2,
            merchant_id: "600202".into(),
            login: "coffer_moscow_02".into(),
            password: "SandboxMoscow2026".into(),
            name: "Assist Moscow".into(),
            currency: Currency::RUB,
            time_zone: "Europe/Moscow".into(),
            region: "RU".into(),
            cit_cof: true,
            mit_cof: true,
        },
    ]
}

/// Display fields of the card an order was paid with (never a full number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CardSummary {
    pub token: String,
    pub customer_number: String,
    pub brand: String,
    pub bin: String,
    pub last4: String,
    pub bank: String,
    pub exp_month: u32,
    pub exp_year: i32,
}

impl CardSummary {
    /// `meannumber`: the masked card number as Assist shows it.
    pub fn masked(&self) -> String {
        format!("{}******{}", self.bin, self.last4)
    }

    pub fn expiry(&self) -> String {
        format!("{:02}.{}", self.exp_month, self.exp_year)
    }
}

/// What created an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum OrderSource {
    /// A seeded initial payment on Assist's page: registered as recurring, or (for
    /// `rules::one_click_initial` cards) a One Click payment without recurring terms.
    InitialPage,
    /// `tokenpay.cfm`, TokenType 5.
    TokenPay,
    /// `rp.cfm` against the initial billnumber.
    Recurring { initial: String },
}

/// One operation of an order: payment (100), confirmation (200), cancel (300).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Operation {
    /// `<billnumber>.<n>`'s n, from 1.
    pub number: u32,
    pub operation_type: u16,
    /// "Success" or "Declined".
    pub state: String,
    pub amount_minor: i64,
    pub responsecode: String,
    pub at: DateTime<Utc>,
    /// The order's state before a confirmation or cancel: what a lagging lookup shows while
    /// the operation is not visible yet (`lookup_lag_secs`). None on the payment itself.
    #[serde(default)]
    pub order_state_before: Option<OrderState>,
}

/// One Assist order (one billnumber).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Order {
    pub merchant_id: String,
    pub billnumber: String,
    pub ordernumber: String,
    pub amount_minor: i64,
    pub currency: Currency,
    pub state: OrderState,
    pub created_at: DateTime<Utc>,
    pub comment: String,
    pub card: CardSummary,
    pub source: OrderSource,
    /// Terms later rp.cfm charges are checked against, when this order is a recurring initial.
    pub recurring: Option<RecurringTerms>,
    pub operations: Vec<Operation>,
    /// Sum of the cancel operations.
    pub refunded_minor: i64,
    /// `Externalrefundid`s already used on this order.
    pub refund_ids: Vec<String>,
    /// An `In Process` order turns final after this many more lookups.
    pub lookups_left: u32,
    /// What the order turns into after its lookups (the final payment responsecode).
    pub pending_code: Option<String>,
    /// The request's stored-credential fields, kept for the ledger until the order is final.
    #[serde(default)]
    pub pending_fields: Option<serde_json::Value>,
    /// The scheme's decline advice (`merchantadvicecode`) of a declined order: set only by the
    /// Assist-only test cards (`rules::TEST_CARDS`).
    #[serde(default)]
    pub merchant_advice_code: Option<String>,
    /// Visa's decline category (`errorcategory`) of a declined order: set only by the Visa
    /// test cards of `rules::TEST_CARDS`.
    #[serde(default)]
    pub error_category: Option<String>,
}

impl Order {
    pub fn operation_ref(&self, number: u32) -> String {
        format!("{}.{}", self.billnumber, number)
    }

    /// The order as orderresult may show it under `lookup_lag_secs`: nothing if it was made
    /// after the horizon, else without the confirmations and cancels made since, in the state
    /// it had before them.
    pub fn as_seen(&self, horizon: Horizon) -> Option<Cow<'_, Order>> {
        if !horizon.shows(self.created_at) {
            return None;
        }
        // Operations are appended as they are made: the hidden ones are the newest.
        let shown = self
            .operations
            .iter()
            .take_while(|op| op.order_state_before.is_none() || horizon.shows(op.at))
            .count();
        if shown == self.operations.len() {
            return Some(Cow::Borrowed(self));
        }
        let mut seen = self.clone();
        let hidden = seen.operations.split_off(shown);
        if let Some(state) = hidden.first().and_then(|op| op.order_state_before) {
            seen.state = state;
        }
        seen.refunded_minor -= hidden
            .iter()
            .filter(|op| op.operation_type == 300)
            .map(|op| op.amount_minor)
            .sum::<i64>();
        Some(Cow::Owned(seen))
    }

    /// The responsecode of the latest payment-side operation.
    pub fn responsecode(&self) -> &str {
        self.operations
            .last()
            .map(|o| o.responsecode.as_str())
            .unwrap_or("AS000")
    }
}

/// Switches for behaviours the notes mark UNCONFIRMED (assist.md §6); `PUT
/// /assist/__sandbox/rules` changes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Rules {
    /// Reusing the OrderNumber of an order that took money: refused with 11/107 (default) or
    /// charged again.
    pub refuse_duplicate_order: bool,
    /// Recurring-rule violations as a web-service error (5/108, 5/105, 15/320; default) or as a
    /// `Declined` order with AS100.
    pub recurring_violation_as_error: bool,
    /// Refuse an rp.cfm charge sooner than RecurringPeriod days after the previous one.
    pub enforce_period: bool,
    /// Refuse an rp.cfm charge after RecurringMaxDate.
    pub enforce_max_date: bool,
    /// An unknown token (or another customer's) on Token Pay: `Declined` + AS100 (default) or
    /// web-service error 10/201.
    pub unknown_token_as_error: bool,
    /// Lookups an `In Process` order (amount trigger x.30 of 999) answers before turning final.
    pub in_process_lookups: u32,
    /// The next N service calls are refused in the body with the request-rate pair 17/3
    /// (Inferred: Assist's rate limit is documented only as secondcode 3).
    pub rate_limit_in_body_next: u32,
    /// The next N service calls are processed, then answered with cut-off XML.
    pub malformed_next: u32,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            refuse_duplicate_order: true,
            recurring_violation_as_error: true,
            enforce_period: true,
            enforce_max_date: true,
            unknown_token_as_error: false,
            in_process_lookups: 1,
            rate_limit_in_body_next: 0,
            malformed_next: 0,
        }
    }
}

/// The whole emulator state: what `snapshot()` writes and `restore()` reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct AssistState {
    pub seed: Seed,
    pub merchants: Vec<MerchantAccount>,
    /// Orders made while running, oldest first.
    pub orders: Vec<Order>,
    pub rules: Rules,
    /// Next runtime billnumber sequence.
    pub next_bill: u64,
    #[serde(skip)]
    index: Index,
}

/// Lookups over `orders`, rebuilt after a restore.
#[derive(Debug, Clone, Default, PartialEq)]
struct Index {
    by_bill: HashMap<String, usize>,
    by_number: HashMap<(String, String), Vec<usize>>,
    by_initial: HashMap<String, Vec<usize>>,
}

impl AssistState {
    pub fn new(seed: &Seed) -> AssistState {
        AssistState {
            seed: seed.clone(),
            merchants: demo_merchants(),
            orders: Vec::new(),
            rules: Rules::default(),
            next_bill: 1,
            index: Index::default(),
        }
    }

    /// Re-derives the lookups; call after deserializing.
    pub fn reindex(&mut self) {
        self.index = Index::default();
        for i in 0..self.orders.len() {
            self.index_order(i);
        }
    }

    fn index_order(&mut self, i: usize) {
        let order = &self.orders[i];
        self.index.by_bill.insert(order.billnumber.clone(), i);
        self.index
            .by_number
            .entry((order.merchant_id.clone(), order.ordernumber.clone()))
            .or_default()
            .push(i);
        if let OrderSource::Recurring { initial } = &order.source {
            self.index
                .by_initial
                .entry(initial.clone())
                .or_default()
                .push(i);
        }
    }

    pub fn merchant(&self, merchant_id: &str) -> Option<&MerchantAccount> {
        self.merchants.iter().find(|m| m.merchant_id == merchant_id)
    }

    /// A new 16-digit billnumber: `7`, the merchant slot, a 14-digit sequence. Seeded
    /// billnumbers start with `5`, so the two never meet.
    pub fn new_billnumber(&mut self, slot: u8) -> String {
        let n = self.next_bill;
        self.next_bill += 1;
        format!("7{}{:014}", slot % 10, n)
    }

    pub fn push_order(&mut self, order: Order) -> usize {
        self.orders.push(order);
        let i = self.orders.len() - 1;
        self.index_order(i);
        i
    }

    /// A runtime order by billnumber, bringing a seeded initial order into `orders` the first
    /// time something changes it or hangs off it.
    pub fn resolve_order(&mut self, merchant: &MerchantAccount, billnumber: &str) -> Option<usize> {
        if let Some(i) = self.order_index(billnumber) {
            return (self.orders[i].merchant_id == merchant.merchant_id).then_some(i);
        }
        let initial = self.seeded_initial(merchant, billnumber)?;
        Some(self.push_order(initial))
    }

    /// A runtime order by billnumber.
    pub fn order_index(&self, billnumber: &str) -> Option<usize> {
        self.index.by_bill.get(billnumber).copied()
    }

    /// Positions in `orders` of the runtime attempts under one OrderNumber, oldest first.
    pub fn numbered(&self, merchant_id: &str, ordernumber: &str) -> Vec<usize> {
        self.index
            .by_number
            .get(&(merchant_id.to_string(), ordernumber.to_string()))
            .cloned()
            .unwrap_or_default()
    }

    /// Every attempt under one OrderNumber, oldest first: runtime orders and, for a seeded
    /// initial order number, the derived initial order.
    pub fn orders_numbered(&self, merchant: &MerchantAccount, ordernumber: &str) -> Vec<Order> {
        let mut found: Vec<Order> = self
            .index
            .by_number
            .get(&(merchant.merchant_id.clone(), ordernumber.to_string()))
            .map(|ids| ids.iter().map(|&i| self.orders[i].clone()).collect())
            .unwrap_or_default();
        if let Some(initial) = self.seeded_initial_by_number(merchant, ordernumber) {
            if self.order_index(&initial.billnumber).is_none() {
                found.insert(0, initial);
            }
        }
        found
    }

    /// Approved recurring charges made against an initial billnumber.
    pub fn series(&self, initial: &str) -> impl Iterator<Item = &Order> {
        self.index
            .by_initial
            .get(initial)
            .into_iter()
            .flatten()
            .map(|&i| &self.orders[i])
    }

    // --- seeded data, derived on demand ---

    pub fn customer_number(merchant: &MerchantAccount, index: usize) -> String {
        format!("{}-{:06}", merchant.region, index + 1)
    }

    /// The customer index a seeded `CustomerNumber` names, if it is one of this merchant's.
    pub fn customer_index(&self, merchant: &MerchantAccount, number: &str) -> Option<usize> {
        let digits = number.strip_prefix(&format!("{}-", merchant.region))?;
        if digits.len() < 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: usize = digits.parse().ok()?;
        (n >= 1 && n <= self.seed.customers).then(|| n - 1)
    }

    /// A seeded customer, with the Assist-only test cards (`rules::with_test_card`).
    pub fn customer(&self, merchant: &MerchantAccount, index: usize) -> DemoCustomer {
        assist_customer(&self.seed, merchant, index)
    }

    /// A UUID-shaped token that carries the customer and card position plus a check hash, so a
    /// made-up token is refused rather than resolved to someone's card.
    pub fn token(merchant: &MerchantAccount, index: usize, card: usize) -> String {
        let check = check_hash(merchant, index, card) & 0xffff_ffff;
        format!(
            "{check:08x}-{:04x}-4{:03x}-a000-{:012x}",
            merchant.slot, card, index
        )
    }

    /// (customer index, card index) of a seeded token.
    pub fn token_position(
        &self,
        merchant: &MerchantAccount,
        token: &str,
    ) -> Option<(usize, usize)> {
        let parts: Vec<&str> = token.split('-').collect();
        let [check, slot, card, fixed, index] = parts.as_slice() else {
            return None;
        };
        if *fixed != "a000" || card.len() != 4 || !card.starts_with('4') {
            return None;
        }
        let slot = u8::from_str_radix(slot, 16).ok()?;
        let card = usize::from_str_radix(&card[1..], 16).ok()?;
        let index = usize::from_str_radix(index, 16).ok()?;
        let check = u64::from_str_radix(check, 16).ok()?;
        let valid = slot == merchant.slot
            && index < self.seed.customers
            && check == check_hash(merchant, index, card) & 0xffff_ffff;
        valid.then_some((index, card))
    }

    /// The seeded card behind a token, with its owner.
    pub fn seeded_card(
        &self,
        merchant: &MerchantAccount,
        token: &str,
    ) -> Option<(DemoCustomer, usize)> {
        let (index, card) = self.token_position(merchant, token)?;
        let customer = self.customer(merchant, index);
        (card < customer.cards.len()).then_some((customer, card))
    }

    pub fn card_summary(
        merchant: &MerchantAccount,
        customer: &DemoCustomer,
        card: usize,
    ) -> Option<CardSummary> {
        let c: &DemoCard = customer.cards.get(card)?;
        Some(CardSummary {
            token: Self::token(merchant, customer.index, card),
            customer_number: Self::customer_number(merchant, customer.index),
            brand: c.brand.to_string(),
            bin: c.bin.clone(),
            last4: c.last4.clone(),
            bank: c.bank.to_string(),
            exp_month: c.exp_month,
            exp_year: c.exp_year,
        })
    }

    /// Billnumber of a seeded initial order: `5`, slot, 10-digit customer index, card index,
    /// 3-digit check. 16 digits, as Assist's are.
    pub fn seeded_billnumber(merchant: &MerchantAccount, index: usize, card: usize) -> String {
        let check = check_hash(merchant, index, card) % 1000;
        format!(
            "5{}{:010}{}{:03}",
            merchant.slot % 10,
            index,
            card % 10,
            check
        )
    }

    pub fn seeded_ordernumber(merchant: &MerchantAccount, index: usize, card: usize) -> String {
        format!(
            "INIT-{}-{}",
            Self::customer_number(merchant, index),
            card + 1
        )
    }

    /// The derived initial order of a seeded card, if the billnumber names one.
    pub fn seeded_initial(&self, merchant: &MerchantAccount, billnumber: &str) -> Option<Order> {
        let b = billnumber.as_bytes();
        if b.len() != 16 || b[0] != b'5' || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        if u32::from(b[1] - b'0') != u32::from(merchant.slot % 10) {
            return None;
        }
        let index: usize = billnumber[2..12].parse().ok()?;
        let card = usize::from(b[12] - b'0');
        if index >= self.seed.customers
            || Self::seeded_billnumber(merchant, index, card) != billnumber
        {
            return None;
        }
        self.seeded_initial_of(merchant, index, card)
    }

    /// The amount of customer `index`'s seeded initial orders: 5–24 in the merchant currency.
    pub fn seeded_initial_amount(merchant: &MerchantAccount, index: usize) -> i64 {
        (5 + (index % 20) as i64) * crate::assist::rules::scale(merchant.currency)
    }

    /// The seeded cards with an initial order, in customer then card order, as
    /// `GET /__sandbox/initials` lists them: the `limit` from position `offset`. Only the page's
    /// customers are generated; `seeded` tells how many initials the others have.
    pub fn initials_page(
        &self,
        merchant: &MerchantAccount,
        seeded: &SeededInitials,
        offset: usize,
        limit: usize,
    ) -> Vec<Initial> {
        let mut page = Vec::new();
        if limit == 0 || offset >= seeded.total {
            return page;
        }
        let mut position = 0;
        for index in 0..self.seed.customers {
            let count = seeded.of(index);
            if count == 0 || position + count <= offset {
                position += count;
                continue;
            }
            let customer = self.customer(merchant, index);
            for (card, demo) in customer.cards.iter().enumerate() {
                if !demo.has_initial {
                    continue;
                }
                position += 1;
                if position <= offset {
                    continue;
                }
                let billnumber = Self::seeded_billnumber(merchant, index, card);
                // A changed initial order lives in `orders`; its amount is the seeded one.
                let amount_minor = match self.order_index(&billnumber) {
                    Some(i) => self.orders[i].amount_minor,
                    None => Self::seeded_initial_amount(merchant, index),
                };
                page.push(Initial {
                    token: Self::token(merchant, index, card),
                    initial_ref: billnumber,
                    amount_minor,
                    currency: merchant.currency.code().to_string(),
                    customer: Self::customer_number(merchant, index),
                    kind: if super::rules::one_click_initial(index, card) {
                        "one_click"
                    } else {
                        "recurring"
                    },
                });
                if page.len() == limit {
                    return page;
                }
            }
        }
        page
    }

    fn seeded_initial_by_number(
        &self,
        merchant: &MerchantAccount,
        ordernumber: &str,
    ) -> Option<Order> {
        let rest = ordernumber.strip_prefix("INIT-")?;
        let (number, card) = rest.rsplit_once('-')?;
        let index = self.customer_index(merchant, number)?;
        let card: usize = card.parse::<usize>().ok()?.checked_sub(1)?;
        (Self::seeded_ordernumber(merchant, index, card) == ordernumber)
            .then(|| self.seeded_initial_of(merchant, index, card))
            .flatten()
    }

    fn seeded_initial_of(
        &self,
        merchant: &MerchantAccount,
        index: usize,
        card: usize,
    ) -> Option<Order> {
        let customer = self.customer(merchant, index);
        let demo = customer.cards.get(card)?;
        if !demo.has_initial {
            return None;
        }
        let summary = Self::card_summary(merchant, &customer, card)?;
        // Initial payments 35–94 days back, so the first monthly MIT is already due.
        let days_back = 35 + (index % 60) as i64;
        let at = (self.seed.today - Duration::days(days_back))
            .and_time(NaiveTime::from_hms_opt(9, 30, 0).unwrap_or_default())
            .and_utc();
        let amount_minor = Self::seeded_initial_amount(merchant, index);
        let billnumber = Self::seeded_billnumber(merchant, index, card);
        // An order is One Click (it carried CustomerNumber) or recurring (RecurringIndicator=1
        // and the limits), never both (assist.md §3.2).
        let one_click = super::rules::one_click_initial(index, card);
        Some(Order {
            merchant_id: merchant.merchant_id.clone(),
            ordernumber: Self::seeded_ordernumber(merchant, index, card),
            amount_minor,
            currency: merchant.currency,
            state: OrderState::Approved,
            created_at: at,
            comment: if one_click {
                "Initial One Click payment (CustomerNumber, no recurring terms)".into()
            } else {
                "Initial payment registered as recurring (RecurringIndicator=1)".into()
            },
            card: summary,
            source: OrderSource::InitialPage,
            recurring: (!one_click).then(|| seeded_terms(merchant.currency, self.seed.today)),
            operations: vec![Operation {
                number: 1,
                operation_type: 100,
                state: "Success".into(),
                amount_minor,
                responsecode: "AS000".into(),
                at,
                order_state_before: None,
            }],
            refunded_minor: 0,
            refund_ids: Vec::new(),
            lookups_left: 0,
            pending_code: None,
            pending_fields: None,
            merchant_advice_code: None,
            error_category: None,
            billnumber,
        })
    }
}

/// The seed's customer `index` of `merchant`, with the Assist-only test cards.
fn assist_customer(seed: &Seed, merchant: &MerchantAccount, index: usize) -> DemoCustomer {
    super::rules::with_test_card(
        seed::customer(seed, &merchant.seed_key(), index),
        seed.today,
    )
}

/// One seeded card with an initial order, as `GET /__sandbox/initials` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Initial {
    /// The token, as the One Click token listing returns it.
    pub token: String,
    /// The initial order's billnumber: rp.cfm's `BillNumber`.
    pub initial_ref: String,
    pub amount_minor: i64,
    /// ISO 4217.
    pub currency: String,
    /// The card owner's `CustomerNumber`.
    pub customer: String,
    /// What the initial order registered: `recurring` (RecurringIndicator=1; rp.cfm charges
    /// against it) or `one_click` (a One Click payment; rp.cfm refuses it).
    pub kind: &'static str,
}

/// How many cards with an initial each seeded customer of one merchant has: what the initials
/// listing pages over without generating every customer on every call. Derived from the seed
/// alone, so it is built once per (seed, merchant) and never part of the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SeededInitials {
    seed: Seed,
    per_customer: Vec<u8>,
    pub total: usize,
}

impl SeededInitials {
    pub fn build(seed: &Seed, merchant: &MerchantAccount) -> SeededInitials {
        let per_customer: Vec<u8> = (0..seed.customers)
            .map(|i| {
                let customer = assist_customer(seed, merchant, i);
                customer.cards.iter().filter(|c| c.has_initial).count() as u8
            })
            .collect();
        let total = per_customer.iter().map(|&n| usize::from(n)).sum();
        SeededInitials {
            seed: seed.clone(),
            per_customer,
            total,
        }
    }

    /// Whether this was built for `seed`.
    pub fn fits(&self, seed: &Seed) -> bool {
        self.seed == *seed
    }

    fn of(&self, index: usize) -> usize {
        self.per_customer.get(index).copied().map_or(0, usize::from)
    }
}

/// Recurring terms of every seeded initial order: 1.00 to 500.00 (50,000.00 for RUB), every 30
/// days, for two years from the seed's today.
pub(crate) fn seeded_terms(currency: Currency, today: NaiveDate) -> RecurringTerms {
    let scale = crate::assist::rules::scale(currency);
    let max_major = if currency == Currency::RUB {
        50_000
    } else {
        500
    };
    RecurringTerms {
        min_minor: scale,
        max_minor: max_major * scale,
        period_days: 30,
        max_date: today + Duration::days(730),
    }
}

fn check_hash(merchant: &MerchantAccount, index: usize, card: usize) -> u64 {
    format!(
        "{}/{}/{}/{}",
        merchant.merchant_id, merchant.slot, index, card
    )
    .bytes()
    .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(customers: usize) -> AssistState {
        AssistState::new(&Seed::demo(
            customers,
            NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        ))
    }

    #[test]
    fn a_lagging_orderresult_sees_an_order_as_it_stood_at_the_horizon() {
        let s = state(20);
        let m = s.merchants[0].clone();
        let mut order = (0..20).find_map(|i| s.seeded_initial_of(&m, i, 0)).unwrap();
        let t0 = order.created_at;
        let (t1, t2) = (t0 + Duration::minutes(1), t0 + Duration::minutes(2));
        let op = |number, operation_type, amount_minor, at, before| Operation {
            number,
            operation_type,
            state: "Success".into(),
            amount_minor,
            responsecode: "AS000".into(),
            at,
            order_state_before: before,
        };
        let amount = order.amount_minor;
        order.operations = vec![
            op(1, 100, amount, t0, None),
            op(2, 200, amount, t1, Some(OrderState::Delayed)),
            op(3, 300, 100, t2, Some(OrderState::Approved)),
        ];
        (order.state, order.refunded_minor) = (OrderState::PartialCanceled, 100);
        let at = |t: DateTime<Utc>| {
            crate::Faults::new(crate::FaultConfig {
                lookup_lag_secs: 10,
                ..crate::FaultConfig::default()
            })
            .horizon(t + Duration::seconds(10))
        };
        assert!(order.as_seen(at(t0 - Duration::seconds(1))).is_none());
        let held = order.as_seen(at(t0)).unwrap();
        assert_eq!(
            (held.state, held.operations.len()),
            (OrderState::Delayed, 1),
            "before its confirmation the order was only held"
        );
        let confirmed = order.as_seen(at(t1)).unwrap();
        assert_eq!(
            (confirmed.state, confirmed.refunded_minor),
            (OrderState::Approved, 0),
            "the cancel made after the horizon is not shown"
        );
        assert!(matches!(order.as_seen(at(t2)), Some(Cow::Borrowed(_))));
    }

    #[test]
    fn seeded_references_resolve_and_made_up_ones_do_not() {
        let s = state(50);
        let m = s.merchants[0].clone();
        assert_eq!(AssistState::customer_number(&m, 41), "BY-000042");
        assert_eq!(s.customer_index(&m, "BY-000042"), Some(41));
        assert_eq!(s.customer_index(&m, "BY-000051"), None, "beyond the seed");
        assert_eq!(
            s.customer_index(&m, "RU-000042"),
            None,
            "another merchant's"
        );
        let token = AssistState::token(&m, 41, 0);
        assert_eq!(token.len(), 36, "UUID-shaped: {token}");
        assert_eq!(s.token_position(&m, &token), Some((41, 0)));
        let forged = format!("0{}", &token[1..]);
        assert_ne!(forged, token);
        assert_eq!(
            s.token_position(&m, &forged),
            None,
            "check hash refuses a forged token"
        );
        assert_eq!(s.token_position(&s.merchants[1], &token), None);
        let bill = AssistState::seeded_billnumber(&m, 41, 0);
        assert_eq!(bill.len(), 16);
        let has_initial = s.customer(&m, 41).cards[0].has_initial;
        assert_eq!(s.seeded_initial(&m, &bill).is_some(), has_initial);
    }

    #[test]
    fn runtime_billnumbers_are_16_digits_and_never_seeded_ones() {
        let mut s = state(1);
        let b = s.new_billnumber(2);
        assert_eq!(b, "7200000000000001");
        assert!(s.seeded_initial(&s.merchants[1].clone(), &b).is_none());
    }
}
