use coffer_core::{Bin, CardBrand, CardExpiry, CardToken, CustomerRef, Last4, MerchantId};
use coffer_store::cards::CardFields;
use coffer_store::customers::{CustomerFields, CustomerOrigin};
use coffer_store::repo::prelude::*;
use coffer_store::search::{CustomerQuery, CustomerSort};
use coffer_store::Store;

use crate::{at, clover_merchant};

fn customer(store: &Store, merchant: MerchantId, reference: &str, name: &str) -> i64 {
    let fields = CustomerFields {
        reference: CustomerRef(reference.into()),
        name: name.into(),
        email: None,
        phone: None,
        address: None,
    };
    store
        .upsert_customer(merchant, &fields, CustomerOrigin::Sync, at(0))
        .unwrap()
        .0
         .0
}

fn card(store: &Store, merchant: MerchantId, customer: i64, token: &str, bin: &str, last4: &str) {
    let fields = CardFields {
        token: CardToken(token.into()),
        brand: CardBrand::Visa,
        last4: Last4::new(last4).unwrap(),
        bin: Some(Bin::new(bin).unwrap()),
        bank: None,
        expiry: CardExpiry::new(2030, 1).unwrap(),
        active: true,
        needs_cvc: false,
        art_url: None,
    };
    store
        .upsert_card(merchant, coffer_core::CustomerId(customer), &fields, at(0))
        .unwrap();
}

fn search(store: &Store, merchants: &[MerchantId], text: &str, offset: u32) -> Vec<String> {
    let query = CustomerQuery {
        merchants: merchants.to_vec(),
        text: Some(text.into()),
        sort: CustomerSort::Name,
        limit: Some(50),
        offset: Some(offset),
    };
    store
        .search_customers(&query, CardExpiry::new(2026, 1).unwrap())
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect()
}

/// An in-memory store with two locations.
fn two_merchants() -> (Store, MerchantId, MerchantId) {
    let store = Store::open_in_memory().unwrap();
    let merchant = |uuid: &str| {
        store
            .insert_merchant(&clover_merchant(uuid), at(0))
            .unwrap()
            .id
    };
    let (a, b) = (merchant("MA"), merchant("MB"));
    (store, a, b)
}

/// A database file with one location, its writer, and the path to open readers on.
fn one_merchant_on_file() -> (tempfile::TempDir, std::path::PathBuf, Store, MerchantId) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coffer.db");
    let writer = Store::open(&path).unwrap();
    let m = writer
        .insert_merchant(&clover_merchant("M1"), at(0))
        .unwrap()
        .id;
    (dir, path, writer, m)
}

/// A store of the schema before `migration`, holding that schema's fixture, opened (and so
/// upgraded) by today's Coffer.
fn upgraded_across(migration: &str) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coffer.db");
    {
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        let before = coffer_store::migrations::version_of(migration) - 1;
        coffer_store::migrations::migrations()
            .unwrap()
            .to_version(&mut conn, before)
            .unwrap();
        let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("tests/store/fixtures/v{before}.sql"));
        conn.execute_batch(&std::fs::read_to_string(fixture).unwrap())
            .unwrap();
    }
    let store = Store::open(&path).unwrap();
    (dir, store)
}

fn count(store: &Store, merchants: &[MerchantId], text: &str) -> u64 {
    store
        .count_matching_customers(&CustomerQuery {
            merchants: merchants.to_vec(),
            text: Some(text.into()),
            ..CustomerQuery::default()
        })
        .unwrap()
        .total
}

#[test]
fn a_bin_or_last4_search_lists_customers_by_name_and_follows_renames_and_changed_cards() {
    let store = Store::open_in_memory().unwrap();
    let m = store
        .insert_merchant(&clover_merchant("M1"), at(0))
        .unwrap()
        .id;
    let cecilia = customer(&store, m, "C1", "Cecilia");
    let anna = customer(&store, m, "C2", "anna");
    let bertil = customer(&store, m, "C3", "Bertil");
    card(&store, m, cecilia, "t1", "400100", "1111");
    card(&store, m, anna, "t2", "400100", "1111");
    card(&store, m, anna, "t3", "400100", "2222");
    card(&store, m, bertil, "t4", "400100", "1111");
    assert_eq!(
        search(&store, &[m], "400100", 0),
        ["anna", "Bertil", "Cecilia"]
    );
    assert_eq!(
        count(&store, &[m], "400100"),
        3,
        "anna's two cards count her once"
    );
    assert_eq!(search(&store, &[m], "2222", 0), ["anna"]);
    assert_eq!(count(&store, &[m], "visa"), 3);

    // A re-sync renames a customer and moves a card to another BIN: the search follows both.
    customer(&store, m, "C3", "Aaron");
    card(&store, m, cecilia, "t1", "400200", "1111");
    assert_eq!(search(&store, &[m], "400100", 0), ["Aaron", "anna"]);
    assert_eq!(count(&store, &[m], "400100"), 2);
    assert_eq!(search(&store, &[m], "400200", 0), ["Cecilia"]);
    assert_eq!(
        search(&store, &[m], "1111", 0),
        ["Aaron", "anna", "Cecilia"]
    );
    assert_eq!(
        search(&store, &[m], "1111", 2),
        ["Cecilia"],
        "the second page goes on"
    );
}

#[test]
fn a_text_search_counts_every_match_and_pages_the_true_first_names_in_scope() {
    let (store, a, b) = two_merchants();
    store
        .batch(|store| {
            // Inserted last-name-first, so id order is the reverse of name order.
            for i in (0..2100).rev() {
                let merchant = if i % 2 == 0 { a } else { b };
                customer(
                    store,
                    merchant,
                    &format!("V{i}"),
                    &format!("Virtanen {i:04}"),
                );
                customer(store, merchant, &format!("O{i}"), &format!("Other {i:04}"));
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(count(&store, &[], "virtanen"), 2100, "exact, not capped");
    assert_eq!(count(&store, &[a], "virt"), 1050);
    let first = search(&store, &[], "virtanen", 0);
    let expected: Vec<String> = (0..50).map(|i| format!("Virtanen {i:04}")).collect();
    assert_eq!(
        first, expected,
        "the first names in order, not the first found"
    );
    let last = search(&store, &[], "virtanen", 2080);
    let expected: Vec<String> = (2080..2100).map(|i| format!("Virtanen {i:04}")).collect();
    assert_eq!(last, expected);
    let in_a = search(&store, &[a], "virtanen", 0);
    let expected: Vec<String> = (0..50).map(|i| format!("Virtanen {:04}", i * 2)).collect();
    assert_eq!(in_a, expected, "only the location's customers");
}

#[test]
fn an_upgraded_cache_is_found_by_its_cards_and_counted_without_a_resync() {
    let (_dir, store) = upgraded_across("19-search-terms-and-counts");
    // The fixture's Anna Virtanen has a visa 424242…4242 and a mastercard …4444 with no BIN.
    assert_eq!(search(&store, &[], "424242", 0), ["Anna Virtanen"]);
    assert_eq!(search(&store, &[], "4444", 0), ["Anna Virtanen"]);
    assert_eq!(count(&store, &[], "mastercard"), 1);
    let listed = store
        .count_matching_customers(&CustomerQuery::default())
        .unwrap();
    assert_eq!(
        listed.total, 2,
        "both fixture customers, counted per location"
    );
}

#[test]
fn a_search_in_some_locations_never_matches_a_location_by_its_text() {
    let (store, a, b) = two_merchants();
    customer(&store, a, "A1", "Mikko Aalto");
    customer(&store, b, "B1", "Mikko Berg");
    customer(&store, b, "B2", "Liisa Berg");
    assert_eq!(search(&store, &[a], "mikko", 0), ["Mikko Aalto"]);
    assert_eq!(count(&store, &[b], "mikko"), 1);
    assert_eq!(count(&store, &[a, b], "mikko"), 2);
    // The index keeps each customer's location as the token "m<merchant id>"; the owner's
    // words never reach that column.
    let token = format!("m{}", b.0);
    assert_eq!(count(&store, &[], &token), 0);
    assert!(search(&store, &[b], &token, 0).is_empty());

    // A re-sync renames a customer: the scoped search follows it.
    customer(&store, b, "B2", "Mikaela Berg");
    assert_eq!(
        search(&store, &[b], "mik", 0),
        ["Mikaela Berg", "Mikko Berg"]
    );
    assert_eq!(count(&store, &[b], "liisa"), 0);
}

#[test]
fn an_upgraded_cache_is_searched_by_name_in_one_location() {
    let (_dir, store) = upgraded_across("21-search-by-location-and-name-order");
    // The fixture: Anna Virtanen at merchant 1 (Downtown), Pavel Petrov at merchant 2.
    let (downtown, minsk) = (MerchantId(1), MerchantId(2));
    assert_eq!(search(&store, &[downtown], "anna", 0), ["Anna Virtanen"]);
    assert!(search(&store, &[minsk], "anna", 0).is_empty());
    assert_eq!(count(&store, &[minsk], "pavel"), 1);
    assert_eq!(count(&store, &[downtown], "pavel"), 0);
    assert_eq!(count(&store, &[], "CUST0001"), 1, "by reference, too");
}

#[test]
fn an_upgraded_cache_gets_the_search_words_its_text_index_holds() {
    let (dir, store) = upgraded_across("22-search-words-in-name-order");
    let conn = rusqlite::Connection::open(dir.path().join("coffer.db")).unwrap();
    let words: Vec<String> = conn
        .prepare("SELECT words FROM customers ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        words,
        [
            r#"["anna","anna@example.com","cust0001","virtanen"]"#,
            r#"["1001","pavel","petrov"]"#
        ]
    );
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM search_words", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 7);
    assert_eq!(search(&store, &[], "virtanen", 0), ["Anna Virtanen"]);
    assert_eq!(
        search(&store, &[MerchantId(2)], "petrov", 0),
        ["Pavel Petrov"]
    );
    assert!(search(&store, &[MerchantId(1)], "petrov", 0).is_empty());
}

#[test]
fn a_register_customer_is_found_by_the_words_of_its_edit() {
    let (mut store, a, _) = two_merchants();
    let fields = |name: &str, email: &str| CustomerFields {
        reference: CustomerRef("R-1".into()),
        name: name.into(),
        email: Some(email.into()),
        phone: None,
        address: None,
    };
    let ids = store
        .insert_register_customers(a, &[fields("Olga Ivanova", "olga@example.com")], at(0))
        .unwrap();
    assert_eq!(search(&store, &[a], "ivanova", 0), ["Olga Ivanova"]);
    store
        .update_register_customer(ids[0], &fields("Olga Smirnova", "o.s@example.com"), at(1))
        .unwrap();
    assert!(search(&store, &[a], "ivanova", 0).is_empty());
    assert!(search(&store, &[a], "olga@example.com", 0).is_empty());
    assert_eq!(search(&store, &[a], "smirnova", 0), ["Olga Smirnova"]);
    assert_eq!(
        search(&store, &[a], "o.s@example.com", 0),
        ["Olga Smirnova"]
    );
    assert_eq!(search(&store, &[a], "r-1", 0), ["Olga Smirnova"]);
    assert_eq!(count(&store, &[a], "smirnova"), 1);
}

#[test]
fn a_reader_finds_a_word_typed_with_diacritics_or_in_another_script() {
    let (_dir, path, writer, m) = one_merchant_on_file();
    customer(&writer, m, "C1", "Anna Hämäläinen");
    customer(&writer, m, "C2", "Иван Петров");
    customer(&writer, m, "C3", "Jussi Hamalainen");
    let reader = Store::open_reader(&path).unwrap();
    let found = |text: &str| reader.snapshot(|s| search(s, &[m], text, 0)).unwrap();
    assert_eq!(
        found("HÄMÄ"),
        ["Anna Hämäläinen", "Jussi Hamalainen"],
        "diacritics fold as the text index folds them"
    );
    assert_eq!(found("иван"), ["Иван Петров"]);
    assert_eq!(found("ПЕТ"), ["Иван Петров"]);
    assert_eq!(
        reader.snapshot(|s| count(s, &[m], "hämäläinen")).unwrap(),
        2
    );
}

#[test]
fn an_erased_customer_is_found_by_its_reference_only() {
    let (store, a, _) = two_merchants();
    let anna = customer(&store, a, "CUST-7", "Anna Virtanen");
    customer(&store, a, "CUST-8", "Anna Berg");
    store
        .erase_customer_records(coffer_core::CustomerId(anna), at(1))
        .unwrap();
    assert_eq!(search(&store, &[a], "virtanen", 0), Vec::<String>::new());
    assert_eq!(search(&store, &[a], "anna", 0), ["Anna Berg"]);
    assert_eq!(
        search(&store, &[a], "cust-7", 0),
        [""],
        "the reference stays"
    );
}

#[test]
fn a_large_search_in_name_order_follows_customers_added_and_renamed_by_another_connection() {
    let (_dir, path, writer, m) = one_merchant_on_file();
    writer
        .batch(|store| {
            for i in (0..2500).rev() {
                customer(store, m, &format!("V{i}"), &format!("Virtanen {i:04}"));
            }
            Ok(())
        })
        .unwrap();
    let reader = Store::open_reader(&path).unwrap();
    let first = |store: &Store| search(store, &[m], "virtanen", 0)[..3].to_vec();
    assert_eq!(
        first(&reader),
        ["Virtanen 0000", "Virtanen 0001", "Virtanen 0002"]
    );
    // Another connection renames one, then adds one; the reader's next searches see each.
    customer(&writer, m, "V2499", "Virtanen - first");
    assert_eq!(
        first(&reader),
        ["Virtanen - first", "Virtanen 0000", "Virtanen 0001"]
    );
    customer(&writer, m, "VNEW", "Virtanen 0000 A");
    assert_eq!(
        first(&reader),
        ["Virtanen - first", "Virtanen 0000", "Virtanen 0000 A"]
    );
    assert_eq!(count(&reader, &[m], "virtanen"), 2501);
    let last = search(&reader, &[m], "virtanen", 2500);
    assert_eq!(last, ["Virtanen 2498"], "the renamed one left the end");
}

/// The card terms, the per-location counts and the name-order version the store writes with
/// each page of inserts (migration 23: no trigger does) equal what the rows themselves say,
/// through every path that inserts customers or cards.
#[test]
fn every_insert_path_keeps_card_terms_counts_and_name_order_equal_to_the_rows() {
    use coffer_store::cards::SyncedCard;
    let (_dir, path, mut store, m1) = one_merchant_on_file();
    let m2 = store
        .insert_merchant(&clover_merchant("M2"), at(0))
        .unwrap()
        .id;
    let raw = rusqlite::Connection::open(&path).unwrap();
    let version = || -> i64 {
        raw.query_row("SELECT version FROM name_order", [], |r| r.get(0))
            .unwrap()
    };
    let fields = |reference: &str, name: &str| CustomerFields {
        reference: CustomerRef(reference.into()),
        name: name.into(),
        email: Some(format!("{}@example.com", reference.to_lowercase())),
        phone: None,
        address: None,
    };
    let synced = |token: &str, last4: &str, bin: Option<&str>| SyncedCard {
        fields: CardFields {
            token: CardToken(token.into()),
            brand: CardBrand::Mastercard,
            last4: Last4::new(last4).unwrap(),
            bin: bin.map(|b| Bin::new(b).unwrap()),
            bank: None,
            expiry: CardExpiry::new(2030, 1).unwrap(),
            active: true,
            needs_cvc: false,
            art_url: None,
        },
        method: coffer_core::PaymentMethod::Card,
        initial_ref: None,
    };

    // One customer at a time, a register batch, and a sync page in one transaction.
    let v0 = version();
    let alone = customer(&store, m1, "A1", "Aino Alone");
    assert!(version() > v0, "a customer added moves the name order");
    let register = store
        .insert_register_customers(
            m2,
            &[fields("R1", "Risto Register"), fields("R2", "Ruth")],
            at(1),
        )
        .unwrap();
    let v1 = version();
    let page: Vec<_> = (0..5)
        .map(|i| fields(&format!("S{i}"), &format!("Sanna Sync {i}")))
        .collect();
    let (synced_ids, cards) = store
        .batch(|store| {
            let ids = store.sync_customers(m1, &page, at(2))?;
            let paypal = SyncedCard {
                method: coffer_core::PaymentMethod::Apm {
                    name: "PayPal".into(),
                    merchant_initiated: true,
                },
                ..synced("apm-1", "0000", None)
            };
            let first = [synced("s-1", "1111", Some("222300")), paypal];
            // The same token twice in one page: inserted, then edited before the page's terms
            // are written (its update trigger writes them first).
            let twice = [
                synced("s-2", "2222", Some("510000")),
                synced("s-2", "3333", None),
            ];
            let none: [SyncedCard; 0] = [];
            let cards = store.sync_cards(
                m1,
                &[(ids[0].0, &first), (ids[1].0, &twice), (ids[2].0, &none)],
                at(2),
            )?;
            Ok((ids, cards))
        })
        .unwrap();
    assert!(version() > v1, "a sync page moves the name order");
    assert_eq!(cards.len(), 4, "one result per card written");
    // A card alone, synced or registered, and a card moved to another customer.
    store
        .sync_card(
            m1,
            synced_ids[3].0,
            &synced("s-3", "4444", Some("400000")),
            at(3),
        )
        .unwrap();
    card(&store, m2, register[0].0, "r-1", "411111", "5555");
    card(&store, m1, alone, "a-1", "422222", "6666");
    card(&store, m1, synced_ids[4].0 .0, "a-1", "422222", "6666");
    // A rename after all of it: the names in the terms follow.
    store
        .sync_customers(m1, &[fields("S4", "Sanna Renamed")], at(4))
        .unwrap();

    let terms = |sql: &str| -> Vec<(String, String, i64, i64, i64)> {
        let mut stmt = raw.prepare(sql).unwrap();
        let mut rows: Vec<_> = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows.sort();
        rows
    };
    let kept = terms("SELECT term, name, customer_id, card_id, merchant_id FROM card_terms");
    let rebuilt = terms(
        "SELECT t.term, c.name, k.customer_id, k.id, k.merchant_id FROM cards k
           JOIN customers c ON c.id = k.customer_id
           JOIN (SELECT id, 'l' || last4 AS term FROM cards WHERE apm_name IS NULL
                 UNION ALL SELECT id, 'b' || bin FROM cards WHERE bin IS NOT NULL
                 UNION ALL SELECT id, 'r' || brand FROM cards) t ON t.id = k.id",
    );
    assert_eq!(kept, rebuilt, "the card terms are the cards' own");
    // s-1, apm-1 (its brand only), s-2 (no BIN any more), s-3, r-1, a-1.
    assert_eq!(
        kept.len(),
        3 + 1 + 2 + 3 + 3 + 3,
        "every card has its terms"
    );
    let counts = |sql: &str| -> Vec<(i64, i64)> {
        let mut stmt = raw.prepare(sql).unwrap();
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        rows.map(Result::unwrap).collect()
    };
    assert_eq!(
        counts("SELECT merchant_id, customers FROM customer_counts ORDER BY 1"),
        counts("SELECT merchant_id, count(*) FROM customers GROUP BY 1 ORDER BY 1"),
        "each location's count is its number of customers"
    );
    assert_eq!(
        prefixes(&raw, "search_prefixes"),
        prefixes(&raw, "rebuilt"),
        "each customer's word prefixes are its words' own"
    );
    assert_eq!(
        search(&store, &[m1], "6666", 0),
        ["Sanna Renamed"],
        "moved, then renamed"
    );
    assert_eq!(search(&store, &[m1], "3333", 0), ["Sanna Sync 1"]);
    assert_eq!(count(&store, &[m1, m2], "Sanna"), 5);
}

/// `search_prefixes` as kept, or (`rebuilt`) as the customers' words say it should be.
fn prefixes(raw: &rusqlite::Connection, which: &str) -> Vec<(String, i64, String, i64)> {
    let sql = if which == "rebuilt" {
        "SELECT DISTINCT substr(j.value, 1, 3), c.merchant_id, c.name, c.id
           FROM customers c, json_each(c.words) j WHERE length(j.value) >= 3"
    } else {
        "SELECT prefix, merchant_id, name, customer_id FROM search_prefixes"
    };
    let mut stmt = raw.prepare(sql).unwrap();
    let mut rows: Vec<_> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows.sort();
    rows
}

#[test]
fn an_upgraded_cache_gets_the_prefixes_of_its_search_words() {
    let (dir, store) = upgraded_across("24-search-prefixes");
    drop(store);
    let raw = rusqlite::Connection::open(dir.path().join("coffer.db")).unwrap();
    let kept = prefixes(&raw, "search_prefixes");
    assert_eq!(kept, prefixes(&raw, "rebuilt"));
    assert!(
        kept.iter()
            .any(|(p, _, name, _)| p == "vir" && name == "Anna Virtanen"),
        "{kept:?}"
    );
}
