// The identifiers each provider's account needs (the one secret is asked for separately).
import type { CloverRegion, MerchantView } from "../../ipc/bindings";
export type ProviderName = "clover" | "process_out" | "assist" | "svea";

export const PROVIDERS: { name: ProviderName; label: string }[] = [
  { name: "clover", label: "Clover" },
  { name: "process_out", label: "ProcessOut" },
  { name: "assist", label: "Assist" },
  { name: "svea", label: "Svea" },
];

export interface AccountField {
  key: string;
  label: string;
  required: boolean;
}

export function accountFields(p: ProviderName): AccountField[] {
  switch (p) {
    case "clover":
      return [
        { key: "merchant_uuid", label: "Merchant id (mId)", required: true },
        { key: "pakms_key", label: "PAKMS key (public)", required: false },
      ];
    case "process_out":
      return [{ key: "project_id", label: "Project id (proj_…)", required: true }];
    case "assist":
      return [
        { key: "merchant_id", label: "Merchant_ID", required: true },
        { key: "login", label: "Login", required: true },
      ];
    case "svea":
      return [
        { key: "seller_id", label: "Seller id", required: true },
        { key: "key_generation", label: "Key generation", required: true },
      ];
  }
}

export function emptyAccount(p: ProviderName): Record<string, string> {
  const account: Record<string, string> = {};
  for (const f of accountFields(p)) account[f.key] = p === "svea" && f.key === "key_generation" ? "001" : "";
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
