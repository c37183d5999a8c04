// The audit log: filter by action and by the switcher's location, and the hash chain's state.
import { useEffect, useState } from "react";
import type { AuditEventView, AuditVerification, MerchantView } from "../../ipc/bindings";
import { api } from "../../ipc/client";
import { formatInstant } from "../../format/time";
import type { Scope } from "../../state/scope";
import { ErrorNotice } from "../../components/ErrorNotice";

export function AuditView({ scope, merchants }: { scope: Scope; merchants: MerchantView[] }) {
  const [events, setEvents] = useState<AuditEventView[] | null>(null);
  const [verification, setVerification] = useState<AuditVerification | null>(null);
  const [action, setAction] = useState("");
  const [error, setError] = useState<unknown>(null);
  const merchantId = scope.kind === "merchant" ? scope.id : null;
  const names = new Map(merchants.map((m) => [m.id, m.name]));

  const verify = () => {
    setVerification(null);
    api.verifyAudit().then(setVerification).catch(setError);
  };
  useEffect(verify, []);
  useEffect(() => {
    let live = true;
    api
      .listAudit({ merchant_id: merchantId, action: action || null, after_seq: null, limit: 1000 })
      .then((e) => live && setEvents(e))
      .catch((e) => live && setError(e));
    return () => {
      live = false;
    };
  }, [merchantId, action]);

  const actions = [...new Set((events ?? []).map((e) => e.action))].sort();
  const inGroup = scope.kind === "group" ? new Set(merchants.filter((m) => m.group === scope.group).map((m) => m.id)) : null;
  const shown = (events ?? []).filter((e) => !inGroup || (e.merchant_id !== null && inGroup.has(e.merchant_id)));

  return (
    <section aria-labelledby="view-title">
      <div className="view-head">
        <h2 id="view-title">Audit log</h2>
        <div className="toolbar">
          <label>
            Action{" "}
            <select id="audit-action" value={action} onChange={(e) => setAction(e.target.value)}>
              <option value="">All actions</option>
              {(action && !actions.includes(action) ? [action, ...actions] : actions).map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={verify}>
            Verify chain
          </button>
        </div>
      </div>
      <div id="audit-verification" role="status" className={verification ? (verification.intact ? "ok-note" : "error") : "muted"}>
        {verification === null
          ? "Checking the chain…"
          : verification.intact
            ? `Chain intact: all ${verification.verified} events verified.`
            : `Chain broken at event ${verification.broken_at}: ${verification.reason ?? "hash mismatch"} (${verification.verified} verified before it).`}
      </div>
      <ErrorNotice error={error} onDismiss={() => setError(null)} />
      <div className="plain-table-wrap" tabIndex={0} aria-label="Audit events">
        <table className="plain-table">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Location</th>
              <th scope="col">Action</th>
              <th scope="col">Subject</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {shown
              .slice()
              .reverse()
              .map((e) => (
                <tr key={e.seq}>
                  <td className="mono">{e.seq}</td>
                  <td>{formatInstant(e.at)}</td>
                  <td>{e.actor}</td>
                  <td>{e.merchant_id === null ? "—" : (names.get(e.merchant_id) ?? `#${e.merchant_id}`)}</td>
                  <td className="mono">{e.action}</td>
                  <td className="mono">{e.subject}</td>
                  <td className="mono details">{JSON.stringify(e.details)}</td>
                </tr>
              ))}
          </tbody>
        </table>
        {events && shown.length === 0 ? <p className="empty">No events.</p> : null}
      </div>
    </section>
  );
}
