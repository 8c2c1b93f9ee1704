/**
 * The figures `npm run figures` renders for a report, one entry each: a file name, what it shows,
 * and how to build it from a saved run (null when it does not apply to that run, e.g. no final
 * model). To add a figure, add one entry to REPORT_FIGURES.
 */
import type { Figure } from "../plots/figure";
import { binCounts } from "../plots/binning";
import { histogramFigure } from "../plots/histogram";
import { imageGridFigure } from "../plots/images";
import { epochTimeFigure, lossCurvesFigure } from "../plots/loss-curves";
import { imageAt } from "../explore";
import { perImageError } from "../metrics";
import { pixelsPerImage } from "../data/types";
import type { ReportRun } from "./report-run";

export interface ReportFigure {
  /** File name without extension: lower-case letters, digits and dashes. */
  name: string;
  /** One line: what the figure shows. */
  describe: string;
  /** The figure for this run, or null when it does not apply (the reason in `skipReason`). */
  build(run: ReportRun): Figure | null | Promise<Figure | null>;
  /** Why build() gave null, for the printed summary. Default "not applicable to this run". */
  skipReason?: string;
}

/** Test images shown in the reconstruction grid: the first of each class, then more in order. */
export const RECONSTRUCTION_COLUMNS = 10;

/** The first test image of each class (in class order), topped up to `count` with the next ones. */
export function firstOfEachClass(labels: ArrayLike<number>, count: number): number[] {
  const seen = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) if (!seen.has(labels[i])) seen.set(labels[i], i);
  const picked = [...seen.entries()].sort((a, b) => a[0] - b[0]).map(([, i]) => i);
  const chosen = new Set(picked.slice(0, count));
  for (let i = 0; i < labels.length && chosen.size < count; i++) chosen.add(i);
  return [...chosen].slice(0, count);
}

const lossCurves: ReportFigure = {
  name: "loss-curves",
  describe: "training and validation loss per epoch, best epoch marked",
  skipReason: "no finished epoch",
  build: ({ name, run }) =>
    run.history.length === 0
      ? null
      : lossCurvesFigure([{ name, history: run.history, loss: run.config.train.loss }], {
          title: `Loss per epoch · ${name}`,
        }),
};

const epochTimes: ReportFigure = {
  name: "epoch-times",
  describe: "seconds per epoch, training pass and validation",
  skipReason: "no finished epoch",
  build: ({ name, run }) =>
    run.history.length === 0
      ? null
      : epochTimeFigure([{ name, history: run.history }], { title: `Seconds per epoch · ${name}` }),
};

const reconstructions: ReportFigure = {
  name: "reconstructions",
  describe: "test images (top) and their reconstructions (bottom), the first of each class",
  skipReason: "no final model (run not finished)",
  build: async (r) => {
    if (!r.finished) return null;
    const { set, shape, classNames } = await r.testSet();
    const recon = await r.reconstructions();
    const pixels = pixelsPerImage(shape);
    const indices = firstOfEachClass(set.labels, Math.min(RECONSTRUCTION_COLUMNS, set.count));
    return imageGridFigure(
      [
        indices.map((i) => imageAt(set, shape, i)),
        indices.map((i) => recon.subarray(i * pixels, (i + 1) * pixels)),
      ],
      shape,
      {
        title: `Test images and reconstructions · ${r.name}`,
        rowLabels: ["original", "reconstruction"],
        columnLabels: indices.map((i) => classNames[set.labels[i]] ?? String(set.labels[i])),
      },
    );
  },
};

const errorHistogram: ReportFigure = {
  name: "error-histogram",
  describe: "per-image reconstruction error on the test set (the run's loss)",
  skipReason: "no final model (run not finished)",
  build: async (r) => {
    if (!r.finished) return null;
    const { set, shape } = await r.testSet();
    const kind = r.run.config.train.loss;
    const errors = perImageError(
      set.images,
      await r.reconstructions(),
      pixelsPerImage(shape),
      kind,
    );
    const sorted = Float64Array.from(errors).sort();
    const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
    const median = sorted[Math.floor(sorted.length / 2)];
    return histogramFigure(binCounts(errors, { bins: 60 }), {
      title: `Per-image reconstruction error · ${r.name}`,
      xTitle: `per-image ${kind.toUpperCase()}`,
      yTitle: "test images",
      note: `${set.count.toLocaleString("en-US")} images<br>mean ${mean.toPrecision(4)}<br>median ${median.toPrecision(4)}`,
    });
  },
};

/** Every report figure, in the order they are rendered. */
export const REPORT_FIGURES: ReportFigure[] = [
  lossCurves,
  epochTimes,
  reconstructions,
  errorHistogram,
];
