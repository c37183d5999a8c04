// The charge dialog's second step and its wait: what the owner reviews before the charge goes,
// whether it may go, and what the dialog says while the provider is slow. Pure, tested in
// tests/review.test.ts.
import type { ChargePreview, Reason } from "../../ipc/bindings";
import { brandName, maskedNumber } from "../../format/card";
import { formatMoney } from "../../format/money";
import { canConfirm } from "./verdict";
import type { EnvironmentKind } from "../../state/environment";

/** After this long without an answer the dialog says the provider is late, and may be closed. */
export const LATE_AFTER_MS = 5000;

const REASONS: Record<Reason, string> = {
  unscheduled: "One-off (unscheduled card on file)",
  recurring: "Recurring",
  installment: "Installment",
};

const ENVIRONMENTS: Record<EnvironmentKind, string> = {
  live: "LIVE: this charge moves real money",
  test: "Test: the provider's own test environment, no real money (not Coffer's sandbox)",
  sandbox: "Sandbox: Coffer's emulator, no real money",
};

export interface ReviewRow {
  key: string;
  label: string;
  value: string;
}

/** Amount, currency, card, merchant and environment: what the charge is, in one table. */
export function reviewRows(preview: ChargePreview, reason: Reason): ReviewRow[] {
  const card = `${preview.card.bank ? `${preview.card.bank} ` : ""}${brandName(preview.card.brand)} ${maskedNumber(preview.card.last4)}`;
  return [
    { key: "amount", label: "Amount", value: formatMoney(preview.amount) },
    { key: "currency", label: "Currency", value: preview.amount.currency },
    { key: "card", label: "Card", value: card },
    { key: "merchant", label: "Merchant", value: `${preview.merchant_name} (${preview.provider})` },
    { key: "environment", label: "Environment", value: ENVIRONMENTS[preview.environment_kind] },
    { key: "reason", label: "Reason", value: REASONS[reason] },
  ];
}

/** The second confirmation a large amount needs, in words; null below the merchant's limit. */
export function largeWords(preview: ChargePreview): string | null {
  if (!preview.needs_large_confirmation) return null;
  const limit = preview.confirm_above ? formatMoney(preview.confirm_above) : "its limit";
  return `${formatMoney(preview.amount)} is above ${preview.merchant_name}'s limit of ${limit} for a charge by hand. Check the amount: tick the box to confirm that ${formatMoney(preview.amount)} is meant.`;
}

/** Whether the final button may charge: the rules pass, and a large amount was confirmed again. */
export function canCharge(preview: ChargePreview | null, largeConfirmed: boolean): boolean {
  return canConfirm(preview) && (!preview?.needs_large_confirmation || largeConfirmed);
}

/** What the dialog says when the provider has not answered after LATE_AFTER_MS; honest to the
 * engine: the `sending` row is committed, the client waits its timeouts out, an unknown outcome
 * stays for reconcile, and no path charges the card again until it is settled. */
export function waitingWords(waitSecs: number): string[] {
  return [
    "The provider has not answered yet.",
    `Coffer keeps waiting for its answer up to ${waitSecs} s in all.`,
    "If no answer comes, the charge is marked “outcome unknown” and reconciled from the provider's records (before this card is charged again, at the next start, or with Reconcile on the Dashboard): it will not be charged twice.",
    "You can close this dialog: the charge goes on, and the page updates when the answer arrives.",
  ];
}
