import { describe, expect, it } from "vitest";
import type { CardImportReport, MerchantView } from "../src/ipc/bindings";
import { OPTIONAL_COLUMNS, REQUIRED_COLUMNS, importTarget, problemLines, reportWords } from "../src/views/customers/cardImport";

const merchant = { id: 7, name: "Clover Dublin" } as MerchantView;

describe("card import", () => {
  it("goes to the one location chosen, never to a group or all of them", () => {
    expect(importTarget({ kind: "merchant", id: 7 }, [merchant])).toBe(merchant);
    expect(importTarget({ kind: "all" }, [merchant])).toBeNull();
    expect(importTarget({ kind: "group", group: "Ireland" }, [merchant])).toBeNull();
  });
  it("names the five required columns and each provider's optional ones", () => {
    expect(REQUIRED_COLUMNS.join(",")).toBe("customer_reference,card_token,initial_ref,consent_at,terms");
    expect(OPTIONAL_COLUMNS.filter((c) => c.for === "Svea").map((c) => c.name)).toContain("original_amount");
    expect(OPTIONAL_COLUMNS.filter((c) => c.for === "Assist").map((c) => c.name)).toContain("initial_date");
  });
  it("lists every problem by line and column and says nothing was imported", () => {
    const report: CardImportReport = {
      merchant_id: 7,
      imported: [],
      problems: [
        { line: 4, field: "initial_ref", rule: "Clover has no transaction '999'" },
        { line: 3, field: "card_token", rule: "Clover keeps no card 'x' for customer 'C1'" },
      ],
    };
    expect(problemLines(report)).toEqual([
      "Line 3, card_token: Clover keeps no card 'x' for customer 'C1'",
      "Line 4, initial_ref: Clover has no transaction '999'",
    ]);
    expect(reportWords(report, merchant.name)).toMatch(/^Nothing was imported: 2 problems/);
  });
  it("says how many cards became MIT-ready and when something was taken as given", () => {
    const report: CardImportReport = {
      merchant_id: 7,
      problems: [],
      imported: [
        { line: 2, card_id: 1, customer_reference: "C1", card_token: "t1", initial_ref: "r1", taken_as_given: [] },
        { line: 3, card_id: 2, customer_reference: "C2", card_token: "t2", initial_ref: "r2", taken_as_given: ["the card: no lookup"] },
      ],
    };
    const words = reportWords(report, merchant.name);
    expect(words).toContain("2 cards imported into Clover Dublin");
    expect(words).toContain("For 1 of them");
  });
});
