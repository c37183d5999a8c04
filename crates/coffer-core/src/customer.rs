//! A customer as the provider knows them, cached by Coffer.

use serde::{Deserialize, Serialize};

use crate::error::InvalidInput;
use crate::ids::{CustomerId, CustomerRef, MerchantId};

/// A customer of one merchant account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// Coffer's id.
    pub id: CustomerId,
    /// The merchant account the customer belongs to.
    pub merchant_id: MerchantId,
    /// The provider's reference: Clover customer id, ProcessOut `cust_…`, Assist `CustomerNumber`.
    pub reference: CustomerRef,
    /// Display name, possibly empty when the provider has none.
    pub name: String,
    /// E-mail address for notices, when known.
    pub email: Option<String>,
    /// Phone number, when known.
    pub phone: Option<String>,
}

/// Checks a customer reference and e-mail before they are saved.
pub fn validate_contact(reference: &str, email: Option<&str>) -> Result<(), InvalidInput> {
    if reference.trim().is_empty() {
        return Err(InvalidInput::new("reference", "must not be empty"));
    }
    if let Some(email) = email {
        let ok = email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !email.contains(' ')
        });
        if !ok {
            return Err(InvalidInput::new(
                "email",
                format!("'{email}' is not an e-mail address"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_empty_reference_and_bad_email() {
        assert_eq!(validate_contact(" ", None).unwrap_err().field, "reference");
        assert_eq!(
            validate_contact("C1", Some("nobody")).unwrap_err().field,
            "email"
        );
        assert!(validate_contact("C1", Some("anna@example.fi")).is_ok());
    }
}
