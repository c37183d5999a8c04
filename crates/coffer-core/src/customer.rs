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
    /// Street address, postal code, city and country, where Coffer keeps the register (Svea
    /// sends them with every payment; `None` when none was given).
    #[serde(default)]
    pub address: Option<Address>,
}

/// A postal address as Svea's payment fields take it: street (`pmt_buyeraddress`, ≤40),
/// postal code (`pmt_buyerpostalcode`, digits, ≤5), city (`pmt_buyercity`, ≤40) and country
/// (`pmt_buyercountry`, ISO 3166 alpha-2). Lengths from Svea's Magento 2 module,
/// `Model/Request/PaymentDataSpecification.php` (each at least 1 character, compulsory).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Address {
    /// Street and number.
    pub street: String,
    /// Postal code.
    pub postal_code: String,
    /// City.
    pub city: String,
    /// ISO 3166 alpha-2 country code, upper case.
    pub country: String,
}

/// Stand-ins people type when they have no address. Svea's fields only require one character, so
/// a "-" would pass its check and reach a payment as if it were an address.
const PLACEHOLDERS: [&str; 12] = [
    "n/a", "na", "none", "unknown", "tbd", "null", "x", "xx", "xxx", "test", "address", "-",
];

impl Address {
    /// Checks and trims an address as typed; each error names the field and the rule it broke.
    pub fn new(
        street: &str,
        postal_code: &str,
        city: &str,
        country: &str,
    ) -> Result<Address, InvalidInput> {
        let street = real_text("address_street", street, 40)?;
        let city = real_text("address_city", city, 40)?;
        let country = country.trim().to_ascii_uppercase();
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(InvalidInput::new(
                "address_country",
                format!("'{country}' is not a two-letter ISO 3166 country code such as FI"),
            ));
        }
        let postal_code: String = postal_code.trim().to_string();
        // Svea's format is N5: digits only, at most five; a Finnish code is exactly five.
        let digits = !postal_code.is_empty() && postal_code.bytes().all(|b| b.is_ascii_digit());
        let length_ok = if country == "FI" {
            postal_code.len() == 5
        } else {
            (1..=5).contains(&postal_code.len())
        };
        if !digits || !length_ok {
            return Err(InvalidInput::new(
                "address_postal_code",
                format!(
                    "'{postal_code}' is not a postal code Svea takes: digits only, {}",
                    if country == "FI" {
                        "five of them in Finland (00100)"
                    } else {
                        "at most five"
                    }
                ),
            ));
        }
        Ok(Address {
            street,
            postal_code,
            city,
            country,
        })
    }

    /// The four fields, for a form or a CSV: street, postal code, city, country.
    pub fn parts(&self) -> [&str; 4] {
        [&self.street, &self.postal_code, &self.city, &self.country]
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}, {} {}, {}",
            self.street, self.postal_code, self.city, self.country
        )
    }
}

/// Trimmed text of 1..=`max` characters that holds a letter or digit and is no placeholder.
fn real_text(field: &str, value: &str, max: usize) -> Result<String, InvalidInput> {
    let value = value.trim();
    if value.is_empty() {
        return Err(InvalidInput::new(
            field,
            "must not be empty: Svea requires it in every payment",
        ));
    }
    if !value.chars().any(char::is_alphanumeric)
        || PLACEHOLDERS.contains(&value.to_lowercase().as_str())
    {
        return Err(InvalidInput::new(
            field,
            format!("'{value}' is a placeholder, not an address: Svea requires the real one"),
        ));
    }
    if value.chars().count() > max {
        return Err(InvalidInput::new(
            field,
            format!(
                "must be at most {max} characters (Svea's limit), not {}",
                value.chars().count()
            ),
        ));
    }
    Ok(value.to_string())
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

    #[test]
    fn a_real_finnish_address_is_kept_trimmed_with_its_country_upper_case() {
        let address = Address::new(" Mannerheimintie 1 ", "00100", "Helsinki", "fi").unwrap();
        assert_eq!(
            address.parts(),
            ["Mannerheimintie 1", "00100", "Helsinki", "FI"]
        );
    }

    #[test]
    fn empty_fields_and_placeholders_are_refused_naming_the_field() {
        let field = |r: Result<Address, InvalidInput>| r.unwrap_err().field;
        assert_eq!(
            field(Address::new("", "00100", "Helsinki", "FI")),
            "address_street"
        );
        assert_eq!(
            field(Address::new("-", "00100", "Helsinki", "FI")),
            "address_street"
        );
        assert_eq!(
            field(Address::new("N/A", "00100", "Helsinki", "FI")),
            "address_street"
        );
        assert_eq!(
            field(Address::new("Kotikatu 1", "00100", "–", "FI")),
            "address_city"
        );
        assert_eq!(
            field(Address::new("Kotikatu 1", "-", "Helsinki", "FI")),
            "address_postal_code"
        );
        assert_eq!(
            field(Address::new("Kotikatu 1", "0010", "Helsinki", "FI")),
            "address_postal_code"
        );
        assert_eq!(
            field(Address::new("Kotikatu 1", "00100", "Helsinki", "Finland")),
            "address_country"
        );
        let long = "k".repeat(41);
        let err = Address::new(&long, "00100", "Helsinki", "FI").unwrap_err();
        assert!(err.rule.contains("at most 40"), "{err}");
        let err = Address::new("-", "00100", "Helsinki", "FI").unwrap_err();
        assert!(err.rule.contains("placeholder"), "{err}");
    }
}
