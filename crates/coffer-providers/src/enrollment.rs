//! A new card enrolled through the provider's hosted page: the optional
//! [`HostedEnrollment`] part of a [`Provider`](crate::Provider). The card number only ever
//! reaches the provider's own page; Coffer gets a page to open or send, and then confirms the
//! card server-side before it is saved.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use coffer_core::card::RegisteredSeries;
use coffer_core::{CustomerRef, EnrollmentMode, IdempotencyKey, Money, Reason};

use crate::{Buyer, InitialOutcome, ProviderError};

/// What the engine asks a provider to open a hosted enrollment page for. The same request is
/// built again from the stored enrollment for every later check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentRequest {
    /// Our order id for the page and its initial transaction: unique per merchant and never
    /// reused, so a lookup by it finds this enrollment and nothing else (Assist `OrderNumber`,
    /// Svea `pmt_id`, ProcessOut invoice name, Clover `external_reference_id`).
    pub order_id: String,
    /// The customer's reference at the provider, where the customer is known there already
    /// (Clover and ProcessOut customer ids, Assist `CustomerNumber`, Svea's register number).
    /// `None` for a new customer of a provider that keeps the customers (Clover, ProcessOut):
    /// the confirmation creates the provider's customer with the card (once, under
    /// `idempotency_key`) and says its reference in [`EnrollmentSeen::Confirmed`].
    pub customer: Option<CustomerRef>,
    /// The customer's name as the register keeps it.
    pub name: String,
    /// The customer's e-mail, where known.
    pub email: Option<String>,
    /// The buyer's name and address (Svea requires them on every payment).
    pub buyer: Option<Buyer>,
    /// The initial cardholder-initiated transaction's amount: zero for a verification where the
    /// provider takes one.
    pub amount: Money,
    /// What later merchant-initiated charges will be.
    pub reason: Reason,
    /// The recurring series the initial registers, where the provider carries one on the page
    /// (Assist's `RecurringMinAmount`, `RecurringMaxAmount`, `RecurringPeriod`,
    /// `RecurringMaxDate`).
    pub registered: Option<RegisteredSeries>,
    /// At the counter or through a link.
    pub mode: EnrollmentMode,
    /// Where the page sends the browser back. At the counter the app window captures it and
    /// never loads it; for a link it is the merchant's own page.
    pub return_url: String,
    /// When the enrollment expires; a page that carries its own lifetime is given this one.
    pub expires_at: DateTime<Utc>,
    /// The key of every write the confirmation makes (customer creation, the initial charge), so
    /// a repeated confirmation after a crash or a second return replays instead of charging again.
    pub idempotency_key: IdempotencyKey,
}

/// The page the cardholder completes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrollmentPage {
    /// A whole page the provider hosts: opened in an app window, or sent as a link.
    Provider {
        /// Its address (for a form-post page, an address that opens it with a plain GET).
        url: String,
    },
    /// The provider's card fields must sit in a page the merchant hosts (Clover's iframe,
    /// ProcessOut.js): this is that page, which the app serves in its own window. It loads the
    /// provider's script and fields from the provider's hosts and, once the provider answered
    /// with a token, sends the browser to the return URL with the token in the query.
    Hosted {
        /// The whole HTML document.
        html: String,
    },
}

/// A started enrollment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentStarted {
    /// What the cardholder completes.
    pub page: EnrollmentPage,
    /// The provider's reference of what was opened, where it gives one (Svea `pmt_id`, a
    /// ProcessOut invoice id): kept with the enrollment and passed back to every check.
    pub pending_ref: Option<String>,
}

/// What the provider's own records say of an enrollment.
// One value per check, moved once: boxing the larger variant buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrollmentSeen {
    /// The provider holds the card and its initial transaction succeeded: it may be saved as
    /// MIT-ready.
    Confirmed {
        /// The initial transaction and the card as the provider stores it.
        outcome: InitialOutcome,
        /// The recurring series the provider registered with it, where it shows one.
        registered: Option<RegisteredSeries>,
        /// The provider's customer the card was saved under, when the confirmation created it
        /// (`request.customer` was `None`: a new customer of Clover or ProcessOut).
        customer: Option<CustomerRef>,
    },
    /// Nothing final yet: the cardholder has not completed the page, or the provider is still
    /// deciding.
    Waiting,
    /// The provider shows the page completed and paid, but the card's reference reaches Coffer
    /// only with the browser's return, which has not come (Svea masks `pmtq_token` in its status
    /// query). The enrollment must not expire: the owner pastes the return the cardholder's
    /// browser landed on, or cancels.
    AwaitingReturn {
        /// What is missing, for the owner.
        why: String,
    },
    /// It ended without a usable card: declined, cancelled, or not registered for later charges.
    Failed {
        /// Why, in the provider's words where it gave some.
        reason: String,
    },
}

/// The enrollment through a provider's hosted page: an optional part of a
/// [`Provider`](crate::Provider) ([`Provider::hosted_enrollment`](crate::Provider::hosted_enrollment)).
#[async_trait]
pub trait HostedEnrollment: Send + Sync {
    /// Opens the page: registers the order or session at the provider where it must exist first,
    /// and says what the cardholder completes.
    async fn start_enrollment(
        &self,
        request: &EnrollmentRequest,
    ) -> Result<EnrollmentStarted, ProviderError>;

    /// Confirms server-side what happened. `returned` is what the return carried, where one
    /// came (a hint the cardholder's browser could forge: only what the provider answers to our
    /// own request counts); `None` for a check without a return (a link, a retry). May write
    /// where the page only made a token (Clover, ProcessOut: the customer and the initial
    /// charge), always with [`EnrollmentRequest::idempotency_key`]. Must never confirm what the
    /// provider did not show for this very order.
    async fn confirm_enrollment(
        &self,
        request: &EnrollmentRequest,
        pending_ref: Option<&str>,
        returned: Option<&[(String, String)]>,
    ) -> Result<EnrollmentSeen, ProviderError>;

    /// Sandbox merchants only: completes the sandbox's own page as a cardholder's browser would,
    /// choosing `card` among the page's test cards (never typing a number Coffer holds), and
    /// returns the query pairs of the return the page sent the browser to. Refused
    /// (`Unsupported`) for a live merchant: real pages are for the cardholder alone.
    async fn fill_sandbox_page(
        &self,
        page: &EnrollmentPage,
        card: &SandboxCardholder,
    ) -> Result<Vec<(String, String)>, ProviderError>;
}

/// What a sandbox cardholder does on the sandbox's enrollment page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxCardholder {
    /// The page's test-card choice: `approve`, `decline` (a hard decline) or `fail_3ds`
    /// (3-D Secure fails); on ProcessOut's page also `paypal` (its PayPal button, then Approve,
    /// or Cancel with `cancel`).
    pub test_card: String,
    /// Presses "Cancel" instead of paying.
    pub cancel: bool,
}

impl SandboxCardholder {
    /// The approving test card.
    pub fn approving() -> SandboxCardholder {
        SandboxCardholder {
            test_card: "approve".into(),
            cancel: false,
        }
    }
}

/// Text for a page Coffer hosts ([`EnrollmentPage::Hosted`]): `&`, `<`, `>`, `"` and `'`
/// escaped, so it is inert in content and attributes.
pub(crate) fn hosted_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// JSON to sit inside a `<script>` element: `<`, `>` and `&` as `\u` escapes, so no `</script>`
/// or comment opener can appear in it, whatever the strings hold.
pub(crate) fn script_json(value: &serde_json::Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}
