//! The customer register for providers that have no customer listing (Assist, Svea): customers
//! created in Coffer one by one or imported from CSV, all or nothing.

use std::path::Path;

use chrono::{DateTime, Utc};

use coffer_core::customer::validate_contact;
use coffer_core::{Address, CustomerId, CustomerRef, InvalidInput, MerchantId};
use coffer_store::customers::CustomerFields;
use coffer_store::repo::prelude::*;
use serde::Serialize;

use crate::error::{EngineError, EngineResult, ErrorKind};
use crate::Engine;
use coffer_core::providers::labels_where as provider_labels;

/// A customer for a merchant's register: the register's reference (Assist's CustomerNumber,
/// Svea's customer number) and contact details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerDetails {
    /// The register's reference.
    pub reference: CustomerRef,
    /// Name.
    pub name: String,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Postal address (Svea requires one in every payment).
    pub address: Option<Address>,
}

impl From<CustomerDetails> for CustomerFields {
    fn from(d: CustomerDetails) -> Self {
        CustomerFields {
            reference: d.reference,
            name: d.name,
            email: d.email,
            phone: d.phone,
            address: d.address,
        }
    }
}

/// The result of an import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// The merchant imported into.
    pub merchant_id: i64,
    /// Customers created.
    pub imported: u64,
}

/// The separator of a register file, read from its header row: a comma, or the semicolon (and
/// tab) that spreadsheets write where the comma is the decimal separator, as in Finland and
/// Belarus.
pub(crate) fn delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or_default();
    if header.contains(',') {
        b','
    } else if header.contains(';') {
        b';'
    } else if header.contains('\t') {
        b'\t'
    } else {
        b','
    }
}

/// An address as typed in a form, a CLI or a register file: all four parts or none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressInput {
    /// Street and number.
    pub street: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// City.
    pub city: Option<String>,
    /// ISO 3166 alpha-2 country code; `FI` when the other three are given without it.
    pub country: Option<String>,
}

impl AddressInput {
    /// The checked address; `None` when every part is empty. A partial address names the first
    /// missing part.
    pub fn checked(&self) -> Result<Option<Address>, InvalidInput> {
        fn part(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|v| !v.is_empty())
        }
        let (street, postal, city, country) = (
            part(&self.street),
            part(&self.postal_code),
            part(&self.city),
            part(&self.country),
        );
        if street.is_none() && postal.is_none() && city.is_none() && country.is_none() {
            return Ok(None);
        }
        // Svea's buyer country; the register serves Finnish (Svea) and Belarusian (Assist)
        // merchants, and an Assist customer needs no address at all.
        let country = country.unwrap_or("FI");
        Address::new(
            street.unwrap_or_default(),
            postal.unwrap_or_default(),
            city.unwrap_or_default(),
            country,
        )
        .map(Some)
    }
}

/// Reads a register CSV: a header row naming the columns (`customer_number` or `reference`,
/// `name`, optional `email`, `phone`, `street`, `postal_code`, `city`, `country`), then one
/// customer a row, separated by commas or
/// semicolons. Every problem is reported with its line and field; nothing is returned unless
/// every row is good. Each customer comes with the line it was read from.
pub fn parse_register_csv(text: &str) -> Result<Vec<(u64, CustomerFields)>, InvalidInput> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .delimiter(delimiter(text))
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| InvalidInput::new("line 1", format!("cannot read the header row: {e}")))?
        .clone();
    let column = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    };
    let reference =
        column(&["customer_number", "customernumber", "reference"]).ok_or_else(|| {
            InvalidInput::new(
                "line 1",
                "the header must name a customer_number (or reference) column",
            )
        })?;
    let name = column(&["name"])
        .ok_or_else(|| InvalidInput::new("line 1", "the header must name a name column"))?;
    let email = column(&["email", "e-mail"]);
    let phone = column(&["phone"]);
    let street = column(&["street", "address", "street_address"]);
    let postal_code = column(&["postal_code", "postcode", "zip"]);
    let city = column(&["city"]);
    let country = column(&["country"]);
    let mut customers = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(index as u64 + 2, |p| p.line());
            InvalidInput::new(format!("line {line}"), format!("not valid CSV: {e}"))
        })?;
        // The record's own line: a quoted cell may span lines.
        let line = record.position().map_or(index as u64 + 2, |p| p.line());
        let get = |i: Option<usize>| i.and_then(|i| record.get(i)).map(str::to_string);
        let address = AddressInput {
            street: get(street),
            postal_code: get(postal_code),
            city: get(city),
            country: get(country),
        }
        .checked()
        .map_err(|e| InvalidInput::new(format!("line {line}, {}", e.field), e.rule))?;
        let fields = register_entry(CustomerFields {
            reference: CustomerRef(get(Some(reference)).unwrap_or_default()),
            name: get(Some(name)).unwrap_or_default(),
            email: get(email),
            phone: get(phone),
            address,
        })
        .map_err(|e| InvalidInput::new(format!("line {line}, {}", e.field), e.rule))?;
        if !seen.insert(fields.reference.0.clone()) {
            return Err(InvalidInput::new(
                format!("line {line}, customer_number"),
                format!("'{}' appears twice in the file", fields.reference),
            ));
        }
        customers.push((line, fields));
    }
    Ok(customers)
}

/// One register customer as it is kept: cells trimmed, empty contact fields dropped, the
/// customer number and email checked and a name required.
fn register_entry(fields: CustomerFields) -> Result<CustomerFields, InvalidInput> {
    let filled = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let fields = CustomerFields {
        reference: CustomerRef(fields.reference.0.trim().to_string()),
        name: fields.name.trim().to_string(),
        email: filled(fields.email),
        phone: filled(fields.phone),
        // Checked again whoever built it: no placeholder reaches the register.
        address: fields
            .address
            .map(|a| Address::new(&a.street, &a.postal_code, &a.city, &a.country))
            .transpose()?,
    };
    validate_contact(fields.reference.as_str(), fields.email.as_deref())?;
    if fields.name.is_empty() {
        return Err(InvalidInput::new("name", "must not be empty"));
    }
    coffer_core::free_text::refuse_card_number("name", &fields.name)?;
    Ok(fields)
}

/// The first of `wanted` that is already in the merchant's register.
fn first_registered<'a, T>(
    store: &dyn ReadRepositories,
    merchant: MerchantId,
    wanted: &'a [T],
    reference: impl Fn(&T) -> &CustomerRef,
) -> EngineResult<Option<&'a T>> {
    let known: std::collections::HashSet<String> = store
        .customer_refs(merchant)?
        .into_iter()
        .map(|(_, r)| r.0)
        .collect();
    Ok(wanted.iter().find(|w| known.contains(&reference(w).0)))
}

impl Engine {
    /// Imports register customers from a CSV file into one merchant: all rows or none.
    pub async fn import_customers(
        &self,
        merchant: MerchantId,
        path: &Path,
    ) -> EngineResult<ImportSummary> {
        let text = crate::import_file::read_text(path)?;
        let rows = parse_register_csv(&text)?;
        self.register_owner(merchant).await?;
        let now = self.now();
        let count = rows.len();
        let audit = self.audit_event(
            Some(merchant.0),
            "customers_imported",
            format!("merchant:{merchant}"),
            serde_json::json!({"file": path.display().to_string(), "customers": count}),
        );
        self.with_store(move |store| {
            if let Some((line, fields)) =
                first_registered(store, merchant, &rows, |r| &r.1.reference)?
            {
                return Err(InvalidInput::new(
                    format!("line {line}, customer_number"),
                    format!(
                        "'{}' is already in this merchant's register; nothing was imported",
                        fields.reference
                    ),
                )
                .into());
            }
            let customers: Vec<CustomerFields> = rows.into_iter().map(|(_, f)| f).collect();
            store.insert_register_customers(merchant, &customers, now)?;
            store.append_audit(audit)?;
            Ok(())
        })
        .await?;
        Ok(ImportSummary {
            merchant_id: merchant.0,
            imported: count as u64,
        })
    }

    /// The merchant, if it keeps its customer register in Coffer (Assist and Svea list none).
    async fn register_owner(&self, merchant: MerchantId) -> EngineResult<()> {
        let owner = self.merchant(merchant).await?;
        let provider = owner.provider();
        if coffer_core::providers::rules(provider)
            .capabilities
            .lists_customers
        {
            let keepers = provider_labels(|c| !c.lists_customers);
            return Err(InvalidInput::new(
                "merchant",
                format!(
                    "{} is a {provider} account, which lists its own customers: sync it instead \
                     of adding them to a register (only {keepers} accounts keep one in Coffer)",
                    owner.name
                ),
            )
            .into());
        }
        Ok(())
    }

    /// Adds one customer to an Assist or Svea merchant's register; returns its id.
    pub async fn create_customer(
        &self,
        merchant: MerchantId,
        customer: CustomerDetails,
    ) -> EngineResult<i64> {
        let fields = register_entry(customer.into())?;
        self.register_owner(merchant).await?;
        let now = self.now();
        let audit = self.audit_event(
            Some(merchant.0),
            "customer_created",
            format!("customer:{}", fields.reference),
            serde_json::json!({}),
        );
        // Kept apart from the hashed details, so that erasing the customer can blank it.
        let personal = serde_json::json!({"name": fields.name}).to_string();
        self.with_store(move |store| {
            let wanted = std::slice::from_ref(&fields);
            if first_registered(store, merchant, wanted, |f| &f.reference)?.is_some() {
                return Err(InvalidInput::new(
                    "customer_number",
                    format!(
                        "'{}' is already in this merchant's register",
                        fields.reference
                    ),
                )
                .into());
            }
            let ids = store.insert_register_customers(merchant, wanted, now)?;
            store.batch(|store| store.append_audit_personal_here(audit, personal))?;
            ids.first().map(|id| id.0).ok_or_else(|| {
                EngineError::new(
                    ErrorKind::Internal,
                    "the new customer got no id".to_string(),
                )
            })
        })
        .await
    }
}

/// One customer as the customer page and `coffer customer show` show it: the record, and when
/// it was erased, if it was (then its name and contact fields are empty: gone, not unknown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerRecord {
    /// The customer as kept.
    pub customer: coffer_core::Customer,
    /// When the customer was erased (a data-protection request), if it was.
    pub erased_at: Option<DateTime<Utc>>,
}

impl Engine {
    /// One customer as the register keeps it, address included.
    pub async fn customer(&self, customer: CustomerId) -> EngineResult<coffer_core::Customer> {
        self.read_store(move |store| Ok(store.customer(customer)?))
            .await
    }

    /// One customer with its erasure, for showing it.
    pub async fn customer_record(&self, customer: CustomerId) -> EngineResult<CustomerRecord> {
        self.read_store(move |store| {
            Ok(CustomerRecord {
                customer: store.customer(customer)?,
                erased_at: store.customer_erased_at(customer)?,
            })
        })
        .await
    }

    /// Changes a register customer's name, contact fields and address (Assist and Svea
    /// merchants); the reference stays. Returns the customer as now kept.
    pub async fn edit_customer(
        &self,
        customer: CustomerId,
        name: String,
        email: Option<String>,
        phone: Option<String>,
        address: Option<Address>,
    ) -> EngineResult<coffer_core::Customer> {
        let current = self
            .read_store(move |store| {
                if let Some(at) = store.customer_erased_at(customer)? {
                    // The person asked to be forgotten: nothing may write their details back.
                    return Err(EngineError::new(
                        ErrorKind::Conflict,
                        format!(
                            "customer {customer} was erased on {} (a data-protection request): \
                             their details cannot be written again",
                            at.date_naive()
                        ),
                    ));
                }
                Ok(store.customer(customer)?)
            })
            .await?;
        self.register_owner(current.merchant_id).await?;
        let fields = register_entry(CustomerFields {
            reference: current.reference.clone(),
            name,
            email,
            phone,
            address,
        })?;
        let now = self.now();
        let audit = self.audit_event(
            Some(current.merchant_id.0),
            "customer_edited",
            format!("customer:{}", current.reference),
            serde_json::json!({}),
        );
        // Kept apart from the hashed details, so that erasing the customer can blank them.
        let personal = serde_json::json!({
            "name": fields.name,
            "address": fields.address.as_ref().map(ToString::to_string),
        })
        .to_string();
        self.with_store(move |store| {
            store.batch(|store| {
                store.update_register_customer(customer, &fields, now)?;
                store.append_audit_personal_here(audit, personal)?;
                Ok(())
            })?;
            Ok(store.customer(customer)?)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_number_typed_as_a_name_is_refused_with_its_line() {
        // Visa's well-known test number, assembled so it never stands whole in the source.
        let pan = ["4111", "1111", "1111", "1111"].join(" ");
        let error = parse_register_csv(&format!(
            "customer_number,name\n1001,Pavel Petrov\n1002,{pan}\n"
        ))
        .unwrap_err();
        assert_eq!(error.field, "line 3, name");
        assert!(!error.rule.contains("4111"), "{}", error.rule);
    }

    #[test]
    fn a_good_register_file_is_read_whole() {
        let rows = parse_register_csv(
            "customer_number,name,email\n1001,Pavel Petrov,pavel@example.by\n1002, Olga ,\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].1.name, "Olga", "cells are trimmed");
        assert_eq!(rows[1].1.email, None, "an empty cell is no e-mail");
        assert_eq!(rows[1].0, 3, "each row knows its line");
    }

    #[test]
    fn a_spreadsheet_file_with_semicolons_and_a_byte_order_mark_is_read() {
        let rows = parse_register_csv(
            "\u{feff}customer_number;name;email\r\n1001;Petrov, Pavel;pavel@example.by\r\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(
            rows[0].1.reference.0, "1001",
            "the BOM is not part of the header"
        );
        assert_eq!(
            rows[0].1.name, "Petrov, Pavel",
            "a comma inside a semicolon file is part of the cell"
        );
    }

    #[test]
    fn a_bad_row_names_its_line_and_field_and_nothing_is_read() {
        let err = parse_register_csv(
            "customer_number,name,email\n1001,Pavel,pavel@example.by\n1002,Olga,not-an-email\n",
        )
        .unwrap_err();
        assert_eq!(err.field, "line 3, email");
        let err = parse_register_csv("customer_number,name\n1001,Pavel\n1001,Olga\n").unwrap_err();
        assert_eq!(err.field, "line 3, customer_number", "{err}");
        let err = parse_register_csv("id,name\n1,x\n").unwrap_err();
        assert_eq!(err.field, "line 1");
        let err = parse_register_csv("customer_number,name\n,Olga\n").unwrap_err();
        assert_eq!(err.field, "line 2, reference");
    }

    #[test]
    fn register_rows_carry_an_address_and_a_placeholder_one_is_refused_by_line_and_field() {
        let rows = parse_register_csv(
            "customer_number;name;street;postal_code;city\n\
             1001;Matti Virtanen;Mannerheimintie 1;00100;Helsinki\n1002;Olga;;;\n",
        )
        .unwrap();
        let address = rows[0].1.address.as_ref().unwrap();
        assert_eq!(
            address.parts(),
            ["Mannerheimintie 1", "00100", "Helsinki", "FI"]
        );
        assert_eq!(
            rows[1].1.address, None,
            "no address at all is allowed in the register"
        );
        let err = parse_register_csv(
            "customer_number,name,street,postal_code,city\n1001,Matti,-,00100,Helsinki\n",
        )
        .unwrap_err();
        assert_eq!(err.field, "line 2, address_street", "{err}");
        let err = parse_register_csv(
            "customer_number,name,street,postal_code,city\n1001,Matti,Kotikatu 1,,Helsinki\n",
        )
        .unwrap_err();
        assert_eq!(err.field, "line 2, address_postal_code", "{err}");
    }
}
