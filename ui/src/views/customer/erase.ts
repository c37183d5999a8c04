// What the owner is told before and after erasing a customer (a data-protection request): what
// goes, what stays, and per card what its provider did. Pure, tested in tests/erase.test.ts.
import type { ErasureReport } from "../../ipc/bindings";
import { formatDay } from "../../format/time";

/**
 * What an erased customer's page says where its name was ("Erased on 6 Dec 2026"), so a blank
 * name is explained; null for a customer that was not erased.
 */
export function erasedWords(erasedAt: string | null | undefined): string | null {
  return erasedAt ? `Erased on ${formatDay(erasedAt)}` : null;
}

/** The customer's name as a title: an erased customer's is gone, and the title says so. */
export function customerTitle(name: string, erasedAt: string | null | undefined): string {
  if (erasedAt) return "Erased customer";
  return name.trim() === "" ? "(no name)" : name;
}

export interface ErasureQuestion {
  /** "Erase Anna Virtanen?" */
  question: string;
  /** What is gone, one line each. */
  gone: string[];
  /** What is kept, one line each. */
  kept: string[];
  /** Why it cannot go ahead now (an unsettled charge), or null. */
  blocked: string | null;
  /** The confirm button. */
  confirmLabel: string;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * The confirmation before erasing. `cards` and `contracts` count the customer's; `unsettled`
 * its charges whose outcome is not known yet (the engine refuses the erasure while any is).
 */
export function erasureQuestion(name: string, cards: number, openContracts: number, unsettled: number): ErasureQuestion {
  const who = name.trim() === "" ? "this customer" : name;
  return {
    question: `Erase ${who}? This cannot be undone.`,
    gone: [
      "Name, e-mail, phone and address — in the customer list, search, notices, the ledger's kept requests and the audit log's personal details.",
      "The notices written to the outbox for this customer.",
      cards === 0
        ? "No card on file."
        : `${plural(cards, "saved card")}: deleted at the provider where the provider offers that; otherwise the provider keeps ${cards === 1 ? "it" : "them"} and Coffer no longer charges ${cards === 1 ? "it" : "them"}.`,
      openContracts === 0
        ? "No running contract."
        : `${plural(openContracts, "running contract")} ended, without a notice (the customer asked to be forgotten).`,
    ],
    kept: [
      "Every charge and refund: amounts, dates, order ids and provider references (bookkeeping).",
      "The cards' brand, last four digits and expiry.",
      "The audit log, whose chain still verifies.",
    ],
    blocked:
      unsettled === 0
        ? null
        : `${plural(unsettled, "charge")} of this customer ${unsettled === 1 ? "has" : "have"} no known outcome yet: reconcile first, then erase.`,
    confirmLabel: "Erase customer",
  };
}

const AT_PROVIDER: Record<ErasureReport["cards"][number]["at_provider"], string> = {
  deleted: "deleted at the provider",
  already_gone: "already gone at the provider",
  not_offered: "kept by the provider (it offers no deletion); Coffer no longer uses it",
};

/** The note after erasing. */
export function erasureNote(report: ErasureReport): string {
  const cards = report.cards.map((c) => `card …${c.last4} ${AT_PROVIDER[c.at_provider]}`);
  return [
    `Customer ${report.customer_id} erased.`,
    ...cards.map((c) => `${c[0].toUpperCase()}${c.slice(1)}.`),
    `${plural(report.contracts_ended, "contract")} ended, ${plural(report.outbox_files_deleted, "outbox notice")} deleted, ${plural(report.ledger_rows_pseudonymised, "ledger row")} pseudonymised.`,
    ...report.still_held.map((place) => `Still holding the customer's details: ${place}.`),
  ].join(" ");
}
