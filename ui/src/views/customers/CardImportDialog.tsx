// Import the cards a location already holds: the file its web shop or old system exports, with
// each card's consent and initial transaction. The engine checks every row with the provider
// and saves all of them or none; the dialog shows every problem by line so the file can be
// fixed in one pass. The window has no file-system access: the file is read here and its text
// sent.
import { useState } from "react";
import type { CardImportReport, MerchantView } from "../../ipc/bindings";
import { api } from "../../ipc/client";
import { Modal } from "../../components/Modal";
import { ErrorNotice } from "../../components/ErrorNotice";
import { OPTIONAL_COLUMNS, REQUIRED_COLUMNS, problemLines, reportWords } from "./cardImport";

export function CardImportDialog({
  merchant,
  onClose,
  onImported,
}: {
  merchant: MerchantView;
  onClose: () => void;
  onImported: () => void;
}) {
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [report, setReport] = useState<CardImportReport | null>(null);
  return (
    <Modal id="card-import" title={`Import cards into ${merchant.name}`} onClose={onClose}>
      <form
        id="card-import-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!file) return;
          setBusy(true);
          setError(null);
          setReport(null);
          file
            .text()
            .then((text) => api.importCards({ merchant_id: merchant.id, text }))
            .then((r) => {
              setReport(r);
              if (r.problems.length === 0) onImported();
            })
            .catch(setError)
            .finally(() => setBusy(false));
        }}
      >
        <p className="muted">
          A CSV file (UTF-8) with the columns <code>{REQUIRED_COLUMNS.join(",")}</code>. Every row is checked with
          the provider first; all rows are imported, or none.
        </p>
        <details>
          <summary>Optional columns</summary>
          <ul>
            {OPTIONAL_COLUMNS.map((c) => (
              <li key={c.name}>
                <code>{c.name}</code> ({c.for}): {c.meaning}
              </li>
            ))}
          </ul>
        </details>
        <label className="field">
          <span>File</span>
          <input
            id="card-import-file"
            type="file"
            accept=".csv,text/csv"
            onChange={(e) => {
              setFile(e.target.files?.[0] ?? null);
              setReport(null);
            }}
          />
        </label>
        <ErrorNotice error={error} />
        {report ? (
          <div id="card-import-report" role="status">
            <p>{reportWords(report, merchant.name)}</p>
            {report.problems.length > 0 ? (
              <ul id="card-import-problems">
                {problemLines(report).map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            ) : null}
          </div>
        ) : null}
        <div className="toolbar">
          <button type="submit" className="primary" id="card-import-submit" disabled={!file || busy}>
            {busy ? "Checking with the provider…" : "Check and import"}
          </button>
          <button type="button" onClick={onClose}>
            {report && report.problems.length === 0 ? "Done" : "Cancel"}
          </button>
        </div>
      </form>
    </Modal>
  );
}
