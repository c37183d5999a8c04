// "Enroll a card": a new card saved through the provider's own page, with the cardholder's
// consent and, optionally, the contract made on it. At the counter the page opens in an app window
// on this screen; by link it goes to the cardholder by the merchant's notices channel. A provider
// whose card fields need a page the merchant hosts offers the counter only and says why.
import { useEffect, useState } from "react";
import type { CustomerListRow, EnrollmentView, MerchantView, Reason } from "../../ipc/bindings";
import { api, CofferError } from "../../ipc/client";
import { Modal } from "../../components/Modal";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ContractFields } from "../contracts/ContractFields";
import { AddressInputs } from "../../components/AddressInputs";
import { emptyForm, type ContractForm, type FormProblem } from "../contracts/terms";
import { can, providerLabel } from "../../state/providers";
import { openEnrollmentWindow } from "../../state/enrollmentWindows";
import { defaultTerms, emptyEnrollForm, enrollRequest, linkRefusal, type EnrollForm } from "./enrollment";

function todayIso(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

const CONTRACT_INPUTS: Record<string, keyof ContractForm> = {
  "contract.amount": "amount",
  "contract.max_amount": "max",
  "contract.min_amount": "min",
  "contract.original_amount": "original",
  "contract.frequency": "every",
  "contract.every": "every",
  "contract.max": "max",
  "contract.start": "start",
  "contract.end": "end",
};

export function EnrollDialog({
  merchants,
  merchantId,
  customer,
  replacesFor,
  onDone,
  onClose,
}: {
  merchants: MerchantView[];
  merchantId: number | null;
  /** The customer, when opened from their page or a contract. */
  customer?: { id: number; name: string };
  /** The contract whose card this replaces (an Assist "re-enroll"). */
  replacesFor?: number;
  onDone: (view: EnrollmentView) => void;
  onClose: () => void;
}) {
  const [form, setForm] = useState<EnrollForm>(() => emptyEnrollForm(merchantId ?? merchants[0]?.id ?? null, customer?.id ?? null, replacesFor ?? null));
  const [contract, setContract] = useState<ContractForm>(() => emptyForm(todayIso()));
  const [search, setSearch] = useState("");
  const [found, setFound] = useState<CustomerListRow[]>([]);
  const [picked, setPicked] = useState<string | null>(customer?.name ?? null);
  const [problem, setProblem] = useState<FormProblem | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const merchant = merchants.find((m) => m.id === form.merchantId) ?? null;
  const refusal = merchant ? linkRefusal(merchant.provider) : null;
  const fixedCustomer = customer !== undefined;

  // A customer search within the chosen merchant, as the owner types.
  useEffect(() => {
    if (fixedCustomer || form.merchantId === null || search.trim().length < 2) {
      setFound([]);
      return;
    }
    let live = true;
    api
      .searchCustomers({ merchant_id: form.merchantId, group: null, text: search.trim(), order: "name", limit: 20, offset: null })
      .then((rows) => live && setFound(rows))
      .catch((e) => live && setError(e));
    return () => {
      live = false;
    };
  }, [search, form.merchantId, fixedCustomer]);

  // The consent text follows the merchant and the reason until the owner writes their own.
  const [termsEdited, setTermsEdited] = useState(false);
  useEffect(() => {
    if (!termsEdited && merchant) setForm((f) => ({ ...f, terms: defaultTerms(merchant.name, f.reason) }));
  }, [merchant, form.reason, termsEdited]);

  // A counter-only provider cannot send a link.
  useEffect(() => {
    if (refusal && form.mode === "link") setForm((f) => ({ ...f, mode: "counter" }));
  }, [refusal, form.mode]);

  const set = <K extends keyof EnrollForm>(key: K, value: EnrollForm[K]) => setForm((f) => ({ ...f, [key]: value }));
  const invalid = (field: string) => problem?.field === field || undefined;

  const submit = async () => {
    setProblem(null);
    setError(null);
    const request = enrollRequest(form, form.withContract ? contract : null);
    if ("field" in request && "message" in request) {
      setProblem(request);
      return;
    }
    setBusy(true);
    try {
      const view = await api.startEnrollment(request);
      if (view.mode === "counter") await openEnrollmentWindow(view.id);
      onDone(view);
    } catch (e) {
      if (e instanceof CofferError && e.kind === "invalid_input" && e.field) {
        if (e.field.startsWith("contract")) set("withContract", true);
        setProblem({ field: e.field, message: e.message });
      } else setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal id="enroll-dialog" title={replacesFor ? `Re-enroll the card of contract ${replacesFor}` : "Enroll a card"} onClose={onClose}>
      <form
        className="merchant-form"
        id="enroll-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <p className="muted">
          The cardholder types the card and completes 3-D Secure on the provider's own page; Coffer never sees the number. The card is saved only
          once the provider confirms it.
        </p>
        <div className="form-grid">
          <label className="field">
            <span>Merchant</span>
            <select
              id="enroll-merchant"
              value={form.merchantId ?? ""}
              disabled={fixedCustomer}
              onChange={(e) => {
                set("merchantId", Number(e.target.value));
                set("customerId", null);
                setPicked(null);
              }}
            >
              {merchants.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name} ({providerLabel(m.provider)})
                </option>
              ))}
            </select>
          </label>
          {fixedCustomer ? (
            <p className="field" id="enroll-customer-fixed">
              <span>Customer</span> <strong>{customer?.name}</strong>
            </p>
          ) : (
            <fieldset className="field" id="enroll-customer">
              <legend>Customer</legend>
              {picked ? (
                <p id="enroll-picked">
                  On record: <strong>{picked}</strong>
                </p>
              ) : null}
              <input
                id="enroll-customer-search"
                placeholder="Name, e-mail or reference"
                value={search}
                onChange={(e) => setSearch(e.target.value)}
                aria-invalid={invalid("customer")}
              />
              {found.length > 0 ? (
                <ul className="pick-list" id="enroll-customer-results">
                  {found.map((c) => (
                    <li key={c.id}>
                      <button
                        type="button"
                        className="link"
                        data-customer={c.id}
                        onClick={() => {
                          set("customerId", c.id);
                          setPicked(`${c.name} (${c.reference})`);
                          setFound([]);
                          setSearch("");
                        }}
                      >
                        {c.name} <span className="muted">{c.email ?? c.reference}</span>
                      </button>
                    </li>
                  ))}
                </ul>
              ) : null}
              {picked ? (
                <button
                  type="button"
                  className="link"
                  id="enroll-new-instead"
                  onClick={() => {
                    set("customerId", null);
                    setPicked(null);
                  }}
                >
                  A new customer instead
                </button>
              ) : (
                <div className="form-grid" id="enroll-new-customer">
                  <label className="field">
                    <span>New customer's name</span>
                    <input id="enroll-name" value={form.newName} onChange={(e) => set("newName", e.target.value)} aria-invalid={invalid("name")} />
                  </label>
                  <label className="field">
                    <span>E-mail</span>
                    <input id="enroll-email" type="email" value={form.newEmail} onChange={(e) => set("newEmail", e.target.value)} aria-invalid={invalid("email")} />
                  </label>
                  <label className="field">
                    <span>Phone</span>
                    <input id="enroll-phone" value={form.newPhone} onChange={(e) => set("newPhone", e.target.value)} />
                  </label>
                  {merchant && !can(merchant.provider, "lists_customers") ? (
                    <label className="field">
                      <span>CustomerNumber in the register</span>
                      <input id="enroll-reference" value={form.newReference} onChange={(e) => set("newReference", e.target.value)} aria-invalid={invalid("reference")} />
                    </label>
                  ) : null}
                  {merchant && !can(merchant.provider, "lists_customers") ? (
                    <AddressInputs
                      idPrefix="enroll-address"
                      value={form.newAddress}
                      onChange={(a) => set("newAddress", a)}
                      required={can(merchant.provider, "needs_buyer_address")}
                    />
                  ) : null}
                </div>
              )}
            </fieldset>
          )}
          <fieldset className="field" id="enroll-mode">
            <legend>Where the cardholder is</legend>
            <label>
              <input type="radio" name="enroll-mode" id="enroll-mode-counter" checked={form.mode === "counter"} onChange={() => set("mode", "counter")} /> At the
              counter: the provider's page opens in a window on this screen
            </label>
            <label title={refusal ?? undefined}>
              <input
                type="radio"
                name="enroll-mode"
                id="enroll-mode-link"
                checked={form.mode === "link"}
                disabled={refusal !== null}
                onChange={() => set("mode", "link")}
              />{" "}
              Elsewhere: send a link by the merchant's notices channel
            </label>
            {refusal && merchant ? (
              <p className="muted" id="enroll-counter-only">
                {providerLabel(merchant.provider)} enrolls cards at the counter only: {refusal}
              </p>
            ) : null}
          </fieldset>
          {form.mode === "link" ? (
            <label className="field">
              <span>Send the link to (empty: the customer's e-mail)</span>
              <input id="enroll-send-to" type="email" value={form.sendTo} onChange={(e) => set("sendTo", e.target.value)} aria-invalid={invalid("send_to")} />
            </label>
          ) : null}
          <label className="field">
            <span>Initial payment{merchant ? ` (${merchant.currency})` : ""}</span>
            <input id="enroll-amount" inputMode="decimal" value={form.amount} onChange={(e) => set("amount", e.target.value)} aria-invalid={invalid("amount")} />
          </label>
          <label className="field">
            <span>Later charges are</span>
            <select id="enroll-reason" value={form.reason} onChange={(e) => set("reason", e.target.value as Reason)}>
              <option value="recurring">Recurring (a contract)</option>
              <option value="installment">Installments</option>
              <option value="unscheduled">Unscheduled (card on file)</option>
            </select>
          </label>
        </div>
        <label className="field">
          <span>Consent the cardholder accepts (stored with the card)</span>
          <textarea
            id="enroll-terms"
            rows={3}
            value={form.terms}
            onChange={(e) => {
              setTermsEdited(true);
              set("terms", e.target.value);
            }}
            aria-invalid={invalid("terms")}
          />
        </label>
        <label>
          <input type="checkbox" id="enroll-with-contract" checked={form.withContract} onChange={(e) => set("withContract", e.target.checked)} /> Make a
          contract on the card once it is saved
        </label>
        {form.withContract ? (
          <div className="form-grid" id="enroll-contract">
            <ContractFields
              form={contract}
              onChange={setContract}
              idPrefix="enroll-contract"
              isNew
              invalid={(key) => problem !== null && (CONTRACT_INPUTS[problem.field] === key || problem.field === `contract.${key}`)}
            />
          </div>
        ) : null}
        {problem ? (
          <p className="field-error" id="enroll-problem" role="alert" data-field={problem.field}>
            {problem.message}
          </p>
        ) : null}
        <ErrorNotice error={error} onDismiss={() => setError(null)} />
        <div className="toolbar">
          <button type="submit" className="primary" id="enroll-start" disabled={busy || !merchant}>
            {busy ? "Opening the page…" : form.mode === "counter" ? "Open the provider's page" : "Send the link"}
          </button>
          <button type="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
        </div>
      </form>
    </Modal>
  );
}
