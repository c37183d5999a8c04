// "Charge now" on a saved card: the owner types an amount and a reason, sees the exact
// stored-credential flags that will be sent and the policy's verdict rule by rule, and only then
// confirms. The dialog holds one idempotency key for its whole life, and the button is disabled
// once pressed, so neither a double click nor a retry can charge twice.
import { useEffect, useMemo, useState } from "react";
import type { CardView, ChargePreview, ChargeResult, Reason } from "../../ipc/bindings";
import { api, CofferError } from "../../ipc/client";
import { brandName, maskedNumber } from "../../format/card";
import { formatMoney } from "../../format/money";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Modal } from "../../components/Modal";
import { canConfirm, flagRows, outcomeOf, ruleVerdicts } from "./verdict";

/** How long typing may pause before the verdict is asked again. */
const PREVIEW_DELAY_MS = 250;

function newKey(): string {
  return typeof crypto !== "undefined" && "randomUUID" in crypto
    ? crypto.randomUUID()
    : `ui-${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

export function ChargeDialog({ card, onClose }: { card: CardView; onClose: (charged: boolean) => void }) {
  const key = useMemo(newKey, []);
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState<Reason>("unscheduled");
  const [preview, setPreview] = useState<ChargePreview | null>(null);
  const [previewError, setPreviewError] = useState<unknown>(null);
  const [sending, setSending] = useState(false);
  const [result, setResult] = useState<ChargeResult | null>(null);
  const [error, setError] = useState<unknown>(null);

  const request = useMemo(
    () => ({ card_id: card.id, amount: amount.trim(), reason, idempotency_key: key, description: null }),
    [card.id, amount, reason, key],
  );

  useEffect(() => {
    if (result) return;
    setPreview(null);
    setPreviewError(null);
    if (!request.amount) return;
    let live = true;
    const timer = setTimeout(() => {
      api
        .previewCharge(request)
        .then((p) => live && setPreview(p))
        .catch((e) => live && setPreviewError(e));
    }, PREVIEW_DELAY_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [request, result]);

  const confirm = async () => {
    if (sending || !canConfirm(preview)) return;
    setSending(true);
    setError(null);
    try {
      setResult(await api.chargeCard(request));
    } catch (e) {
      setError(e);
    } finally {
      setSending(false);
    }
  };

  const fieldError = previewError instanceof CofferError && previewError.kind === "invalid_input" ? previewError : null;
  const verdicts = preview ? ruleVerdicts(preview.rules_checked, preview.violations) : [];
  const outcome = result ? outcomeOf(result) : null;

  return (
    <Modal
      id="charge-dialog"
      title={`Charge ${brandName(card.brand)} ${maskedNumber(card.last4)}`}
      // A charge in flight finishes whatever the window does; the dialog stays to show its outcome.
      onClose={() => !sending && onClose(result?.status === "succeeded")}
    >
      {outcome && result ? (
        <div className={`outcome outcome-${outcome.tone}`} id="charge-outcome" role="status" data-status={result.status}>
          <strong>{outcome.title}</strong>
          <ul>
            {outcome.lines.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
          <div className="toolbar">
            <button type="button" className="primary" id="charge-done" onClick={() => onClose(result.status === "succeeded")}>
              Close
            </button>
          </div>
        </div>
      ) : (
        <form
          className="charge-form"
          onSubmit={(e) => {
            e.preventDefault();
            void confirm();
          }}
        >
          <div className="form-grid">
            <label className="field">
              <span>Amount</span>
              <input
                id="charge-amount"
                inputMode="decimal"
                autoComplete="off"
                autoFocus
                value={amount}
                onChange={(e) => setAmount(e.target.value)}
                aria-invalid={fieldError ? true : undefined}
                aria-describedby={fieldError ? "charge-amount-error" : undefined}
                placeholder="12.34"
              />
            </label>
            <label className="field">
              <span>Reason</span>
              <select id="charge-reason" value={reason} onChange={(e) => setReason(e.target.value as Reason)}>
                <option value="unscheduled">One-off (unscheduled card on file)</option>
                <option value="recurring">Recurring</option>
                <option value="installment">Installment</option>
              </select>
            </label>
          </div>
          {fieldError ? (
            <p className="field-error" id="charge-amount-error" role="alert">
              {fieldError.message}
            </p>
          ) : (
            <ErrorNotice error={previewError} />
          )}
          {preview ? (
            <>
              <p>
                <strong id="charge-preview-amount">{formatMoney(preview.amount)}</strong> from {preview.card.bank ?? brandName(preview.card.brand)}{" "}
                {maskedNumber(preview.card.last4)}, under <strong>{preview.merchant_name}</strong> ({preview.provider}).
              </p>
              <h3>Stored-credential flags that will be sent</h3>
              <table className="plain-table flags" id="charge-flags">
                <tbody>
                  {flagRows(preview.flags).map((row) => (
                    <tr key={row.name} data-flag={row.name}>
                      <th scope="row">{row.name}</th>
                      <td className="mono">{row.value}</td>
                      <td className="muted">{row.meaning}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <h3>Rules</h3>
              <ul className="verdicts" id="charge-verdict" aria-live="polite">
                {verdicts.map((v) => (
                  <li key={v.rule} data-rule={v.rule} data-ok={v.ok} className={v.ok ? "pass" : "fail"}>
                    <span aria-hidden="true">{v.ok ? "✓" : "✗"}</span> {v.label}
                    {v.reasons.map((r) => (
                      <div key={r} className="reason">
                        {r}
                      </div>
                    ))}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          <ErrorNotice error={error} onDismiss={() => setError(null)} />
          <div className="toolbar">
            <button type="submit" className="primary" id="charge-confirm" disabled={sending || !canConfirm(preview)}>
              {sending ? "Charging…" : preview && preview.violations.length > 0 ? "Refused by the rules above" : `Charge ${preview ? formatMoney(preview.amount) : ""}`}
            </button>
            <button type="button" id="charge-cancel" onClick={() => onClose(false)} disabled={sending}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </Modal>
  );
}
