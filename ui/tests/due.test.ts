import { describe, expect, it } from "vitest";
import type { DueItem, DueSummary } from "../src/ipc/bindings";
import { summaryCounts } from "../src/views/due/summary";
import { approvedOf, runQuestion } from "../src/views/due/confirm";

const item: DueItem = {
  merchant_id: 1,
  contract_id: 2,
  occurrence: 1,
  due: "2026-12-05",
  amount: { minor: 500, currency: "EUR" },
  card_id: 3,
  status: "charged",
  try_number: 1,
  attempt_id: 9,
  violations: [],
  message: null,
  hard_decline: false,
};

const empty: DueSummary = {
  dry_run: false,
  merchants: [],
  notices: [],
  charged: [],
  declined: [],
  refused: [],
  skipped: [],
  failed: [],
  would_charge: [],
  contracts_ended: [],
  money: { charges: 0, totals: [], merchants: [], live: [] },
};

describe("a due run's summary", () => {
  it("counts what the run did", () => {
    const counts = summaryCounts({
      ...empty,
      notices: [{ contract_id: 2, occurrence: 1, kind: "pre_charge", status: "sent", sent: null, message: null }],
      charged: [item, { ...item, occurrence: 2 }],
      refused: [{ ...item, status: "refused" }],
    });
    expect(counts.charged).toBe(2);
    expect(counts.words).toBe("1 notice sent, 2 charges made, 0 declined, 1 refused by a rule, 0 failed or unknown, 0 skipped.");
  });

  it("speaks of a dry run in the conditional", () => {
    const counts = summaryCounts({ ...empty, dry_run: true, would_charge: [item] });
    expect(counts.words).toContain("1 charge would be made");
    expect(counts.words).toContain("0 notices to send");
  });

  it("mentions undelivered notices and ended contracts only when there are some", () => {
    expect(summaryCounts(empty).words).not.toContain("ended");
    const counts = summaryCounts({
      ...empty,
      notices: [{ contract_id: 2, occurrence: null, kind: "confirmation", status: "failed", sent: null, message: "no e-mail" }],
      contracts_ended: [2],
    });
    expect(counts.words).toContain("1 notice not delivered");
    expect(counts.words).toContain("1 contract ended");
  });
});

describe("the question before a due run", () => {
  const rehearsal: DueSummary = {
    ...empty,
    dry_run: true,
    notices: [{ contract_id: 2, occurrence: 1, kind: "pre_charge", status: "would_send", sent: null, message: null }],
    money: {
      charges: 3,
      totals: [
        { minor: 123456789, currency: "EUR" },
        { minor: 500, currency: "USD" },
      ],
      merchants: [
        { merchant_id: 1, name: "Helsinki", environment_kind: "live", charges: 2, totals: [{ minor: 123456789, currency: "EUR" }] },
        { merchant_id: 2, name: "Demo Dublin", environment_kind: "sandbox", charges: 1, totals: [{ minor: 500, currency: "USD" }] },
      ],
      live: ["Helsinki"],
    },
  };

  it("says how many charges of what total per currency, never summed across currencies", () => {
    const q = runQuestion(rehearsal);
    expect(q.question).toMatch(/^Make 3 charges and send 1 notice now\?/);
    expect(q.totals).toHaveLength(2);
    expect(q.totals[0]).toMatch(/1,234,567\.89/);
    expect(q.totals[1]).toMatch(/5\.00/);
    expect(q.question).toContain(" and ");
  });

  it("names the merchants with their environment, and the live ones", () => {
    const q = runQuestion(rehearsal);
    expect(q.merchants.map((m) => m.kind)).toEqual(["live", "sandbox"]);
    expect(q.merchants[0].line).toMatch(/^Helsinki — live \(real money\): 2 charges/);
    expect(q.live).toEqual(["Helsinki"]);
    expect(q.confirmLabel).toContain("real money");
  });

  it("asks only about notices when no charge is due, and offers nothing when nothing is", () => {
    const notices = runQuestion({ ...rehearsal, money: empty.money });
    expect(notices.question).toBe("No charge is due now. Send 1 notice?");
    expect(notices.nothing).toBe(false);
    const nothing = runQuestion({ ...empty, dry_run: true });
    expect(nothing.nothing).toBe(true);
  });
});

describe("what saying yes approves", () => {
  it("is exactly the rehearsal's charges, with their amounts", () => {
    const rehearsal: DueSummary = { ...empty, dry_run: true, would_charge: [{ ...item, status: "would_charge" }] };
    expect(approvedOf(rehearsal)).toEqual([{ contract_id: 2, occurrence: 1, amount: { minor: 500, currency: "EUR" } }]);
  });
});
