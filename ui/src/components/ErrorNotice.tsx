import { CofferError, errorTitle } from "../ipc/client";

/** Shows a failure with its kind's title and the engine's message; never hides one. */
export function ErrorNotice({ error, onDismiss }: { error: unknown; onDismiss?: () => void }) {
  if (!error) return null;
  const e = error instanceof CofferError ? error : new CofferError("ipc", String(error));
  return (
    <div className="error" role="alert" data-kind={e.kind}>
      <strong>{errorTitle(e.kind)}</strong>
      <span className="error-message">{e.message}</span>
      {e.field ? <span className="error-field">Field: {e.field}</span> : null}
      {onDismiss ? (
        <button type="button" className="link" onClick={onDismiss}>
          Dismiss
        </button>
      ) : null}
    </div>
  );
}
