/**
 * Scatter plots of points coloured by class (2-D embeddings of codes, 3-D projections). One trace
 * per class, coordinates kept as Float32Array: the notebook display layer sends long typed arrays
 * as base64 binary (`{dtype: "f4", bdata}`), so 10,000 points stay a compact spec.
 */
import type { Figure, Layout, Trace } from "./figure";
import { PlotInputError, checkSameLength } from "./check";
import { THEME, axisTitle, baseLayout } from "./theme";

/** Points to scatter: one entry per point in each array. */
export interface ScatterPoints {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Class of each point (colour and legend entry); none: one colour. */
  labels?: ArrayLike<number>;
  /** Same as `labels` (the name notes/interfaces.md used); give one of the two. */
  label?: ArrayLike<number>;
  /** Hover text per point (e.g. "test #123"); costs ~10 bytes a point in the spec. */
  text?: readonly string[];
}

/** 3-D points to scatter. */
export interface Scatter3dPoints extends ScatterPoints {
  z: ArrayLike<number>;
}

export interface ScatterOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  /** Legend name per class index (e.g. digit names); default the index. */
  classNames?: readonly string[];
  /** Marker diameter in px. Default 6 up to 2,000 points, 4 above. */
  markerSize?: number;
  /** Marker opacity 0..1. Default 0.8 up to 2,000 points, 0.6 above. */
  opacity?: number;
  /**
   * WebGL traces (`scattergl`): faster to pan with 10k+ points in a browser, but a static SVG then
   * holds them as one raster image. Default false (SVG markers, exact in exported SVG).
   */
  webgl?: boolean;
  /** Same scale on both axes (distances in an embedding keep their meaning). Default false. */
  equalAxes?: boolean;
}

export interface Scatter3dOptions extends Omit<ScatterOptions, "webgl" | "equalAxes"> {
  zTitle?: string;
}

/** Columns of row-major points (n × dim) as Float32Arrays: `{x, y}` for 2, `{x, y, z}` for 3. */
export function pointColumns(
  points: ArrayLike<number>,
  dim: number,
  columns: readonly number[] = dim >= 3 ? [0, 1, 2] : [0, 1],
): { x: Float32Array; y: Float32Array; z?: Float32Array } {
  if (!Number.isInteger(dim) || dim < 1 || points.length % dim !== 0) {
    throw new PlotInputError(
      `pointColumns: ${points.length} values are not rows of dim = ${dim}; pass row-major points and their row length.`,
    );
  }
  const bad = columns.find((c) => !Number.isInteger(c) || c < 0 || c >= dim);
  if (bad !== undefined) {
    throw new PlotInputError(
      `pointColumns: column ${bad} does not exist in rows of ${dim} values.`,
    );
  }
  const n = points.length / dim;
  const out = columns.map(() => new Float32Array(n));
  for (let i = 0; i < n; i++) columns.forEach((c, k) => (out[k][i] = points[i * dim + c]));
  return { x: out[0], y: out[1] ?? new Float32Array(n), ...(out[2] ? { z: out[2] } : {}) };
}

interface ClassGroup {
  name: string;
  color: string;
  rows: Int32Array;
}

/** Point indices per class, classes in ascending order; one group when there are no labels. */
function groupByClass(n: number, labels: ArrayLike<number> | undefined, names?: readonly string[]) {
  if (!labels) {
    return [
      {
        name: "points",
        color: THEME.colorway[0],
        rows: Int32Array.from({ length: n }, (_, i) => i),
      },
    ];
  }
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    if (!Number.isInteger(c)) {
      throw new PlotInputError(
        `Label of point ${i} is ${c}: labels must be integer class indices.`,
      );
    }
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  const classes = [...counts.keys()].sort((a, b) => a - b);
  const groups: ClassGroup[] = classes.map((c) => ({
    name: names?.[c] ?? String(c),
    color:
      THEME.colorway[((c % THEME.colorway.length) + THEME.colorway.length) % THEME.colorway.length],
    rows: new Int32Array(counts.get(c) as number),
  }));
  const index = new Map(classes.map((c, k) => [c, k]));
  const filled = new Int32Array(groups.length);
  for (let i = 0; i < n; i++) {
    const k = index.get(labels[i]) as number;
    groups[k].rows[filled[k]++] = i;
  }
  return groups;
}

function pick(values: ArrayLike<number>, rows: Int32Array): Float32Array {
  const out = new Float32Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = values[rows[i]];
  return out;
}

function checkFinite(what: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new PlotInputError(
        `${what} of point ${i} is ${values[i]}: remove or replace non-finite coordinates before plotting.`,
      );
    }
  }
}

function classTraces(
  points: ScatterPoints & { z?: ArrayLike<number> },
  type: string,
  options: ScatterOptions,
): Trace[] {
  if (points.label && points.labels && points.label !== points.labels) {
    throw new PlotInputError(
      "scatter: both `labels` and `label` given; pass the classes once, as `labels`.",
    );
  }
  points = { ...points, labels: points.labels ?? points.label };
  const arrays: Record<string, ArrayLike<unknown>> = { x: points.x, y: points.y };
  if (points.z) arrays.z = points.z;
  if (points.labels) arrays.labels = points.labels;
  if (points.text) arrays.text = points.text;
  const n = checkSameLength("scatter", arrays);
  checkFinite("x", points.x);
  checkFinite("y", points.y);
  if (points.z) checkFinite("z", points.z);
  const large = n > 2000;
  const groups = groupByClass(n, points.labels, options.classNames);
  const coords = points.z ? "(%{x:.3g}, %{y:.3g}, %{z:.3g})" : "(%{x:.3g}, %{y:.3g})";
  return groups.map((g) => ({
    type,
    mode: "markers",
    name: g.name,
    x: pick(points.x, g.rows),
    y: pick(points.y, g.rows),
    ...(points.z ? { z: pick(points.z, g.rows) } : {}),
    ...(points.text ? { text: Array.from(g.rows, (i) => (points.text as string[])[i]) } : {}),
    marker: {
      color: g.color,
      size: options.markerSize ?? (points.z ? (large ? 2 : 3) : large ? 4 : 6),
      opacity: options.opacity ?? (large ? 0.6 : 0.8),
      line: { width: 0 },
    },
    hovertemplate: `${points.text ? "%{text} " : ""}${coords}<extra>${g.name}</extra>`,
  }));
}

/** A 2-D scatter plot, one trace (colour, legend entry) per class. */
export function scatterFigure(points: ScatterPoints, options: ScatterOptions = {}): Figure {
  const data = classTraces(points, options.webgl ? "scattergl" : "scatter", options);
  const layout = baseLayout(options.title);
  layout.xaxis = { ...(layout.xaxis as object), ...axisTitle(options.xTitle), zeroline: false };
  layout.yaxis = {
    ...(layout.yaxis as object),
    ...axisTitle(options.yTitle),
    zeroline: false,
    ...(options.equalAxes ? { scaleanchor: "x", scaleratio: 1 } : {}),
  };
  layout.showlegend = data.length > 1;
  // Small markers would make tiny legend symbols: draw legend symbols at a fixed size. Ten or so
  // classes in the theme's top row run into the title: a scatter's legend is a column at the right.
  layout.legend = {
    ...(layout.legend as object),
    itemsizing: "constant",
    orientation: "v",
    x: 1.02,
    xanchor: "left",
    y: 1,
    yanchor: "top",
  };
  layout.hovermode = "closest";
  return { data, layout };
}

/** A 3-D scatter plot (rotatable in a notebook), one trace per class. */
export function scatter3dFigure(points: Scatter3dPoints, options: Scatter3dOptions = {}): Figure {
  const data = classTraces(points, "scatter3d", options);
  const layout: Layout = baseLayout(options.title);
  delete layout.xaxis;
  delete layout.yaxis;
  const sceneAxis = (title: string | undefined) => ({
    ...axisTitle(title),
    gridcolor: THEME.gridColor,
    zerolinecolor: THEME.gridColor,
    backgroundcolor: THEME.plotColor,
  });
  layout.scene = {
    xaxis: sceneAxis(options.xTitle ?? "x"),
    yaxis: sceneAxis(options.yTitle ?? "y"),
    zaxis: sceneAxis(options.zTitle ?? "z"),
    aspectmode: "cube",
  };
  layout.height = Math.max(THEME.height, 560);
  layout.margin = { l: 10, r: 10, t: 60, b: 10 };
  layout.showlegend = data.length > 1;
  layout.legend = { ...(layout.legend as object), itemsizing: "constant" };
  return { data, layout };
}
