import { describe, expect, it } from "vitest";
import type { DayUpcoming, MonthRevenue } from "../src/ipc/bindings";
import {
  addDays,
  addMonths,
  allZero,
  bucketLabel,
  chartCurrencies,
  currenciesWords,
  declineSeries,
  defaultCurrency,
  expiringSeries,
  localToday,
  monthLabel,
  monthsBetween,
  pickCurrency,
  revenueSeries,
  upcomingSeries,
  upcomingTotals,
} from "../src/views/dashboard/series";

const months = ["2025-11", "2025-12", "2026-01", "2026-02"];

function rev(month: string, currency: string, recurring: number, manual = 0, refunded = 0): MonthRevenue {
  return { month, currency, recurring_minor: recurring, manual_minor: manual, refunded_minor: refunded };
}

function day(date: string, currency: string, charges: number, amount: number): DayUpcoming {
  return { date, currency, charges, amount_minor: amount };
}

describe("calendar helpers", () => {
  it("adds months across year ends, both ways", () => {
    expect(addMonths("2025-12", 1)).toBe("2026-01");
    expect(addMonths("2026-01", -1)).toBe("2025-12");
    expect(addMonths("2026-03", 12)).toBe("2027-03");
    expect(addMonths("2026-03", -15)).toBe("2024-12");
  });
  it("lists the months between two, both included", () => {
    expect(monthsBetween("2025-11", "2026-02")).toEqual(months);
    expect(monthsBetween("2026-02", "2026-02")).toEqual(["2026-02"]);
    expect(monthsBetween("2026-03", "2026-02")).toEqual([]);
  });
  it("adds days across month ends, leap days and daylight-saving changes", () => {
    expect(addDays("2026-01-31", 1)).toBe("2026-02-01");
    expect(addDays("2024-02-28", 1)).toBe("2024-02-29");
    expect(addDays("2026-03-28", 2)).toBe("2026-03-30");
    expect(addDays("2026-10-24", 7)).toBe("2026-10-31");
    expect(addDays("2026-01-01", -1)).toBe("2025-12-31");
  });
  it("writes today as the computer's local date", () => {
    expect(localToday(new Date(2026, 0, 5, 23, 59))).toBe("2026-01-05");
  });
  it("labels months and days without shifting them by the time zone", () => {
    expect(monthLabel("2026-01", "en-GB")).toBe("Jan 2026");
    expect(monthLabel("2026-01", "en-GB", "long")).toBe("January 2026");
    expect(monthLabel("bad")).toBe("bad");
    expect(bucketLabel({ from: "2026-05-01", to: "2026-05-01" }, "en-GB")).toBe("1 May");
    expect(bucketLabel({ from: "2026-05-01", to: "2026-05-07" }, "en-GB")).toBe("1 May – 7 May");
  });
});

describe("currency of the money charts", () => {
  it("defaults to the currency with the most revenue and never merges currencies", () => {
    const view = {
      revenue: [rev("2026-01", "EUR", 10_000, 500), rev("2026-02", "SEK", 8_000), rev("2026-02", "SEK", 0, 4_000)],
      upcoming: [day("2026-02-10", "USD", 1, 99_999)],
    };
    expect(chartCurrencies(view)).toEqual(["SEK", "EUR", "USD"]);
    expect(defaultCurrency(view)).toBe("SEK");
  });
  it("falls back to upcoming amounts, then the code, and to null with no money at all", () => {
    expect(defaultCurrency({ revenue: [], upcoming: [day("2026-02-10", "USD", 1, 50), day("2026-02-11", "EUR", 1, 70)] })).toBe("EUR");
    expect(chartCurrencies({ revenue: [rev("2026-01", "SEK", 0), rev("2026-01", "EUR", 0)], upcoming: [] })).toEqual(["EUR", "SEK"]);
    expect(defaultCurrency({ revenue: [], upcoming: [] })).toBeNull();
  });
  it("keeps the owner's choice only while the scope still has that currency", () => {
    const view = { revenue: [rev("2026-01", "EUR", 100), rev("2026-01", "SEK", 10)], upcoming: [] };
    expect(pickCurrency(view, "SEK")).toBe("SEK");
    expect(pickCurrency(view, "USD")).toBe("EUR");
    expect(pickCurrency(view, null)).toBe("EUR");
  });
});

describe("revenue by month", () => {
  it("fills months without data with zeros, in the engine's order, for one currency only", () => {
    const revenue = [rev("2025-12", "EUR", 1_000, 250, 100), rev("2025-12", "SEK", 9_999), rev("2026-02", "EUR", 2_000)];
    expect(revenueSeries(months, revenue, "EUR")).toEqual([
      { month: "2025-11", recurring: 0, manual: 0, refunded: 0 },
      { month: "2025-12", recurring: 1_000, manual: 250, refunded: 100 },
      { month: "2026-01", recurring: 0, manual: 0, refunded: 0 },
      { month: "2026-02", recurring: 2_000, manual: 0, refunded: 0 },
    ]);
    expect(revenueSeries(months, revenue, "SEK")[1].recurring).toBe(9_999);
    expect(allZero(revenueSeries(months, revenue, null), ["recurring", "manual", "refunded"])).toBe(true);
  });
  it("ignores months outside the window", () => {
    expect(revenueSeries(["2026-02"], [rev("2024-01", "EUR", 5)], "EUR")).toEqual([{ month: "2026-02", recurring: 0, manual: 0, refunded: 0 }]);
  });
});

describe("declines and expiring cards", () => {
  it("gives every month its soft and hard declines", () => {
    expect(declineSeries(months, [{ month: "2026-01", soft: 3, hard: 1 }])).toEqual([
      { month: "2025-11", soft: 0, hard: 0 },
      { month: "2025-12", soft: 0, hard: 0 },
      { month: "2026-01", soft: 3, hard: 1 },
      { month: "2026-02", soft: 0, hard: 0 },
    ]);
  });
  it("sorts expiring months and fills the gaps", () => {
    expect(
      expiringSeries([
        { month: "2026-04", cards: 2 },
        { month: "2026-01", cards: 5 },
      ]),
    ).toEqual([
      { month: "2026-01", cards: 5 },
      { month: "2026-02", cards: 0 },
      { month: "2026-03", cards: 0 },
      { month: "2026-04", cards: 2 },
    ]);
    expect(expiringSeries([])).toEqual([]);
  });
});

describe("upcoming charges", () => {
  const upcoming = [
    day("2026-02-01", "EUR", 2, 3_000),
    day("2026-02-03", "EUR", 1, 1_500),
    day("2026-02-03", "SEK", 4, 40_000),
    day("2026-02-09", "EUR", 1, 700),
  ];
  it("lays out every day of the window, zeros included", () => {
    const days = upcomingSeries(upcoming, "EUR", "2026-02-01", 30, "day");
    expect(days).toHaveLength(30);
    expect(days[0]).toEqual({ from: "2026-02-01", to: "2026-02-01", charges: 2, amount: 3_000 });
    expect(days[1]).toEqual({ from: "2026-02-02", to: "2026-02-02", charges: 0, amount: 0 });
    expect(days[2]).toEqual({ from: "2026-02-03", to: "2026-02-03", charges: 1, amount: 1_500 });
    expect(days[29].from).toBe("2026-03-02");
  });
  it("sums weeks from today on, the last week shorter, one currency at a time", () => {
    const weeks = upcomingSeries(upcoming, "EUR", "2026-02-01", 30, "week");
    expect(weeks.map((w) => [w.from, w.to])).toEqual([
      ["2026-02-01", "2026-02-07"],
      ["2026-02-08", "2026-02-14"],
      ["2026-02-15", "2026-02-21"],
      ["2026-02-22", "2026-02-28"],
      ["2026-03-01", "2026-03-02"],
    ]);
    expect(weeks[0]).toMatchObject({ charges: 3, amount: 4_500 });
    expect(weeks[1]).toMatchObject({ charges: 1, amount: 700 });
    expect(upcomingSeries(upcoming, "SEK", "2026-02-01", 30, "week")[0]).toMatchObject({ charges: 4, amount: 40_000 });
  });
  it("widens the window to dates the engine sent outside it", () => {
    const days = upcomingSeries([day("2026-01-31", "EUR", 1, 10), day("2026-03-05", "EUR", 1, 20)], "EUR", "2026-02-01", 30, "day");
    expect(days[0]).toMatchObject({ from: "2026-01-31", amount: 10 });
    expect(days[days.length - 1]).toMatchObject({ from: "2026-03-05", amount: 20 });
    expect(days).toHaveLength(34);
  });
  it("counts every charge but sums each currency apart", () => {
    expect(upcomingTotals(upcoming)).toEqual({
      charges: 8,
      sums: [
        { currency: "SEK", minor: 40_000 },
        { currency: "EUR", minor: 5_200 },
      ],
    });
    expect(upcomingTotals([])).toEqual({ charges: 0, sums: [] });
  });
});

describe("configured currencies", () => {
  it("counts what the locations are configured to charge in, not only what has charged", () => {
    const words = currenciesWords(["BYN", "EUR", "GBP", "SEK", "USD"], ["EUR", "USD"]);
    expect(words).toBe("These locations charge in 5 currencies (BYN, EUR, GBP, SEK, USD). 2 have charges to show: EUR, USD.");
  });
  it("says nothing more when every configured currency has charges", () => {
    expect(currenciesWords(["EUR", "USD"], ["USD", "EUR"])).toBe("These locations charge in 2 currencies (EUR, USD).");
  });
});
