// The switcher's scope in words, for the export page ("All locations", the group, a merchant).
import type { MerchantView } from "../../ipc/bindings";
import type { Scope } from "../../state/scope";

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
