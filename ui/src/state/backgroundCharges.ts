// Charges whose dialog was closed while the provider had not answered: the charge goes on in
// the engine, and the window shows it here until its answer arrives and the owner dismisses it.
// A tiny store for useSyncExternalStore; the words are pure (tests/charge.test.ts).
import type { ChargeResult } from "../ipc/bindings";
import { outcomeOf } from "../views/charge/verdict";

export interface BackgroundCharge {
  id: number;
  /** "€5.00 on Visa •••• 4242 (Clover Dublin)". */
  label: string;
  /** Still waiting, or the engine's status once answered. */
  status: "waiting" | ChargeResult["status"] | "error";
  words: string;
}

let items: BackgroundCharge[] = [];
let nextId = 1;
const listeners = new Set<() => void>();

function publish(next: BackgroundCharge[]) {
  items = next;
  for (const l of listeners) l();
}

export function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function snapshot(): BackgroundCharge[] {
  return items;
}

export function dismiss(id: number) {
  publish(items.filter((i) => i.id !== id));
}

/** What a followed charge says once it has its answer. */
export function settledWords(result: ChargeResult): string {
  const outcome = outcomeOf(result);
  return [outcome.title, ...outcome.lines].join(". ");
}

/** Follows `answer` after its dialog closed; `onSettled` refreshes the views that show it. */
export function follow(label: string, answer: Promise<ChargeResult>, onSettled: (result: ChargeResult | null) => void) {
  const id = nextId++;
  publish([...items, { id, label, status: "waiting", words: "Waiting for the provider's answer…" }]);
  answer.then(
    (result) => {
      publish(items.map((i) => (i.id === id ? { ...i, status: result.status, words: settledWords(result) } : i)));
      onSettled(result);
    },
    (e: unknown) => {
      const message = e instanceof Error ? e.message : String((e as { message?: string })?.message ?? e);
      publish(items.map((i) => (i.id === id ? { ...i, status: "error", words: message } : i)));
      onSettled(null);
    },
  );
}
