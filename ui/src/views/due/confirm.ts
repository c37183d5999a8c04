// The question before a due run, built from the engine's rehearsal of that run (its dry run),
// so the numbers are the ones the run would make: how many charges, the total per currency
// (never summed across currencies), on which merchants, naming the live ones. Pure, tested in
// tests/due.test.ts.
import type { ApprovedCharge, DueSummary } from "../../ipc/bindings";
import { formatMoney } from "../../format/money";
import { kindWords } from "../../state/environment";

export interface RunQuestion {
  /** "Charge 3 due charges now?" or, with none due, "Send 2 notices now?". */
  question: string;
  /** One line per currency. */
  totals: string[];
  /** One line per merchant with charges. */
  merchants: { id: number; kind: "sandbox" | "test" | "live"; line: string }[];
  /** The live merchants' names; empty when no real money moves. */
  live: string[];
  /** The confirm button. */
  confirmLabel: string;
  /** Nothing to charge and nothing to send. */
  nothing: boolean;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The charges the owner approves by saying yes: exactly the rehearsal's. */
export function approvedOf(rehearsal: DueSummary): ApprovedCharge[] {
  return rehearsal.would_charge.map((i) => ({ contract_id: i.contract_id, occurrence: i.occurrence, amount: i.amount }));
}

export function runQuestion(rehearsal: DueSummary): RunQuestion {
  const money = rehearsal.money;
  const notices = rehearsal.notices.filter((n) => n.status === "would_send").length;
  const totals = money.totals.map((t) => formatMoney(t));
  const merchants = money.merchants.map((m) => ({
    id: m.merchant_id,
    kind: m.environment_kind,
    line: `${m.name} — ${kindWords(m.environment_kind)}: ${plural(m.charges, "charge")}, ${m.totals.map((t) => formatMoney(t)).join(" and ")}`,
  }));
  const noticeWords = notices > 0 ? ` and send ${plural(notices, "notice")}` : "";
  if (money.charges === 0) {
    return {
      question: notices > 0 ? `No charge is due now. Send ${plural(notices, "notice")}?` : "Nothing is due now: no charge and no notice.",
      totals: [],
      merchants: [],
      live: [],
      confirmLabel: notices > 0 ? `Send ${plural(notices, "notice")}` : "Nothing to run",
      nothing: notices === 0,
    };
  }
  return {
    question: `Make ${plural(money.charges, "charge")}${noticeWords} now? In all: ${totals.join(" and ")}.`,
    totals,
    merchants,
    live: money.live,
    confirmLabel: money.live.length > 0 ? `Charge ${plural(money.charges, "charge")} (real money)` : `Charge ${plural(money.charges, "charge")}`,
    nothing: false,
  };
}
