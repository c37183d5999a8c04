// How one merchant's notices to cardholders go out: as .eml files in the outbox folder (nothing
// is sent; the default), or by SMTP. The SMTP password goes to the OS keyring through the engine
// and is never shown again.
import { useEffect, useState } from "react";
import type { MerchantView, SmtpView } from "../../ipc/bindings";
import { api, CofferError } from "../../ipc/client";
import { ErrorNotice } from "../../components/ErrorNotice";
import { initialSmtpForm, portAfterSecurityChange, SECURITIES, smtpRequest, type Security, type SmtpFormState } from "./smtp";

const SECURITY_WORDS: Record<string, string> = { none: "no encryption", starttls: "STARTTLS", tls: "TLS" };

export function SmtpPanel({ merchants }: { merchants: MerchantView[] }) {
  const [merchantId, setMerchantId] = useState<number | null>(merchants[0]?.id ?? null);
  const [view, setView] = useState<SmtpView | null>(null);
  const [form, setForm] = useState<SmtpFormState>(initialSmtpForm(null));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const merchant = merchants.find((m) => m.id === merchantId) ?? null;

  // The chosen merchant may have been removed.
  useEffect(() => {
    if (merchantId === null || !merchants.some((m) => m.id === merchantId)) setMerchantId(merchants[0]?.id ?? null);
  }, [merchants, merchantId]);

  useEffect(() => {
    if (merchantId === null) return;
    let live = true;
    setView(null);
    setSaved(null);
    setError(null);
    api
      .smtp(merchantId)
      .then((v) => {
        if (!live) return;
        setView(v);
        setForm(initialSmtpForm(v));
      })
      .catch((e) => live && setError(e));
    return () => {
      live = false;
    };
  }, [merchantId]);

  if (merchants.length === 0 || merchantId === null) {
    return (
      <section aria-labelledby="smtp-title">
        <h3 id="smtp-title">Notices to cardholders</h3>
        <p className="muted">Add a merchant first.</p>
      </section>
    );
  }

  const set = <K extends keyof SmtpFormState>(key: K, value: SmtpFormState[K]) => setForm((f) => ({ ...f, [key]: value }));
  const hadPassword = view?.smtp?.secret != null;

  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    setSaved(null);
    const built = smtpRequest(merchantId, form);
    if ("field" in built) {
      setError(new CofferError("invalid_input", built.message, built.field));
      return;
    }
    setBusy(true);
    try {
      const v = await api.setSmtp(built.request);
      setView(v);
      setForm(initialSmtpForm(v));
      setSaved(`Saved. ${merchant?.name ?? "This merchant"}'s notices now go out by SMTP.`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const backToOutbox = async () => {
    setError(null);
    setSaved(null);
    setBusy(true);
    try {
      const v = await api.clearSmtp(merchantId);
      setView(v);
      setForm(initialSmtpForm(v));
      setSaved("Back to the outbox: notices are written as files again, and the SMTP password was removed from the keyring.");
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="smtp-title" className="settings-section">
      <h3 id="smtp-title">Notices to cardholders</h3>
      <p className="muted">
        Cardholders get a confirmation when a contract starts, a notice before each charge (as many days ahead as the merchant's
        notice lead time) and a confirmation when it is cancelled. Each merchant either writes them as e-mail files into the
        outbox folder, for you to send yourself, or sends them through an SMTP server.
      </p>
      <label className="field inline-field" htmlFor="smtp-merchant">
        <span>Merchant</span>
        <select id="smtp-merchant" value={merchantId} onChange={(e) => setMerchantId(Number(e.target.value))}>
          {merchants.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name}
            </option>
          ))}
        </select>
      </label>
      <div id="smtp-channel" className="channel" role="status">
        {view === null ? (
          <span className="muted">Loading…</span>
        ) : view.channel === "smtp" && view.smtp ? (
          <>
            <strong>Sent by SMTP</strong> through <span className="mono">{view.smtp.host}:{view.smtp.port}</span> (
            {SECURITY_WORDS[view.smtp.security] ?? view.smtp.security}) from <span className="mono">{view.smtp.from_address}</span>
            {view.smtp.username ? (
              <>
                , login <span className="mono">{view.smtp.username}</span>
              </>
            ) : null}
            . {view.smtp.secret ? "A password is saved in the system keyring." : "No password is saved."}
          </>
        ) : (
          <>
            <strong>Written to the outbox</strong> as .eml files, nothing is sent:{" "}
            <span className="mono">{view.outbox ?? "the profile's outbox folder"}</span>
          </>
        )}
      </div>
      <ErrorNotice error={error} onDismiss={() => setError(null)} />
      {saved ? (
        <p role="status" className="ok-note">
          {saved}
        </p>
      ) : null}
      <form id="smtp-form" className="merchant-form" onSubmit={save} aria-labelledby="smtp-form-title" noValidate>
        <h4 id="smtp-form-title">Send {merchant ? `${merchant.name}'s` : "the"} notices by SMTP</h4>
        <div className="form-grid">
          <label className="field" htmlFor="smtp-host">
            <span>Server host</span>
            <input id="smtp-host" value={form.host} onChange={(e) => set("host", e.target.value)} required placeholder="smtp.example.com" autoComplete="off" />
          </label>
          <label className="field" htmlFor="smtp-security">
            <span>Security</span>
            <select
              id="smtp-security"
              value={form.security}
              onChange={(e) => {
                const to = e.target.value as Security;
                setForm((f) => ({ ...f, security: to, port: portAfterSecurityChange(f.port, f.security, to) }));
              }}
            >
              {SECURITIES.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))}
            </select>
          </label>
          <label className="field" htmlFor="smtp-port">
            <span>Port</span>
            <input id="smtp-port" type="number" min={1} max={65535} step={1} inputMode="numeric" value={form.port} onChange={(e) => set("port", e.target.value)} required />
          </label>
          <label className="field" htmlFor="smtp-from">
            <span>From address</span>
            <input id="smtp-from" type="email" value={form.from} onChange={(e) => set("from", e.target.value)} required placeholder="shop@example.com" />
          </label>
          <label className="field" htmlFor="smtp-username">
            <span>Login (if the server wants one)</span>
            <input id="smtp-username" value={form.username} onChange={(e) => set("username", e.target.value)} autoComplete="off" />
          </label>
          <label className="field" htmlFor="smtp-password">
            <span>Password</span>
            <input
              id="smtp-password"
              type="password"
              value={form.password}
              onChange={(e) => set("password", e.target.value)}
              autoComplete="new-password"
              aria-describedby="smtp-password-help"
            />
          </label>
        </div>
        <p id="smtp-password-help" className="muted field-help">
          The password goes straight to the system keyring; Coffer never shows it again and never writes it into its database.
          Leave the field empty to keep the password already saved (or to save none, if the server needs none).
        </p>
        {form.security === "none" ? (
          <p className="warn-note" role="note">
            Without encryption the login, the password and the notices cross the network readable by anyone on the way. Use it
            only for a mail relay on this computer or your own network.
          </p>
        ) : null}
        {hadPassword && form.password === "" ? (
          <p className="muted" role="note">
            A password is saved; saving with this field empty keeps it.
          </p>
        ) : null}
        <div className="toolbar">
          <button type="submit" className="primary" disabled={busy || view === null}>
            Save and send by SMTP
          </button>
          <button type="button" id="smtp-clear" onClick={backToOutbox} disabled={busy || view === null || view.channel !== "smtp"}>
            Back to the outbox
          </button>
        </div>
      </form>
    </section>
  );
}
