/**
 * Confusion matrices (true class × predicted class, or class × cluster): a heatmap with the count
 * written in every cell, optionally coloured by each row's share so rare classes read as clearly
 * as common ones.
 */
import type { Figure, Trace } from "./figure";
import { PlotInputError } from "./check";
import { heatmapFigure } from "./heatmap";

/** White (0) to dark blue (max), ColorBrewer "Blues": plotly's own "Blues" runs dark to light. */
export const COUNT_COLORSCALE: [number, string][] = [
  [0, "#f7fbff"],
  [0.25, "#c6dbef"],
  [0.5, "#6baed6"],
  [0.75, "#2171b5"],
  [1, "#08306b"],
];

export interface ConfusionMatrixOptions {
  /** Label per row (e.g. true digit). Default 0..rows-1. */
  rowLabels?: readonly string[];
  /** Label per column (e.g. predicted digit or cluster). Default 0..cols-1. */
  colLabels?: readonly string[];
  /** Colour each cell by its share of the row (0..1) instead of the raw count. Default false. */
  normalize?: boolean;
  title?: string;
  /** Default "true class". */
  rowTitle?: string;
  /** Default "predicted class". */
  colTitle?: string;
}

/** A confusion-matrix heatmap of `counts[row][col]`, counts as text in each cell. */
export function confusionMatrixFigure(
  counts: readonly ArrayLike<number>[],
  options: ConfusionMatrixOptions = {},
): Figure {
  const rows = counts.length;
  const cols = rows > 0 ? counts[0].length : 0;
  if (rows === 0 || cols === 0) {
    throw new PlotInputError(
      "confusionMatrixFigure: the matrix is empty; pass at least one row of counts.",
    );
  }
  counts.forEach((row, r) => {
    if (row.length !== cols) {
      throw new PlotInputError(
        `confusionMatrixFigure: row ${r} has ${row.length} counts but row 0 has ${cols}; every row needs one count per column.`,
      );
    }
    for (let c = 0; c < cols; c++) {
      if (!(Number.isFinite(row[c]) && row[c] >= 0)) {
        throw new PlotInputError(
          `confusionMatrixFigure: count at row ${r}, column ${c} is ${row[c]}; counts must be finite and ≥ 0.`,
        );
      }
    }
  });
  for (const [labels, n, what] of [
    [options.rowLabels, rows, "rowLabels"],
    [options.colLabels, cols, "colLabels"],
  ] as const) {
    if (labels && labels.length !== n) {
      throw new PlotInputError(
        `confusionMatrixFigure: ${what} has ${labels.length} labels for ${n} ${what === "rowLabels" ? "rows" : "columns"}.`,
      );
    }
  }
  const plain = counts.map((row) => Array.from(row));
  const rowTotals = plain.map((row) => row.reduce((a, b) => a + b, 0));
  const shares = plain.map((row, r) => row.map((v) => (rowTotals[r] > 0 ? v / rowTotals[r] : 0)));
  const fig = heatmapFigure(options.normalize ? shares : plain, {
    title: options.title,
    xTitle: options.colTitle ?? "predicted class",
    yTitle: options.rowTitle ?? "true class",
    xLabels: options.colLabels ?? plain[0].map((_, c) => String(c)),
    yLabels: options.rowLabels ?? plain.map((_, r) => String(r)),
    colorscale: COUNT_COLORSCALE,
    zmin: 0,
    ...(options.normalize ? { zmax: 1 } : {}),
    scaleTitle: options.normalize ? "share of row" : "count",
    squareCells: rows === cols,
  });
  const trace: Trace = fig.data[0];
  // Counts as text in every cell; the hover adds the share of the row.
  trace.text = plain.map((row) => row.map((v) => String(v)));
  trace.customdata = shares.map((row) => row.map((s) => Math.round(s * 10000) / 10000));
  trace.texttemplate = "%{text}";
  trace.textfont = { size: rows * cols > 150 ? 9 : 12 };
  trace.hovertemplate = `${options.rowTitle ?? "true class"} %{y}, ${options.colTitle ?? "predicted class"} %{x}: %{text} (%{customdata:.1%} of row)<extra></extra>`;
  return fig;
}
