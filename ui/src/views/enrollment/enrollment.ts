// The enrollment dialog's state and how it becomes a request, and the words of an enrollment's
// state: pure, tested in tests/enrollment.test.ts. Which provider can send a link comes from the
// provider's facts (`capabilities.enrollment`), never from its name; the engine checks the rest.
import type { EnrollmentMode, EnrollmentReach, EnrollmentView, Reason, StartEnrollmentRequest } from "../../ipc/bindings";
import { isProblem, requestOf, type ContractForm, type FormProblem } from "../contracts/terms";
import { providerFacts } from "../../state/providers";
import { addressForm, EMPTY_ADDRESS, type AddressFields } from "../../components/AddressInputs";

export interface EnrollForm {
  merchantId: number | null;
  /** A customer on record, or a new one (`null`). */
  customerId: number | null;
  newName: string;
  newEmail: string;
  newPhone: string;
  /** A register location's CustomerNumber for the new customer. */
  newReference: string;
  /** A register location's postal address for the new customer (Svea requires one). */
  newAddress: AddressFields;
  mode: EnrollmentMode;
  sendTo: string;
  amount: string;
  reason: Reason;
  terms: string;
  withContract: boolean;
  replacesFor: number | null;
}

export function emptyEnrollForm(merchantId: number | null, customerId: number | null = null, replacesFor: number | null = null): EnrollForm {
  return {
    merchantId,
    customerId,
    newName: "",
    newEmail: "",
    newPhone: "",
    newReference: "",
    newAddress: EMPTY_ADDRESS,
    mode: "counter",
    sendTo: "",
    amount: "",
    reason: "recurring",
    terms: "",
    withContract: false,
    replacesFor,
  };
}

/** Where the provider's page can be used; `undefined` for an unknown provider. */
export function reachOf(provider: string): EnrollmentReach | undefined {
  return providerFacts(provider)?.capabilities.enrollment;
}

/** Why a link cannot be sent for this provider (the provider's own reason), or `null` when it can. */
export function linkRefusal(provider: string): string | null {
  const reach = reachOf(provider);
  if (!reach) return "this provider has no hosted enrollment page";
  return reach.reach === "counter_only" ? reach.why : null;
}

/** The default consent text: what later charges are, in plain words. */
export function defaultTerms(merchantName: string, reason: Reason): string {
  const what =
    reason === "recurring"
      ? "recurring charges under the agreed contract"
      : reason === "installment"
        ? "the agreed installments"
        : "later charges for purchases I make";
  return `I authorize ${merchantName} to save this card and charge it for ${what} without me present, until I cancel.`;
}

function blank(text: string): string | null {
  const t = text.trim();
  return t ? t : null;
}

/** The request, or the first problem with what was typed. */
export function enrollRequest(form: EnrollForm, contract: ContractForm | null): StartEnrollmentRequest | FormProblem {
  if (form.merchantId === null) return { field: "merchant", message: "choose the merchant the card is saved with" };
  if (form.customerId === null && !blank(form.newName)) return { field: "name", message: "choose a customer, or give the new customer's name" };
  if (!blank(form.amount)) return { field: "amount", message: "give the initial payment's amount" };
  if (!blank(form.terms)) return { field: "terms", message: "the cardholder needs the consent text they accept" };
  let contractRequest: StartEnrollmentRequest["contract"] = null;
  if (form.withContract && contract) {
    const made = requestOf(contract, 0);
    if (isProblem(made)) return { field: `contract.${made.field}`, message: made.message };
    contractRequest = {
      amount: made.amount,
      max_amount: made.max_amount,
      min_amount: made.min_amount,
      original_amount: made.original_amount,
      frequency: made.frequency,
      start: made.start,
      end: made.end,
    };
  }
  return {
    merchant_id: form.merchantId,
    customer_id: form.customerId,
    new_customer:
      form.customerId === null
        ? { name: form.newName.trim(), email: blank(form.newEmail), phone: blank(form.newPhone), reference: blank(form.newReference), address: addressForm(form.newAddress) }
        : null,
    mode: form.mode,
    send_to: form.mode === "link" ? blank(form.sendTo) : null,
    amount: form.amount.trim(),
    reason: form.reason,
    terms: form.terms.trim(),
    contract: contractRequest,
    replaces_for: form.replacesFor,
  };
}

/** One line on where an enrollment stands, for its row. */
export function enrollmentStateLine(e: EnrollmentView): string {
  switch (e.state) {
    case "pending":
      if (e.waiting_on) return `Waiting: ${e.waiting_on}`;
      if (e.returned) return "Returned from the page; the provider has not confirmed it yet";
      return e.mode === "link" ? `Link sent${e.sent_to ? ` to ${e.sent_to}` : ""}; waiting for the cardholder` : "Waiting for the cardholder at the counter";
    case "confirmed":
      return e.failure ? `Card saved (card ${e.card_id}); ${e.failure}` : `Card saved (card ${e.card_id})${e.contract_id ? `, contract ${e.contract_id}` : ""}`;
    case "failed":
      return `Failed: ${e.failure ?? "the provider refused it"}`;
    case "expired":
      return `Expired: ${e.failure ?? "nobody finished the page in time"}`;
    case "cancelled":
      return `Cancelled: ${e.failure ?? "withdrawn"}`;
  }
}

/** What the owner may do with an enrollment. */
export function enrollmentActions(e: EnrollmentView): { check: boolean; cancel: boolean; pasteReturn: boolean; openWindow: boolean } {
  const pending = e.state === "pending";
  return {
    check: pending,
    cancel: pending,
    // A link's cardholder lands on the merchant's page; the owner may hand its address over.
    pasteReturn: pending && (e.mode === "link" || e.waiting_on !== null),
    openWindow: pending && e.mode === "counter",
  };
}

/** Pending first, then the settled ones; newest first in each (the engine lists newest first). */
export function splitEnrollments(list: EnrollmentView[]): { pending: EnrollmentView[]; settled: EnrollmentView[] } {
  return { pending: list.filter((e) => e.state === "pending"), settled: list.filter((e) => e.state !== "pending") };
}
