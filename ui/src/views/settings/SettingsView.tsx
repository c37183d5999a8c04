// Settings: merchants and their credentials, how each merchant's notices go out (outbox or SMTP),
// and the data folder. Secrets go to the OS keyring through the engine; they are never shown again
// and never stored in the database.
import { useState } from "react";
import type { Environment, MerchantTest, MerchantView, ProgressEvent, ProviderAccount } from "../../ipc/bindings";
import { api, CofferError } from "../../ipc/client";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ProgressBar } from "../../components/ProgressBar";
import { accountFields, emptyAccount, PROVIDERS, type ProviderName } from "./accounts";
import { SmtpPanel } from "./SmtpPanel";
import { DataFolderPanel } from "./DataFolderPanel";
import { fieldLabel, testDetail, testLabel } from "./connection";

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
                <td>{m.environment === "sandbox" ? (m.embedded ? "Sandbox (built-in)" : "Sandbox") : "Live"}</td>
                <td>{m.group ?? "—"}</td>
                <td>{m.currency}</td>
                <td>{m.time_zone}</td>
                <td>{m.notice_lead_days === 1 ? "1 day" : `${m.notice_lead_days} days`}</td>
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
      <DataFolderPanel />
    </section>
  );
}

/** Optional ids left empty are absent, not "". */
function withoutEmptyOptional(account: Record<string, string>): Record<string, string | null> {
  return Object.fromEntries(Object.entries(account).map(([k, v]) => [k, v === "" && k === "pakms_key" ? null : v]));
}

function accountId(a: ProviderAccount): string {
  switch (a.provider) {
    case "clover":
      return a.merchant_uuid;
    case "process_out":
      return a.project_id;
    case "assist":
      return a.merchant_id;
    case "svea":
      return a.seller_id;
  }
}

function MerchantForm({ merchant, onDone, onCancel }: { merchant: MerchantView | null; onDone: () => void; onCancel: () => void }) {
  const [provider, setProvider] = useState<ProviderName>((merchant?.account.provider as ProviderName) ?? "clover");
  const [account, setAccount] = useState<Record<string, string>>(() =>
    merchant ? Object.fromEntries(Object.entries(merchant.account).map(([k, v]) => [k, v ?? ""])) : emptyAccount("clover"),
  );
  const [name, setName] = useState(merchant?.name ?? "");
  const [baseUrl, setBaseUrl] = useState(merchant?.base_url ?? "");
  const [environment, setEnvironment] = useState<Environment>(merchant?.environment ?? "live");
  const [timeZone, setTimeZone] = useState(merchant?.time_zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? "UTC");
  const [currency, setCurrency] = useState(merchant?.currency ?? "EUR");
  const [lead, setLead] = useState(String(merchant?.notice_lead_days ?? 3));
  const [group, setGroup] = useState(merchant?.group ?? "");
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
    setBusy(true);
    try {
      if (merchant) {
        await api.editMerchant({
          id: merchant.id,
          name,
          base_url: baseUrl,
          environment,
          time_zone: timeZone,
          currency,
          notice_lead_days: notice,
          group,
          secret: secret || null,
          skip_check: skipCheck,
        });
      } else {
        await api.addMerchant({
          name,
          account: { provider, ...withoutEmptyOptional(account) } as unknown as ProviderAccount,
          environment,
          base_url: baseUrl,
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
          <select id="mf-env" value={environment} onChange={(e) => setEnvironment(e.target.value as Environment)}>
            <option value="live">Live</option>
            <option value="sandbox">Sandbox</option>
          </select>
        </label>
        {field("mf-base-url", "API base URL", baseUrl, setBaseUrl, { required: true, placeholder: "https://…" })}
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
        {merchant?.embedded
          ? null
          : field("mf-secret", merchant ? "New secret (leave empty to keep)" : "Secret (stored in the system keyring)", secret, setSecret, {
              type: "password",
              autoComplete: "off",
            })}
      </div>
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
