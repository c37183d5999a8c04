import { describe, expect, it } from "vitest";
import type { DueItem, DueSummary } from "../src/ipc/bindings";
import { summaryCounts } from "../src/views/due/summary";

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
