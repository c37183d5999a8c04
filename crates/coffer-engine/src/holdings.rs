//! What a merchant already holds outside Coffer's own flows — register customers, cards stored
//! with their initial transaction, the consent given then — taken into the cache. The demo
//! onboarding (`coffer-demo`) brings a sandbox's seed in through these.

use coffer_core::{
    Bin, CardBrand, CardExpiry, CardToken, Consent, InitialTransaction, Last4, MerchantId,
};
use coffer_store::cards::CardFields;
use coffer_store::customers::{CustomerFields, CustomerOrigin};

use crate::customers::CustomerDetails;
use crate::error::EngineResult;
use crate::Engine;

/// A customer of the merchant's register (Assist's CustomerNumber, Svea's customer) and the
/// cards already stored for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldCustomer {
    /// Who they are in the register.
    pub details: CustomerDetails,
    /// Cards stored at the provider for this customer.
    pub cards: Vec<HeldCard>,
}

/// A card stored at the provider: its token and display fields, and the initial transaction
/// merchant-initiated charges will link to, when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldCard {
    /// The provider's token.
    pub token: CardToken,
    /// Brand.
    pub brand: CardBrand,
    /// Last four.
    pub last4: Last4,
    /// BIN.
    pub bin: Option<Bin>,
    /// Issuing bank.
    pub bank: Option<String>,
    /// Expiry.
    pub expiry: CardExpiry,
    /// The initial cardholder-initiated transaction.
    pub initial: Option<InitialTransaction>,
}

impl HeldCard {
    fn fields(&self) -> CardFields {
        CardFields {
            token: self.token.clone(),
            brand: self.brand.clone(),
            last4: self.last4.clone(),
            bin: self.bin.clone(),
            bank: self.bank.clone(),
            expiry: self.expiry,
            active: true,
            needs_cvc: false,
            art_url: None,
        }
    }
}

impl Engine {
    /// Adds the register customers whose reference is not known yet (cards are not read);
    /// returns how many were added.
    pub async fn add_register_customers(
        &self,
        merchant: MerchantId,
        customers: Vec<HeldCustomer>,
    ) -> EngineResult<u64> {
        let now = self.now();
        self.with_store(move |store| {
            let known = store.customer_refs(merchant)?;
            let fresh: Vec<CustomerFields> = customers
                .iter()
                .filter(|c| !known.iter().any(|(_, k)| *k == c.details.reference))
                .map(|c| CustomerFields::from(c.details.clone()))
                .collect();
            store.insert_register_customers(merchant, &fresh, now)?;
            Ok(fresh.len() as u64)
        })
        .await
    }

    /// Records register customers with their stored cards and those cards' initial
    /// transactions, in one transaction; returns how many customers were new or changed.
    pub async fn take_in_held_cards(
        &self,
        merchant: MerchantId,
        customers: Vec<HeldCustomer>,
    ) -> EngineResult<u64> {
        let now = self.now();
        self.with_store(move |store| {
            Ok(store.batch(|store| {
                let mut changed = 0;
                for customer in &customers {
                    let (customer_id, fresh) = store.upsert_customer(
                        merchant,
                        &customer.details.clone().into(),
                        CustomerOrigin::Coffer,
                        now,
                    )?;
                    changed += u64::from(fresh);
                    for card in &customer.cards {
                        let (card_id, _) =
                            store.upsert_card(merchant, customer_id, &card.fields(), now)?;
                        if let Some(initial) = &card.initial {
                            store.set_card_initial(card_id, initial)?;
                        }
                    }
                }
                Ok(changed)
            })?)
        })
        .await
    }

    /// Records the initial transactions of cards already in the cache, found by token (a token
    /// not in the cache is passed over).
    pub async fn record_initials_by_token(
        &self,
        merchant: MerchantId,
        initials: Vec<(CardToken, InitialTransaction)>,
    ) -> EngineResult<()> {
        self.with_store(move |store| {
            Ok(store.batch(|store| {
                for (token, initial) in &initials {
                    store.set_initial_by_token(merchant, token, initial)?;
                }
                Ok(())
            })?)
        })
        .await
    }

    /// Records `consent` on every card of these merchants that has an initial transaction and no
    /// consent yet (the consent given at that transaction); returns how many cards.
    pub async fn record_consent_where_initial(
        &self,
        merchants: Vec<MerchantId>,
        consent: Consent,
    ) -> EngineResult<u64> {
        self.with_store(move |store| {
            let mut n = 0;
            for id in &merchants {
                n += store.record_consent_where_initial(*id, &consent)?;
            }
            Ok(n as u64)
        })
        .await
    }
}
