//! What Coffer knows of each provider, in one place: its own contract checks, the facts its
//! charge rules ask (which policy rules are its own, which cap its initial transaction
//! registers, whether it wants an advance notice), its static [`Capabilities`] and its account's
//! identifiers. One module per provider, registered by one line of the `providers!` list below,
//! which makes [`ProviderKind`], [`ProviderAccount`] and [`rules`] from those lines; core,
//! engine, CLI and UI ask this table instead of comparing provider names (DESIGN §5).

pub mod assist;
pub mod clover;
pub mod processout;
pub mod svea;

use serde::{Deserialize, Serialize};

use crate::contract::{Contract, NewContractTerms};
use crate::error::InvalidInput;
use crate::money::{Currency, Money};
use crate::violation::RuleId;

/// What differs by provider and is known without asking it: what the app offers and asks for.
/// Exported to the UI through the bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Capabilities {
    /// The provider lists the account's customers (a sync pulls them). Otherwise Coffer keeps
    /// the location's customer register and customers are added by hand.
    pub lists_customers: bool,
    /// The initial cardholder-initiated transaction goes through the provider's hosted card page.
    pub hosted_card_page: bool,
    /// Every payment carries the buyer's postal address, so a customer needs one on record.
    pub needs_buyer_address: bool,
    /// A live account lives in one of the provider's regions (Clover).
    pub has_regions: bool,
    /// A live account has a server name of its own, given by the provider (Assist).
    pub own_host: bool,
    /// The cardholder must be told before every recurring charge, so a live merchant's notice
    /// lead cannot be 0 days.
    pub advance_notice_required: bool,
    /// The merchant can delete a saved card at the provider (Clover source delete, ProcessOut
    /// token delete); elsewhere Coffer can only stop using it. The client's
    /// `Capabilities::card_revocation` says the same (a test holds them together).
    pub deletes_saved_cards: bool,
    /// Where its hosted enrollment page can be used: at the counter only, or also as a link.
    pub enrollment: crate::enrollment::EnrollmentReach,
}

/// The cap one charge may not pass without a new initial transaction, as the provider keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisteredCap {
    /// The contract's original amount (the card's first payment): Svea.
    OriginalAmount {
        /// The provider's name for it, as the refusal says it.
        name: &'static str,
    },
    /// The maximum registered on the initial order ([`Contract::registered_max`]): Assist.
    RegisteredMax {
        /// The provider's name for it, as the refusal says it.
        name: &'static str,
    },
}

/// One identifier of a provider account, as the settings form asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AccountField {
    /// Its key in the account (the JSON name of the `ProviderAccount` field).
    pub key: &'static str,
    /// The label the form shows.
    pub label: &'static str,
    /// Whether the form requires it.
    pub required: bool,
    /// What a new account starts with.
    pub default: &'static str,
}

/// The inputs of a provider's own contract checks.
#[derive(Debug, Clone, Copy)]
pub struct TermsCheck<'a> {
    /// The terms as given.
    pub terms: &'a NewContractTerms,
    /// The original amount: given in the terms or the card's initial transaction's.
    pub original: Option<Money>,
    /// The contract's currency.
    pub currency: Currency,
    /// A new contract (a change of terms may rise above the registered cap: `terms_consented`
    /// holds its charges until a new initial transaction).
    pub new: bool,
    /// The series the card's initial registered with the provider, where known.
    pub registered: Option<&'a crate::card::RegisteredSeries>,
}

/// Everything core knows of one provider.
#[derive(Debug)]
pub struct ProviderRules {
    /// Which provider.
    pub kind: ProviderKind,
    /// Its name as people write it.
    pub label: &'static str,
    /// What the app offers and asks for.
    pub capabilities: Capabilities,
    /// The identifiers of its account, in the order the form shows them.
    pub account_fields: &'static [AccountField],
    /// The policy rules that apply to this provider alone.
    pub own_rules: &'static [RuleId],
    /// Rules for every provider that this one replaces with its own rule on the same concern, so
    /// one problem is not reported twice.
    pub replaced_rules: &'static [RuleId],
    /// The cap its initial transaction registers, if any.
    pub registered_cap: Option<RegisteredCap>,
    /// The provider's names for a contract's amount range, where it registers them.
    pub amount_range_names: Option<&'static str>,
    /// The first scheduled charge must come at least one period after the card's initial
    /// transaction (Assist counts the period from it).
    pub first_charge_after_one_period: bool,
    /// Its own checks of a contract's terms, beyond the ones every provider shares.
    pub check_terms: fn(&TermsCheck<'_>) -> Vec<InvalidInput>,
    /// The request rate and concurrency it allows one credential, where it publishes them; a
    /// run paces itself under them instead of spending requests on 429s.
    pub rate_limit: Option<RateLimit>,
}

/// A provider's published limit on one credential's requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests per second.
    pub per_second: u32,
    /// Requests in flight at once.
    pub concurrent: u32,
}

impl RateLimit {
    /// The pace Coffer keeps under the limit: a request arriving a little early over the
    /// network would otherwise make one second hold one request too many (about 94% of it).
    pub fn pace_per_second(&self) -> f64 {
        f64::from(self.per_second) * PACE_SHARE
    }
}

/// The share of a published rate a run uses.
const PACE_SHARE: f64 = 0.94;

impl ProviderRules {
    /// The cap `contract` may not pass without a new initial transaction, and its name.
    pub fn registered_cap_of(&self, contract: &Contract) -> Option<(Money, &'static str)> {
        match self.registered_cap? {
            RegisteredCap::OriginalAmount { name } => contract.original_amount.map(|m| (m, name)),
            RegisteredCap::RegisteredMax { name } => contract.registered_max.map(|m| (m, name)),
        }
    }
}

/// The provider's own identifiers of an account (its module's account type, one variant of
/// [`ProviderAccount`]).
pub trait AccountIds {
    /// The provider's main account id, for display.
    fn account_id(&self) -> &str;
    /// Checks the ids are present and shaped as the provider documents them.
    fn validate(&self) -> Result<(), InvalidInput>;
}

/// Makes the provider list from one line per provider, `Kind(module::Account)` under the doc
/// comment of its [`ProviderKind`] variant, where `module` is the provider's module beside this
/// one (its `RULES` and its account type): the variant of [`ProviderKind`] (named `module` in
/// the CLI, the database, JSON and `embedded:` URLs, as are the provider's client and emulator
/// folders), its place in [`ProviderKind::ALL`], the variant of [`ProviderAccount`] holding its
/// account type, and its arm of [`rules`]. (The modules are declared above, outside the macro,
/// so that rustfmt still reaches their files.)
macro_rules! providers {
    ($($(#[doc = $doc:literal])+ $kind:ident($module:ident::$account:ident),)+) => {
        /// The payment providers Coffer talks to, one line each in `core/providers/mod.rs`
        /// (ARCHITECTURE.md, "Adding a provider"); exhaustive matches find the rest.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        #[serde(rename_all = "snake_case")]
        pub enum ProviderKind {
            $($(#[doc = $doc])+ $kind,)+
        }

        const KINDS: &[ProviderKind] = &[$(ProviderKind::$kind),+];

        impl ProviderKind {
            /// Every provider, in a stable order; test batteries iterate it.
            pub const ALL: [ProviderKind; KINDS.len()] = [$(ProviderKind::$kind),+];

            /// The lower-case name used in the CLI, the database and JSON: its module's name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ProviderKind::$kind => stringify!($module),)+
                }
            }
        }

        /// The provider's own identifiers of the account. The one secret that goes with them
        /// (access token, project secret, password, secret key) lives in the OS keyring, never
        /// here.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        #[serde(tag = "provider", rename_all = "snake_case")]
        pub enum ProviderAccount {
            $($(#[doc = $doc])+ $kind($module::$account),)+
        }

        impl ProviderAccount {
            /// Which provider the account belongs to.
            pub fn kind(&self) -> ProviderKind {
                match self {
                    $(ProviderAccount::$kind(_) => ProviderKind::$kind,)+
                }
            }

            /// The account's identifiers, as its provider's module reads them.
            pub fn ids(&self) -> &dyn AccountIds {
                match self {
                    $(ProviderAccount::$kind(account) => account,)+
                }
            }
        }

        /// Each provider's account type, re-exported at the crate's root.
        pub mod accounts {
            $(pub use super::$module::$account;)+
        }

        /// The rules of `kind`, from its module.
        pub fn rules(kind: ProviderKind) -> &'static ProviderRules {
            match kind {
                $(ProviderKind::$kind => &$module::RULES,)+
            }
        }
    };
}

providers! {
    /// Clover Ecommerce (Fiserv).
    Clover(clover::CloverAccount),
    /// ProcessOut.
    ProcessOut(processout::ProcessOutAccount),
    /// IPS Assist (Belarus / Russia).
    Assist(assist::AssistAccount),
    /// Svea Payments (Finland), formerly Maksuturva.
    Svea(svea::SveaAccount),
}

/// A provider's facts as the UI gets them (through the bindings), one row per provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ProviderFacts {
    /// The provider, as accounts and views name it.
    pub provider: ProviderKind,
    /// The lower-case name of the CLI, the database and `embedded:` URLs.
    pub name: &'static str,
    /// Its name as people write it.
    pub label: &'static str,
    /// What the app offers and asks for.
    pub capabilities: Capabilities,
    /// The identifiers of its account, in the order the form shows them.
    pub account_fields: &'static [AccountField],
}

/// Every provider's facts, in [`ProviderKind::ALL`] order.
pub fn facts() -> Vec<ProviderFacts> {
    ProviderKind::ALL
        .into_iter()
        .map(|kind| {
            let rules = rules(kind);
            ProviderFacts {
                provider: kind,
                name: kind.as_str(),
                label: rules.label,
                capabilities: rules.capabilities,
                account_fields: rules.account_fields,
            }
        })
        .collect()
}

/// The labels of the providers whose capabilities pass `wanted`, as a sentence names them
/// ("Clover", "Assist and Svea", "A, B and C"), for messages that say who offers what.
pub fn labels_where(wanted: impl Fn(&Capabilities) -> bool) -> String {
    let labels: Vec<&str> = ProviderKind::ALL
        .into_iter()
        .map(rules)
        .filter(|r| wanted(&r.capabilities))
        .map(|r| r.label)
        .collect();
    match labels.split_last() {
        None => String::from("no provider"),
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// An identifier that must not be empty.
pub(crate) fn non_empty(field: &str, value: &str) -> Result<(), InvalidInput> {
    if value.trim().is_empty() {
        Err(InvalidInput::new(field, "must not be empty"))
    } else {
        Ok(())
    }
}

/// No checks beyond the shared ones.
pub(crate) fn no_terms_checks(_: &TermsCheck<'_>) -> Vec<InvalidInput> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_provider_has_its_own_rules_entry() {
        for kind in ProviderKind::ALL {
            assert_eq!(
                rules(kind).kind,
                kind,
                "{kind}: rules() returns another provider's entry"
            );
            assert!(
                !rules(kind).account_fields.is_empty(),
                "{kind}: an account needs at least one identifier"
            );
        }
        assert_eq!(
            facts().len(),
            ProviderKind::ALL.len(),
            "one UI row per provider"
        );
    }

    #[test]
    fn a_provider_s_own_rules_are_no_shared_rules_it_replaces() {
        for kind in ProviderKind::ALL {
            let rules = rules(kind);
            for id in rules.replaced_rules {
                assert!(
                    !rules.own_rules.contains(id),
                    "{kind}: {id} is both own and replaced"
                );
            }
        }
    }

    #[test]
    fn labels_read_as_a_sentence() {
        assert_eq!(labels_where(|c| !c.lists_customers), "Assist and Svea");
        assert_eq!(labels_where(|c| c.has_regions), "Clover");
        assert_eq!(
            labels_where(|_| true),
            "Clover, ProcessOut, Assist and Svea"
        );
        assert_eq!(labels_where(|_| false), "no provider");
    }

    #[test]
    fn a_provider_without_a_customer_list_keeps_the_register_and_the_others_do_not() {
        // Today's split, pinned: Clover and ProcessOut list customers; Assist and Svea do not.
        let keeps: Vec<ProviderKind> = ProviderKind::ALL
            .into_iter()
            .filter(|k| !rules(*k).capabilities.lists_customers)
            .collect();
        assert_eq!(keeps, vec![ProviderKind::Assist, ProviderKind::Svea]);
    }
}
