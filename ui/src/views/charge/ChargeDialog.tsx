// "Charge now" on a saved card: the owner types an amount and a reason, sees the exact
// stored-credential flags that will be sent and the policy's verdict rule by rule, then reviews
// amount, currency, card, merchant and live/sandbox on a second step, and only an explicit
// press there charges (Enter in the amount field only reaches the review). An amount above the
// merchant's limit is confirmed once more. The dialog holds one idempotency key for its whole
// life, and the button is disabled once pressed, so neither a double click nor a retry can
// charge twice. A slow provider is said to be slow after a few seconds, with what happens next;
// the dialog may then be closed and the charge is followed in the window.
import { useEffect, useMemo, useRef, useState } from "react";
import type { CardView, ChargePreview, ChargeResult, Reason } from "../../ipc/bindings";
import { api, CofferError } from "../../ipc/client";
import { brandName, maskedNumber } from "../../format/card";
import { formatMoney } from "../../format/money";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Modal } from "../../components/Modal";
import { canConfirm, flagRows, outcomeOf, ruleVerdicts } from "./verdict";
import { canCharge, largeWords, LATE_AFTER_MS, reviewRows, waitingWords } from "./review";
import { follow } from "../../state/backgroundCharges";

/** How long typing may pause before the verdict is asked again. */
const PREVIEW_DELAY_MS = 250;

function newKey(): string {
  return typeof crypto !== "undefined" && "randomUUID" in crypto
    ? crypto.randomUUID()
    : `ui-${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

export function ChargeDialog({
  card,
  onClose,
  onSettled,
}: {
  card: CardView;
  onClose: (charged: boolean) => void;
  /** Runs when a charge whose dialog was closed early gets its answer (refresh the views). */
  onSettled?: () => void;
}) {
  const key = useMemo(newKey, []);
  const [step, setStep] = useState<"edit" | "review">("edit");
  const [largeConfirmed, setLargeConfirmed] = useState(false);
  const [late, setLate] = useState(false);
  const answer = useRef<Promise<ChargeResult> | null>(null);
  const closed = useRef(false);
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState<Reason>("unscheduled");
  const [preview, setPreview] = useState<ChargePreview | null>(null);
  const [previewError, setPreviewError] = useState<unknown>(null);
  const [sending, setSending] = useState(false);
  const [result, setResult] = useState<ChargeResult | null>(null);
  const [error, setError] = useState<unknown>(null);

  const request = useMemo(
    () => ({ card_id: card.id, amount: amount.trim(), reason, idempotency_key: key, description: null, confirm_large: false }),
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

  // Enter in the form (or its button) only leads to the review; nothing is sent from here.
  const review = () => {
    if (!canConfirm(preview)) return;
    setLargeConfirmed(false);
    setStep("review");
  };

  const confirm = async () => {
    if (sending || step !== "review" || !preview || !canCharge(preview, largeConfirmed)) return;
    setSending(true);
    setLate(false);
    setError(null);
    const timer = setTimeout(() => setLate(true), LATE_AFTER_MS);
    const pending = api.chargeCard({ ...request, confirm_large: preview.needs_large_confirmation && largeConfirmed });
    answer.current = pending;
    try {
      const r = await pending;
      if (!closed.current) setResult(r);
    } catch (e) {
      if (!closed.current) setError(e);
    } finally {
      clearTimeout(timer);
      if (!closed.current) setSending(false);
    }
  };

  // While the provider is late the dialog may close: the charge goes on and is followed.
  const close = () => {
    if (sending && late && answer.current && preview) {
      closed.current = true;
      follow(`${formatMoney(preview.amount)} on ${brandName(card.brand)} ${maskedNumber(card.last4)} (${preview.merchant_name})`, answer.current, () => onSettled?.());
      onClose(false);
      return;
    }
    if (!sending) onClose(result?.status === "succeeded");
  };

  const fieldError = previewError instanceof CofferError && previewError.kind === "invalid_input" ? previewError : null;
  const verdicts = preview ? ruleVerdicts(preview.rules_checked, preview.violations) : [];
  const outcome = result ? outcomeOf(result) : null;

  return (
    <Modal
      id="charge-dialog"
      title={`Charge ${brandName(card.brand)} ${maskedNumber(card.last4)}`}
      // A charge in flight finishes whatever the window does; the dialog stays to show its
      // outcome, unless the provider is late and the owner closes it (then it is followed).
      onClose={close}
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
            review();
          }}
          hidden={step === "review"}
          style={step === "review" ? { display: "none" } : undefined}
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
          <div className="toolbar">
            <button type="submit" className="primary" id="charge-review" disabled={!canConfirm(preview)}>
              {preview && preview.violations.length > 0 ? "Refused by the rules above" : `Review the charge${preview ? ` of ${formatMoney(preview.amount)}` : ""}`}
            </button>
            <button type="button" id="charge-cancel" onClick={() => onClose(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {!outcome && step === "review" && preview ? (
        <section className="charge-review" id="charge-review-step" aria-labelledby="charge-review-title" data-environment={preview.environment_kind}>
          <h3 id="charge-review-title">Check, then charge</h3>
          <p className="review-amount" id="charge-review-amount">
            {formatMoney(preview.amount)}
          </p>
          <table className="plain-table review-table" id="charge-review-table">
            <tbody>
              {reviewRows(preview, reason).map((row) => (
                <tr key={row.key} data-row={row.key}>
                  <th scope="row">{row.label}</th>
                  <td>{row.key === "environment" ? <span className={`env-badge env-badge-${preview.environment_kind}`}>{row.value}</span> : row.value}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {largeWords(preview) ? (
            <div className="note warn" id="charge-large" role="alert">
              <p>{largeWords(preview)}</p>
              <label className="field-help" htmlFor="charge-large-ok">
                <input id="charge-large-ok" type="checkbox" checked={largeConfirmed} disabled={sending} onChange={(e) => setLargeConfirmed(e.target.checked)} />
                <span>Yes, charge {formatMoney(preview.amount)}</span>
              </label>
            </div>
          ) : null}
          {sending && late ? (
            <div className="note" id="charge-waiting" role="status">
              {waitingWords(preview.answer_wait_secs).map((line) => (
                <p key={line}>{line}</p>
              ))}
              <button type="button" id="charge-background" onClick={close}>
                Close and keep waiting
              </button>
            </div>
          ) : null}
          <ErrorNotice error={error} onDismiss={() => setError(null)} />
          <div className="toolbar">
            {/* No form here: Enter on the focused Back button goes back, never charges. */}
            <button type="button" id="charge-back" onClick={() => setStep("edit")} disabled={sending} autoFocus>
              Back
            </button>
            <button type="button" className="primary" id="charge-confirm" onClick={() => void confirm()} disabled={sending || !canCharge(preview, largeConfirmed)}>
              {sending ? "Charging…" : `Charge ${formatMoney(preview.amount)}`}
            </button>
          </div>
        </section>
      ) : null}
    </Modal>
  );
}
