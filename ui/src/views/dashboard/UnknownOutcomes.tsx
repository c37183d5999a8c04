// Charges and refunds whose outcome no answer has proved, and alerts where a provider's record
// contradicts a hand resolution. Reconcile asks the providers; what they cannot settle a person
// checks at the provider and resolves here, by hand, which the audit log records.
import { useEffect, useState } from "react";
import type { AlertView, UnknownAttempt } from "../../ipc/bindings";
import { api } from "../../ipc/client";
import { formatMoney } from "../../format/money";
import { scopeFilter, scopeKey, type Scope } from "../../state/scope";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ResolveAttempt } from "../../components/ResolveAttempt";
import { reconcileNote } from "../../format/reconcile";

export function UnknownOutcomes({ scope, onChanged }: { scope: Scope; onChanged: () => void }) {
  const [unknown, setUnknown] = useState<UnknownAttempt[]>([]);
  const [alerts, setAlerts] = useState<AlertView[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [reload, setReload] = useState(0);
  const key = scopeKey(scope);

  useEffect(() => {
    let live = true;
    Promise.all([api.unknownAttempts(scopeFilter(scope)), api.listAlerts(scopeFilter(scope))])
      .then(([u, a]) => {
        if (live) {
          setUnknown(u);
          setAlerts(a);
        }
      })
      .catch((e) => live && setError(e));
    return () => {
      live = false;
    };
    // The scope's key stands for the scope.
  }, [key, reload]);

  const refresh = () => {
    setReload((n) => n + 1);
    onChanged();
  };
  const act = async (what: () => Promise<string>) => {
    setBusy(true);
    setError(null);
    try {
      setNote(await what());
      refresh();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (unknown.length === 0 && alerts.length === 0 && !error && !note) {
    return null;
  }
  return (
    <section aria-labelledby="unknown-title" className="unknown-outcomes" id="unknown-outcomes">
      <h3 id="unknown-title">Outcomes to settle</h3>
      <ErrorNotice error={error} onDismiss={() => setError(null)} />
      {note ? (
        <p role="status" className="ok-note" id="unknown-note">
          {note}
        </p>
      ) : null}
      {alerts.map((a) => (
        <div key={a.id} className="alert-row" role="alert" data-alert={a.id}>
          <strong>{a.kind === "possible_duplicate" ? "Possible duplicate charge" : "Resolution contradicted"}</strong>{" "}
          {a.message}{" "}
          <button type="button" disabled={busy} onClick={() => act(async () => (await api.acknowledgeAlert(a.id), "Alert acknowledged."))}>
            Acknowledge
          </button>
        </div>
      ))}
      {unknown.length > 0 ? (
        <>
          <p className="muted">
            The provider's answer to these never proved what happened. Reconcile asks the provider again (and resends where the
            provider makes that safe). What it cannot settle, check at the provider and resolve by hand.
          </p>
          <button
            type="button"
            id="reconcile-now"
            disabled={busy}
            onClick={() =>
              act(async () => {
                return reconcileNote(await api.reconcile(scopeFilter(scope)));
              })
            }
          >
            Reconcile now
          </button>
          <ul className="unknown-list">
            {unknown.map((u) => (
              <UnknownRow key={u.attempt_id} attempt={u} busy={busy} act={act} />
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

function UnknownRow({
  attempt,
  busy,
  act,
}: {
  attempt: UnknownAttempt;
  busy: boolean;
  act: (what: () => Promise<string>) => Promise<void>;
}) {
  const id = attempt.attempt_id;
  return (
    <li data-attempt={id}>
      <div>
        {attempt.kind === "refund" ? "Refund" : "Charge"} #{id} of {formatMoney(attempt.amount)} on card {attempt.card_id}
        {attempt.sent_at ? `, sent ${new Date(attempt.sent_at).toLocaleString()}` : ""}
      </div>
      <div className="muted">{attempt.what_to_check}</div>
      <ResolveAttempt id={id} busy={busy} act={act} />
    </li>
  );
}
