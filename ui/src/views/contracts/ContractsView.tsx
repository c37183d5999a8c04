// Placeholder until the contracts view lands (issue #8).
import type { Scope } from "../../state/scope";

export function ContractsView(_props: { scope: Scope; contractId?: number }) {
  return (
    <section aria-labelledby="view-title">
      <h2 id="view-title">Contracts</h2>
    </section>
  );
}
