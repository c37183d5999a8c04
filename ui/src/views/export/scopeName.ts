// The switcher's scope in words, for the export page ("All locations", the group, a merchant),
// and whose data it holds (live, the provider's test environment, Coffer's sandbox).
import type { MerchantView } from "../../ipc/bindings";
import { merchantsIn, type Scope } from "../../state/scope";
import { splitByKind, type EnvironmentKind } from "../../state/environment";

export function scopeName(scope: Scope, merchants: MerchantView[]): string {
  switch (scope.kind) {
    case "all":
      return "All locations";
    case "group": {
      const n = merchants.filter((m) => m.group === scope.group).length;
      return `${scope.group} (${n} ${n === 1 ? "location" : "locations"})`;
    }
    case "merchant":
      return merchants.find((m) => m.id === scope.id)?.name ?? `Merchant #${scope.id}`;
  }
}

/** Whose data an export of `scope` holds: live merchants' (named), the provider's test
 * environment's, Coffer's sandbox's, or a mix, said before the file is written. */
export function exportEnvironmentWords(scope: Scope, merchants: MerchantView[]): { kind: EnvironmentKind; words: string } | null {
  const { live, test, sandbox } = splitByKind(merchantsIn(scope, merchants));
  const names = (list: MerchantView[]) => list.map((m) => m.name).join(", ");
  const parts: string[] = [];
  if (live.length > 0) parts.push(`live merchants' data (real customers and cards): ${names(live)}`);
  if (test.length > 0) parts.push(`data of the provider's own test environment: ${names(test)}`);
  if (sandbox.length > 0) parts.push(`Coffer's sandbox data: ${names(sandbox)}`);
  if (parts.length === 0) return null;
  const kind: EnvironmentKind = live.length > 0 ? "live" : test.length > 0 ? "test" : "sandbox";
  return { kind, words: `This export holds ${parts.join("; and ")}.` };
}
