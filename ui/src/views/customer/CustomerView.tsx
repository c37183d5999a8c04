// One customer: contact details and the stored cards as tiles; opening a card shows what a
// merchant-initiated charge will rely on (consent, initial transaction, token).
import { useEffect, useState } from "react";
import type { CardView, CustomerListRow } from "../../ipc/bindings";
import { api } from "../../ipc/client";
import { brandName, formatExpiry, maskedNumber } from "../../format/card";
import { formatInstant } from "../../format/time";
import { BrandMark, CardBadges } from "../../components/CardBadges";
import { ErrorNotice } from "../../components/ErrorNotice";

export function CustomerView({
  customer,
  onBack,
}: {
  customer: CustomerListRow;
  onBack: () => void;
  onOpenContract: (id: number) => void;
}) {
  const [cards, setCards] = useState<CardView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState<number | null>(null);

  useEffect(() => {
    let live = true;
    setCards(null);
    api
      .listCards({
        merchant_id: customer.merchant_id,
        group: null,
        customer_id: customer.id,
        last4: null,
        brand: null,
        active_only: false,
        limit: 100,
        offset: null,
      })
      .then((c) => live && setCards(c))
      .catch((e) => live && setError(e));
    return () => {
      live = false;
    };
  }, [customer.id, customer.merchant_id]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        if (open !== null) setOpen(null);
        else onBack();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [open, onBack]);

  const opened = cards?.find((c) => c.id === open) ?? null;

  return (
    <section aria-labelledby="view-title" className="customer">
      <button type="button" className="link back" id="back-to-customers" onClick={onBack}>
        ← Customers
      </button>
      <div className="view-head">
        <h2 id="view-title">{customer.name}</h2>
      </div>
      <dl className="facts">
        <dt>Reference</dt>
        <dd className="mono">{customer.reference}</dd>
        <dt>Location</dt>
        <dd>{customer.merchant_name}</dd>
        <dt>E-mail</dt>
        <dd>{customer.email ?? "—"}</dd>
        <dt>Phone</dt>
        <dd>{customer.phone ?? "—"}</dd>
      </dl>
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
                <span className="card-number mono">{maskedNumber(card.last4)}</span>
                <span className="card-expiry mono" title="Expiry">
                  {formatExpiry(card.exp_month, card.exp_year)}
                </span>
              </span>
              <span className="card-bank">{card.bank ?? brandName(card.brand)}</span>
              <CardBadges card={card} />
            </button>
          </li>
        ))}
      </ul>
      {opened ? <CardDetail card={opened} /> : null}
    </section>
  );
}

function CardDetail({ card }: { card: CardView }) {
  return (
    <section className="card-detail" id="card-detail" aria-labelledby="card-detail-title">
      <h3 id="card-detail-title">
        {brandName(card.brand)} {maskedNumber(card.last4)}
      </h3>
      <dl className="facts">
        <dt>Expiry</dt>
        <dd className="mono">{formatExpiry(card.exp_month, card.exp_year)}</dd>
        <dt>Issuing bank</dt>
        <dd>{card.bank ?? "—"}</dd>
        <dt>BIN</dt>
        <dd className="mono">{card.bin ?? "—"}</dd>
        <dt>Provider</dt>
        <dd>{card.provider}</dd>
        <dt>Token</dt>
        <dd className="mono" id="card-token">{card.token}</dd>
        <dt>Status</dt>
        <dd>{card.active ? "Active" : "Inactive"}</dd>
        <dt>Consent</dt>
        <dd>{card.consent_at ? formatInstant(card.consent_at) : "None recorded"}</dd>
        <dt>Initial transaction</dt>
        <dd className="mono">{card.initial_ref ?? "None linked"}</dd>
        <dt>Merchant-initiated charges</dt>
        <dd id="card-mit">{card.mit_ready ? "Ready: consent and initial transaction on file" : "Not possible until consent and an initial transaction are on file"}</dd>
      </dl>
    </section>
  );
}
