/**
 * Heatmaps of a matrix (per-pixel statistics, confusion matrices). Row 0 is drawn at the top by
 * default, as in a printed matrix or an image.
 */
import type { Figure } from "./figure";
import { THEME, axisTitle, baseLayout } from "./theme";

export interface HeatmapOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  /** Labels of the columns (x) and rows (y); default 0..n-1. */
  xLabels?: readonly string[];
  yLabels?: readonly string[];
  colorscale?: string | [number, string][];
  zmin?: number;
  zmax?: number;
  /** Draw row 0 at the top (default true); false puts it at the bottom like a y-up plot. */
  rowZeroAtTop?: boolean;
  /** Square cells (for images). Default false. */
  squareCells?: boolean;
  /** Title of the colour bar. */
  scaleTitle?: string;
  /** Write each cell's value in it with this many decimals (small matrices only). */
  showValues?: number;
  /** Decimals kept per value in the spec. Default 4. */
  decimals?: number;
}

/** Rows of a flat row-major matrix (e.g. one channel of an image) as plain arrays. */
export function matrixRows(flat: ArrayLike<number>, rows: number, cols: number): number[][] {
  if (flat.length !== rows * cols) {
    throw new RangeError(
      `A ${rows}×${cols} matrix needs ${rows * cols} values, got ${flat.length}.`,
    );
  }
  return Array.from({ length: rows }, (_, r) =>
    Array.from({ length: cols }, (_, c) => flat[r * cols + c]),
  );
}

/** A heatmap of `z` (z[row][column]). */
export function heatmapFigure(
  z: readonly ArrayLike<number>[],
  options: HeatmapOptions = {},
): Figure {
  const scale = 10 ** (options.decimals ?? 4);
  const values = z.map((row) =>
    Array.from(row, (v) => (Number.isFinite(v) ? Math.round(v * scale) / scale : null)),
  );
  const rows = values.length;
  const cols = Math.max(0, ...values.map((r) => r.length));
  const topDown = options.rowZeroAtTop ?? true;
  const layout = baseLayout(options.title);
  // Square cells leave the plot as tall as wide: shrink the figure so the colour bar stays close.
  if (options.squareCells)
    layout.width = Math.round(((THEME.height - 120) * cols) / Math.max(rows, 1)) + 200;
  layout.xaxis = {
    ...(layout.xaxis as object),
    ...axisTitle(options.xTitle),
    showgrid: false,
    zeroline: false,
    ...(options.xLabels ? { type: "category" } : {}),
    ...(options.squareCells ? { constrain: "domain" } : {}),
  };
  layout.yaxis = {
    ...(layout.yaxis as object),
    ...axisTitle(options.yTitle),
    showgrid: false,
    zeroline: false,
    ...(options.yLabels ? { type: "category" } : {}),
    ...(topDown ? { autorange: "reversed" } : {}),
    ...(options.squareCells ? { scaleanchor: "x", scaleratio: 1, constrain: "domain" } : {}),
  };
  return {
    data: [
      {
        type: "heatmap",
        z: values,
        x: options.xLabels ? [...options.xLabels] : Array.from({ length: cols }, (_, i) => i),
        y: options.yLabels ? [...options.yLabels] : Array.from({ length: rows }, (_, i) => i),
        colorscale: options.colorscale ?? THEME.sequential,
        ...(options.zmin !== undefined ? { zmin: options.zmin } : {}),
        ...(options.zmax !== undefined ? { zmax: options.zmax } : {}),
        colorbar: {
          thickness: 14,
          ...(options.scaleTitle ? { title: { text: options.scaleTitle } } : {}),
        },
        hoverongaps: false,
        hovertemplate: "x %{x}, y %{y}: %{z}<extra></extra>",
        ...(options.showValues !== undefined
          ? {
              texttemplate: `%{z:.${options.showValues}f}`,
              textfont: { size: 11 },
            }
          : {}),
      },
    ],
    layout,
  };
}
