//! `demo`: registers the seeded merchants of a sandbox as Coffer merchants and fills the cache,
//! so a new user works against demo data at once. Without an admin URL it uses the embedded
//! sandboxes (no keyring needed); with one (a running `coffer sandbox`) the demo secrets go to
//! the keyring like any other.

use std::sync::Arc;

use coffer_core::{Consent, Environment, MerchantId, ProviderKind};
use coffer_sandbox::SandboxMerchant;
use secrecy::SecretString;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::embedded::EMBEDDED_PREFIX;
use crate::error::{EngineError, EngineResult, ErrorKind};
use crate::merchants::{EndpointInput, MerchantInput, MerchantView};
use crate::progress::Progress;
use crate::sync::SyncSummary;
use crate::Engine;

/// The terms recorded as the cardholder's consent on demo cards that came with an initial
/// transaction: in the seed, consent was given at that transaction.
pub const DEMO_CONSENT_TERMS: &str =
    "Demo data: the cardholder agreed to merchant-initiated charges of this card when it was stored (sandbox seed).";

/// What `demo` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DemoSummary {
    /// The demo merchants, new or already there.
    pub merchants: Vec<MerchantView>,
    /// Register customers created (Assist, Svea).
    pub customers_registered: u64,
    /// What each merchant's sync did.
    pub synced: Vec<SyncSummary>,
    /// Cards given demo consent.
    pub consents_recorded: u64,
}

impl Engine {
    /// Registers the sandbox's seeded merchants, fills the cache and records the seed's consents.
    pub async fn demo(
        &self,
        admin_url: Option<String>,
        progress: Arc<dyn Progress>,
    ) -> EngineResult<DemoSummary> {
        let embedded = admin_url.is_none();
        let admin = match admin_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => self.embedded_admin_url().await?,
        };
        let seeded = fetch_merchants(&admin).await?;
        let existing = self.list_merchants().await?;
        let mut merchants = Vec::new();
        for m in &seeded {
            let base_url = if embedded {
                format!("{EMBEDDED_PREFIX}{}", m.account.kind())
            } else {
                m.base_url.clone()
            };
            if let Some(found) = existing
                .iter()
                .find(|e| e.account == m.account && e.base_url == base_url)
            {
                merchants.push(found.clone());
                continue;
            }
            let input = MerchantInput {
                name: m.name.clone(),
                account: m.account.clone(),
                environment: Environment::Sandbox,
                endpoint: EndpointInput {
                    base_url: Some(base_url),
                    ..EndpointInput::default()
                },
                time_zone: m.time_zone.clone(),
                currency: m.currency.code().to_string(),
                notice_lead_days: 3,
                group: Some(demo_group(m.account.kind())),
            };
            let secret = (!embedded).then(|| SecretString::from(m.secret.clone()));
            merchants.push(self.add_merchant(input, secret).await?);
        }
        let customers_registered = self.register_demo_customers(&seeded, &merchants).await?;
        let scope: Vec<MerchantId> = merchants.iter().map(|m| MerchantId(m.id)).collect();
        let synced = self
            .sync_all(scope.clone(), progress, CancellationToken::new())
            .await?;
        self.record_demo_initials(&seeded, &merchants).await?;
        let now = self.now();
        let consents_recorded = self
            .with_store(move |store| {
                let consent = Consent {
                    given_at: now,
                    terms: DEMO_CONSENT_TERMS.to_string(),
                };
                let mut n = 0;
                for id in &scope {
                    n += store.record_consent_where_initial(*id, &consent)?;
                }
                Ok(n as u64)
            })
            .await?;
        self.record_audit(
            None,
            "demo_registered",
            "demo".into(),
            serde_json::json!({"admin": admin, "merchants": merchants.len(), "consents": consents_recorded}),
        )
        .await?;
        Ok(DemoSummary {
            merchants,
            customers_registered,
            synced,
            consents_recorded,
        })
    }
}

impl Engine {
    /// Assist has no customer listing: its seeded CustomerNumbers come from the sandbox's own
    /// register endpoint, as a merchant's CSV import would bring them.
    async fn register_demo_customers(
        &self,
        seeded: &[SandboxMerchant],
        merchants: &[MerchantView],
    ) -> EngineResult<u64> {
        let mut registered = 0;
        for (m, view) in seeded.iter().zip(merchants) {
            if let coffer_core::ProviderAccount::Svea { seller_id, .. } = &m.account {
                registered += self
                    .register_svea_tokens(&m.base_url, seller_id, MerchantId(view.id))
                    .await?;
            }
            if let coffer_core::ProviderAccount::Assist { merchant_id, .. } = &m.account {
                let url = format!(
                    "{}/__sandbox/customers?merchant_id={merchant_id}",
                    m.base_url
                );
                let rows: Vec<RegisterRow> = get_json(&url).await?;
                let id = MerchantId(view.id);
                let known = self
                    .with_store(move |store| Ok(store.customer_refs(id)?))
                    .await?;
                let fresh: Vec<_> = rows
                    .into_iter()
                    .filter(|r| !known.iter().any(|(_, k)| k.0 == r.customer_number))
                    .map(|r| coffer_store::customers::CustomerFields {
                        reference: coffer_core::CustomerRef(r.customer_number),
                        name: r.name,
                        email: r.email,
                        phone: r.phone,
                        address: None,
                    })
                    .collect();
                let now = self.now();
                registered += fresh.len() as u64;
                self.with_store(move |store| Ok(store.insert_register_customers(id, &fresh, now)?))
                    .await?;
            }
        }
        Ok(registered)
    }
}

impl Engine {
    async fn register_svea_tokens(
        &self,
        base_url: &str,
        seller_id: &str,
        merchant: MerchantId,
    ) -> EngineResult<u64> {
        let mut offset = 0;
        let mut registered = 0;
        loop {
            let url = format!(
                "{base_url}/__sandbox/tokens?seller_id={seller_id}&offset={offset}&limit=1000"
            );
            let page: SveaTokenPage = get_json(&url).await?;
            if page.customers.is_empty() {
                return Ok(registered);
            }
            offset += page.customers.len();
            let now = self.now();
            registered += self
                .with_store(move |store| {
                    Ok(store.batch(|store| {
                        let mut added = 0;
                        for customer in &page.customers {
                            let fields = coffer_store::customers::CustomerFields {
                                reference: coffer_core::CustomerRef(format!(
                                    "C{:06}",
                                    customer.index + 1
                                )),
                                name: customer.name.clone(),
                                email: customer.email.clone(),
                                phone: customer.phone.clone(),
                                // Svea requires one in every payment.
                                address: Some(finnish_address(customer.index)),
                            };
                            let (customer_id, changed) = store.upsert_customer(
                                merchant,
                                &fields,
                                coffer_store::customers::CustomerOrigin::Coffer,
                                now,
                            )?;
                            added += u64::from(changed);
                            for card in &customer.cards {
                                let Some(token) = &card.pmt_token else {
                                    continue;
                                };
                                let Some(fields) = svea_card_fields(token, card) else {
                                    continue;
                                };
                                let (card_id, _) =
                                    store.upsert_card(merchant, customer_id, &fields, now)?;
                                if let Some(initial) = &card.initial {
                                    store.set_card_initial(
                                        card_id,
                                        &coffer_core::InitialTransaction {
                                            reference: coffer_core::ProviderRef(
                                                initial.pmt_id.clone(),
                                            ),
                                            amount: Some(coffer_core::Money::from_minor(
                                                initial.amount_minor,
                                                coffer_core::Currency::EUR,
                                            )),
                                            at: now,
                                            kind: coffer_core::InitialKind::Recurring,
                                        },
                                    )?;
                                }
                            }
                        }
                        Ok(added)
                    })?)
                })
                .await?;
            if offset as u64 >= page.total {
                return Ok(registered);
            }
        }
    }
}

fn svea_card_fields(token: &str, card: &SveaCard) -> Option<coffer_store::cards::CardFields> {
    Some(coffer_store::cards::CardFields {
        token: coffer_core::CardToken(token.to_string()),
        brand: coffer_core::CardBrand::from_name(&card.brand),
        last4: coffer_core::Last4::new(&card.last4).ok()?,
        bin: coffer_core::Bin::new(&card.bin).ok(),
        bank: card.bank.clone(),
        expiry: coffer_core::CardExpiry::new(card.exp_year, card.exp_month).ok()?,
        active: true,
        needs_cvc: false,
        art_url: None,
    })
}

#[derive(serde::Deserialize)]
struct SveaTokenPage {
    total: u64,
    customers: Vec<SveaCustomer>,
}

#[derive(serde::Deserialize)]
struct SveaCustomer {
    index: usize,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    cards: Vec<SveaCard>,
}

#[derive(serde::Deserialize)]
struct SveaCard {
    pmt_token: Option<String>,
    brand: String,
    bin: String,
    last4: String,
    bank: Option<String>,
    exp_month: u32,
    exp_year: i32,
    initial: Option<SveaInitial>,
}

#[derive(serde::Deserialize)]
struct SveaInitial {
    pmt_id: String,
    amount_minor: i64,
}

impl Engine {
    /// Clover's and Assist's listings do not say which card has an initial transaction; their
    /// sandboxes list the seeded ones (`/__sandbox/initials`), as the merchant's own records of
    /// those first payments would.
    async fn record_demo_initials(
        &self,
        seeded: &[SandboxMerchant],
        merchants: &[MerchantView],
    ) -> EngineResult<()> {
        for (m, view) in seeded.iter().zip(merchants) {
            if !matches!(
                m.account.kind(),
                ProviderKind::Clover | ProviderKind::Assist
            ) {
                continue;
            }
            let merchant = MerchantId(view.id);
            let mut offset = 0;
            loop {
                let url = format!(
                    "{}/__sandbox/initials?merchant={}&offset={offset}&limit=1000",
                    m.base_url,
                    m.account.account_id()
                );
                let page: InitialsPage = get_json(&url).await?;
                if page.initials.is_empty() {
                    break;
                }
                offset += page.initials.len();
                let now = self.now();
                self.with_store(move |store| {
                    Ok(store.batch(|store| {
                        for initial in &page.initials {
                            let Ok(currency) = coffer_core::Currency::from_code(&initial.currency)
                            else {
                                continue;
                            };
                            store.set_initial_by_token(
                                merchant,
                                &coffer_core::CardToken(initial.token.clone()),
                                &coffer_core::InitialTransaction {
                                    reference: coffer_core::ProviderRef(
                                        initial.initial_ref.clone(),
                                    ),
                                    amount: Some(coffer_core::Money::from_minor(
                                        initial.amount_minor,
                                        currency,
                                    )),
                                    at: now,
                                    kind: initial.kind,
                                },
                            )?;
                        }
                        Ok(())
                    })?)
                })
                .await?;
                if offset as u64 >= page.total {
                    break;
                }
            }
        }
        Ok(())
    }
}

#[derive(serde::Deserialize)]
struct InitialsPage {
    total: u64,
    initials: Vec<DemoInitial>,
}

#[derive(serde::Deserialize)]
struct DemoInitial {
    token: String,
    initial_ref: String,
    amount_minor: i64,
    currency: String,
    /// What the seeded initial order registered: the Assist sandbox lists `recurring` orders
    /// (RecurringIndicator=1) and a few `one_click` (Token Pay) ones; Clover's are recurring.
    #[serde(default)]
    kind: coffer_core::InitialKind,
}

/// A row of the Assist sandbox's register.
#[derive(serde::Deserialize)]
struct RegisterRow {
    customer_number: String,
    name: String,
    email: Option<String>,
    phone: Option<String>,
}

async fn get_json<T: serde::de::DeserializeOwned>(url: &str) -> EngineResult<T> {
    let unreachable = |e: reqwest::Error| {
        EngineError::new(
            ErrorKind::ProviderUnavailable,
            format!("sandbox {url}: {e}"),
        )
    };
    reqwest::get(url)
        .await
        .map_err(unreachable)?
        .error_for_status()
        .map_err(unreachable)?
        .json()
        .await
        .map_err(|e| {
            EngineError::new(
                ErrorKind::ProviderUnavailable,
                format!("sandbox {url} answered something else: {e}"),
            )
        })
}

/// The group every demo location of one provider belongs to.
fn demo_group(kind: ProviderKind) -> String {
    format!("Demo {kind}")
}

async fn fetch_merchants(admin: &str) -> EngineResult<Vec<SandboxMerchant>> {
    get_json(&format!("{admin}/merchants")).await
}

/// A real-looking Finnish address for demo customer `index`, the same for the same index: Svea
/// requires the buyer's address in every payment (svea_buyer_address).
fn finnish_address(index: usize) -> coffer_core::Address {
    const STREETS: [&str; 12] = [
        "Mannerheimintie",
        "Hämeenkatu",
        "Aleksanterinkatu",
        "Kauppakatu",
        "Rautatienkatu",
        "Puistokatu",
        "Koulukatu",
        "Satamakatu",
        "Itäinen Pitkäkatu",
        "Yliopistonkatu",
        "Kirkkokatu",
        "Torikatu",
    ];
    const PLACES: [(&str, &str); 12] = [
        ("00100", "Helsinki"),
        ("00530", "Helsinki"),
        ("02100", "Espoo"),
        ("01300", "Vantaa"),
        ("33100", "Tampere"),
        ("20100", "Turku"),
        ("90100", "Oulu"),
        ("40100", "Jyväskylä"),
        ("15110", "Lahti"),
        ("70100", "Kuopio"),
        ("28100", "Pori"),
        ("65100", "Vaasa"),
    ];
    let street = STREETS[index % STREETS.len()];
    let (postal_code, city) = PLACES[(index / STREETS.len()) % PLACES.len()];
    let number = index % 47 + 1;
    let street = if index.is_multiple_of(3) {
        format!("{street} {number} A {}", index % 9 + 1)
    } else {
        format!("{street} {number}")
    };
    coffer_core::Address {
        street,
        postal_code: postal_code.into(),
        city: city.into(),
        country: "FI".into(),
    }
}

#[cfg(test)]
mod address_tests {
    #[test]
    fn every_demo_address_passes_the_address_check() {
        for index in 0..2000 {
            let a = super::finnish_address(index);
            let checked =
                coffer_core::Address::new(&a.street, &a.postal_code, &a.city, &a.country).unwrap();
            assert_eq!(checked, a);
        }
    }
}
