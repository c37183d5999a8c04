import { describe, expect, it } from "vitest";
import type { ErasureReport } from "../src/ipc/bindings";
import { customerTitle, erasedWords, erasureNote, erasureQuestion } from "../src/views/customer/erase";
import { formatDay } from "../src/format/time";

describe("erasing a customer", () => {
  it("names what is gone and what is kept before anything happens", () => {
    const q = erasureQuestion("Anna Virtanen", 2, 1, 0);
    expect(q.question).toBe("Erase Anna Virtanen? This cannot be undone.");
    expect(q.gone.join(" ")).toContain("Name, e-mail, phone and address");
    expect(q.gone.join(" ")).toContain("2 saved cards: deleted at the provider where the provider offers that");
    expect(q.gone.join(" ")).toContain("1 running contract ended, without a notice");
    expect(q.kept.join(" ")).toContain("amounts, dates, order ids and provider references");
    expect(q.kept.join(" ")).toContain("last four digits");
    expect(q.blocked).toBeNull();
  });

  it("is blocked while a charge has no known outcome", () => {
    const q = erasureQuestion("", 1, 0, 1);
    expect(q.question).toBe("Erase this customer? This cannot be undone.");
    expect(q.blocked).toBe("1 charge of this customer has no known outcome yet: reconcile first, then erase.");
  });

  it("reports per card what its provider did", () => {
    const report: ErasureReport = {
      customer_id: 7,
      cards: [
        { card_id: 1, last4: "4242", at_provider: "deleted" },
        { card_id: 2, last4: "1111", at_provider: "not_offered" },
      ],
      contracts_ended: 1,
      outbox_files_deleted: 2,
      ledger_rows_pseudonymised: 0,
      notices_blanked: 2,
      audit_events_blanked: 1,
      kept: "Kept: …",
      still_held: [],
    };
    expect(erasureNote(report)).toBe(
      "Customer 7 erased. Card …4242 deleted at the provider. Card …1111 kept by the provider (it offers no deletion); Coffer no longer uses it. 1 contract ended, 2 outbox notices deleted, 0 ledger rows pseudonymised.",
    );
  });

  it("names the copies that still hold the customer's details", () => {
    const report: ErasureReport = {
      customer_id: 7,
      cards: [],
      contracts_ended: 0,
      outbox_files_deleted: 0,
      ledger_rows_pseudonymised: 0,
      notices_blanked: 0,
      audit_events_blanked: 0,
      kept: "Kept: …",
      still_held: ["/data/coffer.db.before-v26-1: a copy of the database kept before an upgrade"],
    };
    expect(erasureNote(report)).toBe(
      "Customer 7 erased. 0 contracts ended, 0 outbox notices deleted, 0 ledger rows pseudonymised. Still holding the customer's details: /data/coffer.db.before-v26-1: a copy of the database kept before an upgrade.",
    );
  });

  it("says a customer was erased, and when, instead of a blank name", () => {
    const at = "2026-12-06T03:45:00Z";
    expect(erasedWords(at)).toBe(`Erased on ${formatDay(at)}`);
    expect(formatDay(at)).toContain("2026");
    expect(erasedWords(null)).toBeNull();
    expect(erasedWords(undefined)).toBeNull();
    expect(customerTitle("", at)).toBe("Erased customer");
    expect(customerTitle("Anna Virtanen", null)).toBe("Anna Virtanen");
    expect(customerTitle(" ", null)).toBe("(no name)");
  });
});
