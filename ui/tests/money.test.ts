import { describe, expect, it } from "vitest";
import { decimalString, formatMinor, formatMoney, groupedDecimal, moneyLocale } from "../src/format/money";

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

  it("groups thousands even in the POSIX locale, which writes $ 99999999.00 (issue 21)", () => {
    expect(formatMinor(9999999900, "USD", "en-US")).toBe("$99,999,999.00");
    expect(moneyLocale("en-US-u-va-posix")).toBe("en-US");
    expect(formatMinor(9999999900, "USD", "en-US-u-va-posix")).toBe("$99,999,999.00");
    expect(formatMinor(9999999900, "EUR", "fi-FI").replace(/\s/g, " ")).toBe("99 999 999,00 €");
    expect(groupedDecimal(-123456789, "USD")).toBe("-1,234,567.89");
    expect(groupedDecimal(1500000, "JPY")).toBe("1,500,000");
  });

  it("shows a dash when there is no amount", () => {
    expect(formatMoney(null)).toBe("—");
  });
});
