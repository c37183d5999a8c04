//! Searching the cache: customers and cards, for one location or a group.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use coffer_core::charge::{ChargePlan, MerchantTerms, Trigger};
use coffer_core::policy::{self, History, RuleId, Violation};
use coffer_core::{
    Card, CardExpiry, CustomerId, Merchant, MerchantId, Money, PaymentMethod, Reason,
};
use coffer_store::repo::prelude::*;
use coffer_store::search::{CardQuery, CustomerQuery, CustomerRow, CustomerSort};
use serde::Deserialize;
use serde::Serialize;

use crate::error::EngineResult;
use crate::judging::{history_of, manual_flags};
use crate::Engine;

/// Days before the end of its expiry month a card counts as "expiring soon".
pub const EXPIRING_SOON_DAYS: i64 = 60;

/// A card as the CLI and the UI show it: display fields only, never a card number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CardView {
    /// Coffer id.
    pub id: i64,
    /// Merchant.
    pub merchant_id: i64,
    /// Customer.
    pub customer_id: i64,
    /// Provider.
    pub provider: String,
    /// The provider's token.
    pub token: String,
    /// Brand.
    pub brand: String,
    /// Last four digits.
    pub last4: String,
    /// BIN.
    pub bin: Option<String>,
    /// Issuing bank.
    pub bank: Option<String>,
    /// Expiry month.
    pub exp_month: u32,
    /// Expiry year.
    pub exp_year: i32,
    /// Usable at the provider.
    pub active: bool,
    /// Past its expiry month today.
    pub expired: bool,
    /// Expires within 60 days.
    pub expiring_soon: bool,
    /// When the cardholder consented to merchant-initiated charges.
    pub consent_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The consent text the cardholder accepted (shown on the card).
    pub consent_terms: Option<String>,
    /// The initial transaction MITs link to.
    pub initial_ref: Option<String>,
    /// Consent and an initial transaction that links merchant-initiated charges are both
    /// recorded.
    pub mit_ready: bool,
    /// What the initial registered: `recurring` (merchant-initiated charges point to it) or
    /// `one_click` (a One Click payment: no merchant-initiated charge can point to it).
    pub initial_kind: Option<String>,
    /// Why the card must be re-enrolled (a new initial on the provider's payment page) before
    /// any merchant-initiated charge; `None` when it need not be.
    pub reenroll: Option<String>,
    /// The provider's card art (an image address), display only.
    pub art_url: Option<String>,
    /// The one status of the card, with why and what to do next: what every badge, the card's
    /// detail and its main action follow.
    pub status: CardStatus,
    /// How the owner names it: "card ending 4242", or "PayPal account" for an APM token.
    pub label: String,
    /// For an alternative payment method saved as a token (ProcessOut APM): its name
    /// ("PayPal"); `None` for a payment card. An APM has no last4 or expiry to show.
    pub apm: Option<String>,
    /// The provider lets the merchant charge it without the holder present: always `true` for
    /// a card (the card's own rules decide), the provider's word for an APM.
    pub merchant_initiated_allowed: bool,
    /// Whether Coffer still charges it: `in_use`, `stopped` (stays at the provider) or
    /// `removed` (deleted at the provider).
    pub usage: String,
    /// When it was stopped or removed.
    pub usage_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// Where a card stands for a merchant-initiated charge, most serious first when several hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum CardState {
    /// The owner deleted it at the provider: it can never be charged again.
    Removed,
    /// The owner stopped using it in Coffer; it stays at the provider.
    Stopped,
    /// A decline said never to charge this card again.
    HardDeclined,
    /// The provider marks the card inactive.
    Inactive,
    /// Past its expiry month.
    Expired,
    /// An earlier charge's outcome is unknown: nothing goes until it is settled.
    UnsettledAttempt,
    /// Its initial registered no recurring terms: the cardholder must enroll it again.
    NeedsReenroll,
    /// No recorded consent to merchant-initiated charges.
    NeedsConsent,
    /// No initial cardholder-initiated transaction that later charges can point to.
    NeedsInitial,
    /// The provider asks for the security code, which only the cardholder can give.
    NeedsCvc,
    /// The networks' retry limits refuse a charge until `next_try_at`.
    RetryLater,
    /// A merchant-initiated charge may go now.
    Ready,
}

impl CardState {
    /// The badge's word.
    pub fn label(self) -> &'static str {
        match self {
            CardState::Removed => "Deleted",
            CardState::Stopped => "Not used",
            CardState::HardDeclined => "Hard declined",
            CardState::Inactive => "Inactive",
            CardState::Expired => "Expired",
            CardState::UnsettledAttempt => "Outcome unknown",
            CardState::NeedsReenroll => "Re-enroll",
            CardState::NeedsConsent => "Needs consent",
            CardState::NeedsInitial => "Needs initial payment",
            CardState::NeedsCvc => "Needs CVC",
            CardState::RetryLater => "Retry later",
            CardState::Ready => "Ready",
        }
    }

    /// The storage and CLI name.
    pub fn as_str(self) -> &'static str {
        match self {
            CardState::Removed => "removed",
            CardState::Stopped => "stopped",
            CardState::HardDeclined => "hard_declined",
            CardState::Inactive => "inactive",
            CardState::Expired => "expired",
            CardState::UnsettledAttempt => "unsettled_attempt",
            CardState::NeedsReenroll => "needs_reenroll",
            CardState::NeedsConsent => "needs_consent",
            CardState::NeedsInitial => "needs_initial",
            CardState::NeedsCvc => "needs_cvc",
            CardState::RetryLater => "retry_later",
            CardState::Ready => "ready",
        }
    }
}

/// A card's one status: the state, why, what to do, and when a refused charge becomes allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CardStatus {
    /// The state.
    pub state: CardState,
    /// Its badge word ("Ready", "Expired").
    pub label: String,
    /// Why, in a store owner's words.
    pub reason: String,
    /// What to do next.
    pub next_step: String,
    /// A merchant-initiated charge may be sent now.
    pub chargeable: bool,
    /// When the next charge is allowed, when waiting is all it takes.
    pub next_try_at: Option<DateTime<Utc>>,
}

/// The rules about the card itself and its earlier attempts; the others judge an amount or a
/// contract, which a card's status does not have.
const CARD_RULES: [RuleId; 6] = [
    RuleId::CardUsable,
    RuleId::ConsentAndInitial,
    RuleId::AssistRecurringInitial,
    RuleId::NoRetryAfterHardDecline,
    RuleId::NetworkRetryLimits,
    RuleId::NoUnsettledAttempt,
];

/// The status of `card` held by `merchant` at `now`, given its earlier attempts: the policy
/// judges a one-off merchant-initiated charge of it, and the most serious refusal is the status.
/// The one place a card's status comes from; the CLI and the app show what it says.
pub fn card_status(
    card: &Card,
    merchant: &Merchant,
    history: &History,
    now: DateTime<Utc>,
) -> CardStatus {
    let probe = ChargePlan {
        merchant: MerchantTerms::from(merchant),
        card: card.clone(),
        // Any positive amount in the account's currency: no amount rule is asked here.
        amount: Money::from_minor(1, merchant.currency),
        credential: manual_flags(card, Reason::Unscheduled),
        charge_date: coffer_core::clock::local_date(now, merchant.time_zone),
        trigger: Trigger::Manual,
        contract: None,
        open_contracts: Vec::new(),
        buyer_address: None,
    };
    let violations: Vec<Violation> = policy::check(&probe, history, now)
        .err()
        .unwrap_or_default()
        .into_iter()
        .filter(|v| CARD_RULES.contains(&v.rule))
        .collect();
    let of = |rule: RuleId| violations.iter().find(|v| v.rule == rule);
    let label = card.label();
    let status = |state: CardState, reason: String, next_step: String| CardStatus {
        state,
        label: state.label().to_string(),
        reason,
        next_step,
        chargeable: false,
        next_try_at: None,
    };
    if let Some(reason) = card.usage.refusal(&label) {
        return match card.usage {
            coffer_core::CardUse::Removed(_) => status(
                CardState::Removed,
                reason,
                "Nothing to do: ask the cardholder for another card if they want to go on paying."
                    .into(),
            ),
            _ => status(
                CardState::Stopped,
                reason,
                "Nothing is charged to it. To charge the customer again, save a new card with an \
                 initial payment."
                    .into(),
            ),
        };
    }
    if let Some(v) = of(RuleId::NoRetryAfterHardDecline) {
        return status(
            CardState::HardDeclined,
            v.reason.clone(),
            "Do not charge it again: ask the cardholder for another card.".into(),
        );
    }
    if let PaymentMethod::Apm {
        merchant_initiated: false,
        ..
    } = &card.method
    {
        if let Some(v) = of(RuleId::CardUsable) {
            return status(
                CardState::Inactive,
                v.reason.clone(),
                "Only the customer can pay with it, at checkout; ask them for a card for \
                 recurring charges."
                    .into(),
            );
        }
    }
    if !card.active {
        return status(
            CardState::Inactive,
            format!("{label} is no longer active at the provider (removed, or blocked)"),
            "Ask the cardholder for another card; a sync shows it again if the provider \
             re-activates it."
                .into(),
        );
    }
    if let Some(v) = of(RuleId::CardUsable).filter(|_| card.expiry.is_expired_on(probe.charge_date))
    {
        return status(
            CardState::Expired,
            v.reason.clone(),
            "Ask the cardholder for the new card: they save it with a new initial payment.".into(),
        );
    }
    if let Some(v) = of(RuleId::NoUnsettledAttempt) {
        return status(
            CardState::UnsettledAttempt,
            v.reason.clone(),
            "Reconcile this card (beside the charge in its history, or `coffer reconcile --card \
             ID`), or check at the provider and resolve it by hand there or under Dashboard → \
             Outcomes to settle."
                .into(),
        );
    }
    if let Some(why) = card.reenroll_reason() {
        let reason = of(RuleId::AssistRecurringInitial)
            .map(|v| v.reason.clone())
            .unwrap_or(why);
        return status(
            CardState::NeedsReenroll,
            reason,
            "Have the cardholder make a new initial payment on the provider's payment page with \
             the recurring terms."
                .into(),
        );
    }
    if card.consent.is_none() {
        return status(
            CardState::NeedsConsent,
            format!(
                "no consent of the cardholder to merchant-initiated charges of {label} is recorded"
            ),
            "Record the consent the cardholder gave (Record consent…).".into(),
        );
    }
    if card.initial.is_none() {
        return status(
            CardState::NeedsInitial,
            format!(
                "no initial cardholder-initiated payment of {label} is linked, so later charges \
                 have nothing to point to"
            ),
            "Have the cardholder make the initial payment (coffer card initial), which links \
             later charges."
                .into(),
        );
    }
    if let Some(v) = of(RuleId::CardUsable).or(of(RuleId::ConsentAndInitial)) {
        return status(
            if card.needs_cvc {
                CardState::NeedsCvc
            } else {
                CardState::NeedsInitial
            },
            v.reason.clone(),
            "Ask the cardholder to pay once themselves; a merchant-initiated charge cannot go."
                .into(),
        );
    }
    if let Some(v) = of(RuleId::NetworkRetryLimits) {
        let at = violations
            .iter()
            .filter_map(|v| v.allowed_after)
            .max()
            .or(v.allowed_after);
        return CardStatus {
            next_try_at: at,
            ..status(
                CardState::RetryLater,
                v.reason.clone(),
                match at {
                    Some(at) => format!("Wait: the next try is allowed from {}.", when(at)),
                    None => "Wait until the networks' window frees up.".into(),
                },
            )
        };
    }
    CardStatus {
        chargeable: true,
        ..status(
            CardState::Ready,
            "consent and an initial transaction are on file".into(),
            next_try_words(card, merchant, history, now),
        )
    }
}

/// An instant as the owner reads it, in UTC (the app shows it in the desk's own zone).
fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// What a ready card may be charged now, after earlier declines: how many tries the networks'
/// limits leave.
fn next_try_words(
    card: &Card,
    merchant: &Merchant,
    history: &History,
    now: DateTime<Utc>,
) -> String {
    use coffer_core::policy::network_limits::{Network, RETRY_LIMITS};
    let declines: Vec<DateTime<Utc>> = history
        .attempts
        .iter()
        .filter(|a| {
            a.card_id == card.id
                && a.merchant_id == merchant.id
                && a.kind == coffer_core::AttemptKind::Charge
                && a.state == coffer_core::ChargeState::Declined
        })
        .map(|a| a.at)
        .collect();
    if declines.is_empty() {
        return "It may be charged now.".into();
    }
    let Some(network) = Network::of(&card.brand) else {
        return "It may be charged again now.".into();
    };
    let left = RETRY_LIMITS
        .iter()
        .filter(|l| l.network == network)
        .map(|l| {
            let used = declines.iter().filter(|at| **at > now - l.window()).count();
            let allowed = usize::try_from(l.max_prior_declines()).unwrap_or(usize::MAX);
            // A try is allowed while the declines in the window are at most `allowed`.
            ((allowed + 1).saturating_sub(used), l)
        })
        .min_by_key(|(left, _)| *left);
    match left {
        Some((left, limit)) => format!(
            "It may be charged again now: {} allows {}, and {left} more {} left.",
            network.name(),
            limit.describe(),
            if left == 1 { "try is" } else { "tries are" }
        ),
        None => "It may be charged again now.".into(),
    }
}

/// The status of `card` now, its history read from `store`.
pub(crate) fn status_in(
    store: &dyn ReadRepositories,
    card: &Card,
    merchant: &Merchant,
    now: DateTime<Utc>,
) -> coffer_store::StoreResult<CardStatus> {
    let history = history_of(store, card.id, now)?;
    Ok(card_status(card, merchant, &history, now))
}

impl CardView {
    /// The view of `card`, held by `merchant`, at `now`, with its status from `history`.
    pub fn of(card: &Card, merchant: &Merchant, history: &History, now: DateTime<Utc>) -> CardView {
        let today = coffer_core::clock::local_date(now, merchant.time_zone);
        CardView {
            status: card_status(card, merchant, history, now),
            id: card.id.0,
            merchant_id: card.merchant_id.0,
            customer_id: card.customer_id.0,
            provider: merchant.provider().to_string(),
            token: card.token.0.clone(),
            brand: card.brand.name().to_string(),
            last4: card.last4.as_str().to_string(),
            bin: card.bin.as_ref().map(|b| b.as_str().to_string()),
            bank: card.bank.clone(),
            exp_month: card.expiry.month,
            exp_year: card.expiry.year,
            active: card.active,
            expired: card.expiry.is_expired_on(today),
            expiring_soon: card.expiry.expires_within(today, EXPIRING_SOON_DAYS),
            consent_at: card.consent.as_ref().map(|c| c.given_at),
            consent_terms: card.consent.as_ref().map(|c| c.terms.clone()),
            initial_ref: card.initial.as_ref().map(|i| i.reference.0.clone()),
            mit_ready: card.is_mit_ready(),
            initial_kind: card.initial.as_ref().map(|i| i.kind.as_str().to_string()),
            reenroll: card.reenroll_reason(),
            art_url: card.art_url.clone(),
            label: card.label(),
            apm: match &card.method {
                PaymentMethod::Card => None,
                PaymentMethod::Apm { name, .. } => Some(name.clone()),
            },
            merchant_initiated_allowed: match &card.method {
                PaymentMethod::Card => true,
                PaymentMethod::Apm {
                    merchant_initiated, ..
                } => *merchant_initiated,
            },
            usage: card.usage.as_str().to_string(),
            usage_since: card.usage.since(),
        }
    }

    /// The view of `card` now, its history read from `store`.
    pub(crate) fn read(
        store: &dyn ReadRepositories,
        card: &Card,
        merchant: &Merchant,
        now: DateTime<Utc>,
    ) -> coffer_store::StoreResult<CardView> {
        let history = history_of(store, card.id, now)?;
        Ok(CardView::of(card, merchant, &history, now))
    }
}

/// A customer search from the CLI or the UI.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerSearch {
    /// One merchant.
    pub merchant: Option<MerchantId>,
    /// A group of merchants.
    pub group: Option<String>,
    /// Free text.
    pub text: Option<String>,
    /// Order.
    pub sort: CustomerOrder,
    /// Page size.
    pub limit: Option<u32>,
    /// Offset.
    pub offset: Option<u32>,
}

/// How a customer search is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum CustomerOrder {
    /// By name, then id.
    #[default]
    Name,
    /// By the provider's reference.
    Reference,
    /// Newest first.
    Newest,
}

impl From<CustomerOrder> for CustomerSort {
    fn from(order: CustomerOrder) -> Self {
        match order {
            CustomerOrder::Name => CustomerSort::Name,
            CustomerOrder::Reference => CustomerSort::Reference,
            CustomerOrder::Newest => CustomerSort::Newest,
        }
    }
}

/// A customer in a search's page, with card counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CustomerListRow {
    /// Coffer id.
    pub id: i64,
    /// Merchant.
    pub merchant_id: i64,
    /// Merchant name.
    pub merchant_name: String,
    /// The provider's reference.
    pub reference: String,
    /// Name.
    pub name: String,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Cards on file.
    pub cards: u32,
    /// Cards that are active and not expired this month.
    pub usable_cards: u32,
    /// The card a digits search matched by its last four or BIN ("visa •••• 4242"), so the
    /// owner sees why the customer is in the result.
    pub matched_card: Option<String>,
    /// When the customer was erased (a data-protection request), if it was: its name and
    /// contact fields are gone, its cards deleted, its contracts ended.
    pub erased_at: Option<DateTime<Utc>>,
}

impl From<CustomerRow> for CustomerListRow {
    fn from(row: CustomerRow) -> Self {
        // Destructured without `..`: a new column in the store's row fails to compile here.
        let CustomerRow {
            id,
            merchant_id,
            merchant_name,
            reference,
            name,
            email,
            phone,
            cards,
            usable_cards,
            matched_card,
            erased_at,
        } = row;
        CustomerListRow {
            id,
            merchant_id,
            merchant_name,
            reference,
            name,
            email,
            phone,
            cards,
            usable_cards,
            matched_card,
            erased_at,
        }
    }
}

/// How many customers a search finds, and which locations in its scope were never synced, so
/// an empty list can say why it is empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CustomerTotals {
    /// Customers found, exactly, for a listing and a text search alike.
    pub total: u32,
    /// Names of the locations in scope that were never synced.
    pub never_synced: Vec<String>,
}

/// A card listing from the CLI or the UI.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CardSearch {
    /// One merchant.
    pub merchant: Option<MerchantId>,
    /// A group.
    pub group: Option<String>,
    /// One customer.
    pub customer: Option<CustomerId>,
    /// Last four.
    pub last4: Option<String>,
    /// Brand.
    pub brand: Option<String>,
    /// BIN.
    pub bin: Option<String>,
    /// Cards that expire before this date (their last valid day is before it).
    pub expiring_before: Option<NaiveDate>,
    /// Only active.
    pub active_only: bool,
    /// Page size.
    pub limit: Option<u32>,
    /// Offset.
    pub offset: Option<u32>,
}

impl Engine {
    /// Customers matching the search, one page.
    pub async fn search_customers(
        &self,
        search: CustomerSearch,
    ) -> EngineResult<Vec<CustomerListRow>> {
        let merchants = self
            .merchant_scope(search.merchant, search.group.clone())
            .await?;
        let today = CardExpiry::of_date(self.now().date_naive());
        self.read_store(move |store| {
            Ok(store
                .search_customers(
                    &CustomerQuery {
                        merchants,
                        text: search.text,
                        sort: search.sort.into(),
                        limit: search.limit,
                        offset: search.offset,
                    },
                    today,
                )?
                .into_iter()
                .map(CustomerListRow::from)
                .collect())
        })
        .await
    }

    /// How many customers the search finds in all (its page and order aside), and which
    /// locations in its scope were never synced.
    pub async fn count_customers(&self, search: CustomerSearch) -> EngineResult<CustomerTotals> {
        let merchants = self
            .merchant_scope(search.merchant, search.group.clone())
            .await?;
        self.read_store(move |store| {
            let count = store.count_matching_customers(&CustomerQuery {
                merchants: merchants.clone(),
                text: search.text,
                ..CustomerQuery::default()
            })?;
            let never = store.never_synced(&merchants)?;
            let names = store
                .merchants()?
                .into_iter()
                .filter(|m| never.contains(&m.id))
                .map(|m| m.name)
                .collect();
            Ok(CustomerTotals {
                total: u32::try_from(count.total).unwrap_or(u32::MAX),
                never_synced: names,
            })
        })
        .await
    }

    /// One card as the CLI and the UI show it, with its re-enroll reason and card art.
    pub async fn show_card(&self, id: coffer_core::CardId) -> EngineResult<CardView> {
        let now = self.now();
        self.read_store(move |store| {
            let card = store.card(id)?;
            let merchant = store.merchant(card.merchant_id)?;
            Ok(CardView::read(store, &card, &merchant, now)?)
        })
        .await
    }

    /// Cards matching the search, one page.
    pub async fn list_cards(&self, search: CardSearch) -> EngineResult<Vec<CardView>> {
        let merchants = self
            .merchant_scope(search.merchant, search.group.clone())
            .await?;
        let now = self.now();
        self.read_store(move |store| {
            let holders: HashMap<i64, Merchant> = store
                .merchants()?
                .into_iter()
                .map(|m| (m.id.0, m))
                .collect();
            // "Expiring before D": the card's last valid day is before D, i.e. its expiry month
            // is before D's month.
            let before = search.expiring_before.map(CardExpiry::of_date);
            let cards = store.search_cards(&CardQuery {
                merchants,
                customer: search.customer,
                last4: search.last4,
                brand: search
                    .brand
                    .map(|b| coffer_core::CardBrand::from_name(&b).name().to_string()),
                bin: search.bin,
                expiring_before: before,
                active_only: search.active_only,
                limit: search.limit,
                offset: search.offset,
            })?;
            let mut views = Vec::with_capacity(cards.len());
            for card in &cards {
                // The search joins live merchants only, so every card's merchant is here.
                let merchant = match holders.get(&card.merchant_id.0) {
                    Some(m) => m.clone(),
                    None => store.merchant(card.merchant_id)?,
                };
                views.push(CardView::read(store, card, &merchant, now)?);
            }
            Ok(views)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use coffer_core::policy::PastAttempt;
    use coffer_core::{
        AttemptKind, CardBrand, CardId, CardToken, ChargeState, Consent, Currency, Environment,
        InitialKind, InitialTransaction, Initiator, Last4, ProcessOutAccount, ProviderAccount,
        ProviderRef,
    };

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()
    }

    fn merchant() -> Merchant {
        Merchant {
            id: MerchantId(1),
            name: "Paris".into(),
            account: ProviderAccount::ProcessOut(ProcessOutAccount {
                project_id: "proj_1".into(),
            }),
            environment: Environment::Sandbox,
            base_url: "http://127.0.0.1:1".into(),
            time_zone: chrono_tz::Europe::Paris,
            currency: Currency::EUR,
            notice_lead_days: 3,
            group: None,
            endpoint: Default::default(),
        }
    }

    /// Active, unexpired, consent and a recurring initial on file: ready.
    fn card() -> Card {
        Card {
            id: CardId(7),
            merchant_id: MerchantId(1),
            customer_id: CustomerId(3),
            token: CardToken("tok_1".into()),
            brand: CardBrand::Visa,
            last4: Last4::new("4242").unwrap(),
            bin: None,
            bank: None,
            expiry: CardExpiry::new(2028, 5).unwrap(),
            active: true,
            needs_cvc: false,
            consent: Some(Consent {
                given_at: now() - chrono::Duration::days(40),
                terms: "later charges".into(),
            }),
            initial: Some(InitialTransaction {
                reference: ProviderRef("INIT-1".into()),
                amount: None,
                at: now() - chrono::Duration::days(40),
                kind: InitialKind::Recurring,
                registered: None,
            }),
            art_url: None,
            method: PaymentMethod::Card,
            usage: coffer_core::CardUse::InUse,
        }
    }

    fn attempt(state: ChargeState, hard: bool) -> PastAttempt {
        PastAttempt {
            merchant_id: MerchantId(1),
            card_id: CardId(7),
            kind: AttemptKind::Charge,
            at: now() - chrono::Duration::hours(2),
            amount: Money::from_minor(500, Currency::EUR),
            state,
            initiator: Initiator::Merchant,
            reason: Reason::Unscheduled,
            occurrence: None,
            hard_decline: hard,
            decline_code: hard.then(|| "43".to_string()),
            merchant_advice_code: None,
        }
    }

    fn state_of(card: &Card, history: Vec<PastAttempt>) -> CardStatus {
        card_status(card, &merchant(), &History::new(history), now())
    }

    #[test]
    fn each_card_has_one_status_with_a_reason_and_a_next_step() {
        let expired_but_active = Card {
            expiry: CardExpiry::new(2026, 10).unwrap(),
            ..card()
        };
        let inactive = Card {
            active: false,
            ..card()
        };
        let no_consent = Card {
            consent: None,
            ..card()
        };
        let consent_only = Card {
            initial: None,
            ..card()
        };
        let one_click = Card {
            initial: card().initial.map(|i| InitialTransaction {
                kind: InitialKind::OneClick,
                ..i
            }),
            ..card()
        };
        let cases = [
            (card(), vec![], CardState::Ready),
            (expired_but_active, vec![], CardState::Expired),
            (inactive, vec![], CardState::Inactive),
            (no_consent, vec![], CardState::NeedsConsent),
            (consent_only, vec![], CardState::NeedsInitial),
            (one_click, vec![], CardState::NeedsReenroll),
            (
                card(),
                vec![attempt(ChargeState::Sending, false)],
                CardState::UnsettledAttempt,
            ),
            (
                card(),
                vec![attempt(ChargeState::Declined, true)],
                CardState::HardDeclined,
            ),
        ];
        for (card, history, expected) in cases {
            let status = state_of(&card, history);
            assert_eq!(status.state, expected, "{status:?}");
            assert_eq!(status.label, expected.label());
            assert_eq!(
                status.chargeable,
                expected == CardState::Ready,
                "only a ready card is chargeable: {status:?}"
            );
            assert!(
                !status.reason.is_empty() && !status.next_step.is_empty(),
                "{status:?}"
            );
        }
    }

    #[test]
    fn a_hard_decline_outranks_the_inactive_flag_it_caused() {
        let blocked = Card {
            active: false,
            ..card()
        };
        let status = state_of(&blocked, vec![attempt(ChargeState::Declined, true)]);
        assert_eq!(
            status.state,
            CardState::HardDeclined,
            "the decline is the reason the card is blocked"
        );
    }

    #[test]
    fn a_soft_decline_leaves_a_ready_card_that_may_be_tried_now_and_says_how_often() {
        let status = state_of(&card(), vec![attempt(ChargeState::Declined, false)]);
        assert_eq!(status.state, CardState::Ready);
        assert_eq!(status.next_try_at, None);
        assert_eq!(
            status.next_step,
            "It may be charged again now: Visa allows 20 retries in 30 days, and 20 more tries \
             are left."
        );
    }
}
