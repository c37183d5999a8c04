// The window: header with the location switcher, the sandbox banner, the navigation and one view.
// First start with no merchant sets up sandbox mode (embedded sandboxes, demo merchants, sync).
import { useCallback, useEffect, useState } from "react";
import type { CustomerListRow, MerchantView, ProgressEvent } from "./ipc/bindings";
import { api } from "./ipc/client";
import { merchantsIn, overriddenIn, type Scope } from "./state/scope";
import { environmentBanner } from "./state/environment";
import { BackgroundCharges } from "./components/BackgroundCharges";
import { MerchantSwitcher } from "./components/MerchantSwitcher";
import { ErrorNotice } from "./components/ErrorNotice";
import { ProgressBar } from "./components/ProgressBar";
import { CustomersView } from "./views/customers/CustomersView";
import { CustomerView } from "./views/customer/CustomerView";
import { AuditView } from "./views/audit/AuditView";
import { SettingsView } from "./views/settings/SettingsView";
import { DashboardView } from "./views/dashboard/DashboardView";
import { DueView } from "./views/due/DueView";
import { ContractsView } from "./views/contracts/ContractsView";
import { ExportView } from "./views/export/ExportView";
import { EnrollmentsView } from "./views/enrollment/EnrollmentsView";

export type Route =
  | { name: "dashboard" }
  | { name: "customers" }
  | { name: "customer"; customer: CustomerListRow }
  | { name: "due" }
  | { name: "contracts"; contractId?: number }
  | { name: "enrollments" }
  | { name: "export" }
  | { name: "audit" }
  | { name: "settings" };

type ViewName = Exclude<Route["name"], "customer">;

const VIEWS: { name: ViewName; label: string }[] = [
  { name: "customers", label: "Customers" },
  { name: "due", label: "Due list" },
  { name: "contracts", label: "Contracts" },
  { name: "enrollments", label: "Enrollments" },
  { name: "dashboard", label: "Dashboard" },
  { name: "export", label: "Export" },
  { name: "audit", label: "Audit log" },
  { name: "settings", label: "Settings" },
];

export function App() {
  const [merchants, setMerchants] = useState<MerchantView[] | null>(null);
  const [scope, setScope] = useState<Scope>({ kind: "all" });
  const [route, setRoute] = useState<Route>({ name: "customers" });
  const [error, setError] = useState<unknown>(null);
  const [setup, setSetup] = useState<ProgressEvent | null | "idle">("idle");

  const reloadMerchants = useCallback(async () => {
    const list = await api.listMerchants();
    setMerchants(list);
    return list;
  }, []);

  useEffect(() => {
    (async () => {
      try {
        const list = await reloadMerchants();
        if (list.length === 0) {
          setSetup(null);
          await api.demo((e) => setSetup(e));
          await reloadMerchants();
        }
      } catch (e) {
        setError(e);
      } finally {
        setSetup("idle");
      }
    })();
  }, [reloadMerchants]);

  const navLabel = route.name === "customer" ? "customers" : route.name;

  return (
    <div className="app">
      <header className="topbar">
        <h1 className="logo">Coffer</h1>
        {merchants && merchants.length > 0 ? (
          <MerchantSwitcher
            merchants={merchants}
            scope={scope}
            onChange={(s) => {
              setScope(s);
              if (route.name === "customer") setRoute({ name: "customers" });
            }}
          />
        ) : null}
      </header>
      {merchants ? <EnvironmentBanner scope={scope} merchants={merchants} /> : null}
      {merchants
        ? overriddenIn(scope, merchants).map((m) => (
            <div className="override-banner" id={`override-banner-${m.id}`} key={m.id} role="note">
              <strong>Host override</strong> — {m.name}'s secret goes to {m.host_override?.host}, not a {m.provider} host. Reason given:{" "}
              {m.host_override?.reason}
            </div>
          ))
        : null}
      <div className="body">
        <nav className="nav" aria-label="Views">
          <ul>
            {VIEWS.map((v) => (
              <li key={v.name}>
                <button
                  type="button"
                  id={`nav-${v.name}`}
                  aria-current={navLabel === v.name ? "page" : undefined}
                  onClick={() => setRoute({ name: v.name } as Route)}
                >
                  {v.label}
                </button>
              </li>
            ))}
          </ul>
        </nav>
        <main className="main" id="main">
          <ErrorNotice error={error} onDismiss={() => setError(null)} />
          <BackgroundCharges />
          {setup !== "idle" ? (
            <ProgressBar event={setup} label="Setting up sandbox mode: starting the provider sandboxes and syncing the demo merchants" />
          ) : merchants === null ? (
            <p className="muted">Loading…</p>
          ) : (
            <RouteView
              route={route}
              scope={scope}
              merchants={merchants}
              setRoute={setRoute}
              reloadMerchants={reloadMerchants}
            />
          )}
        </main>
      </div>
    </div>
  );
}

/** What is in view, exactly: Coffer's sandbox (yellow), the provider's test environment, or live
 * merchants (a mixed view says it holds live ones). */
function EnvironmentBanner({ scope, merchants }: { scope: Scope; merchants: MerchantView[] }) {
  const banner = environmentBanner(merchantsIn(scope, merchants));
  if (!banner) return null;
  if (banner.kind === "sandbox") {
    return (
      <div className="sandbox-banner" id="sandbox-banner" role="note" data-kind="sandbox">
        <strong>{banner.title}</strong> — {banner.text}
      </div>
    );
  }
  return (
    <div className={`environment-banner environment-${banner.kind}`} id="environment-banner" role="note" data-kind={banner.kind} data-mixed={banner.mixed}>
      <strong>{banner.title}</strong> — {banner.text}
    </div>
  );
}

function RouteView({
  route,
  scope,
  merchants,
  setRoute,
  reloadMerchants,
}: {
  route: Route;
  scope: Scope;
  merchants: MerchantView[];
  setRoute: (r: Route) => void;
  reloadMerchants: () => Promise<MerchantView[]>;
}) {
  switch (route.name) {
    case "dashboard":
      return <DashboardView scope={scope} />;
    case "customers":
      return <CustomersView scope={scope} merchants={merchants} onOpen={(c) => setRoute({ name: "customer", customer: c })} />;
    case "customer":
      return (
        <CustomerView
          customer={route.customer}
          merchants={merchants}
          onBack={() => setRoute({ name: "customers" })}
          onOpenContract={(id) => setRoute({ name: "contracts", contractId: id })}
        />
      );
    case "due":
      return <DueView scope={scope} merchants={merchants} onOpenContract={(id) => setRoute({ name: "contracts", contractId: id })} />;
    case "contracts":
      return <ContractsView scope={scope} merchants={merchants} contractId={route.contractId} />;
    case "enrollments":
      return <EnrollmentsView scope={scope} merchants={merchants} />;
    case "export":
      return <ExportView scope={scope} merchants={merchants} />;
    case "audit":
      return <AuditView scope={scope} merchants={merchants} />;
    case "settings":
      return <SettingsView merchants={merchants} reloadMerchants={reloadMerchants} />;
  }
}
