// Settings: merchants and their credentials, how each merchant's notices go out (outbox or SMTP),
// and the data folder. Secrets go to the OS keyring through the engine; they are never shown again
// and never stored in the database.
import { useState } from "react";
import type { CloverRegion, EndpointInput, MerchantTest, MerchantView, ProgressEvent, ProviderAccount } from "../../ipc/bindings";
import { api, CofferError } from "../../ipc/client";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ProgressBar } from "../../components/ProgressBar";
import { accountFields, DEFAULT_PROVIDER, emptyAccount, environmentChoice, environmentLabel, type EnvironmentChoice, PROVIDERS, REGIONS, type ProviderName } from "./accounts";
import { SmtpPanel } from "./SmtpPanel";
import { can, providerFacts, providerLabel } from "../../state/providers";
import { DataFolderPanel } from "./DataFolderPanel";
import { LinkReturnPanel } from "./LinkReturnPanel";
import { fieldLabel, testDetail, testLabel } from "./connection";
import { decimalString, formatMoney } from "../../format/money";

export function SettingsView({ merchants, reloadMerchants }: { merchants: MerchantView[]; reloadMerchants: () => Promise<MerchantView[]> }) {
  const [editing, setEditing] = useState<MerchantView | "new" | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [syncing, setSyncing] = useState<ProgressEvent | null | "idle">("idle");
  const [note, setNote] = useState<string | null>(null);
  const [tests, setTests] = useState<Record<number, MerchantTest | "testing">>({});
  const [lastTest, setLastTest] = useState<{ name: string; test: MerchantTest } | null>(null);

  const testConnection = async (m: MerchantView) => {
    setError(null);
    setTests((t) => ({ ...t, [m.id]: "testing" }));
    try {
      const test = await api.testMerchant(m.id);
      setTests((t) => ({ ...t, [m.id]: test }));
      setLastTest({ name: m.name, test });
    } catch (e) {
      setTests((t) => {
        const rest = { ...t };
        delete rest[m.id];
        return rest;
      });
      setError(e);
    }
  };

  const sync = async (id: number | null) => {
    setError(null);
    setNote(null);
    setSyncing(null);
    try {
      const summaries = id === null ? await api.syncAll((e) => setSyncing(e)) : [await api.syncMerchant(id, (e) => setSyncing(e))];
      const failed = summaries.filter((s) => s.error);
      setNote(
        `Synced ${summaries.length - failed.length} of ${summaries.length}.` +
          failed.map((s) => ` ${s.merchant_name}: ${s.error}`).join(""),
      );
    } catch (e) {
      setError(e);
    } finally {
      setSyncing("idle");
    }
  };

  return (
    <section aria-labelledby="view-title">
      <div className="view-head">
        <h2 id="view-title">Settings</h2>
        <div className="toolbar">
          <button type="button" id="add-merchant" onClick={() => setEditing("new")}>
            Add merchant
          </button>
          <button type="button" onClick={() => sync(null)} disabled={syncing !== "idle"}>
            Sync all
          </button>
        </div>
      </div>
      <ErrorNotice error={error} onDismiss={() => setError(null)} />
      {syncing !== "idle" ? <ProgressBar event={syncing} label="Syncing customers and cards" /> : null}
      {note ? <p role="status">{note}</p> : null}
      {lastTest ? (
        <p role="status" id="merchant-test-result" data-ok={lastTest.test.ok} className={lastTest.test.ok ? "ok-note" : "field-error"}>
          {testDetail(lastTest.name, lastTest.test)}
          {lastTest.test.field ? <strong> (field: {fieldLabel(lastTest.test.field)})</strong> : null}
          <br />
          <small>Checked: {lastTest.test.checked}</small>
        </p>
      ) : null}
      {editing ? (
        <MerchantForm
          merchant={editing === "new" ? null : editing}
          onDone={async () => {
            setEditing(null);
            await reloadMerchants();
          }}
          onCancel={() => setEditing(null)}
        />
      ) : null}
      <h3>Merchants</h3>
      <div className="plain-table-wrap">
        <table className="plain-table" id="merchant-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Provider</th>
              <th scope="col">Account</th>
              <th scope="col">Environment</th>
              <th scope="col">Group</th>
              <th scope="col">Currency</th>
              <th scope="col">Time zone</th>
              <th scope="col">Notice lead</th>
              <th scope="col">Confirm charges above</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {merchants.map((m) => (
              <tr key={m.id}>
                <td>
                  {m.name}
                  {tests[m.id] === undefined ? null : (
                    <div className="merchant-connection" data-merchant={m.id}>
                      <small>{tests[m.id] === "testing" ? "Checking…" : testLabel(tests[m.id] as MerchantTest)}</small>
                    </div>
                  )}
                </td>
                <td>{m.provider}</td>
                <td className="mono">{accountId(m.account)}</td>
                <td>
                  {environmentLabel(m)}
                  {m.host_override ? (
                    <div className="override-mark" data-merchant={m.id}>
                      <small>
                        Override: secret goes to {m.host_override.host} ({m.host_override.reason})
                      </small>
                    </div>
                  ) : null}
                </td>
                <td>{m.group ?? "—"}</td>
                <td>{m.currency}</td>
                <td>{m.time_zone}</td>
                <td>{m.notice_lead_days === 1 ? "1 day" : `${m.notice_lead_days} days`}</td>
                <td data-limit={m.id}>{m.confirm_above ? formatMoney(m.confirm_above) : "never asks twice"}</td>
                <td className="actions">
                  <button
                    type="button"
                    onClick={() => testConnection(m)}
                    disabled={tests[m.id] === "testing"}
                    aria-label={`Test connection of ${m.name}`}
                  >
                    Test connection
                  </button>
                  <button type="button" onClick={() => setEditing(m)} aria-label={`Edit ${m.name}`}>
                    Edit
                  </button>
                  <button type="button" onClick={() => sync(m.id)} disabled={syncing !== "idle"} aria-label={`Sync ${m.name}`}>
                    Sync
                  </button>
                  <button
                    type="button"
                    className="danger"
                    aria-label={`Remove ${m.name}`}
                    onClick={async () => {
                      if (!window.confirm(`Remove ${m.name}? Its keyring entry is deleted too.`)) return;
                      try {
                        await api.removeMerchant(m.id);
                        await reloadMerchants();
                      } catch (e) {
                        setError(e);
                      }
                    }}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <SmtpPanel merchants={merchants} />
      <LinkReturnPanel merchants={merchants} />
      <DataFolderPanel />
    </section>
  );
}

/** Optional ids left empty are absent, not "": the fields the provider's facts do not require. */
function withoutEmptyOptional(provider: string, account: Record<string, string>): Record<string, string | null> {
  const optional = (key: string) => providerFacts(provider)?.account_fields.some((f) => f.key === key && !f.required) ?? false;
  return Object.fromEntries(Object.entries(account).map(([k, v]) => [k, v === "" && optional(k) ? null : v]));
}

/** The account's id: the first field its provider lists. */
function accountId(a: ProviderAccount): string {
  const key = providerFacts(a.provider)?.account_fields[0]?.key;
  const fields: Record<string, string | null> = a;
  return (key && fields[key]) || "";
}

function MerchantForm({ merchant, onDone, onCancel }: { merchant: MerchantView | null; onDone: () => void; onCancel: () => void }) {
  const [provider, setProvider] = useState<ProviderName>((merchant?.account.provider as ProviderName) ?? DEFAULT_PROVIDER);
  const [account, setAccount] = useState<Record<string, string>>(() =>
    merchant ? Object.fromEntries(Object.entries(merchant.account).map(([k, v]) => [k, v ?? ""])) : emptyAccount(DEFAULT_PROVIDER),
  );
  const [name, setName] = useState(merchant?.name ?? "");
  const [environment, setEnvironmentRaw] = useState<EnvironmentChoice>(merchant ? environmentChoice(merchant) : "live");
  const [region, setRegionRaw] = useState<CloverRegion>(merchant?.region ?? "north_america");
  const [host, setHostRaw] = useState(merchant && merchant.environment === "live" && !merchant.host_override ? merchant.base_url.replace(/^https:\/\//, "") : "");
  const [baseUrl, setBaseUrlRaw] = useState(merchant && (merchant.environment === "sandbox" || merchant.host_override) ? merchant.base_url : "");
  const [override, setOverrideRaw] = useState(merchant?.host_override !== null && merchant?.host_override !== undefined);
  const [reason, setReasonRaw] = useState(merchant?.host_override?.reason ?? "");
  // Any change to where the calls go re-derives the endpoint; for a live merchant it needs the
  // secret again (the engine refuses it otherwise).
  const [endpointChanged, setEndpointChanged] = useState(merchant === null);
  const touch =
    <T,>(set: (v: T) => void) =>
    (v: T) => {
      setEndpointChanged(true);
      set(v);
    };
  const setEnvironment = touch(setEnvironmentRaw);
  const setRegion = touch(setRegionRaw);
  const setHost = touch(setHostRaw);
  const setBaseUrl = touch(setBaseUrlRaw);
  const setOverride = touch(setOverrideRaw);
  const setReason = touch(setReasonRaw);
  const live = environment !== "sandbox";
  const secretRequired = !merchant || (live && endpointChanged);
  const [timeZone, setTimeZone] = useState(merchant?.time_zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? "UTC");
  const [currency, setCurrency] = useState(merchant?.currency ?? "EUR");
  const [lead, setLead] = useState(String(merchant?.notice_lead_days ?? 3));
  const [group, setGroup] = useState(merchant?.group ?? "");
  const [limit, setLimit] = useState(merchant?.confirm_above ? decimalString(merchant.confirm_above.minor, merchant.confirm_above.currency) : "");
  const [secret, setSecret] = useState("");
  const [skipCheck, setSkipCheck] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    const notice = Number(lead.trim());
    if (lead.trim() === "" || !Number.isInteger(notice) || notice < 0 || notice > 60) {
      setError(new CofferError("invalid_input", "The notice lead time is a whole number of days from 0 to 60.", "notice_lead_days"));
      return;
    }
    if (merchant && secretRequired && secret.trim() === "" && !merchant.embedded) {
      setError(new CofferError("invalid_input", "Changing where a live merchant's calls go needs its secret again.", "secret"));
      return;
    }
    const endpoint: EndpointInput = {
      stage: environment === "test" ? "test" : environment === "live" ? "production" : null,
      region: can(provider, "has_regions") ? region : null,
      host: live && can(provider, "own_host") && !override ? host : null,
      base_url: !live || override ? baseUrl : null,
      override_reason: live && override ? reason : null,
    };
    const stored = environment === "sandbox" ? "sandbox" : "live";
    setBusy(true);
    try {
      if (merchant) {
        await api.editMerchant({
          id: merchant.id,
          name,
          endpoint: endpointChanged ? endpoint : null,
          environment: endpointChanged ? stored : null,
          time_zone: timeZone,
          currency,
          notice_lead_days: notice,
          group,
          confirm_above: limit.trim(),
          secret: secret || null,
          skip_check: skipCheck,
        });
      } else {
        await api.addMerchant({
          name,
          account: { provider, ...withoutEmptyOptional(provider, account) } as unknown as ProviderAccount,
          environment: stored,
          endpoint,
          time_zone: timeZone,
          currency,
          notice_lead_days: notice,
          group: group || null,
          secret: secret || null,
          skip_check: skipCheck,
        });
      }
      onDone();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const field = (id: string, label: string, value: string, set: (v: string) => void, extra: React.InputHTMLAttributes<HTMLInputElement> = {}) => (
    <label className="field" htmlFor={id}>
      <span>{label}</span>
      <input id={id} value={value} onChange={(e) => set(e.target.value)} {...extra} />
    </label>
  );

  return (
    <form className="merchant-form" onSubmit={submit} aria-labelledby="merchant-form-title">
      <h3 id="merchant-form-title">{merchant ? `Edit ${merchant.name}` : "Add a merchant"}</h3>
      <ErrorNotice error={error} />
      <div className="form-grid">
        <label className="field" htmlFor="mf-provider">
          <span>Provider</span>
          <select
            id="mf-provider"
            value={provider}
            disabled={merchant !== null}
            onChange={(e) => {
              const p = e.target.value as ProviderName;
              setProvider(p);
              setAccount(emptyAccount(p));
            }}
          >
            {PROVIDERS.map((p) => (
              <option key={p.name} value={p.name}>
                {p.label}
              </option>
            ))}
          </select>
        </label>
        {field("mf-name", "Name", name, setName, { required: true })}
        {accountFields(provider).map((f) =>
          field(`mf-${f.key}`, f.label, account[f.key] ?? "", (v) => setAccount({ ...account, [f.key]: v }), {
            required: f.required,
            disabled: merchant !== null,
          }),
        )}
        <label className="field" htmlFor="mf-env">
          <span>Environment</span>
          <select id="mf-env" value={environment} onChange={(e) => setEnvironment(e.target.value as EnvironmentChoice)}>
            <option value="live">Live (the provider's production servers)</option>
            <option value="test">Test (the provider's own test environment)</option>
            <option value="sandbox">Sandbox (Coffer's emulator)</option>
          </select>
        </label>
        {can(provider, "has_regions") ? (
          <label className="field" htmlFor="mf-region">
            <span>{providerLabel(provider)} region</span>
            <select id="mf-region" value={region} onChange={(e) => setRegion(e.target.value as CloverRegion)}>
              {REGIONS.map((r) => (
                <option key={r.name} value={r.name}>
                  {r.label}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        {live && can(provider, "own_host") && !override
          ? field("mf-host", `${providerLabel(provider)} server (given by ${providerLabel(provider)}, e.g. payments.paysec.by)`, host, setHost, { required: true })
          : null}
        {!live ? field("mf-base-url", "Sandbox URL", baseUrl, setBaseUrl, { required: true, placeholder: `embedded:${providerFacts(provider)?.name ?? provider} or http://127.0.0.1:…` }) : null}
        {field("mf-tz", "Time zone", timeZone, setTimeZone)}
        {field("mf-currency", "Currency", currency, setCurrency, { maxLength: 3 })}
        {field("mf-lead", "Notice lead time (days between the notice and its charge)", lead, setLead, {
          type: "number",
          min: 0,
          max: 60,
          step: 1,
          inputMode: "numeric",
          required: true,
        })}
        {field("mf-group", "Group", group, setGroup)}
        {merchant
          ? field("mf-limit", `Confirm charges above (${currency}; empty: never ask twice)`, limit, setLimit, { inputMode: "decimal", placeholder: "1000.00" })
          : null}
        {merchant?.embedded
          ? null
          : field(
              "mf-secret",
              !merchant ? "Secret (stored in the system keyring)" : secretRequired ? "Secret (required again: where the calls go changed)" : "New secret (leave empty to keep)",
              secret,
              setSecret,
              {
                type: "password",
                autoComplete: "off",
                required: secretRequired && !merchant?.embedded && !(environment === "sandbox" && baseUrl.startsWith("embedded:")),
              },
            )}
      </div>
      {live ? (
        <fieldset className="override-fieldset">
          <label className="field-help" htmlFor="mf-override">
            <input id="mf-override" type="checkbox" checked={override} onChange={(e) => setOverride(e.target.checked)} />
            <span>Send this merchant's secret to a host that is not the provider's own (override). Recorded in the audit log and shown with the merchant.</span>
          </label>
          {override ? (
            <div className="form-grid">
              {field("mf-override-url", "Override URL", baseUrl, setBaseUrl, { required: true, placeholder: "https://…" })}
              {field("mf-override-reason", "Reason for the override", reason, setReason, { required: true })}
            </div>
          ) : null}
        </fieldset>
      ) : null}
      {merchant ? null : (
        <p className="muted" id="mf-limit-note">
          A new merchant asks a second time before a charge by hand above 1,000 in its currency; change that with Edit once it is added.
        </p>
      )}
      <label className="field-help" htmlFor="mf-skip-check">
        <input id="mf-skip-check" type="checkbox" checked={skipCheck} onChange={(e) => setSkipCheck(e.target.checked)} />
        <span>Save without checking the connection (offline). Otherwise the provider is asked first whether it accepts the account and secret, and nothing is saved if it does not.</span>
      </label>
      <div className="toolbar">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Saving…" : merchant ? "Save" : "Add"}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
