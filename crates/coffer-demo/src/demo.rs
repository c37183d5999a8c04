//! `demo`: registers the seeded merchants of a sandbox as Coffer merchants and fills the cache,
//! so a new user works against demo data at once. Without an admin URL it uses the embedded
//! sandboxes (no keyring needed); with one (a running `coffer sandbox`) the demo secrets go to
//! the keyring like any other.

use std::sync::Arc;

use coffer_core::{BaseUrl, Consent, Environment, MerchantId, ProviderKind};
use coffer_engine::customers::CustomerDetails;
use coffer_engine::holdings::{HeldCard, HeldCustomer};
use coffer_engine::merchants::{EndpointInput, MerchantInput, MerchantView};
use coffer_engine::progress::Progress;
use coffer_engine::sync::SyncSummary;
use coffer_engine::{Engine, EngineError, EngineResult, ErrorKind};
use coffer_sandbox::SandboxMerchant;
use secrecy::SecretString;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

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

/// Registers the sandbox's seeded merchants, fills the cache and records the seed's consents.
/// Without `admin_url`, the engine's embedded sandboxes.
pub async fn demo(
    engine: &Engine,
    admin_url: Option<String>,
    progress: Arc<dyn Progress>,
) -> EngineResult<DemoSummary> {
    let embedded = admin_url.is_none();
    let admin = match admin_url {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => engine.embedded_admin_url().await?,
    };
    let seeded = fetch_merchants(&admin).await?;
    let existing = engine.list_merchants().await?;
    let mut merchants = Vec::new();
    for m in &seeded {
        let base_url = if embedded {
            BaseUrl::embedded(m.account.kind())
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
        merchants.push(engine.add_merchant(input, secret).await?);
    }
    let customers_registered = register_demo_customers(engine, &seeded, &merchants).await?;
    let scope: Vec<MerchantId> = merchants.iter().map(|m| MerchantId(m.id)).collect();
    let synced = engine
        .sync_all(scope.clone(), progress, CancellationToken::new())
        .await?;
    record_demo_initials(engine, &seeded, &merchants).await?;
    let consent = Consent {
        given_at: engine.now(),
        terms: DEMO_CONSENT_TERMS.to_string(),
    };
    let consents_recorded = engine.record_consent_where_initial(scope, consent).await?;
    engine
        .record_audit(
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

/// Assist has no customer listing: its seeded CustomerNumbers come from the sandbox's own
/// register endpoint, as a merchant's CSV import would bring them. Svea's seeded customers and
/// their tokens come from the sandbox's token listing.
async fn register_demo_customers(
    engine: &Engine,
    seeded: &[SandboxMerchant],
    merchants: &[MerchantView],
) -> EngineResult<u64> {
    let mut registered = 0;
    for (m, view) in seeded.iter().zip(merchants) {
        let id = MerchantId(view.id);
        if let coffer_core::ProviderAccount::Svea(coffer_core::SveaAccount { seller_id, .. }) =
            &m.account
        {
            registered += register_svea_tokens(engine, &m.base_url, seller_id, id).await?;
        }
        if let coffer_core::ProviderAccount::Assist(coffer_core::AssistAccount {
            merchant_id,
            ..
        }) = &m.account
        {
            let url = format!(
                "{}/__sandbox/customers?merchant_id={merchant_id}",
                m.base_url
            );
            let rows: Vec<RegisterRow> = get_json(&url).await?;
            let customers = rows
                .into_iter()
                .map(|r| HeldCustomer {
                    details: CustomerDetails {
                        reference: coffer_core::CustomerRef(r.customer_number),
                        name: r.name,
                        email: r.email,
                        phone: r.phone,
                        address: None,
                    },
                    cards: Vec::new(),
                })
                .collect();
            registered += engine.add_register_customers(id, customers).await?;
        }
    }
    Ok(registered)
}

async fn register_svea_tokens(
    engine: &Engine,
    base_url: &str,
    seller_id: &str,
    merchant: MerchantId,
) -> EngineResult<u64> {
    let mut offset = 0;
    let mut registered = 0;
    loop {
        let url =
            format!("{base_url}/__sandbox/tokens?seller_id={seller_id}&offset={offset}&limit=1000");
        let page: SveaTokenPage = get_json(&url).await?;
        if page.customers.is_empty() {
            return Ok(registered);
        }
        offset += page.customers.len();
        let now = engine.now();
        let customers = page
            .customers
            .iter()
            .map(|customer| HeldCustomer {
                details: CustomerDetails {
                    reference: coffer_core::CustomerRef(format!("C{:06}", customer.index + 1)),
                    name: customer.name.clone(),
                    email: customer.email.clone(),
                    phone: customer.phone.clone(),
                    // Svea requires one in every payment.
                    address: Some(finnish_address(customer.index)),
                },
                cards: customer
                    .cards
                    .iter()
                    .filter_map(|card| held_svea_card(card, now))
                    .collect(),
            })
            .collect();
        registered += engine.take_in_held_cards(merchant, customers).await?;
        if offset as u64 >= page.total {
            return Ok(registered);
        }
    }
}

/// A seeded Svea card with a token and readable display fields (others are passed over).
fn held_svea_card(card: &SveaCard, now: chrono::DateTime<chrono::Utc>) -> Option<HeldCard> {
    Some(HeldCard {
        token: coffer_core::CardToken(card.pmt_token.clone()?),
        brand: coffer_core::CardBrand::from_name(&card.brand),
        last4: coffer_core::Last4::new(&card.last4).ok()?,
        bin: coffer_core::Bin::new(&card.bin).ok(),
        bank: card.bank.clone(),
        expiry: coffer_core::CardExpiry::new(card.exp_year, card.exp_month).ok()?,
        initial: card
            .initial
            .as_ref()
            .map(|initial| coffer_core::InitialTransaction {
                reference: coffer_core::ProviderRef(initial.pmt_id.clone()),
                amount: Some(coffer_core::Money::from_minor(
                    initial.amount_minor,
                    coffer_core::Currency::EUR,
                )),
                at: now,
                kind: coffer_core::InitialKind::Recurring,
                registered: None,
            }),
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

/// Clover's and Assist's listings do not say which card has an initial transaction; their
/// sandboxes list the seeded ones (`/__sandbox/initials`), as the merchant's own records of those
/// first payments would.
async fn record_demo_initials(
    engine: &Engine,
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
            let now = engine.now();
            let initials = page
                .initials
                .iter()
                .filter_map(|initial| {
                    let currency = coffer_core::Currency::from_code(&initial.currency).ok()?;
                    Some((
                        coffer_core::CardToken(initial.token.clone()),
                        coffer_core::InitialTransaction {
                            reference: coffer_core::ProviderRef(initial.initial_ref.clone()),
                            amount: Some(coffer_core::Money::from_minor(
                                initial.amount_minor,
                                currency,
                            )),
                            at: now,
                            kind: initial.kind,
                            registered: None,
                        },
                    ))
                })
                .collect();
            engine.record_initials_by_token(merchant, initials).await?;
            if offset as u64 >= page.total {
                break;
            }
        }
    }
    Ok(())
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
