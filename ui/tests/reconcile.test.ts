import { describe, expect, it } from "vitest";
import { reconcileNote } from "../src/format/reconcile";

describe("what a reconcile did, in one sentence", () => {
  it("says nothing was waiting when the card had no open attempt", () => {
    expect(reconcileNote({ settled: [], unresolved: [], alerts: [] })).toBe("Nothing was waiting for an answer.");
  });

  it("names what it settled and what stays unknown with the engine's reason", () => {
    const note = reconcileNote({
      settled: [{ attempt_id: 7, status: "succeeded", note: "found", what_to_check: null }],
      unresolved: [{ attempt_id: 9, status: "sending", note: "the provider has no record yet", what_to_check: "look it up" }],
      alerts: ["possible duplicate"],
    });
    expect(note).toContain("Settled 1 by the provider's record: #7 succeeded.");
    expect(note).toContain("Still unknown: #9: the provider has no record yet.");
    expect(note).toContain("1 alert raised.");
  });
});
