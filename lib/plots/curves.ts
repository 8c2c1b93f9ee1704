/**
 * Threshold curves of detectors and classifiers: ROC (true vs false positive rate, chance is the
 * diagonal) and precision–recall (chance is the positive rate). Several curves per figure, the
 * area under each in its legend entry. Curves over thousands of thresholds are thinned to what
 * can be seen (thinCurve), which keeps exported pages small.
 */
import type { Figure, Trace } from "./figure";
import { PlotInputError, checkSameLength, toFloat32 } from "./check";
import { THEME, axisTitle, baseLayout } from "./theme";

export interface RocCurveSeries {
  name: string;
  fpr: ArrayLike<number>;
  tpr: ArrayLike<number>;
  /** Area under the curve, shown in the legend as "name (AUC 0.953)". */
  auc?: number;
}

export interface PrCurveSeries {
  name: string;
  recall: ArrayLike<number>;
  precision: ArrayLike<number>;
  /** Average precision / area under the curve, shown in the legend as "name (AP 0.812)". */
  ap?: number;
}

export interface CurveOptions {
  title?: string;
  /** Draw the chance line. Default true (ROC: the diagonal; PR: needs `positiveRate`). */
  showChance?: boolean;
  /** Decimals of the area in the legend. Default 3. */
  areaDecimals?: number;
}

export interface PrOptions extends CurveOptions {
  /** Share of positives in the evaluated set: a random detector's precision (drawn as chance). */
  positiveRate?: number;
}

function rates(what: string, name: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    if (!(values[i] >= 0 && values[i] <= 1)) {
      throw new PlotInputError(
        `Curve "${name}": ${what}[${i}] is ${values[i]}; rates must lie in [0, 1] (pass rates, not counts).`,
      );
    }
  }
}

/** Curves longer than this are thinned before drawing (see thinCurve). */
export const THIN_CURVES_FROM = 2000;
/** Largest gap (in rate units, on both axes) between drawn points: under a pixel at 760 px. */
export const CURVE_TOLERANCE = 1e-3;

/**
 * The indices of a curve's points worth drawing: the first and the last, every point at least
 * `tolerance` away (on x or y) from the previous one kept, and the point just before each kept
 * one, so steps keep their corners. Every dropped point lies within `tolerance` of a kept one;
 * a ROC curve over 20,000 thresholds (≈ 1 MB per figure in a page) keeps a few thousand points.
 */
export function thinCurve(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  tolerance = CURVE_TOLERANCE,
): number[] {
  const n = x.length;
  if (n <= 2) return Array.from({ length: n }, (_, i) => i);
  const keep = [0];
  let last = 0;
  for (let i = 1; i < n - 1; i++) {
    if (Math.abs(x[i] - x[last]) >= tolerance || Math.abs(y[i] - y[last]) >= tolerance) {
      if (i - 1 > last) keep.push(i - 1);
      keep.push(i);
      last = i;
    }
  }
  if (n - 2 > last) keep.push(n - 2);
  keep.push(n - 1);
  return keep;
}

function curveTrace(
  name: string,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  area: { label: string; value?: number },
  index: number,
  hover: string,
  decimals: number,
): Trace {
  const legend =
    area.value !== undefined && Number.isFinite(area.value)
      ? `${name} (${area.label} ${area.value.toFixed(decimals)})`
      : name;
  if (x.length > THIN_CURVES_FROM) {
    const kept = thinCurve(x, y);
    [x, y] = [kept.map((i) => x[i]), kept.map((i) => y[i])];
  }
  return {
    type: "scatter",
    mode: "lines",
    name: legend,
    x: toFloat32(x),
    y: toFloat32(y),
    line: { color: THEME.colorway[index % THEME.colorway.length], width: 2.5 },
    hovertemplate: `${hover}<extra>${name}</extra>`,
  };
}

function unitAxes(fig: Figure, xTitle: string, yTitle: string): void {
  const { layout } = fig;
  const pad = 0.02;
  layout.xaxis = {
    ...(layout.xaxis as object),
    ...axisTitle(xTitle),
    range: [-pad, 1 + pad],
    zeroline: false,
    constrain: "domain",
  };
  layout.yaxis = {
    ...(layout.yaxis as object),
    ...axisTitle(yTitle),
    range: [-pad, 1 + pad],
    zeroline: false,
    scaleanchor: "x",
    scaleratio: 1,
    constrain: "domain",
  };
  // Square plot area: legend inside the lower right, where neither curve usually goes.
  layout.width = 620;
  layout.height = 560;
  layout.legend = {
    x: 0.98,
    y: 0.02,
    xanchor: "right",
    yanchor: "bottom",
    bgcolor: "rgba(255,255,255,0.85)",
    bordercolor: THEME.gridColor,
    borderwidth: 1,
  };
  layout.showlegend = true;
  layout.hovermode = "closest";
}

const chanceLine = (x: number[], y: number[], name: string): Trace => ({
  type: "scatter",
  mode: "lines",
  name,
  x,
  y,
  line: { color: THEME.lineColor, dash: "dash", width: 1.5 },
  hoverinfo: "skip",
});

/** ROC curves (true positive rate over false positive rate), AUC in the legend, chance diagonal. */
export function rocFigure(curves: readonly RocCurveSeries[], options: CurveOptions = {}): Figure {
  const decimals = options.areaDecimals ?? 3;
  const data: Trace[] = curves.map((c, i) => {
    checkSameLength(`ROC curve "${c.name}"`, { fpr: c.fpr, tpr: c.tpr });
    rates("fpr", c.name, c.fpr);
    rates("tpr", c.name, c.tpr);
    return curveTrace(
      c.name,
      c.fpr,
      c.tpr,
      { label: "AUC", value: c.auc },
      i,
      "FPR %{x:.3f}, TPR %{y:.3f}",
      decimals,
    );
  });
  if (options.showChance ?? true) data.push(chanceLine([0, 1], [0, 1], "chance (AUC 0.5)"));
  const fig: Figure = { data, layout: baseLayout(options.title ?? "ROC curve") };
  unitAxes(fig, "false positive rate", "true positive rate");
  return fig;
}

/** Precision–recall curves, AP in the legend; chance (the positive rate) when it is given. */
export function prFigure(curves: readonly PrCurveSeries[], options: PrOptions = {}): Figure {
  const decimals = options.areaDecimals ?? 3;
  const data: Trace[] = curves.map((c, i) => {
    checkSameLength(`PR curve "${c.name}"`, { recall: c.recall, precision: c.precision });
    rates("recall", c.name, c.recall);
    rates("precision", c.name, c.precision);
    return curveTrace(
      c.name,
      c.recall,
      c.precision,
      { label: "AP", value: c.ap },
      i,
      "recall %{x:.3f}, precision %{y:.3f}",
      decimals,
    );
  });
  const p = options.positiveRate;
  if (p !== undefined && !(p >= 0 && p <= 1)) {
    throw new PlotInputError(
      `prFigure: positiveRate ${p} must be a share in [0, 1] (positives / all).`,
    );
  }
  if ((options.showChance ?? true) && p !== undefined) {
    data.push(chanceLine([0, 1], [p, p], `chance (AP ${p.toFixed(decimals)})`));
  }
  const fig: Figure = { data, layout: baseLayout(options.title ?? "Precision–recall curve") };
  unitAxes(fig, "recall", "precision");
  return fig;
}
