//! The real desktop app, driven in WebKit: tauri-driver starts the built binary through
//! WebKitWebDriver (under Xvfb in CI) and fantoccini clicks through the journeys a store owner
//! takes on first start. The profile is a temp directory (`COFFER_DATA_DIR`), so a run never
//! touches real data or secrets.
//!
//! Runs only with `COFFER_E2E=1` (ignored otherwise, see build.rs) and a binary built with the embedded UI
//! (`ui/node_modules/.bin/tauri build --debug --no-bundle`); `scripts/test.sh` does both.
//! Screenshots of the main views go to `target/desktop-e2e/` (or `$COFFER_E2E_SHOTS`).
//!
//! `installed_package_opens_in_sandbox_mode` drives an installed copy instead
//! (`COFFER_INSTALLED_APP=/usr/bin/coffer-desktop`); `scripts/test-installer.sh` installs the .deb
//! and runs it; without that variable it is listed as ignored.

// A harness: a step that cannot go on panics with its reason, like an assertion.
#![allow(clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod charging;
mod contract_terms;
mod enrollment;
mod reconcile;
mod safety;
mod secrets;
mod startup;
mod truth;

use coffer_desktop_e2e::{connect, Driver};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::{json, Value};

/// First start can take a while on a busy 2-core machine: sandboxes, demo merchants, sync.
const SETUP_TIMEOUT: Duration = Duration::from_secs(120);
const STEP_TIMEOUT: Duration = Duration::from_secs(20);

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn app_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("COFFER_DESKTOP_BIN") {
        return PathBuf::from(bin);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    target.join("debug/coffer-desktop")
}

fn shots_dir() -> PathBuf {
    let dir = std::env::var_os("COFFER_E2E_SHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/desktop-e2e"));
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

/// Polls `probe` (a JS function body returning a value) until it returns something truthy.
async fn wait_js(client: &Client, probe: &str, timeout: Duration, what: &str) -> Value {
    let deadline = Instant::now() + timeout;
    loop {
        let last = match client.execute(probe, vec![]).await {
            Ok(v) if is_truthy(&v) => return v,
            Ok(v) => v,
            Err(e) => json!(e.to_string()),
        };
        if Instant::now() > deadline {
            let body = client
                .execute("return document.body.innerText", vec![])
                .await
                .unwrap_or_default();
            panic!("timed out waiting for {what}; last probe: {last}; page text: {body}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn is_truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::String(s) => !s.is_empty(),
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::Array(a) => !a.is_empty(),
        Value::Object(_) => true,
    }
}

async fn shot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(shots_dir().join(format!("{name}.png")), png).expect("write screenshot");
}

async fn find(client: &Client, css: &str) -> Element {
    client
        .wait()
        .at_most(STEP_TIMEOUT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no element {css}: {e}"))
}

/// Calls one of the app's commands from the page and returns its answer, or `Err` with the
/// `{kind, message}` it failed with.
pub(crate) async fn invoke(client: &Client, command: &str, args: Value) -> Result<Value, String> {
    let script = format!(
        "const done = arguments[arguments.length - 1]; \
         window.__TAURI_INTERNALS__.invoke({command:?}, arguments[0]) \
             .then(ok => done({{ ok }}), err => done({{ err: JSON.stringify(err) }}));"
    );
    let answer = client
        .execute_async(&script, vec![args])
        .await
        .map_err(|e| e.to_string())?;
    match answer.get("ok") {
        Some(ok) => Ok(ok.clone()),
        None => Err(format!("{command} failed: {}", answer["err"])),
    }
}

pub(crate) async fn click(client: &Client, css: &str) -> Result<(), String> {
    find(client, css)
        .await
        .click()
        .await
        .map_err(|e| e.to_string())
}

pub(crate) async fn type_into(client: &Client, css: &str, text: &str) -> Result<(), String> {
    let field = find(client, css).await;
    field.clear().await.map_err(|e| e.to_string())?;
    field.send_keys(text).await.map_err(|e| e.to_string())
}

/// Opens `customer`'s page by searching for `last4`, then the card tile of `last4`.
pub(crate) async fn open_card(client: &Client, customer: i64, last4: &str) -> Result<(), String> {
    click(client, "#nav-customers").await?;
    type_into(client, "#customer-search", last4).await?;
    let probe = format!(
        "const r = document.querySelector('#customer-{customer}'); if (r) {{ r.click(); return true }} return false"
    );
    wait_js(client, &probe, STEP_TIMEOUT, "the customer found by last4").await;
    click(
        client,
        &format!("[data-testid=card-tile][data-last4='{last4}']"),
    )
    .await?;
    find(client, "#card-detail").await;
    Ok(())
}

/// After the first start's demo onboarding (its customers are listed): the id of the demo
/// merchant called `name`.
pub(crate) async fn demo_merchant(client: &Client, name: &str) -> Result<i64, String> {
    wait_js(
        client,
        "return document.querySelectorAll('[data-testid=customer-row]').length",
        SETUP_TIMEOUT,
        "the demo customers after first start",
    )
    .await;
    let merchants = invoke(client, "list_merchants", json!({})).await?;
    merchants
        .as_array()
        .and_then(|all| all.iter().find(|m| m["name"] == name))
        .and_then(|m| m["id"].as_i64())
        .ok_or_else(|| format!("the demo has {name}"))
}

/// Gives `merchant` no notice lead, so a contract charge is due the day it is announced (a
/// sandbox merchant may).
pub(crate) async fn without_notice_lead(client: &Client, merchant: i64) -> Result<(), String> {
    invoke(
        client,
        "edit_merchant",
        json!({"request": {"id": merchant, "name": null, "endpoint": null, "environment": null,
                           "time_zone": null, "currency": null, "notice_lead_days": 0, "group": null,
                           "secret": null}}),
    )
    .await
    .map(drop)
}

/// The text of the element `css`, once it is there.
pub(crate) async fn text_of(client: &Client, css: &str, what: &str) -> String {
    let probe =
        format!("const e = document.querySelector({css:?}); return e ? e.textContent : null");
    wait_js(client, &probe, STEP_TIMEOUT, what)
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// A card of `merchant` matching `filter` (a JS predicate over a CardView named `c`).
pub(crate) async fn pick_card(
    client: &Client,
    merchant: i64,
    filter: &str,
) -> Result<Value, String> {
    let cards = invoke(
        client,
        "list_cards",
        json!({"request": {"merchant_id": merchant, "group": null, "customer_id": null, "last4": null,
                           "brand": null, "active_only": true, "limit": 1000, "offset": null}}),
    )
    .await?;
    let script = format!(
        "const special = ['0341', '0002', '0069', '0077', '0019']; \
         return arguments[0].find(c => !special.includes(c.last4) && ({filter})) || null"
    );
    let card = client
        .execute(&script, vec![cards])
        .await
        .map_err(|e| e.to_string())?;
    if card.is_null() {
        return Err(format!("no card of merchant {merchant} where {filter}"));
    }
    Ok(card)
}

/// Opens the page of `card` (a CardView from `list_cards`): [`open_card`] by its customer and
/// last four digits.
pub(crate) async fn open_card_view(client: &Client, card: &Value) -> Result<(), String> {
    let customer = card["customer_id"].as_i64().unwrap_or_default();
    open_card(client, customer, card["last4"].as_str().unwrap_or_default()).await
}

/// `coffer sandbox` as a child process with the demo registered against it in `profile`, so a
/// test can turn the provider's fault knobs while the app runs (the embedded sandboxes have
/// none to reach); killed on drop.
pub(crate) struct ExternalSandbox {
    child: std::process::Child,
    admin: String,
}

impl ExternalSandbox {
    pub(crate) fn with_demo(profile: &Path, keyring_service: &str) -> ExternalSandbox {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        let cli = app_binary().with_file_name("coffer");
        let mut child = Command::new(&cli)
            .args(["sandbox", "--customers", "10"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("coffer sandbox starts (cargo build --workspace builds it)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("its URLs");
        let urls: Value = serde_json::from_str(&line).expect("the sandbox's URLs as JSON");
        let admin = urls["admin"].as_str().expect("an admin URL").to_string();
        let sandbox = ExternalSandbox { child, admin };
        let demo = Command::new(&cli)
            .arg("--data-dir")
            .arg(profile)
            .args(["demo", "--sandbox", &sandbox.admin])
            .env("COFFER_KEYRING_SERVICE", keyring_service)
            .env_remove("COFFER_DATA_DIR")
            .output()
            .expect("coffer demo runs");
        assert!(
            demo.status.success(),
            "coffer demo against the sandbox process: {}",
            String::from_utf8_lossy(&demo.stderr)
        );
        sandbox
    }

    /// Sets the knobs `json` names (`PUT /__sandbox/faults`).
    pub(crate) fn faults(&self, json: &str) {
        let set = std::process::Command::new("curl")
            .args(["-sf", "-o", "/dev/null", "-X", "PUT"])
            .args(["-H", "content-type: application/json", "--data", json])
            .arg(format!("{}/faults", self.admin))
            .status()
            .expect("curl runs");
        assert!(set.success(), "the sandbox takes the knobs {json}");
    }
}

impl Drop for ExternalSandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The two tests start one app each; on two cores they take turns.
static ONE_APP: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The built app (the tests that call this run only with `COFFER_E2E=1`, see build.rs).
fn app_under_test() -> PathBuf {
    let app = app_binary();
    assert!(
        app.exists(),
        "{} is missing: build it with `(cd ui && npm run build)` and \
         `cargo build --workspace --features tauri/custom-protocol`",
        app.display()
    );
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(coffer_e2e),
    ignore = "drives the built app in WebKit: set COFFER_E2E=1 (scripts/test.sh does)"
)]
async fn first_start_switch_location_search_by_last4_and_open_a_card() {
    let app = app_under_test();
    let _one_app_at_a_time = ONE_APP.lock().await;
    let profile = tempfile::tempdir().expect("temp profile");
    let driver = Driver::start(profile.path(), "coffer-e2e", &[]);
    let client = connect(&driver, &app).await;
    let outcome = journey(&client).await;
    let _ = client.close().await;
    drop(driver);
    outcome.unwrap_or_else(|e: String| panic!("{e}"));
    assert!(
        profile.path().join("coffer.db").exists(),
        "the app kept its data in the temp profile, not the real one"
    );
}

async fn journey(client: &Client) -> Result<(), String> {
    // 1. First start with no configuration: sandbox mode sets itself up and shows customers.
    wait_js(
        client,
        "return document.querySelectorAll('[data-testid=customer-row]').length",
        SETUP_TIMEOUT,
        "the demo customers after first start",
    )
    .await;
    let banner = find(client, "#sandbox-banner").await;
    let banner = banner.text().await.map_err(|e| e.to_string())?;
    if !banner.contains("Sandbox") {
        return Err(format!("the sandbox banner says {banner:?}"));
    }
    shot(client, "customers").await;

    // 2. Switch location: pick the first single location in the switcher.
    let option = wait_js(
        client,
        "const o = [...document.querySelectorAll('#merchant-switcher option')].find(o => o.value.startsWith('merchant:')); return o ? [o.value, o.textContent] : null",
        STEP_TIMEOUT,
        "a location in the switcher",
    )
    .await;
    let value = option[0].as_str().unwrap_or_default().to_string();
    let location = option[1].as_str().unwrap_or_default().to_string();
    find(client, "#merchant-switcher")
        .await
        .select_by_value(&value)
        .await
        .map_err(|e| e.to_string())?;
    let probe = format!(
        "const cells = [...document.querySelectorAll('[data-testid=customer-row] .col-merchant')].map(c => c.textContent); \
         return cells.length > 0 && cells.every(c => c === {location:?})"
    );
    wait_js(
        client,
        &probe,
        STEP_TIMEOUT,
        "only the chosen location's customers",
    )
    .await;
    shot(client, "location").await;

    // 3. Learn a real last4: open the first customer with a card, read its card, go back.
    wait_js(
        client,
        "const r = [...document.querySelectorAll('[data-testid=customer-row]')].find(r => !r.querySelector('.col-cards').textContent.endsWith('/0')); if (r) { r.click(); return true } return false",
        STEP_TIMEOUT,
        "a customer with a card",
    )
    .await;
    let card = wait_js(
        client,
        "const t = document.querySelector('[data-testid=card-tile]'); return t ? [t.dataset.last4, document.querySelector('#view-title').textContent] : null",
        STEP_TIMEOUT,
        "the customer's cards",
    )
    .await;
    let last4 = card[0].as_str().unwrap_or_default().to_string();
    let name = card[1].as_str().unwrap_or_default().to_string();
    find(client, "#back-to-customers")
        .await
        .click()
        .await
        .map_err(|e| e.to_string())?;

    // 4. Search the customer by last4.
    let search = find(client, "#customer-search").await;
    let unfiltered = wait_js(
        client,
        "const c = document.querySelector('#customer-count').textContent; return c.startsWith('Loading') ? null : c",
        STEP_TIMEOUT,
        "the location's customer count",
    )
    .await;
    search.send_keys(&last4).await.map_err(|e| e.to_string())?;
    let probe = format!(
        "const names = [...document.querySelectorAll('[data-testid=customer-row] .col-name')].map(c => c.textContent); \
         const count = document.querySelector('#customer-count').textContent; \
         return document.querySelector('#customer-search').value === {last4:?} && names.includes({name:?}) \
             && !count.startsWith('Loading') && count !== {unfiltered}"
    );
    wait_js(client, &probe, STEP_TIMEOUT, "the customer found by last4").await;
    shot(client, "search-last4").await;

    // 5. Open the customer and the card.
    let probe = format!(
        "const r = [...document.querySelectorAll('[data-testid=customer-row]')].find(r => r.querySelector('.col-name').textContent === {name:?}); if (r) {{ r.click(); return true }} return false"
    );
    wait_js(client, &probe, STEP_TIMEOUT, "the customer row to open").await;
    find(
        client,
        &format!("[data-testid=card-tile][data-last4='{last4}']"),
    )
    .await
    .click()
    .await
    .map_err(|e| e.to_string())?;
    let detail = find(client, "#card-detail").await;
    let detail = detail.text().await.map_err(|e| e.to_string())?;
    if !detail.contains(&format!("•••• {last4}")) {
        return Err(format!("the opened card shows {detail:?}"));
    }
    shot(client, "card").await;

    // 6. The audit log records the demo set-up and its chain verifies.
    find(client, "#nav-audit")
        .await
        .click()
        .await
        .map_err(|e| e.to_string())?;
    wait_js(
        client,
        "const v = document.querySelector('#audit-verification'); return v && v.textContent.startsWith('Chain intact')",
        STEP_TIMEOUT,
        "the audit chain's verification",
    )
    .await;
    shot(client, "audit").await;
    // 7. The keyboard alone: back to the customers, down one row, Enter opens that customer.
    find(client, "#nav-customers")
        .await
        .click()
        .await
        .map_err(|e| e.to_string())?;
    let grid = find(client, "#customer-grid").await;
    wait_js(
        client,
        "return document.querySelectorAll('[data-testid=customer-row]').length > 1",
        STEP_TIMEOUT,
        "the customer rows again",
    )
    .await;
    let keys: String = [Key::Down, Key::Enter]
        .into_iter()
        .map(char::from)
        .collect();
    grid.send_keys(&keys).await.map_err(|e| e.to_string())?;
    find(client, "#back-to-customers").await;

    find(client, "#nav-settings")
        .await
        .click()
        .await
        .map_err(|e| e.to_string())?;
    find(client, "#merchant-table").await;
    shot(client, "settings").await;
    Ok(())
}

/// The app as a store owner gets it from the .deb: the installed binary (not the one in
/// `target/`) opens its main window, sets up sandbox mode on first start and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(coffer_installed_app),
    ignore = "drives an installed copy: set COFFER_INSTALLED_APP (scripts/test-installer.sh does)"
)]
async fn installed_package_opens_in_sandbox_mode() {
    let app = std::env::var_os("COFFER_INSTALLED_APP")
        .map(PathBuf::from)
        .expect("COFFER_INSTALLED_APP names the installed binary");
    assert!(
        app.is_absolute() && !app.starts_with(workspace_root()),
        "{} is an installed binary, outside the work tree",
        app.display()
    );
    let _one_app_at_a_time = ONE_APP.lock().await;
    let profile = tempfile::tempdir().expect("temp profile");
    let driver = Driver::start(profile.path(), "coffer-e2e", &[]);
    let client = connect(&driver, &app).await;
    let outcome = installed_sandbox(&client).await;
    let _ = client.close().await;
    drop(driver);
    outcome.unwrap_or_else(|e: String| panic!("{e}"));
    assert!(
        profile.path().join("coffer.db").exists(),
        "the installed app kept its data in the temp profile (COFFER_DATA_DIR)"
    );
}

async fn installed_sandbox(client: &Client) -> Result<(), String> {
    let title = client.title().await.map_err(|e| e.to_string())?;
    if title != "Coffer" {
        return Err(format!("the main window is titled {title:?}"));
    }
    wait_js(
        client,
        "return document.querySelectorAll('[data-testid=customer-row]').length",
        SETUP_TIMEOUT,
        "the demo customers after first start of the installed app",
    )
    .await;
    let banner = find(client, "#sandbox-banner").await;
    let text = banner.text().await.map_err(|e| e.to_string())?;
    if !text.contains("Sandbox") {
        return Err(format!("the sandbox banner says {text:?}"));
    }
    if !banner.is_displayed().await.map_err(|e| e.to_string())? {
        return Err("the sandbox banner is in the page but not shown".into());
    }
    shot(client, "installed-sandbox").await;
    Ok(())
}

/// The OS asks for dark (GTK_THEME here), the window is as narrow as a 1280x800 one at 200% zoom:
/// the theme follows, and the layout still shows the customers with navigation above them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(coffer_e2e),
    ignore = "drives the built app in WebKit: set COFFER_E2E=1 (scripts/test.sh does)"
)]
async fn dark_theme_follows_the_os_and_a_narrow_window_stays_usable() {
    let app = app_under_test();
    let _one_app_at_a_time = ONE_APP.lock().await;
    let profile = tempfile::tempdir().expect("temp profile");
    let driver = Driver::start(
        profile.path(),
        "coffer-e2e",
        &[("GTK_THEME", "Adwaita:dark")],
    );
    let client = connect(&driver, &app).await;
    let mut outcome = dark_and_narrow(&client).await;
    if outcome.is_ok() {
        outcome =
            a_second_start_on_the_profile_leaves_the_first(&client, &app, profile.path()).await;
    }
    let _ = client.close().await;
    drop(driver);
    outcome.unwrap_or_else(|e: String| panic!("{e}"));
}

/// The owner starts Coffer again while it is open: the second start hands over to the open
/// window and ends, and the first keeps working.
async fn a_second_start_on_the_profile_leaves_the_first(
    client: &Client,
    app: &Path,
    profile: &Path,
) -> Result<(), String> {
    let mut second = std::process::Command::new(app)
        .env("COFFER_DATA_DIR", profile)
        .env("COFFER_KEYRING_SERVICE", "coffer-e2e")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("the second start: {e}"))?;
    // A bound on a hang, not a speed goal: a second window would never end by itself.
    let deadline = Instant::now() + SETUP_TIMEOUT;
    let status = loop {
        if let Some(status) = second.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = second.kill();
            return Err("a second start on the same profile opened its own app".into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    if !status.success() {
        let mut stderr = String::new();
        if let Some(mut pipe) = second.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
        }
        return Err(format!("the second start ended {status}: {stderr}"));
    }
    wait_js(
        client,
        "return document.querySelectorAll('[data-testid=customer-row]').length",
        STEP_TIMEOUT,
        "the first window still answering after the second start",
    )
    .await;
    Ok(())
}

async fn dark_and_narrow(client: &Client) -> Result<(), String> {
    wait_js(
        client,
        "return document.querySelectorAll('[data-testid=customer-row]').length",
        SETUP_TIMEOUT,
        "the demo customers after first start",
    )
    .await;
    let dark = client
        .execute(
            "return matchMedia('(prefers-color-scheme: dark)').matches",
            vec![],
        )
        .await
        .map_err(|e| e.to_string())?;
    if dark != Value::Bool(true) {
        return Err("GTK_THEME=Adwaita:dark did not reach prefers-color-scheme".into());
    }
    shot(client, "customers-dark").await;
    client
        .set_window_size(640, 400)
        .await
        .map_err(|e| e.to_string())?;
    wait_js(
        client,
        "return innerWidth <= 700 && getComputedStyle(document.querySelector('.body')).flexDirection === 'column'",
        STEP_TIMEOUT,
        "the narrow layout",
    )
    .await;
    let rows = client
        .execute(
            "return document.querySelectorAll('[data-testid=customer-row]').length",
            vec![],
        )
        .await
        .map_err(|e| e.to_string())?;
    if !is_truthy(&rows) {
        return Err("no customer row is visible in the narrow window".into());
    }
    shot(client, "narrow-dark").await;
    Ok(())
}
