// Slots for the views the engine side is still building (issue #8, LATER): the navigation
// already has their place, so adding one is a new folder under views/ and a case in App.tsx.
export type LaterName = "charges" | "contracts" | "due" | "dashboard" | "export";

export const LATER_VIEWS: { name: LaterName; label: string; what: string }[] = [
  { name: "due", label: "Due list", what: "the occurrences due soon, their notices, and a run with progress" },
  { name: "contracts", label: "Contracts", what: "recurring agreements on a card: amounts, frequency, status" },
  { name: "charges", label: "Charges", what: "the charge dialog with the exact stored-credential flags and the policy verdict" },
  { name: "dashboard", label: "Dashboard", what: "charts of charges, declines and cards expiring" },
  { name: "export", label: "Export", what: "CSV export of customers, cards and charges" },
];

export function LaterView({ name }: { name: LaterName }) {
  const view = LATER_VIEWS.find((v) => v.name === name);
  return (
    <section aria-labelledby="view-title">
      <h2 id="view-title">{view?.label}</h2>
      <p className="muted">Not built yet. This view will show {view?.what}.</p>
    </section>
  );
}
