// An inline "are you sure" for an action that cannot be undone, with an optional reason; the page
// needs no script dialogs (which a desktop webview may not show).
import { useState } from "react";

export function ConfirmBar({
  id,
  question,
  confirmLabel,
  reasonLabel,
  defaultReason = "",
  onConfirm,
  onCancel,
}: {
  id: string;
  question: string;
  confirmLabel: string;
  reasonLabel?: string;
  defaultReason?: string;
  onConfirm: (reason: string) => void;
  onCancel: () => void;
}) {
  const [reason, setReason] = useState(defaultReason);
  return (
    <form
      className="confirm-bar"
      id={id}
      role="alertdialog"
      aria-label={question}
      onSubmit={(e) => {
        e.preventDefault();
        onConfirm(reason);
      }}
    >
      <strong>{question}</strong>
      {reasonLabel ? (
        <label className="field">
          <span>{reasonLabel}</span>
          <input id={`${id}-reason`} value={reason} onChange={(e) => setReason(e.target.value)} autoFocus />
        </label>
      ) : null}
      <div className="toolbar">
        <button type="submit" className="danger" id={`${id}-yes`} autoFocus={!reasonLabel}>
          {confirmLabel}
        </button>
        <button type="button" onClick={onCancel}>
          Keep it
        </button>
      </div>
    </form>
  );
}
