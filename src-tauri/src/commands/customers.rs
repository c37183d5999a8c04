//! The customers table: one page of a search at a time (the UI virtualizes and pages through
//! `limit`/`offset`, so 100,000 rows never cross the IPC boundary at once).

use coffer_core::{CustomerId, MerchantId};
use coffer_engine::search::{CustomerListRow, CustomerOrder, CustomerSearch, CustomerTotals};
use coffer_engine::Engine;
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::ipc_error::IpcError;

/// One page of a customer search.
#[derive(Debug, Clone, Default, Deserialize, specta::Type)]
pub struct CustomerSearchRequest {
    /// One merchant (location); with neither this nor `group`, every merchant.
    pub merchant_id: Option<i64>,
    /// A group of locations.
    pub group: Option<String>,
    /// Words of a name, an e-mail, a reference; 4 digits match a card's last4.
    pub text: Option<String>,
    /// Order.
    pub order: CustomerOrder,
    /// Page size (at most 1000).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u32>,
}

impl From<CustomerSearchRequest> for CustomerSearch {
    fn from(r: CustomerSearchRequest) -> Self {
        CustomerSearch {
            merchant: r.merchant_id.map(MerchantId),
            group: r.group,
            text: r.text.filter(|t| !t.trim().is_empty()),
            sort: r.order,
            limit: r.limit,
            offset: r.offset,
        }
    }
}

/// One page of customers.
#[tauri::command]
#[specta::specta]
pub async fn search_customers(
    engine: State<'_, Engine>,
    request: CustomerSearchRequest,
) -> Result<Vec<CustomerListRow>, IpcError> {
    Ok(engine.search_customers(request.into()).await?)
}

/// How many customers the search finds in all, and the locations in scope never synced.
#[tauri::command]
#[specta::specta]
pub async fn count_customers(
    engine: State<'_, Engine>,
    request: CustomerSearchRequest,
) -> Result<CustomerTotals, IpcError> {
    Ok(engine.count_customers(request.into()).await?)
}

/// A customer for the register of an Assist or Svea location, which list no customers of
/// their own.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct NewCustomer {
    /// The location whose register it joins.
    pub merchant_id: i64,
    /// The CustomerNumber the provider knows the customer by.
    pub number: String,
    /// Name.
    pub name: String,
    /// E-mail, where notices go.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Postal address; Svea requires one in every payment, Assist none.
    pub address: Option<AddressForm>,
}

/// An address as the form has it: all four parts or none (the country defaults to FI).
#[derive(Debug, Clone, Default, Deserialize, specta::Type)]
pub struct AddressForm {
    /// Street and number.
    pub street: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// City.
    pub city: Option<String>,
    /// ISO 3166 alpha-2 country code.
    pub country: Option<String>,
}

impl AddressForm {
    pub(crate) fn checked(self) -> Result<Option<coffer_core::Address>, IpcError> {
        coffer_engine::customers::AddressInput {
            street: self.street,
            postal_code: self.postal_code,
            city: self.city,
            country: self.country,
        }
        .checked()
        .map_err(|e| IpcError::from(coffer_engine::error::EngineError::from(e)))
    }
}

/// A register customer as the customer page shows and edits it.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CustomerDetail {
    /// Coffer id.
    pub id: i64,
    /// Merchant.
    pub merchant_id: i64,
    /// The provider's reference.
    pub reference: String,
    /// Name.
    pub name: String,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Postal address, when the register has one.
    pub address: Option<coffer_core::Address>,
    /// When the customer was erased (a data-protection request), if it was: the page says so
    /// and offers no edit, charge or erase.
    pub erased_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<coffer_engine::customers::CustomerRecord> for CustomerDetail {
    fn from(record: coffer_engine::customers::CustomerRecord) -> Self {
        CustomerDetail {
            erased_at: record.erased_at,
            ..record.customer.into()
        }
    }
}

impl From<coffer_core::Customer> for CustomerDetail {
    fn from(c: coffer_core::Customer) -> Self {
        CustomerDetail {
            id: c.id.0,
            merchant_id: c.merchant_id.0,
            reference: c.reference.0,
            name: c.name,
            email: c.email,
            phone: c.phone,
            address: c.address,
            erased_at: None,
        }
    }
}

/// A change to a register customer: name, contact fields, address (all replace what is kept).
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct CustomerEdit {
    /// Name.
    pub name: String,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Postal address; none removes it.
    pub address: Option<AddressForm>,
}

/// One customer, address included.
#[tauri::command]
#[specta::specta]
pub async fn show_customer(
    engine: State<'_, Engine>,
    customer_id: i64,
) -> Result<CustomerDetail, IpcError> {
    Ok(engine
        .customer_record(CustomerId(customer_id))
        .await?
        .into())
}

/// Saves a register customer's name, contact fields and address.
#[tauri::command]
#[specta::specta]
pub async fn edit_customer(
    engine: State<'_, Engine>,
    customer_id: i64,
    edit: CustomerEdit,
) -> Result<CustomerDetail, IpcError> {
    let address = match edit.address {
        Some(form) => form.checked()?,
        None => None,
    };
    Ok(engine
        .edit_customer(
            CustomerId(customer_id),
            edit.name,
            edit.email,
            edit.phone,
            address,
        )
        .await?
        .into())
}

/// Adds a customer to a register; returns its id.
#[tauri::command]
#[specta::specta]
pub async fn add_customer(
    engine: State<'_, Engine>,
    customer: NewCustomer,
) -> Result<i64, IpcError> {
    let NewCustomer {
        merchant_id,
        number,
        name,
        email,
        phone,
        address,
    } = customer;
    let address = match address {
        Some(form) => form.checked()?,
        None => None,
    };
    let fields = coffer_engine::customers::CustomerDetails {
        reference: coffer_core::CustomerRef(number),
        name,
        email,
        phone,
        address,
    };
    Ok(engine
        .create_customer(MerchantId(merchant_id), fields)
        .await?)
}
