// A bar chart drawn by Chart.js on a canvas. Chart.js sets only CSSOM style properties (CSP-safe,
// no <style> element) and runs with Tauri's frozen Object.prototype. The canvas is focusable: the
// arrow keys, Home and End move through the bars, show the tooltip and read the bar out through a
// live region, so the chart works without a mouse; the panel's table has every figure as well.
import { useEffect, useId, useMemo, useRef, useState } from "react";
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip, type ChartConfiguration } from "chart.js";
import type { ChartColors } from "./ChartPanel";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

export type BarSeries = { label: string; values: number[]; color: string; stack?: string };

function rootFont(): { family: string; size: number } {
  const root = getComputedStyle(document.documentElement);
  const px = Number.parseFloat(root.fontSize) || 16;
  return { family: root.fontFamily, size: Math.round(px * 0.8) };
}

export function BarCanvas({
  label,
  labels,
  series,
  stacked = false,
  colors,
  formatValue,
  formatKey = "",
  describe,
  legend = series.length > 1,
}: {
  /** The chart's accessible name. */
  label: string;
  /** One label per bar (category). */
  labels: string[];
  series: BarSeries[];
  stacked?: boolean;
  colors: ChartColors;
  /** Axis ticks and tooltip values. */
  formatValue: (v: number) => string;
  /** Changes whenever formatValue formats differently (the currency), to redraw the ticks. */
  formatKey?: string;
  /** One bar in words, for the live region when moving with the keys. */
  describe: (index: number) => string;
  legend?: boolean;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<"bar"> | null>(null);
  const [active, setActive] = useState<number | null>(null);
  const liveId = useId();
  const format = useRef(formatValue);
  format.current = formatValue;

  const config = useMemo<ChartConfiguration<"bar">>(() => {
    const font = rootFont();
    return {
      type: "bar",
      data: {
        labels,
        datasets: series.map((s) => ({
          label: s.label,
          data: s.values,
          backgroundColor: s.color,
          // A thin line in the panel's colour keeps stacked segments apart.
          borderColor: colors.panel,
          borderWidth: stacked ? 1 : 0,
          stack: s.stack,
          maxBarThickness: 48,
        })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        font,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { stacked, grid: { display: false }, border: { color: colors.grid }, ticks: { color: colors.axis, font, autoSkip: true, maxRotation: 0 } },
          y: {
            stacked,
            beginAtZero: true,
            grid: { color: colors.grid },
            border: { display: false },
            ticks: { color: colors.axis, font, precision: 0, callback: (v) => format.current(Number(v)) },
          },
        },
        plugins: {
          legend: { display: legend, position: "bottom", labels: { color: colors.text, font, boxWidth: font.size, boxHeight: font.size } },
          tooltip: {
            backgroundColor: colors.panel,
            borderColor: colors.grid,
            borderWidth: 1,
            titleColor: colors.text,
            bodyColor: colors.text,
            titleFont: { ...font, weight: "bold" },
            bodyFont: font,
            padding: 8,
            callbacks: { label: (item) => `${item.dataset.label ?? ""}: ${format.current(Number(item.raw))}` },
          },
        },
      },
    };
    // The arrays are rebuilt on every render of the panel; their content decides.
  }, [JSON.stringify(labels), JSON.stringify(series), stacked, colors, formatKey, legend]);

  useEffect(() => {
    if (!canvas.current) return;
    const c = new Chart(canvas.current, config);
    chart.current = c;
    setActive(null);
    return () => {
      chart.current = null;
      c.destroy();
    };
  }, [config]);

  const show = (index: number | null) => {
    const c = chart.current;
    if (!c) return;
    if (index === null) {
      c.setActiveElements([]);
      c.tooltip?.setActiveElements([], { x: 0, y: 0 });
    } else {
      const elements = c.data.datasets.map((_, datasetIndex) => ({ datasetIndex, index })).filter((e) => c.isDatasetVisible(e.datasetIndex));
      const bar = c.getDatasetMeta(0).data[index];
      c.setActiveElements(elements);
      c.tooltip?.setActiveElements(elements, { x: bar?.x ?? 0, y: bar?.y ?? 0 });
    }
    c.update();
    setActive(index);
  };

  const onKeyDown = (e: React.KeyboardEvent) => {
    const last = labels.length - 1;
    const at = active ?? -1;
    const next =
      e.key === "ArrowRight" || e.key === "ArrowDown" ? Math.min(last, at + 1)
      : e.key === "ArrowLeft" || e.key === "ArrowUp" ? Math.max(0, at < 0 ? 0 : at - 1)
      : e.key === "Home" ? 0
      : e.key === "End" ? last
      : e.key === "Escape" ? null
      : undefined;
    if (next === undefined || last < 0) return;
    e.preventDefault();
    show(next);
  };

  return (
    <div className="chart-box">
      <canvas
        ref={canvas}
        tabIndex={0}
        role="img"
        aria-label={`${label}. Focus the chart and use the left and right arrow keys to read each bar.`}
        aria-describedby={liveId}
        onKeyDown={onKeyDown}
        onBlur={() => active !== null && show(null)}
      >
        {label}
      </canvas>
      <p id={liveId} className="visually-hidden" aria-live="polite">
        {active !== null ? describe(active) : ""}
      </p>
    </div>
  );
}
