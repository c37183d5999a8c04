// The dashboard's four charts (Recharts, SVG). Loaded on first use of the dashboard, so the chart
// library stays out of the window's start-up bundle.
import { useMemo } from "react";
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from "recharts";
import type { DashboardView as Dashboard } from "../../ipc/bindings";
import { formatMinor } from "../../format/money";
import { ChartPanel, tooltipStyles, type ChartColors } from "./ChartPanel";
import {
  allZero,
  bucketLabel,
  declineSeries,
  expiringSeries,
  localToday,
  monthLabel,
  revenueSeries,
  UPCOMING_DAYS,
  upcomingSeries,
  type Bucket,
} from "./series";

const count = new Intl.NumberFormat();

export default function DashboardCharts({
  view,
  currency,
  colors,
  bucket,
  setBucket,
}: {
  view: Dashboard;
  currency: string | null;
  colors: ChartColors;
  bucket: Bucket;
  setBucket: (b: Bucket) => void;
}) {
  return (
    <div className="chart-grid">
      <RevenueChart view={view} currency={currency} colors={colors} />
      <UpcomingChart view={view} currency={currency} colors={colors} bucket={bucket} setBucket={setBucket} />
      <DeclinesChart view={view} colors={colors} />
      <ExpiringChart view={view} colors={colors} />
    </div>
  );
}

function axisProps(colors: ChartColors) {
  return { stroke: colors.grid, tick: { fill: colors.axis }, tickLine: { stroke: colors.grid } };
}

function RevenueChart({ view, currency, colors }: { view: Dashboard; currency: string | null; colors: ChartColors }) {
  const data = revenueSeries(view.months, view.revenue, currency);
  const money = (v: unknown) => (currency ? formatMinor(Number(v), currency) : String(v));
  const title = currency ? `Revenue by month (${currency})` : "Revenue by month";
  return (
    <ChartPanel
      id="dashboard-revenue"
      title={title}
      note="Successful charges of recurring contracts and manual charges, stacked; refunds in their own bar."
      empty={currency === null || allZero(data, ["recurring", "manual", "refunded"])}
      emptyText="No successful charges or refunds in the last 12 months."
      chart={() => (
        <BarChart
          responsive
          style={{ width: "100%", height: "100%" }}
          data={data}
          title={title}
          desc="Bar chart. Use the arrow keys to go through the months, or show the table."
          margin={{ top: 8, right: 8, bottom: 0, left: 8 }}
        >
          <CartesianGrid stroke={colors.grid} vertical={false} />
          <XAxis dataKey="month" tickFormatter={(m: string) => monthLabel(m)} {...axisProps(colors)} />
          <YAxis width="auto" allowDecimals={false} tickFormatter={money} {...axisProps(colors)} />
          <Tooltip formatter={money} labelFormatter={(m) => monthLabel(String(m), undefined, "long")} cursor={{ fill: colors.cursor }} {...tooltipStyles} />
          <Legend />
          <Bar dataKey="recurring" name="Recurring" stackId="in" fill={colors.recurring} isAnimationActive={false} />
          <Bar dataKey="manual" name="Manual" stackId="in" fill={colors.manual} isAnimationActive={false} />
          <Bar dataKey="refunded" name="Refunded" stackId="out" fill={colors.refund} isAnimationActive={false} />
        </BarChart>
      )}
      table={
        <table className="plain-table">
          <caption className="visually-hidden">{title}</caption>
          <thead>
            <tr>
              <th scope="col">Month</th>
              <th scope="col" className="num">Recurring</th>
              <th scope="col" className="num">Manual</th>
              <th scope="col" className="num">Refunded</th>
            </tr>
          </thead>
          <tbody>
            {data.map((p) => (
              <tr key={p.month}>
                <th scope="row">{monthLabel(p.month, undefined, "long")}</th>
                <td className="num">{money(p.recurring)}</td>
                <td className="num">{money(p.manual)}</td>
                <td className="num">{money(p.refunded)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      }
    />
  );
}

function UpcomingChart({
  view,
  currency,
  colors,
  bucket,
  setBucket,
}: {
  view: Dashboard;
  currency: string | null;
  colors: ChartColors;
  bucket: Bucket;
  setBucket: (b: Bucket) => void;
}) {
  const data = useMemo(
    () => upcomingSeries(view.upcoming, currency, localToday(), UPCOMING_DAYS, bucket).map((p) => ({ ...p, label: bucketLabel(p) })),
    [view, currency, bucket],
  );
  const money = (v: unknown) => (currency ? formatMinor(Number(v), currency) : String(v));
  const title = currency ? `Charges due in the next ${UPCOMING_DAYS} days (${currency})` : `Charges due in the next ${UPCOMING_DAYS} days`;
  return (
    <ChartPanel
      id="dashboard-upcoming"
      title={title}
      note="What the contracts will charge, by due date. Overdue charges are on the due list."
      tools={
        <fieldset className="segmented">
          <legend className="visually-hidden">Group the days</legend>
          {(["day", "week"] as const).map((b) => (
            <label key={b}>
              <input type="radio" name="upcoming-bucket" value={b} checked={bucket === b} onChange={() => setBucket(b)} />
              {b === "day" ? "By day" : "By week"}
            </label>
          ))}
        </fieldset>
      }
      empty={currency === null || allZero(data, ["charges"])}
      emptyText={`No contract charges due in the next ${UPCOMING_DAYS} days${currency ? ` in ${currency}` : ""}.`}
      chart={() => (
        <BarChart
          responsive
          style={{ width: "100%", height: "100%" }}
          data={data}
          title={title}
          desc="Bar chart. Use the arrow keys to go through the days, or show the table."
          margin={{ top: 8, right: 8, bottom: 0, left: 8 }}
        >
          <CartesianGrid stroke={colors.grid} vertical={false} />
          <XAxis dataKey="label" {...axisProps(colors)} />
          <YAxis width="auto" allowDecimals={false} tickFormatter={money} {...axisProps(colors)} />
          <Tooltip
            formatter={(v, _name, item) => [`${money(v)} (${count.format((item.payload as { charges: number }).charges)} charges)`, "Due"]}
            cursor={{ fill: colors.cursor }}
            {...tooltipStyles}
          />
          <Bar dataKey="amount" name="Due" fill={colors.upcoming} isAnimationActive={false} />
        </BarChart>
      )}
      table={
        <table className="plain-table">
          <caption className="visually-hidden">{title}</caption>
          <thead>
            <tr>
              <th scope="col">{bucket === "day" ? "Day" : "Week"}</th>
              <th scope="col" className="num">Charges</th>
              <th scope="col" className="num">Amount</th>
            </tr>
          </thead>
          <tbody>
            {data.map((p) => (
              <tr key={p.from}>
                <th scope="row">{p.label}</th>
                <td className="num">{count.format(p.charges)}</td>
                <td className="num">{money(p.amount)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      }
    />
  );
}

function DeclinesChart({ view, colors }: { view: Dashboard; colors: ChartColors }) {
  const data = declineSeries(view.months, view.declines);
  const title = "Declined charges by month";
  return (
    <ChartPanel
      id="dashboard-declines"
      title={title}
      note="Soft declines may succeed on a later try; after a hard decline the card is never charged again."
      empty={allZero(data, ["soft", "hard"])}
      emptyText="No declined charges in the last 12 months."
      chart={() => (
        <BarChart
          responsive
          style={{ width: "100%", height: "100%" }}
          data={data}
          title={title}
          desc="Bar chart. Use the arrow keys to go through the months, or show the table."
          margin={{ top: 8, right: 8, bottom: 0, left: 8 }}
        >
          <CartesianGrid stroke={colors.grid} vertical={false} />
          <XAxis dataKey="month" tickFormatter={(m: string) => monthLabel(m)} {...axisProps(colors)} />
          <YAxis width="auto" allowDecimals={false} {...axisProps(colors)} />
          <Tooltip labelFormatter={(m) => monthLabel(String(m), undefined, "long")} cursor={{ fill: colors.cursor }} {...tooltipStyles} />
          <Legend />
          <Bar dataKey="soft" name="Soft (may be retried)" stackId="d" fill={colors.soft} isAnimationActive={false} />
          <Bar dataKey="hard" name="Hard (never retried)" stackId="d" fill={colors.hard} isAnimationActive={false} />
        </BarChart>
      )}
      table={
        <table className="plain-table">
          <caption className="visually-hidden">{title}</caption>
          <thead>
            <tr>
              <th scope="col">Month</th>
              <th scope="col" className="num">Soft</th>
              <th scope="col" className="num">Hard</th>
            </tr>
          </thead>
          <tbody>
            {data.map((p) => (
              <tr key={p.month}>
                <th scope="row">{monthLabel(p.month, undefined, "long")}</th>
                <td className="num">{count.format(p.soft)}</td>
                <td className="num">{count.format(p.hard)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      }
    />
  );
}

function ExpiringChart({ view, colors }: { view: Dashboard; colors: ChartColors }) {
  const data = expiringSeries(view.expiring);
  const title = "Cards expiring per month";
  return (
    <ChartPanel
      id="dashboard-expiring"
      title={title}
      note="Active cards on file by the month they expire, from this month on. Ask for a new card before then."
      empty={allZero(data, ["cards"])}
      emptyText="No active card expires in the next 12 months."
      chart={() => (
        <BarChart
          responsive
          style={{ width: "100%", height: "100%" }}
          data={data}
          title={title}
          desc="Bar chart. Use the arrow keys to go through the months, or show the table."
          margin={{ top: 8, right: 8, bottom: 0, left: 8 }}
        >
          <CartesianGrid stroke={colors.grid} vertical={false} />
          <XAxis dataKey="month" tickFormatter={(m: string) => monthLabel(m)} {...axisProps(colors)} />
          <YAxis width="auto" allowDecimals={false} {...axisProps(colors)} />
          <Tooltip labelFormatter={(m) => monthLabel(String(m), undefined, "long")} cursor={{ fill: colors.cursor }} {...tooltipStyles} />
          <Bar dataKey="cards" name="Cards" fill={colors.expiring} isAnimationActive={false} />
        </BarChart>
      )}
      table={
        <table className="plain-table">
          <caption className="visually-hidden">{title}</caption>
          <thead>
            <tr>
              <th scope="col">Month</th>
              <th scope="col" className="num">Cards</th>
            </tr>
          </thead>
          <tbody>
            {data.map((p) => (
              <tr key={p.month}>
                <th scope="row">{monthLabel(p.month, undefined, "long")}</th>
                <td className="num">{count.format(p.cards)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      }
    />
  );
}
