// The contract form's state and how it becomes a request: pure, tested in tests/contracts.test.ts.
// The engine checks the terms against the provider's rules; this only shapes what was typed.
import type { ContractView, CreateContractRequest, EditContractRequest, Frequency, Money, NoticeKind } from "../../ipc/bindings";
import { decimalString } from "../../format/money";

export type AmountKind = "fixed" | "variable";
export type FrequencyKind = Frequency["kind"];

export interface ContractForm {
  amountKind: AmountKind;
  amount: string;
  max: string;
  min: string;
  original: string;
  frequency: FrequencyKind;
  /** Day of month (monthly), "MM-DD" (yearly) or a number of days. */
  every: string;
  start: string;
  end: string;
}

export function emptyForm(today: string): ContractForm {
  const day = Number(today.slice(8, 10)) || 1;
  return { amountKind: "fixed", amount: "", max: "", min: "", original: "", frequency: "monthly", every: String(day), start: "", end: "" };
}

/** A form problem: the field and the rule, as the engine reports its own. */
export interface FormProblem {
  field: string;
  message: string;
}

function blank(text: string): string | null {
  const t = text.trim();
  return t ? t : null;
}

export function frequencyOf(form: ContractForm): Frequency | FormProblem {
  const text = form.every.trim();
  switch (form.frequency) {
    case "monthly": {
      const day = Number(text);
      if (!Number.isInteger(day) || day < 1 || day > 31) return { field: "every", message: "day of the month must be 1 to 31" };
      return { kind: "monthly", day };
    }
    case "yearly": {
      const m = /^(\d{1,2})-(\d{1,2})$/.exec(text);
      if (!m) return { field: "every", message: "write the yearly date as MM-DD, e.g. 03-15" };
      return { kind: "yearly", month: Number(m[1]), day: Number(m[2]) };
    }
    case "every_days": {
      const days = Number(text);
      if (!Number.isInteger(days) || days < 1) return { field: "every", message: "the interval must be a whole number of days, at least 1" };
      return { kind: "every_days", days };
    }
  }
}

/** The request for `card`, or the first problem with what was typed. */
export function requestOf(form: ContractForm, card: number): CreateContractRequest | FormProblem {
  const frequency = frequencyOf(form);
  if ("field" in frequency) return frequency;
  if (form.amountKind === "fixed" && !blank(form.amount)) return { field: "amount", message: "give the amount of each charge" };
  if (form.amountKind === "variable" && !blank(form.max)) return { field: "max_amount", message: "give the largest amount a charge may have" };
  return {
    card_id: card,
    amount: form.amountKind === "fixed" ? blank(form.amount) : null,
    max_amount: form.amountKind === "variable" ? blank(form.max) : null,
    min_amount: form.amountKind === "variable" ? blank(form.min) : null,
    original_amount: blank(form.original),
    frequency,
    start: blank(form.start),
    end: blank(form.end),
  };
}

export function isProblem<T extends object>(value: T | FormProblem): value is FormProblem {
  return "field" in value && "message" in value;
}

/** The form filled from a contract, for editing its terms. */
export function formOf(contract: ContractView): ContractForm {
  const text = (m: Money | null | undefined) => (m ? decimalString(m.minor, m.currency) : "");
  const amount = contract.amount;
  const f = contract.frequency;
  const every =
    f.kind === "monthly"
      ? String(f.day)
      : f.kind === "yearly"
        ? `${String(f.month).padStart(2, "0")}-${String(f.day).padStart(2, "0")}`
        : String(f.days);
  return {
    amountKind: amount.kind,
    amount: amount.kind === "fixed" ? text(amount.amount) : "",
    max: amount.kind === "variable" ? text(amount.max) : "",
    min: amount.kind === "variable" ? text(amount.min) : "",
    original: text(contract.original_amount),
    frequency: f.kind,
    every,
    start: contract.start,
    end: contract.end ?? "",
  };
}

/** The changes between a contract and the edited form, as an edit request. */
export function editOf(contract: ContractView, form: ContractForm, reason: string): EditContractRequest | FormProblem {
  const before = formOf(contract);
  const frequency = frequencyOf(form);
  if ("field" in frequency) return frequency;
  const changedAmounts =
    form.amountKind !== before.amountKind || form.amount !== before.amount || form.max !== before.max || form.min !== before.min;
  if (changedAmounts && form.amountKind === "fixed" && !blank(form.amount)) return { field: "amount", message: "give the amount of each charge" };
  if (changedAmounts && form.amountKind === "variable" && !blank(form.max)) return { field: "max_amount", message: "give the largest amount a charge may have" };
  const changedFrequency = form.frequency !== before.frequency || form.every.trim() !== before.every;
  return {
    id: contract.id,
    amount: changedAmounts && form.amountKind === "fixed" ? blank(form.amount) : null,
    max_amount: changedAmounts && form.amountKind === "variable" ? blank(form.max) : null,
    min_amount: changedAmounts && form.amountKind === "variable" ? blank(form.min) : null,
    frequency: changedFrequency ? frequency : null,
    end: form.end !== before.end && blank(form.end) ? blank(form.end) : null,
    remove_end: before.end !== "" && !blank(form.end),
    reason: blank(reason),
  };
}

/** Status words and whether each action applies. */
export function actionsFor(status: ContractView["status"]): { pause: boolean; resume: boolean; cancel: boolean; edit: boolean } {
  return {
    pause: status === "active",
    resume: status === "paused",
    cancel: status === "active" || status === "paused",
    edit: status === "active" || status === "paused",
  };
}

/** A notice's kind in the owner's words. */
export function noticeKindWords(kind: NoticeKind): string {
  switch (kind) {
    case "confirmation":
      return "contract confirmation";
    case "pre_charge":
      return "before a charge";
    case "cancellation":
      return "contract cancelled";
    case "terms_change":
      return "change of terms";
    case "charge_cancelled":
      return "charge cancelled";
  }
}

/** What an action did, in the engine's sentences, else `fallback`; a notice that could not be
 * sent is always said. */
export function doneNote(view: ContractView, fallback: string): string {
  const lines = [...(view.done ?? []), ...(view.terms_change?.summary ?? [])];
  const text = lines.length > 0 ? lines.join(" ") : fallback;
  return view.notice_error ? `${text} A notice could not be sent: ${view.notice_error}` : text;
}

/** What each button does before it is pressed, and how it is undone. */
export const ACTION_HELP = {
  pause: "Nothing is charged until you resume. A charge already announced to the cardholder is cancelled and they are told. Undo: Resume.",
  resume: "Charges continue from the next date; those that fell due while paused are not made. The next charge is announced to the cardholder. Undo: Pause.",
  skip: "This charge is not made. If the cardholder was told of it, they are sent a cancellation and it stays skipped; otherwise Undo skip brings it back.",
  unskip: "The charge is scheduled again and announced to the cardholder like any other.",
} as const;

/** Whether a cancelled occurrence can still be un-skipped: never announced, not yet due. */
export function canUnskip(o: { state: string; notice_sent_at: string | null; due: string }, today: string): boolean {
  return o.state === "cancelled" && !o.notice_sent_at && o.due >= today;
}
