//! Coffer's domain, without I/O.
//!
//! The vocabulary, as the card networks and providers use it:
//! - **card on file / stored credential**: a card the cardholder let the merchant keep, known to
//!   Coffer only by the provider's token and its display fields (brand, last4, BIN, expiry);
//! - **CIT / MIT**: cardholder- or merchant-initiated transaction; an MIT needs the cardholder's
//!   consent and must point to the **initial** CIT (its provider reference: Clover `ref_num`,
//!   Svea `pmt_id`, Assist `billnumber`, ProcessOut transaction id);
//! - **sequence** (initial | subsequent), **initiator** (cardholder | merchant), **reason**
//!   (recurring | installment | unscheduled) and **scheduled**: the [`StoredCredential`] flags;
//! - **contract** and **occurrence**: a recurring agreement and one of its due charges;
//! - **attempt**: one row of the charge ledger, which moves planned → sending → settled.
//!
//! Money is integer minor units ([`Money`]); time is passed in ([`clock::Clock`]).
//!
//! Before any charge, [`policy::check`] judges a [`ChargePlan`] against the rules and returns
//! every [`Violation`]; [`schedule`] turns a contract into numbered, merchant-local due dates.
#![deny(missing_docs)]

pub mod audit;
pub mod base_url;
pub mod card;
pub mod charge;
pub mod clock;
pub mod contract;
pub mod contract_check;
pub mod customer;
pub mod enrollment;
pub mod error;
pub mod free_text;
pub mod ids;
pub mod merchant;
pub mod money;
pub mod notice;
pub mod policy;
pub mod providers;
pub mod schedule;
pub mod stored_credential;
pub mod violation;

pub use base_url::BaseUrl;
pub use card::{
    Bin, Card, CardBrand, CardExpiry, CardUse, Consent, InitialKind, InitialTransaction, Last4,
    PaymentMethod, RegisteredSeries,
};
pub use charge::{
    AttemptKind, ChargeAttempt, ChargePlan, ChargeState, ContractCharge, MerchantTerms,
    NoticeRecord, RefundTransfer, Trigger,
};
pub use contract::NewContractTerms;
pub use contract_check::{validate_contract, validate_contract_change};
pub use customer::{Address, Customer};
pub use enrollment::{Enrollment, EnrollmentMode, EnrollmentReach, EnrollmentState, NewCustomer};
pub use error::InvalidInput;
pub use ids::*;
pub use merchant::{
    CloverRegion, Endpoint, Environment, HostOverride, Merchant, ProviderAccount, ProviderKind,
    SecretRef, Stage,
};
pub use money::{Currency, Money, MoneyError};
pub use notice::NoticeKind;
pub use policy::{History, PastAttempt, RuleId, Violation};
pub use providers::accounts::*;
pub use schedule::{due_instant, notice_deadline, occurrences};
pub use stored_credential::{Initiator, Reason, Sequence, StoredCredential};
