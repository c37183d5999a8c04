// Money for people: minor units and a currency in, a localized string out. Display only: the UI
// never adds up or converts money (the engine does, in integer minor units).
import type { Money } from "../ipc/bindings";

/** Digits after the separator per ISO 4217 code, for the codes Coffer knows; 2 otherwise. */
const EXPONENTS: Record<string, number> = { JPY: 0, KWD: 3 };

export function exponentOf(currency: string): number {
  return EXPONENTS[currency] ?? 2;
}

/** The amount as the decimal string the engine parses back ("12.34", "100" for JPY). */
export function decimalString(minor: number, currency: string): string {
  const exp = exponentOf(currency);
  const sign = minor < 0 ? "-" : "";
  const digits = String(Math.abs(minor)).padStart(exp + 1, "0");
  if (exp === 0) return sign + digits;
  return `${sign}${digits.slice(0, -exp)}.${digits.slice(-exp)}`;
}

/** The locale money is written in: the OS's, except the POSIX one ("C", en-US-u-va-posix), which
 * groups no thousands ("$ 99999999.00" hid three extra digits, issue 21): plain en-US then. */
export function moneyLocale(locale?: string): string | undefined {
  try {
    const resolved = new Intl.NumberFormat(locale).resolvedOptions().locale;
    return /posix/i.test(resolved) ? "en-US" : locale;
  } catch {
    return "en-US";
  }
}

/** "€12.34", "12,34 €" or "1 234 kr", as the OS locale writes it, thousands always grouped. */
export function formatMinor(minor: number, currency: string, locale?: string): string {
  const exp = exponentOf(currency);
  try {
    const format = new Intl.NumberFormat(moneyLocale(locale), {
      style: "currency",
      currency,
      minimumFractionDigits: exp,
      maximumFractionDigits: exp,
      // Every amount shows its thousands, so that a typo of three digits cannot hide.
      useGrouping: "always",
    } as unknown as Intl.NumberFormatOptions).format as unknown as (value: string) => string;
    // A decimal string, not a float: Intl formats it exactly (ES2023 takes numeric strings).
    return format(decimalString(minor, currency));
  } catch {
    return `${groupedDecimal(minor, currency)} ${currency}`;
  }
}

/** "99,999,999.00": the decimal string with its whole part grouped, for when Intl is missing. */
export function groupedDecimal(minor: number, currency: string): string {
  const plain = decimalString(minor, currency);
  const [whole, fraction] = plain.split(".");
  const sign = whole.startsWith("-") ? "-" : "";
  const digits = sign ? whole.slice(1) : whole;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${sign}${grouped}${fraction !== undefined ? `.${fraction}` : ""}`;
}

export function formatMoney(money: Money | null | undefined, locale?: string): string {
  if (!money) return "—";
  return formatMinor(money.minor, money.currency, locale);
}
