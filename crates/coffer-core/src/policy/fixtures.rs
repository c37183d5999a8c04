//! A charge plan that passes every rule, for tests to break one thing at a time.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use crate::card::{
    Card, CardBrand, CardExpiry, CardUse, Consent, InitialKind, InitialTransaction, Last4,
    PaymentMethod,
};
use crate::charge::{
    AttemptKind, ChargePlan, ChargeState, ContractCharge, MerchantTerms, NoticeRecord, Trigger,
};
use crate::contract::{
    AmountRule, Contract, ContractStatus, Frequency, Occurrence, OccurrenceState,
};
use crate::ids::{CardId, ContractId, CustomerId, MerchantId};
use crate::merchant::ProviderKind;
use crate::money::{Currency, Money};
use crate::stored_credential::{Initiator, Reason, StoredCredential};

use super::history::PastAttempt;

/// 23 November 2026, 08:00 UTC (10:00 in Helsinki).
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap()
}

pub fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub fn eur(minor: i64) -> Money {
    Money::from_minor(minor, Currency::EUR)
}

/// A monthly contract charge of 10.00 EUR due today (occurrence 11 of a contract that started on
/// 23 January 2026), noticed five days ahead with a three-day lead, on an MIT-ready Visa card
/// whose initial transaction was 20.00 EUR.
pub fn plan(provider: ProviderKind) -> ChargePlan {
    let merchant = MerchantTerms {
        id: MerchantId(7),
        provider,
        time_zone: chrono_tz::Europe::Helsinki,
        currency: Currency::EUR,
        notice_lead_days: 3,
    };
    let card = Card {
        id: CardId(42),
        merchant_id: merchant.id,
        customer_id: CustomerId(3),
        token: "tok_visa_4242".into(),
        brand: CardBrand::Visa,
        last4: Last4::new("4242").unwrap(),
        bin: None,
        bank: None,
        expiry: CardExpiry::new(2029, 9).unwrap(),
        active: true,
        needs_cvc: false,
        consent: Some(Consent {
            given_at: utc(2026, 1, 20, 12, 0),
            terms: "Monthly membership, 10.00 EUR on the 23rd".into(),
        }),
        initial: Some(InitialTransaction {
            reference: "INIT-1".into(),
            amount: Some(eur(2000)),
            at: utc(2026, 1, 20, 12, 0),
            kind: InitialKind::Recurring,
            registered: None,
        }),
        art_url: None,
        method: PaymentMethod::Card,
        usage: CardUse::InUse,
    };
    let contract = Contract {
        id: ContractId(5),
        merchant_id: merchant.id,
        card_id: card.id,
        amount: AmountRule::Fixed { amount: eur(1000) },
        original_amount: Some(eur(2000)),
        frequency: Frequency::Monthly { day: 23 },
        start: day(2026, 1, 23),
        end: Some(day(2027, 12, 23)),
        status: ContractStatus::Active,
        terms_accepted_at: utc(2026, 1, 20, 12, 0),
        confirmation_sent_at: Some(utc(2026, 1, 20, 12, 5)),
        consented_max: Some(eur(1000)),
        registered_max: (provider == ProviderKind::Assist).then_some(eur(1000)),
    };
    let occurrence = Occurrence {
        contract_id: contract.id,
        number: 11,
        due: day(2026, 11, 23),
        amount: eur(1000),
        amount_set: false,
        notice_sent_at: Some(utc(2026, 11, 18, 9, 0)),
        state: OccurrenceState::Scheduled,
    };
    ChargePlan {
        merchant,
        card,
        amount: eur(1000),
        credential: StoredCredential::merchant_initiated(Reason::Recurring, "INIT-1".into()),
        charge_date: day(2026, 11, 23),
        trigger: Trigger::Scheduled,
        contract: Some(ContractCharge {
            contract,
            notice: Some(NoticeRecord {
                sent_at: utc(2026, 11, 18, 9, 0),
                amount: eur(1000),
                due: occurrence.due,
            }),
            occurrence,
        }),
        open_contracts: vec![ContractId(5)],
        buyer_address: Some(
            crate::customer::Address::new("Mannerheimintie 1", "00100", "Helsinki", "FI").unwrap(),
        ),
    }
}

/// The same card charged by hand, without a contract.
pub fn manual_plan(provider: ProviderKind) -> ChargePlan {
    let mut plan = plan(provider);
    plan.trigger = Trigger::Manual;
    plan.contract = None;
    plan.open_contracts = Vec::new();
    plan.credential = StoredCredential::merchant_initiated(Reason::Unscheduled, "INIT-1".into());
    plan
}

/// An earlier charge of the plan's card under the plan's merchant.
pub fn attempt(
    plan: &ChargePlan,
    at: DateTime<Utc>,
    state: ChargeState,
    initiator: Initiator,
) -> PastAttempt {
    PastAttempt {
        merchant_id: plan.merchant.id,
        card_id: plan.card.id,
        kind: AttemptKind::Charge,
        at,
        amount: plan.amount,
        state,
        initiator,
        reason: Reason::Recurring,
        occurrence: None,
        hard_decline: false,
        decline_code: None,
        merchant_advice_code: None,
    }
}

/// A soft decline ("05", do not honour) of the plan's card.
pub fn soft_decline(plan: &ChargePlan, at: DateTime<Utc>, initiator: Initiator) -> PastAttempt {
    PastAttempt {
        decline_code: Some("05".into()),
        ..attempt(plan, at, ChargeState::Declined, initiator)
    }
}

/// The rules of `violations`, for assertions.
pub fn rules_of(violations: &[super::Violation]) -> Vec<super::RuleId> {
    violations.iter().map(|v| v.rule).collect()
}
