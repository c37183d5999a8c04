// The identifiers each provider's account needs (the one secret is asked for separately), as
// Rust's coffer_core::providers lists them.
import type { CloverRegion, MerchantView, ProviderKind } from "../../ipc/bindings";
import { providerFacts, providers } from "../../state/providers";

export type ProviderName = ProviderKind;

export const PROVIDERS: { name: ProviderName; label: string }[] = providers.map((p) => ({ name: p.provider, label: p.label }));

/** A new merchant's form starts at the first provider of the list. */
export const DEFAULT_PROVIDER: ProviderName = PROVIDERS[0].name;

export interface AccountField {
  key: string;
  label: string;
  required: boolean;
}

export function accountFields(p: ProviderName): AccountField[] {
  return (providerFacts(p)?.account_fields ?? []).map((f) => ({ key: f.key, label: f.label, required: f.required }));
}

export function emptyAccount(p: ProviderName): Record<string, string> {
  const account: Record<string, string> = {};
  for (const f of providerFacts(p)?.account_fields ?? []) account[f.key] = f.default;
  return account;
}

/** The environment as the owner picks it: Coffer's emulator, the provider's test environment, or
 * its production servers ("test" and "live" are both stored as live; the stage tells them apart). */
export type EnvironmentChoice = "sandbox" | "test" | "live";

export function environmentChoice(m: MerchantView): EnvironmentChoice {
  if (m.environment === "sandbox") return "sandbox";
  return m.stage === "test" ? "test" : "live";
}

export function environmentLabel(m: MerchantView): string {
  if (m.environment === "sandbox") return m.embedded ? "Sandbox (built-in)" : "Sandbox";
  if (m.host_override) return "Live (overridden host)";
  const region = m.region && m.region !== "north_america" ? `, ${REGIONS.find((r) => r.name === m.region)?.label ?? m.region}` : "";
  return (m.stage === "test" ? "Provider test" : "Live") + region;
}

export const REGIONS: { name: CloverRegion; label: string }[] = [
  { name: "north_america", label: "North America" },
  { name: "europe", label: "Europe" },
  { name: "latin_america", label: "Latin America" },
];
