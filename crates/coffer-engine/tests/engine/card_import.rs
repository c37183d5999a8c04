//! Card import (issue 24) against the four sandboxes: a card whose consent and initial a
//! merchant's shop made elsewhere becomes MIT-ready and its next merchant-initiated charge
//! links to that initial; a file with a wrong row saves nothing and names every wrong row.
//!
//! The demo seed's cards come with their initial already recorded, so each test first takes a
//! seeded card's consent and initial off Coffer's records (what a merchant's first day looks
//! like), then imports them back from the provider's references.

use coffer_core::{CardId, CustomerId, MerchantId, Reason};
use coffer_engine::card_import::CardImportReport;
use coffer_engine::charge::ChargeInput;
use coffer_engine::search::CardView;

use crate::world::{ready, World};

const HEADER: &str = "customer_reference,card_token,initial_ref,consent_at,terms";
const TERMS: &str = "I agree that the shop may charge this card for my subscription.";

/// Takes a card's consent and initial off Coffer's records, as if the shop had made them.
fn forget_consent_and_initial(world: &World, card: i64) {
    let mut store =
        coffer_store::Store::open(&coffer_engine::config::database_path(world.dir.path())).unwrap();
    store
        .transaction(|tx| {
            tx.execute(
                "UPDATE cards SET consent_at = NULL, consent_terms = NULL, initial_ref = NULL, \
                 initial_amount_minor = NULL, initial_currency = NULL, initial_at = NULL, \
                 initial_kind = NULL WHERE id = ?1",
                [card],
            )?;
            Ok(())
        })
        .unwrap();
}

/// A card whose consent and initial the merchant's shop made: a ready card of the demo seed,
/// what the merchant holds of it, after Coffer's records of both are forgotten.
struct Held {
    customer: coffer_core::Customer,
    card: CardView,
    /// The reference merchant-initiated charges link to.
    initial: String,
    /// The initial's amount.
    amount: Option<coffer_core::Money>,
}

async fn held_card(world: &World, merchant: MerchantId, skip: usize) -> Held {
    let card = world
        .cards(merchant)
        .await
        .into_iter()
        .filter(ready)
        .nth(skip)
        .expect("the demo seed has enough ready cards");
    let customer = world
        .engine
        .customer(CustomerId(card.customer_id))
        .await
        .unwrap();
    let initial = card
        .initial_ref
        .clone()
        .expect("a ready card has an initial");
    let amount = {
        use coffer_store::repo::prelude::*;
        let store =
            coffer_store::Store::open(&coffer_engine::config::database_path(world.dir.path()))
                .unwrap();
        store.card(CardId(card.id)).unwrap().initial.unwrap().amount
    };
    forget_consent_and_initial(world, card.id);
    Held {
        customer,
        card,
        initial,
        amount,
    }
}

fn row(customer: &str, card: &CardView, initial: &str, extra: &str) -> String {
    format!(
        "{customer},{},{initial},2026-01-15,{TERMS}{extra}\n",
        card.token
    )
}

async fn card(world: &World, id: i64) -> CardView {
    world.engine.show_card(CardId(id)).await.unwrap()
}

/// Assist's reference is the initial order's OrderNumber (the merchant's own), which the
/// sandbox's register lists beside the BillNumber Coffer links charges to.
async fn assist_order_number(world: &World, merchant: MerchantId, billnumber: &str) -> String {
    let owner = world.engine.merchant(merchant).await.unwrap();
    let url = format!(
        "{}/__sandbox/customers?merchant_id={}",
        world.sandbox.urls.of(coffer_core::ProviderKind::Assist),
        owner.account.account_id()
    );
    let rows: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["cards"].as_array().unwrap().iter())
        .find(|k| k["initial_billnumber"] == billnumber)
        .and_then(|k| k["initial_ordernumber"].as_str())
        .expect("the seeded initial order")
        .to_string()
}

/// The reference as the merchant holds it, and the optional columns its provider needs:
/// Assist's registered Recurring* limits, Svea's original amount and buyer address.
async fn as_held(
    world: &World,
    provider: &str,
    merchant: MerchantId,
    held: &Held,
) -> (String, String, String) {
    match provider {
        "assist" => (
            assist_order_number(world, merchant, &held.initial).await,
            ",initial_date,recurring_min,recurring_max,recurring_period,recurring_max_date".into(),
            // A day on or before the initial order (the seed's are 35-94 days back):
            // orderresult searches from the day before it to now.
            format!(
                ",{},1.00,500.00,28,{}",
                chrono::Utc::now().date_naive() - chrono::Days::new(100),
                chrono::Utc::now().date_naive() + chrono::Days::new(700)
            ),
        ),
        "svea" => {
            let amount = held.amount.expect("Svea's initial has its amount");
            let a = held
                .customer
                .address
                .clone()
                .expect("the demo's Svea customers have one");
            (
                held.initial.clone(),
                ",original_amount,street,postal_code,city,country".into(),
                format!(
                    ",{},\"{}\",{},{},{}",
                    amount.to_decimal('.'),
                    a.street,
                    a.postal_code,
                    a.city,
                    a.country
                ),
            )
        }
        _ => (held.initial.clone(), String::new(), String::new()),
    }
}

/// A reference the provider has no transaction for, in its own format.
fn unknown_reference(provider: &str) -> &'static str {
    match provider {
        "clover" => "999999999999",
        "processout" => "tr_nosuchtransaction",
        "assist" => "NO-SUCH-ORDER",
        _ => "NOSUCHPMT0000001",
    }
}

async fn import(world: &World, merchant: MerchantId, text: String) -> CardImportReport {
    world.engine.import_cards_csv(merchant, text).await.unwrap()
}

#[tokio::test]
async fn an_imported_card_is_mit_ready_and_its_next_charge_links_to_the_imported_initial() {
    let world = World::new().await;
    for provider in ["clover", "processout", "assist", "svea"] {
        let merchant = world.merchant(provider, 0).await;
        let h = held_card(&world, merchant, 0).await;
        let (customer, held, initial) = (
            h.customer.reference.0.clone(),
            h.card.clone(),
            h.initial.clone(),
        );
        let before = card(&world, held.id).await;
        assert!(
            !before.mit_ready,
            "{provider}: the shop's card starts without records"
        );
        let (reference, columns, values) = as_held(&world, provider, merchant, &h).await;
        let text = format!(
            "{HEADER}{columns}\n{}",
            row(&customer, &held, &reference, &values)
        );
        let report = import(&world, merchant, text).await;
        assert!(report.saved(), "{provider}: {:?}", report.problems);
        assert_eq!(report.imported.len(), 1, "{provider}");
        assert_eq!(
            report.imported[0].card_id, held.id,
            "{provider}: the cached card"
        );
        let after = card(&world, held.id).await;
        assert!(
            after.mit_ready,
            "{provider}: consent and initial recorded: {after:?}"
        );
        assert_eq!(
            after.initial_ref.as_deref(),
            Some(initial.as_str()),
            "{provider}: the reference merchant-initiated charges link to, as the provider shows it"
        );
        assert_eq!(
            after.initial_kind.as_deref(),
            Some("recurring"),
            "{provider}"
        );
        let made = world
            .engine
            .charge_card(ChargeInput {
                card: CardId(held.id),
                amount: "1.00".into(),
                reason: Reason::Unscheduled,
                merchant: None,
                idempotency_key: None,
                description: None,
                confirm_large: false,
            })
            .await
            .unwrap();
        assert_eq!(made.status.to_string(), "succeeded", "{provider}: {made:?}");
        assert!(
            made.warnings.is_empty(),
            "{provider}: a linked merchant-initiated charge draws no warning: {:?}",
            made.warnings
        );
        assert_eq!(
            made.flags.initial_ref.as_ref().map(|r| r.0.as_str()),
            Some(initial.as_str()),
            "{provider}: the charge points to the imported initial"
        );
        let sent = world
            .sandbox_charges()
            .into_iter()
            .rev()
            .find(|c| c.card_token == held.token && c.kind == "charge")
            .expect("the charge reached the sandbox");
        assert!(
            sent.warnings.is_empty(),
            "{provider}: the sandbox saw a linked charge: {:?}",
            sent.warnings
        );
        let audit = world.engine.verify_audit().await;
        assert!(
            audit.is_ok(),
            "{provider}: the audit chain holds: {audit:?}"
        );
        let again = import(
            &world,
            merchant,
            format!(
                "{HEADER}{columns}\n{}",
                row(&customer, &held, &reference, &values)
            ),
        )
        .await;
        assert!(
            again.problems.iter().any(|p| p.line == 2
                && p.field == "card_token"
                && p.rule.contains("already MIT-ready")),
            "{provider}: a card already MIT-ready is refused: {:?}",
            again.problems
        );
    }
}

#[tokio::test]
async fn a_file_with_a_foreign_card_or_an_unknown_initial_saves_nothing_and_names_every_row() {
    let world = World::new().await;
    for provider in ["clover", "processout", "assist", "svea"] {
        let merchant = world.merchant(provider, 0).await;
        let good = held_card(&world, merchant, 0).await;
        let foreign = held_card(&world, merchant, 0).await;
        let unknown = held_card(&world, merchant, 0).await;
        let customer = good.customer.reference.0.clone();
        assert_ne!(
            customer, foreign.customer.reference.0,
            "{provider}: two customers"
        );
        let third = unknown.customer.reference.0.clone();
        let (reference, columns, values) = as_held(&world, provider, merchant, &good).await;
        let (foreign_reference, _, _) = as_held(&world, provider, merchant, &foreign).await;
        let (_, _, unknown_values) = as_held(&world, provider, merchant, &unknown).await;
        let (good, foreign, unknown) = (good.card, foreign.card, unknown.card);
        let text = format!(
            "{HEADER}{columns}\n{}{}{}",
            row(&customer, &good, &reference, &values),
            // The other customer's card and initial, under this customer (no optional cells).
            row(&customer, &foreign, &foreign_reference, ""),
            row(
                &third,
                &unknown,
                unknown_reference(provider),
                &unknown_values
            ),
        );
        let report = import(&world, merchant, text).await;
        assert!(!report.saved(), "{provider}");
        assert!(report.imported.is_empty(), "{provider}: all rows or none");
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.line == 3 && (p.field == "card_token" || p.field == "initial_ref")),
            "{provider}: the other customer's card is named on line 3: {:?}",
            report.problems
        );
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.line == 4 && p.field == "initial_ref"),
            "{provider}: the unknown initial is named on line 4: {:?}",
            report.problems
        );
        assert!(
            report.problems.iter().all(|p| p.line != 2),
            "{provider}: the good row has no problem: {:?}",
            report.problems
        );
        for id in [good.id, foreign.id, unknown.id] {
            assert!(
                !card(&world, id).await.mit_ready,
                "{provider}: nothing was saved (card {id})"
            );
        }
    }
}

#[tokio::test]
async fn a_declined_initial_is_refused_with_its_line() {
    let world = World::new().await;
    let merchant = world.merchant("processout", 0).await;
    // 0341: the ProcessOut sandbox declines it softly; the declined transaction is the
    // "initial" the file names.
    let declining = world
        .card(merchant, |c| {
            c.last4 == "0341" && c.mit_ready && c.active && !c.expired
        })
        .await;
    let declined = world
        .engine
        .charge_card(ChargeInput {
            card: CardId(declining.id),
            amount: "2.00".into(),
            reason: Reason::Unscheduled,
            merchant: None,
            idempotency_key: None,
            description: None,
            confirm_large: false,
        })
        .await
        .unwrap();
    let failed = declined
        .provider_ref
        .clone()
        .expect("a decline names its transaction");
    let customer = world
        .engine
        .customer(CustomerId(declining.customer_id))
        .await
        .unwrap()
        .reference
        .0;
    forget_consent_and_initial(&world, declining.id);
    let report = import(
        &world,
        merchant,
        format!("{HEADER}\n{}", row(&customer, &declining, &failed, "")),
    )
    .await;
    let problem = report
        .problems
        .iter()
        .find(|p| p.line == 2 && p.field == "initial_ref")
        .unwrap_or_else(|| panic!("the failed initial is named: {:?}", report.problems));
    assert!(problem.rule.contains("not successful"), "{}", problem.rule);
    assert!(!card(&world, declining.id).await.mit_ready, "nothing saved");
}

#[tokio::test]
async fn an_assist_card_keeps_the_series_its_initial_registered_and_contracts_must_fit_inside() {
    let world = World::new().await;
    let merchant = world.merchant("assist", 0).await;
    let h = held_card(&world, merchant, 0).await;
    let customer = h.customer.reference.0.clone();
    let (reference, columns, values) = as_held(&world, "assist", merchant, &h).await;

    // Without the Recurring* limits the row cannot say what later charges may be.
    let bare = format!(
        "{HEADER},initial_date\n{}",
        row(&customer, &h.card, &reference, &values[..11])
    );
    let refused = import(&world, merchant, bare).await;
    assert!(!refused.saved());
    let fields: Vec<&str> = refused.problems.iter().map(|p| p.field.as_str()).collect();
    for field in [
        "recurring_min",
        "recurring_max",
        "recurring_period",
        "recurring_max_date",
    ] {
        assert!(
            fields.contains(&field),
            "{field} named: {:?}",
            refused.problems
        );
    }
    assert!(!card(&world, h.card.id).await.mit_ready, "nothing saved");

    let text = format!(
        "{HEADER}{columns}\n{}",
        row(&customer, &h.card, &reference, &values)
    );
    let report = import(&world, merchant, text).await;
    assert!(report.saved(), "{:?}", report.problems);

    // The file registered 1.00..500.00 every 28 days: a contract above the maximum, or
    // charging more often, is refused before it is saved, naming Assist's field.
    let start = chrono::Utc::now().date_naive() + chrono::Days::new(40);
    let input = |max: &str, days: u32| coffer_engine::contracts::ContractInput {
        card: h.card.id,
        amount: None,
        max_amount: Some(max.into()),
        min_amount: Some("1.00".into()),
        original_amount: None,
        frequency: Some(coffer_core::contract::Frequency::EveryDays { days }),
        start: Some(start),
        end: Some(start + chrono::Days::new(300)),
    };
    let above = world
        .engine
        .create_contract(input("600.00", 30))
        .await
        .unwrap_err();
    assert!(
        above.to_string().contains("RecurringMaxAmount")
            && above.to_string().contains("500.00")
            && !above.to_string().contains("RecurringPeriod"),
        "{above}"
    );
    let closer = world
        .engine
        .create_contract(input("400.00", 14))
        .await
        .unwrap_err();
    assert!(
        closer.to_string().contains("RecurringPeriod of 28 days"),
        "{closer}"
    );
    let inside = world.engine.create_contract(input("400.00", 30)).await;
    assert!(inside.is_ok(), "{inside:?}");
}

#[tokio::test]
async fn the_text_the_app_read_has_the_bounds_of_a_file() {
    let world = World::new().await;
    let merchant = world.merchant("clover", 0).await;
    let h = held_card(&world, merchant, 0).await;
    let good = format!(
        "{HEADER}\n{}",
        row(&h.customer.reference.0, &h.card, &h.initial, "")
    );
    // A Windows-1252 file as the window reads it: the bytes that are not UTF-8 replaced.
    let mangled = good.replace("subscription", "subscripti\u{FFFD}n");
    let error = world
        .engine
        .import_cards_csv(merchant, mangled)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("CSV UTF-8"), "{error}");
    let oversize = format!(
        "{good}{}",
        "x".repeat(coffer_engine::import_file::MAX_FILE_BYTES as usize)
    );
    let error = world
        .engine
        .import_cards_csv(merchant, oversize)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("larger than"), "{error}");
    assert!(!card(&world, h.card.id).await.mit_ready, "nothing saved");
    // With Excel's byte order mark, the same text imports.
    let report = import(&world, merchant, format!("\u{FEFF}{good}")).await;
    assert!(report.saved(), "{:?}", report.problems);
}
