// Placeholder until the due list lands (issue #8).
import type { Scope } from "../../state/scope";

export function DueView(_props: { scope: Scope; onOpenContract: (id: number) => void }) {
  return (
    <section aria-labelledby="view-title">
      <h2 id="view-title">Due list</h2>
    </section>
  );
}
