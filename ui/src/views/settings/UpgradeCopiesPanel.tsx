// The copies of the database kept before upgrades: listed with their size, deleted one by one
// after a confirmation (each deletion is in the audit log).
import { useEffect, useState } from "react";
import type { UpgradeCopyView } from "../../ipc/bindings";
import { api } from "../../ipc/client";
import { ConfirmBar } from "../../components/ConfirmBar";
import { ErrorNotice } from "../../components/ErrorNotice";
import { formatInstant } from "../../format/time";
import { copiesSummary, deleteQuestion, sizeWords } from "./copies";

export function UpgradeCopiesPanel() {
  const [copies, setCopies] = useState<UpgradeCopyView[] | null>(null);
  const [asking, setAsking] = useState<UpgradeCopyView | null>(null);
  const [deleted, setDeleted] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    api.upgradeCopies().then(setCopies).catch(setError);
  }, []);

  const remove = async (copy: UpgradeCopyView) => {
    setAsking(null);
    setError(null);
    try {
      setCopies(await api.deleteUpgradeCopy(copy.file));
      setDeleted(copy.file);
    } catch (e) {
      setError(e);
    }
  };

  return (
    <div id="upgrade-copies" aria-labelledby="upgrade-copies-title">
      <h4 id="upgrade-copies-title">Copies kept before upgrades</h4>
      <ErrorNotice error={error} onDismiss={() => setError(null)} />
      {copies === null ? (
        <p className="muted">Loading…</p>
      ) : (
        <>
          <p id="upgrade-copies-summary" className="muted">
            {copiesSummary(copies)}
          </p>
          {deleted ? (
            <p id="upgrade-copies-deleted" role="status" className="ok-note">
              Deleted {deleted}. The audit log records it.
            </p>
          ) : null}
          {copies.length > 0 ? (
            <table className="plain-table" id="upgrade-copies-table">
              <thead>
                <tr>
                  <th>File</th>
                  <th>Kept before schema</th>
                  <th>Made</th>
                  <th className="num">Size</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {copies.map((copy) => (
                  <tr key={copy.file} data-file={copy.file}>
                    <td className="mono" title={copy.path}>
                      {copy.file}
                    </td>
                    <td>{copy.upgraded_to}</td>
                    <td>{formatInstant(copy.made_at)}</td>
                    <td className="num">{sizeWords(copy.bytes)}</td>
                    <td>
                      <button type="button" className="danger" onClick={() => setAsking(copy)} disabled={asking !== null}>
                        Delete
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          {asking ? (
            <ConfirmBar
              id="delete-upgrade-copy"
              question={deleteQuestion(asking)}
              confirmLabel="Delete the copy"
              onConfirm={() => void remove(asking)}
              onCancel={() => setAsking(null)}
            />
          ) : null}
        </>
      )}
    </div>
  );
}
