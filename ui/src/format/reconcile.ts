// What a reconcile did, in one sentence: how many it settled and how, and what stays unknown
// with the reason the engine gave.
import type { ReconcileSummary } from "../ipc/bindings";

export function reconcileNote(s: ReconcileSummary): string {
  const parts: string[] = [];
  if (s.settled.length === 0 && s.unresolved.length === 0) {
    parts.push("Nothing was waiting for an answer.");
  }
  if (s.settled.length > 0) {
    const how = s.settled.map((a) => `#${a.attempt_id} ${a.status}`).join(", ");
    parts.push(`Settled ${s.settled.length} by the provider's record: ${how}.`);
  }
  if (s.unresolved.length > 0) {
    const why = s.unresolved.map((a) => `#${a.attempt_id}: ${a.note}`).join("; ");
    parts.push(`Still unknown: ${why}.`);
  }
  if (s.alerts.length > 0) {
    parts.push(`${s.alerts.length} alert${s.alerts.length === 1 ? "" : "s"} raised.`);
  }
  return parts.join(" ");
}
