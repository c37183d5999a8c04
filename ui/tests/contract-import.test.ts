import { describe, expect, it } from "vitest";
import type { ContractImportSummary } from "../src/ipc/bindings";
import {
  IMPORT_COLUMNS,
  REQUIRED_COLUMNS,
  importRequest,
  importedSentence,
  isImportProblem,
  rowProblems,
} from "../src/views/contracts/importing";

describe("the contract import dialog", () => {
  it("asks for a merchant and a CSV path before it sends anything", () => {
    const noMerchant = importRequest({ merchantId: "", path: "/tmp/c.csv" });
    expect(isImportProblem(noMerchant) && noMerchant.field).toBe("merchant");
    const noPath = importRequest({ merchantId: "3", path: "  " });
    expect(isImportProblem(noPath) && noPath.field).toBe("path");
    const notCsv = importRequest({ merchantId: "3", path: "/tmp/contracts.xlsx" });
    expect(isImportProblem(notCsv) && notCsv.message).toContain("CSV UTF-8");
    const good = importRequest({ merchantId: "3", path: " /home/me/contracts.csv " });
    expect(isImportProblem(good)).toBe(false);
    expect(good).toEqual({ merchantId: 3, path: "/home/me/contracts.csv" });
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
    expect(rowProblems("file /tmp/x.csv: No such file or directory")).toEqual([
      { line: 0, field: "file", rule: "file /tmp/x.csv: No such file or directory" },
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
