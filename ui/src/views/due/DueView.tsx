// The due list: what the contracts will charge in the coming days (and what is overdue), where
// each pre-charge notice stands, and "Run due charges": notices first, then every due charge the
// rules allow, with a progress bar and a summary of what happened to each.
import { useCallback, useEffect, useState } from "react";
import type { ApprovedCharge, DueItem, DueSummary, MerchantView, ProgressEvent, UpcomingCharge } from "../../ipc/bindings";
import { api } from "../../ipc/client";
import { formatMoney } from "../../format/money";
import { merchantsIn, scopeFilter, type Scope } from "../../state/scope";
import { splitByKind } from "../../state/environment";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ProgressBar } from "../../components/ProgressBar";
import { ruleLabel } from "../charge/verdict";
import { summaryCounts } from "./summary";
import { approvedOf, runQuestion } from "./confirm";
import { AmountForm } from "../contracts/ContractsView";

const HORIZONS = [7, 14, 30];

const NOTICE_WORDS: Record<UpcomingCharge["notice"], string> = {
  sent: "sent",
  pending: "to send",
  late: "late: the charge will be refused",
};

export function DueView({ scope, merchants = [], onOpenContract }: { scope: Scope; merchants?: MerchantView[]; onOpenContract: (id: number) => void }) {
  const [days, setDays] = useState(7);
  const [list, setList] = useState<UpcomingCharge[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [running, setRunning] = useState<ProgressEvent | null | "idle">("idle");
  const [summary, setSummary] = useState<DueSummary | null>(null);
  const [setting, setSetting] = useState<UpcomingCharge | null>(null);
  const [note, setNote] = useState<string | null>(null);
  // The rehearsal of the run the owner asked for, waiting for the answer to its question.
  const [asking, setAsking] = useState<DueSummary | null>(null);
  const [rehearsing, setRehearsing] = useState(false);

  const load = useCallback(async () => {
    setError(null);
    try {
      setList(await api.upcomingCharges(scopeFilter(scope), days));
    } catch (e) {
      setError(e);
    }
  }, [scope, days]);

  useEffect(() => {
    void load();
  }, [load]);

  const run = async (dryRun: boolean, approved: ApprovedCharge[] | null = null) => {
    setError(null);
    setSummary(null);
    setAsking(null);
    setRunning(null);
    try {
      setSummary(await api.runDue(scopeFilter(scope), dryRun, (e) => setRunning(e), approved));
      await load();
    } catch (e) {
      setError(e);
    } finally {
      setRunning("idle");
    }
  };

  // "Run due charges" asks first: the engine rehearses the run (nothing sent or written) and
  // the question shows that plan's charges and totals.
  const ask = async () => {
    setError(null);
    setSummary(null);
    setAsking(null);
    setRunning(null);
    setRehearsing(true);
    try {
      setAsking(await api.runDue(scopeFilter(scope), true, (e) => setRunning(e)));
    } catch (e) {
      setError(e);
    } finally {
      setRunning("idle");
      setRehearsing(false);
    }
  };

  const toNotify = list?.filter((c) => c.notice === "pending").length ?? 0;
  const late = list?.filter((c) => c.notice === "late").length ?? 0;
  return (
    <section aria-labelledby="view-title">
      <div className="view-head">
        <h2 id="view-title">Due list</h2>
        <div className="toolbar">
          <label className="toolbar">
            <span className="muted">Next</span>
            <select id="due-days" value={days} onChange={(e) => setDays(Number(e.target.value))}>
              {HORIZONS.map((d) => (
                <option key={d} value={d}>
                  {d} days
                </option>
              ))}
            </select>
          </label>
          <button type="button" id="due-preview" onClick={() => run(true)} disabled={running !== "idle"}>
            Preview run
          </button>
          <button type="button" className="primary" id="run-due" onClick={() => void ask()} disabled={running !== "idle" || asking !== null}>
            Run due charges
          </button>
        </div>
      </div>
      <p className="muted" id="due-counts">
        {list === null
          ? "Loading…"
          : `${list.length} open charge${list.length === 1 ? "" : "s"}; ${toNotify} notice${toNotify === 1 ? "" : "s"} to send${late ? `, ${late} late` : ""}.`}
      </p>
      <ErrorNotice error={error} onDismiss={() => setError(null)} />
      {note ? (
        <p role="status" className="ok-note" id="due-note">
          {note}
        </p>
      ) : null}
      {setting ? (
        <AmountForm
          occurrence={setting.occurrence}
          onSave={async (amount) => {
            const c = setting;
            setSetting(null);
            try {
              await api.setOccurrenceAmount(c.contract_id, c.occurrence, amount);
              setNote(`Contract ${c.contract_id} #${c.occurrence} will charge ${amount}; its notice will say so.`);
              await load();
            } catch (e) {
              setError(e);
            }
          }}
          onCancel={() => setSetting(null)}
        />
      ) : null}
      {running !== "idle" ? (
        <ProgressBar
          event={running}
          label={rehearsing ? "Working out what the run would do (nothing is sent)" : "Running due charges: notices first, then the charges"}
        />
      ) : null}
      {asking ? (
        <RunQuestionPanel
          rehearsal={asking}
          liveInView={splitByKind(merchantsIn(scope, merchants)).live.map((m) => m.name)}
          onYes={() => void run(false, approvedOf(asking))}
          onNo={() => setAsking(null)}
        />
      ) : null}
      {summary ? <RunSummary summary={summary} /> : null}
      {list && list.length === 0 ? <p className="empty">Nothing is due in the next {days} days.</p> : null}
      {list && list.length > 0 ? (
        <div className="plain-table-wrap">
          <table className="plain-table" id="due-table">
            <thead>
              <tr>
                <th scope="col">Due</th>
                <th scope="col">Cardholder</th>
                <th scope="col">Card</th>
                <th scope="col">Amount</th>
                <th scope="col">Notice</th>
                <th scope="col">Contract</th>
                <th scope="col">Location</th>
              </tr>
            </thead>
            <tbody>
              {list.map((c) => (
                <tr key={`${c.contract_id}-${c.occurrence}`} data-contract={c.contract_id} data-notice={c.notice} className={c.overdue ? "overdue" : undefined}>
                  <td className="mono">
                    {c.due}
                    {c.overdue ? <span className="badge badge-expired">overdue</span> : null}
                    {c.outcome_unknown ? (
                      <span className="badge badge-expiring" title="A try was sent and no answer proved what happened: reconcile it or resolve it by hand from the card or the Dashboard; it is not tried again until then.">
                        outcome unknown
                      </span>
                    ) : null}
                    {c.held ? (
                      <span className="badge badge-expiring" data-testid="held-badge" title={c.held.reason}>
                        {c.held.new_initial ? "waits for a new initial payment" : "waits for new consent"}
                      </span>
                    ) : null}
                    {c.state === "declined" ? (
                      <span className="badge badge-expiring" data-testid="retry-badge" title="Declined; the due run tries it again from this day">
                        {c.retry_from ? `retry from ${c.retry_from}` : "retry"}
                      </span>
                    ) : null}
                  </td>
                  <td>{c.customer_name}</td>
                  <td>{c.card}</td>
                  <td>
                    {formatMoney(c.amount)}
                    {c.variable && c.notice !== "sent" && !c.overdue ? (
                      <button type="button" className="link" onClick={() => setSetting(c)} aria-label={`Set the amount of contract ${c.contract_id} occurrence ${c.occurrence}`}>
                        {c.amount_set ? " change" : " set"}
                      </button>
                    ) : null}
                  </td>
                  <td className={`notice-${c.notice}`}>
                    {NOTICE_WORDS[c.notice]}
                    {c.notice === "pending" ? <span className="muted"> by {c.notice_by}</span> : null}
                  </td>
                  <td>
                    <button type="button" className="link" onClick={() => onOpenContract(c.contract_id)}>
                      {c.contract_id} #{c.occurrence}
                    </button>
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

function RunQuestionPanel({ rehearsal, liveInView, onYes, onNo }: { rehearsal: DueSummary; liveInView: string[]; onYes: () => void; onNo: () => void }) {
  const q = runQuestion(rehearsal);
  const idleLive = liveInView.filter((name) => !q.live.includes(name));
  return (
    <section className="confirm-bar run-question" id="run-confirm" role="alertdialog" aria-labelledby="run-confirm-question" data-live={q.live.length > 0}>
      <strong id="run-confirm-question">{q.question}</strong>
      {q.totals.length > 0 ? (
        <ul id="run-confirm-totals" aria-label="Totals per currency">
          {q.totals.map((t) => (
            <li key={t}>{t}</li>
          ))}
        </ul>
      ) : null}
      {q.merchants.length > 0 ? (
        <ul id="run-confirm-merchants" aria-label="Charges per merchant">
          {q.merchants.map((m) => (
            <li key={m.id} data-kind={m.kind}>
              {m.line}
            </li>
          ))}
        </ul>
      ) : null}
      {q.live.length > 0 ? (
        <p className="environment-banner environment-live" id="run-confirm-live">
          <strong>Live merchants, real money:</strong> {q.live.join(", ")}
        </p>
      ) : null}
      {idleLive.length > 0 ? (
        <p id="run-confirm-live-idle">
          Live merchants in this view with nothing to charge now: {idleLive.join(", ")}.
        </p>
      ) : null}
      <div className="toolbar">
        {/* Focus starts on Cancel: Enter alone never starts the run. */}
        <button type="button" id="run-confirm-no" onClick={onNo} autoFocus>
          Cancel
        </button>
        <button type="button" className="primary" id="run-confirm-yes" onClick={onYes} disabled={q.nothing}>
          {q.confirmLabel}
        </button>
      </div>
    </section>
  );
}

function RunSummary({ summary }: { summary: DueSummary }) {
  const counts = summaryCounts(summary);
  const items = (title: string, list: DueItem[], id: string) =>
    list.length === 0 ? null : (
      <div id={id}>
        <h4>{title}</h4>
        <ul>
          {list.map((i) => (
            <li key={`${i.contract_id}-${i.occurrence}-${i.status}`}>
              Contract {i.contract_id} #{i.occurrence} ({i.due}, {formatMoney(i.amount)}){i.message ? `: ${i.message}` : ""}
              {i.violations.length > 0 ? (
                <ul>
                  {i.violations.map((v) => (
                    <li key={v.rule}>
                      {ruleLabel(v.rule)}: {v.message}
                    </li>
                  ))}
                </ul>
              ) : null}
            </li>
          ))}
        </ul>
      </div>
    );
  return (
    <section className="run-summary" id="due-summary" aria-labelledby="due-summary-title" role="status">
      <h3 id="due-summary-title">{summary.dry_run ? "What a run would do now (nothing sent)" : "The run is done"}</h3>
      <p id="due-summary-counts">{counts.words}</p>
      {items(summary.dry_run ? "Would charge" : "Charged", summary.dry_run ? summary.would_charge : summary.charged, "due-charged")}
      {items("Declined by the issuer", summary.declined, "due-declined")}
      {items("Refused by a rule (nothing sent)", summary.refused, "due-refused")}
      {items("Failed or outcome unknown (reconcile settles these)", summary.failed, "due-failed")}
      {items("Skipped", summary.skipped, "due-skipped")}
    </section>
  );
}
