// The connection check in the owner's words: passed, or which field the provider says is wrong.
import type { AccountField, MerchantTest } from "../../ipc/bindings";
import { providers } from "../../state/providers";

/** The names the merchant form shows, for the fields a failed check can blame; an account field
 *  not named here takes its label from the provider facts, so a new provider needs no edit. */
const FIELD_LABELS: Record<string, string> = {
  secret: "Secret",
  base_url: "API base URL",
  merchant_uuid: "Merchant id (mId)",
  project_id: "Project id",
  merchant_id: "Merchant_ID",
  seller_id: "Seller id",
  login: "Login",
};

/** The form's name for a field the check blames, or the provider's own name for it. */
export function fieldLabel(field: string): string {
  const fields: readonly AccountField[] = providers.flatMap((p): readonly AccountField[] => p.account_fields);
  return FIELD_LABELS[field] ?? fields.find((f) => f.key === field)?.label ?? field;
}

/** A short label for the merchant table: "Connected", or "Check failed: <field>". */
export function testLabel(test: MerchantTest): string {
  if (test.ok) return "Connected";
  return test.field ? `Check failed: ${fieldLabel(test.field)}` : "Check failed";
}

/** One sentence for the status line: what the provider said, without the field prefix the
 *  message carries for the CLI (the field is shown beside it). */
export function testDetail(name: string, test: MerchantTest): string {
  if (test.ok) return `${name}: ${test.message}.`;
  const prefix = test.field ? `${test.field}: ` : "";
  const rule = prefix && test.message.startsWith(prefix) ? test.message.slice(prefix.length) : test.message;
  return `${name}: ${rule}`;
}
