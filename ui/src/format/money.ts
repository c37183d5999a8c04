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

/** "€12.34", "12,34 €" or "1 234 kr", as the OS locale writes it. */
export function formatMinor(minor: number, currency: string, locale?: string): string {
  const exp = exponentOf(currency);
  try {
    const format = new Intl.NumberFormat(locale, {
      style: "currency",
      currency,
      minimumFractionDigits: exp,
      maximumFractionDigits: exp,
    }).format as unknown as (value: string) => string;
    // A decimal string, not a float: Intl formats it exactly (ES2023 takes numeric strings).
    return format(decimalString(minor, currency));
  } catch {
    return `${decimalString(minor, currency)} ${currency}`;
  }
}

export function formatMoney(money: Money | null | undefined, locale?: string): string {
  if (!money) return "—";
  return formatMinor(money.minor, money.currency, locale);
}
