//! The window is on screen before the profile opens: it says so while an upgrade of the
//! profile's schema runs, opens Coffer by itself after, and shows why when the profile cannot be
//! opened at all (src-tauri/src/startup.rs).

use std::time::{Duration, Instant};

use coffer_store::migrations::{latest_version, migrations};

use super::*;

/// A profile one schema behind this build, with the fixture's data of that version, in WAL
/// mode as Coffer leaves its files.
fn profile_one_version_behind(dir: &Path) -> usize {
    let before = latest_version() - 1;
    let mut conn = rusqlite::Connection::open(dir.join("coffer.db")).expect("profile database");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("WAL mode");
    migrations()
        .expect("migrations")
        .to_version(&mut conn, before)
        .expect("schema one version behind");
    let fixture = workspace_root().join(format!(
        "crates/coffer-store/tests/store/fixtures/v{before}.sql"
    ));
    conn.execute_batch(&std::fs::read_to_string(fixture).expect("fixture"))
        .expect("fixture data");
    before
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(coffer_e2e),
    ignore = "drives the built app in WebKit: set COFFER_E2E=1 (scripts/test.sh does)"
)]
async fn an_older_profile_shows_its_upgrade_then_opens_upgraded() {
    let app = app_under_test();
    let _one_app_at_a_time = ONE_APP.lock().await;
    let profile = tempfile::tempdir().expect("temp profile");
    let before = profile_one_version_behind(profile.path());
    // Another connection holds the write lock, so the upgrade waits (as a large one runs) and
    // the window can be read meanwhile. Coffer waits 10 s for a lock: released well before.
    let holder = rusqlite::Connection::open(profile.path().join("coffer.db")).expect("holder");
    holder.execute_batch("BEGIN IMMEDIATE").expect("write lock");
    let held = Instant::now();
    let driver = Driver::start(profile.path(), "coffer-e2e", &[]);
    let client = connect(&driver, &app).await;
    let mut seen = String::new();
    while held.elapsed() < Duration::from_secs(7) && seen.is_empty() {
        let probe = "const p = document.querySelector('[data-testid=startup-upgrading]'); \
                     return p ? p.innerText : ''";
        seen = match client.execute(probe, vec![]).await {
            Ok(Value::String(text)) => text,
            _ => String::new(),
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if !seen.is_empty() {
        shot(&client, "startup-upgrading").await;
    }
    holder.execute_batch("ROLLBACK").expect("release");
    drop(holder);
    let outcome = async {
        let latest = latest_version();
        if !seen.contains(&format!("from schema {before} to {latest}")) {
            return Err(format!(
                "the window did not say an upgrade {before} -> {latest} runs; it showed {seen:?}"
            ));
        }
        // Then Coffer itself, on the upgraded cache: the fixture's customer is listed.
        wait_js(
            &client,
            "return [...document.querySelectorAll('[data-testid=customer-row]')] \
                 .some(r => r.innerText.includes('Anna Virtanen'))",
            SETUP_TIMEOUT,
            "the fixture's customer in the upgraded profile",
        )
        .await;
        let url = client.current_url().await.map_err(|e| e.to_string())?;
        if url.query().is_some() {
            return Err(format!("the app page kept the startup query: {url}"));
        }
        // The copy the upgrade kept is listed in the settings, and goes when the owner says so.
        find(&client, "#nav-settings")
            .await
            .click()
            .await
            .map_err(|e| e.to_string())?;
        let row = format!("#upgrade-copies-table tr[data-file^=\"coffer.db.before-v{latest}-\"]");
        let listed = wait_js(
            &client,
            &format!("const r = document.querySelector('{row}'); return r ? r.innerText : ''"),
            STEP_TIMEOUT,
            "the copy kept before the upgrade in the settings",
        )
        .await;
        if !listed
            .as_str()
            .is_some_and(|t| t.contains(&latest.to_string()) && t.contains("kB"))
        {
            return Err(format!(
                "the copy's row shows its schema and size: {listed}"
            ));
        }
        find(&client, &format!("{row} button"))
            .await
            .click()
            .await
            .map_err(|e| e.to_string())?;
        find(&client, "#delete-upgrade-copy-yes")
            .await
            .click()
            .await
            .map_err(|e| e.to_string())?;
        wait_js(
            &client,
            "return document.querySelector('#upgrade-copies-deleted') !== null",
            STEP_TIMEOUT,
            "the deletion said done",
        )
        .await;
        Ok(())
    }
    .await;
    let _ = client.close().await;
    drop(driver);
    outcome.unwrap_or_else(|e: String| panic!("{e}"));
    let version: usize = rusqlite::Connection::open(profile.path().join("coffer.db"))
        .and_then(|c| c.query_row("PRAGMA user_version", [], |r| r.get(0)))
        .expect("schema version");
    assert_eq!(version, latest_version(), "the profile was upgraded");
    let copies = std::fs::read_dir(profile.path())
        .expect("profile folder")
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!("coffer.db.before-v{}-", latest_version()))
        })
        .count();
    assert_eq!(
        copies, 0,
        "a copy of the old file was kept beside it, and deleted from the settings"
    );
    let deleted: i64 = rusqlite::Connection::open(profile.path().join("coffer.db"))
        .and_then(|c| {
            c.query_row(
                "SELECT count(*) FROM audit_log WHERE action = 'upgrade_copy_deleted'",
                [],
                |r| r.get(0),
            )
        })
        .expect("audit log");
    assert_eq!(deleted, 1, "the deletion is in the audit log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(coffer_e2e),
    ignore = "drives the built app in WebKit: set COFFER_E2E=1 (scripts/test.sh does)"
)]
async fn a_profile_newer_than_the_app_says_why_in_the_window() {
    let app = app_under_test();
    let _one_app_at_a_time = ONE_APP.lock().await;
    let profile = tempfile::tempdir().expect("temp profile");
    let newer = latest_version() + 5;
    rusqlite::Connection::open(profile.path().join("coffer.db"))
        .and_then(|c| c.pragma_update(None, "user_version", newer))
        .expect("a database of a newer schema");
    let driver = Driver::start(profile.path(), "coffer-e2e", &[]);
    let client = connect(&driver, &app).await;
    let shown = wait_js(
        &client,
        "const p = document.querySelector('[data-testid=startup-failed]'); \
         return p ? p.innerText : ''",
        STEP_TIMEOUT,
        "the reason the profile cannot be opened",
    )
    .await;
    shot(&client, "startup-failed").await;
    let _ = client.close().await;
    drop(driver);
    let shown = shown.as_str().unwrap_or_default().to_string();
    assert!(
        shown.contains("cannot open this profile")
            && shown.contains(&format!("schema version {newer}, newer than this Coffer")),
        "the window names the reason: {shown}"
    );
    assert!(
        shown.contains(&profile.path().display().to_string()),
        "and the profile folder: {shown}"
    );
}
