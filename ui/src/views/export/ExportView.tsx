// CSV export of the switcher's scope: customers, cards, the charge ledger or the audit log. The
// engine writes the file into the profile's exports folder and says where and how many rows.
import { useEffect, useState } from "react";
import type { ExportKind, ExportResult, MerchantView, ProfileView } from "../../ipc/bindings";
import { api } from "../../ipc/client";
import { scopeFilter, scopeKey, type Scope } from "../../state/scope";
import { ErrorNotice } from "../../components/ErrorNotice";
import { exportEnvironmentWords, scopeName } from "./scopeName";

const KINDS: { kind: ExportKind; label: string; what: string }[] = [
  { kind: "customers", label: "Export customers", what: "Every customer: name, reference, e-mail, phone, location and how many cards." },
  { kind: "cards", label: "Export cards", what: "Saved cards: brand, BIN and last four digits, bank, expiry, consent and the provider's token." },
  { kind: "charges", label: "Export charges", what: "The charge ledger: every charge and refund with its amount, state and the provider's answer." },
  { kind: "audit", label: "Export audit log", what: "Every recorded action: who did what, when, and on which location." },
];

const ROWS = new Intl.NumberFormat();

export function ExportView({ scope, merchants }: { scope: Scope; merchants: MerchantView[] }) {
  const [profile, setProfile] = useState<ProfileView | null>(null);
  const [running, setRunning] = useState<ExportKind | null>(null);
  const [result, setResult] = useState<ExportResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const where = scopeName(scope, merchants);
  const holds = exportEnvironmentWords(scope, merchants);

  useEffect(() => {
    api.profile().then(setProfile).catch(setError);
  }, []);
  // A result belongs to the scope it was made for.
  useEffect(() => setResult(null), [scopeKey(scope)]);

  const run = async (kind: ExportKind) => {
    setRunning(kind);
    setError(null);
    setResult(null);
    try {
      setResult(await api.exportCsv(kind, scopeFilter(scope)));
    } catch (e) {
      setError(e);
    } finally {
      setRunning(null);
    }
  };

  return (
    <section aria-labelledby="view-title" className="export">
      <div className="view-head">
        <h2 id="view-title">Export</h2>
      </div>
      <p>
        Exports <strong id="export-scope">{where}</strong> as a CSV file (opens in any spreadsheet). Change the location at the top
        of the window to export another one.
      </p>
      {holds ? (
        <p className={holds.kind === "live" ? "environment-banner environment-live" : "muted"} id="export-environment" data-kind={holds.kind}>
          {holds.words}
        </p>
      ) : null}
      <div className="note" role="note">
        <p>
          <strong>No card numbers.</strong> Coffer never has them: exports hold the provider's card tokens and the display
          fields only (brand, BIN, last four digits, expiry). Tokens still let your merchant account charge the card, so keep the
          files as safe as the app itself.
        </p>
        <p>
          Files are written to this profile's exports folder:{" "}
          <span className="mono" id="export-dir">
            {profile ? profile.exports_dir : "…"}
          </span>
        </p>
      </div>
      <ErrorNotice error={error} onDismiss={() => setError(null)} />
      <ul className="export-list">
        {KINDS.map((k) => (
          <li key={k.kind} className="export-item">
            <button
              type="button"
              id={`export-${k.kind}`}
              className="primary"
              disabled={running !== null}
              aria-describedby={`export-${k.kind}-what`}
              onClick={() => run(k.kind)}
            >
              {running === k.kind ? "Exporting…" : k.label}
            </button>
            <span id={`export-${k.kind}-what`} className="muted">
              {k.what}
            </span>
          </li>
        ))}
      </ul>
      <div id="export-result" role="status" aria-live="polite" className={result ? "export-result" : undefined}>
        {running ? (
          <span className="muted">Writing the file…</span>
        ) : result ? (
          <>
            <strong className="ok-note">
              Exported {ROWS.format(result.rows)} {rowWord(result.kind, result.rows)} of {where}.
            </strong>{" "}
            The file is <span className="mono export-path">{result.path}</span>
          </>
        ) : null}
      </div>
    </section>
  );
}

function rowWord(kind: ExportKind, rows: number): string {
  const one = rows === 1;
  switch (kind) {
    case "customers":
      return one ? "customer" : "customers";
    case "cards":
      return one ? "card" : "cards";
    case "charges":
      return one ? "charge or refund" : "charges and refunds";
    case "audit":
      return one ? "audit event" : "audit events";
  }
}
