// The Import dialog of the contracts view: the recurring contracts a merchant's old billing
// system charged, from a CSV file, all rows or none. A refusal lists every bad row with its line,
// column and rule, so the owner fixes the file once and imports again. The window has no
// file-system access: the owner chooses the file, it is read here and its text sent.
import { useEffect, useState } from "react";
import type { ContractImportSummary, MerchantView } from "../../ipc/bindings";
import { api, CofferError } from "../../ipc/client";
import { ErrorNotice } from "../../components/ErrorNotice";
import {
  IMPORT_COLUMNS,
  REQUIRED_COLUMNS,
  importRequest,
  importedSentence,
  isImportProblem,
  rowProblems,
  type ImportForm,
  type ImportProblem,
  type RowProblem,
} from "./importing";

export function ImportContracts({
  merchantId,
  onDone,
  onCancel,
}: {
  merchantId: number | null;
  onDone: (summary: ContractImportSummary) => void;
  onCancel: () => void;
}) {
  const [merchants, setMerchants] = useState<MerchantView[]>([]);
  const [form, setForm] = useState<ImportForm<File>>({ merchantId: merchantId ? String(merchantId) : "", file: null });
  const [problem, setProblem] = useState<ImportProblem | null>(null);
  const [rows, setRows] = useState<RowProblem[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api.listMerchants().then(setMerchants, setError);
  }, []);

  const submit = async () => {
    setProblem(null);
    setRows([]);
    setError(null);
    setDone(null);
    const request = importRequest(form);
    if (isImportProblem(request)) {
      setProblem(request);
      return;
    }
    setBusy(true);
    try {
      const text = await request.file.text();
      const summary = await api.importContracts({ merchant_id: request.merchantId, file_name: request.file.name, text });
      const name = merchants.find((m) => m.id === request.merchantId)?.name ?? `merchant ${request.merchantId}`;
      setDone(importedSentence(summary, name));
      onDone(summary);
    } catch (e) {
      // The message is "field: rule", every problem of the file joined; the rows list them one a line.
      if (e instanceof CofferError && e.kind === "invalid_input") setRows(rowProblems(e.message));
      else setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="dialog" role="dialog" aria-labelledby="import-contracts-title" id="import-contracts">
      <h3 id="import-contracts-title">Import contracts</h3>
      <p className="muted">
        Recurring contracts your old system billed, one a row. Required columns: {REQUIRED_COLUMNS.join(", ")}; all
        columns: {IMPORT_COLUMNS.join(", ")}. Every row is checked like a contract created here; if any row is wrong, nothing
        is imported.
      </p>
      <label>
        <span>Merchant</span>
        <select
          id="import-contracts-merchant"
          value={form.merchantId}
          aria-invalid={problem?.field === "merchant"}
          onChange={(e) => setForm({ ...form, merchantId: e.target.value })}
        >
          <option value="">Choose…</option>
          {merchants.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span>CSV file (UTF-8)</span>
        <input
          id="import-contracts-file"
          type="file"
          accept=".csv,.txt,text/csv"
          aria-invalid={problem?.field === "file"}
          onChange={(e) => {
            setForm({ ...form, file: e.target.files?.[0] ?? null });
            setProblem(null);
            setRows([]);
            setDone(null);
          }}
        />
      </label>
      {problem ? (
        <p className="error" role="alert">
          {problem.message}
        </p>
      ) : null}
      {rows.length > 0 ? (
        <div className="error" role="alert" id="import-contracts-problems">
          <strong>Nothing was imported. Fix these rows and import the file again:</strong>
          <table className="plain-table">
            <thead>
              <tr>
                <th scope="col">Line</th>
                <th scope="col">Column</th>
                <th scope="col">Problem</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <tr key={i}>
                  <td className="mono">{r.line || "—"}</td>
                  <td className="mono">{r.field}</td>
                  <td>{r.rule}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <ErrorNotice error={error} onDismiss={() => setError(null)} />
      {done ? (
        <p className="done" role="status">
          {done}
        </p>
      ) : null}
      <div className="actions">
        <button type="button" id="import-contracts-submit" disabled={busy} onClick={() => void submit()}>
          {busy ? "Importing…" : "Import"}
        </button>
        <button type="button" className="link" onClick={onCancel}>
          Close
        </button>
      </div>
    </section>
  );
}
