import { describe, expect, it } from "vitest";
import type { ChargeResult, StoredCredential } from "../src/ipc/bindings";
import { canConfirm, flagRows, outcomeOf, ruleVerdicts } from "../src/views/charge/verdict";

const flags: StoredCredential = {
  sequence: "subsequent",
  initiator: "merchant",
  reason: "unscheduled",
  scheduled: false,
  initial_ref: "INIT-1",
};

function result(over: Partial<ChargeResult>): ChargeResult {
  return {
    attempt_id: 1,
    status: "succeeded",
    provider_ref: "ch_1",
    warnings: [],
    violations: [],
    message: null,
    decline_code: null,
    hard_decline: false,
    amount: { minor: 1234, currency: "EUR" },
    flags,
    replayed: false,
    stop_payment: null,
    next_try: null,
    next_try_at: null,
    ...over,
  };
}

describe("the policy verdict", () => {
  it("lists every rule checked, passed or broken, with the reasons of the broken ones", () => {
    const verdicts = ruleVerdicts(
      ["consent_and_initial", "card_usable", "svea_monthly"],
      [{ rule: "svea_monthly", message: "already charged this month", allowed_after: null }],
    );
    expect(verdicts.map((v) => [v.rule, v.ok])).toEqual([
      ["consent_and_initial", true],
      ["card_usable", true],
      ["svea_monthly", false],
    ]);
    expect(verdicts[2].reasons).toEqual(["already charged this month"]);
    expect(verdicts[2].label).toContain("Svea");
  });

  it("never hides a broken rule the checked list did not name", () => {
    const verdicts = ruleVerdicts([], [{ rule: "brand_new_rule", message: "no", allowed_after: null }]);
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0].ok).toBe(false);
    expect(verdicts[0].label).toBe("brand new rule");
  });

  it("lets the owner confirm only a charge no rule refuses", () => {
    expect(canConfirm(null)).toBe(false);
    const preview = {
      merchant_id: 1,
      merchant_name: "m",
      provider: "svea",
      card: {} as never,
      amount: { minor: 100, currency: "EUR" },
      flags,
      violations: [],
      rules_checked: ["card_usable"],
      environment_kind: "sandbox" as const,
      confirm_above: null,
      needs_large_confirmation: false,
      answer_wait_secs: 91,
    };
    expect(canConfirm(preview)).toBe(true);
    expect(canConfirm({ ...preview, violations: [{ rule: "card_usable", message: "expired", allowed_after: null }] })).toBe(false);
  });
});

describe("the flags", () => {
  it("shows the exact values sent, with what they tell the issuer", () => {
    const rows = flagRows(flags);
    expect(rows.map((r) => [r.name, r.value])).toEqual([
      ["Sequence", "subsequent"],
      ["Initiator", "merchant"],
      ["Reason", "unscheduled"],
      ["Scheduled", "no"],
      ["Initial transaction", "INIT-1"],
    ]);
    expect(flagRows({ ...flags, initial_ref: null })[4].meaning).toContain("missing");
  });
});

describe("the outcome", () => {
  it("says approved with the provider's reference and any warning", () => {
    const ok = outcomeOf(result({}));
    expect(ok.tone).toBe("ok");
    expect(ok.title).toContain("Approved");
    expect(ok.lines).toContain("Provider reference: ch_1");
    expect(outcomeOf(result({ warnings: ["no initial"] })).tone).toBe("warn");
  });

  it("says whether a decline may be retried", () => {
    const hard = outcomeOf(result({ status: "declined", hard_decline: true, decline_code: "43", message: "stolen card" }));
    expect(hard.title).toContain("Declined");
    expect(hard.lines.join(" ")).toContain("never charged again");
    expect(hard.lines).toContain("Decline code: 43");
    const next = "It may be charged again now: Visa allows 20 retries in 30 days, and 20 more tries are left.";
    const soft = outcomeOf(result({ status: "declined", message: "insufficient funds", next_try: next }));
    expect(soft.lines.join(" ")).toContain(next);
    expect(soft.lines.join(" ")).not.toContain("retried later");
  });

  it("names each rule of a refusal", () => {
    const refused = outcomeOf(
      result({ status: "refused", attempt_id: null, violations: [{ rule: "card_usable", message: "expired 01/26", allowed_after: null }] }),
    );
    expect(refused.title).toContain("Refused");
    expect(refused.lines[0]).toContain("expired 01/26");
  });

  it("says a replayed answer charged nothing again", () => {
    expect(outcomeOf(result({ replayed: true })).lines.join(" ")).toContain("nothing was charged again");
  });
});
