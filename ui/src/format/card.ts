// Display rules for stored cards: badges and expiry. Pure functions, tested in tests/card.test.ts.
import type { CardView } from "../ipc/bindings";

export type BadgeKind = "expired" | "expiring" | "inactive" | "no-consent" | "reenroll" | "mit-ready";

export interface Badge {
  kind: BadgeKind;
  label: string;
  /** Longer words for a tooltip and screen readers. */
  title: string;
}

/** The badges of a card, most serious first. */
export function cardBadges(
  card: Pick<CardView, "expired" | "expiring_soon" | "active" | "consent_at" | "mit_ready"> & Partial<Pick<CardView, "reenroll">>,
): Badge[] {
  const badges: Badge[] = [];
  if (card.expired) badges.push({ kind: "expired", label: "Expired", title: "The card has expired and cannot be charged" });
  else if (card.expiring_soon) badges.push({ kind: "expiring", label: "Expiring soon", title: "The card expires within 60 days" });
  if (!card.active) badges.push({ kind: "inactive", label: "Inactive", title: "The provider marks the card inactive" });
  if (!card.consent_at) badges.push({ kind: "no-consent", label: "No consent", title: "No recorded consent: merchant-initiated charges are refused" });
  // The engine's words say why (a One Click initial registers no recurring terms) and what to do.
  if (card.reenroll) badges.push({ kind: "reenroll", label: "Re-enroll", title: card.reenroll });
  if (badges.length === 0 && card.mit_ready) badges.push({ kind: "mit-ready", label: "Ready", title: "Consent and initial transaction on file" });
  return badges;
}

/** "MM/YY" */
export function formatExpiry(month: number, year: number): string {
  return `${String(month).padStart(2, "0")}/${String(year % 100).padStart(2, "0")}`;
}

/** "•••• 4242" */
export function maskedNumber(last4: string): string {
  return `•••• ${last4}`;
}

const BRAND_CLASSES: Record<string, string> = {
  visa: "visa",
  mastercard: "mastercard",
  "american express": "amex",
  amex: "amex",
  maestro: "maestro",
  mir: "mir",
  discover: "discover",
  jcb: "jcb",
  unionpay: "unionpay",
  diners_club: "diners",
  belkart: "belkart",
};

/** A CSS class for the brand mark; unknown brands share a neutral one. */
export function brandClass(brand: string): string {
  return BRAND_CLASSES[brand.trim().toLowerCase()] ?? "other";
}

/** The brand as people write it ("mastercard" -> "Mastercard"). */
export function brandName(brand: string): string {
  switch (brandClass(brand)) {
    case "amex":
      return "American Express";
    case "mir":
      return "Mir";
    case "jcb":
      return "JCB";
    case "unionpay":
      return "UnionPay";
    default:
      return brand
        .split(/[_\s]+/)
        .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
        .join(" ");
  }
}

/** Short text inside the brand mark. */
export function brandMark(brand: string): string {
  const c = brandClass(brand);
  switch (c) {
    case "visa":
      return "VISA";
    case "mastercard":
      return "MC";
    case "amex":
      return "AMEX";
    case "other":
      return brand.slice(0, 4).toUpperCase() || "CARD";
    default:
      return c.toUpperCase();
  }
}

/** The host of a card-art address, for a short label; `null` when it is not a web address. */
export function artHost(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.host : null;
  } catch {
    return null;
  }
}
