// Browser tests of the front end alone: the built UI, served with the app's own Content Security
// Policy (from src-tauri/tauri.conf.json), in Debian's chromium through playwright-core, with the
// Rust side replaced by @tauri-apps/api/mocks and e2e/mock-backend.js. No Rust build, no Xvfb.
//
//   cd ui && node --test e2e/            (needs /usr/bin/chromium: apt-get install chromium)
//   COFFER_SHOTS=/tmp/shots node --test e2e/   also writes screenshots (light, dark, 640 px wide)
//
// Each test fails on any CSP violation, uncaught page error or console error.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const UI = fileURLToPath(new URL("..", import.meta.url));
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = process.env.COFFER_SHOTS ?? null;
const FALLBACK_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:";

function appCsp() {
  try {
    const conf = JSON.parse(readFileSync(join(UI, "..", "src-tauri", "tauri.conf.json"), "utf8"));
    return conf.app?.security?.csp ?? FALLBACK_CSP;
  } catch {
    return FALLBACK_CSP;
  }
}

function initScript() {
  // The self-contained ES module without its export line, then the pretend backend.
  const mocks = readFileSync(fileURLToPath(import.meta.resolve("@tauri-apps/api/mocks")), "utf8").replace(/^export \{[^}]*\};?\s*$/m, "");
  const backend = readFileSync(join(UI, "e2e", "mock-backend.js"), "utf8");
  return [
    "window.__csp = []; document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));",
    mocks,
    backend,
    "mockIPC((cmd, args) => window.__cofferMock(cmd, args));",
    // tauri.conf.json sets freezePrototype: the app must run with a frozen Object.prototype.
    "Object.freeze(Object.prototype);",
  ].join("\n");
}

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png" };

let server;
let browser;
let base;
let outDir;
const csp = appCsp();
const script = initScript();

before(async () => {
  outDir = mkdtempSync(join(tmpdir(), "coffer-ui-e2e-"));
  execFileSync(join(UI, "node_modules", ".bin", "vite"), ["build", "--outDir", outDir, "--emptyOutDir", "--logLevel", "error"], { cwd: UI, stdio: "inherit" });
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    let file = normalize(join(outDir, decodeURIComponent(url.pathname)));
    if (!file.startsWith(outDir) || !existsSync(file) || statSync(file).isDirectory()) file = join(outDir, "index.html");
    res.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream", "Content-Security-Policy": csp });
    res.end(readFileSync(file));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await new Promise((r) => (server ? server.close(r) : r()));
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

/** A fresh window on the app; `problems` collects CSP violations, page errors and console errors. */
async function open({ width = 1280, height = 900, colorScheme = "light" } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme });
  await context.addInitScript(script);
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  await page.goto(base);
  await page.waitForSelector("#nav-dashboard");
  const check = async () => {
    const violations = await page.evaluate(() => window.__csp);
    assert.deepEqual([...problems, ...violations.map((v) => `CSP: ${v}`)], []);
    await context.close();
  };
  return { page, check };
}

/** With COFFER_SHOTS set: the whole view (the window grown to the content's height) as a PNG. */
async function shot(page, name) {
  if (!SHOTS) return;
  const size = page.viewportSize();
  const height = await page.evaluate(() => {
    const main = document.querySelector("#main");
    return Math.ceil(main.getBoundingClientRect().top + main.scrollHeight);
  });
  await page.setViewportSize({ width: size.width, height: Math.max(size.height, height) });
  await page.waitForTimeout(200); // the charts follow the new size
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
  await page.setViewportSize(size);
}

/** Waits until the canvas has pixels of the colour the CSS variable holds ("#rrggbb"). */
async function drawnIn(page, selector, variable) {
  await page.waitForFunction(
    ([selector, variable]) => {
      const canvas = document.querySelector(selector);
      const hex = getComputedStyle(document.documentElement).getPropertyValue(variable).trim();
      if (!canvas || !/^#[0-9a-f]{6}$/i.test(hex)) return false;
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
      const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
      for (let i = 0; i < data.length; i += 4) if (data[i] === r && data[i + 1] === g && data[i + 2] === b && data[i + 3] === 255) return true;
      return false;
    },
    [selector, variable],
    { timeout: 5000 },
  );
  return true;
}

/** True when nothing sticks out sideways: the window needs no horizontal scrolling. */
async function fitsWidth(page) {
  return page.evaluate(() => {
    const main = document.querySelector("#main");
    return document.documentElement.scrollWidth <= window.innerWidth && main.scrollWidth <= main.clientWidth + 1;
  });
}

describe("dashboard", () => {
  it("shows the headline figures and four charts, drawn under the app's CSP", async () => {
    const { page, check } = await open();
    await page.click("#nav-dashboard");
    await page.waitForSelector("#dashboard-revenue canvas");
    assert.equal(await page.textContent("#kpi-contracts .kpi-value"), "48");
    assert.equal(await page.textContent("#kpi-expired .kpi-value"), "7");
    assert.equal(await page.textContent("#kpi-unsettled .kpi-value"), "2");
    const due = await page.textContent("#kpi-due");
    assert.match(due, /Charges due in the next 30 days/);
    assert.match(due, /EUR|€/);
    assert.match(due, /SEK|kr/, "each currency has its own sum");
    for (const id of ["revenue", "upcoming", "declines", "expiring"]) {
      assert.ok(await page.$(`#dashboard-${id} canvas`), `#dashboard-${id} has a chart`);
      assert.ok(await page.$(`#dashboard-${id} h3`), `#dashboard-${id} has a title`);
    }
    // Bars are drawn in the theme's colours, read from the CSS variables.
    assert.ok(await drawnIn(page, "#dashboard-revenue canvas", "--chart-recurring"));
    assert.ok(await drawnIn(page, "#dashboard-declines canvas", "--chart-hard"));
    await shot(page, "dashboard-light");
    await check();
  });

  it("lets the owner pick the currency of the money charts, the one with most revenue first", async () => {
    const { page, check } = await open();
    await page.click("#nav-dashboard");
    await page.waitForSelector("#dashboard-revenue canvas");
    assert.equal(await page.inputValue("#dashboard-currency"), "EUR");
    assert.match(await page.textContent("#dashboard-revenue h3"), /EUR/);
    await page.selectOption("#dashboard-currency", "SEK");
    assert.match(await page.textContent("#dashboard-revenue h3"), /SEK/);
    assert.match(await page.textContent("#dashboard-upcoming h3"), /SEK/);
    await check();
  });

  it("has each chart's figures in a table behind a toggle, and groups upcoming days by week", async () => {
    const { page, check } = await open();
    await page.click("#nav-dashboard");
    await page.waitForSelector("#dashboard-revenue canvas");
    const toggle = page.locator("#dashboard-revenue button[aria-controls='dashboard-revenue-table']");
    assert.equal(await toggle.getAttribute("aria-expanded"), "false");
    assert.equal(await page.isVisible("#dashboard-revenue-table"), false);
    await toggle.click();
    assert.equal(await toggle.getAttribute("aria-expanded"), "true");
    assert.equal(await page.locator("#dashboard-revenue-table tbody tr").count(), 12);
    await page.click("#dashboard-upcoming button[aria-controls='dashboard-upcoming-table']");
    assert.equal(await page.locator("#dashboard-upcoming-table tbody tr").count(), 30);
    await page.check("#dashboard-upcoming input[value='week']");
    assert.equal(await page.locator("#dashboard-upcoming-table tbody tr").count(), 5);
    await check();
  });

  it("reads the bars out one by one with the arrow keys", async () => {
    const { page, check } = await open();
    await page.click("#nav-dashboard");
    await page.waitForSelector("#dashboard-expiring canvas");
    await page.focus("#dashboard-expiring canvas");
    await page.keyboard.press("ArrowRight");
    const live = page.locator("#dashboard-expiring [aria-live]");
    assert.match(await live.textContent(), /^\S+ \d{4}: 4 cards\.$/);
    await page.keyboard.press("ArrowRight");
    assert.match(await live.textContent(), /: 2 cards\.$/);
    await page.keyboard.press("End");
    assert.match(await live.textContent(), /: 3 cards\.$/);
    await shot(page, "dashboard-keyboard");
    await page.keyboard.press("Escape");
    assert.equal(await live.textContent(), "");
    await check();
  });

  it("redraws the charts in the other theme's colours when the OS switches light and dark", async () => {
    const { page, check } = await open();
    await page.click("#nav-dashboard");
    await page.waitForSelector("#dashboard-upcoming canvas");
    const colour = () => page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue("--chart-upcoming").trim());
    const light = await colour();
    assert.ok(await drawnIn(page, "#dashboard-upcoming canvas", "--chart-upcoming"));
    await page.emulateMedia({ colorScheme: "dark" });
    assert.notEqual(await colour(), light);
    assert.ok(await drawnIn(page, "#dashboard-upcoming canvas", "--chart-upcoming"), "bars in the dark colour");
    await check();
  });

  it("shows plain empty states for a location with no history", async () => {
    const { page, check } = await open();
    await page.selectOption("#merchant-switcher", "merchant:2");
    await page.click("#nav-dashboard");
    await page.waitForSelector("#dashboard-revenue .chart-empty");
    assert.equal(await page.$("#dashboard-currency"), null, "no currency to choose");
    assert.equal(await page.locator(".chart-empty").count(), 4);
    assert.match(await page.textContent("#kpi-due"), /Nothing to charge/);
    await check();
  });

  it("shows the engine's error instead of the figures", async () => {
    const { page, check } = await open();
    await page.evaluate(() => (window.__failNext.dashboard = { kind: "internal", message: "the database is locked" }));
    await page.click("#nav-dashboard");
    await page.waitForSelector("[role=alert]");
    assert.match(await page.textContent("[role=alert]"), /the database is locked/);
    await check();
  });

  it("fits a 640 px window (200% zoom) and follows the dark theme", async () => {
    const { page, check } = await open({ width: 640, height: 900, colorScheme: "dark" });
    await page.click("#nav-dashboard");
    await page.waitForSelector("#dashboard-expiring canvas");
    assert.ok(await drawnIn(page, "#dashboard-expiring canvas", "--chart-expiring"), "bars in the dark theme's colour");
    assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue("--chart-expiring").trim()), "#e39ccb");
    assert.ok(await fitsWidth(page), "no horizontal scrolling at 640 px");
    const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    assert.equal(bg, "rgb(22, 23, 26)");
    await shot(page, "dashboard-dark-640");
    await check();
  });
});

describe("export", () => {
  it("names the scope, writes the file and says where and how many rows; buttons wait meanwhile", async () => {
    const { page, check } = await open();
    await page.selectOption("#merchant-switcher", "group:Germany");
    await page.click("#nav-export");
    assert.match(await page.textContent("#export-scope"), /Germany \(2 locations\)/);
    await page.waitForFunction(() => document.querySelector("#export-dir")?.textContent?.includes("/exports"));
    assert.match(await page.textContent(".note"), /never/i);
    await page.click("#export-cards");
    for (const id of ["customers", "cards", "charges", "audit"]) assert.equal(await page.isDisabled(`#export-${id}`), true);
    await page.waitForFunction(() => document.querySelector("#export-result")?.textContent?.includes(".csv"));
    const result = await page.textContent("#export-result");
    assert.match(result, /2,051 cards/);
    assert.match(result, /exports\/cards-.*\.csv/);
    assert.equal(await page.isDisabled("#export-cards"), false);
    const call = await page.evaluate(() => window.__calls.find((c) => c.cmd === "export_csv"));
    assert.deepEqual(call.args, { kind: "cards", scope: { merchant_id: null, group: "Germany" } });
    await shot(page, "export-light");
    await check();
  });

  it("is reachable by keyboard alone and shows a failed export's reason", async () => {
    const { page, check } = await open();
    await page.click("#nav-export");
    await page.evaluate(() => (window.__failNext.export_csv = { kind: "internal", message: "disk full" }));
    await page.focus("#nav-export");
    let reached = false;
    for (let i = 0; i < 12 && !reached; i++) {
      await page.keyboard.press("Tab");
      reached = await page.evaluate(() => document.activeElement?.id === "export-customers");
    }
    assert.ok(reached, "Tab reaches the first export button");
    await page.keyboard.press("Enter");
    await page.waitForSelector("[role=alert]");
    assert.match(await page.textContent("[role=alert]"), /disk full/);
    assert.equal((await page.textContent("#export-result")).trim(), "");
    await check();
  });
});

describe("settings", () => {
  it("sends a merchant's notices by SMTP with a write-only password, and goes back to the outbox", async () => {
    const { page, check } = await open();
    await page.click("#nav-settings");
    await page.waitForSelector("#smtp-form");
    assert.match(await page.textContent("#smtp-channel"), /outbox/i);
    await page.selectOption("#smtp-merchant", "3");
    await page.fill("#smtp-host", "smtp.example.se");
    await page.selectOption("#smtp-security", "tls");
    assert.equal(await page.inputValue("#smtp-port"), "465", "the default port follows the security");
    await page.fill("#smtp-from", "noreply@example.se");
    await page.fill("#smtp-username", "shop");
    await page.fill("#smtp-password", "s3cret");
    await page.click("#smtp-form button[type=submit]");
    await page.waitForFunction(() => document.querySelector("#smtp-channel")?.textContent?.includes("Sent by SMTP"));
    const call = await page.evaluate(() => window.__calls.find((c) => c.cmd === "set_smtp"));
    assert.deepEqual(call.args.request, {
      merchant_id: 3,
      host: "smtp.example.se",
      port: 465,
      security: "tls",
      username: "shop",
      from_address: "noreply@example.se",
      password: "s3cret",
    });
    assert.equal(await page.inputValue("#smtp-password"), "", "the password is never shown again");
    assert.match(await page.textContent("#smtp-channel"), /password is saved in the system keyring/);
    await page.click("#smtp-clear");
    await page.waitForFunction(() => document.querySelector("#smtp-channel")?.textContent?.includes("outbox"));
    await check();
  });

  it("checks the SMTP form before sending it", async () => {
    const { page, check } = await open();
    await page.click("#nav-settings");
    await page.waitForSelector("#smtp-form");
    await page.fill("#smtp-host", "smtp.example.com");
    await page.fill("#smtp-port", "0");
    await page.fill("#smtp-from", "a@example.com");
    await page.click("#smtp-form button[type=submit]");
    assert.match(await page.textContent("#smtp-form [role=alert], .settings-section [role=alert]"), /port/i);
    assert.equal(await page.evaluate(() => window.__calls.some((c) => c.cmd === "set_smtp")), false);
    await check();
  });

  it("shows the profile's folders and chooses another data folder for the next start", async () => {
    const { page, check } = await open();
    await page.click("#nav-settings");
    await page.waitForSelector("#profile-data-dir");
    assert.match(await page.textContent("#profile-data-dir"), /dev\.coffer\.desktop/);
    assert.match(await page.textContent("#profile-facts"), /dev\.coffer\.app/);
    await page.fill("#choose-data-dir input", "relative/path");
    await page.click("#choose-data-dir button[type=submit]");
    await page.waitForSelector("#choose-data-dir ~ [role=alert], .settings-section [role=alert]");
    assert.match(await page.textContent(".settings-section [role=alert]"), /absolute path/);
    await page.fill("#choose-data-dir input", "/media/usb/coffer");
    await page.click("#choose-data-dir button[type=submit]");
    await page.waitForSelector("#profile-next");
    assert.match(await page.textContent("#profile-next"), /next start.*\/media\/usb\/coffer/);
    assert.match(await page.textContent("#choose-data-dir"), /Nothing is moved/);
    await shot(page, "settings-light");
    await check();
  });

  it("asks for a link return page only for a provider whose page can be sent as a link", async () => {
    const { page, check } = await open();
    await page.click("#nav-settings");
    await page.waitForSelector("#link-return-counter-only");
    // Berlin is a Clover merchant: its cards are enrolled at the counter, a link needs no page.
    assert.equal(await page.locator("#link-return-url").count(), 0);
    assert.equal(await page.locator("#link-return-save").count(), 0);
    await page.selectOption("#link-return-merchant", "3");
    await page.waitForSelector("#link-return-url");
    assert.match(await page.textContent("#link-return-current"), /Not set: links cannot be sent/);
    await page.fill("#link-return-url", "https://shop.example.se/card-saved");
    await page.click("#link-return-save");
    await page.waitForSelector("#link-return-panel [role=status]");
    assert.match(await page.textContent("#link-return-current"), /Now: https:\/\/shop\.example\.se\/card-saved/);
    await check();
  });

  it("lists the copies kept before upgrades and deletes one only after asking", async () => {
    const { page, check } = await open();
    await page.click("#nav-settings");
    await page.waitForSelector("#upgrade-copies-table");
    assert.match(await page.textContent("#upgrade-copies-summary"), /^2 copies take 2\.6 GB\..*erased since/);
    const older = '#upgrade-copies-table tr[data-file="coffer.db.before-v25-1796000000000"]';
    assert.match(await page.textContent(older), /25.*1\.3 GB/);
    await page.click(`${older} button`);
    await page.waitForSelector("#delete-upgrade-copy");
    assert.match(await page.textContent("#delete-upgrade-copy"), /Delete coffer\.db\.before-v25-1796000000000 \(1\.3 GB\)\? It cannot be brought back/);
    await page.click("#delete-upgrade-copy button[type=button]");
    assert.equal(await page.evaluate(() => window.__calls.some((c) => c.cmd === "delete_upgrade_copy")), false, "Keep it deletes nothing");
    await page.click(`${older} button`);
    await page.click("#delete-upgrade-copy-yes");
    await page.waitForSelector("#upgrade-copies-deleted");
    assert.equal(await page.locator(older).count(), 0);
    assert.match(await page.textContent("#upgrade-copies-summary"), /^1 copy takes 1\.3 GB\./);
    assert.deepEqual(
      await page.evaluate(() => window.__calls.filter((c) => c.cmd === "delete_upgrade_copy").map((c) => c.args)),
      [{ file: "coffer.db.before-v25-1796000000000" }],
    );
    await check();
  });

  it("keeps the notice lead time editable in the merchant form", async () => {
    const { page, check } = await open({ width: 640, height: 900 });
    await page.click("#nav-settings");
    await page.click("button[aria-label='Edit Hamburg Hafen']");
    assert.equal(await page.inputValue("#mf-lead"), "5");
    assert.ok(await fitsWidth(page), "settings fit 640 px");
    await shot(page, "settings-640");
    await check();
  });
});
