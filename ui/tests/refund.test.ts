import { describe, expect, it } from "vitest";
import type { RefundStanding } from "../src/ipc/bindings";
import { chargeStateWords, refundAmountHint, refundQuestion } from "../src/format/refund";
import { formatMoney } from "../src/format/money";

// The engine sums a charge's refunds (engine tests: truth.rs); these check how the app words
// the standing it is sent.
const usd = (minor: number) => ({ minor, currency: "USD" });
const charge = { id: 7, state: "succeeded" as const, amount: usd(1250) };
const standing = (state: RefundStanding["state"], refunded: number, pending: number, left: number): RefundStanding => ({
  state,
  refunded: usd(refunded),
  pending: usd(pending),
  left: usd(left),
  words: "the engine's words, in its own money format",
  awaiting_transfer: null,
});

describe("refund standing, as the app words it", () => {
  it("a charge without refunds reads succeeded and asks about its whole amount", () => {
    const s = standing("none", 0, 0, 1250);
    expect(chargeStateWords(charge, s)).toBe("succeeded");
    expect(refundQuestion(charge, s)).toBe(`Refund charge 7 of ${formatMoney(usd(1250))}?`);
  });
  it("a partly refunded charge says what is left, and the next refund asks about that", () => {
    const s = standing("partly", 500, 0, 750);
    expect(chargeStateWords(charge, s)).toBe(`partly refunded: ${formatMoney(usd(750))} of ${formatMoney(usd(1250))} left`);
    expect(refundQuestion(charge, s)).toBe(`Refund charge 7: ${formatMoney(usd(750))} left of ${formatMoney(usd(1250))}?`);
  });
  it("a fully refunded charge reads refunded, not succeeded", () => {
    expect(chargeStateWords(charge, standing("full", 1250, 0, 0))).toBe("refunded");
  });
  it("a refund without a known outcome is said beside the state", () => {
    const words = chargeStateWords(charge, standing("none", 0, 250, 1000));
    expect(words).toBe(`succeeded (a refund of ${formatMoney(usd(250))} has no known outcome yet)`);
  });
  it("an empty amount says it refunds the whole of what is left before anything is sent", () => {
    const s = standing("partly", 500, 0, 750);
    expect(refundAmountHint("", s)).toBe(`An empty amount refunds the whole ${formatMoney(usd(750))} left.`);
    expect(refundAmountHint(" 2.00 ", s)).toBe(`Refunds 2.00 of the ${formatMoney(usd(750))} left.`);
  });
});
