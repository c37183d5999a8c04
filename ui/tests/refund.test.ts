import { describe, expect, it } from "vitest";
import { chargeStateWords, refundAmountHint, refundQuestion, refundStanding } from "../src/format/refund";
import { formatMoney } from "../src/format/money";

const usd = (minor: number) => ({ minor, currency: "USD" });
const charge = { id: 7, kind: "charge" as const, state: "succeeded" as const, amount: usd(1250), refund_of: null };
const refund = (id: number, minor: number, state: "succeeded" | "sending" | "failed" | "awaiting_transfer") => ({
  id,
  kind: "refund" as const,
  state,
  amount: usd(minor),
  refund_of: 7,
});

describe("refund standing", () => {
  it("a charge without refunds reads succeeded and asks about its whole amount", () => {
    const s = refundStanding(charge, [charge]);
    expect(s.state).toBe("none");
    expect(chargeStateWords(charge, s)).toBe("succeeded");
    expect(refundQuestion(charge, s)).toBe(`Refund charge 7 of ${formatMoney(usd(1250))}?`);
  });
  it("a partly refunded charge says what is left, and the next refund asks about that", () => {
    const s = refundStanding(charge, [charge, refund(8, 500, "succeeded"), refund(9, 100, "failed")]);
    expect(s.state).toBe("partly");
    expect(s.left).toEqual(usd(750));
    expect(chargeStateWords(charge, s)).toBe(`partly refunded: ${formatMoney(usd(750))} of ${formatMoney(usd(1250))} left`);
    expect(refundQuestion(charge, s)).toBe(`Refund charge 7: ${formatMoney(usd(750))} left of ${formatMoney(usd(1250))}?`);
  });
  it("a fully refunded charge reads refunded, not succeeded", () => {
    const s = refundStanding(charge, [charge, refund(8, 500, "succeeded"), refund(10, 750, "awaiting_transfer")]);
    expect(s.state).toBe("full");
    expect(s.left.minor).toBe(0);
    expect(chargeStateWords(charge, s)).toBe("refunded");
  });
  it("a refund without a known outcome holds its amount and says so", () => {
    const s = refundStanding(charge, [charge, refund(8, 250, "sending")]);
    expect(s.left).toEqual(usd(1000));
    expect(chargeStateWords(charge, s)).toContain("has no known outcome yet");
  });
  it("an empty amount says it refunds the whole of what is left before anything is sent", () => {
    const s = refundStanding(charge, [charge, refund(8, 500, "succeeded")]);
    expect(refundAmountHint("", s)).toBe(`An empty amount refunds the whole ${formatMoney(usd(750))} left.`);
    expect(refundAmountHint(" 2.00 ", s)).toBe(`Refunds 2.00 of the ${formatMoney(usd(750))} left.`);
  });
});
