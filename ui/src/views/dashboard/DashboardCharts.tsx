// The dashboard's four charts. Loaded on first use of the dashboard, so the chart library stays
// out of the window's start-up bundle.
import { useMemo } from "react";
import type { DashboardView as Dashboard } from "../../ipc/bindings";
import { formatMinor } from "../../format/money";
import { BarCanvas } from "./BarCanvas";
import { ChartPanel, type ChartColors } from "./ChartPanel";
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
const plain = (v: number) => count.format(v);

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

function moneyIn(currency: string | null) {
  return (v: number) => (currency ? formatMinor(v, currency) : String(v));
}

function RevenueChart({ view, currency, colors }: { view: Dashboard; currency: string | null; colors: ChartColors }) {
  const data = revenueSeries(view.months, view.revenue, currency);
  const money = moneyIn(currency);
  const title = currency ? `Revenue by month (${currency})` : "Revenue by month";
  return (
    <ChartPanel
      id="dashboard-revenue"
      title={title}
      note="Successful charges of recurring contracts and manual charges, stacked; refunds in their own bar."
      empty={currency === null || allZero(data, ["recurring", "manual", "refunded"])}
      emptyText="No successful charges or refunds in the last 12 months."
      chart={() => (
        <BarCanvas
          label={title}
          labels={data.map((p) => monthLabel(p.month))}
          stacked
          series={[
            { label: "Recurring", values: data.map((p) => p.recurring), color: colors.recurring, stack: "in" },
            { label: "Manual", values: data.map((p) => p.manual), color: colors.manual, stack: "in" },
            { label: "Refunded", values: data.map((p) => p.refunded), color: colors.refund, stack: "out" },
          ]}
          colors={colors}
          formatValue={money}
          formatKey={currency ?? ""}
          describe={(i) =>
            `${monthLabel(data[i].month, undefined, "long")}: recurring ${money(data[i].recurring)}, manual ${money(data[i].manual)}, refunded ${money(data[i].refunded)}.`
          }
        />
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
  const money = moneyIn(currency);
  const title = currency ? `Charges due in the next ${UPCOMING_DAYS} days (${currency})` : `Charges due in the next ${UPCOMING_DAYS} days`;
  const charges = (n: number) => `${count.format(n)} ${n === 1 ? "charge" : "charges"}`;
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
        <BarCanvas
          label={title}
          labels={data.map((p) => p.label)}
          series={[{ label: "Due", values: data.map((p) => p.amount), color: colors.upcoming }]}
          colors={colors}
          formatValue={money}
          formatKey={currency ?? ""}
          describe={(i) => `${data[i].label}: ${charges(data[i].charges)}, ${money(data[i].amount)}.`}
        />
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
        <BarCanvas
          label={title}
          labels={data.map((p) => monthLabel(p.month))}
          stacked
          series={[
            { label: "Soft (may be retried)", values: data.map((p) => p.soft), color: colors.soft },
            { label: "Hard (never retried)", values: data.map((p) => p.hard), color: colors.hard },
          ]}
          colors={colors}
          formatValue={plain}
          describe={(i) => `${monthLabel(data[i].month, undefined, "long")}: ${data[i].soft} soft, ${data[i].hard} hard.`}
        />
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
        <BarCanvas
          label={title}
          labels={data.map((p) => monthLabel(p.month))}
          series={[{ label: "Cards", values: data.map((p) => p.cards), color: colors.expiring }]}
          colors={colors}
          formatValue={plain}
          describe={(i) => `${monthLabel(data[i].month, undefined, "long")}: ${data[i].cards} ${data[i].cards === 1 ? "card" : "cards"}.`}
        />
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
