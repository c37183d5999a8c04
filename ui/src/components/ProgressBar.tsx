import type { ProgressEvent } from "../ipc/bindings";

export function ProgressBar({ event, label }: { event: ProgressEvent | null; label: string }) {
  const max = event?.total ?? undefined;
  return (
    <div className="progress" role="status" aria-live="polite">
      <div>{label}</div>
      <progress max={max} value={max ? event?.done : undefined} aria-label={label} />
      <div className="muted">{event?.message ?? "Starting…"}</div>
    </div>
  );
}
