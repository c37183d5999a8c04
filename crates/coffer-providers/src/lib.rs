//! The four provider clients behind one [`Provider`] trait.
//!
//! The engine only ever holds a `Box<dyn Provider>` from [`connect`]; it never names a concrete
//! client. Each provider is one folder with the same files: `mod.rs` (the client, `impl
//! Provider`), `wire.rs` (request/response structs named as in the provider's docs,
//! `pub(crate)` at most), `convert.rs` (domain ⇄ wire: amounts, dates, references, flags) and
//! `errors.rs` (status and provider codes → [`ProviderErrorKind`]). Wire types never leave
//! their folder, so every value the engine sees is already in domain terms.
#![deny(missing_docs)]

pub mod endpoints;
pub mod enrollment;
pub mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod holdings;
pub mod http;
mod sandbox_page;

pub mod assist;
pub mod clover;
pub mod processout;
pub mod svea;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use coffer_core::{
    CardBrand, CardExpiry, CardToken, CustomerRef, IdempotencyKey, Merchant, Money, ProviderKind,
    ProviderRef, StoredCredential,
};
use secrecy::SecretString;

pub use enrollment::{
    EnrollmentPage, EnrollmentRequest, EnrollmentSeen, EnrollmentStarted, HostedEnrollment,
    SandboxCardholder,
};
pub use error::{ProviderError, ProviderErrorKind};
pub use holdings::{
    CardOnFile, CardRevocation, InitialFound, InitialRef, InitialSeen, Match, Revoked, Seen,
    StoredMethod,
};

/// What a provider can do, as data the engine and the UI read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// The provider can list all customers of the account (Clover, ProcessOut). Assist and Svea
    /// cannot: Coffer keeps the customer register there.
    pub lists_customers: bool,
    /// Cards are fetched per customer reference (Assist: by `CustomerNumber`).
    pub cards_by_customer: bool,
    /// The provider honours an idempotency key header; otherwise the order id makes a resend safe.
    pub idempotency_key: bool,
    /// Refunds may be partial.
    pub partial_refunds: bool,
    /// The initial cardholder-initiated transaction goes through a hosted card page (Svea).
    pub initial_needs_card_page: bool,
    /// Currencies the account may charge in; empty means any.
    pub currencies: Vec<coffer_core::Currency>,
    /// When a charge whose outcome is unknown may be sent again unchanged (DESIGN §4).
    pub resend: ResendRule,
    /// How long after a charge left the provider's lookup is trusted to show it, so that
    /// finding nothing then proves it was never created; `None` where absence never proves
    /// anything. Assist: 15 minutes (providers/assist.md §4.5 step 4, Inferred there).
    pub absence_proves_after: Option<std::time::Duration>,
    /// One sentence for the UI about what is special here.
    pub note: &'static str,
    /// Whether a saved card can be deleted at the provider ([`Provider::revoke_card`]).
    pub card_revocation: CardRevocation,
}

/// When a charge whose outcome is unknown may be sent again, byte for byte, without risking a
/// second charge. Only the provider's own guard makes a resend safe; where it has none, the
/// attempt is settled by lookup alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResendRule {
    /// The provider refuses a second payment with the same order id (Svea `pmt_id`), so the same
    /// request can go again at any time; a "duplicate" answer then means "look it up".
    SameOrderId,
    /// The provider replays the first answer to the same idempotency key with a byte-identical
    /// body (Clover, ProcessOut). The providers publish no key lifetime: `window` is Coffer's
    /// choice ([`IDEMPOTENCY_WINDOW`]), counted from when the first request left.
    SameKey {
        /// How long after the first send a resend is still trusted to be replayed.
        window: std::time::Duration,
    },
    /// Never resend: the order id is no idempotency key and a reused one may charge again
    /// (Assist, providers/assist.md §4.4). Settled by lookup only.
    Never,
}

/// How long Coffer trusts a provider to remember an idempotency key. Clover and ProcessOut
/// publish no lifetime; this is our choice, well inside the 24 h both are commonly said to keep
/// keys, and written down here as a choice, not a fact.
pub const IDEMPOTENCY_WINDOW: std::time::Duration = std::time::Duration::from_secs(12 * 3600);

/// How far before a lookup's `sent_at` a provider's records are searched: the provider's clock
/// and ours may disagree by a little, and Assist's own procedure starts ten minutes early
/// (providers/assist.md §4.5). Used by every client that searches by time.
pub(crate) const LOOKUP_MARGIN: chrono::Duration = chrono::Duration::minutes(10);

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<String>,
    /// The total count when the provider says it, for progress bars.
    pub total: Option<u64>,
}

/// A customer as the provider lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteCustomer {
    /// The provider's reference.
    pub reference: CustomerRef,
    /// Display name (may be empty).
    pub name: String,
    /// E-mail, when known.
    pub email: Option<String>,
    /// Phone, when known.
    pub phone: Option<String>,
    /// Cards, when the listing includes them; `None` means "ask [`Provider::cards_of`]".
    pub cards: Option<Vec<RemoteCard>>,
}

/// A stored card as the provider describes it: the token and display fields only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteCard {
    /// The provider's token.
    pub token: CardToken,
    /// Scheme.
    pub brand: CardBrand,
    /// Last four digits (validated by the client).
    pub last4: String,
    /// First 6–8 digits, when given.
    pub bin: Option<String>,
    /// Issuing bank, when given.
    pub bank: Option<String>,
    /// Expiry.
    pub expiry: CardExpiry,
    /// The provider still considers the card usable.
    pub active: bool,
    /// The provider says the next charge needs a CVC.
    pub needs_cvc: bool,
    /// The initial transaction the provider recorded for this card, when it tells.
    pub initial_ref: Option<ProviderRef>,
    /// The card art the provider shows for the card (an image address), when it gives one:
    /// a display field, not card data (Assist One Click `assets`/`assetData`).
    pub art_url: Option<String>,
    /// A card, or an alternative payment method saved as a token (ProcessOut APM tokens).
    /// For an APM, `brand` is the method's name, `last4` is empty and `expiry` is
    /// [`holdings::APM_NO_EXPIRY`]: a caller that only knows cards skips it by its empty last4.
    pub method: StoredMethod,
    /// The provider lets the merchant charge it without the holder present (an MIT). Each
    /// client says from which source; where no source says, the client's choice is the
    /// conservative one and is marked as such.
    pub merchant_initiated: bool,
}

/// A charge of a stored credential. Serializable so the ledger can keep it and a resend can
/// send exactly the same request again (a client builds the same body from the same request).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChargeRequest {
    /// How much.
    pub amount: Money,
    /// The stored card.
    pub card_token: CardToken,
    /// The customer owning the card (needed by ProcessOut and Assist).
    pub customer: CustomerRef,
    /// The network flags.
    pub credential: StoredCredential,
    /// Sent as `Idempotency-Key` where the provider honours one.
    pub idempotency_key: IdempotencyKey,
    /// Our order id: Assist `OrderNumber`, Svea `pmt_id` (≤20 chars), ProcessOut invoice name.
    pub order_id: String,
    /// Shown to the cardholder where the provider has a description.
    pub description: String,
    /// The recurring agreement the charge belongs to, for providers that send its terms (Assist).
    pub agreement: Option<RecurringAgreement>,
    /// The card holder's name and address, for providers whose payments carry them (Svea's
    /// compulsory buyer and delivery fields). Absent in requests kept before schema 8.
    #[serde(default)]
    pub buyer: Option<Buyer>,
}

/// The card holder as a payment's buyer (and delivery) fields carry them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Buyer {
    /// Name as the register keeps it.
    pub name: String,
    /// Street, postal code, city, country.
    pub address: coffer_core::Address,
}

/// Terms of the recurring agreement, for providers that carry them on the wire (Assist's
/// `Recurring*` parameters).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecurringAgreement {
    /// Smallest amount.
    pub min_amount: Option<Money>,
    /// Largest amount.
    pub max_amount: Option<Money>,
    /// Days between charges.
    pub period_days: Option<u32>,
    /// Last date a charge may be made.
    pub end_date: Option<chrono::NaiveDate>,
}

/// How the provider settled a charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteStatus {
    /// Approved and taken.
    Succeeded,
    /// Declined; `hard` means never retry.
    Declined {
        /// Do-not-retry decline.
        hard: bool,
        /// The provider's decline code.
        code: Option<String>,
        /// The provider's words.
        message: Option<String>,
    },
    /// The provider has it but has not decided yet.
    Pending,
}

/// A charge as the provider reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeOutcome {
    /// The provider's reference: what a refund or a lookup names.
    pub provider_ref: ProviderRef,
    /// The reference later MITs must link to, when this charge was the initial CIT (Clover
    /// `ref_num`, Assist `billnumber`); `None` otherwise.
    pub initial_ref: Option<ProviderRef>,
    /// The amount the provider recorded.
    pub amount: Money,
    /// Where it stands.
    pub status: RemoteStatus,
    /// Warnings returned with the answer (Clover `warning_message`).
    pub warnings: Vec<String>,
    /// When the provider recorded it, if it says.
    pub at: Option<DateTime<Utc>>,
}

/// How to find a charge again after an unknown outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeLookup {
    /// The key the charge was sent with.
    pub idempotency_key: IdempotencyKey,
    /// The order id it was sent with.
    pub order_id: String,
    /// The provider reference, when one came back.
    pub provider_ref: Option<ProviderRef>,
    /// The customer, where the lookup needs it.
    pub customer: CustomerRef,
    /// The card.
    pub card_token: CardToken,
    /// The amount that was asked for.
    pub amount: Money,
    /// When the request first left Coffer: lookups search from here (Assist's `orderresult`
    /// window, Clover's pages read back past it).
    pub sent_at: DateTime<Utc>,
}

/// A refund or cancellation of a made charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    /// The charge's provider reference.
    pub charge_ref: ProviderRef,
    /// The charge's order id.
    pub order_id: String,
    /// How much to return; the whole charge when equal to it.
    pub amount: Money,
    /// The original charge's amount.
    pub charge_amount: Money,
    /// A fresh key for the refund itself.
    pub idempotency_key: IdempotencyKey,
    /// Our id for the refund where the provider wants one (Svea `pmtc_…`).
    pub refund_id: String,
}

/// The result of a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundOutcome {
    /// The provider's reference of the refund.
    pub provider_ref: ProviderRef,
    /// Amount returned.
    pub amount: Money,
    /// Where the provider took the refund only on condition that the merchant first pays it
    /// the money (Svea's refund after settlement): what to pay, where. `None` for a refund the
    /// provider makes from its own funds.
    pub transfer: Option<coffer_core::RefundTransfer>,
}

/// How to find a refund again after its answer was lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundLookup {
    /// The refunded charge's provider reference.
    pub charge_ref: ProviderRef,
    /// The charge's order id.
    pub order_id: String,
    /// The charge's amount.
    pub charge_amount: Money,
    /// The amount the refund asked for.
    pub amount: Money,
    /// The id the refund was sent with ([`RefundRequest::refund_id`]).
    pub refund_id: String,
    /// When the refund request first left Coffer.
    pub sent_at: DateTime<Utc>,
}

/// What a provider can tell about the refunds of one charge. Providers differ: some name each
/// refund by the id Coffer sent, some only keep the sum, Svea only a status code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundsSeen {
    /// The provider keeps Coffer's id on each refund: this refund, if it was made.
    Exact(Option<RefundOutcome>),
    /// The sum refunded of the charge so far.
    Total(Money),
    /// Only whether none, part or all of the charge is refunded.
    Extent(RefundExtent),
}

/// How much of a charge a provider reports refunded, where it does not say the sum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundExtent {
    /// Nothing.
    None,
    /// Some, not all.
    Part,
    /// All of it.
    Whole,
}

/// An initial cardholder-initiated transaction that makes a card usable for MITs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialRequest {
    /// The customer.
    pub customer: CustomerRef,
    /// The card, when it is already tokenized (Clover, ProcessOut, Assist).
    pub card_token: Option<CardToken>,
    /// The amount of the initial charge (may be a verification amount where allowed).
    pub amount: Money,
    /// The reason later charges will give.
    pub reason: coffer_core::Reason,
    /// Our order id.
    pub order_id: String,
    /// Idempotency key.
    pub idempotency_key: IdempotencyKey,
    /// Where the card page sends the cardholder back (Svea).
    pub return_url: Option<String>,
    /// The card holder's name and address (Svea requires them on the card page's payment too).
    pub buyer: Option<Buyer>,
}

/// Where an initial transaction stands.
// One value per initial transaction, moved once: boxing the larger variant buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitialStep {
    /// Done: the card and the reference later MITs link to.
    Done(InitialOutcome),
    /// The cardholder must complete a card page; call [`Provider::finish_initial`] with what the
    /// return redirect carried.
    CardPage {
        /// The page to open.
        url: String,
        /// Our id of the pending payment (Svea `pmt_id`).
        pending_id: String,
    },
}

/// A completed initial transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialOutcome {
    /// The reference every later MIT must point to.
    pub initial_ref: ProviderRef,
    /// The charge's own reference (for refunds), when different.
    pub provider_ref: ProviderRef,
    /// The amount charged.
    pub amount: Money,
    /// The card as stored by the provider.
    pub card: RemoteCard,
    /// What the initial registered: whether merchant-initiated charges may point to it.
    pub kind: coffer_core::InitialKind,
}

/// One provider account, ready to call. Dyn-compatible through `async_trait`.
#[async_trait]
pub trait Provider: Send + Sync {
    /// Which provider.
    fn kind(&self) -> ProviderKind;

    /// What it can do.
    fn capabilities(&self) -> Capabilities;

    /// Checks the credentials with a cheap authenticated read.
    async fn check_credentials(&self) -> Result<(), ProviderError>;

    /// One page of customers, from `cursor` (`None` for the first page).
    async fn list_customers(
        &self,
        cursor: Option<String>,
        limit: u32,
    ) -> Result<Page<RemoteCustomer>, ProviderError>;

    /// The cards stored for one customer.
    async fn cards_of(&self, customer: &CustomerRef) -> Result<Vec<RemoteCard>, ProviderError>;

    /// Charges a stored credential. Only the provider's explicit refusal or decline is an
    /// error that settles the attempt (a `Declined*` kind carries the provider reference when
    /// one was made). `Unavailable` means the request provably never left. Anything that proves
    /// nothing — a 5xx, a timeout or reset after sending, a cut-off or unreadable answer, a
    /// failed answer hash, the provider's "in process" answer — is `UnknownOutcome`, or
    /// `Ok` with [`RemoteStatus::Pending`] where the answer is a well-formed charge not yet
    /// decided; each client says which in its own docs.
    async fn charge(&self, request: &ChargeRequest) -> Result<ChargeOutcome, ProviderError>;

    /// Finds a charge by its key or order id, searching from shortly before
    /// [`ChargeLookup::sent_at`] up to now. `Ok(None)` only when the provider shows no such
    /// charge in that window; a charge it has but has not decided is [`RemoteStatus::Pending`].
    /// An unreadable answer is `MalformedResponse` and an outage `Unavailable`, never `Ok(None)`.
    async fn find_charge(
        &self,
        lookup: &ChargeLookup,
    ) -> Result<Option<ChargeOutcome>, ProviderError>;

    /// Refunds or cancels a made charge, fully or partly. Sends
    /// [`RefundRequest::idempotency_key`] as `Idempotency-Key` where the provider takes one. A
    /// refund that may have been made (5xx, timeout after sending, unreadable answer) is
    /// `UnknownOutcome`, never `Unavailable`.
    async fn refund(&self, request: &RefundRequest) -> Result<RefundOutcome, ProviderError>;

    /// What the provider records of a charge's refunds, to settle a refund whose answer was
    /// lost. Only reads: it never sends the refund again.
    async fn find_refund(&self, lookup: &RefundLookup) -> Result<RefundsSeen, ProviderError>;

    /// Makes the initial cardholder-initiated transaction, or starts the card page for it.
    async fn record_initial(&self, request: &InitialRequest) -> Result<InitialStep, ProviderError>;

    /// Whether the provider keeps `token` for `customer`, with its display fields (issue 24's
    /// import check). Only reads. A provider with no such lookup answers
    /// [`CardOnFile::CannotLook`], never `Found`.
    async fn check_card_on_file(
        &self,
        customer: &CustomerRef,
        token: &CardToken,
    ) -> Result<CardOnFile, ProviderError>;

    /// Whether the imported initial transaction exists, succeeded and used the imported card,
    /// as far as the provider lets us look. Only reads. Each fact the provider's record does
    /// not carry is [`Seen::NotShown`] / [`Match::NotShown`]; a reference the provider has no
    /// lookup for is [`InitialSeen::CannotLook`].
    async fn check_initial(&self, initial: &InitialRef) -> Result<InitialSeen, ProviderError>;

    /// Deletes a saved card at the provider. Where [`Capabilities::card_revocation`] is
    /// [`CardRevocation::NotOffered`] the answer is `Unsupported` and nothing is sent. A card
    /// the provider no longer has is [`Revoked::AlreadyGone`]. Deleting is irreversible.
    async fn revoke_card(
        &self,
        customer: &CustomerRef,
        token: &CardToken,
    ) -> Result<Revoked, ProviderError>;

    /// The provider's hosted card page for the initial transaction, where it has one (Svea).
    fn card_page(&self) -> Option<&dyn CardPage> {
        None
    }

    /// Re-reading cards one by one, for a provider that has no card listing (Svea).
    fn card_refresh(&self) -> Option<&dyn CardRefresh> {
        None
    }

    /// New cards enrolled through the provider's hosted page (issue 25).
    fn hosted_enrollment(&self) -> Option<&dyn HostedEnrollment> {
        None
    }
}

/// The initial transaction through a card page the provider hosts: an optional part of a
/// [`Provider`] ([`Provider::card_page`]), so a provider without one implements nothing for it.
#[async_trait]
pub trait CardPage: Send + Sync {
    /// In sandbox mode only: fills and submits the provider's own sandbox card page with an
    /// approving test card, as a cardholder would, and returns the return redirect's query pairs
    /// for [`CardPage::finish_initial`]. Real card pages are for the cardholder alone.
    async fn fill_sandbox_card_page(
        &self,
        url: &str,
    ) -> Result<Vec<(String, String)>, ProviderError>;

    /// Completes an initial transaction after the card page redirected back with `returned`
    /// (the query parameters of the return URL).
    async fn finish_initial(
        &self,
        pending_id: &str,
        returned: &[(String, String)],
    ) -> Result<InitialOutcome, ProviderError>;
}

/// Re-reading a stored card through the provider's record of its initial transaction, for a
/// provider that has no card listing (Svea: a status query of the tokenization's `pmt_id`): an
/// optional part of a [`Provider`] ([`Provider::card_refresh`]).
#[async_trait]
pub trait CardRefresh: Send + Sync {
    /// The card as the provider now shows it; `Ok(None)` when the provider no longer knows the
    /// transaction.
    async fn refresh_card(
        &self,
        initial_ref: &ProviderRef,
        token: &CardToken,
    ) -> Result<Option<RemoteCard>, ProviderError>;
}

/// The optional parts asked through the client, so a caller needs no check of its own: a
/// provider without the part answers `Unsupported`, as before the parts were split off.
impl<'a> dyn Provider + 'a {
    /// [`CardPage::fill_sandbox_card_page`], or `Unsupported` without a card page.
    pub async fn fill_sandbox_card_page(
        &self,
        url: &str,
    ) -> Result<Vec<(String, String)>, ProviderError> {
        match self.card_page() {
            Some(page) => page.fill_sandbox_card_page(url).await,
            None => Err(ProviderError::new(
                ProviderErrorKind::Unsupported,
                format!("{} has no card page", self.kind()),
            )),
        }
    }

    /// [`CardPage::finish_initial`], or `Unsupported` without a card page.
    pub async fn finish_initial(
        &self,
        pending_id: &str,
        returned: &[(String, String)],
    ) -> Result<InitialOutcome, ProviderError> {
        match self.card_page() {
            Some(page) => page.finish_initial(pending_id, returned).await,
            None => Err(ProviderError::new(
                ProviderErrorKind::Unsupported,
                format!("{} has no card page to return from", self.kind()),
            )),
        }
    }

    /// [`CardRefresh::refresh_card`], or `Unsupported` for a provider that lists its cards.
    pub async fn refresh_card(
        &self,
        initial_ref: &ProviderRef,
        token: &CardToken,
    ) -> Result<Option<RemoteCard>, ProviderError> {
        match self.card_refresh() {
            Some(refresh) => refresh.refresh_card(initial_ref, token).await,
            None => Err(ProviderError::new(
                ProviderErrorKind::Unsupported,
                format!(
                    "{} lists its cards; there is nothing to refresh one by one",
                    self.kind()
                ),
            )),
        }
    }
}

/// How a provider's folder builds its client for a merchant account ([`Client::connect`]).
pub type Connect = fn(&Merchant, SecretString) -> Result<Box<dyn Provider>, ProviderError>;

/// What this crate knows of one provider, kept in the provider's own folder (its `CLIENT`) and
/// reached through [`client`]: how to build its client, where its servers are, and the byte-level
/// door into its answer parsing for fuzzing.
#[derive(Debug)]
pub struct Client {
    /// Builds the client for a merchant account of this provider.
    pub connect: Connect,
    /// The domains whose hosts belong to the provider: a live merchant's secret goes only there
    /// (without an override). Each cited where it was read.
    pub domains: &'static [&'static str],
    /// Its published base URLs, production and test (none where each merchant has its own host).
    pub published: &'static [endpoints::Published],
    /// Bytes into its reading of its answers; must return for any input ([`fuzzing`]).
    #[cfg(feature = "fuzzing")]
    pub fuzz_answer: fn(&[u8]),
}

/// What this crate knows of `kind`, from its folder: one line per provider, the one match on
/// the provider here (exhaustive, so the compiler points a new `ProviderKind` to it).
pub fn client(kind: ProviderKind) -> &'static Client {
    match kind {
        ProviderKind::Clover => &clover::CLIENT,
        ProviderKind::ProcessOut => &processout::CLIENT,
        ProviderKind::Assist => &assist::CLIENT,
        ProviderKind::Svea => &svea::CLIENT,
    }
}

/// Builds the client for a merchant account.
pub fn connect(
    merchant: &Merchant,
    secret: SecretString,
) -> Result<Box<dyn Provider>, ProviderError> {
    (client(merchant.provider()).connect)(merchant, secret)
}
