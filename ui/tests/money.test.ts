import { describe, expect, it } from "vitest";
import { decimalString, formatMinor, formatMoney } from "../src/format/money";

describe("money display", () => {
  it("writes minor units with the currency's own number of decimals", () => {
    expect(decimalString(1234, "EUR")).toBe("12.34");
    expect(decimalString(5, "EUR")).toBe("0.05");
    expect(decimalString(100, "JPY")).toBe("100");
    expect(decimalString(1500, "KWD")).toBe("1.500");
    expect(decimalString(-250, "USD")).toBe("-2.50");
  });

  it("formats for people in the given locale", () => {
    expect(formatMinor(1234, "EUR", "en-US")).toBe("€12.34");
    expect(formatMinor(56810, "EUR", "fi-FI").replace(/\s/g, " ")).toBe("568,10 €");
    expect(formatMinor(100, "JPY", "en-US")).toBe("¥100");
  });

  it("shows a dash when there is no amount", () => {
    expect(formatMoney(null)).toBe("—");
  });
});
