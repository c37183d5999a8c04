//! `coffer customer import FILE --merchant ID`: the register of a provider without a customer
//! listing (Assist), all rows or none.

use coffer_e2e::Profile;

use crate::array;

/// A profile with one embedded-sandbox Assist merchant; returns its id.
fn assist_merchant(profile: &Profile) -> String {
    let added = profile
        .coffer(&[
            "--json",
            "merchant",
            "add",
            "--provider",
            "assist",
            "--name",
            "Minsk",
            "--environment",
            "sandbox",
            "--base-url",
            "embedded:assist",
            "--account-id",
            "600101",
            "--login",
            "coffer_minsk_01",
            "--time-zone",
            "Europe/Minsk",
            "--currency",
            "BYN",
        ])
        .ok()
        .json();
    added["id"].as_i64().expect("the merchant's id").to_string()
}

fn register(profile: &Profile, merchant: &str) -> Vec<serde_json::Value> {
    let run = profile
        .coffer(&[
            "--json",
            "customers",
            "--merchant",
            merchant,
            "--limit",
            "1000",
            "--sort",
            "reference",
        ])
        .ok();
    array(&run.json()).clone()
}

fn write(profile: &Profile, name: &str, text: &str) -> String {
    let path = profile.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn importing_a_malformed_csv_names_the_line_and_field_and_imports_nothing() {
    let profile = Profile::new();
    let merchant = assist_merchant(&profile);
    let cases = [
        (
            "customer_number,name,email\nBY-900001,Pavel Petrov,pavel@example.by\nBY-900002,Olga Ivanova,not-an-email\n",
            "line 3, email",
        ),
        (
            "customer_number,name,email\nBY-900001,Pavel Petrov,\nBY-900002,,olga@example.by\n",
            "line 3, name",
        ),
        (
            "customer_number,name\nBY-900001,Pavel Petrov\nBY-900003,Anna\nBY-900001,Olga Ivanova\n",
            "line 4, customer_number",
        ),
    ];
    for (i, (csv, field)) in cases.iter().enumerate() {
        let file = write(&profile, &format!("bad-{i}.csv"), csv);
        let run = profile.coffer(&[
            "--json",
            "customer",
            "import",
            &file,
            "--merchant",
            &merchant,
        ]);
        assert_eq!(
            run.output.status.code(),
            Some(2),
            "a malformed file is invalid input (exit 2): {}",
            run.stdout()
        );
        let error = run.json();
        assert_eq!(
            error["kind"], "invalid_input",
            "the stable code for bad input: {error}"
        );
        assert_eq!(
            error["field"], *field,
            "the error names the line and the field: {error}"
        );
        assert!(
            error["message"].as_str().unwrap().contains(field),
            "the message names the line and the field too: {error}"
        );
        assert!(
            register(&profile, &merchant).is_empty(),
            "case {i}: not even the good rows before the bad one are imported"
        );
    }
}

#[test]
fn importing_a_good_csv_imports_every_row_with_its_fields() {
    let profile = Profile::new();
    let merchant = assist_merchant(&profile);
    let file = write(
        &profile,
        "good.csv",
        "customer_number,name,email,phone\nBY-900001,Pavel Petrov,pavel@example.by,+375 29 111 2233\n\
         BY-900002, Olga Ivanova ,,\nBY-900003,Anna Sidorova,anna@example.by,\n",
    );
    let run = profile
        .coffer(&[
            "--json",
            "customer",
            "import",
            &file,
            "--merchant",
            &merchant,
        ])
        .ok();
    assert_eq!(
        run.json()["imported"],
        3,
        "every row is imported: {}",
        run.stdout()
    );
    let rows = register(&profile, &merchant);
    let got: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r["reference"].clone(),
                r["name"].clone(),
                r["email"].clone(),
                r["phone"].clone(),
            )
        })
        .collect();
    let want: Vec<_> = [
        (
            "BY-900001",
            "Pavel Petrov",
            Some("pavel@example.by"),
            Some("+375 29 111 2233"),
        ),
        ("BY-900002", "Olga Ivanova", None, None),
        ("BY-900003", "Anna Sidorova", Some("anna@example.by"), None),
    ]
    .iter()
    .map(|(r, n, e, p)| {
        (
            r.to_string().into(),
            n.to_string().into(),
            (*e).into(),
            (*p).into(),
        )
    })
    .collect::<Vec<(
        serde_json::Value,
        serde_json::Value,
        serde_json::Value,
        serde_json::Value,
    )>>();
    assert_eq!(
        got, want,
        "the register holds exactly the file's rows, cells trimmed, empty cells absent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syncing_an_imported_assist_register_fetches_exactly_the_cards_of_each_customer_number() {
    if !coffer_e2e::require_keyring() {
        return;
    }
    let sandbox = coffer_e2e::SandboxProcess::start(30);
    let seeded = coffer_e2e::raw::merchants(&sandbox.urls.admin).await;
    let m = coffer_e2e::raw::of_provider(&seeded, "assist")[0].clone();
    let coffer_core::ProviderAccount::Assist(coffer_core::AssistAccount { merchant_id, login }) =
        &m.account
    else {
        panic!("an Assist account")
    };
    let profile = Profile::new();
    let added = profile
        .coffer_with(
            &[
                "--json",
                "merchant",
                "add",
                "--provider",
                "assist",
                "--name",
                "Minsk",
                "--environment",
                "sandbox",
                "--base-url",
                &m.base_url,
                "--account-id",
                merchant_id,
                "--login",
                login,
                "--time-zone",
                "Europe/Minsk",
                "--currency",
                "BYN",
                "--secret-stdin",
            ],
            Some(&m.secret),
            &[],
        )
        .ok()
        .json();
    let merchant = added["id"].to_string();
    // Two ordinary customers, one whose card needs a CVC, one with an expired card, one unknown.
    let numbers = [
        "BY-000003",
        "BY-000006",
        "BY-000007",
        "BY-000025",
        "BY-999999",
    ];
    let mut csv = String::from("customer_number,name\n");
    for n in numbers {
        csv.push_str(&format!("{n},Customer {n}\n"));
    }
    let file = write(&profile, "register.csv", &csv);
    profile
        .coffer(&[
            "--json",
            "customer",
            "import",
            &file,
            "--merchant",
            &merchant,
        ])
        .ok();

    let synced = profile
        .coffer(&["--json", "sync", "--merchant", &merchant])
        .ok()
        .json();
    assert!(synced[0]["error"].is_null(), "the register syncs: {synced}");
    assert_eq!(
        synced[0]["customers"], 5,
        "every registered CustomerNumber is asked for: {synced}"
    );

    let rows = register(&profile, &merchant);
    for n in numbers {
        let row = rows
            .iter()
            .find(|r| r["reference"] == n)
            .unwrap_or_else(|| panic!("{n} is in the register"));
        let cards = profile
            .coffer(&["--json", "cards", "--customer", &row["id"].to_string()])
            .ok()
            .json();
        let mut got: Vec<_> = array(&cards)
            .iter()
            .map(|k| {
                (
                    k["token"].as_str().unwrap().to_string(),
                    coffer_e2e::raw::brand_key(k["brand"].as_str().unwrap()),
                    k["last4"].as_str().unwrap().to_string(),
                    k["bin"].as_str().map(str::to_string),
                    k["exp_month"].as_u64().unwrap() as u32,
                    k["exp_year"].as_i64().unwrap() as i32,
                    k["active"].as_bool().unwrap(),
                )
            })
            .collect();
        let mut want: Vec<_> = coffer_e2e::raw::assist_cards(&m, n)
            .await
            .into_iter()
            .map(|k| {
                (
                    k.token,
                    k.brand,
                    k.last4,
                    k.bin,
                    k.exp_month,
                    k.exp_year,
                    k.active,
                )
            })
            .collect();
        got.sort();
        want.sort();
        assert_eq!(
            got, want,
            "{n}: Coffer holds exactly the cards token.cfm lists, field by field"
        );
    }
    profile.coffer(&["merchant", "remove", &merchant]).ok();
}

#[test]
fn a_customer_number_already_in_the_register_names_its_line_and_nothing_is_imported() {
    let profile = Profile::new();
    let merchant = assist_merchant(&profile);
    let first = write(
        &profile,
        "first.csv",
        "customer_number;name;email\nBY-900001;Petrov, Pavel;pavel@example.by\n",
    );
    let run = profile
        .coffer(&[
            "--json",
            "customer",
            "import",
            &first,
            "--merchant",
            &merchant,
        ])
        .ok();
    assert_eq!(
        run.json()["imported"],
        1,
        "a spreadsheet's semicolon file is read: {}",
        run.stdout()
    );
    let again = write(
        &profile,
        "again.csv",
        "customer_number,name\nBY-900002,Olga Ivanova\nBY-900001,Pavel Petrov\n",
    );
    let run = profile.coffer(&[
        "--json",
        "customer",
        "import",
        &again,
        "--merchant",
        &merchant,
    ]);
    assert_eq!(run.output.status.code(), Some(2), "{}", run.stdout());
    let error = run.json();
    assert_eq!(
        error["field"], "line 3, customer_number",
        "the row that clashes with the register is named: {error}"
    );
    let rows = register(&profile, &merchant);
    assert_eq!(
        rows.len(),
        1,
        "BY-900002 of the refused file is not imported either: {rows:?}"
    );
    assert_eq!(rows[0]["name"], "Petrov, Pavel");
}

#[test]
fn a_register_cannot_be_imported_into_a_provider_that_lists_its_own_customers() {
    let profile = Profile::new();
    let added = profile
        .coffer(&[
            "--json",
            "merchant",
            "add",
            "--provider",
            "clover",
            "--name",
            "Downtown",
            "--environment",
            "sandbox",
            "--base-url",
            "embedded:clover",
            "--account-id",
            "WDEVSNNHH8VQP",
            "--time-zone",
            "America/New_York",
            "--currency",
            "USD",
        ])
        .ok()
        .json();
    let merchant = added["id"].as_i64().unwrap().to_string();
    let file = write(
        &profile,
        "clover.csv",
        "customer_number,name\nC-1,Maria Petrov\n",
    );
    let run = profile.coffer(&[
        "--json",
        "customer",
        "import",
        &file,
        "--merchant",
        &merchant,
    ]);
    assert_eq!(run.output.status.code(), Some(2), "{}", run.stdout());
    assert_eq!(run.json()["field"], "merchant", "{}", run.stdout());
    assert!(
        register(&profile, &merchant).is_empty(),
        "no customer Clover does not know enters its cache"
    );
}

#[test]
fn a_customer_added_by_hand_joins_the_register_once() {
    let profile = Profile::new();
    let merchant = assist_merchant(&profile);
    let add = |number: &str, email: &str| {
        profile.coffer(&[
            "--json",
            "customer",
            "add",
            "--merchant",
            &merchant,
            "--number",
            number,
            "--name",
            "Pavel Petrov",
            "--email",
            email,
        ])
    };
    let added = add("BY-900001", "pavel@example.by").ok().json();
    let rows = register(&profile, &merchant);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["id"], added["id"]);
    assert_eq!(rows[0]["reference"], "BY-900001");
    assert_eq!(rows[0]["email"], "pavel@example.by");
    for (number, email, field) in [
        ("BY-900001", "olga@example.by", "customer_number"),
        ("BY-900002", "not-an-email", "email"),
    ] {
        let run = add(number, email);
        assert_eq!(run.output.status.code(), Some(2), "{}", run.stdout());
        let error = run.json();
        assert_eq!(error["field"], field, "{error}");
    }
    assert_eq!(
        register(&profile, &merchant).len(),
        1,
        "a refused customer is not added and the first is kept"
    );
}
