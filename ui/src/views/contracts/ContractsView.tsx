// Contracts of the locations in view, and one contract at a time: its terms, schedule, notices and
// history, with pause, resume, cancel (the contract, one occurrence, or a made charge by refund)
// and edit. Creating a contract starts from a card on the customer page. Each action says what it
// did and how to undo it (the engine's own sentences); a change of terms that waits for the
// cardholder's new consent or a new initial payment says so, with the button that records it.
import { useCallback, useEffect, useState } from "react";
import type { ContractStatus, ContractView, MerchantView, Money, Notice, RefundResult } from "../../ipc/bindings";
import { api } from "../../ipc/client";
import { formatMoney } from "../../format/money";
import { formatInstant } from "../../format/time";
import { scopeFilter, type Scope } from "../../state/scope";
import { ConfirmBar } from "../../components/ConfirmBar";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ContractEditor } from "./ContractEditor";
import { ImportContracts } from "./ImportContracts";
import { EnrollDialog } from "../enrollment/EnrollDialog";
import { ACTION_HELP, actionsFor, canUnskip, doneNote, noticeKindWords } from "./terms";

const STATUSES: (ContractStatus | "")[] = ["", "active", "paused", "cancelled", "ended"];

export function ContractsView({ scope, merchants = [], contractId }: { scope: Scope; merchants?: MerchantView[]; contractId?: number }) {
  const [status, setStatus] = useState<ContractStatus | "">("active");
  const [contracts, setContracts] = useState<ContractView[] | null>(null);
  const [open, setOpen] = useState<number | null>(contractId ?? null);
  const [error, setError] = useState<unknown>(null);
  const [importing, setImporting] = useState(false);

  const load = useCallback(async () => {
    setError(null);
    try {
      setContracts(await api.listContracts({ ...scopeFilter(scope), card_id: null, status: status || null }));
    } catch (e) {
      setError(e);
    }
  }, [scope, status]);

  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => setOpen(contractId ?? null), [contractId]);

  if (open !== null)
    return (
      <ContractDetail
        id={open}
        merchants={merchants}
        onBack={() => {
          setOpen(null);
          void load();
        }}
      />
    );

  return (
    <section aria-labelledby="view-title">
      <div className="view-head">
        <h2 id="view-title">Contracts</h2>
        <label className="toolbar">
          <span className="muted">Status</span>
          <select id="contract-status-filter" value={status} onChange={(e) => setStatus(e.target.value as ContractStatus | "")}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s || "any"}
              </option>
            ))}
          </select>
        </label>
        <button type="button" id="import-contracts-open" onClick={() => setImporting(true)}>
          Import contracts…
        </button>
      </div>
      <p className="muted">
        A contract is created from a card: open a customer, choose a card and press “New contract”. Contracts your old system
        billed come in with “Import contracts…”.
      </p>
      {importing ? (
        <ImportContracts
          merchantId={scope.kind === "merchant" ? scope.id : null}
          onDone={() => void load()}
          onCancel={() => setImporting(false)}
        />
      ) : null}
      <ErrorNotice error={error} onDismiss={() => setError(null)} />
      {contracts === null && !error ? <p className="muted">Loading…</p> : null}
      {contracts?.length === 0 ? <p className="empty">No {status || ""} contract here.</p> : null}
      {contracts && contracts.length > 0 ? (
        <div className="plain-table-wrap">
          <table className="plain-table" id="contract-table">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Cardholder</th>
                <th scope="col">Card</th>
                <th scope="col">Amount</th>
                <th scope="col">How often</th>
                <th scope="col">Next charge</th>
                <th scope="col">Status</th>
                <th scope="col">Location</th>
              </tr>
            </thead>
            <tbody>
              {contracts.map((c) => (
                <tr key={c.id} data-contract={c.id}>
                  <td>
                    <button type="button" className="link" onClick={() => setOpen(c.id)} aria-label={`Open contract ${c.id}`}>
                      {c.id}
                    </button>
                  </td>
                  <td>{c.customer_name}</td>
                  <td>
                    {c.card}
                    {c.reenroll ? (
                      <>
                        {" "}
                        <span className="badge badge-reenroll" title={c.reenroll}>
                          Re-enroll
                        </span>
                      </>
                    ) : null}
                  </td>
                  <td>
                    {c.amount_words}
                    {c.initial_needed ? (
                      <>
                        {" "}
                        <span className="badge badge-reenroll" title={c.initial_needed}>
                          New initial needed
                        </span>
                      </>
                    ) : c.consent_needed ? (
                      <>
                        {" "}
                        <span className="badge badge-reenroll" title={c.consent_needed}>
                          Consent needed
                        </span>
                      </>
                    ) : null}
                  </td>
                  <td>{c.frequency_words}</td>
                  <td className="mono">{c.next_due ?? "—"}</td>
                  <td>
                    <span className={`status status-${c.status}`}>{c.status}</span>
                  </td>
                  <td>{c.merchant_name}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

function ContractDetail({ id, merchants, onBack }: { id: number; merchants: MerchantView[]; onBack: () => void }) {
  const [reenrolling, setReenrolling] = useState<{ id: number; name: string } | null>(null);
  const [contract, setContract] = useState<ContractView | null>(null);
  const [notices, setNotices] = useState<Notice[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const [asking, setAsking] = useState<"cancel" | "consent" | "initial" | { refund: number; charged: Money } | { amount: number } | null>(null);

  const load = useCallback(async () => {
    try {
      const view = await api.showContract(id);
      setContract(view);
      const all = await api.listNotices({ merchant_id: view.merchant_id, group: null });
      setNotices(all.filter((n) => n.contract_id === id));
    } catch (e) {
      setError(e);
    }
  }, [id]);

  useEffect(() => {
    void load();
  }, [load]);

  const act = async (what: () => Promise<unknown>, done: string | ((result: unknown) => string)) => {
    setBusy(true);
    setError(null);
    setNote(null);
    try {
      const answer = await what();
      // A contract answer says in its own words what was done and how to undo it.
      const view = answer && typeof answer === "object" && "status" in answer && "done" in answer ? (answer as ContractView) : null;
      const said = typeof done === "string" ? done : done(answer);
      setNote(view ? doneNote(view, said) : said);
      await load();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (!contract) {
    return (
      <section>
        <ErrorNotice error={error} />
        {error ? null : <p className="muted">Loading…</p>}
      </section>
    );
  }
  const can = actionsFor(contract.status);
  const today = new Date().toISOString().slice(0, 10);
  return (
    <section aria-labelledby="view-title" className="contract">
      <button type="button" className="link back" id="back-to-contracts" onClick={onBack}>
        ← Contracts
      </button>
      <div className="view-head">
        <h2 id="view-title">
          Contract {contract.id}: {contract.customer_name}
        </h2>
        <div className="toolbar">
          {can.edit ? (
            <button type="button" id="contract-edit" onClick={() => setEditing(true)} disabled={busy}>
              Change terms
            </button>
          ) : null}
          {can.pause ? (
            <button
              type="button"
              id="contract-pause"
              title={ACTION_HELP.pause}
              disabled={busy}
              onClick={() => act(() => api.pauseContract(id), "Paused: nothing is charged until it is resumed.")}
            >
              Pause
            </button>
          ) : null}
          {can.resume ? (
            <button
              type="button"
              id="contract-resume"
              title={ACTION_HELP.resume}
              disabled={busy}
              onClick={() => act(() => api.resumeContract(id), "Resumed from the next due date.")}
            >
              Resume
            </button>
          ) : null}
          {contract.reenroll && contract.status !== "cancelled" ? (
            <button
              type="button"
              id="contract-reenroll-card"
              title={contract.reenroll}
              disabled={busy}
              onClick={() => setReenrolling({ id: contract.customer_id, name: contract.customer_name })}
            >
              Re-enroll card…
            </button>
          ) : null}
          {can.cancel ? (
            <button type="button" className="danger" id="contract-cancel" disabled={busy} onClick={() => setAsking("cancel")}>
              Cancel contract
            </button>
          ) : null}
        </div>
      </div>
      {reenrolling ? (
        <EnrollDialog
          merchants={merchants.filter((m) => m.id === contract.merchant_id)}
          merchantId={contract.merchant_id}
          customer={reenrolling}
          replacesFor={contract.id}
          onClose={() => setReenrolling(null)}
          onDone={(view) => {
            setReenrolling(null);
            setNote(
              view.mode === "counter"
                ? `Enrollment ${view.id}: the provider's page is open in its window; once confirmed, the new card replaces this contract's.`
                : `Enrollment ${view.id}: link sent to ${view.sent_to ?? "the customer"}; once confirmed, the new card replaces this contract's.`,
            );
          }}
        />
      ) : null}
      {can.pause ? <p className="muted" id="contract-pause-help">Pause: {ACTION_HELP.pause}</p> : null}
      {can.resume ? <p className="muted" id="contract-resume-help">Resume: {ACTION_HELP.resume}</p> : null}
      {note ? (
        <p role="status" className="ok-note" id="contract-note">
          {note}
        </p>
      ) : null}
      {contract.initial_needed && can.edit ? (
        <div className="confirm-bar" id="contract-initial-needed" role="alert">
          <span>{contract.initial_needed}</span>
          <button type="button" id="contract-initial" disabled={busy} onClick={() => setAsking("initial")}>
            New initial payment…
          </button>
        </div>
      ) : null}
      {contract.consent_needed && can.edit ? (
        <div className="confirm-bar" id="contract-consent-needed" role="alert">
          <span>{contract.consent_needed}</span>
          <button type="button" id="contract-consent" disabled={busy} onClick={() => setAsking("consent")}>
            Record consent…
          </button>
        </div>
      ) : null}
      {asking === "consent" ? (
        <ConfirmBar
          id="confirm-consent"
          question={`Record that the cardholder agreed to the new terms (${contract.amount_words})? Charges up to the new amount are then made.`}
          confirmLabel="Record consent"
          reasonLabel="What the cardholder agreed to, as shown to them"
          defaultReason={`I agree to ${contract.amount_words}, ${contract.frequency_words}.`}
          onConfirm={(terms) => {
            setAsking(null);
            void act(() => api.recordContractConsent(id, terms), "Consent recorded.");
          }}
          onCancel={() => setAsking(null)}
        />
      ) : null}
      {asking === "initial" ? (
        <ConfirmBar
          id="confirm-initial"
          question="Make a new initial payment with the cardholder for the new terms? It registers the card for the new amount."
          confirmLabel="Make the initial payment"
          reasonLabel="What the cardholder agreed to, as shown to them"
          defaultReason={`I agree to ${contract.amount_words}, ${contract.frequency_words}.`}
          onConfirm={(terms) => {
            setAsking(null);
            void act(() => api.renewContractInitial(id, null, terms), "New initial payment made.");
          }}
          onCancel={() => setAsking(null)}
        />
      ) : null}
      {asking === "cancel" ? (
        <ConfirmBar
          id="confirm-cancel"
          question="Cancel the whole contract? No charge is made after this, and the cardholder is told."
          confirmLabel="Cancel contract"
          reasonLabel="Reason (kept in the history)"
          defaultReason="cancelled by the cardholder"
          onConfirm={(reason) => {
            setAsking(null);
            void act(() => api.cancelContract(id, reason), "Cancelled; the cardholder is told.");
          }}
          onCancel={() => setAsking(null)}
        />
      ) : null}
      {asking !== null && typeof asking === "object" && "amount" in asking ? (
        <AmountForm
          occurrence={asking.amount}
          bounds={contract.amount_words}
          onSave={(amount) => {
            const number = asking.amount;
            setAsking(null);
            void act(() => api.setOccurrenceAmount(id, number, amount), `Occurrence ${number} will charge ${amount}; its notice will say so.`);
          }}
          onCancel={() => setAsking(null)}
        />
      ) : null}
      {asking !== null && typeof asking === "object" && "refund" in asking ? (
        <ConfirmBar
          id="confirm-refund"
          question={`Refund the ${formatMoney(asking.charged)} charge of occurrence ${asking.refund}? Give an amount to refund part of it; left empty, all that is left of it is refunded.`}
          confirmLabel="Refund"
          reasonLabel={`Amount (${asking.charged.currency}; empty refunds all that is left)`}
          onConfirm={(amount) => {
            const number = asking.refund;
            setAsking(null);
            void act(
              () => api.cancelCharge(id, number, amount.trim() === "" ? null : amount.trim()),
              (r) => {
                const refund = r as RefundResult;
                return `Refund ${refund.attempt_id} of occurrence ${number}: ${formatMoney(refund.amount)} ${refund.status}; ${formatMoney(refund.left)} of ${formatMoney(refund.charge_amount)} left.`;
              },
            );
          }}
          onCancel={() => setAsking(null)}
        />
      ) : null}
      <ErrorNotice error={error} onDismiss={() => setError(null)} />
      {editing ? (
        <ContractEditor
          contract={contract}
          onDone={(view) => {
            setEditing(false);
            setNote(doneNote(view, "The new terms apply from the next charge; the old ones are kept in the history."));
            void load();
          }}
          onCancel={() => setEditing(false)}
        />
      ) : null}
      <dl className="facts" id="contract-facts">
        <dt>Status</dt>
        <dd>
          <span className={`status status-${contract.status}`} id="contract-status">
            {contract.status}
          </span>
        </dd>
        <dt>Card</dt>
        <dd>{contract.card}</dd>
        <dt>Amount</dt>
        <dd>{contract.amount_words}</dd>
        <dt>Original amount</dt>
        <dd>{formatMoney(contract.original_amount)}</dd>
        <dt>How often</dt>
        <dd>{contract.frequency_words}</dd>
        <dt>Valid</dt>
        <dd>
          from {contract.start} {contract.end ? `until ${contract.end}` : "until cancelled"}
        </dd>
        <dt>Next charge</dt>
        <dd className="mono">{contract.next_due ?? "—"}</dd>
        {contract.reenroll ? (
          <>
            <dt>
              <span className="badge badge-reenroll">Re-enroll</span>
            </dt>
            <dd id="contract-reenroll">{contract.reenroll}</dd>
          </>
        ) : null}
        <dt>Consented up to</dt>
        <dd id="contract-consented">{formatMoney(contract.consented_max)}</dd>
        <dt>Terms accepted</dt>
        <dd>{formatInstant(contract.terms_accepted_at)}</dd>
        <dt>Confirmation sent</dt>
        <dd>{contract.confirmation_sent_at ? formatInstant(contract.confirmation_sent_at) : "not yet"}</dd>
        <dt>Location</dt>
        <dd>{contract.merchant_name}</dd>
      </dl>
      <h3>Schedule</h3>
      <div className="plain-table-wrap">
        <table className="plain-table" id="occurrence-table">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Due</th>
              <th scope="col">Amount</th>
              <th scope="col">Notice sent</th>
              <th scope="col">State</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(contract.occurrences ?? []).map((o) => (
              <tr key={o.number} data-occurrence={o.number} data-state={o.state}>
                <td>{o.number}</td>
                <td className="mono">{o.due}</td>
                <td>
                  {formatMoney(o.amount)}
                  {o.amount_set ? <span className="muted"> (set by you)</span> : null}
                </td>
                <td>{o.notice_sent_at ? formatInstant(o.notice_sent_at) : "—"}</td>
                <td>{o.state}</td>
                <td className="actions">
                  {o.state === "scheduled" && !o.notice_sent_at && contract.amount.kind === "variable" && can.cancel ? (
                    <button type="button" disabled={busy} onClick={() => setAsking({ amount: o.number })}>
                      Set amount…
                    </button>
                  ) : null}
                  {o.state === "scheduled" && can.cancel ? (
                    <button
                      type="button"
                      id={`occurrence-skip-${o.number}`}
                      title={ACTION_HELP.skip}
                      disabled={busy}
                      onClick={() => act(() => api.cancelOccurrence(id, o.number), `Occurrence ${o.number} will not be charged.`)}
                    >
                      Skip this charge
                    </button>
                  ) : null}
                  {can.cancel && canUnskip(o, today) ? (
                    <button
                      type="button"
                      id={`occurrence-unskip-${o.number}`}
                      title={ACTION_HELP.unskip}
                      disabled={busy}
                      onClick={() => act(() => api.restoreOccurrence(id, o.number), `Occurrence ${o.number} is scheduled again.`)}
                    >
                      Undo skip
                    </button>
                  ) : null}
                  {o.state === "charged" ? (
                    <button type="button" disabled={busy} onClick={() => setAsking({ refund: o.number, charged: o.amount })}>
                      Refund
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>Notices to the cardholder</h3>
      {notices.length === 0 ? <p className="muted">None yet.</p> : null}
      {notices.length > 0 ? (
        <div className="plain-table-wrap">
          <table className="plain-table" id="notice-table">
            <thead>
              <tr>
                <th scope="col">Sent</th>
                <th scope="col">Kind</th>
                <th scope="col">For</th>
                <th scope="col">To</th>
                <th scope="col">Where</th>
              </tr>
            </thead>
            <tbody>
              {notices.map((n) => (
                <tr key={n.id} data-kind={n.kind}>
                  <td>{formatInstant(n.sent_at)}</td>
                  <td>{noticeKindWords(n.kind)}</td>
                  <td>{n.occurrence ? `#${n.occurrence} ${n.due ?? ""} ${formatMoney(n.amount)}` : formatMoney(n.amount)}</td>
                  <td>{n.recipient}</td>
                  <td className="mono">{n.channel === "outbox" ? n.location : `SMTP ${n.location}`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {(contract.history ?? []).length > 0 ? (
        <>
          <h3>History</h3>
          <ul className="history">
            {(contract.history ?? []).map((h) => (
              <li key={h.changed_at}>
                {formatInstant(h.changed_at)}: {h.reason} (before: {h.before.status},{" "}
                {h.before.amount.kind === "fixed" ? formatMoney(h.before.amount.amount) : `up to ${formatMoney(h.before.amount.max)}`})
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

/** The amount of one occurrence of a varying contract, before its notice goes out. */
export function AmountForm({
  occurrence,
  bounds,
  onSave,
  onCancel,
}: {
  occurrence: number;
  /** The contract's amount clause, when at hand. */
  bounds?: string;
  onSave: (amount: string) => void;
  onCancel: () => void;
}) {
  const [amount, setAmount] = useState("");
  return (
    <form
      className="confirm-bar"
      id="occurrence-amount-form"
      aria-label={`Amount of occurrence ${occurrence}`}
      onSubmit={(e) => {
        e.preventDefault();
        if (amount.trim()) onSave(amount.trim());
      }}
    >
      <strong>What occurrence {occurrence} charges</strong>
      <span className="muted">
        {bounds ? `The contract allows ${bounds}.` : "Within the contract's agreed range."} The cardholder's notice will give this amount.
      </span>
      <label className="field">
        <span>Amount</span>
        <input id="occurrence-amount" inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} autoFocus />
      </label>
      <div className="toolbar">
        <button type="submit" className="primary" id="occurrence-amount-save">
          Set amount
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
