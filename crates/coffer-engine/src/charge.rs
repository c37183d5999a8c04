//! Charging a stored card exactly once (DESIGN §4).
//!
//! `preview_charge` shows the exact flags and the policy verdict and sends nothing.
//! `charge_card` builds an order for the one pipeline (`pipeline.rs`): policy and `sending` row in
//! one immediate transaction, then the request with the attempt's idempotency key and unique
//! order id, then the answer judged. A timeout or a lost answer leaves it `sending` for
//! `reconcile`, and the policy refuses any new charge of that card until then. The same
//! idempotency key, from any process, returns the first attempt and never makes a second charge.

use coffer_core::charge::{ChargePlan, MerchantTerms, Trigger};
use coffer_core::policy::charge_limit;
use coffer_core::policy::{self, Violation};
use coffer_core::{
    AttemptId, AttemptKind, Card, CardId, ChargeAttempt, ChargeState, IdempotencyKey, InvalidInput,
    Merchant, MerchantId, Money, Reason, StoredCredential,
};
use coffer_providers::ChargeRequest;
use coffer_store::charges::NewAttempt;
use coffer_store::repo::prelude::*;
use serde::Serialize;

use crate::error::{EngineError, EngineResult, ErrorKind};
use crate::judging::{history_of, manual_flags};
use crate::merchants::EnvironmentKind;
use crate::pipeline::{key_or_new, Answer, Guard, Order, Placed};
use crate::search::CardView;
use crate::Engine;

/// A manual charge as the owner asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeInput {
    /// The card.
    pub card: CardId,
    /// The amount as typed, "12.34" or "12,34", in the merchant's currency.
    pub amount: String,
    /// Why: an unscheduled card-on-file charge, or a recurring one.
    pub reason: Reason,
    /// The merchant in whose name the charge goes out; the card's own when `None`.
    pub merchant: Option<MerchantId>,
    /// The same key from any process returns the first attempt; none means a new request.
    pub idempotency_key: Option<String>,
    /// Shown to the cardholder where the provider has a description.
    pub description: Option<String>,
    /// The owner confirmed a second time that the amount is meant although it is above the
    /// merchant's "confirm charges above" limit. Without it such a charge is refused, unsent.
    pub confirm_large: bool,
}

/// The longest a charge waits for the provider's answer: every try's whole timeout (connect
/// included) and the backoffs between them, under the HTTP policy every client uses. A client
/// that never resends a charge (Assist, Svea) stops after its first try; this is the bound.
pub fn answer_wait_limit() -> std::time::Duration {
    let policy = coffer_providers::http::HttpPolicy::default();
    let mut total = std::time::Duration::ZERO;
    let mut backoff = policy.backoff;
    for try_number in 1..=policy.max_tries {
        total += policy.request_timeout;
        if try_number < policy.max_tries {
            total += backoff;
            backoff *= 2;
        }
    }
    total
}

/// [`answer_wait_limit`] in whole seconds, rounded up.
pub fn answer_wait_secs() -> u32 {
    let wait = answer_wait_limit();
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    u32::try_from(secs).unwrap_or(u32::MAX)
}

/// The refusal of a charge above the merchant's limit that was not confirmed again.
fn unconfirmed_large(amount: Money, limit: Money, merchant: &str) -> EngineError {
    InvalidInput::new(
        "confirm_large",
        format!(
            "{} is above {merchant}'s limit of {} for a charge without a second confirmation; \
             check the amount, then confirm it again (the app asks; the CLI takes \
             --confirm-large)",
            amount.grouped(),
            limit.grouped()
        ),
    )
    .into()
}

/// One broken rule, as the CLI and the UI show it.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ViolationView {
    /// The rule's stable code.
    pub rule: String,
    /// Why, in a store owner's words.
    pub message: String,
    /// When the same charge becomes allowed, if ever.
    pub allowed_after: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<&Violation> for ViolationView {
    fn from(v: &Violation) -> Self {
        ViolationView {
            rule: v.rule.as_str().to_string(),
            message: v.reason.clone(),
            allowed_after: v.allowed_after,
        }
    }
}

/// What would be sent, and the verdict, before the owner confirms.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChargePreview {
    /// Merchant.
    pub merchant_id: i64,
    /// Its name.
    pub merchant_name: String,
    /// Provider.
    pub provider: String,
    /// The card.
    pub card: CardView,
    /// Amount.
    pub amount: Money,
    /// The exact stored-credential flags that will be sent.
    pub flags: StoredCredential,
    /// Every rule the charge breaks; empty when it may go.
    pub violations: Vec<ViolationView>,
    /// Every rule the charge was judged by.
    pub rules_checked: Vec<String>,
    /// Sandbox, the provider's test environment, or live.
    pub environment_kind: EnvironmentKind,
    /// The merchant's limit above which a charge is confirmed a second time.
    pub confirm_above: Option<Money>,
    /// The amount is above that limit: the charge needs `confirm_large`.
    pub needs_large_confirmation: bool,
    /// The longest Coffer waits for the provider's answer, in seconds ([`answer_wait_limit`]).
    pub answer_wait_secs: u32,
}

/// Where a charge stands after `charge_card`.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargeStatus {
    /// The provider took the money.
    Succeeded,
    /// The provider or issuer declined.
    Declined,
    /// The provider refused the request, or it never left: nothing was charged.
    Failed,
    /// Sent, and the answer proves nothing yet: reconcile settles it from the provider's record.
    Sending,
    /// A rule refused it before anything was sent.
    Refused,
}

impl std::fmt::Display for ChargeStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ChargeStatus::Succeeded => "succeeded",
            ChargeStatus::Declined => "declined",
            ChargeStatus::Failed => "failed",
            ChargeStatus::Sending => "sending",
            ChargeStatus::Refused => "refused",
        })
    }
}

impl From<ChargeState> for ChargeStatus {
    fn from(state: ChargeState) -> ChargeStatus {
        match state {
            // Only a refund awaits a transfer, and the provider has taken it.
            ChargeState::Succeeded | ChargeState::AwaitingTransfer => ChargeStatus::Succeeded,
            ChargeState::Declined => ChargeStatus::Declined,
            ChargeState::Failed => ChargeStatus::Failed,
            ChargeState::Planned | ChargeState::Sending => ChargeStatus::Sending,
        }
    }
}

/// The outcome of `charge_card`.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChargeResult {
    /// The ledger row (none when refused before anything was written).
    pub attempt_id: Option<i64>,
    /// Where it stands.
    pub status: ChargeStatus,
    /// The provider's reference.
    pub provider_ref: Option<String>,
    /// Warnings the provider returned.
    pub warnings: Vec<String>,
    /// The rules that refused it.
    pub violations: Vec<ViolationView>,
    /// The provider's or Coffer's words.
    pub message: Option<String>,
    /// The decline code.
    pub decline_code: Option<String>,
    /// A decline after which the card must never be charged again.
    pub hard_decline: bool,
    /// Amount.
    pub amount: Money,
    /// The flags sent.
    pub flags: StoredCredential,
    /// `true` when this is the answer of an earlier request with the same key.
    pub replayed: bool,
    /// The decline says the cardholder stopped the payments (a revoked authorization, Visa
    /// R0/R1/R3, Mastercard advice 21): why, and the card's contracts end.
    pub stop_payment: Option<String>,
    /// After a decline: when the card may be tried again, in words, from the card's status.
    pub next_try: Option<String>,
    /// After a decline: the instant the networks' limits allow the next try, when it is later
    /// than now.
    pub next_try_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl ChargeResult {
    pub(crate) fn refused(
        violations: &[Violation],
        amount: Money,
        flags: StoredCredential,
    ) -> ChargeResult {
        ChargeResult {
            attempt_id: None,
            status: ChargeStatus::Refused,
            provider_ref: None,
            warnings: Vec::new(),
            message: Some(
                violations
                    .iter()
                    .map(|v| v.reason.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            violations: violations.iter().map(ViolationView::from).collect(),
            decline_code: None,
            hard_decline: false,
            amount,
            flags,
            replayed: false,
            stop_payment: None,
            next_try: None,
            next_try_at: None,
        }
    }

    pub(crate) fn of(attempt: &ChargeAttempt, replayed: bool) -> ChargeResult {
        ChargeResult {
            attempt_id: Some(attempt.id.0),
            status: attempt.state.into(),
            provider_ref: attempt.provider_ref.as_ref().map(|r| r.0.clone()),
            warnings: attempt.warnings.clone(),
            violations: Vec::new(),
            message: attempt.message.clone(),
            decline_code: attempt.decline_code.clone(),
            hard_decline: attempt.hard_decline,
            amount: attempt.amount,
            flags: attempt.credential.clone(),
            replayed,
            stop_payment: None,
            next_try: None,
            next_try_at: None,
        }
    }

    /// The engine error kind this result stands for, for exit codes: refused → policy,
    /// declined → declined, sending → unknown outcome.
    pub fn error_kind(&self) -> Option<ErrorKind> {
        match self.status {
            ChargeStatus::Refused => Some(ErrorKind::PolicyRefused),
            ChargeStatus::Declined if self.hard_decline => Some(ErrorKind::DeclinedHard),
            ChargeStatus::Declined => Some(ErrorKind::DeclinedSoft),
            ChargeStatus::Sending => Some(ErrorKind::UnknownOutcome),
            ChargeStatus::Failed => Some(ErrorKind::ProviderUnavailable),
            ChargeStatus::Succeeded => None,
        }
    }
}

/// Everything a charge needs, read in one go.
struct Context {
    merchant: Merchant,
    card: Card,
    customer: coffer_core::CustomerRef,
    /// The card holder as a payment's buyer fields carry them, when the register has an address.
    buyer: Option<coffer_providers::Buyer>,
    /// The card's active or paused contracts.
    open_contracts: Vec<coffer_core::ContractId>,
}

/// What a live decline says beyond its raw code (the provider's table, a network code or a
/// Mastercard advice code): the reason, when the cardholder stopped the payments.
pub(crate) fn stop_payment_of(
    answer: &Result<coffer_providers::ChargeOutcome, coffer_providers::ProviderError>,
    brand: &coffer_core::CardBrand,
) -> Option<String> {
    answer
        .as_ref()
        .err()
        .and_then(|e| e.decline.as_deref())
        .and_then(|d| d.never_retry(brand))
        .filter(|n| n.stops_contract)
        .map(|n| n.reason)
}

/// A unique order id that fits every provider: Svea's `pmt_id` takes at most 20 alphanumerics.
/// "CF", then the milliseconds since 1970 and 46 random bits, 9 base-36 digits each: ids sort
/// by the time they were made, so the ledger's `(merchant_id, order_id)` index takes them at its
/// end instead of at a random page per charge (the due run's commits wrote 2.8 pages of it per
/// window of four charges), and two ids made in the same millisecond still differ at random.
pub(crate) fn new_order_id() -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let random = uuid::Uuid::new_v4().as_u128();
    format!("CF{}{}", base36::<9>(millis), base36::<9>(random))
}

/// The last `N` base-36 digits of `n` (0-9 then A-Z, so the text sorts as the number does).
fn base36<const N: usize>(mut n: u128) -> String {
    const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut out = [b'0'; N];
    for digit in out.iter_mut().rev() {
        *digit = DIGITS[(n % 36) as usize];
        n /= 36;
    }
    out.iter().map(|&d| char::from(d)).collect()
}

/// A request that reuses an idempotency key must be the first one again: the same card, merchant
/// and amount. Anything else would be answered with the first charge as if it were this one.
fn same_request(
    first: &ChargeAttempt,
    card: CardId,
    amount: Option<Money>,
    merchant: Option<MerchantId>,
) -> EngineResult<()> {
    let differs = if first.card_id != card {
        Some("another card".to_string())
    } else if amount != Some(first.amount) {
        Some(format!("{} on this card", first.amount))
    } else if merchant.is_some_and(|m| m != first.merchant_id) {
        Some(format!("merchant account {}", first.merchant_id))
    } else {
        None
    };
    match differs {
        Some(what) => Err(EngineError::new(
            ErrorKind::Conflict,
            format!(
                "idempotency key {} was already used for a charge of {what} (attempt {}); a \
                 different charge needs a new key",
                first.idempotency_key, first.id
            ),
        )),
        None => Ok(()),
    }
}

/// The request as the ledger keeps it, for a resend of exactly the same bytes.
pub(crate) fn request_json(request: &ChargeRequest) -> EngineResult<String> {
    serde_json::to_string(request)
        .map_err(|e| EngineError::new(ErrorKind::Internal, format!("cannot keep the request: {e}")))
}

fn load(
    store: &dyn ReadRepositories,
    card: CardId,
    merchant: Option<MerchantId>,
) -> EngineResult<Context> {
    let card = store.card(card)?;
    let merchant = store.merchant(merchant.unwrap_or(card.merchant_id))?;
    let holder = store.customer(card.customer_id)?;
    let buyer = buyer_of(&holder);
    let customer = holder.reference;
    let open_contracts = store
        .contracts(&coffer_store::contracts::ContractFilter {
            merchants: Vec::new(),
            card: Some(card.id),
            status: None,
        })?
        .into_iter()
        .filter(|c| {
            matches!(
                c.status,
                coffer_core::contract::ContractStatus::Active
                    | coffer_core::contract::ContractStatus::Paused
            )
        })
        .map(|c| c.id)
        .collect();
    Ok(Context {
        merchant,
        card,
        customer,
        buyer,
        open_contracts,
    })
}

/// The card holder for a payment's buyer fields: the register name (the reference when the name
/// is empty) and the address, when the register has one.
pub(crate) fn buyer_of(customer: &coffer_core::Customer) -> Option<coffer_providers::Buyer> {
    let address = customer.address.clone()?;
    let name = if customer.name.trim().is_empty() {
        customer.reference.0.clone()
    } else {
        customer.name.clone()
    };
    Some(coffer_providers::Buyer { name, address })
}

fn plan_of(
    ctx: &Context,
    amount: Money,
    flags: StoredCredential,
    now: chrono::DateTime<chrono::Utc>,
) -> ChargePlan {
    ChargePlan {
        merchant: MerchantTerms::from(&ctx.merchant),
        card: ctx.card.clone(),
        amount,
        credential: flags,
        charge_date: coffer_core::clock::local_date(now, ctx.merchant.time_zone),
        trigger: Trigger::Manual,
        contract: None,
        open_contracts: ctx.open_contracts.clone(),
        buyer_address: ctx.buyer.as_ref().map(|b| b.address.clone()),
    }
}

impl Engine {
    /// Shows the flags that would be sent and every rule the charge would break; sends nothing.
    pub async fn preview_charge(&self, input: ChargeInput) -> EngineResult<ChargePreview> {
        let now = self.now();
        self.read_store(move |store| {
            let ctx = load(store, input.card, input.merchant)?;
            let amount = Money::parse(&input.amount, ctx.merchant.currency)
                .map_err(|e| e.in_field("amount"))?;
            let flags = manual_flags(&ctx.card, input.reason);
            let plan = plan_of(&ctx, amount, flags.clone(), now);
            let history = history_of(store, ctx.card.id, now)?;
            let violations = policy::check(&plan, &history, now)
                .err()
                .unwrap_or_default();
            let confirm_above = store
                .charge_limit(ctx.merchant.id)?
                .map(|minor| Money::from_minor(minor, ctx.merchant.currency));
            Ok(ChargePreview {
                environment_kind: EnvironmentKind::of(&ctx.merchant),
                needs_large_confirmation: charge_limit::needs_confirmation(amount, confirm_above),
                confirm_above,
                answer_wait_secs: answer_wait_secs(),
                merchant_id: ctx.merchant.id.0,
                merchant_name: ctx.merchant.name.clone(),
                provider: ctx.merchant.provider().to_string(),
                card: CardView::of(&ctx.card, &ctx.merchant, &history, now),
                amount,
                flags,
                violations: violations.iter().map(ViolationView::from).collect(),
                rules_checked: policy::rules_for_plan(&plan)
                    .iter()
                    .map(|r| r.as_str().to_string())
                    .collect(),
            })
        })
        .await
    }

    /// Charges a stored card once: refused with every broken rule, or sent and settled, or left
    /// `sending` for `reconcile` when the answer was lost.
    pub async fn charge_card(&self, input: ChargeInput) -> EngineResult<ChargeResult> {
        let key = key_or_new(input.idempotency_key.as_deref())?;
        if let Some(description) = &input.description {
            coffer_core::free_text::refuse_card_number("description", description)?;
        }
        if let Some(existing) = self.existing_attempt(&key, &input).await? {
            return Ok(ChargeResult::of(&existing, true));
        }
        if !input.confirm_large {
            // Before anything else, even a reconcile: an unconfirmed large amount goes nowhere.
            let input = input.clone();
            self.read_store(move |store| {
                let card = store.card(input.card)?;
                let merchant = store.merchant(input.merchant.unwrap_or(card.merchant_id))?;
                let amount = Money::parse(&input.amount, merchant.currency)
                    .map_err(|e| e.in_field("amount"))?;
                let limit = store
                    .charge_limit(merchant.id)?
                    .map(|minor| Money::from_minor(minor, merchant.currency));
                match limit {
                    Some(limit) if charge_limit::needs_confirmation(amount, Some(limit)) => {
                        Err(unconfirmed_large(amount, limit, &merchant.name))
                    }
                    _ => Ok(()),
                }
            })
            .await?;
        }
        // Before anything new: settle what an earlier lost answer left open on this card.
        self.reconcile_card(input.card).await?;
        let now = self.now();
        let (ctx, amount) = {
            let input = input.clone();
            self.read_store(move |store| {
                let ctx = load(store, input.card, input.merchant)?;
                let amount = Money::parse(&input.amount, ctx.merchant.currency)
                    .map_err(|e| e.in_field("amount"))?;
                Ok((ctx, amount))
            })
            .await?
        };
        let flags = manual_flags(&ctx.card, input.reason);
        // Reach the provider before writing anything: a missing secret must not leave a row
        // that looks as if it might have been sent.
        let provider = self.provider_for(&ctx.merchant).await?;
        let order_id = new_order_id();
        let request = ChargeRequest {
            amount,
            card_token: ctx.card.token.clone(),
            customer: ctx.customer.clone(),
            credential: flags.clone(),
            idempotency_key: key.clone(),
            order_id: order_id.clone(),
            description: input
                .description
                .clone()
                .unwrap_or_else(|| format!("{} charge", ctx.merchant.name)),
            agreement: None,
            buyer: ctx.buyer.clone(),
        };
        let plan = plan_of(&ctx, amount, flags.clone(), now);
        let merchant_id = ctx.merchant.id.0;
        let order = Order {
            new: NewAttempt {
                kind: AttemptKind::Charge,
                merchant_id: ctx.merchant.id,
                card_id: ctx.card.id,
                contract_id: None,
                occurrence: None,
                try_number: 1,
                refund_of: None,
                amount,
                credential: flags.clone(),
                idempotency_key: key,
                order_id: order_id.clone(),
                created_at: now,
                request_json: Some(request_json(&request)?),
            },
            guard: Guard::Policy(Box::new(move |_| Ok(plan))),
            sending: self.audit_event(
                Some(merchant_id),
                "charge_sending",
                String::new(),
                serde_json::json!({"amount": amount.to_string(), "order_id": order_id, "flags": flags}),
            ),
            refused: self.audit_event(
                Some(merchant_id),
                "charge_refused",
                format!("card:{}", ctx.card.id),
                serde_json::Value::Null,
            ),
        };
        let id = match self.place(order).await? {
            Placed::Refused(violations) => {
                return Ok(ChargeResult::refused(
                    &violations,
                    amount,
                    request.credential,
                ))
            }
            Placed::Existing(first) => {
                same_request(&first, ctx.card.id, Some(amount), Some(ctx.merchant.id))?;
                return Ok(ChargeResult::of(&first, true));
            }
            Placed::Taken(why) => return Err(EngineError::new(ErrorKind::Conflict, why)),
            Placed::Sending(id) => id,
        };
        let mut result = self
            .send_charge(id, provider.as_ref(), &request, &ctx.card.brand)
            .await?;
        if result.status == ChargeStatus::Declined {
            // Say exactly when the card may be tried again, from the same status the card shows.
            let (card, merchant) = (ctx.card.id, ctx.merchant.clone());
            let now = self.now();
            let status = self
                .read_store(move |store| {
                    let card = store.card(card)?;
                    Ok(crate::search::status_in(store, &card, &merchant, now)?)
                })
                .await?;
            result.next_try = Some(status.next_step);
            result.next_try_at = status.next_try_at;
        }
        Ok(result)
    }

    /// Sends a charge whose attempt is committed `sending`, and settles what the answer proves.
    pub(crate) async fn send_charge(
        &self,
        id: AttemptId,
        provider: &dyn coffer_providers::Provider,
        request: &ChargeRequest,
        brand: &coffer_core::CardBrand,
    ) -> EngineResult<ChargeResult> {
        let answer = provider.charge(request).await;
        // What the live decline says beyond its raw code (the provider's table, a network code
        // or Mastercard advice code): whether the cardholder stopped the payments.
        let stop_payment = stop_payment_of(&answer, brand);
        let (attempt, open) = self.settle_answer(id, Answer::Charge(answer)).await?;
        let mut result = ChargeResult::of(&attempt, false);
        result.stop_payment = stop_payment;
        if let Some(why) = open {
            result.message = Some(format!(
                "{why}. The outcome is unknown: reconcile asks the provider and settles it, and \
                 no new charge of this card is made until then"
            ));
        }
        Ok(result)
    }

    /// The first attempt with this key, checked to be the same request.
    async fn existing_attempt(
        &self,
        key: &IdempotencyKey,
        input: &ChargeInput,
    ) -> EngineResult<Option<ChargeAttempt>> {
        let (key, card) = (key.clone(), input.card);
        let existing = self
            .read_store(move |store| Ok(store.attempt_by_key(&key)?))
            .await?;
        match existing {
            Some(first) if first.card_id != card => Err(EngineError::new(
                ErrorKind::Conflict,
                format!(
                    "idempotency key {} was used for a charge of another card (attempt {})",
                    first.idempotency_key, first.id
                ),
            )),
            Some(first) => {
                let amount = Money::parse(&input.amount, first.amount.currency).ok();
                same_request(&first, card, amount, input.merchant)?;
                Ok(Some(first))
            }
            None => Ok(None),
        }
    }

    /// The ledger, newest first.
    pub async fn list_charges(&self, query: ChargeQuery) -> EngineResult<Vec<ChargeAttempt>> {
        let filter = coffer_store::charges::AttemptFilter {
            merchants: self.resolve_scope(query.merchants).await?,
            card: query.card,
            customer: query.customer,
            state: query.state,
            limit: query.limit,
        };
        self.read_store(move |store| Ok(store.list_attempts(&filter)?))
            .await
    }
}

/// Which ledger rows to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChargeQuery {
    /// Only these merchants.
    pub merchants: crate::scope::Scope,
    /// One card.
    pub card: Option<coffer_core::CardId>,
    /// One customer's cards.
    pub customer: Option<i64>,
    /// One state.
    pub state: Option<coffer_core::ChargeState>,
    /// At most.
    pub limit: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_ids_fit_every_provider_sort_by_time_and_differ_within_a_millisecond() {
        let ids: Vec<String> = (0..1000).map(|_| new_order_id()).collect();
        for id in &ids {
            assert_eq!(id.len(), 20, "{id}: Svea's pmt_id takes at most 20");
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()),
                "{id}"
            );
        }
        let distinct: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(
            distinct.len(),
            ids.len(),
            "made in the same milliseconds, still unique"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
        let later = new_order_id();
        assert!(
            ids.iter().all(|id| id < &later),
            "{later} sorts after every earlier id"
        );
        assert_eq!(base36::<3>(36 * 36 + 35), "10Z");
        assert_eq!(base36::<2>(36 * 36), "00", "the last digits only");
    }
}
