// Display rules for stored cards: badges and expiry. Pure functions, tested in tests/card.test.ts.
import type { CardState, CardStatus, CardView } from "../ipc/bindings";

export type BadgeKind = "expired" | "expiring" | "inactive" | "no-consent" | "reenroll" | "mit-ready" | "stopped" | "removed";

export interface Badge {
  kind: BadgeKind;
  label: string;
  /** Longer words for a tooltip and screen readers. */
  title: string;
}

/** The colour of each card state's badge. */
const STATE_KIND: Record<CardState, BadgeKind> = {
  removed: "removed",
  stopped: "stopped",
  hard_declined: "expired",
  inactive: "inactive",
  expired: "expired",
  unsettled_attempt: "expiring",
  needs_reenroll: "reenroll",
  needs_consent: "no-consent",
  needs_initial: "no-consent",
  needs_cvc: "no-consent",
  retry_later: "expiring",
  ready: "mit-ready",
};

/**
 * The badges of a card: its one status, as the engine derived it (never re-derived here), and
 * "Expiring soon" beside a card still in use.
 */
export function cardBadges(card: Pick<CardView, "status" | "expiring_soon">): Badge[] {
  const s = card.status;
  const badges: Badge[] = [{ kind: STATE_KIND[s.state], label: s.label, title: `${sentence(s.reason)} ${s.next_step}` }];
  // Expiry means nothing for a card that is expired, stopped or deleted already.
  if (card.expiring_soon && s.state !== "expired" && s.state !== "stopped" && s.state !== "removed") {
    badges.push({ kind: "expiring", label: "Expiring soon", title: "The card expires within 60 days" });
  }
  return badges;
}

/** The status of a card in one line for its detail: why, then what to do next. */
export function statusLine(status: CardStatus): string {
  return `${status.label}: ${sentence(status.reason)} ${status.next_step}`;
}

/** The main action of a card's detail, by its status: a charge only when one may go. */
export type MainAction = "charge" | "consent" | "none";

export function mainAction(status: Pick<CardStatus, "state" | "chargeable">): MainAction {
  if (status.chargeable) return "charge";
  if (status.state === "needs_consent") return "consent";
  return "none";
}

/** Capitalised, with a closing full stop. */
function sentence(text: string): string {
  const t = text.trim();
  if (!t) return t;
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

/** "MM/YY" */
export function formatExpiry(month: number, year: number): string {
  return `${String(month).padStart(2, "0")}/${String(year % 100).padStart(2, "0")}`;
}

/** How a tile names a stored credential: "•••• 4242", or an APM token's method ("PayPal"). */
export function cardNumberLine(card: Pick<CardView, "apm" | "last4">): string {
  return card.apm ?? maskedNumber(card.last4);
}

/** The expiry a tile shows: none for an APM token, which has none. */
export function cardExpiryLine(card: Pick<CardView, "apm" | "exp_month" | "exp_year">): string {
  return card.apm ? "APM token" : formatExpiry(card.exp_month, card.exp_year);
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
