// What the charge dialog shows, as pure functions: the policy verdict rule by rule, the
// stored-credential flags in words, and the outcome of a charge. Tested in tests/charge.test.ts.
import type { ChargePreview, ChargeResult, StoredCredential, ViolationView } from "../../ipc/bindings";
import { formatInstant } from "../../format/time";
import { formatMoney } from "../../format/money";

/** A store owner's name for each policy rule (the engine's stable codes). */
export const RULE_LABELS: Record<string, string> = {
  consent_and_initial: "Consent and initial transaction on file",
  card_usable: "Card active and not expired",
  card_of_merchant: "Card belongs to this merchant",
  amount_valid: "Amount above zero, in the merchant's currency",
  contract_active: "Contracts: active, within their dates, no period paid twice",
  contract_amount: "Amount within the contract",
  notice_sent: "Cardholder notified in time",
  svea_monthly: "Svea: one recurring charge a month, at most the original amount",
  assist_bounds: "Assist: within the agreed amounts, interval and end date",
  assist_recurring_initial: "Assist: the initial payment registered recurring charges (not One Click)",
  no_retry_after_hard_decline: "No retry after a hard decline",
  network_retry_limits: "Within the card networks' retry limits",
  no_unsettled_attempt: "No earlier charge still waiting for its answer",
  svea_buyer_address: "Svea: the customer's street address, postal code, city and country on file",
  terms_consented: "Within what the cardholder consented to (and the initial payment allows)",
};

export function ruleLabel(rule: string): string {
  return RULE_LABELS[rule] ?? rule.replace(/_/g, " ");
}

export interface RuleVerdict {
  rule: string;
  label: string;
  ok: boolean;
  /** Why it fails, and from when it would pass, for the broken ones. */
  reasons: string[];
}

/** Every rule the engine judged the charge by, passed or broken, in the engine's order; a
 *  broken rule the list did not name is added at the end, so no refusal is ever hidden. */
export function ruleVerdicts(rulesChecked: string[], violations: ViolationView[]): RuleVerdict[] {
  const reasons = (rule: string) =>
    violations
      .filter((v) => v.rule === rule)
      .map((v) => (v.allowed_after ? `${v.message} (allowed from ${formatInstant(v.allowed_after)})` : v.message));
  const rules = [...rulesChecked, ...violations.map((v) => v.rule).filter((r) => !rulesChecked.includes(r))];
  return [...new Set(rules)].map((rule) => {
    const why = reasons(rule);
    return { rule, label: ruleLabel(rule), ok: why.length === 0, reasons: why };
  });
}

export interface FlagRow {
  /** The network's term. */
  name: string;
  value: string;
  /** What it tells the issuer. */
  meaning: string;
}

/** The exact stored-credential flags, with what each tells the issuer. */
export function flagRows(flags: StoredCredential): FlagRow[] {
  return [
    {
      name: "Sequence",
      value: flags.sequence,
      meaning: flags.sequence === "subsequent" ? "a later use of a card stored earlier" : "the first use, storing the card",
    },
    {
      name: "Initiator",
      value: flags.initiator,
      meaning: flags.initiator === "merchant" ? "merchant-initiated (MIT): the cardholder is not present" : "cardholder-initiated (CIT)",
    },
    { name: "Reason", value: flags.reason, meaning: REASONS[flags.reason] ?? flags.reason },
    { name: "Scheduled", value: flags.scheduled ? "yes" : "no", meaning: flags.scheduled ? "part of an agreed schedule" : "not on a schedule" },
    {
      name: "Initial transaction",
      value: flags.initial_ref ?? "none",
      meaning: flags.initial_ref ? "the cardholder-initiated transaction this charge points to" : "missing: issuers may decline an unlinked MIT",
    },
  ];
}

const REASONS: Record<string, string> = {
  unscheduled: "unscheduled card on file (a one-off charge)",
  recurring: "a recurring subscription charge",
  installment: "an installment of one purchase",
};

export type Tone = "ok" | "warn" | "bad";

export interface Outcome {
  tone: Tone;
  title: string;
  lines: string[];
}

/** The result of a charge, in plain words. */
export function outcomeOf(result: ChargeResult): Outcome {
  const amount = formatMoney(result.amount);
  const ref = result.provider_ref ? [`Provider reference: ${result.provider_ref}`] : [];
  const warnings = result.warnings.map((w) => `Provider warning: ${w}`);
  const replay = result.replayed ? ["This is the answer to the same request made earlier: nothing was charged again."] : [];
  switch (result.status) {
    case "succeeded":
      return { tone: warnings.length ? "warn" : "ok", title: `Approved: ${amount}`, lines: [...ref, ...warnings, ...replay] };
    case "declined":
      return {
        tone: "bad",
        title: `Declined: ${amount}`,
        lines: [
          result.message ?? "The issuer declined the charge.",
          ...(result.decline_code ? [`Decline code: ${result.decline_code}`] : []),
          result.hard_decline
            ? "A hard decline: this card is never charged again."
            : `A soft decline. ${result.next_try ?? "The card's status says when it may be tried again."}`,
          ...ref,
          ...replay,
        ],
      };
    case "refused":
      return {
        tone: "bad",
        title: "Refused before anything was sent",
        lines: result.violations.map((v) => `${ruleLabel(v.rule)}: ${v.message}`),
      };
    case "sending":
      return {
        tone: "warn",
        title: "Outcome unknown",
        lines: [result.message ?? "The provider's answer was lost; reconcile settles it. The card is not charged again until then.", ...replay],
      };
    default:
      return { tone: "bad", title: "Not charged", lines: [result.message ?? "The charge failed without moving money.", ...ref] };
  }
}

/** Whether the owner may confirm: a preview exists and no rule refuses it. */
export function canConfirm(preview: ChargePreview | null): boolean {
  return preview !== null && preview.violations.length === 0;
}
