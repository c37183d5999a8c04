import { describe, expect, it } from "vitest";
import type { EnrollmentEvent, EnrollmentView } from "../src/ipc/bindings";
import { PROVIDERS } from "../src/ipc/bindings";
import { emptyForm } from "../src/views/contracts/terms";
import {
  defaultTerms,
  emptyEnrollForm,
  enrollmentActions,
  enrollmentStateLine,
  enrollRequest,
  linkRefusal,
  splitEnrollments,
} from "../src/views/enrollment/enrollment";
import { enrollmentEventNote } from "../src/state/enrollmentWindows";

const view: EnrollmentView = {
  id: 4,
  merchant_id: 1,
  merchant_name: "Clover Demo",
  provider: "Clover",
  customer_id: 9,
  customer_name: "Ada Lovelace",
  mode: "counter",
  state: "pending",
  amount: { minor: 1250, currency: "USD" },
  reason: "recurring",
  terms: "I agree",
  order_id: "ord-1",
  page_url: null,
  hosted_page: true,
  sent_to: null,
  returned: false,
  created_at: "2026-12-06T10:00:00Z",
  expires_at: "2026-12-06T10:30:00Z",
  settled_at: null,
  card_id: null,
  contract_id: null,
  replaces_for: null,
  failure: null,
  waiting_on: null,
};

describe("which provider can send an enrollment link", () => {
  it("follows each provider's reach from the bindings, giving a counter-only provider's own reason", () => {
    for (const p of PROVIDERS) {
      const refusal = linkRefusal(p.name);
      if (p.capabilities.enrollment.reach === "counter_only") expect(refusal).toBe(p.capabilities.enrollment.why);
      else expect(refusal).toBeNull();
    }
    // Clover's card fields are an iframe in a page the merchant hosts: counter only.
    expect(linkRefusal("clover")).toMatch(/iframe/);
    expect(linkRefusal("no-such-provider")).toMatch(/no hosted enrollment page/);
  });
});

describe("the enrollment dialog's request", () => {
  it("sends a new customer with empty fields dropped and no link address at the counter", () => {
    const form = { ...emptyEnrollForm(1), newName: " Ada ", newEmail: "ada@example.com", amount: "12.50", terms: "I agree", sendTo: "x@example.com" };
    const request = enrollRequest(form, null);
    expect(request).toMatchObject({
      merchant_id: 1,
      customer_id: null,
      new_customer: { name: "Ada", email: "ada@example.com", phone: null, reference: null },
      mode: "counter",
      send_to: null,
      amount: "12.50",
      contract: null,
      replaces_for: null,
    });
  });

  it("sends a known customer, a link address and the contract from the shared contract fields", () => {
    const form = { ...emptyEnrollForm(2, 9, 33), mode: "link" as const, sendTo: "ada@example.com", amount: "1", terms: "ok", withContract: true };
    const contract = { ...emptyForm("2026-12-06"), amount: "9.90", end: "2027-12-31" };
    const request = enrollRequest(form, contract);
    expect(request).toMatchObject({
      customer_id: 9,
      new_customer: null,
      send_to: "ada@example.com",
      replaces_for: 33,
      contract: { amount: "9.90", frequency: { kind: "monthly", day: 6 }, end: "2027-12-31" },
    });
  });

  it("names the field at fault before asking the engine", () => {
    expect(enrollRequest(emptyEnrollForm(null), null)).toMatchObject({ field: "merchant" });
    expect(enrollRequest(emptyEnrollForm(1), null)).toMatchObject({ field: "name" });
    expect(enrollRequest({ ...emptyEnrollForm(1, 9), terms: "ok" }, null)).toMatchObject({ field: "amount" });
    expect(enrollRequest({ ...emptyEnrollForm(1, 9), amount: "5", terms: "  " }, null)).toMatchObject({ field: "terms" });
    const contract = { ...emptyForm("2026-12-06"), amount: "" };
    expect(enrollRequest({ ...emptyEnrollForm(1, 9), amount: "5", terms: "ok", withContract: true }, contract)).toMatchObject({ field: "contract.amount" });
  });

  it("writes default consent words that name the merchant and what later charges are", () => {
    expect(defaultTerms("Shop", "recurring")).toMatch(/Shop.*recurring/);
    expect(defaultTerms("Shop", "unscheduled")).toMatch(/purchases/);
  });
});

describe("an enrollment's row", () => {
  it("says what a pending one waits for, and offers the window only at the counter", () => {
    expect(enrollmentStateLine(view)).toMatch(/counter/);
    expect(enrollmentActions(view)).toEqual({ check: true, cancel: true, pasteReturn: false, openWindow: true });
    const link = { ...view, mode: "link" as const, sent_to: "ada@example.com" };
    expect(enrollmentStateLine(link)).toMatch(/ada@example.com/);
    expect(enrollmentActions(link)).toMatchObject({ pasteReturn: true, openWindow: false });
    const waiting = { ...view, waiting_on: "paste the address the cardholder's browser returned to" };
    expect(enrollmentStateLine(waiting)).toMatch(/^Waiting: paste/);
    expect(enrollmentActions(waiting).pasteReturn).toBe(true);
  });

  it("says how a settled one ended and offers nothing on it", () => {
    const saved = { ...view, state: "confirmed" as const, card_id: 17, contract_id: 3 };
    expect(enrollmentStateLine(saved)).toBe("Card saved (card 17), contract 3");
    expect(enrollmentActions(saved)).toEqual({ check: false, cancel: false, pasteReturn: false, openWindow: false });
    expect(enrollmentStateLine({ ...view, state: "failed", failure: "declined" })).toBe("Failed: declined");
    const { pending, settled } = splitEnrollments([view, saved]);
    expect(pending.map((e) => e.id)).toEqual([4]);
    expect(settled.map((e) => e.state)).toEqual(["confirmed"]);
  });

  it("turns a counter window's events into words", () => {
    const returned: EnrollmentEvent = { kind: "returned", enrollment: { ...view, state: "confirmed", card_id: 17 } };
    expect(enrollmentEventNote(returned)).toBe("Enrollment 4: Card saved (card 17).");
    const failed: EnrollmentEvent = { kind: "check_failed", id: 4, error: { kind: "provider_unavailable", message: "timeout" } };
    expect(enrollmentEventNote(failed)).toMatch(/stays pending.*timeout|timeout.*stays pending/);
    expect(enrollmentEventNote({ kind: "closed", id: 4 })).toMatch(/closed before the page returned.*stays pending/);
  });
});

describe("a new register customer's address", () => {
  it("goes with the request when typed, and stays out when only the default country is there", () => {
    const base = { ...emptyEnrollForm(1), newName: "Ada", newReference: "C-1", amount: "5", terms: "ok" };
    expect(enrollRequest(base, null)).toMatchObject({ new_customer: { reference: "C-1", address: null } });
    const typed = { ...base, newAddress: { street: "Mannerheimintie 1", postal_code: "00100", city: "Helsinki", country: "FI" } };
    expect(enrollRequest(typed, null)).toMatchObject({
      new_customer: { address: { street: "Mannerheimintie 1", postal_code: "00100", city: "Helsinki", country: "FI" } },
    });
  });
});
