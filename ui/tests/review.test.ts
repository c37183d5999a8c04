import { describe, expect, it } from "vitest";
import type { ChargePreview } from "../src/ipc/bindings";
import { canCharge, largeWords, reviewRows, waitingWords } from "../src/views/charge/review";

const preview: ChargePreview = {
  merchant_id: 1,
  merchant_name: "Downtown",
  provider: "clover",
  card: {
    id: 7,
    customer_id: 3,
    customer_name: "Ada",
    merchant_id: 1,
    brand: "visa",
    last4: "4242",
    bin: "424242",
    bank: "Test Bank",
    exp_month: 12,
    exp_year: 2030,
    active: true,
    expired: false,
    expiring_soon: false,
    consent_at: null,
    mit_ready: true,
  } as unknown as ChargePreview["card"],
  amount: { minor: 9999999900, currency: "USD" },
  flags: { sequence: "subsequent", initiator: "merchant", reason: "unscheduled", scheduled: false, initial_ref: "R" },
  violations: [],
  rules_checked: ["card_usable"],
  environment_kind: "live",
  confirm_above: { minor: 100000, currency: "USD" },
  needs_large_confirmation: true,
  answer_wait_secs: 91,
};

describe("the charge review", () => {
  it("shows amount (grouped), currency, card, merchant and live/sandbox", () => {
    const rows = Object.fromEntries(reviewRows(preview, "unscheduled").map((r) => [r.key, r.value]));
    expect(rows.amount).toMatch(/99,999,999\.00/);
    expect(rows.currency).toBe("USD");
    expect(rows.card).toContain("4242");
    expect(rows.merchant).toBe("Downtown (clover)");
    expect(rows.environment).toMatch(/^LIVE/);
    const sandbox = Object.fromEntries(reviewRows({ ...preview, environment_kind: "sandbox" }, "recurring").map((r) => [r.key, r.value]));
    expect(sandbox.environment).toMatch(/^Sandbox/);
  });

  it("charges a large amount only once it is confirmed again, naming the limit", () => {
    expect(canCharge(preview, false)).toBe(false);
    expect(canCharge(preview, true)).toBe(true);
    expect(largeWords(preview)).toMatch(/above Downtown's limit of \$1,000\.00/);
    const small = { ...preview, needs_large_confirmation: false };
    expect(canCharge(small, false)).toBe(true);
    expect(largeWords(small)).toBeNull();
    expect(canCharge({ ...small, violations: [{ rule: "card_usable", message: "expired", allowed_after: null }] }, true)).toBe(false);
    expect(canCharge(null, true)).toBe(false);
  });

  it("says what happens when the provider is late, with the engine's bound", () => {
    const words = waitingWords(91).join(" ");
    expect(words).toContain("up to 91 s");
    expect(words).toContain("outcome unknown");
    expect(words).toContain("will not be charged twice");
    expect(words).toContain("close this dialog");
  });
});

describe("a charge followed after its dialog closed", () => {
  it("waits, then shows the answer and refreshes the views once", async () => {
    const { follow, snapshot, dismiss } = await import("../src/state/backgroundCharges");
    let answer: (r: import("../src/ipc/bindings").ChargeResult) => void = () => {};
    const pending = new Promise<import("../src/ipc/bindings").ChargeResult>((resolve) => (answer = resolve));
    let refreshed = 0;
    follow("€5.00 on Visa •••• 4242 (Downtown)", pending, () => refreshed++);
    expect(snapshot()[snapshot().length - 1]?.status).toBe("waiting");
    answer({
      attempt_id: 1,
      status: "sending",
      provider_ref: null,
      warnings: [],
      violations: [],
      message: null,
      decline_code: null,
      hard_decline: false,
      amount: { minor: 500, currency: "EUR" },
      flags: preview.flags,
      replayed: false,
      stop_payment: null,
      next_try: null,
      next_try_at: null,
    });
    await pending;
    await Promise.resolve();
    const followed = snapshot()[snapshot().length - 1];
    expect(followed?.status).toBe("sending");
    expect(followed?.words).toContain("Outcome unknown");
    expect(refreshed).toBe(1);
    dismiss(followed!.id);
    expect(snapshot()).toHaveLength(0);
  });
});
