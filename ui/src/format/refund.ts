// What a charge's refunds make of its state: "refunded", "partly refunded: X of Y left". The same
// rule as the engine's `refunds::refund_standing` (which the CLI prints); tests/refund.test.ts.
import type { ChargeAttempt, Money } from "../ipc/bindings";
import { formatMoney } from "./money";

export interface RefundStanding {
  state: "none" | "partly" | "full";
  /** Refunded: succeeded, or taken by the provider and awaiting the owner's transfer. */
  refunded: Money;
  /** Refunds sent whose outcome is not known yet; they hold their amount until settled. */
  pending: Money;
  /** What may still be refunded. */
  left: Money;
}

type Row = Pick<ChargeAttempt, "id" | "kind" | "state" | "amount" | "refund_of">;

/** The refunds of `charge` among `ledger`, summed. */
export function refundStanding(charge: Row, ledger: Row[]): RefundStanding {
  let refunded = 0;
  let pending = 0;
  for (const r of ledger) {
    if (r.kind !== "refund" || r.refund_of !== charge.id) continue;
    if (r.state === "succeeded" || r.state === "awaiting_transfer") refunded += r.amount.minor;
    else if (r.state === "sending" || r.state === "planned") pending += r.amount.minor;
  }
  const currency = charge.amount.currency;
  const left = Math.max(0, charge.amount.minor - refunded - pending);
  return {
    state: refunded === 0 ? "none" : refunded >= charge.amount.minor ? "full" : "partly",
    refunded: { minor: refunded, currency },
    pending: { minor: pending, currency },
    left: { minor: left, currency },
  };
}

/** The state cell of a succeeded charge: "succeeded", "refunded" or "partly refunded: X of Y left". */
export function chargeStateWords(charge: Row, standing: RefundStanding): string {
  const base =
    standing.state === "full"
      ? "refunded"
      : standing.state === "partly"
        ? `partly refunded: ${formatMoney(standing.left)} of ${formatMoney(charge.amount)} left`
        : charge.state;
  return standing.pending.minor > 0 ? `${base} (a refund of ${formatMoney(standing.pending)} has no known outcome yet)` : base;
}

/** The refund dialog's question: what is left, not the charge's first amount. */
export function refundQuestion(charge: Row, standing: RefundStanding): string {
  return standing.left.minor === charge.amount.minor
    ? `Refund charge ${charge.id} of ${formatMoney(charge.amount)}?`
    : `Refund charge ${charge.id}: ${formatMoney(standing.left)} left of ${formatMoney(charge.amount)}?`;
}

/** What the typed amount will do, said before anything is sent. */
export function refundAmountHint(typed: string, standing: RefundStanding): string {
  return typed.trim() === ""
    ? `An empty amount refunds the whole ${formatMoney(standing.left)} left.`
    : `Refunds ${typed.trim()} of the ${formatMoney(standing.left)} left.`;
}
