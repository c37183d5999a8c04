// Where an enrollment link sends the cardholder back: a page on the merchant's own web site
// (https). A desktop app has no public address, so a link cannot be sent until it is set; a
// provider whose page works at the counter only needs none.
import { useEffect, useState } from "react";
import type { MerchantView } from "../../ipc/bindings";
import { api } from "../../ipc/client";
import { ErrorNotice } from "../../components/ErrorNotice";
import { linkRefusal } from "../enrollment/enrollment";

export function LinkReturnPanel({ merchants }: { merchants: MerchantView[] }) {
  const [merchantId, setMerchantId] = useState<number | null>(merchants[0]?.id ?? null);
  const [url, setUrl] = useState("");
  const [saved, setSaved] = useState<string | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const merchant = merchants.find((m) => m.id === merchantId) ?? null;
  const counterOnly = merchant ? linkRefusal(merchant.provider) : null;

  useEffect(() => {
    if (merchantId === null || !merchants.some((m) => m.id === merchantId)) setMerchantId(merchants[0]?.id ?? null);
  }, [merchants, merchantId]);

  useEffect(() => {
    if (merchantId === null) return;
    let live = true;
    setSaved(undefined);
    setNote(null);
    setError(null);
    api
      .linkReturnPage(merchantId)
      .then((page) => {
        if (!live) return;
        setSaved(page);
        setUrl(page ?? "");
      })
      .catch((e) => live && setError(e));
    return () => {
      live = false;
    };
  }, [merchantId]);

  const save = async (value: string | null) => {
    if (merchantId === null) return;
    setError(null);
    setNote(null);
    try {
      const page = await api.setLinkReturnPage(merchantId, value);
      setSaved(page);
      setUrl(page ?? "");
      setNote(page ? `Links of ${merchant?.name} return to ${page}.` : `${merchant?.name} has no link return page: links cannot be sent.`);
    } catch (e) {
      setError(e);
    }
  };

  return (
    <section aria-labelledby="link-return-title" id="link-return-panel">
      <h3 id="link-return-title">Enrollment links</h3>
      {merchants.length === 0 ? (
        <p className="muted">Add a merchant first.</p>
      ) : (
        <form
          className="merchant-form"
          onSubmit={(e) => {
            e.preventDefault();
            void save(url.trim() === "" ? null : url.trim());
          }}
        >
          <div className="form-grid">
            <label className="field">
              <span>Merchant</span>
              <select id="link-return-merchant" value={merchantId ?? ""} onChange={(e) => setMerchantId(Number(e.target.value))}>
                {merchants.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.name}
                  </option>
                ))}
              </select>
            </label>
            {counterOnly ? null : (
              <label className="field">
                <span>Page a link returns the cardholder to (https, your own web site)</span>
                <input id="link-return-url" type="url" placeholder="https://shop.example.com/card-saved" value={url} onChange={(e) => setUrl(e.target.value)} />
              </label>
            )}
          </div>
          {counterOnly ? (
            <p className="muted" id="link-return-counter-only">
              This provider enrolls cards at the counter only: {counterOnly}
            </p>
          ) : (
            <p className="muted">
              A desktop app has no public address: the cardholder's browser lands on this page after the provider's. The card is saved once the provider
              confirms it (Enrollments → Check); the address they landed on can be pasted there too.
            </p>
          )}
          {/* A counter-only provider needs no page: nothing to set, only one saved earlier to remove. */}
          {counterOnly && !saved ? null : (
            <p className="muted" id="link-return-current">
              {saved === undefined ? "Loading…" : saved ? `Now: ${saved}` : "Not set: links cannot be sent."}
            </p>
          )}
          <ErrorNotice error={error} onDismiss={() => setError(null)} />
          {note ? (
            <p role="status" className="ok-note">
              {note}
            </p>
          ) : null}
          <div className="toolbar">
            {counterOnly ? null : (
              <button type="submit" id="link-return-save">
                Save
              </button>
            )}
            {saved ? (
              <button type="button" id="link-return-clear" onClick={() => void save(null)}>
                Remove
              </button>
            ) : null}
          </div>
        </form>
      )}
    </section>
  );
}
