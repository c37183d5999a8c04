// The merchant/location switcher's choice: every merchant, one group of locations, or one
// location. Encoded as a string for a <select>.
import type { MerchantView } from "../ipc/bindings";
import { providerFacts } from "./providers";

export type Scope = { kind: "all" } | { kind: "group"; group: string } | { kind: "merchant"; id: number };

export function scopeKey(s: Scope): string {
  switch (s.kind) {
    case "all":
      return "all";
    case "group":
      return `group:${s.group}`;
    case "merchant":
      return `merchant:${s.id}`;
  }
}

export function parseScope(key: string): Scope {
  if (key.startsWith("group:")) return { kind: "group", group: key.slice(6) };
  if (key.startsWith("merchant:")) {
    const id = Number(key.slice(9));
    if (Number.isInteger(id)) return { kind: "merchant", id };
  }
  return { kind: "all" };
}

/** The request fields of a scope. */
export function scopeFilter(s: Scope): { merchant_id: number | null; group: string | null } {
  return {
    merchant_id: s.kind === "merchant" ? s.id : null,
    group: s.kind === "group" ? s.group : null,
  };
}

/** The merchants a scope covers. */
export function merchantsIn(s: Scope, merchants: MerchantView[]): MerchantView[] {
  switch (s.kind) {
    case "all":
      return merchants;
    case "group":
      return merchants.filter((m) => m.group === s.group);
    case "merchant":
      return merchants.filter((m) => m.id === s.id);
  }
}

/** The one location of a scope whose customer register Coffer keeps (its provider lists no
 * customers of its own: Assist, Svea), or null. */
export function registerOwner(s: Scope, merchants: MerchantView[]): MerchantView | null {
  if (s.kind !== "merchant") return null;
  const m = merchants.find((x) => x.id === s.id);
  return m && providerFacts(m.provider)?.capabilities.lists_customers === false ? m : null;
}

/** Groups in first-seen order, and the merchants without a group. */
export function groupMerchants(merchants: MerchantView[]): { groups: [string, MerchantView[]][]; ungrouped: MerchantView[] } {
  const groups = new Map<string, MerchantView[]>();
  const ungrouped: MerchantView[] = [];
  for (const m of merchants) {
    if (m.group) {
      const list = groups.get(m.group) ?? [];
      list.push(m);
      groups.set(m.group, list);
    } else ungrouped.push(m);
  }
  return { groups: [...groups.entries()], ungrouped };
}

/** True while every merchant in scope talks to a sandbox (and at least one is in scope): only then
 * may the app say that no real money moves. A mixed view is not a sandbox. */
export function isSandbox(s: Scope, merchants: MerchantView[]): boolean {
  const inView = merchantsIn(s, merchants);
  return inView.length > 0 && inView.every((m) => m.environment === "sandbox");
}

/** The merchants in scope whose live secret the owner let go to a host that is not the
 * provider's own (an audited override): the app keeps them marked while they are in view. */
export function overriddenIn(s: Scope, merchants: MerchantView[]): MerchantView[] {
  return merchantsIn(s, merchants).filter((m) => m.host_override !== null);
}
