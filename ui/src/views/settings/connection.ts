// The connection check in the owner's words: passed, or which field the provider says is wrong.
import type { MerchantTest } from "../../ipc/bindings";

/** The names the merchant form shows, for the fields a failed check can blame. */
const FIELD_LABELS: Record<string, string> = {
  secret: "Secret",
  base_url: "API base URL",
  merchant_uuid: "Merchant id (mId)",
  project_id: "Project id",
  merchant_id: "Merchant_ID",
  seller_id: "Seller id",
  login: "Login",
};

/** A short label for the merchant table: "Connected", or "Check failed: <field>". */
export function testLabel(test: MerchantTest): string {
  if (test.ok) return "Connected";
  return test.field ? `Check failed: ${FIELD_LABELS[test.field] ?? test.field}` : "Check failed";
}

/** One sentence for the status line: what was checked and what the provider said. */
export function testDetail(name: string, test: MerchantTest): string {
  return test.ok ? `${name}: ${test.message}.` : `${name}: ${test.message}`;
}
