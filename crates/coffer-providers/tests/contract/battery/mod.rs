//! The contract battery: the behaviours every provider client must show, written once and run
//! against each provider's sandbox (Hyperswitch's `ConnectorActions` is the model). A provider
//! takes part by implementing [`Harness`] in its own file: how to start its sandbox, how to get
//! a card that behaves a given way, and the facts that are its own (its decline codes, the
//! field an invalid request names, how its lookups settle a timeout). The bodies here hold
//! the assertions; [`battery!`] instantiates each one per provider, so a failure names both
//! (`battery::svea::declines_come_back_hard_or_soft_with_the_providers_code`).
//!
//! What only one provider does (Svea's monthly limit, Assist's recurring bounds, Clover's
//! ecomind, the card page…) stays in that provider's file.

// Generic bodies instantiated per provider: a failed setup should panic like the test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub(crate) mod answers;
pub(crate) mod credentials;
pub(crate) mod declines;
pub(crate) mod published;
pub(crate) mod refunds;
pub(crate) mod requests;

use coffer_core::policy::network_limits::DeclineMeaning;
use coffer_core::{Currency, ProviderKind, ProviderRef};
use coffer_providers::http::HttpPolicy;
use coffer_providers::{ChargeLookup, ChargeRequest, Provider, ProviderErrorKind, ResendRule};
use coffer_sandbox::seed::CardBehaviour;
use serde_json::Value;

/// One provider's way into the battery. Implemented in the provider's own test file, next to
/// the fixture its own tests use.
pub(crate) trait Harness: Sized {
    /// The provider's name in the sandbox's admin ledger (`/charges?provider=`).
    const LEDGER: &'static str;

    /// A fresh sandbox with the provider's seeded merchant; each test starts its own.
    async fn start() -> Self;

    /// The sandbox's admin API base URL (fault knobs, ledger).
    fn admin(&self) -> String;

    /// The merchant's client, as the engine gets it from `connect`.
    fn client(&self) -> Box<dyn Provider>;

    /// The merchant's client with its own HTTP policy (short timeouts, one try).
    fn client_with_policy(&self, policy: HttpPolicy) -> Box<dyn Provider>;

    /// The merchant's client holding `secret` instead of its own.
    fn client_with_secret(&self, secret: &str) -> Box<dyn Provider>;

    /// The merchant's client talking to `base_url` (a published-example stand-in).
    fn client_at(&self, base_url: &str) -> Box<dyn Provider>;

    /// The merchant's own secret, which no message may show.
    fn secret(&self) -> String;

    /// A charge of the `nth` seeded card that behaves as `behaviour`, sent under `key` (the
    /// order id is derived from it). Keys are short: Svea's `pmt_id` takes 20 characters.
    async fn charge_request(
        &self,
        behaviour: CardBehaviour,
        nth: usize,
        key: &str,
    ) -> ChargeRequest;

    /// Requests the provider refuses for one named field, made from a `valid` one.
    fn invalid_requests(&self, valid: &ChargeRequest) -> Vec<(ChargeRequest, Refusal)>;

    /// What is the provider's own in the shared behaviours.
    fn facts() -> Facts;

    /// Published status answers and their readings.
    fn published_readings() -> Vec<published::Reading> {
        Vec::new()
    }

    /// Published decline answers to a charge.
    fn published_declines() -> Vec<published::Refused> {
        Vec::new()
    }

    /// Published refusals of credentials or of a field.
    fn published_refusals() -> Vec<published::Refused> {
        Vec::new()
    }
}

/// The provider's own answers to the battery's questions.
pub(crate) struct Facts {
    /// Which provider the client says it is.
    pub kind: ProviderKind,
    /// A secret that is not the merchant's.
    pub wrong_secret: &'static str,
    /// The provider's code for refused credentials, where the sandbox gives one.
    pub auth_code: Option<&'static str>,
    /// What `capabilities()` must say.
    pub capabilities: Capabilities,
    /// The shared test cards' declines: soft, hard, expired.
    pub declines: Vec<Decline>,
    /// The provider's reference is our order id (Svea's `pmt_id`), so it is known even when
    /// no answer came.
    pub reference_is_order_id: bool,
    /// A charge is two writes (ProcessOut: the invoice, then its capture), so a first answer
    /// lost to a client that may not resend leaves the charge pending, not made.
    pub two_step_charge: bool,
    /// What a lookup of the timeout card's charge ends at.
    pub timeout_settles: Settles,
    /// How a refund of more than is left is refused.
    pub refund_over: Refusal,
    /// How a refund of a wholly refunded charge is refused.
    pub refund_after_whole: Refusal,
    /// What `find_refund` can tell.
    pub refunds_seen: Seen,
    /// The same refund sent again under its key is answered with the first refund.
    pub refund_key_replayed: bool,
    /// How the provider's refund references begin, where they have a fixed prefix.
    pub refund_ref_prefix: Option<&'static str>,
    /// A charge reference the provider has never made.
    pub unknown_charge_ref: &'static str,
}

/// The capabilities a provider's client must report.
pub(crate) struct Capabilities {
    pub lists_customers: bool,
    pub cards_by_customer: bool,
    pub idempotency_key: bool,
    pub partial_refunds: bool,
    pub initial_needs_card_page: bool,
    pub currencies: Vec<Currency>,
    pub resend: ResendRule,
}

/// One shared test card's decline, as the provider answers it.
pub(crate) struct Decline {
    /// The seeded card.
    pub behaviour: CardBehaviour,
    /// `DeclinedSoft` or `DeclinedHard`.
    pub kind: ProviderErrorKind,
    /// The provider's own code.
    pub code: &'static str,
    /// The provider's decline table row for the code (its `errors.rs`).
    pub reading: DeclineMeaning,
    /// The networks' rules forbid any retry of the card on Visa.
    pub never_retried_on_visa: bool,
}

/// How a request is refused: `InvalidRequest`, naming `field` where given.
pub(crate) struct Refusal {
    /// `Some`: the field the refusal must name; `None`: any (or none).
    pub field: Option<&'static str>,
    /// The provider's code, where the sandbox answers one.
    pub code: Option<&'static str>,
}

/// Where a lookup of the timeout card's charge ends.
pub(crate) enum Settles {
    /// The provider shows no such charge.
    Absent,
    /// The provider has it undecided (ProcessOut: the invoice without a capture).
    Pending,
    /// The provider declined it after the client gave up.
    Declined { hard: bool, code: &'static str },
}

/// Which [`coffer_providers::RefundsSeen`] a provider answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen {
    /// Each refund by the id we sent (Clover, ProcessOut).
    Exact,
    /// The sum refunded (Assist).
    Total,
    /// None, part or all (Svea).
    Extent,
}

/// A lookup of `request`, sent a little while ago.
pub(crate) fn lookup(request: &ChargeRequest, provider_ref: Option<ProviderRef>) -> ChargeLookup {
    ChargeLookup {
        sent_at: chrono::Utc::now() - chrono::Duration::minutes(5),
        idempotency_key: request.idempotency_key.clone(),
        order_id: request.order_id.clone(),
        provider_ref,
        customer: request.customer.clone(),
        card_token: request.card_token.clone(),
        amount: request.amount,
    }
}

/// Sets the sandbox's fault knobs.
pub(crate) async fn faults<H: Harness>(h: &H, knobs: Value) {
    let response = reqwest::Client::new()
        .put(format!("{}/faults", h.admin()))
        .json(&knobs)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "the knobs {knobs} are set");
}

/// Every payment the sandbox processed for the provider.
pub(crate) async fn ledger<H: Harness>(h: &H) -> Vec<Value> {
    reqwest::get(format!("{}/charges?provider={}", h.admin(), H::LEDGER))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The charges the ledger holds for `request`: by its key where the provider got one, else by
/// its order id (Clover fits a long order id to 12 characters, so the key finds it there).
pub(crate) fn charges_of<'a>(ledger: &'a [Value], request: &ChargeRequest) -> Vec<&'a Value> {
    ledger
        .iter()
        .filter(|row| row["kind"] == "charge")
        .filter(|row| {
            row["idempotency_key"] == request.idempotency_key.as_str()
                || row["order_id"] == request.order_id.as_str()
        })
        .collect()
}

/// Asserts `error` is the refusal `expected`.
pub(crate) fn assert_refused(
    what: &str,
    error: &coffer_providers::ProviderError,
    expected: &Refusal,
) {
    match (&error.kind, expected.field) {
        (ProviderErrorKind::InvalidRequest { field }, Some(named)) => assert_eq!(
            field.as_deref(),
            Some(named),
            "{what}: the refusal names the field: {error}"
        ),
        (ProviderErrorKind::InvalidRequest { .. }, None) => {}
        (other, _) => panic!("{what}: an invalid request, not {other:?}: {error}"),
    }
    if let Some(code) = expected.code {
        assert_eq!(
            error.provider_code.as_deref(),
            Some(code),
            "{what}: the provider's code is kept"
        );
    }
}

/// Instantiates every battery test for one provider's harness, each under the provider's name;
/// after `published:`, the published-example tests whose stand-ins that provider has.
macro_rules! battery {
    ($provider:ident, $harness:ty $(, published: [$($published:ident),* $(,)?])?) => {
        pub(crate) mod $provider {
            battery!(@test $harness, credentials, credentials_are_accepted_and_another_secret_is_refused);
            battery!(@test $harness, credentials, capabilities_say_what_the_provider_can_do);
            battery!(@test $harness, declines, declines_come_back_hard_or_soft_with_the_providers_code);
            battery!(@test $harness, declines, declines_carry_their_table_reading_and_move_no_money);
            battery!(@test $harness, requests, an_invalid_field_is_an_invalid_request_naming_it);
            battery!(@test $harness, requests, a_reused_id_with_another_body_is_a_duplicate_and_a_resend_charges_once);
            battery!(@test $harness, requests, a_lookup_of_an_order_never_sent_is_none);
            battery!(@test $harness, answers, a_rate_limited_write_is_returned_at_once_and_a_read_waits);
            battery!(@test $harness, answers, an_outage_is_unavailable_to_a_read_and_an_unknown_outcome_to_a_charge);
            battery!(@test $harness, answers, a_lost_answer_is_an_unknown_outcome_that_lookup_resolves_once);
            battery!(@test $harness, answers, a_dropped_answer_is_resent_where_safe_and_otherwise_looked_up);
            battery!(@test $harness, answers, the_timeout_card_is_an_unknown_outcome_and_settles_as_the_provider_says);
            battery!(@test $harness, refunds, refunds_part_then_the_rest_then_refuse_more);
            $($(battery!(@test $harness, published, $published);)*)?
        }
    };
    (@test $harness:ty, $module:ident, $name:ident) => {
        #[tokio::test]
        async fn $name() {
            super::$module::$name::<$harness>().await;
        }
    };
}

// Published examples: Clover's corpus has a charge answer but no decline or error answer;
// Assist's only order answer is JSON, which its client (asking for XML) never reads, and it has
// no published decline; Svea publishes status answers only.
battery!(clover, crate::clover::Env, published: [
    published_status_answers_are_read_into_their_status,
]);
battery!(processout, crate::processout::Rig, published: [
    published_status_answers_are_read_into_their_status,
    published_declines_are_declines_with_their_code,
    published_refusals_are_read_into_their_kind_and_code,
]);
battery!(assist, crate::assist::Fixture, published: [
    published_refusals_are_read_into_their_kind_and_code,
]);
battery!(svea, crate::svea::Setup, published: [
    published_status_answers_are_read_into_their_status,
]);
