// Placeholder until CSV export lands (issue #8).
import type { MerchantView } from "../../ipc/bindings";
import type { Scope } from "../../state/scope";

export function ExportView(_props: { scope: Scope; merchants: MerchantView[] }) {
  return (
    <section aria-labelledby="view-title">
      <h2 id="view-title">Export</h2>
    </section>
  );
}
