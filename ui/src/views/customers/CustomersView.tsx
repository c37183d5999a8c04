// Customers: a searchable, sortable, virtualized table. Only the visible rows are in the DOM and
// rows arrive a page at a time (PagedRows), so 100,000 customers scroll smoothly.
// Keyboard: "/" focuses the search, arrows move through rows, Enter opens the customer.
import { useEffect, useMemo, useReducer, useRef, useState } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { CustomerListRow, CustomerOrder, CustomerTotals, MerchantView } from "../../ipc/bindings";
import { api } from "../../ipc/client";
import { PagedRows } from "../../state/paging";
import { registerOwner, scopeFilter, scopeKey, type Scope } from "../../state/scope";
import { ErrorNotice } from "../../components/ErrorNotice";
import { countWords, emptyWords } from "./count";
import { AddressInputs, EMPTY_ADDRESS, addressForm, type AddressFields } from "../../components/AddressInputs";
import { can, providerLabel } from "../../state/providers";
import { CardImportDialog } from "./CardImportDialog";
import { importTarget } from "./cardImport";
import { erasedWords } from "../customer/erase";

const ROW_HEIGHT = 40;

const COLUMNS: { key: CustomerOrder | null; label: string; className: string }[] = [
  { key: "name", label: "Name", className: "col-name" },
  { key: "reference", label: "Reference", className: "col-ref" },
  { key: null, label: "E-mail", className: "col-email" },
  { key: null, label: "Location", className: "col-merchant" },
  { key: null, label: "Cards", className: "col-cards" },
];

export function CustomersView({
  scope,
  merchants,
  onOpen,
}: {
  scope: Scope;
  merchants: MerchantView[];
  onOpen: (c: CustomerListRow) => void;
}) {
  const register = registerOwner(scope, merchants);
  const [adding, setAdding] = useState(false);
  const importInto = importTarget(scope, merchants);
  const [importing, setImporting] = useState(false);
  const [added, setAdded] = useState<string | null>(null);
  const [text, setText] = useState("");
  const [query, setQuery] = useState("");
  const [order, setOrder] = useState<CustomerOrder>("name");
  const [active, setActive] = useState(0);
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const searchRef = useRef<HTMLInputElement>(null);
  const scrollRef = useRef<HTMLDivElement>(null);

  // Debounce typing: one search per pause, not per key.
  useEffect(() => {
    const t = setTimeout(() => setQuery(text.trim()), 200);
    return () => clearTimeout(t);
  }, [text]);

  const key = scopeKey(scope);
  const pages = useMemo(
    () =>
      new PagedRows<CustomerListRow>(
        (offset, limit) => api.searchCustomers({ ...scopeFilter(scope), text: query || null, order, limit, offset }),
        200,
        rerender,
      ),
    [key, query, order],
  );
  // The exact count comes from the engine (an index count), not from the rows loaded so far.
  const [totals, setTotals] = useState<CustomerTotals | null>(null);
  const [counted, setCounted] = useState(0);
  useEffect(() => {
    let live = true;
    setTotals(null);
    api
      .countCustomers({ ...scopeFilter(scope), text: query || null, order, limit: null, offset: null })
      .then((t) => live && setTotals(t))
      .catch(() => live && setTotals(null));
    return () => {
      live = false;
    };
  }, [key, query, counted]);

  useEffect(() => {
    setActive(0);
    scrollRef.current?.scrollTo({ top: 0 });
    void pages.reset();
  }, [pages]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      const typing = target && (target.tagName === "INPUT" || target.tagName === "SELECT" || target.tagName === "TEXTAREA");
      if (e.key === "/" && !typing) {
        e.preventDefault();
        searchRef.current?.focus();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const rows = pages.rows;
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const last = items.length ? items[items.length - 1].index : 0;
  useEffect(() => {
    pages.ensureVisible(last);
  }, [pages, last, rows.length]);

  const move = (to: number) => {
    const next = Math.max(0, Math.min(rows.length - 1, to));
    setActive(next);
    virtualizer.scrollToIndex(next, { align: "auto" });
  };
  const onGridKey = (e: React.KeyboardEvent) => {
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 400) / ROW_HEIGHT) - 1);
    switch (e.key) {
      case "ArrowDown":
        move(active + 1);
        break;
      case "ArrowUp":
        move(active - 1);
        break;
      case "PageDown":
        move(active + page);
        break;
      case "PageUp":
        move(active - page);
        break;
      case "Home":
        move(0);
        break;
      case "End":
        move(rows.length - 1);
        break;
      case "Enter":
        if (rows[active]) onOpen(rows[active]);
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  const status = countWords(totals, true);

  return (
    <section className="customers" aria-labelledby="view-title">
      <div className="view-head">
        <h2 id="view-title">Customers</h2>
        <div className="toolbar">
          <input
            ref={searchRef}
            id="customer-search"
            type="search"
            placeholder="Name, e-mail, reference or last 4"
            title="Search customers (press / to get here)"
            aria-label="Search customers"
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "ArrowDown") {
                e.preventDefault();
                document.getElementById("customer-grid")?.focus();
              }
            }}
          />
          <span className="muted" id="customer-count" aria-live="polite">
            {status}
          </span>
          {register ? (
            <button type="button" id="add-customer" onClick={() => setAdding(true)} disabled={adding}>
              Add customer…
            </button>
          ) : null}
          <button
            type="button"
            id="import-cards"
            onClick={() => setImporting(true)}
            disabled={!importInto}
            title={importInto ? "Import cards this location already holds, with their consent and initial transaction" : "Choose one location to import its cards"}
          >
            Import cards…
          </button>
        </div>
      </div>
      {importInto && importing ? (
        <CardImportDialog
          merchant={importInto}
          onClose={() => setImporting(false)}
          onImported={() => {
            setCounted((n) => n + 1);
            void pages.reset();
          }}
        />
      ) : null}
      {register && adding ? (
        <NewCustomerForm
          merchant={register}
          onDone={(number) => {
            setAdding(false);
            setAdded(number);
            setCounted((n) => n + 1);
            void pages.reset();
          }}
          onCancel={() => setAdding(false)}
        />
      ) : null}
      {added && register ? (
        <p className="muted" role="status" id="customer-added">
          Customer {added} added to {register.name}.{" "}
          {can(register.provider, "hosted_card_page")
            ? `A card joins when the cardholder saves it on ${providerLabel(register.provider)}'s card page (coffer card initial --customer ID).`
            : "Sync this location to fetch the cards saved under that number."}
        </p>
      ) : null}
      <ErrorNotice error={pages.error} />
      <div className="table" role="grid" aria-rowcount={pages.done ? rows.length + 1 : -1} aria-label="Customers">
        <div className="thead" role="row">
          {COLUMNS.map((c) => (
            <div key={c.label} role="columnheader" className={c.className} aria-sort={c.key && c.key === order ? "ascending" : undefined}>
              {c.key ? (
                <button type="button" className="sort" onClick={() => setOrder(c.key as CustomerOrder)}>
                  {c.label}
                  {c.key === order ? " ▲" : ""}
                </button>
              ) : (
                c.label
              )}
            </div>
          ))}
        </div>
        <div
          className="tbody"
          id="customer-grid"
          ref={scrollRef}
          tabIndex={0}
          role="rowgroup"
          aria-activedescendant={rows[active] ? `customer-${rows[active].id}` : undefined}
          onKeyDown={onGridKey}
        >
          <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
            {items.map((item) => {
              const c = rows[item.index];
              return (
                <div
                  key={c.id}
                  id={`customer-${c.id}`}
                  role="row"
                  aria-rowindex={item.index + 2}
                  aria-selected={item.index === active}
                  className={`tr${item.index === active ? " active" : ""}`}
                  data-testid="customer-row"
                  style={{ height: item.size, transform: `translateY(${item.start}px)` }}
                  onClick={() => {
                    setActive(item.index);
                    onOpen(c);
                  }}
                >
                  <div role="gridcell" className="col-name">
                    {c.erased_at ? (
                      <span className="badge badge-erased" data-testid="erased-badge" title={erasedWords(c.erased_at) ?? undefined}>
                        erased
                      </span>
                    ) : (
                      c.name
                    )}
                  </div>
                  <div role="gridcell" className="col-ref mono">
                    {c.reference}
                    {c.matched_card ? (
                      <span className="muted matched-card" data-testid="matched-card" title="The card this search matched">
                        {" "}
                        · {c.matched_card}
                      </span>
                    ) : null}
                  </div>
                  <div role="gridcell" className="col-email">{c.email ?? "—"}</div>
                  <div role="gridcell" className="col-merchant">{c.merchant_name}</div>
                  <div role="gridcell" className="col-cards" title={`${c.usable_cards} usable of ${c.cards}`}>
                    {c.usable_cards}/{c.cards}
                  </div>
                </div>
              );
            })}
          </div>
          {!pages.loading && rows.length === 0 && !pages.error ? (
            <p className="empty" id="customers-empty">
              {emptyWords(totals, query, register !== null)}
            </p>
          ) : null}
        </div>
      </div>
    </section>
  );
}

// A customer for an Assist or Svea register. Svea requires the buyer's street address, postal
// code, city and country in every payment, so a Svea location asks for them up front. The form keeps what was typed when the engine
// refuses it (a duplicate number, a bad e-mail) and shows the engine's reason.
function NewCustomerForm({
  merchant,
  onDone,
  onCancel,
}: {
  merchant: MerchantView;
  onDone: (number: string) => void;
  onCancel: () => void;
}) {
  const [number, setNumber] = useState("");
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [phone, setPhone] = useState("");
  const [address, setAddress] = useState<AddressFields>(EMPTY_ADDRESS);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return (
    <form
      className="confirm-bar"
      id="new-customer-form"
      aria-label={`New customer of ${merchant.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        api
          .addCustomer({
            merchant_id: merchant.id,
            number: number.trim(),
            name: name.trim(),
            email: email.trim() || null,
            phone: phone.trim() || null,
            address: addressForm(address),
          })
          .then(() => onDone(number.trim()))
          .catch(setError)
          .finally(() => setBusy(false));
      }}
    >
      <strong>New customer of {merchant.name}</strong>
      <span className="muted">
        {providerLabel(merchant.provider)} keeps no customer list: Coffer is this location's register.
      </span>
      <label className="field">
        <span>Customer number</span>
        <input id="new-customer-number" value={number} onChange={(e) => setNumber(e.target.value)} required autoFocus />
      </label>
      <label className="field">
        <span>Name</span>
        <input id="new-customer-name" value={name} onChange={(e) => setName(e.target.value)} required />
      </label>
      <label className="field">
        <span>E-mail</span>
        <input id="new-customer-email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} />
      </label>
      <label className="field">
        <span>Phone</span>
        <input id="new-customer-phone" type="tel" value={phone} onChange={(e) => setPhone(e.target.value)} />
      </label>
      <AddressInputs
        idPrefix="new-customer"
        value={address}
        onChange={setAddress}
        required={can(merchant.provider, "needs_buyer_address")}
      />
      <ErrorNotice error={error} />
      <div className="toolbar">
        <button type="submit" className="primary" id="new-customer-save" disabled={busy}>
          Add customer
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
