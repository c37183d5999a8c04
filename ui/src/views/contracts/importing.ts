// The logic of the contract import dialog, kept pure for Vitest: what the form must hold before
// the chosen file is read and sent, the engine's refusal split into one problem a row (line, field, rule), and the
// sentence that says what was imported. The columns themselves are the engine's (README,
// "Importing contracts").
import type { ContractImportSummary } from "../../ipc/bindings";

/** The columns of a contract file, as the README lists them. */
export const IMPORT_COLUMNS = [
  "card",
  "amount",
  "max_amount",
  "min_amount",
  "original_amount",
  "frequency",
  "day",
  "end",
  "consent_at",
  "terms",
  "last_charged_on",
  "last_amount",
  "last_result",
  "retries",
  "last_declined_on",
  "next_due",
] as const;

/** The columns every file must have. */
export const REQUIRED_COLUMNS = ["card", "frequency", "last_charged_on", "next_due"] as const;

/** The largest file sent, as the engine bounds it (import_file.rs, MAX_FILE_BYTES): a bigger one
 * is refused here, before the window reads it into memory. */
export const MAX_FILE_BYTES = 32 * 1024 * 1024;

/** The file the owner chose: what the form needs of a `File`. */
export type ChosenFile = { name: string; size: number };

export type ImportForm<F extends ChosenFile = ChosenFile> = { merchantId: string; file: F | null };

export type ImportProblem = { field: "merchant" | "file"; message: string };

/** What the dialog reads and sends, or what is missing from the form. */
export function importRequest<F extends ChosenFile>(form: ImportForm<F>): { merchantId: number; file: F } | ImportProblem {
  const merchantId = Number(form.merchantId);
  if (!form.merchantId || !Number.isInteger(merchantId) || merchantId <= 0)
    return { field: "merchant", message: "Choose the merchant whose cards the contracts are on." };
  const file = form.file;
  if (!file) return { field: "file", message: "Choose the CSV file with the contracts." };
  if (!/\.(csv|txt)$/i.test(file.name)) return { field: "file", message: "The file must be a .csv (or .txt) file saved as CSV UTF-8." };
  if (file.size > MAX_FILE_BYTES)
    return { field: "file", message: `The file is larger than ${MAX_FILE_BYTES / (1024 * 1024)} MiB; split it into several files.` };
  return { merchantId, file };
}

export function isImportProblem<F extends ChosenFile>(r: ReturnType<typeof importRequest<F>>): r is ImportProblem {
  return "field" in r && "message" in r && !("merchantId" in r);
}

/** One refused row's problem: its CSV line (0 for the file itself), the column and the rule. */
export type RowProblem = { line: number; field: string; rule: string };

/**
 * Splits the engine's refusal ("line 3, last_result: …; line 4, amount: …") into one problem
 * each, in the engine's order. A message without line numbers is one problem of the file.
 */
export function rowProblems(message: string): RowProblem[] {
  return message
    .split(/;\s+(?=line \d+)/)
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part) => {
      const m = /^line (\d+)(?:, ([a-z_.]+))?: ([\s\S]*)$/.exec(part);
      if (!m) return { line: 0, field: "file", rule: part };
      return { line: Number(m[1]), field: m[2] ?? "row", rule: m[3] };
    });
}

/** What the import did, in one sentence. */
export function importedSentence(summary: ContractImportSummary, merchantName: string): string {
  const n = summary.contracts.length;
  const contracts = n === 1 ? "1 contract" : `${n} contracts`;
  const first = summary.contracts.map((c) => c.next_due).sort()[0];
  return first
    ? `Imported ${contracts} into ${merchantName}. The first charge Coffer makes is due ${first}; the due run sends each cardholder a confirmation and the pre-charge notice first.`
    : `Imported ${contracts} into ${merchantName}.`;
}
