/**
 * Histograms from pre-binned counts (a histogram of 47 million pixels is computed in lib/data/explore,
 * not shipped to the browser). Exact-0 and exact-1 counts, when given, get bars of their own.
 */
import type { Figure, Trace } from "./figure";
import { THEME, axisTitle, baseLayout } from "./theme";

export interface BinnedCounts {
  /** Bin edges, length counts.length + 1, increasing. */
  edges: readonly number[];
  /** Count per bin. */
  counts: readonly number[];
  /** Values exactly at the lowest edge, drawn as a separate bar when given (they are inside counts[0]). */
  exactZero?: number;
  /** Values exactly at the highest edge, drawn separately when given (inside the last count). */
  exactOne?: number;
}

export interface HistogramOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  /** Logarithmic count axis: shows small bins next to huge ones. Default false. */
  logY?: boolean;
  /** A note drawn in the top-right corner (e.g. the shares of exact 0s and 1s). */
  note?: string;
}

/** A histogram figure (bar trace over bin centres, bars as wide as their bins). */
export function histogramFigure(hist: BinnedCounts, options: HistogramOptions = {}): Figure {
  const { edges } = hist;
  const bins = hist.counts.length;
  if (edges.length !== bins + 1) {
    throw new RangeError(
      `A histogram with ${bins} bins needs ${bins + 1} edges, got ${edges.length}.`,
    );
  }
  const counts = [...hist.counts];
  const split = hist.exactZero !== undefined || hist.exactOne !== undefined;
  if (split) {
    counts[0] -= hist.exactZero ?? 0;
    counts[bins - 1] -= hist.exactOne ?? 0;
  }
  const centres = counts.map((_, i) => (edges[i] + edges[i + 1]) / 2);
  const widths = counts.map((_, i) => edges[i + 1] - edges[i]);
  const data: Trace[] = [
    {
      type: "bar",
      name: split ? "strictly between" : "count",
      x: centres,
      y: counts,
      width: widths,
      marker: { color: THEME.colorway[0], line: { width: 0 } },
      hovertemplate: "%{x:.3f}: %{y}<extra></extra>",
    },
  ];
  const lo = edges[0];
  const hi = edges[bins];
  const w = widths[0] ?? 1;
  if (hist.exactZero !== undefined) {
    data.push({
      type: "bar",
      name: `exactly ${lo}`,
      x: [lo - w],
      y: [hist.exactZero],
      width: [w],
      marker: { color: THEME.colorway[1] },
      hovertemplate: `exactly ${lo}: %{y}<extra></extra>`,
    });
  }
  if (hist.exactOne !== undefined) {
    data.push({
      type: "bar",
      name: `exactly ${hi}`,
      x: [hi + w],
      y: [hist.exactOne],
      width: [w],
      marker: { color: THEME.colorway[2] },
      hovertemplate: `exactly ${hi}: %{y}<extra></extra>`,
    });
  }
  const layout = baseLayout(options.title);
  layout.bargap = 0;
  layout.showlegend = data.length > 1;
  layout.xaxis = { ...(layout.xaxis as object), ...axisTitle(options.xTitle ?? "value") };
  layout.yaxis = {
    ...(layout.yaxis as object),
    ...axisTitle(options.yTitle ?? "count"),
    ...(options.logY ? { type: "log", exponentformat: "power", dtick: 1 } : {}),
  };
  if (options.note) {
    layout.annotations = [
      {
        text: options.note,
        xref: "paper",
        yref: "paper",
        x: 0.98,
        y: 0.98,
        xanchor: "right",
        yanchor: "top",
        showarrow: false,
        align: "right",
        bgcolor: "rgba(255,255,255,0.85)",
        bordercolor: THEME.gridColor,
        borderwidth: 1,
        borderpad: 4,
      },
    ];
  }
  return { data, layout };
}
