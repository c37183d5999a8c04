import { describe, expect, it } from "vitest";
import type { ContractImportSummary } from "../src/ipc/bindings";
import {
  IMPORT_COLUMNS,
  MAX_FILE_BYTES,
  REQUIRED_COLUMNS,
  importRequest,
  importedSentence,
  isImportProblem,
  rowProblems,
} from "../src/views/contracts/importing";

describe("the contract import dialog", () => {
  it("asks for a merchant and a chosen CSV file before it reads and sends anything", () => {
    const file = (name: string, size = 120) => ({ name, size });
    const noMerchant = importRequest({ merchantId: "", file: file("c.csv") });
    expect(isImportProblem(noMerchant) && noMerchant.field).toBe("merchant");
    const noFile = importRequest({ merchantId: "3", file: null });
    expect(isImportProblem(noFile) && noFile.field).toBe("file");
    expect(isImportProblem(noFile) && noFile.message).toContain("Choose the CSV file");
    const notCsv = importRequest({ merchantId: "3", file: file("contracts.xlsx") });
    expect(isImportProblem(notCsv) && notCsv.message).toContain("CSV UTF-8");
    // The engine's bound, refused before the window reads the file into memory.
    const tooLarge = importRequest({ merchantId: "3", file: file("contracts.csv", MAX_FILE_BYTES + 1) });
    expect(isImportProblem(tooLarge) && tooLarge.message).toContain("larger than 32 MiB");
    const chosen = file("contracts.csv", MAX_FILE_BYTES);
    const good = importRequest({ merchantId: "3", file: chosen });
    expect(isImportProblem(good)).toBe(false);
    expect(good).toEqual({ merchantId: 3, file: chosen });
  });

  it("lists every refused row with its line, column and rule, in the engine's order", () => {
    const message =
      "line 3, last_result: the old system saw this card hard-declined; it must never be charged again; " +
      "line 4, amount: 'abc' is not an amount; line 4, next_due: '2027-13-01' is not a date (YYYY-MM-DD); " +
      "line 7, next_due: 2026-12-01 is less than one period (28 days) after the old system's last charge";
    const rows = rowProblems(message);
    expect(rows.map((r) => [r.line, r.field])).toEqual([
      [3, "last_result"],
      [4, "amount"],
      [4, "next_due"],
      [7, "next_due"],
    ]);
    expect(rows[0].rule).toContain("; it must never be charged again");
  });

  it("keeps a refusal of the file itself as one problem", () => {
    expect(rowProblems("line 1: the header must name a next_due column")).toEqual([
      { line: 1, field: "row", rule: "the header must name a next_due column" },
    ]);
    expect(rowProblems("file old.csv: is larger than 32 MiB; split it into several files")).toEqual([
      { line: 0, field: "file", rule: "file old.csv: is larger than 32 MiB; split it into several files" },
    ]);
    expect(rowProblems("line 4: is not UTF-8 text; save the file as \"CSV UTF-8\"")).toEqual([
      { line: 4, field: "row", rule: 'is not UTF-8 text; save the file as "CSV UTF-8"' },
    ]);
  });

  it("says how many contracts came in and when the first charge is", () => {
    const summary: ContractImportSummary = {
      merchant_id: 2,
      contracts: [
        { line: 2, contract_id: 10, card_id: 5, next_due: "2027-01-15" },
        { line: 3, contract_id: 11, card_id: 6, next_due: "2027-01-03" },
      ],
    };
    const sentence = importedSentence(summary, "Svea Demo Helsinki");
    expect(sentence).toContain("Imported 2 contracts into Svea Demo Helsinki");
    expect(sentence).toContain("due 2027-01-03");
  });

  it("names the required columns among all columns", () => {
    for (const c of REQUIRED_COLUMNS) expect(IMPORT_COLUMNS).toContain(c);
  });
});
