// The identifiers each provider's account needs (the one secret is asked for separately).
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
