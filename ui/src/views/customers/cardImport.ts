// The card import dialog's logic, apart from React so Vitest can check it: which location the
// file goes to, the columns the file has, and the words for what the engine reported.
import type { CardImportReport, MerchantView } from "../../ipc/bindings";
import type { Scope } from "../../state/scope";

/** The columns of a card import file: every row needs the first five. */
export const REQUIRED_COLUMNS = ["customer_reference", "card_token", "initial_ref", "consent_at", "terms"] as const;

/** The optional columns, and who needs them (as the README lists them). */
export const OPTIONAL_COLUMNS: { name: string; for: string; meaning: string }[] = [
  { name: "initial_date", for: "Assist", meaning: "the initial order's day (YYYY-MM-DD), where Assist looks it up" },
  { name: "recurring_min", for: "Assist", meaning: "RecurringMinAmount registered on the initial order" },
  { name: "recurring_max", for: "Assist", meaning: "RecurringMaxAmount registered on the initial order" },
  { name: "recurring_period", for: "Assist", meaning: "RecurringPeriod: days between charges" },
  { name: "recurring_max_date", for: "Assist", meaning: "RecurringMaxDate, the last day of the series (YYYY-MM-DD)" },
  { name: "original_amount", for: "Svea", meaning: "the tokenizing payment's amount, e.g. 12.50" },
  { name: "street", for: "Svea", meaning: "the buyer's street address" },
  { name: "postal_code", for: "Svea", meaning: "the buyer's postal code" },
  { name: "city", for: "Svea", meaning: "the buyer's city" },
  { name: "country", for: "Svea", meaning: "the buyer's country (FI when left out)" },
];

/** The location the import goes to: one must be chosen, since tokens belong to one account. */
export function importTarget(scope: Scope, merchants: MerchantView[]): MerchantView | null {
  if (scope.kind !== "merchant") return null;
  return merchants.find((m) => m.id === scope.id) ?? null;
}

/** One line per problem, in the file's order: "Line 3, card_token: …". */
export function problemLines(report: CardImportReport): string[] {
  return [...report.problems].sort((a, b) => a.line - b.line).map((p) => `Line ${p.line}, ${p.field}: ${p.rule}`);
}

/** What the import did, in one sentence. */
export function reportWords(report: CardImportReport, merchant: string): string {
  if (report.problems.length > 0) {
    const n = report.problems.length;
    return `Nothing was imported: ${n} problem${n === 1 ? "" : "s"} in the file. Fix ${n === 1 ? "it" : "them"} and import the whole file again.`;
  }
  const n = report.imported.length;
  const given = report.imported.filter((c) => c.taken_as_given.length > 0).length;
  const note = given > 0 ? ` For ${given} of them the provider could not show everything; what it could not show is taken as the file gives it.` : "";
  return `${n} card${n === 1 ? "" : "s"} imported into ${merchant}: each is ready for merchant-initiated charges.${note}`;
}
