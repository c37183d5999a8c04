//! Assist's rules as pure functions: field formats and the web-service error pair each breaks
//! (assist.md §4.3), the test-card and test-amount outcomes, the recurring limits of the initial
//! order (§3.3), refund bounds (§2.5) and the duplicate-OrderNumber rule (§4.4).

use chrono::{DateTime, NaiveDate, Utc};
use coffer_core::{Currency, Money};

use crate::seed::{CardBehaviour, DemoCard, DemoCustomer};

use super::order::{OrderState, RecurringTerms};
use super::wire::WsError;

// firstcode values (assist.md §4.3).
pub(crate) const MISSING: u16 = 3;
pub(crate) const FORMAT: u16 = 4;
pub(crate) const INVALID: u16 = 5;
pub(crate) const AUTHENTICATION: u16 = 7;
pub(crate) const MISSING_OBJECT: u16 = 10;
pub(crate) const DUPLICATE: u16 = 11;
pub(crate) const PROHIBITED: u16 = 15;
pub(crate) const TIMED_OUT: u16 = 16;

// secondcode subjects.
pub(crate) const MERCHANT_ID: u16 = 100;
pub(crate) const LOGIN_PASSWORD: u16 = 141;
pub(crate) const FORMAT_FIELD: u16 = 103;
pub(crate) const CURRENCY: u16 = 105;
pub(crate) const ORDERNUMBER: u16 = 107;
pub(crate) const AMOUNT: u16 = 108;
pub(crate) const DELAY: u16 = 109;
pub(crate) const START_DATE: u16 = 129;
pub(crate) const END_DATE: u16 = 130;
pub(crate) const BILLNUMBER: u16 = 143;
pub(crate) const ORDER: u16 = 201;
pub(crate) const REFUND: u16 = 301;
pub(crate) const CONFIRMATION: u16 = 302;
pub(crate) const PAYMENT: u16 = 306;
pub(crate) const CANCEL: u16 = 308;
pub(crate) const RECURRING: u16 = 320;

/// 10^exponent of a currency.
pub(crate) fn scale(currency: Currency) -> i64 {
    10_i64.pow(currency.exponent())
}

/// An amount as Assist takes it: up to 13 integer digits, at most two decimals, `.` only
/// (`^\d{1,13}(\.\d{1,2})?$`); zero is not an amount to charge.
pub(crate) fn parse_amount(text: &str, currency: Currency) -> Result<i64, WsError> {
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (text, None),
    };
    let digits = |s: &str, max: usize| {
        !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
    };
    let well_formed = digits(whole, 13) && fraction.is_none_or(|f| digits(f, 2));
    if !well_formed {
        return Err(WsError::new(FORMAT, AMOUNT));
    }
    let money = Money::parse(text, currency).map_err(|_| WsError::new(INVALID, AMOUNT))?;
    if money.minor <= 0 {
        return Err(WsError::new(INVALID, AMOUNT));
    }
    Ok(money.minor)
}

/// Formats minor units the way Assist answers: two decimals, `.`.
pub(crate) fn format_amount(minor: i64, currency: Currency) -> String {
    Money::from_minor(minor, currency).to_decimal('.')
}

/// ISO alpha-3 (4/105 when not three letters, 5/105 when not a currency).
pub(crate) fn parse_currency(text: &str) -> Result<Currency, WsError> {
    if text.len() != 3 || !text.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(WsError::new(FORMAT, CURRENCY));
    }
    Currency::from_code(text).map_err(|_| WsError::new(INVALID, CURRENCY))
}

/// OrderNumber: at most 128 characters.
pub(crate) fn check_ordernumber(text: &str) -> Result<(), WsError> {
    if text.chars().count() > 128 {
        Err(WsError::new(FORMAT, ORDERNUMBER))
    } else {
        Ok(())
    }
}

/// A billnumber of 15–16 digits, or its extended `<billnumber>.<n>` form naming one operation.
pub(crate) fn parse_billnumber(text: &str) -> Result<(String, Option<u32>), WsError> {
    let bad = || WsError::new(FORMAT, BILLNUMBER);
    let (base, operation) = match text.split_once('.') {
        Some((b, n)) => (b, Some(n.parse::<u32>().map_err(|_| bad())?)),
        None => (text, None),
    };
    if !(15..=16).contains(&base.len()) || !base.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    Ok((base.to_string(), operation))
}

/// The responsecode a shared test card (`seed::behaviour_of_last4`) answers with; `None`
/// approves. Timeout and response-lost are transport behaviours handled by the route, not codes.
/// The codes are Assist's own (assist.md §4.1, the AS list of docs.belassist.by); which code each
/// card gets is a sandbox choice: insufficient funds (AS102, soft) for the soft card, fraud
/// suspicion (AS108, hard: never retried automatically) for the "do not honor / stolen" card,
/// and the expiry code (AS104, hard) for the expired one.
pub(crate) fn card_code(behaviour: CardBehaviour) -> Option<&'static str> {
    match behaviour {
        CardBehaviour::SoftDecline => Some("AS102"),
        CardBehaviour::HardDecline => Some("AS108"),
        CardBehaviour::Expired => Some("AS104"),
        CardBehaviour::Approve | CardBehaviour::Timeout | CardBehaviour::ResponseLost => None,
    }
}

/// A test card only the Assist sandbox knows, by its last four digits: what Token Pay and rp.cfm
/// answer for it. The last four digits are all below 1000, which the seed never draws for an
/// ordinary card (`seed::customer` draws 1000–9999) and no shared test card uses (0341, 0002,
/// 0069, 0077, 0019).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TestCard {
    pub last4: &'static str,
    /// The customer's name, so a person sees what the card does.
    pub name: &'static str,
    /// The `responsecode` of the `Declined` order.
    pub code: &'static str,
    /// The order's `merchantadvicecode`: the scheme's decline advice, which newer versions of
    /// Assist's orderresult page add to an order (eng.docs.belassist.by, orderresult,
    /// pageId=116032578; shared/providers/assist.md §2.4 "Order fields"). The values are
    /// Mastercard's merchant advice codes: 03 "do not try again", 21 "payment cancellation"
    /// (the cardholder stopped the recurring payments).
    pub merchant_advice_code: Option<&'static str>,
    /// The order's `errorcategory`: "the category of responses to unsuccessful payments,
    /// received from VISA" (the same orderresult page), so set on Visa test cards only. The
    /// values are Visa's decline categories: 1 the issuer will never approve, 2 cannot approve
    /// at this time, 3 data quality, 4 generic. Which card gets which is a sandbox choice.
    pub error_category: Option<&'static str>,
}

/// Assist-only test cards. Sandbox choices, not Assist's: Assist publishes no test cards for
/// these answers; the codes are its real ones (AS100 "authorization declined", soft; AS108
/// "fraud suspicion", hard) and the advice codes Mastercard's.
pub(crate) const TEST_CARDS: [TestCard; 5] = [
    TestCard {
        last4: "0100",
        name: "Test Declined-AS100",
        code: "AS100",
        merchant_advice_code: None,
        // Visa category 4: a generic decline (05 do not honor), retried within Visa's limits.
        error_category: Some("4"),
    },
    TestCard {
        last4: "0108",
        name: "Test Fraud-AS108",
        code: "AS108",
        merchant_advice_code: None,
        // Visa's 59 (suspected fraud) is category 2; AS108 stays hard in Coffer's table.
        error_category: Some("2"),
    },
    TestCard {
        last4: "0121",
        name: "Test Stop-Payment",
        code: "AS100",
        merchant_advice_code: Some("21"),
        error_category: None,
    },
    TestCard {
        last4: "0103",
        name: "Test Do-Not-Retry",
        code: "AS100",
        merchant_advice_code: Some("03"),
        error_category: None,
    },
    TestCard {
        last4: "0141",
        name: "Test Never-Approve",
        code: "AS100",
        merchant_advice_code: None,
        // Visa category 1: the issuer will never approve this card; never retried.
        error_category: Some("1"),
    },
];

/// The seeded customer index that carries the first of [`TEST_CARDS`] (`BY-000011`,
/// `RU-000011`, then one customer per card). Past the shared test customers (0–4) and the
/// ordinary customers the tests pick first (5–9).
pub(crate) const FIRST_TEST_CARD_CUSTOMER: usize = 10;

/// The Assist-only test card with these last four digits.
pub(crate) fn test_card(last4: &str) -> Option<&'static TestCard> {
    TEST_CARDS.iter().find(|card| card.last4 == last4)
}

/// The seeded customer at `index` as the Assist sandbox shows it: the seed's, except that the
/// customers from [`FIRST_TEST_CARD_CUSTOMER`] carry one of [`TEST_CARDS`] each (a Mastercard
/// for the advice-code cards, since merchant advice codes are Mastercard's), valid for two years
/// from the seed's today and with an initial order, as the shared test customers have.
pub(crate) fn with_test_card(mut customer: DemoCustomer, today: NaiveDate) -> DemoCustomer {
    use chrono::Datelike;
    let Some(card) = customer
        .index
        .checked_sub(FIRST_TEST_CARD_CUSTOMER)
        .and_then(|n| TEST_CARDS.get(n))
    else {
        return customer;
    };
    let (brand, bin, bank) = if card.merchant_advice_code.is_some() {
        ("MC", "522598", "Belarusbank")
    } else {
        ("VISA", "457173", "Nordea Bank")
    };
    customer.name = card.name.to_string();
    customer.cards = vec![DemoCard {
        brand,
        bin: bin.to_string(),
        last4: card.last4.to_string(),
        bank,
        exp_month: today.month(),
        exp_year: today.year() + 2,
        has_initial: true,
        behaviour: CardBehaviour::Approve,
    }];
    customer
}

/// Test amounts: 999.NN in any currency answers the §4.1 code NN names (999.02 → AS102,
/// 999.30 → In Process/AS300, …). Other amounts are left to the card.
pub(crate) fn amount_code(minor: i64, currency: Currency) -> Option<&'static str> {
    let s = scale(currency);
    if s != 100 || minor / s != 999 {
        return None;
    }
    Some(match minor % s {
        0 => "AS100",
        1 => "AS101",
        2 => "AS102",
        4 => "AS104",
        5 => "AS105",
        7 => "AS107",
        8 => "AS108",
        9 => "AS109",
        10 => "AS110",
        20 => "AS200",
        30 => "AS300",
        98 => "AS998",
        _ => return None,
    })
}

/// Seeded cards whose One Click settings ask for the CVC again: the first card of every 25th
/// customer (never one of the five test-behaviour customers).
pub(crate) fn needs_cvc(customer_index: usize, card: usize) -> bool {
    customer_index % 25 == 24 && card == 0
}

/// Seeded cards whose initial order is a One Click payment (made with `CustomerNumber`, so
/// without the recurring parameters, which Assist's One Click page says must not be sent with
/// it): the first card of every 25th customer from the 17th (`BY-000017`, `BY-000042`, …),
/// never a test-behaviour or test-card customer; in the demo seed the 17th's first card has an
/// initial for both merchants, so a 20-customer demo shows one. rp.cfm refuses such an initial (15/320), so
/// the demo shows a card Coffer flags "re-enroll". A sandbox choice.
pub(crate) fn one_click_initial(customer_index: usize, card: usize) -> bool {
    customer_index % 25 == 16 && card == 0
}

/// The message Assist gives with a responsecode (assist.md §4.1).
pub(crate) fn code_message(code: &str) -> &'static str {
    match code {
        "AS000" => "Completed successfully",
        "AS100" => "Authorization declined",
        "AS101" => "Wrong card parameters",
        "AS102" => "Insufficient funds",
        "AS104" => "Wrong card expiration date",
        "AS105" => "Card limit exceeded",
        "AS107" => "Error receiving data",
        "AS108" => "Fraud suspicion",
        "AS109" => "Operation limit exceeded",
        "AS110" => "3-D Secure authentication required",
        "AS200" => "Repeat the authorization",
        "AS300" => "Operation in progress, wait",
        "AS400" => "No payment with such parameters",
        _ => "System error",
    }
}

/// The order state a payment's responsecode leaves.
pub(crate) fn state_after(code: &str, delay: bool) -> OrderState {
    match code {
        "AS000" if delay => OrderState::Delayed,
        "AS000" => OrderState::Approved,
        "AS300" => OrderState::InProcess,
        _ => OrderState::Declined,
    }
}

/// Whether a card is past its expiry at `today`.
pub(crate) fn expired(exp_year: i32, exp_month: u32, today: NaiveDate) -> bool {
    use chrono::Datelike;
    (exp_year, exp_month) < (today.year(), today.month())
}

/// Why an rp.cfm charge breaks the initial order's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecurringBreach {
    /// Amount outside RecurringMinAmount…RecurringMaxAmount.
    Amount,
    /// Currency other than the initial order's.
    Currency,
    /// Sooner than RecurringPeriod days after the previous charge of the series.
    TooSoon,
    /// After RecurringMaxDate.
    Ended,
}

impl RecurringBreach {
    /// The web-service pair, when violations are answered as errors.
    pub fn error(self) -> WsError {
        match self {
            RecurringBreach::Amount => WsError::new(INVALID, AMOUNT),
            RecurringBreach::Currency => WsError::new(INVALID, CURRENCY),
            RecurringBreach::TooSoon | RecurringBreach::Ended => {
                WsError::new(PROHIBITED, RECURRING)
            }
        }
    }
}

/// Which recurring limits to enforce beyond the documented amount and currency.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RecurringChecks {
    pub period: bool,
    pub max_date: bool,
}

/// Checks a recurring charge against the initial order's terms. `previous` is the last charge
/// of the series (the initial order or the latest approved rp.cfm charge).
pub(crate) fn check_recurring(
    terms: &RecurringTerms,
    initial_currency: Currency,
    amount_minor: i64,
    currency: Currency,
    previous: DateTime<Utc>,
    now: DateTime<Utc>,
    checks: RecurringChecks,
) -> Result<(), RecurringBreach> {
    if currency != initial_currency {
        return Err(RecurringBreach::Currency);
    }
    if amount_minor < terms.min_minor || amount_minor > terms.max_minor {
        return Err(RecurringBreach::Amount);
    }
    if checks.max_date && now.date_naive() > terms.max_date {
        return Err(RecurringBreach::Ended);
    }
    if checks.period && (now - previous).num_days() < i64::from(terms.period_days) {
        return Err(RecurringBreach::TooSoon);
    }
    Ok(())
}

/// The amount a cancel returns: the whole remainder when no amount is given, else the amount,
/// which must fit in what is left (5/108 otherwise).
pub(crate) fn refund_amount(
    order_minor: i64,
    refunded_minor: i64,
    requested: Option<i64>,
) -> Result<i64, WsError> {
    let left = order_minor - refunded_minor;
    match requested {
        None if left > 0 => Ok(left),
        None => Err(WsError::new(PROHIBITED, CANCEL)),
        Some(amount) if amount <= left => Ok(amount),
        Some(_) => Err(WsError::new(INVALID, AMOUNT)),
    }
}

/// Whether an OrderNumber may be used for a new attempt: always after failed attempts;
/// after one that took money only when the duplicate rule is switched off.
pub(crate) fn may_reuse_ordernumber(
    previous: &[OrderState],
    refuse_duplicates: bool,
) -> Result<(), WsError> {
    if refuse_duplicates && previous.iter().any(|s| s.took_money()) {
        Err(WsError::new(DUPLICATE, ORDERNUMBER))
    } else {
        Ok(())
    }
}

/// Externalrefundid: 10–100 of `[A-Za-z0-9_-]`.
pub(crate) fn check_refund_id(text: &str) -> Result<(), WsError> {
    let ok = (10..=100).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(WsError::new(FORMAT, REFUND))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn amounts_follow_the_documented_pattern() {
        assert_eq!(parse_amount("10.34", Currency::BYN), Ok(1034));
        assert_eq!(parse_amount("29", Currency::BYN), Ok(2900));
        assert_eq!(parse_amount("4.9", Currency::RUB), Ok(490));
        assert_eq!(
            parse_amount("10,34", Currency::BYN),
            Err(WsError::new(4, 108)),
            "comma refused"
        );
        assert_eq!(
            parse_amount("1.234", Currency::BYN),
            Err(WsError::new(4, 108))
        );
        assert_eq!(
            parse_amount("12345678901234", Currency::BYN),
            Err(WsError::new(4, 108)),
            "14 digits"
        );
        assert_eq!(
            parse_amount("0.00", Currency::BYN),
            Err(WsError::new(5, 108))
        );
        assert_eq!(parse_amount("-1", Currency::BYN), Err(WsError::new(4, 108)));
    }

    #[test]
    fn currencies_and_billnumbers_are_checked() {
        assert_eq!(parse_currency("BYN"), Ok(Currency::BYN));
        assert_eq!(parse_currency("BY"), Err(WsError::new(4, 105)));
        assert_eq!(parse_currency("XXX"), Err(WsError::new(5, 105)));
        assert_eq!(
            parse_billnumber("7123400000098765"),
            Ok(("7123400000098765".into(), None))
        );
        assert_eq!(
            parse_billnumber("7123400000098765.2"),
            Ok(("7123400000098765".into(), Some(2)))
        );
        assert_eq!(parse_billnumber("51234"), Err(WsError::new(4, 143)));
    }

    #[test]
    fn recurring_terms_bound_amount_currency_period_and_end() {
        let terms = RecurringTerms {
            min_minor: 100,
            max_minor: 50_000,
            period_days: 30,
            max_date: NaiveDate::from_ymd_opt(2027, 1, 31).unwrap(),
        };
        let checks = RecurringChecks {
            period: true,
            max_date: true,
        };
        let prev = Utc.with_ymd_and_hms(2026, 10, 1, 9, 0, 0).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
        let check = |amount, currency, now| {
            check_recurring(&terms, Currency::BYN, amount, currency, prev, now, checks)
        };
        assert_eq!(check(2_990, Currency::BYN, now), Ok(()));
        assert_eq!(
            check(50_001, Currency::BYN, now),
            Err(RecurringBreach::Amount)
        );
        assert_eq!(check(99, Currency::BYN, now), Err(RecurringBreach::Amount));
        assert_eq!(
            check(2_990, Currency::RUB, now),
            Err(RecurringBreach::Currency)
        );
        let early = Utc.with_ymd_and_hms(2026, 10, 20, 9, 0, 0).unwrap();
        assert_eq!(
            check(2_990, Currency::BYN, early),
            Err(RecurringBreach::TooSoon)
        );
        let late = Utc.with_ymd_and_hms(2027, 2, 1, 9, 0, 0).unwrap();
        assert_eq!(
            check(2_990, Currency::BYN, late),
            Err(RecurringBreach::Ended)
        );
        let lax = RecurringChecks {
            period: false,
            max_date: false,
        };
        assert_eq!(
            check_recurring(&terms, Currency::BYN, 2_990, Currency::BYN, prev, late, lax),
            Ok(())
        );
    }

    #[test]
    fn refunds_never_exceed_what_is_left() {
        assert_eq!(refund_amount(2_590, 0, None), Ok(2_590));
        assert_eq!(refund_amount(2_590, 1_000, Some(1_590)), Ok(1_590));
        assert_eq!(
            refund_amount(2_590, 1_000, Some(1_591)),
            Err(WsError::new(5, 108))
        );
        assert_eq!(
            refund_amount(2_590, 2_590, None),
            Err(WsError::new(15, 308))
        );
    }

    #[test]
    fn test_amounts_and_cards_pick_codes() {
        assert_eq!(amount_code(99_902, Currency::BYN), Some("AS102"));
        assert_eq!(amount_code(99_930, Currency::RUB), Some("AS300"));
        assert_eq!(amount_code(2_590, Currency::BYN), None);
        assert_eq!(card_code(CardBehaviour::HardDecline), Some("AS108"));
        assert_eq!(state_after("AS000", true), OrderState::Delayed);
        assert_eq!(state_after("AS102", false), OrderState::Declined);
    }

    #[test]
    fn assist_test_cards_use_last_digits_no_other_card_can_have() {
        for card in TEST_CARDS {
            assert_eq!(
                crate::seed::behaviour_of_last4(card.last4),
                CardBehaviour::Approve,
                "{}: a shared test card already uses these digits",
                card.last4
            );
            assert!(
                card.last4 < "1000",
                "{}: the seed draws 1000–9999 for ordinary cards",
                card.last4
            );
            assert_eq!(test_card(card.last4), Some(&card));
        }
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default();
        let seed = crate::seed::Seed::demo(20, today);
        let stop = with_test_card(crate::seed::customer(&seed, "assist/1", 12), today);
        assert_eq!(stop.cards.len(), 1, "one test card per test customer");
        assert_eq!(stop.cards[0].last4, "0121");
        assert_eq!(stop.cards[0].brand, "MC", "advice codes are Mastercard's");
        let ordinary = crate::seed::customer(&seed, "assist/1", 9);
        assert_eq!(
            with_test_card(ordinary.clone(), today),
            ordinary,
            "customers outside the test range are the seed's"
        );
    }

    #[test]
    fn an_ordernumber_is_reusable_only_after_failures() {
        assert_eq!(may_reuse_ordernumber(&[OrderState::Declined], true), Ok(()));
        assert_eq!(
            may_reuse_ordernumber(&[OrderState::Declined, OrderState::Approved], true),
            Err(WsError::new(11, 107))
        );
        assert_eq!(
            may_reuse_ordernumber(&[OrderState::Approved], false),
            Ok(())
        );
        assert!(check_refund_id("RF-0000000001").is_ok());
        assert!(check_refund_id("short").is_err());
    }
}
