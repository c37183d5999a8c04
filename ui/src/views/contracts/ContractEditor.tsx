// The contract form: new terms on a card, or changed terms of a contract. The engine checks them
// against the provider's rules (Svea's cap and monthly limit, Assist's bounds, the notice lead
// time) and names the field at fault; what is typed stays in the form when it refuses. A change
// of terms is shown before it is saved: what changes, from which charge, the notice to the
// cardholder, and whether new consent or a new initial payment is needed before it is charged.
import { useState } from "react";
import type { CardView, ContractView, EditContractRequest, TermsChangeEffect } from "../../ipc/bindings";
import { api, CofferError } from "../../ipc/client";
import { brandName, maskedNumber } from "../../format/card";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ContractFields } from "./ContractFields";
import { editOf, emptyForm, formOf, isProblem, requestOf, type ContractForm, type FormProblem } from "./terms";

function todayIso(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** The engine's field names mapped to the form's inputs. */
const FIELD_INPUTS: Record<string, keyof ContractForm> = {
  amount: "amount",
  max_amount: "max",
  min_amount: "min",
  original_amount: "original",
  frequency: "every",
  "frequency.day": "every",
  "frequency.days": "every",
  start: "start",
  end: "end",
};

export function ContractEditor({
  card,
  contract,
  onDone,
  onCancel,
}: {
  card?: CardView;
  contract?: ContractView;
  onDone: (view: ContractView) => void;
  onCancel: () => void;
}) {
  const [form, setForm] = useState<ContractForm>(() => (contract ? formOf(contract) : emptyForm(todayIso())));
  const [reason, setReason] = useState("");
  const [problem, setProblem] = useState<FormProblem | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const [preview, setPreview] = useState<{ request: EditContractRequest; effect: TermsChangeEffect } | null>(null);

  const invalid = (key: keyof ContractForm) => (problem && FIELD_INPUTS[problem.field] === key) || problem?.field === key;

  const submit = async () => {
    setProblem(null);
    setError(null);
    const request = contract ? editOf(contract, form, reason) : requestOf(form, card?.id ?? 0);
    if (isProblem(request)) {
      setProblem(request);
      return;
    }
    setSaving(true);
    try {
      if ("card_id" in request) onDone(await api.createContract(request));
      // A change is shown first; saving it is a second, deliberate step.
      else setPreview({ request, effect: await api.previewContractEdit(request) });
    } catch (e) {
      if (e instanceof CofferError && e.kind === "invalid_input" && e.field) setProblem({ field: e.field, message: e.message });
      else setError(e);
    } finally {
      setSaving(false);
    }
  };

  const confirm = async () => {
    if (!preview) return;
    setSaving(true);
    setError(null);
    try {
      onDone(await api.editContract(preview.request));
    } catch (e) {
      setPreview(null);
      if (e instanceof CofferError && e.kind === "invalid_input" && e.field) setProblem({ field: e.field, message: e.message });
      else setError(e);
    } finally {
      setSaving(false);
    }
  };

  if (preview) {
    const effect = preview.effect;
    return (
      <section className="merchant-form contract-form" id="contract-preview" aria-labelledby="contract-preview-title">
        <h3 id="contract-preview-title">What changing contract {contract?.id} does</h3>
        <ul id="contract-preview-summary">
          {/* The wait is said below, in red, once. */}
          {effect.summary.slice(0, effect.summary.length - (effect.initial_needed ? 1 : 0) - (effect.consent_needed ? 1 : 0)).map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
        {effect.initial_needed ? (
          <p className="field-error" id="contract-preview-initial" role="alert">
            {effect.initial_needed}
          </p>
        ) : effect.consent_needed ? (
          <p className="field-error" id="contract-preview-consent" role="alert">
            {effect.consent_needed}
          </p>
        ) : null}
        <ErrorNotice error={error} onDismiss={() => setError(null)} />
        <div className="toolbar">
          <button type="button" className="primary" id="contract-confirm" disabled={saving} onClick={() => void confirm()}>
            {saving ? "Saving…" : effect.notice_to ? "Save and notify the cardholder" : "Save changes"}
          </button>
          <button type="button" id="contract-preview-back" disabled={saving} onClick={() => setPreview(null)}>
            Back to the terms
          </button>
        </div>
      </section>
    );
  }

  return (
    <form
      className="merchant-form contract-form"
      id="contract-form"
      aria-labelledby="contract-form-title"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h3 id="contract-form-title">
        {contract ? `Change the terms of contract ${contract.id}` : card ? `New contract on ${brandName(card.brand)} ${maskedNumber(card.last4)}` : "New contract"}
      </h3>
      <div className="form-grid">
        <ContractFields form={form} onChange={setForm} invalid={(key) => Boolean(invalid(key))} isNew={!contract} />
        {contract ? (
          <label className="field">
            <span>Why (kept in the history)</span>
            <input id="contract-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
          </label>
        ) : null}
      </div>
      {problem ? (
        <p className="field-error" id="contract-problem" role="alert" data-field={problem.field}>
          {problem.message}
        </p>
      ) : null}
      <ErrorNotice error={error} onDismiss={() => setError(null)} />
      {contract ? (
        <p className="muted">
          Before saving you see what the change does. The cardholder is sent a notice of it (what changes, from when, how to cancel); a higher amount
          is not charged until their new consent is recorded.
        </p>
      ) : (
        <p className="muted">
          The cardholder is sent a contract confirmation at once, and a notice before every charge at least the merchant's notice time ahead.
        </p>
      )}
      <div className="toolbar">
        <button type="submit" className="primary" id="contract-save" disabled={saving}>
          {saving ? (contract ? "Checking…" : "Saving…") : contract ? "Review the change…" : "Create contract"}
        </button>
        <button type="button" onClick={onCancel} disabled={saving}>
          Cancel
        </button>
      </div>
    </form>
  );
}
