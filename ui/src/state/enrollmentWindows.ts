// The counter windows of enrollments: opened from the dialog or the Enrollments view, their events
// (the settled enrollment after the page's return, a failed check, a closed window) go to every
// view that listens, so whichever is on screen shows the outcome.
import type { EnrollmentEvent } from "../ipc/bindings";
import { api } from "../ipc/client";
import { enrollmentStateLine } from "../views/enrollment/enrollment";

type Listener = (event: EnrollmentEvent) => void;
const listeners = new Set<Listener>();

/** Listens to every counter window's events; returns the unsubscribe. */
export function onEnrollmentEvent(listener: Listener): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

/** Opens (or brings forward) enrollment `id`'s counter window. */
export function openEnrollmentWindow(id: number): Promise<null> {
  return api.openEnrollmentWindow(id, (event) => listeners.forEach((l) => l(event)));
}

/** What an event says to the owner. */
export function enrollmentEventNote(event: EnrollmentEvent): string {
  switch (event.kind) {
    case "returned":
      return `Enrollment ${event.enrollment.id}: ${enrollmentStateLine(event.enrollment)}.`;
    case "check_failed":
      return `Enrollment ${event.id} returned from the page, but the provider could not confirm it yet (${event.error.message}); it stays pending — check it again.`;
    case "closed":
      return `The window of enrollment ${event.id} was closed before the page returned: it stays pending until the provider is checked or it expires.`;
  }
}
