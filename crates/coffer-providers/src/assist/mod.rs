//! PLACEHOLDER: replaced by the assist client (issue #4).

use async_trait::async_trait;
use coffer_core::{CustomerRef, Merchant, ProviderKind};
use secrecy::SecretString;

use crate::*;

/// The assist client.
#[derive(Debug)]
pub struct AssistClient;

impl AssistClient {
    /// Builds the client.
    pub fn new(_merchant: &Merchant, _secret: SecretString) -> Result<Self, ProviderError> {
        Ok(AssistClient)
    }
}

fn todo() -> ProviderError {
    ProviderError::new(ProviderErrorKind::Unsupported, "not built yet")
}

#[async_trait]
impl Provider for AssistClient {
    fn kind(&self) -> ProviderKind {
        ProviderKind::ALL[0]
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            lists_customers: false,
            cards_by_customer: false,
            idempotency_key: false,
            partial_refunds: false,
            initial_needs_card_page: false,
            currencies: vec![],
            note: "",
        }
    }
    async fn check_credentials(&self) -> Result<(), ProviderError> {
        Err(todo())
    }
    async fn list_customers(
        &self,
        _c: Option<String>,
        _l: u32,
    ) -> Result<Page<RemoteCustomer>, ProviderError> {
        Err(todo())
    }
    async fn cards_of(&self, _c: &CustomerRef) -> Result<Vec<RemoteCard>, ProviderError> {
        Err(todo())
    }
    async fn charge(&self, _r: &ChargeRequest) -> Result<ChargeOutcome, ProviderError> {
        Err(todo())
    }
    async fn find_charge(&self, _l: &ChargeLookup) -> Result<Option<ChargeOutcome>, ProviderError> {
        Err(todo())
    }
    async fn refund(&self, _r: &RefundRequest) -> Result<RefundOutcome, ProviderError> {
        Err(todo())
    }
    async fn record_initial(&self, _r: &InitialRequest) -> Result<InitialStep, ProviderError> {
        Err(todo())
    }
}
