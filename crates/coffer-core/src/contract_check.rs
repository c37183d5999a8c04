//! Checking a contract's terms against the provider's rules before it is saved or changed, and
//! what a charge under it waits for. Above both the contract types and each provider's rules
//! (`providers/`), which read those types.

use crate::card::Card;
use crate::contract::{AmountRule, Contract, NewContractTerms, TermsWait};
use crate::error::InvalidInput;
use crate::merchant::ProviderKind;
use crate::money::{Currency, Money};

impl Contract {
    /// The most the provider lets one charge of this contract take without a new initial
    /// transaction, and the provider's name for that cap: Svea never charges a token above its
    /// original payment amount, Assist stays within the `RecurringMaxAmount` registered on the
    /// initial order. `None` where the provider registers no cap.
    pub fn registered_cap(&self, provider: ProviderKind) -> Option<(Money, &'static str)> {
        crate::providers::rules(provider).registered_cap_of(self)
    }

    /// What a charge of `amount` under this contract waits for, if anything: a new initial
    /// transaction when it is above the provider's registered cap (new consent is not enough
    /// there), else new consent when it is above what the cardholder consented to.
    pub fn terms_wait(&self, provider: ProviderKind, amount: Money) -> Option<TermsWait> {
        if let Some((cap, name)) = self.registered_cap(provider) {
            if cap.currency == amount.currency && amount.minor > cap.minor {
                return Some(TermsWait::NewInitial { cap, name });
            }
        }
        let consented = self.consented_up_to();
        (consented.currency == amount.currency && amount.minor > consented.minor)
            .then_some(TermsWait::NewConsent { consented })
    }
}

/// The longest `RecurringPeriod` Assist accepts: the field is three digits.
pub const ASSIST_MAX_PERIOD_DAYS: u32 = crate::providers::assist::MAX_PERIOD_DAYS;

/// Checks a new contract before it is saved, and returns every problem at once so the contract
/// editor can mark all fields in one pass.
///
/// Beyond the shape of the amounts and dates, it applies what the provider will enforce later on
/// every charge, because a contract that cannot be charged should not be agreed with a
/// cardholder: Svea charges at most once a calendar month and never above the original amount
/// (and only in EUR); Assist needs `RecurringMinAmount`, `RecurringMaxAmount`, a period in days of
/// at most three digits and a `RecurringMaxDate`.
pub fn validate_contract(
    terms: &NewContractTerms,
    provider: ProviderKind,
    card: &Card,
    merchant_currency: Currency,
) -> Result<(), Vec<InvalidInput>> {
    validate_terms(terms, provider, card, merchant_currency, true)
}

/// Checks the new terms of an existing contract like [`validate_contract`], but lets the amount
/// rise above what the card's initial transaction registered (Svea's original amount): such a
/// change is agreed with the cardholder, and the policy rule `terms_consented` holds every charge
/// above the cap until a new initial transaction is made.
pub fn validate_contract_change(
    terms: &NewContractTerms,
    provider: ProviderKind,
    card: &Card,
    merchant_currency: Currency,
) -> Result<(), Vec<InvalidInput>> {
    validate_terms(terms, provider, card, merchant_currency, false)
}

/// The Assist `RecurringMaxAmount` a new contract's charges are held to: what the card's
/// initial registered where known, else the contract's maximum; `None` for providers that
/// register no such cap.
pub fn registered_max_of(
    provider: ProviderKind,
    amount: &AmountRule,
    card: &Card,
) -> Option<Money> {
    matches!(
        crate::providers::rules(provider).registered_cap,
        Some(crate::providers::RegisteredCap::RegisteredMax { .. })
    )
    .then(|| {
        // An imported card's initial says what it registered; Coffer's own contracts register
        // their maximum.
        card.initial
            .as_ref()
            .and_then(|i| i.registered.as_ref())
            .and_then(|r| r.max_amount)
            .unwrap_or(amount.bounds().1)
    })
}

fn validate_terms(
    terms: &NewContractTerms,
    provider: ProviderKind,
    card: &Card,
    merchant_currency: Currency,
    new: bool,
) -> Result<(), Vec<InvalidInput>> {
    let mut problems = Vec::new();
    if let Err(e) = terms.amount.validate() {
        problems.push(e);
    }
    if let Err(e) = terms.frequency.validate() {
        problems.push(e);
    }
    let currency = terms.amount.currency();
    if currency != merchant_currency {
        problems.push(InvalidInput::new(
            "amount",
            format!("is in {currency} but the merchant account charges in {merchant_currency}"),
        ));
    }
    if let Some(end) = terms.end {
        if end < terms.start {
            problems.push(InvalidInput::new(
                "end",
                format!("{end} is before the start date {}", terms.start),
            ));
        }
    }
    if card.id != terms.card_id {
        problems.push(InvalidInput::new(
            "card_id",
            format!(
                "the terms name card {} but card {} was given",
                terms.card_id, card.id
            ),
        ));
    }
    if card.merchant_id != terms.merchant_id {
        problems.push(InvalidInput::new(
            "card_id",
            format!(
                "card ending {} is stored under merchant account {}, not {}",
                card.last4.as_str(),
                card.merchant_id,
                terms.merchant_id
            ),
        ));
    }
    if let Some(why) = card.usage.refusal(&card.label()) {
        problems.push(InvalidInput::new("card_id", why));
    }
    if !card.active {
        problems.push(InvalidInput::new(
            "card_id",
            format!("card ending {} is no longer active", card.last4.as_str()),
        ));
    }
    if card.expiry.is_expired_on(terms.start) {
        problems.push(InvalidInput::new(
            "card_id",
            format!(
                "card ending {} expires {}, before the contract starts on {}",
                card.last4.as_str(),
                card.expiry,
                terms.start
            ),
        ));
    }
    if card.consent.is_none() {
        problems.push(InvalidInput::new(
            "consent",
            format!(
                "card ending {} has no recorded consent to merchant-initiated charges",
                card.last4.as_str()
            ),
        ));
    }
    if card.initial.is_none() {
        problems.push(InvalidInput::new(
            "initial_transaction",
            format!(
                "card ending {} has no initial cardholder-initiated transaction to link charges to",
                card.last4.as_str()
            ),
        ));
    }
    if let Some(why) = card.reenroll_reason() {
        problems.push(InvalidInput::new("initial_transaction", why));
    }
    let original = terms.effective_original_amount(card);
    if let Some(original) = original {
        if original.currency != currency {
            problems.push(InvalidInput::new(
                "original_amount",
                format!("{original} is not in the contract's currency {currency}"),
            ));
        }
    }
    problems.extend((crate::providers::rules(provider).check_terms)(
        &crate::providers::TermsCheck {
            terms,
            original,
            currency,
            new,
            registered: card.initial.as_ref().and_then(|i| i.registered.as_ref()),
        },
    ));
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}
