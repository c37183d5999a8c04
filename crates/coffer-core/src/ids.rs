//! Identifiers. Coffer's own rows have integer ids; a provider's references stay strings,
//! wrapped so that a customer reference can never be passed where a card token is expected.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! row_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

macro_rules! text_ref {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// The reference as the provider wrote it.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_string())
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }
    };
}

row_id!(
    /// A merchant account in Coffer (one provider account, e.g. one Clover location).
    MerchantId
);
row_id!(
    /// A customer row in Coffer's cache.
    CustomerId
);
row_id!(
    /// A stored card row in Coffer's cache.
    CardId
);
row_id!(
    /// A recurring contract, Coffer's own record.
    ContractId
);
row_id!(
    /// A row of the charge ledger.
    AttemptId
);
row_id!(
    /// A new card's enrollment through the provider's hosted page.
    EnrollmentId
);

text_ref!(
    /// The provider's customer reference: Clover customer id, ProcessOut `cust_…`, Assist
    /// `CustomerNumber`.
    CustomerRef
);
text_ref!(
    /// The provider's token for a stored card: Clover `clv_…`, ProcessOut `card_…`/`tok_…`,
    /// Assist token, Svea `pmt_token`. Never a card number.
    CardToken
);
text_ref!(
    /// A provider's reference for a transaction: Clover charge id or `ref_num`, ProcessOut
    /// transaction id, Assist `billnumber`, Svea `pmt_id`.
    ProviderRef
);
text_ref!(
    /// The key that makes a resent charge request a replay rather than a second charge.
    IdempotencyKey
);
