// Placeholder until the dashboard's charts land (issue #8).
import type { Scope } from "../../state/scope";

export function DashboardView(_props: { scope: Scope }) {
  return (
    <section aria-labelledby="view-title">
      <h2 id="view-title">Dashboard</h2>
    </section>
  );
}
