// The dashboard: headline figures and four charts for the switcher's scope. Money charts show one
// currency at a time (the owner picks it when the scope charges in several); the engine's
// figures are shown as they come, only laid out by series.ts.
import { Component, lazy, Suspense, useEffect, useMemo, useState, type ReactNode } from "react";
import type { DashboardView as Dashboard } from "../../ipc/bindings";
import { api } from "../../ipc/client";
import { formatMinor } from "../../format/money";
import { scopeFilter, scopeKey, type Scope } from "../../state/scope";
import { ErrorNotice } from "../../components/ErrorNotice";
import { useChartColors } from "./ChartPanel";
import { UnknownOutcomes } from "./UnknownOutcomes";
import { chartCurrencies, currenciesWords, pickCurrency, UPCOMING_DAYS, upcomingTotals, type Bucket } from "./series";

const DashboardCharts = lazy(() => import("./DashboardCharts"));
const count = new Intl.NumberFormat();

export function DashboardView({ scope }: { scope: Scope }) {
  const [view, setView] = useState<Dashboard | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const [chosen, setChosen] = useState<string | null>(null);
  const [bucket, setBucket] = useState<Bucket>("day");
  const [reload, setReload] = useState(0);
  const colors = useChartColors();
  const key = scopeKey(scope);

  useEffect(() => {
    let live = true;
    setLoading(true);
    setError(null);
    api
      .dashboard(scopeFilter(scope))
      .then((v) => live && setView(v))
      .catch((e) => live && setError(e))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
    // The scope's key stands for the scope.
  }, [key, reload]);

  const currencies = useMemo(() => (view ? chartCurrencies(view) : []), [view]);
  const currency = view ? pickCurrency(view, chosen) : null;

  return (
    <section aria-labelledby="view-title" className="dashboard">
      <div className="view-head">
        <h2 id="view-title">Dashboard</h2>
        <div className="toolbar">
          {currencies.length > 1 ? (
            <label htmlFor="dashboard-currency">
              Currency of the money charts{" "}
              <select id="dashboard-currency" value={currency ?? ""} onChange={(e) => setChosen(e.target.value)}>
                {currencies.map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </select>
            </label>
          ) : null}
          <button type="button" onClick={() => setReload((n) => n + 1)} disabled={loading}>
            Refresh
          </button>
        </div>
      </div>
      <ErrorNotice error={error} onDismiss={() => setError(null)} />
      {view === null ? (
        <p className="muted" role="status">
          {loading ? "Loading the figures…" : "No figures."}
        </p>
      ) : (
        <>
          {view.currencies.length > 1 ? (
            <p className="muted" id="dashboard-currencies">
              {currenciesWords(view.currencies, currencies)} Each money chart shows one currency; amounts in different
              currencies are never added together.
            </p>
          ) : null}
          <Headlines view={view} />
          <UnknownOutcomes scope={scope} onChanged={() => setReload((n) => n + 1)} />
          <ChartsBoundary>
            <Suspense fallback={<p className="muted">Loading the charts…</p>}>
              <DashboardCharts view={view} currency={currency} colors={colors} bucket={bucket} setBucket={setBucket} />
            </Suspense>
          </ChartsBoundary>
        </>
      )}
    </section>
  );
}

function Headlines({ view }: { view: Dashboard }) {
  const due = upcomingTotals(view.upcoming);
  return (
    <dl className="kpis">
      <div className="kpi" id="kpi-contracts">
        <dt>Active contracts</dt>
        <dd className="kpi-value">{count.format(view.active_contracts)}</dd>
      </div>
      <div className="kpi" id="kpi-due">
        <dt>Charges due in the next {UPCOMING_DAYS} days</dt>
        <dd className="kpi-value">{count.format(due.charges)}</dd>
        <dd className="kpi-sub">
          {due.sums.length === 0 ? "Nothing to charge" : due.sums.map((s) => formatMinor(s.minor, s.currency)).join(" · ")}
        </dd>
      </div>
      <div className={`kpi${view.expired_on_file > 0 ? " kpi-warn" : ""}`} id="kpi-expired">
        <dt>Expired cards on file</dt>
        <dd className="kpi-value">{count.format(view.expired_on_file)}</dd>
        <dd className="kpi-sub">They can no longer be charged: ask these customers for a new card.</dd>
      </div>
      <div className={`kpi${view.unsettled > 0 ? " kpi-warn" : ""}`} id="kpi-unsettled">
        <dt>Charges with an unknown outcome</dt>
        <dd className="kpi-value">{count.format(view.unsettled)}</dd>
        <dd className="kpi-sub">
          {view.unsettled > 0
            ? "No answer proved what happened. Reconcile them below, or resolve them by hand, before these cards are charged again."
            : "Every charge has its answer."}
        </dd>
      </div>
    </dl>
  );
}

/** Shows why the charts could not be drawn instead of leaving an empty window. */
class ChartsBoundary extends Component<{ children: ReactNode }, { error: unknown }> {
  state = { error: null as unknown };
  static getDerivedStateFromError(error: unknown) {
    return { error };
  }
  render() {
    return this.state.error ? <ErrorNotice error={this.state.error} /> : this.props.children;
  }
}
