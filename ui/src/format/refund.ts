// How a charge's refunds read: "refunded", "partly refunded: X of Y left". The engine sums them
// (`refunds::refund_standing`, sent with each charge as `refunds`); this only puts the amounts
// in the app's money format. tests/refund.test.ts.
import type { ChargeAttempt, RefundStanding } from "../ipc/bindings";
import { formatMoney } from "./money";

type Row = Pick<ChargeAttempt, "id" | "state" | "amount">;

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
