//! Erasing a customer (a data-protection request) against the sandboxes: its cards deleted at
//! the provider where offered, its ledger rows kept without its name, the audit chain intact.

use coffer_core::contract::ContractStatus;
use coffer_core::{
    AttemptId, AttemptKind, CardId, CustomerId, IdempotencyKey, Money, ProviderRef, Reason,
    StoredCredential,
};
use coffer_engine::charge::ChargeInput;
use coffer_engine::erase::CardAtProvider;
use coffer_engine::export::ExportKind;
use coffer_engine::secrets::SecretStore;
use coffer_engine::ErrorKind;
use coffer_store::audit_log::AuditFilter;
use coffer_store::charges::NewAttempt;
use tokio_util::sync::CancellationToken;

use crate::*;

fn manual(card: i64, amount: &str) -> ChargeInput {
    ChargeInput {
        card: CardId(card),
        amount: amount.into(),
        reason: Reason::Unscheduled,
        merchant: None,
        idempotency_key: None,
        description: None,
        confirm_large: false,
    }
}

#[tokio::test]
async fn an_erased_clover_customer_loses_its_cards_at_clover_and_its_name_everywhere_but_not_its_money(
) {
    let world = World::new().await;
    let name = "Clover Downtown";
    let merchant_id = coffer_core::MerchantId(world.merchant_id(name).await);
    let card = world.cards(name, None, 1).await.remove(0);
    let customer = CustomerId(card.customer_id);
    let before = world.store().customer(customer).unwrap();
    let email = before.email.clone().unwrap();
    assert!(!before.name.is_empty(), "the demo customer has a name");
    let charged = world
        .engine
        .charge_card(manual(card.id, "12.34"))
        .await
        .unwrap();
    let attempt = AttemptId(charged.attempt_id.unwrap());
    let contract = monthly(&world.engine, card.id, "9.90", due_soon()).await;

    // The database file and its write-ahead log, as bytes: what a copy of the disk shows.
    let database = coffer_engine::config::database_path(world.engine.data_dir());
    let on_disk = |needle: &str| {
        ["", "-wal"].iter().any(|suffix| {
            std::fs::read(format!("{}{suffix}", database.display()))
                .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
        })
    };
    assert!(on_disk(&email), "the e-mail is on the disk before");

    let report = world.engine.erase_customer(customer).await.unwrap();
    assert!(
        !on_disk(&email),
        "the erased e-mail is still readable in the database files"
    );
    assert_eq!(
        report.still_held,
        Vec::<String>::new(),
        "nothing else holds the details"
    );
    assert!(!report.cards.is_empty());
    assert!(
        report
            .cards
            .iter()
            .all(|c| c.at_provider == CardAtProvider::Deleted),
        "Clover deletes saved cards: {report:?}"
    );
    assert_eq!(report.contracts_ended, 1);

    // At Clover the card is gone.
    let store = world.store();
    let merchant = store.merchant(merchant_id).unwrap();
    let secret = world
        .secrets
        .get(&coffer_engine::secrets::merchant_secret_address(&merchant))
        .unwrap();
    let clover = coffer_providers::connect(&merchant, secret).unwrap();
    let listed = clover.cards_of(&before.reference).await.unwrap();
    assert!(
        listed.iter().all(|c| c.token.as_str() != card.token),
        "the erased customer's card is deleted at Clover"
    );

    // Coffer forgot the person and kept the money.
    let after = store.customer(customer).unwrap();
    assert_eq!(
        (after.name.as_str(), &after.email, &after.phone),
        ("", &None, &None)
    );
    let row = store.attempt(attempt).unwrap();
    assert_eq!(row.amount, Money::from_minor(1234, row.amount.currency));
    assert_eq!(row.provider_ref.map(|r| r.0), charged.provider_ref);
    assert_eq!(
        store.contract(contract.contract.id).unwrap().status,
        ContractStatus::Ended
    );
    assert!(!store.card(CardId(card.id)).unwrap().active);
    assert_eq!(store.verify_audit().unwrap().map(|n| n > 0), Ok(true));
    let erased = store
        .audit_events(&AuditFilter {
            action: Some("customer_erased".into()),
            ..AuditFilter::default()
        })
        .unwrap();
    assert_eq!(erased.len(), 1);
    assert!(!erased[0].details.contains(&email) && !erased[0].details.contains(&before.name));
    assert_eq!(erased[0].personal, None);

    // Exports show no personal data of theirs.
    for kind in [
        ExportKind::Customers,
        ExportKind::Charges,
        ExportKind::Audit,
    ] {
        let export = world
            .engine
            .export_csv(kind, vec![merchant_id], None)
            .await
            .unwrap();
        let text = std::fs::read_to_string(&export.path).unwrap();
        assert!(
            !text.contains(&email),
            "{kind:?} export holds the erased customer's e-mail"
        );
        // Another demo customer may share the name: the erased one's rows must not hold it.
        let mut reader = csv::Reader::from_path(&export.path).unwrap();
        let mut theirs = 0;
        for record in reader.records() {
            let record = record.unwrap();
            if record.iter().any(|cell| cell == before.reference.0) {
                theirs += 1;
                assert!(
                    record.iter().all(|cell| cell != before.name),
                    "{kind:?} export names the erased customer: {record:?}"
                );
            }
        }
        if kind == ExportKind::Customers {
            assert_eq!(theirs, 1, "the erased customer's row stays, nameless");
        }
        if kind == ExportKind::Charges {
            assert!(
                text.contains("12.34"),
                "the charge stays in the ledger export"
            );
        }
    }

    // A sync brings nothing back; a second erasure is refused.
    world
        .engine
        .sync_merchant(
            merchant_id,
            std::sync::Arc::new(coffer_engine::progress::NoProgress),
            CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(world.store().customer(customer).unwrap().name, "");
    let again = world.engine.erase_customer(customer).await.unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Conflict);
}

#[tokio::test]
async fn a_customer_with_an_unsettled_attempt_is_not_erased() {
    let world = World::new().await;
    let card = world.cards("Clover Downtown", None, 1).await.remove(0);
    let customer = CustomerId(card.customer_id);
    let store = world.store();
    let merchant = store.card(CardId(card.id)).unwrap().merchant_id;
    store
        .insert_attempt(&NewAttempt {
            kind: AttemptKind::Charge,
            merchant_id: merchant,
            card_id: CardId(card.id),
            contract_id: None,
            occurrence: None,
            try_number: 1,
            refund_of: None,
            amount: Money::from_minor(500, coffer_core::Currency::EUR),
            credential: StoredCredential::merchant_initiated(
                Reason::Unscheduled,
                ProviderRef("REF".into()),
            ),
            idempotency_key: IdempotencyKey("erase-unsettled".into()),
            order_id: "CFERASE1".into(),
            created_at: chrono::Utc::now(),
            request_json: None,
        })
        .unwrap();
    let name = store.customer(customer).unwrap().name;
    let err = world.engine.erase_customer(customer).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert!(err.to_string().contains("not settled"), "{err}");
    assert_eq!(
        store.customer(customer).unwrap().name,
        name,
        "nothing was blanked"
    );
    assert!(store.card(CardId(card.id)).unwrap().active);
}

#[tokio::test]
async fn an_erased_svea_customer_keeps_its_card_at_svea_and_its_charge_loses_the_buyer() {
    let world = World::new().await;
    let card = world.cards("Svea Demo Helsinki", None, 1).await.remove(0);
    let customer = CustomerId(card.customer_id);
    let store = world.store();
    let before = store.customer(customer).unwrap();
    assert!(
        before.address.is_some(),
        "Svea demo customers have an address"
    );
    let charged = world
        .engine
        .charge_card(manual(card.id, "12.34"))
        .await
        .unwrap();
    let attempt = AttemptId(charged.attempt_id.unwrap());
    let request = store.attempt_request(attempt).unwrap().unwrap();
    assert!(
        request.contains(&before.name),
        "the kept request names the buyer: {request}"
    );

    let report = world.engine.erase_customer(customer).await.unwrap();
    assert!(
        report
            .cards
            .iter()
            .all(|c| c.at_provider == CardAtProvider::NotOffered),
        "Svea offers no card deletion: {report:?}"
    );
    assert_eq!(report.ledger_rows_pseudonymised, 1);
    let request = store.attempt_request(attempt).unwrap().unwrap();
    assert!(
        !request.contains(&before.name) && request.contains(&card.token),
        "the buyer is gone, the rest of the request stays: {request}"
    );
    let row = store.attempt(attempt).unwrap();
    assert_eq!(row.amount.minor, 1234);
    assert_eq!(row.provider_ref.map(|r| r.0), charged.provider_ref);
    let after = store.customer(customer).unwrap();
    assert_eq!((after.name.as_str(), after.address), ("", None));
    assert_eq!(store.verify_audit().unwrap().map(|n| n > 0), Ok(true));
}

/// The copies kept before upgrades and the exports made before the erasure are the owner's
/// files: the report names each copy, and each export that shows the person (in the exports
/// folder or written elsewhere), and no export that does not.
#[tokio::test]
async fn the_erasure_names_the_upgrade_copies_and_the_exports_made_before_it_that_show_the_customer(
) {
    let world = World::new().await;
    let name = "Clover Downtown";
    let merchant_id = coffer_core::MerchantId(world.merchant_id(name).await);
    let card = world.cards(name, None, 1).await.remove(0);
    let customer = CustomerId(card.customer_id);
    let email = world.store().customer(customer).unwrap().email.unwrap();
    let customers = world
        .engine
        .export_csv(ExportKind::Customers, vec![merchant_id], None)
        .await
        .unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let cards_file = elsewhere.path().join("cards for the accountant.csv");
    world
        .engine
        .export_csv(
            ExportKind::Cards,
            vec![merchant_id],
            Some(cards_file.clone()),
        )
        .await
        .unwrap();
    // Another merchant's customers: not this person.
    let other = coffer_core::MerchantId(world.merchant_id("Svea Demo Helsinki").await);
    let others = world
        .engine
        .export_csv(ExportKind::Customers, vec![other], None)
        .await
        .unwrap();
    assert!(std::fs::read_to_string(&customers.path)
        .unwrap()
        .contains(&email));
    assert!(!std::fs::read_to_string(&others.path)
        .unwrap()
        .contains(&email));

    // A copy kept before an upgrade holds everybody as they were then.
    let copy = world.dir.path().join("coffer.db.before-v25-1790000000000");
    std::fs::write(&copy, b"an older copy").unwrap();

    let report = world.engine.erase_customer(customer).await.unwrap();
    assert!(
        report
            .still_held
            .iter()
            .any(|place| place.starts_with(&format!(
                "{}: a copy of the database kept before an upgrade",
                copy.display()
            ))),
        "{:?}",
        report.still_held
    );
    let named: Vec<&String> = report
        .still_held
        .iter()
        .filter(|place| place.contains("CSV export"))
        .collect();
    let shows = |path: &str| {
        named
            .iter()
            .any(|place| place.starts_with(&format!("{path}: ")))
    };
    assert!(shows(&customers.path), "{:?}", report.still_held);
    assert!(
        std::fs::read_to_string(&cards_file)
            .unwrap()
            .contains(&email)
            == shows(&cards_file.display().to_string()),
        "the cards export is named exactly when it shows the person: {:?}",
        report.still_held
    );
    assert!(!shows(&others.path), "{:?}", report.still_held);
    assert!(
        std::path::Path::new(&customers.path).exists(),
        "the owner's export is left where it is"
    );
}

#[tokio::test]
async fn a_register_customers_audit_events_show_its_name_until_it_is_erased() {
    let world = World::new().await;
    let svea = coffer_core::MerchantId(world.merchant_id("Svea Demo Helsinki").await);
    let id = world
        .engine
        .create_customer(
            svea,
            coffer_engine::customers::CustomerDetails {
                reference: coffer_core::CustomerRef("ERASE-1".into()),
                name: "Eero Erased".into(),
                email: Some("eero@example.com".into()),
                phone: None,
                address: None,
            },
        )
        .await
        .unwrap();
    let created = || async {
        world
            .engine
            .list_audit(coffer_engine::audit::AuditQuery {
                merchant_id: Some(svea.0),
                action: Some("customer_created".into()),
                ..Default::default()
            })
            .await
            .unwrap()
    };
    let shown = created().await;
    assert_eq!(shown.len(), 1);
    assert_eq!(
        shown[0].details["name"], "Eero Erased",
        "kept apart, still shown"
    );
    let hash = shown[0].hash.clone();
    let listed = || async {
        world
            .engine
            .search_customers(coffer_engine::search::CustomerSearch {
                merchant: Some(svea),
                limit: Some(1000),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.id == id)
            .unwrap()
    };
    let record = world.engine.customer_record(CustomerId(id)).await.unwrap();
    assert_eq!(record.erased_at, None);
    assert_eq!(record.customer.name, "Eero Erased");
    assert_eq!(listed().await.erased_at, None);

    let report = world.engine.erase_customer(CustomerId(id)).await.unwrap();
    assert_eq!(report.audit_events_blanked, 1);
    // The customer page and the list say it was erased, not just show a blank name.
    let record = world.engine.customer_record(CustomerId(id)).await.unwrap();
    let erased_at = record.erased_at.expect("the record carries the erasure");
    assert_eq!(record.customer.name, "");
    let row = listed().await;
    assert_eq!(row.erased_at, Some(erased_at));
    assert_eq!(row.name, "");
    let shown = created().await;
    assert!(
        shown[0].details.get("name").is_none(),
        "{:?}",
        shown[0].details
    );
    assert_eq!(shown[0].hash, hash, "erasure rewrites no hash");
    // Nothing writes the details back: an edit of the erased customer is refused.
    let edit = world
        .engine
        .edit_customer(
            CustomerId(id),
            "Eero Again".into(),
            Some("eero@example.com".into()),
            None,
            None,
        )
        .await
        .unwrap_err();
    assert!(edit.to_string().contains("was erased on"), "{edit}");
    assert_eq!(listed().await.name, "", "nothing written");
    assert_eq!(
        world.store().verify_audit().unwrap().map(|n| n > 0),
        Ok(true)
    );
}
