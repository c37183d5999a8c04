import type { MerchantView } from "../ipc/bindings";
import { groupMerchants, parseScope, scopeKey, type Scope } from "../state/scope";

/** A native select: keyboard reachable, and screen readers announce groups. */
export function MerchantSwitcher({
  merchants,
  scope,
  onChange,
}: {
  merchants: MerchantView[];
  scope: Scope;
  onChange: (s: Scope) => void;
}) {
  const { groups, ungrouped } = groupMerchants(merchants);
  return (
    <label className="switcher">
      <span className="switcher-label">Location</span>
      <select id="merchant-switcher" value={scopeKey(scope)} onChange={(e) => onChange(parseScope(e.target.value))}>
        <option value="all">All merchants ({merchants.length})</option>
        {groups.map(([group, list]) => (
          <optgroup key={group} label={group}>
            <option value={`group:${group}`}>All of {group} ({list.length})</option>
            {list.map((m) => (
              <option key={m.id} value={`merchant:${m.id}`}>
                {m.name}
              </option>
            ))}
          </optgroup>
        ))}
        {ungrouped.length > 0 ? (
          <optgroup label="Other">
            {ungrouped.map((m) => (
              <option key={m.id} value={`merchant:${m.id}`}>
                {m.name}
              </option>
            ))}
          </optgroup>
        ) : null}
      </select>
    </label>
  );
}
