// A pretend Rust side for the browser tests, run in the page before the app (as an init script,
// after @tauri-apps/api/mocks). It answers the commands the dashboard, export and settings views
// call, with figures laid out around today's date, and records every call in window.__calls.
// Engine errors are thrown as plain {kind, message, field} objects, as Tauri delivers them.
(function () {
  const pad = (n) => String(n).padStart(2, "0");
  const now = new Date();
  const month = (back) => {
    const d = new Date(now.getFullYear(), now.getMonth() - back, 1);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}`;
  };
  const day = (ahead) => {
    const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() + ahead);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  };
  const months = Array.from({ length: 12 }, (_, i) => month(11 - i));

  const merchants = [
    {
      id: 1,
      name: "Berlin Mitte",
      provider: "clover",
      account: { provider: "clover", merchant_uuid: "MIDBERLIN0001", pakms_key: null },
      environment: "live",
      base_url: "https://api.eu.clover.com",
      embedded: false,
      time_zone: "Europe/Berlin",
      currency: "EUR",
      notice_lead_days: 3,
      group: "Germany",
    },
    {
      id: 2,
      name: "Hamburg Hafen",
      provider: "process_out",
      account: { provider: "process_out", project_id: "proj_hamburg" },
      environment: "live",
      base_url: "https://api.processout.com",
      embedded: false,
      time_zone: "Europe/Berlin",
      currency: "EUR",
      notice_lead_days: 5,
      group: "Germany",
    },
    {
      id: 3,
      name: "Stockholm Söder",
      provider: "svea",
      account: { provider: "svea", seller_id: "100234", key_generation: "001" },
      environment: "live",
      base_url: "https://payment.svea.fi",
      embedded: false,
      time_zone: "Europe/Stockholm",
      currency: "SEK",
      notice_lead_days: 1,
      group: null,
    },
  ];

  // A steady subscription business in EUR with a smaller SEK shop; a few months without SEK.
  const revenue = [];
  months.forEach((m, i) => {
    revenue.push({ month: m, currency: "EUR", recurring_minor: 120000 + i * 9500, manual_minor: 15000 + (i % 4) * 7000, refunded_minor: i % 3 === 0 ? 4900 : 0 });
    if (i >= 5) revenue.push({ month: m, currency: "SEK", recurring_minor: 90000 + i * 4000, manual_minor: 0, refunded_minor: i === 9 ? 19900 : 0 });
  });
  const declines = months.map((m, i) => ({ month: m, soft: (i * 7) % 5, hard: i % 4 === 1 ? 1 : 0 }));
  const upcoming = [];
  for (let a = 0; a < 30; a++) {
    if (a % 3 === 0) upcoming.push({ date: day(a), currency: "EUR", charges: 1 + (a % 4), amount_minor: (1 + (a % 4)) * 2990 });
    if (a % 7 === 2) upcoming.push({ date: day(a), currency: "SEK", charges: 2, amount_minor: 2 * 24900 });
  }
  const expiring = Array.from({ length: 12 }, (_, i) => {
    const d = new Date(now.getFullYear(), now.getMonth() + i, 1);
    return { month: `${d.getFullYear()}-${pad(d.getMonth() + 1)}`, cards: [4, 2, 0, 3, 1, 0, 5, 2, 1, 0, 2, 3][i] };
  });

  const dashboardFor = (scope) => {
    if (scope.merchant_id === 3) {
      return {
        months,
        revenue: revenue.filter((r) => r.currency === "SEK"),
        declines,
        upcoming: upcoming.filter((u) => u.currency === "SEK"),
        expiring,
        expired_on_file: 1,
        active_contracts: 9,
        unsettled: 0,
        currencies: ["SEK"],
      };
    }
    if (scope.merchant_id === 2) {
      // A location with nothing yet: every chart shows its empty state.
      return { months, revenue: [], declines: months.map((m) => ({ month: m, soft: 0, hard: 0 })), upcoming: [], expiring: [], expired_on_file: 0, active_contracts: 0, unsettled: 0, currencies: ["EUR"] };
    }
    return { months, revenue, declines, upcoming, expiring, expired_on_file: 7, active_contracts: 48, unsettled: 2, currencies: ["EUR", "SEK", "USD"] };
  };

  const profile = {
    version: "0.1.0",
    data_dir: "/home/owner/.local/share/dev.coffer.desktop",
    database: "/home/owner/.local/share/dev.coffer.desktop/coffer.db",
    outbox_dir: "/home/owner/.local/share/dev.coffer.desktop/outbox",
    exports_dir: "/home/owner/.local/share/dev.coffer.desktop/exports",
    keyring_service: "dev.coffer.app",
    next_data_dir: null,
    overridden_by: null,
  };
  let copies = [
    { file: "coffer.db.before-v25-1796000000000", path: `${profile.data_dir}/coffer.db.before-v25-1796000000000`, upgraded_to: 25, made_at: "2026-11-30T00:53:20Z", bytes: 1_250_000_000 },
    { file: "coffer.db.before-v26-1796656624119", path: `${profile.data_dir}/coffer.db.before-v26-1796656624119`, upgraded_to: 26, made_at: "2026-12-07T15:17:04Z", bytes: 1_312_000_000 },
  ];
  const linkReturn = new Map();
  const smtp = new Map();
  const smtpView = (id) => {
    const s = smtp.get(id);
    return s ? { merchant_id: id, channel: "smtp", smtp: s, outbox: null } : { merchant_id: id, channel: "outbox", smtp: null, outbox: profile.outbox_dir };
  };
  const rows = { customers: 1234, cards: 2051, charges: 18443, audit: 560 };
  const delay = (ms) => new Promise((r) => setTimeout(r, ms));

  window.__calls = [];
  window.__failNext = {};
  window.__cofferMock = async (cmd, args) => {
    window.__calls.push({ cmd, args: JSON.parse(JSON.stringify(args ?? {})) });
    const failure = window.__failNext[cmd];
    if (failure) {
      delete window.__failNext[cmd];
      throw failure;
    }
    switch (cmd) {
      case "list_merchants":
        return merchants;
      case "test_merchant": {
        // Berlin passes; Hamburg's secret is refused; Stockholm cannot be reached.
        const m = merchants.find((x) => x.id === args.id);
        if (!m) throw { kind: "not_found", message: `merchant ${args.id} not found` };
        await delay(50);
        const base = {
          merchant_id: m.id,
          provider: m.provider,
          account_id: Object.values(m.account)[1],
          base_url: m.base_url,
          checked: `${m.provider} account at ${m.base_url}, with the secret saved in the keyring, by the provider's credential check (one authenticated read; nothing is charged or changed)`,
        };
        if (m.id === 2)
          return { ...base, ok: false, kind: "auth", field: "secret", message: "secret: processout refused the credentials of project_id proj_hamburg; check the secret (and the login, where there is one): 401 Unauthorized" };
        if (m.id === 3)
          return { ...base, ok: false, kind: "provider_unavailable", field: "base_url", message: `base_url: cannot reach svea at ${m.base_url}: connection refused` };
        return { ...base, ok: true, kind: null, field: null, message: `${m.provider} accepted the account and its secret` };
      }
      case "dashboard":
        await delay(50);
        return dashboardFor(args.scope);
      case "export_csv": {
        await delay(400);
        const stamp = "20260212-101500";
        return { kind: args.kind, path: `${profile.exports_dir}/${args.kind}-${stamp}.csv`, rows: rows[args.kind] };
      }
      case "profile":
        return { ...profile };
      case "choose_data_dir":
        if (!args.dataDir.startsWith("/")) throw { kind: "invalid_input", message: `'${args.dataDir}' must be an absolute path, such as /home/me/coffer-data`, field: "data_dir" };
        profile.next_data_dir = args.dataDir;
        return { ...profile };
      case "link_return_page":
        return linkReturn.get(args.merchantId) ?? null;
      case "set_link_return_page":
        if (args.url !== null && !args.url.startsWith("https://")) throw { kind: "invalid_input", message: `url: '${args.url}' must be an https address`, field: "url" };
        linkReturn.set(args.merchantId, args.url);
        return args.url;
      case "upgrade_copies":
        return copies.map((c) => ({ ...c }));
      case "delete_upgrade_copy":
        if (!copies.some((c) => c.file === args.file)) throw { kind: "invalid_input", message: `'${args.file}' is not a copy kept before an upgrade`, field: "file" };
        copies = copies.filter((c) => c.file !== args.file);
        return copies.map((c) => ({ ...c }));
      case "smtp":
        return smtpView(args.merchantId);
      case "set_smtp": {
        const r = args.request;
        smtp.set(r.merchant_id, {
          merchant_id: r.merchant_id,
          host: r.host,
          port: r.port,
          security: r.security,
          username: r.username,
          from_address: r.from_address,
          secret: r.password ? { service: "dev.coffer.app", account: `smtp/${r.merchant_id}` } : null,
        });
        return smtpView(r.merchant_id);
      }
      case "clear_smtp":
        smtp.delete(args.merchantId);
        return smtpView(args.merchantId);
      case "count_customers":
        return { total: 0, capped: false, never_synced: [] };
      case "search_customers":
      case "list_cards":
      case "list_charges":
      case "list_contracts":
      case "list_notices":
      case "upcoming_charges":
      case "list_audit":
      case "unknown_attempts":
      case "list_alerts":
        return [];
      case "verify_audit":
        return { intact: true, verified: 0, broken_at: null, reason: null };
      default:
        throw { kind: "internal", message: `the test backend has no '${cmd}'` };
    }
  };
})();
