// One dashboard chart: a titled section, the chart (BarCanvas: Chart.js, readable bar by bar with
// the arrow keys once focused), and its figures as a table behind a toggle for anyone who cannot
// or would rather not read a chart. Colours come from the CSS variables, so the OS theme applies.
import { useEffect, useState, type ReactNode } from "react";

const COLOR_VARS = {
  recurring: "--chart-recurring",
  manual: "--chart-manual",
  refund: "--chart-refund",
  soft: "--chart-soft",
  hard: "--chart-hard",
  upcoming: "--chart-upcoming",
  expiring: "--chart-expiring",
  grid: "--line",
  axis: "--muted",
  text: "--text",
  panel: "--panel",
} as const;

export type ChartColors = Record<keyof typeof COLOR_VARS, string>;

function readColors(): ChartColors {
  const style = getComputedStyle(document.documentElement);
  return Object.fromEntries(
    Object.entries(COLOR_VARS).map(([key, name]) => [key, style.getPropertyValue(name).trim() || "currentColor"]),
  ) as ChartColors;
}

/** The chart colours of the current theme, read again when the OS switches light and dark. */
export function useChartColors(): ChartColors {
  const [colors, setColors] = useState(readColors);
  useEffect(() => {
    const query = window.matchMedia("(prefers-color-scheme: dark)");
    const update = () => setColors(readColors());
    query.addEventListener("change", update);
    return () => query.removeEventListener("change", update);
  }, []);
  return colors;
}

export function ChartPanel({
  id,
  title,
  note,
  empty,
  emptyText,
  chart,
  table,
  tools,
}: {
  id: string;
  title: string;
  note?: ReactNode;
  empty: boolean;
  emptyText: string;
  chart: () => ReactNode;
  table: ReactNode;
  tools?: ReactNode;
}) {
  const [showTable, setShowTable] = useState(false);
  const tableId = `${id}-table`;
  return (
    <section className="chart-panel" id={id} aria-labelledby={`${id}-title`}>
      <div className="chart-head">
        <h3 id={`${id}-title`}>{title}</h3>
        <div className="toolbar">
          {tools}
          <button type="button" aria-expanded={showTable} aria-controls={tableId} onClick={() => setShowTable((s) => !s)}>
            {showTable ? "Hide table" : "Show table"}
          </button>
        </div>
      </div>
      {note ? <p className="chart-note muted">{note}</p> : null}
      {empty ? <p className="chart-empty muted">{emptyText}</p> : chart()}
      <div className="plain-table-wrap chart-table" id={tableId} hidden={!showTable}>
        {showTable ? table : null}
      </div>
    </section>
  );
}
