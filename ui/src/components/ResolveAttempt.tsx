// Settling by hand an attempt whose outcome no answer proved: the person checked at the provider
// and says what they found (made, with its reference; or not made, on the day they checked). The
// engine audits it and keeps asking the provider for 35 days; a record that disagrees raises an
// alert. Used on the dashboard and on the card's charge history.
import { useState } from "react";
import { api } from "../ipc/client";

export function ResolveAttempt({
  id,
  busy,
  act,
}: {
  id: number;
  busy: boolean;
  act: (what: () => Promise<string>) => Promise<void>;
}) {
  const [reference, setReference] = useState("");
  const [checkedOn, setCheckedOn] = useState(new Date().toISOString().slice(0, 10));
  return (
    <>
      <form
        className="resolve-form"
        data-resolve={id}
        onSubmit={(e) => {
          e.preventDefault();
          void act(async () => {
            await api.resolveAttempt(id, { verdict: "made", provider_ref: reference.trim() });
            return `#${id} resolved by hand: made, reference ${reference.trim()}.`;
          });
        }}
      >
        <label>
          Found it at the provider: reference{" "}
          <input value={reference} onChange={(e) => setReference(e.target.value)} required />
        </label>
        <button type="submit" disabled={busy || reference.trim() === ""}>
          Resolve as made
        </button>
      </form>
      <form
        className="resolve-form"
        data-resolve-not-made={id}
        onSubmit={(e) => {
          e.preventDefault();
          void act(async () => {
            await api.resolveAttempt(id, { verdict: "not_made", checked_on: checkedOn });
            return `#${id} resolved by hand: not made (checked on ${checkedOn}).`;
          });
        }}
      >
        <label>
          Not at the provider, checked on <input type="date" value={checkedOn} onChange={(e) => setCheckedOn(e.target.value)} required />
        </label>
        <button type="submit" disabled={busy}>
          Resolve as not made
        </button>
      </form>
    </>
  );
}
