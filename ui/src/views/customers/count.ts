// The customers view's count and empty state, in words. Pure, tested in tests/customers.test.ts.
import type { CustomerTotals } from "../../ipc/bindings";

/** "540 customers", "1 customer": the engine's exact count, for a listing and a search alike. */
export function countWords(totals: CustomerTotals | null, loading: boolean): string {
  if (totals === null) return loading ? "Loading…" : "";
  const n = totals.total;
  return `${n.toLocaleString()} customer${n === 1 ? "" : "s"}`;
}

/**
 * Why the list is empty: a location that was never synced has nothing to match yet, which is
 * not the same as a search that matches nobody.
 */
export function emptyWords(totals: CustomerTotals | null, query: string, register: boolean): string {
  const never = totals?.never_synced ?? [];
  if (never.length > 0 && !register) {
    const names = never.join(", ");
    return `${names} ${never.length === 1 ? "has" : "have"} not been synced yet: sync ${
      never.length === 1 ? "it" : "them"
    } (Settings → Sync) to fetch the customers.`;
  }
  if (query) return `No customer matches “${query}”.`;
  return register ? "No customer in this register yet: add one." : "No customer here yet.";
}
