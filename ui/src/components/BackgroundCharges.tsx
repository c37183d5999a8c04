// Charges that go on after their dialog was closed (the provider was slow to answer): each says
// it is waiting, then what the answer was, until dismissed.
import { useSyncExternalStore } from "react";
import { dismiss, snapshot, subscribe } from "../state/backgroundCharges";

export function BackgroundCharges() {
  const charges = useSyncExternalStore(subscribe, snapshot);
  if (charges.length === 0) return null;
  return (
    <ul className="background-charges" id="background-charges" aria-live="polite">
      {charges.map((c) => (
        <li key={c.id} data-status={c.status}>
          <strong>Charge of {c.label}:</strong> {c.words}{" "}
          {c.status === "waiting" ? null : (
            <button type="button" className="link" onClick={() => dismiss(c.id)}>
              Dismiss
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}
