import { describe, expect, it } from "vitest";
import type { ContractView } from "../src/ipc/bindings";
import { actionsFor, canUnskip, doneNote, editOf, emptyForm, formOf, isProblem, noticeKindWords, requestOf } from "../src/views/contracts/terms";

const contract: ContractView = {
  id: 7,
  merchant_id: 1,
  card_id: 3,
  amount: { kind: "fixed", amount: { minor: 990, currency: "EUR" } },
  original_amount: { minor: 1990, currency: "EUR" },
  frequency: { kind: "monthly", day: 15 },
  start: "2026-12-15",
  end: null,
  status: "active",
  terms_accepted_at: "2026-12-01T10:00:00Z",
  confirmation_sent_at: null,
  merchant_name: "Svea Demo Helsinki",
  customer_id: 7,
  customer_name: "Anna",
  card: "visa ending 4242",
  frequency_words: "every month on day 15",
  amount_words: "9.90 EUR",
  next_due: "2026-12-15",
  reenroll: null,
  consented_max: { minor: 990, currency: "EUR" },
  registered_max: null,
  consent_needed: null,
  initial_needed: null,
};

describe("the contract form", () => {
  it("starts monthly on today's day of the month", () => {
    const form = emptyForm("2026-12-02");
    expect(form.frequency).toBe("monthly");
    expect(form.every).toBe("2");
  });

  it("builds a fixed monthly request", () => {
    const request = requestOf({ ...emptyForm("2026-12-02"), amount: "9.90", every: "15", start: "2026-12-10" }, 3);
    expect(isProblem(request)).toBe(false);
    expect(request).toMatchObject({
      card_id: 3,
      amount: "9.90",
      max_amount: null,
      frequency: { kind: "monthly", day: 15 },
      start: "2026-12-10",
      end: null,
    });
  });

  it("builds a varying yearly request with its bounds", () => {
    const request = requestOf(
      { ...emptyForm("2026-12-02"), amountKind: "variable", max: "50", min: "5", frequency: "yearly", every: "03-15" },
      3,
    );
    expect(request).toMatchObject({ amount: null, max_amount: "50", min_amount: "5", frequency: { kind: "yearly", month: 3, day: 15 } });
  });

  it("names the field of what is missing or malformed", () => {
    const form = emptyForm("2026-12-02");
    expect(requestOf(form, 3)).toEqual({ field: "amount", message: "give the amount of each charge" });
    expect(requestOf({ ...form, amount: "1", every: "32" }, 3)).toMatchObject({ field: "every" });
    expect(requestOf({ ...form, amount: "1", frequency: "yearly", every: "15/03" }, 3)).toMatchObject({ field: "every" });
    expect(requestOf({ ...form, amount: "1", frequency: "every_days", every: "0" }, 3)).toMatchObject({ field: "every" });
    expect(requestOf({ ...form, amountKind: "variable" }, 3)).toMatchObject({ field: "max_amount" });
  });
});

describe("editing a contract", () => {
  it("fills the form with the contract's terms", () => {
    const form = formOf(contract);
    expect(form).toMatchObject({ amountKind: "fixed", amount: "9.90", original: "19.90", frequency: "monthly", every: "15", end: "" });
  });

  it("sends only what changed", () => {
    const unchanged = editOf(contract, formOf(contract), "");
    expect(unchanged).toMatchObject({ amount: null, frequency: null, end: null, remove_end: false, reason: null });
    const cheaper = editOf(contract, { ...formOf(contract), amount: "8.90" }, "loyalty discount");
    expect(cheaper).toMatchObject({ id: 7, amount: "8.90", frequency: null, reason: "loyalty discount" });
    const ending = editOf(contract, { ...formOf(contract), end: "2027-06-30" }, "");
    expect(ending).toMatchObject({ end: "2027-06-30", remove_end: false });
    const open = editOf({ ...contract, end: "2027-06-30" }, { ...formOf({ ...contract, end: "2027-06-30" }), end: "" }, "");
    expect(open).toMatchObject({ end: null, remove_end: true });
  });

  it("offers only the actions the status allows", () => {
    expect(actionsFor("active")).toEqual({ pause: true, resume: false, cancel: true, edit: true });
    expect(actionsFor("paused")).toEqual({ pause: false, resume: true, cancel: true, edit: true });
    expect(actionsFor("cancelled")).toEqual({ pause: false, resume: false, cancel: false, edit: false });
  });
});

describe("what a change of terms and an action did", () => {
  it("says the engine's sentences, the change's summary and a notice that failed", () => {
    expect(doneNote(contract, "Paused.")).toBe("Paused.");
    const paused = { ...contract, done: ["Paused: nothing is charged until the contract is resumed. Undo: resume it."] };
    expect(doneNote(paused, "Paused.")).toBe("Paused: nothing is charged until the contract is resumed. Undo: resume it.");
    const edited: ContractView = {
      ...contract,
      terms_change: {
        changes: [{ term: "amount", before: "9.90 EUR", after: "12.90 EUR" }],
        effective_occurrence: 1,
        effective_from: "2026-12-15",
        cancelled_charges: [],
        notice_to: "anna@example.com",
        consent_needed: "new consent needed: consented up to 9.90 EUR, contract now 12.90 EUR",
        initial_needed: null,
        summary: ["Changes: amount 9.90 EUR -> 12.90 EUR."],
      },
      notice_error: "SMTP down",
    };
    expect(doneNote(edited, "x")).toBe("Changes: amount 9.90 EUR -> 12.90 EUR. A notice could not be sent: SMTP down");
  });

  it("names every kind of notice", () => {
    expect(noticeKindWords("terms_change")).toBe("change of terms");
    expect(noticeKindWords("charge_cancelled")).toBe("charge cancelled");
    expect(noticeKindWords("pre_charge")).toBe("before a charge");
  });

  it("offers undo of a skip only while the cardholder was not told and it is not past", () => {
    const skipped = { state: "cancelled", notice_sent_at: null, due: "2026-12-15" };
    expect(canUnskip(skipped, "2026-12-10")).toBe(true);
    expect(canUnskip({ ...skipped, notice_sent_at: "2026-12-09T10:00:00Z" }, "2026-12-10")).toBe(false);
    expect(canUnskip(skipped, "2026-12-16")).toBe(false);
    expect(canUnskip({ ...skipped, state: "scheduled" }, "2026-12-10")).toBe(false);
  });
});
