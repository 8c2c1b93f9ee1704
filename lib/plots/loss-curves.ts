/**
 * Loss curves per epoch for one or several runs (training dashed, validation solid, one colour
 * per run, the best validation epoch marked), and seconds per epoch.
 */
import type { Figure, Layout, Trace } from "./figure";
import { THEME, axisTitle, baseLayout } from "./theme";
import type { EpochRecord } from "../records";

/** A run's history to plot. */
export interface HistorySeries {
  /** Legend name, e.g. the run name. */
  name: string;
  history: readonly EpochRecord[];
  /**
   * The run's training loss ("bce" or "mse"). With metric "bce" or "mse" the training curve is
   * drawn only when it is the same loss; unknown (undefined) means no training curve then.
   */
  loss?: "bce" | "mse";
}

/**
 * - "loss": the training objective (train.loss of each run) for training and validation;
 * - "bce" / "mse": validation binary cross-entropy / mean squared error whatever the run trained on.
 */
export type LossMetric = "loss" | "bce" | "mse";

export interface LossCurvesOptions {
  /** Default "loss". */
  metric?: LossMetric;
  /** Logarithmic loss axis: small late improvements stay visible. Default false. */
  logY?: boolean;
  /** Draw training curves (dashed). Default true. */
  showTrain?: boolean;
  title?: string;
}

const VALUE: Record<Exclude<LossMetric, "loss">, keyof EpochRecord> = {
  bce: "valBce",
  mse: "valMse",
};

const METRIC_LABEL: Record<LossMetric, string> = {
  loss: "loss",
  bce: "binary cross-entropy",
  mse: "mean squared error",
};

/** A "nice" tick step (1, 2, 5, 10, 20, ...) giving at most about 12 ticks over `span` epochs. */
function epochTickStep(span: number): number {
  const rough = Math.max(1, span / 12);
  const power = 10 ** Math.floor(Math.log10(rough));
  for (const m of [1, 2, 5, 10]) if (m * power >= rough) return m * power;
  return 10 * power;
}

/** An epoch axis from 1 to maxEpoch with integer ticks; `pad` epochs of room on each side. */
function epochAxis(layout: Layout, maxEpoch: number, pad: number): Layout {
  const step = epochTickStep(maxEpoch);
  return {
    ...(layout.xaxis as object),
    ...axisTitle("epoch"),
    tick0: step === 1 ? 1 : 0,
    dtick: step,
    range: [1 - pad, maxEpoch + pad],
  };
}

/**
 * Several runs with long names do not fit in the theme's one-line legend above the plot: put the
 * legend below the plot instead, where plotly grows the margin to fit its rows.
 */
function legendBelow(layout: Layout): void {
  layout.legend = { orientation: "h", x: 0, xanchor: "left", y: -0.2, yanchor: "top" };
}

/**
 * Loss per epoch for each run: validation solid, training dashed, in the run's colour, with a
 * marker at the epoch of the lowest validation value. Runs with no finished epoch are skipped
 * (an empty figure says so).
 */
export function lossCurvesFigure(
  runs: readonly HistorySeries[],
  options: LossCurvesOptions = {},
): Figure {
  const metric = options.metric ?? "loss";
  const showTrain = options.showTrain ?? true;
  const several = runs.length > 1;
  const data: Trace[] = [];
  let maxEpoch = 1;
  runs.forEach((run, i) => {
    if (run.history.length === 0) return;
    const color = THEME.colorway[i % THEME.colorway.length];
    const label = (part: string) => (several ? `${run.name} · ${part}` : part);
    const epochs = run.history.map((r) => r.epoch);
    maxEpoch = Math.max(maxEpoch, ...epochs);
    const val = run.history.map((r) =>
      metric === "loss" ? r.valLoss : (r[VALUE[metric]] as number),
    );
    const trainComparable = metric === "loss" || run.loss === metric;
    if (showTrain && trainComparable) {
      data.push({
        type: "scatter",
        mode: "lines+markers",
        name: label("train"),
        legendgroup: run.name,
        x: epochs,
        y: run.history.map((r) => r.trainLoss),
        line: { color, dash: "dash", width: 2 },
        marker: { color, size: 5 },
        hovertemplate: `epoch %{x}: %{y:.5f}<extra>${label("train")}</extra>`,
      });
    }
    data.push({
      type: "scatter",
      mode: "lines+markers",
      name: label("validation"),
      legendgroup: run.name,
      x: epochs,
      y: val,
      line: { color, width: 2.5 },
      marker: { color, size: 6 },
      hovertemplate: `epoch %{x}: %{y:.5f}<extra>${label("validation")}</extra>`,
    });
    let best = 0;
    val.forEach((v, k) => {
      if (v < val[best]) best = k;
    });
    data.push({
      type: "scatter",
      mode: "markers",
      // One legend entry explains the star for every run.
      name: "best epoch",
      legendgroup: "best epoch",
      showlegend: !data.some((t) => t.name === "best epoch"),
      x: [epochs[best]],
      y: [val[best]],
      marker: { color, size: 14, symbol: "star", line: { color: "#222222", width: 1 } },
      hovertemplate: `best epoch %{x}: %{y:.5f}<extra>${run.name}</extra>`,
    });
  });
  const what =
    metric === "loss" ? "Training and validation loss" : `Validation ${metric.toUpperCase()}`;
  const layout = baseLayout(options.title ?? `${what} per epoch`);
  layout.xaxis = epochAxis(layout, maxEpoch, Math.max(0.25, maxEpoch / 50));
  if (several) legendBelow(layout);
  layout.yaxis = {
    ...(layout.yaxis as object),
    ...axisTitle(`${METRIC_LABEL[metric]}${options.logY ? " (log scale)" : ""}`),
    ...(options.logY ? { type: "log" } : {}),
  };
  layout.hovermode = "closest";
  if (data.length === 0) {
    layout.annotations = [
      {
        text: "no finished epoch to plot",
        xref: "paper",
        yref: "paper",
        x: 0.5,
        y: 0.5,
        showarrow: false,
        font: { size: 16, color: THEME.lineColor },
      },
    ];
  }
  return { data, layout };
}

export interface EpochTimeOptions {
  title?: string;
}

/**
 * Seconds per epoch. One run: stacked bars of the training pass and validation. Several runs:
 * one line per run (whole epoch).
 */
export function epochTimeFigure(
  runs: readonly HistorySeries[],
  options: EpochTimeOptions = {},
): Figure {
  const data: Trace[] = [];
  let maxEpoch = 1;
  const plotted = runs.filter((r) => r.history.length > 0);
  for (const run of plotted) maxEpoch = Math.max(maxEpoch, ...run.history.map((r) => r.epoch));
  const layout = baseLayout(options.title ?? "Seconds per epoch");
  if (plotted.length === 1) {
    const { history } = plotted[0];
    const epochs = history.map((r) => r.epoch);
    data.push(
      {
        type: "bar",
        name: "training pass",
        x: epochs,
        y: history.map((r) => r.trainSeconds),
        marker: { color: THEME.colorway[0] },
        hovertemplate: "epoch %{x}: %{y:.2f} s training<extra></extra>",
      },
      {
        type: "bar",
        name: "validation",
        x: epochs,
        y: history.map((r) => r.epochSeconds - r.trainSeconds),
        marker: { color: THEME.colorway[1] },
        hovertemplate: "epoch %{x}: %{y:.2f} s validation<extra></extra>",
      },
    );
    layout.barmode = "stack";
  } else {
    runs.forEach((run, i) => {
      if (run.history.length === 0) return;
      data.push({
        type: "scatter",
        mode: "lines+markers",
        name: run.name,
        x: run.history.map((r) => r.epoch),
        y: run.history.map((r) => r.epochSeconds),
        line: { color: THEME.colorway[i % THEME.colorway.length], width: 2 },
        hovertemplate: `epoch %{x}: %{y:.2f} s<extra>${run.name}</extra>`,
      });
    });
  }
  layout.xaxis = epochAxis(
    layout,
    maxEpoch,
    plotted.length === 1 ? 0.6 : Math.max(0.25, maxEpoch / 50),
  );
  if (plotted.length > 1) legendBelow(layout);
  layout.yaxis = { ...(layout.yaxis as object), ...axisTitle("seconds"), rangemode: "tozero" };
  layout.showlegend = data.length > 1;
  return { data, layout };
}
