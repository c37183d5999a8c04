// The "Erase customer…" button of the customer view and its confirmation, which names what is
// gone and what is kept before anything happens (words in ./erase.ts).
import { useState } from "react";
import type { ErasureReport } from "../../ipc/bindings";
import { api } from "../../ipc/client";
import { erasureQuestion } from "./erase";

export function EraseCustomer({
  customerId,
  name,
  cards,
  openContracts,
  unsettled,
  onErased,
  onError,
}: {
  customerId: number;
  name: string;
  cards: number;
  openContracts: number;
  unsettled: number;
  onErased: (report: ErasureReport) => void;
  onError: (error: unknown) => void;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const q = erasureQuestion(name, cards, openContracts, unsettled);
  if (!asking) {
    return (
      <button type="button" className="danger" id="erase-customer" onClick={() => setAsking(true)}>
        Erase customer…
      </button>
    );
  }
  return (
    <form
      className="confirm-bar"
      id="confirm-erase-customer"
      role="alertdialog"
      aria-label={q.question}
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        try {
          onErased(await api.eraseCustomer(customerId));
          setAsking(false);
        } catch (err) {
          onError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      <strong id="confirm-erase-customer-question">{q.question}</strong>
      <p>Gone:</p>
      <ul id="erase-gone">
        {q.gone.map((line) => (
          <li key={line}>{line}</li>
        ))}
      </ul>
      <p>Kept:</p>
      <ul id="erase-kept">
        {q.kept.map((line) => (
          <li key={line}>{line}</li>
        ))}
      </ul>
      {q.blocked ? (
        <p className="muted" id="erase-blocked">
          {q.blocked}
        </p>
      ) : null}
      <div className="toolbar">
        <button type="submit" className="danger" id="confirm-erase-customer-yes" disabled={busy || q.blocked !== null}>
          {q.confirmLabel}
        </button>
        <button type="button" onClick={() => setAsking(false)}>
          Keep the customer
        </button>
      </div>
    </form>
  );
}
