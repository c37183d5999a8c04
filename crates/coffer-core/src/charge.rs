//! The charge ledger's state machine (DESIGN §4). `sending` is committed before the request
//! leaves, so a crash or a timeout leaves a row that `reconcile` settles by asking the provider,
//! and a settled row never changes again.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::card::Card;
use crate::contract::{Contract, Occurrence};
use crate::error::InvalidInput;
use crate::ids::{AttemptId, CardId, ContractId, IdempotencyKey, MerchantId, ProviderRef};
use crate::merchant::{Merchant, ProviderKind};
use crate::money::{Currency, Money};
use crate::stored_credential::StoredCredential;

/// Where one attempt to move money stands.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargeState {
    /// Policy passed and the row exists; nothing sent yet.
    Planned,
    /// Committed before the request left; the outcome is not known yet.
    Sending,
    /// The provider took the money.
    Succeeded,
    /// The provider or issuer declined.
    Declined,
    /// The request failed without moving money (bad request, auth, provider error).
    Failed,
    /// A refund the provider took that waits for the merchant's own bank transfer (Svea's refund
    /// after settlement: the money was already paid out to the merchant, so Svea refunds the
    /// cardholder only once the merchant pays it back). The ledger row is `succeeded` (final at
    /// the provider); this state comes from its open [`RefundTransfer`], and becomes
    /// `succeeded` when the owner records the transfer made.
    AwaitingTransfer,
}

impl ChargeState {
    /// Every state.
    pub const ALL: [ChargeState; 6] = [
        ChargeState::Planned,
        ChargeState::Sending,
        ChargeState::Succeeded,
        ChargeState::Declined,
        ChargeState::Failed,
        ChargeState::AwaitingTransfer,
    ];

    /// The storage and JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChargeState::Planned => "planned",
            ChargeState::Sending => "sending",
            ChargeState::Succeeded => "succeeded",
            ChargeState::Declined => "declined",
            ChargeState::Failed => "failed",
            ChargeState::AwaitingTransfer => "awaiting_transfer",
        }
    }

    /// A settled attempt is final at the provider: nothing rewrites its ledger row, and
    /// reconcile never asks about it. A refund awaiting the merchant's transfer is settled so:
    /// only the transfer record moves it on.
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            ChargeState::Succeeded
                | ChargeState::Declined
                | ChargeState::Failed
                | ChargeState::AwaitingTransfer
        )
    }

    /// The legal moves: planned → sending → settled, and planned → failed when the attempt is
    /// abandoned before anything was sent. Nothing leaves a settled state.
    pub fn can_move_to(self, next: ChargeState) -> bool {
        matches!(
            (self, next),
            (ChargeState::Planned, ChargeState::Sending)
                | (ChargeState::Planned, ChargeState::Failed)
                | (ChargeState::Sending, ChargeState::Succeeded)
                | (ChargeState::Sending, ChargeState::Declined)
                | (ChargeState::Sending, ChargeState::Failed)
                | (ChargeState::Sending, ChargeState::AwaitingTransfer)
        )
    }

    /// The one move after settling: a refund's transfer recorded as made.
    pub fn can_finish_transfer(self, next: ChargeState) -> bool {
        self == ChargeState::AwaitingTransfer && next == ChargeState::Succeeded
    }
}

impl fmt::Display for ChargeState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChargeState {
    type Err = InvalidInput;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChargeState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| InvalidInput::new("status", format!("'{s}' is not a charge state")))
    }
}

/// A charge or a refund.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptKind {
    /// Money from the cardholder to the merchant.
    Charge,
    /// Money back, pointing at the original charge.
    Refund,
}

/// One ledger row.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargeAttempt {
    /// Ledger id.
    pub id: AttemptId,
    /// Charge or refund.
    pub kind: AttemptKind,
    /// The merchant account the money moves under.
    pub merchant_id: MerchantId,
    /// The stored card.
    pub card_id: CardId,
    /// The contract, for a scheduled charge.
    pub contract_id: Option<ContractId>,
    /// The contract's occurrence number, unique with the contract.
    pub occurrence: Option<u32>,
    /// For a refund: the charge it returns money of.
    pub refund_of: Option<AttemptId>,
    /// How much.
    pub amount: Money,
    /// The stored-credential flags sent.
    pub credential: StoredCredential,
    /// The key every resend carries.
    pub idempotency_key: IdempotencyKey,
    /// The order id sent where the provider uses one (Assist `OrderNumber`, Svea `pmt_id`).
    pub order_id: String,
    /// Where the attempt stands (a refund with an open [`RefundTransfer`] reads
    /// [`ChargeState::AwaitingTransfer`]).
    pub state: ChargeState,
    /// The provider's reference once known.
    pub provider_ref: Option<ProviderRef>,
    /// The provider's decline or error code.
    pub decline_code: Option<String>,
    /// `true` when the provider said never to retry this card.
    pub hard_decline: bool,
    /// The provider's message, or ours.
    pub message: Option<String>,
    /// Warnings the provider returned with an otherwise successful answer.
    pub warnings: Vec<String>,
    /// When the row was written.
    pub created_at: DateTime<Utc>,
    /// When the row settled.
    pub settled_at: Option<DateTime<Utc>>,
    /// When the request first left Coffer; `None` while it never left. Lookups search from here,
    /// and a resend's idempotency window counts from here.
    #[serde(default)]
    pub sent_at: Option<DateTime<Utc>>,
    /// Who settled it by hand, when no provider record could (DESIGN §4); `None` otherwise.
    #[serde(default)]
    pub resolved_by: Option<String>,
    /// For a refund the merchant must pay to the provider first (Svea's refund after
    /// settlement): where to pay, and when the owner recorded it paid.
    #[serde(default)]
    pub transfer: Option<RefundTransfer>,
}

/// What the merchant must pay to the provider before the cardholder gets a refund: the
/// `pmtc_pay_with_*` fields of Svea's answer to `REFUND_AFTER_SETTLEMENT` (recipient, IBAN,
/// reference, amount; read by Svea's WooCommerce module, `class-wc-svea-refund-handler.php`).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundTransfer {
    /// Who to pay (`pmtc_pay_with_recipientname`).
    pub recipient: String,
    /// Their account (`pmtc_pay_with_iban`).
    pub iban: String,
    /// The reference the transfer must carry (`pmtc_pay_with_reference`); Svea matches on it.
    pub reference: String,
    /// How much to pay (`pmtc_pay_with_amount`).
    pub amount: Money,
    /// When the owner recorded the transfer made; `None` while it is awaited.
    pub transferred_at: Option<DateTime<Utc>>,
}

/// What the policy needs to know of the merchant account a charge goes out under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerchantTerms {
    /// The account.
    pub id: MerchantId,
    /// Its provider: some rules apply to one provider only.
    pub provider: ProviderKind,
    /// Its time zone: calendar months and local dates are counted in it.
    pub time_zone: Tz,
    /// The currency it charges in.
    pub currency: Currency,
    /// Days of notice the cardholder gets before a scheduled charge.
    pub notice_lead_days: u32,
}

impl From<&Merchant> for MerchantTerms {
    fn from(merchant: &Merchant) -> MerchantTerms {
        MerchantTerms {
            id: merchant.id,
            provider: merchant.provider(),
            time_zone: merchant.time_zone,
            currency: merchant.currency,
            notice_lead_days: merchant.notice_lead_days,
        }
    }
}

/// Who asked for the charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The owner pressed "charge now" (or the CLI's `charge-card`).
    Manual,
    /// A due run charging a contract's occurrence.
    Scheduled,
}

/// The pre-charge notice as it went to the cardholder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeRecord {
    /// When it was sent.
    pub sent_at: DateTime<Utc>,
    /// The amount it announced.
    pub amount: Money,
    /// The due date it announced (merchant-local).
    pub due: NaiveDate,
}

/// The contract occurrence a charge pays, with its notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractCharge {
    /// The contract.
    pub contract: Contract,
    /// The occurrence being charged.
    pub occurrence: Occurrence,
    /// The notice sent for this occurrence, if any.
    pub notice: Option<NoticeRecord>,
}

/// A charge about to be made, as plain data the engine fills from its store; the policy judges it
/// before anything is written or sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargePlan {
    /// The merchant account in whose name the charge goes out.
    pub merchant: MerchantTerms,
    /// The stored card to charge.
    pub card: Card,
    /// How much.
    pub amount: Money,
    /// The stored-credential flags that will be sent.
    pub credential: StoredCredential,
    /// The merchant-local date of the charge.
    pub charge_date: NaiveDate,
    /// Manual or scheduled.
    pub trigger: Trigger,
    /// The contract occurrence being paid: always for a scheduled charge, and for a manual
    /// "charge now" of a due or declined occurrence.
    pub contract: Option<ContractCharge>,
    /// The card's contracts that are active or paused. A recurring charge made by hand beside
    /// them would pay one of their periods a second time, without its notice.
    #[serde(default)]
    pub open_contracts: Vec<ContractId>,
    /// The card holder's address as the register keeps it; Svea requires one in every payment.
    #[serde(default)]
    pub buyer_address: Option<crate::customer::Address>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settled_attempts_never_move_again() {
        for from in ChargeState::ALL.into_iter().filter(|s| s.is_settled()) {
            for to in ChargeState::ALL {
                assert!(
                    !from.can_move_to(to),
                    "{from} must be final, not move to {to}"
                );
            }
        }
    }

    #[test]
    fn sending_is_required_before_an_outcome() {
        assert!(
            !ChargeState::Planned.can_move_to(ChargeState::Succeeded),
            "no success without sending"
        );
        assert!(!ChargeState::Planned.can_move_to(ChargeState::Declined));
        assert!(ChargeState::Planned.can_move_to(ChargeState::Sending));
        assert!(ChargeState::Sending.can_move_to(ChargeState::Succeeded));
        assert!(
            !ChargeState::Sending.can_move_to(ChargeState::Planned),
            "no way back"
        );
    }

    #[test]
    fn states_round_trip_through_text() {
        for state in ChargeState::ALL {
            assert_eq!(state.as_str().parse::<ChargeState>().unwrap(), state);
        }
        assert_eq!("done".parse::<ChargeState>().unwrap_err().field, "status");
    }
    #[test]
    fn merchant_terms_carry_what_the_policy_reads() {
        use crate::merchant::{Environment, ProviderAccount};
        use crate::SveaAccount;
        let merchant = Merchant {
            id: MerchantId(7),
            name: "Downtown".into(),
            account: ProviderAccount::Svea(SveaAccount {
                seller_id: "SELLER1".into(),
                key_generation: "001".into(),
            }),
            environment: Environment::Sandbox,
            base_url: "http://127.0.0.1:1".into(),
            time_zone: chrono_tz::Europe::Helsinki,
            currency: Currency::EUR,
            notice_lead_days: 5,
            group: None,
            endpoint: Default::default(),
        };
        let terms = MerchantTerms::from(&merchant);
        assert_eq!(terms.provider, ProviderKind::Svea);
        assert_eq!(terms.notice_lead_days, 5);
        assert_eq!(terms.time_zone, chrono_tz::Europe::Helsinki);
    }

    #[test]
    fn a_charge_plan_round_trips_through_json() {
        let plan = crate::policy::fixtures::plan(ProviderKind::Assist);
        let json = serde_json::to_string(&plan).unwrap();
        assert!(json.contains(r#""trigger":"scheduled""#), "{json}");
        let back: ChargePlan = serde_json::from_str(&json).unwrap();
        assert_eq!(back, plan);
    }
}
