// One customer: contact details, the stored cards as tiles, their contracts and charges. Opening
// a card shows what a merchant-initiated charge relies on (consent, initial transaction, token)
// and offers "Charge now", "New contract" and recording the cardholder's consent.
import { useCallback, useEffect, useState } from "react";
import type { CardView, ChargeLine, ContractView, CustomerDetail, CustomerListRow, MerchantView, RefundStanding } from "../../ipc/bindings";
import { api } from "../../ipc/client";
import { artHost, brandName, cardExpiryLine, cardNumberLine, formatExpiry, mainAction, maskedNumber, statusLine } from "../../format/card";
import { CardLifeActions } from "./CardLifeActions";
import { chargeStateWords, refundAmountHint, refundQuestion } from "../../format/refund";
import { formatMoney } from "../../format/money";
import { formatInstant } from "../../format/time";
import { BrandMark, CardBadges } from "../../components/CardBadges";
import { ResolveAttempt } from "../../components/ResolveAttempt";
import { reconcileNote } from "../../format/reconcile";
import { ErrorNotice } from "../../components/ErrorNotice";
import { AddressInputs, EMPTY_ADDRESS, addressForm, type AddressFields } from "../../components/AddressInputs";
import { ChargeDialog } from "../charge/ChargeDialog";
import { ContractEditor } from "../contracts/ContractEditor";
import { EraseCustomer } from "./EraseCustomer";
import { EnrollDialog } from "../enrollment/EnrollDialog";
import { enrollmentEventNote, onEnrollmentEvent } from "../../state/enrollmentWindows";
import { customerTitle, erasedWords, erasureNote } from "./erase";

export function CustomerView({
  customer,
  merchants = [],
  onBack,
  onOpenContract,
}: {
  customer: CustomerListRow;
  /** The merchants, for the enrollment dialog (the customer's own is offered). */
  merchants?: MerchantView[];
  onBack: () => void;
  onOpenContract: (id: number) => void;
}) {
  const [cards, setCards] = useState<CardView[] | null>(null);
  const [contracts, setContracts] = useState<ContractView[]>([]);
  const [charges, setCharges] = useState<ChargeLine[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState<number | null>(null);
  const [dialog, setDialog] = useState<{ kind: "charge" | "contract" | "consent"; card: CardView } | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [detail, setDetail] = useState<CustomerDetail | null>(null);
  const [editingAddress, setEditingAddress] = useState(false);
  const [enrolling, setEnrolling] = useState(false);

  // Every action ends with a reload of the whole page (cards, contracts, charges), so each view
  // shows the state after it without reopening the customer; an earlier error goes with it.
  const load = useCallback(async () => {
    setError(null);
    try {
      setDetail(await api.showCustomer(customer.id));
      const list = await api.listCards({
        merchant_id: customer.merchant_id,
        group: null,
        customer_id: customer.id,
        last4: null,
        brand: null,
        active_only: false,
        limit: 100,
        offset: null,
      });
      setCards(list);
      const ids = new Set(list.map((c) => c.id));
      const all = await api.listContracts({ merchant_id: customer.merchant_id, group: null, card_id: null, status: null });
      setContracts(all.filter((c) => ids.has(c.card_id)));
      setCharges(
        await api.listCharges({
          merchant_id: customer.merchant_id,
          group: null,
          card_id: null,
          customer_id: customer.id,
          status: null,
          limit: 200,
        }),
      );
    } catch (e) {
      setError(e);
    }
  }, [customer.id, customer.merchant_id]);

  useEffect(() => {
    setCards(null);
    void load();
  }, [load]);

  // A counter window's return may have saved a card for this customer.
  useEffect(
    () =>
      onEnrollmentEvent((event) => {
        setNote(enrollmentEventNote(event));
        void load();
      }),
    [load],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape" && !dialog) {
        if (open !== null) setOpen(null);
        else onBack();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [open, onBack, dialog]);

  const opened = cards?.find((c) => c.id === open) ?? null;
  // An erased customer (a data-protection request) has no name, contact or address left, and
  // nothing to edit, charge or erase: the page says so instead of showing blanks.
  const erasedAt = detail ? detail.erased_at : customer.erased_at;
  const erased = erasedWords(erasedAt);
  const contact = detail ?? customer;

  return (
    <section aria-labelledby="view-title" className="customer">
      <button type="button" className="link back" id="back-to-customers" onClick={onBack}>
        ← Customers
      </button>
      <div className="view-head">
        <h2 id="view-title">{customerTitle(contact.name, erasedAt)}</h2>
        {erasedAt || !merchants.some((m) => m.id === customer.merchant_id) ? null : (
          <div className="toolbar">
            <button type="button" id="customer-enroll-card" onClick={() => setEnrolling(true)}>
              Enroll a card…
            </button>
          </div>
        )}
      </div>
      {enrolling ? (
        <EnrollDialog
          merchants={merchants.filter((m) => m.id === customer.merchant_id)}
          merchantId={customer.merchant_id}
          customer={{ id: customer.id, name: contact.name }}
          onClose={() => setEnrolling(false)}
          onDone={(view) => {
            setEnrolling(false);
            setNote(
              view.mode === "counter"
                ? `Enrollment ${view.id}: the provider's page is open in its window for the cardholder; the card appears here once the provider confirms it.`
                : `Enrollment ${view.id}: link sent to ${view.sent_to ?? "the customer"}; see Enrollments.`,
            );
          }}
        />
      ) : null}
      {erased ? (
        <p className="muted" id="customer-erased" role="note">
          {erased} (a data-protection request): name, e-mail, phone and address are gone; its charges and references
          are kept.
        </p>
      ) : null}
      <dl className="facts">
        <dt>Reference</dt>
        <dd className="mono">{customer.reference}</dd>
        <dt>Location</dt>
        <dd>{customer.merchant_name}</dd>
        <dt>E-mail</dt>
        <dd>{contact.email ?? "—"}</dd>
        <dt>Phone</dt>
        <dd>{contact.phone ?? "—"}</dd>
        <dt>Address</dt>
        <dd id="customer-address">
          {detail?.address
            ? `${detail.address.street}, ${detail.address.postal_code} ${detail.address.city}, ${detail.address.country}`
            : erased
              ? "—"
              : "— (Svea charges are refused until one is given)"}{" "}
          {erased ? null : (
            <button type="button" className="link" id="edit-address" onClick={() => setEditingAddress(true)} disabled={!detail}>
              {detail?.address ? "Edit…" : "Add address…"}
            </button>
          )}
        </dd>
      </dl>
      {erased ? null : (
        <EraseCustomer
          customerId={customer.id}
          name={detail?.name ?? customer.name}
          cards={cards?.length ?? 0}
          openContracts={contracts.filter((c) => c.status === "active" || c.status === "paused").length}
          unsettled={charges.filter((c) => c.state === "sending" || c.state === "planned").length}
          onErased={(report) => {
            setNote(erasureNote(report));
            void load();
          }}
          onError={setError}
        />
      )}
      {editingAddress && detail && !erased ? (
        <AddressEditor
          customer={detail}
          onDone={(saved) => {
            setEditingAddress(false);
            if (saved) {
              setDetail(saved);
              setNote("Address saved.");
            }
          }}
        />
      ) : null}
      <h3>Cards on file</h3>
      <ErrorNotice error={error} />
      {cards === null && !error ? <p className="muted">Loading cards…</p> : null}
      {cards?.length === 0 ? <p className="muted">No card on file.</p> : null}
      <ul className="cards">
        {cards?.map((card) => (
          <li key={card.id}>
            <button
              type="button"
              className={`card-tile${open === card.id ? " open" : ""}`}
              data-testid="card-tile"
              data-last4={card.last4}
              aria-expanded={open === card.id}
              aria-controls="card-detail"
              onClick={() => setOpen(open === card.id ? null : card.id)}
            >
              <span className="card-line">
                <BrandMark brand={card.brand} />
                <span className="card-number mono">{cardNumberLine(card)}</span>
                <span className="card-expiry mono" title="Expiry">
                  {cardExpiryLine(card)}
                </span>
              </span>
              <span className="card-bank">{card.bank ?? brandName(card.brand)}</span>
              <CardBadges card={card} />
            </button>
          </li>
        ))}
      </ul>
      {note ? (
        <p role="status" className="ok-note" id="customer-note">
          {note}
        </p>
      ) : null}
      {opened ? (
        <CardDetail
          card={opened}
          erased={erased !== null}
          onCharge={() => {
            setNote(null);
            setDialog({ kind: "charge", card: opened });
          }}
          onContract={() => setDialog({ kind: "contract", card: opened })}
          onConsent={() => {
            setNote(null);
            setDialog({ kind: "consent", card: opened });
          }}
          onLifeChanged={(done) => {
            setNote(done);
            void load();
          }}
        />
      ) : null}
      {dialog?.kind === "consent" ? (
        <ConsentForm
          card={dialog.card}
          onDone={(done) => {
            setDialog(null);
            if (done) {
              setNote("Consent recorded.");
              void load();
            }
          }}
        />
      ) : null}
      {dialog?.kind === "contract" ? (
        <ContractEditor
          card={dialog.card}
          onDone={(view) => {
            setDialog(null);
            const sent = view.notices_sent?.map((n) => `${n.kind} notice to ${n.recipient} (${n.location})`).join("; ");
            setNote(`Contract ${view.id} created: ${view.amount_words}, ${view.frequency_words}, next charge ${view.next_due ?? "—"}.${sent ? ` Sent: ${sent}.` : ""}${view.notice_error ? ` Not sent: ${view.notice_error}` : ""}`);
            void load();
          }}
          onCancel={() => setDialog(null)}
        />
      ) : null}
      {dialog?.kind === "charge" ? (
        <ChargeDialog
          card={dialog.card}
          onClose={() => {
            setDialog(null);
            // A decline or an unknown outcome changes the card's status and the history too.
            void load();
          }}
          onSettled={() => void load()}
        />
      ) : null}
      <h3>Contracts</h3>
      {contracts.length === 0 ? <p className="muted">No contract on these cards.</p> : null}
      {contracts.length > 0 ? (
        <ul className="contract-list" id="customer-contracts">
          {contracts.map((c) => (
            <li key={c.id}>
              <button type="button" className="link" onClick={() => onOpenContract(c.id)}>
                Contract {c.id}
              </button>{" "}
              <span className={`status status-${c.status}`}>{c.status}</span> {c.card}: {c.amount_words}, {c.frequency_words}
              {c.next_due ? `, next ${c.next_due}` : ""}
            </li>
          ))}
        </ul>
      ) : null}
      <ChargeHistory charges={charges} cards={cards ?? []} onChanged={load} />
    </section>
  );
}

// Svea requires the buyer's address in every payment; the engine refuses placeholders and names
// the field, which the form shows while keeping what was typed.
function AddressEditor({ customer, onDone }: { customer: CustomerDetail; onDone: (saved: CustomerDetail | null) => void }) {
  const [address, setAddress] = useState<AddressFields>(customer.address ? { ...customer.address } : EMPTY_ADDRESS);
  const [error, setError] = useState<unknown>(null);
  return (
    <form
      className="merchant-form"
      id="address-form"
      onSubmit={async (e) => {
        e.preventDefault();
        try {
          onDone(
            await api.editCustomer(customer.id, {
              name: customer.name,
              email: customer.email,
              phone: customer.phone,
              address: addressForm(address),
            }),
          );
        } catch (err) {
          setError(err);
        }
      }}
    >
      <h3>Address of {customer.name}</h3>
      <AddressInputs idPrefix="customer" value={address} onChange={setAddress} required={false} />
      <ErrorNotice error={error} onDismiss={() => setError(null)} />
      <div className="toolbar">
        <button type="submit" className="primary" id="address-save">
          Save address
        </button>
        <button type="button" onClick={() => onDone(null)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function ConsentForm({ card, onDone }: { card: CardView; onDone: (done: boolean) => void }) {
  const [terms, setTerms] = useState("");
  const [error, setError] = useState<unknown>(null);
  return (
    <form
      className="merchant-form"
      id="consent-form"
      onSubmit={async (e) => {
        e.preventDefault();
        try {
          await api.recordConsent(card.id, terms);
          onDone(true);
        } catch (err) {
          setError(err);
        }
      }}
    >
      <h3>Cardholder's consent for {maskedNumber(card.last4)}</h3>
      <label className="field">
        <span>The terms the cardholder agreed to (kept with the card)</span>
        <textarea id="consent-terms" rows={3} value={terms} onChange={(e) => setTerms(e.target.value)} />
      </label>
      <ErrorNotice error={error} onDismiss={() => setError(null)} />
      <div className="toolbar">
        <button type="submit" className="primary" id="consent-save">
          Record consent
        </button>
        <button type="button" onClick={() => onDone(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function ChargeHistory({ charges, cards, onChanged }: { charges: ChargeLine[]; cards: CardView[]; onChanged: () => Promise<void> }) {
  const [refunding, setRefunding] = useState<ChargeLine | null>(null);
  const [typed, setTyped] = useState("");
  // One key per opened dialog: a double submit (or a retry after a lost answer) makes one refund.
  const [refundKey, setRefundKey] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const last4 = (id: number) => cards.find((c) => c.id === id)?.last4 ?? "????";
  // Reconcile and hand resolution of an attempt whose outcome is unknown, from the card itself.
  const settle = async (what: () => Promise<string>) => {
    setBusy(true);
    setError(null);
    setNote(null);
    try {
      setNote(await what());
      await onChanged();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  // The engine sends a charge with its refunds' standing; a refund row has none.
  const standing = (c: ChargeLine): RefundStanding =>
    c.refunds ?? { state: "none", refunded: zero(c), pending: zero(c), left: c.amount, words: c.state, awaiting_transfer: null };
  return (
    <>
      <h3>Charges</h3>
      <ErrorNotice error={error} onDismiss={() => setError(null)} />
      {note ? (
        <p role="status" className="ok-note" id="refund-note">
          {note}
        </p>
      ) : null}
      {refunding ? (
        <form
          className="confirm-bar"
          id="confirm-refund-charge"
          role="alertdialog"
          aria-label={refundQuestion(refunding, standing(refunding))}
          onSubmit={async (e) => {
            e.preventDefault();
            const charge = refunding;
            const text = typed;
            setRefunding(null);
            setTyped("");
            setError(null);
            setNote(null);
            try {
              const result = await api.refundCharge(charge.id, text.trim() || null, refundKey);
              setNote(
                `Refund ${result.attempt_id}: ${formatMoney(result.amount)} ${result.status}; ${formatMoney(result.left)} of ${formatMoney(result.charge_amount)} left${result.message ? ` (${result.message})` : ""}.`,
              );
              await onChanged();
            } catch (err) {
              setError(err);
            }
          }}
        >
          <strong id="confirm-refund-charge-question">{refundQuestion(refunding, standing(refunding))}</strong>
          <label className="field">
            <span>Amount to refund</span>
            <input id="confirm-refund-charge-reason" value={typed} onChange={(e) => setTyped(e.target.value)} autoFocus />
          </label>
          <span className="muted" id="confirm-refund-charge-hint" aria-live="polite">
            {refundAmountHint(typed, standing(refunding))}
          </span>
          <div className="toolbar">
            <button type="submit" className="danger" id="confirm-refund-charge-yes">
              Refund
            </button>
            <button type="button" onClick={() => setRefunding(null)}>
              Keep it
            </button>
          </div>
        </form>
      ) : null}
      {charges.length === 0 ? <p className="muted">No charge yet.</p> : null}
      {charges.length > 0 ? (
        <div className="plain-table-wrap">
          <table className="plain-table" id="charge-table">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">When</th>
                <th scope="col">Card</th>
                <th scope="col">Amount</th>
                <th scope="col">Kind</th>
                <th scope="col">State</th>
                <th scope="col">Flags</th>
                <th scope="col">Provider reference</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {charges.map((c) => (
                <tr key={c.id} data-attempt={c.id} data-state={c.state} data-refunds={c.kind === "charge" ? standing(c).state : undefined}>
                  <td>{c.id}</td>
                  <td>{formatInstant(c.created_at)}</td>
                  <td className="mono">•••• {last4(c.card_id)}</td>
                  <td>{formatMoney(c.amount)}</td>
                  <td>{c.kind === "refund" ? `refund of #${c.refund_of}` : c.contract_id ? `contract ${c.contract_id} #${c.occurrence}` : "manual"}</td>
                  <td>
                    {c.state === "sending" || c.state === "planned"
                      ? "outcome unknown"
                      : c.state === "awaiting_transfer"
                        ? "awaiting your transfer"
                        : c.kind === "charge" && c.state === "succeeded"
                          ? chargeStateWords(c, standing(c))
                          : c.state}
                    {c.state === "awaiting_transfer" && c.transfer ? (
                      <div className="transfer-instructions" data-testid="transfer-instructions">
                        The payment was already settled to you, so the cardholder is refunded only after you pay it back. Transfer exactly{" "}
                        <strong>{formatMoney(c.transfer.amount)}</strong> to {c.transfer.recipient}, IBAN{" "}
                        <span className="mono">{c.transfer.iban}</span>, reference <span className="mono">{c.transfer.reference}</span>.{" "}
                        <button
                          type="button"
                          id={`transfer-made-${c.id}`}
                          onClick={async () => {
                            setError(null);
                            try {
                              const done = await api.recordRefundTransfer(c.id);
                              setNote(`Refund ${done.attempt_id}: transfer recorded; ${done.status}.`);
                              await onChanged();
                            } catch (e) {
                              setError(e);
                            }
                          }}
                        >
                          Transfer made
                        </button>
                      </div>
                    ) : null}
                    {c.state === "sending" ? (
                      <div className="unknown-outcome" data-unknown={c.id}>
                        <div className="muted">
                          No answer proved what happened, and this card is not charged again until it is settled. Reconcile asks
                          the provider for its record; if it has none yet, check at the provider and resolve it by hand.
                        </div>
                        <button
                          type="button"
                          id={`reconcile-card-${c.card_id}`}
                          disabled={busy}
                          onClick={() => settle(async () => reconcileNote(await api.reconcile({ card_id: c.card_id })))}
                        >
                          Reconcile this card
                        </button>
                        <ResolveAttempt id={c.id} busy={busy} act={settle} />
                      </div>
                    ) : null}
                    {c.decline_code ? ` (${c.decline_code}${c.hard_decline ? ", hard" : ""})` : ""}
                    {c.message && c.state !== "succeeded" && c.state !== "awaiting_transfer" ? <div className="muted">{c.message}</div> : null}
                  </td>
                  <td className="mono">
                    {c.credential.sequence}/{c.credential.initiator}/{c.credential.reason}
                  </td>
                  <td className="mono">{c.provider_ref ?? "—"}</td>
                  <td className="actions">
                    {c.kind === "charge" && c.state === "succeeded" && standing(c).awaiting_transfer !== null ? (
                      <span className="muted">Refund #{standing(c).awaiting_transfer} awaits your transfer</span>
                    ) : null}
                    {c.kind === "charge" && c.state === "succeeded" && standing(c).awaiting_transfer === null && standing(c).left.minor > 0 ? (
                      <button
                        type="button"
                        onClick={() => {
                          setRefundKey(`refund-${c.id}-${crypto.randomUUID()}`);
                          setTyped("");
                          setNote(null);
                          setError(null);
                          setRefunding(c);
                        }}
                      >
                        Refund…
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}

function CardDetail({
  card,
  erased,
  onCharge,
  onContract,
  onConsent,
  onLifeChanged,
}: {
  card: CardView;
  /** The customer was erased: the card is shown, nothing is offered on it. */
  erased: boolean;
  onCharge: () => void;
  onContract: () => void;
  onConsent: () => void;
  onLifeChanged: (note: string) => void;
}) {
  const action = mainAction(card.status);
  return (
    <section className="card-detail" id="card-detail" aria-labelledby="card-detail-title">
      <h3 id="card-detail-title">
        {card.apm ? `${card.apm} (saved payment method)` : `${brandName(card.brand)} ${maskedNumber(card.last4)}`}
      </h3>
      <dl className="facts">
        <dt>Expiry</dt>
        <dd className="mono">{card.apm ? "—" : formatExpiry(card.exp_month, card.exp_year)}</dd>
        <dt>Issuing bank</dt>
        <dd>{card.bank ?? "—"}</dd>
        <dt>BIN</dt>
        <dd className="mono">{card.bin ?? "—"}</dd>
        <dt>Provider</dt>
        <dd>{card.provider}</dd>
        <dt>Token</dt>
        <dd className="mono" id="card-token">{card.token}</dd>
        <dt>Status</dt>
        <dd id="card-status" data-state={card.status.state}>
          {statusLine(card.status)}
          {card.status.next_try_at ? (
            <>
              {" "}
              <span className="muted">(next try allowed from {formatInstant(card.status.next_try_at)})</span>
            </>
          ) : null}
        </dd>
        <dt>Consent</dt>
        <dd>{card.consent_at ? formatInstant(card.consent_at) : "None recorded"}</dd>
        {card.consent_terms ? (
          <>
            <dt>Terms accepted</dt>
            <dd id="card-consent-terms" className="consent-terms">
              {card.consent_terms}
            </dd>
          </>
        ) : null}
        <dt>Initial transaction</dt>
        <dd className="mono">{card.initial_ref ?? "None linked"}</dd>
        <dt>Merchant-initiated charges</dt>
        <dd id="card-mit">{card.status.chargeable ? "Possible now" : "Not possible now"}</dd>
        {card.reenroll ? (
          <>
            <dt>
              <span className="badge badge-reenroll">Re-enroll</span>
            </dt>
            <dd id="card-reenroll">{card.reenroll}</dd>
          </>
        ) : null}
        {artHost(card.art_url) ? (
          <>
            <dt>Card art</dt>
            {/* The app's CSP (img-src 'self' data:) does not load images from a provider's
                host, so the address is shown, not the picture. */}
            <dd id="card-art" className="mono" title={card.art_url ?? undefined}>
              {card.art_url} <span className="muted">(image on {artHost(card.art_url)}, not loaded in the app)</span>
            </dd>
          </>
        ) : null}
      </dl>
      {/* The main (primary) button follows the card's status: a charge only when one may go. */}
      {erased ? null : (
        <div className="toolbar">
          {card.consent_at ? null : (
            <button type="button" className={action === "consent" ? "primary" : undefined} id="record-consent" onClick={onConsent}>
              Record consent…
            </button>
          )}
          <button
            type="button"
            className={action === "charge" ? "primary" : undefined}
            id="charge-card"
            onClick={onCharge}
            title={card.status.chargeable ? undefined : `The policy refuses it now: ${card.status.reason}`}
          >
            Charge now…
          </button>
          <button type="button" id="new-contract" onClick={onContract}>
            New contract…
          </button>
        </div>
      )}
      {erased ? null : <CardLifeActions key={card.id} card={card} onDone={onLifeChanged} />}
    </section>
  );
}

/** Nothing, in the currency of `c`. */
function zero(c: ChargeLine) {
  return { minor: 0, currency: c.amount.currency };
}
