//! The customers table: one page of a search at a time (the UI virtualizes and pages through
//! `limit`/`offset`, so 100,000 rows never cross the IPC boundary at once).

use coffer_core::MerchantId;
use coffer_engine::search::CustomerSearch;
use coffer_engine::Engine;
use coffer_store::search::{CustomerRow, CustomerSort};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::ipc_error::IpcError;

/// How the table is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum CustomerOrder {
    /// By name, then id.
    #[default]
    Name,
    /// By the provider's reference.
    Reference,
    /// Newest first.
    Newest,
}

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

/// A customer in the table, with card counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct CustomerListRow {
    /// Coffer id.
    pub id: i64,
    /// Merchant.
    pub merchant_id: i64,
    /// Merchant name.
    pub merchant_name: String,
    /// The provider's reference.
    pub reference: String,
    /// Name.
    pub name: String,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Cards on file.
    pub cards: u32,
    /// Cards that are active and not expired this month.
    pub usable_cards: u32,
}

impl From<CustomerRow> for CustomerListRow {
    fn from(row: CustomerRow) -> Self {
        // Destructured without `..`: a new column in the store's row fails to compile here.
        let CustomerRow {
            id,
            merchant_id,
            merchant_name,
            reference,
            name,
            email,
            phone,
            cards,
            usable_cards,
        } = row;
        CustomerListRow {
            id,
            merchant_id,
            merchant_name,
            reference,
            name,
            email,
            phone,
            cards,
            usable_cards,
        }
    }
}

impl From<CustomerSearchRequest> for CustomerSearch {
    fn from(r: CustomerSearchRequest) -> Self {
        CustomerSearch {
            merchant: r.merchant_id.map(MerchantId),
            group: r.group,
            text: r.text.filter(|t| !t.trim().is_empty()),
            sort: match r.order {
                CustomerOrder::Name => CustomerSort::Name,
                CustomerOrder::Reference => CustomerSort::Reference,
                CustomerOrder::Newest => CustomerSort::Newest,
            },
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
    let rows = engine.search_customers(request.into()).await?;
    Ok(rows.into_iter().map(CustomerListRow::from).collect())
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
    } = customer;
    let fields = coffer_store::customers::CustomerFields {
        reference: coffer_core::CustomerRef(number),
        name,
        email,
        phone,
    };
    Ok(engine
        .create_customer(MerchantId(merchant_id), fields)
        .await?)
}
