// Enrollments: the cards being saved through a provider's page. Pending ones say what they wait
// for and offer Check (ask the provider), Cancel, Paste return (the address a link's cardholder
// landed on) and, at the counter, opening the window again; settled ones say how they ended.
import { useCallback, useEffect, useState } from "react";
import type { EnrollmentView, MerchantView } from "../../ipc/bindings";
import { api } from "../../ipc/client";
import { scopeFilter, merchantsIn, type Scope } from "../../state/scope";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ConfirmBar } from "../../components/ConfirmBar";
import { formatMoney } from "../../format/money";
import { formatInstant } from "../../format/time";
import { enrollmentEventNote, onEnrollmentEvent, openEnrollmentWindow } from "../../state/enrollmentWindows";
import { EnrollDialog } from "./EnrollDialog";
import { enrollmentActions, enrollmentStateLine, splitEnrollments } from "./enrollment";

export function EnrollmentsView({ scope, merchants, onOpenCustomer }: { scope: Scope; merchants: MerchantView[]; onOpenCustomer?: (id: number) => void }) {
  const [list, setList] = useState<EnrollmentView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [enrolling, setEnrolling] = useState(false);
  const [pasting, setPasting] = useState<number | null>(null);
  const inScope = merchantsIn(scope, merchants);

  const load = useCallback(async () => {
    try {
      setList(await api.listEnrollments({ ...scopeFilter(scope), settled: true }));
    } catch (e) {
      setError(e);
    }
  }, [scope]);

  useEffect(() => {
    void load();
  }, [load]);

  // A counter window's return settles an enrollment: say so and show it.
  useEffect(
    () =>
      onEnrollmentEvent((event) => {
        setNote(enrollmentEventNote(event));
        void load();
      }),
    [load],
  );

  const act = async (what: () => Promise<unknown>, done: (r: unknown) => string) => {
    setBusy(true);
    setError(null);
    setNote(null);
    try {
      setNote(done(await what()));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
      void load();
    }
  };

  const { pending, settled } = splitEnrollments(list ?? []);

  const row = (e: EnrollmentView) => {
    const can = enrollmentActions(e);
    return (
      <tr key={e.id} data-testid="enrollment-row" data-enrollment={e.id} data-state={e.state}>
        <td className="mono">{e.id}</td>
        <td>
          {e.customer_id && onOpenCustomer ? (
            <button type="button" className="link" onClick={() => onOpenCustomer(e.customer_id as number)}>
              {e.customer_name}
            </button>
          ) : (
            e.customer_name
          )}
          <div className="muted">{e.merchant_name}</div>
        </td>
        <td>{e.mode === "counter" ? "At the counter" : "Link"}</td>
        <td>{formatMoney(e.amount)}</td>
        <td>
          <span className={`status status-${e.state}`}>{e.state}</span>
          <div className="enrollment-state" data-testid="enrollment-state">
            {enrollmentStateLine(e)}
          </div>
          <div className="muted">
            {e.state === "pending" ? `open until ${formatInstant(e.expires_at)}` : e.settled_at ? `settled ${formatInstant(e.settled_at)}` : null}
          </div>
        </td>
        <td>
          <div className="toolbar">
            {can.openWindow ? (
              <button type="button" data-action="open-window" disabled={busy} onClick={() => void act(() => openEnrollmentWindow(e.id), () => `The window of enrollment ${e.id} is open.`)}>
                Open window again
              </button>
            ) : null}
            {can.check ? (
              <button
                type="button"
                data-action="check"
                disabled={busy}
                onClick={() => void act(() => api.checkEnrollment(e.id), (r) => `Enrollment ${e.id}: ${enrollmentStateLine(r as EnrollmentView)}.`)}
              >
                Check
              </button>
            ) : null}
            {can.pasteReturn ? (
              <button type="button" data-action="paste-return" disabled={busy} onClick={() => setPasting(e.id)}>
                Paste return…
              </button>
            ) : null}
            {can.cancel ? (
              <button
                type="button"
                data-action="cancel"
                disabled={busy}
                onClick={() => void act(() => api.cancelEnrollment(e.id), (r) => `Enrollment ${e.id}: ${enrollmentStateLine(r as EnrollmentView)}.`)}
              >
                Cancel
              </button>
            ) : null}
          </div>
        </td>
      </tr>
    );
  };

  const table = (id: string, rows: EnrollmentView[]) => (
    <div className="plain-table-wrap">
      <table className="plain-table" id={id}>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Customer</th>
            <th scope="col">Where</th>
            <th scope="col">Initial</th>
            <th scope="col">State</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>{rows.map(row)}</tbody>
      </table>
    </div>
  );

  return (
    <section aria-labelledby="view-title">
      <div className="view-head">
        <h2 id="view-title">Enrollments</h2>
        <div className="toolbar">
          <button type="button" className="primary" id="enroll-card" disabled={inScope.length === 0} onClick={() => setEnrolling(true)}>
            Enroll a card…
          </button>
          <button
            type="button"
            id="check-all-enrollments"
            disabled={busy || pending.length === 0}
            onClick={() => void act(() => api.checkEnrollments(scopeFilter(scope)), (r) => `Checked ${(r as EnrollmentView[]).length} pending enrollment(s).`)}
          >
            Check all
          </button>
        </div>
      </div>
      <ErrorNotice error={error} onDismiss={() => setError(null)} />
      {note ? (
        <p role="status" className="ok-note" id="enrollment-note">
          {note}
        </p>
      ) : null}
      {pasting !== null ? (
        <ConfirmBar
          id="paste-return"
          question={`Paste the whole address the cardholder's browser returned to for enrollment ${pasting}. It is only a hint: the provider is asked before any card is saved.`}
          confirmLabel="Check this return"
          reasonLabel="Return address"
          onConfirm={(address) => {
            const id = pasting;
            setPasting(null);
            void act(() => api.enrollmentReturned(id, address), (r) => `Enrollment ${id}: ${enrollmentStateLine(r as EnrollmentView)}.`);
          }}
          onCancel={() => setPasting(null)}
        />
      ) : null}
      {list === null && !error ? <p className="muted">Loading…</p> : null}
      <h3>Pending</h3>
      {pending.length === 0 ? <p className="muted">No enrollment is waiting.</p> : table("pending-enrollments", pending)}
      <h3>Settled</h3>
      {settled.length === 0 ? <p className="muted">None yet.</p> : table("settled-enrollments", settled)}
      {enrolling ? (
        <EnrollDialog
          merchants={inScope}
          merchantId={inScope[0]?.id ?? null}
          onClose={() => setEnrolling(false)}
          onDone={(view) => {
            setEnrolling(false);
            setNote(
              view.mode === "counter"
                ? `Enrollment ${view.id}: the provider's page is open in its window for the cardholder.`
                : `Enrollment ${view.id}: link sent to ${view.sent_to ?? "the customer"}.`,
            );
            void load();
          }}
        />
      ) : null}
    </section>
  );
}
