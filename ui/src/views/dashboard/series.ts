// The dashboard's data shaping, kept apart from React so it is tested on its own: months without
// data become zeros, the upcoming days are laid out day by day or week by week, and the money
// charts show one currency at a time (never euros added to kronor). The only arithmetic on money
// here is summing integer minor units of one currency for a bar or a headline.
import type { DashboardView, DayUpcoming, MonthDeclines, MonthExpiring, MonthRevenue } from "../../ipc/bindings";

export type RevenuePoint = { month: string; recurring: number; manual: number; refunded: number };
export type DeclinePoint = { month: string; soft: number; hard: number };
export type ExpiringPoint = { month: string; cards: number };
/** One bar of the upcoming chart: a day (`from` = `to`) or a week of days. */
export type UpcomingPoint = { from: string; to: string; charges: number; amount: number };
export type Bucket = "day" | "week";

/** The engine's window of upcoming charges, in days (dashboard::UPCOMING_DAYS on the Rust side). */
export const UPCOMING_DAYS = 30;

const MONTH = /^(\d{4})-(\d{2})$/;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** "YYYY-MM" of the month `n` months after `month` (n may be negative). */
export function addMonths(month: string, n: number): string {
  const m = MONTH.exec(month);
  if (!m) throw new Error(`not a month: ${month}`);
  const index = Number(m[1]) * 12 + (Number(m[2]) - 1) + n;
  const year = Math.floor(index / 12);
  return `${String(year).padStart(4, "0")}-${String((index % 12) + 1).padStart(2, "0")}`;
}

/** Every month from `first` to `last`, both included ("YYYY-MM"); empty when last < first. */
export function monthsBetween(first: string, last: string): string[] {
  const out: string[] = [];
  for (let m = first; m <= last && out.length < 1200; m = addMonths(m, 1)) out.push(m);
  return out;
}

function dayToUtc(date: string): number {
  const m = DAY.exec(date);
  if (!m) throw new Error(`not a date: ${date}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

function utcToDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The calendar date `n` days after `date` ("YYYY-MM-DD"). */
export function addDays(date: string, n: number): string {
  return utcToDay(dayToUtc(date) + n * 86_400_000);
}

/** Today's date where the computer is, "YYYY-MM-DD". */
export function localToday(now: Date = new Date()): string {
  const y = now.getFullYear();
  const m = String(now.getMonth() + 1).padStart(2, "0");
  const d = String(now.getDate()).padStart(2, "0");
  return `${y}-${m}-${d}`;
}

/** Currencies that appear in the revenue or the upcoming charges. */
function totalsByCurrency(view: Pick<DashboardView, "revenue" | "upcoming">): Map<string, { revenue: number; upcoming: number }> {
  const totals = new Map<string, { revenue: number; upcoming: number }>();
  const entry = (c: string) => {
    let t = totals.get(c);
    if (!t) totals.set(c, (t = { revenue: 0, upcoming: 0 }));
    return t;
  };
  for (const r of view.revenue) entry(r.currency).revenue += r.recurring_minor + r.manual_minor;
  for (const u of view.upcoming) entry(u.currency).upcoming += u.amount_minor;
  return totals;
}

/**
 * The currencies the money charts can show, the default first: most revenue over the year (in
 * each currency's own minor units; a rough ranking, never a sum across currencies), then most
 * upcoming, then by code.
 */
export function chartCurrencies(view: Pick<DashboardView, "revenue" | "upcoming">): string[] {
  const totals = totalsByCurrency(view);
  return [...totals.entries()]
    .sort(([a, ta], [b, tb]) => tb.revenue - ta.revenue || tb.upcoming - ta.upcoming || (a < b ? -1 : a > b ? 1 : 0))
    .map(([c]) => c);
}

/** The currency the money charts open with, or null when there is no money to show. */
export function defaultCurrency(view: Pick<DashboardView, "revenue" | "upcoming">): string | null {
  return chartCurrencies(view)[0] ?? null;
}

/** Keeps the owner's choice while the scope still has it; otherwise the default. */
export function pickCurrency(view: Pick<DashboardView, "revenue" | "upcoming">, chosen: string | null): string | null {
  const list = chartCurrencies(view);
  return chosen !== null && list.includes(chosen) ? chosen : (list[0] ?? null);
}

/** One point per month of `months` (in their order) for `currency`; months without data are zeros. */
export function revenueSeries(months: string[], revenue: MonthRevenue[], currency: string | null): RevenuePoint[] {
  const byMonth = new Map<string, MonthRevenue>();
  for (const r of revenue) if (r.currency === currency) byMonth.set(r.month, r);
  return months.map((month) => {
    const r = byMonth.get(month);
    return { month, recurring: r?.recurring_minor ?? 0, manual: r?.manual_minor ?? 0, refunded: r?.refunded_minor ?? 0 };
  });
}

/** Soft and hard declines for every month of `months`, zeros where the engine sent none. */
export function declineSeries(months: string[], declines: MonthDeclines[]): DeclinePoint[] {
  const byMonth = new Map(declines.map((d) => [d.month, d]));
  return months.map((month) => ({ month, soft: byMonth.get(month)?.soft ?? 0, hard: byMonth.get(month)?.hard ?? 0 }));
}

/** Cards expiring per month, in order, with any month missing between the first and last as zero. */
export function expiringSeries(expiring: MonthExpiring[]): ExpiringPoint[] {
  if (expiring.length === 0) return [];
  const byMonth = new Map(expiring.map((e) => [e.month, e.cards]));
  const sorted = [...byMonth.keys()].sort();
  return monthsBetween(sorted[0], sorted[sorted.length - 1]).map((month) => ({ month, cards: byMonth.get(month) ?? 0 }));
}

/**
 * The upcoming charges of `currency`, one point per day from `today` through `days` days, or per
 * week (seven days from `today` on; the last week may be shorter). Days with nothing are zeros;
 * a date outside the window (the merchant's day differs from this computer's) widens it.
 */
export function upcomingSeries(upcoming: DayUpcoming[], currency: string | null, today: string, days = 30, bucket: Bucket = "day"): UpcomingPoint[] {
  const mine = upcoming.filter((u) => u.currency === currency);
  let first = today;
  let last = addDays(today, days - 1);
  for (const u of mine) {
    if (u.date < first) first = u.date;
    if (u.date > last) last = u.date;
  }
  const byDay = new Map<string, { charges: number; amount: number }>();
  for (const u of mine) {
    const d = byDay.get(u.date) ?? { charges: 0, amount: 0 };
    d.charges += u.charges;
    d.amount += u.amount_minor;
    byDay.set(u.date, d);
  }
  const width = bucket === "week" ? 7 : 1;
  const points: UpcomingPoint[] = [];
  for (let from = first; from <= last; from = addDays(from, width)) {
    const end = addDays(from, width - 1);
    const to = end > last ? last : end;
    let charges = 0;
    let amount = 0;
    for (let d = from; d <= to; d = addDays(d, 1)) {
      const v = byDay.get(d);
      if (v) {
        charges += v.charges;
        amount += v.amount;
      }
    }
    points.push({ from, to, charges, amount });
  }
  return points;
}

/** The headline of the coming charges: how many in all, and their sum in each currency. */
export function upcomingTotals(upcoming: DayUpcoming[]): { charges: number; sums: { currency: string; minor: number }[] } {
  let charges = 0;
  const sums = new Map<string, number>();
  for (const u of upcoming) {
    charges += u.charges;
    sums.set(u.currency, (sums.get(u.currency) ?? 0) + u.amount_minor);
  }
  return {
    charges,
    sums: [...sums.entries()]
      .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
      .map(([currency, minor]) => ({ currency, minor })),
  };
}

/** True when a series has nothing but zeros. */
export function allZero<T extends object>(points: T[], keys: (keyof T)[]): boolean {
  return points.every((p) => keys.every((k) => !p[k]));
}

/** "May 2026" (or the locale's way), for a "YYYY-MM". */
export function monthLabel(month: string, locale?: string, style: "short" | "long" = "short"): string {
  const m = MONTH.exec(month);
  if (!m) return month;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1));
  return new Intl.DateTimeFormat(locale, { month: style, year: "numeric", timeZone: "UTC" }).format(date);
}

/** "12 May" (or the locale's way), for a "YYYY-MM-DD". */
export function dayLabel(date: string, locale?: string): string {
  if (!DAY.test(date)) return date;
  return new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", timeZone: "UTC" }).format(new Date(dayToUtc(date)));
}

/** A bar of the upcoming chart in words: one day, or "12 May – 18 May". */
export function bucketLabel(p: Pick<UpcomingPoint, "from" | "to">, locale?: string): string {
  return p.from === p.to ? dayLabel(p.from, locale) : `${dayLabel(p.from, locale)} – ${dayLabel(p.to, locale)}`;
}

/**
 * How many currencies the locations are configured to charge in (the engine's list), and how many
 * of them have money to chart: "These locations charge in 5 currencies (…); 2 have charges to show."
 */
export function currenciesWords(configured: string[], charted: string[]): string {
  const head = `These locations charge in ${configured.length} currencies (${configured.join(", ")}).`;
  if (charted.length === configured.length) return head;
  if (charted.length === 0) return `${head} None has charges to show yet.`;
  return `${head} ${charted.length} ${charted.length === 1 ? "has" : "have"} charges to show: ${charted.join(", ")}.`;
}
