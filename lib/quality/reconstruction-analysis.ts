/**
 * How well an autoencoder reconstructs a set of images, image by image: per-image errors (BCE,
 * MSE, PSNR, SSIM), the set's metrics next to the all-black and mean-image baselines (with SSIM
 * added to lib/quality/metrics' report), the best and worst images, a per-class table, summary
 * statistics of the error distribution (bin it with lib/plots `binCounts`), and gallery examples.
 *
 * Memory stays bounded whatever the set's size: images are reconstructed a batch at a time
 * (default 1,000) and only the per-image errors are kept (4 floats per image); reconstructions
 * are recomputed for the few images a gallery shows. Everything takes a {@link Reconstructor}, a
 * plain function from a batch of images to their reconstructions, so that the analysis is the
 * same for a trained model ({@link modelReconstructor}) and for any other function.
 */
import type { ImageSet, ImageShape } from "../data/types";
import { pixelsPerImage } from "../data/types";
import { selectImages } from "../data/prepare";
import type { GalleryExample } from "../plots/gallery";
import {
  MetricInputError,
  PSNR_MSE_FLOOR,
  perImageError,
  reconstructionReport,
  type ReconstructionMetrics,
  type ReconstructionReport,
} from "./metrics";
import { meanSsim, ssimPerImage } from "./ssim";
import type { Autoencoder } from "../model/autoencoder";
import { reconstructSet } from "../model/inference";

/** Reconstructions (pixels in [0, 1], same layout) of a batch of images. */
export type Reconstructor = (batch: ImageSet) => Float32Array;

/** The reconstructor of a trained autoencoder (tensors live only within each batch). */
export function modelReconstructor(
  model: Autoencoder,
  shape: ImageShape,
  batchSize = 1000,
): Reconstructor {
  const pixels = pixelsPerImage(shape);
  return (batch) => reconstructSet(model, batch, pixels, batchSize);
}

/** One error value per image of a set (all Float32Array of the set's length). */
export interface PerImageErrors {
  /** Mean binary cross-entropy over the image's pixels, nats (lower is better). */
  bce: Float32Array;
  /** Mean squared error over the image's pixels (lower is better). */
  mse: Float32Array;
  /** 10·log10(1 / MSE), dB, MSE floored at 1e-10 (higher is better). */
  psnr: Float32Array;
  /** SSIM (lib/quality/ssim.ts: 11×11 Gaussian window, as scikit-image), higher is better, 1 = identical. */
  ssim: Float32Array;
}

/** Which per-image error to rank or plot by. */
export type ErrorKind = keyof PerImageErrors;

/** Per-error: is a lower value better? (BCE, MSE yes; PSNR, SSIM no.) */
export const LOWER_IS_BETTER: Readonly<Record<ErrorKind, boolean>> = {
  bce: true,
  mse: true,
  psnr: false,
  ssim: false,
};

/** lib/quality/metrics' five metrics plus the mean SSIM over images. */
export interface SetMetrics extends ReconstructionMetrics {
  ssim: number;
}

/** A set's reconstruction report (lib/quality/metrics) with SSIM added, and every image's errors. */
export interface ReconstructionAnalysis extends ReconstructionReport {
  model: SetMetrics;
  allBlack: SetMetrics;
  meanImage: SetMetrics;
  /** The labels of the analysed images (a view of the set's labels). */
  labels: Uint8Array;
  errors: PerImageErrors;
}

export interface AnalyzeOptions {
  /** Images reconstructed at a time. Default 1000. */
  batchSize?: number;
  /** Analyse only the first `limit` images of the set. Default: all. */
  limit?: number;
}

/** Per-image BCE, MSE, PSNR and SSIM of reconstructions `p` of images `x` (same layout). */
export function perImageErrors(
  x: Float32Array,
  p: Float32Array,
  shape: ImageShape,
): PerImageErrors {
  const pixels = pixelsPerImage(shape);
  const mse = perImageError(x, p, pixels, "mse");
  return {
    bce: perImageError(x, p, pixels, "bce"),
    mse,
    psnr: Float32Array.from(mse, (m) => 10 * Math.log10(1 / Math.max(m, PSNR_MSE_FLOOR))),
    ssim: ssimPerImage(x, p, shape),
  };
}

/**
 * Reconstruct a set batch by batch and measure it: every image's errors, and the set's metrics
 * for the model and for the all-black and mean-training-image baselines (SSIM included). The
 * metrics equal `reconstructionReport` on the whole set (batch results are combined weighted
 * by their image counts, which is exact for means over pixels and over images).
 * @param trainMeanImage mean training image (`meanImage(train, pixels)`), the second baseline.
 */
export function analyzeReconstructions(
  set: ImageSet,
  shape: ImageShape,
  trainMeanImage: Float32Array,
  reconstruct: Reconstructor,
  options: AnalyzeOptions = {},
): ReconstructionAnalysis {
  const pixels = pixelsPerImage(shape);
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new MetricInputError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  const count = Math.min(set.count, options.limit ?? Infinity);
  if (!(count > 0)) {
    throw new MetricInputError(
      `Nothing to analyse: the set holds ${set.count} images and limit is ${options.limit}`,
    );
  }
  const errors: PerImageErrors = {
    bce: new Float32Array(count),
    mse: new Float32Array(count),
    psnr: new Float32Array(count),
    ssim: new Float32Array(count),
  };
  const sums = { model: zeroSums(), allBlack: zeroSums(), meanImage: zeroSums(), entropy: 0 };
  const black = new Float32Array(pixels);
  for (let start = 0; start < count; start += batchSize) {
    const end = Math.min(count, start + batchSize);
    const batch: ImageSet = {
      images: set.images.subarray(start * pixels, end * pixels),
      labels: set.labels.subarray(start, end),
      count: end - start,
    };
    const p = reconstruct(batch);
    if (p.length !== batch.images.length) {
      throw new MetricInputError(
        `The reconstructor returned ${p.length} values for ${batch.count} images of ` +
          `${pixels} pixels (expected ${batch.images.length})`,
      );
    }
    const report = reconstructionReport(batch.images, p, pixels, trainMeanImage);
    const e = perImageErrors(batch.images, p, shape);
    for (const key of ["bce", "mse", "psnr", "ssim"] as const) errors[key].set(e[key], start);
    const weight = batch.count;
    addTo(sums.model, report.model, sumOf(e.ssim), weight);
    addTo(sums.allBlack, report.allBlack, meanSsim(batch.images, black, shape) * weight, weight);
    const meanSsimOfMean = meanSsim(batch.images, trainMeanImage, shape);
    addTo(sums.meanImage, report.meanImage, meanSsimOfMean * weight, weight);
    sums.entropy += report.pixelEntropy * weight;
  }
  return {
    count,
    pixels,
    model: finish(sums.model, count),
    allBlack: finish(sums.allBlack, count),
    meanImage: finish(sums.meanImage, count),
    pixelEntropy: sums.entropy / count,
    labels: set.labels.subarray(0, count),
    errors,
  };
}

/** Count-weighted sums of the metrics averaged over a set. */
type Sums = Record<"bce" | "mse" | "psnr" | "binarizedAccuracy" | "ssim", number>;

function zeroSums(): Sums {
  return { bce: 0, mse: 0, psnr: 0, binarizedAccuracy: 0, ssim: 0 };
}

function sumOf(values: Float32Array): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s;
}

function addTo(sums: Sums, m: ReconstructionMetrics, ssimSum: number, weight: number): void {
  sums.bce += m.bce * weight;
  sums.mse += m.mse * weight;
  sums.psnr += m.psnr * weight;
  sums.binarizedAccuracy += m.binarizedAccuracy * weight;
  sums.ssim += ssimSum;
}

function finish(sums: Sums, count: number): SetMetrics {
  const mse = sums.mse / count;
  return {
    bce: sums.bce / count,
    mse,
    psnr: sums.psnr / count,
    binarizedAccuracy: sums.binarizedAccuracy / count,
    oneMinusMse: 1 - mse,
    ssim: sums.ssim / count,
  };
}

/**
 * Indices of the `k` best and `k` worst images by one error: `best` best first, `worst` worst
 * first. Ties go to the lower index; NaN values rank as worst.
 */
export function bestAndWorst(
  errors: PerImageErrors,
  k: number,
  by: ErrorKind = "bce",
): { best: number[]; worst: number[] } {
  if (!Number.isInteger(k) || k < 0) {
    throw new MetricInputError(`k must be a non-negative integer, got ${k}`);
  }
  const values = errors[by];
  if (!values) throw new MetricInputError(`Unknown error "${by}": use bce, mse, psnr or ssim`);
  const sign = LOWER_IS_BETTER[by] ? 1 : -1;
  const badness = (i: number) => (Number.isNaN(values[i]) ? Infinity : sign * values[i]);
  const indices = Array.from({ length: values.length }, (_, i) => i);
  const take = Math.min(k, indices.length);
  // Infinity − Infinity is NaN, which sort reads as a tie: the index decides.
  const best = [...indices].sort((a, b) => badness(a) - badness(b) || a - b).slice(0, take);
  const worst = indices.sort((a, b) => badness(b) - badness(a) || a - b).slice(0, take);
  return { best, worst };
}

/** Mean, median and upper percentiles of a list of values (NaN-free). */
export interface ValueSummary {
  count: number;
  mean: number;
  min: number;
  median: number;
  p90: number;
  p99: number;
  max: number;
}

/** Summary statistics of per-image errors (percentiles by linear interpolation, as numpy). */
export function summarizeValues(values: ArrayLike<number>): ValueSummary {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) throw new MetricInputError("Nothing to summarise: no values");
  const at = (q: number) => {
    const pos = q * (n - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(n - 1, lo + 1);
    return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
  };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  return {
    count: n,
    mean: sum / n,
    min: sorted[0],
    median: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: sorted[n - 1],
  };
}

/**
 * One row per class (and a last row "all"): images, mean and median BCE, mean MSE, PSNR and
 * SSIM, and the worst BCE, from an analysis' per-image errors. Classes with no image are left
 * out. Numbers stay numbers (showTable or a danfojs DataFrame formats them).
 */
export function perClassErrorRows(
  analysis: Pick<ReconstructionAnalysis, "errors" | "labels">,
  classNames: readonly string[],
): Record<string, string | number>[] {
  const { errors, labels } = analysis;
  const groups: number[][] = classNames.map(() => []);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= classNames.length) {
      throw new MetricInputError(
        `Label ${labels[i]} of image ${i} has no class name (${classNames.length} given)`,
      );
    }
    groups[labels[i]].push(i);
  }
  const row = (name: string, indices: number[]) => {
    const pick = (values: Float32Array) => indices.map((i) => values[i]);
    const bce = summarizeValues(pick(errors.bce));
    const mean = (values: Float32Array) => summarizeValues(pick(values)).mean;
    return {
      class: name,
      images: indices.length,
      "mean BCE": bce.mean,
      "median BCE": bce.median,
      "mean MSE": mean(errors.mse),
      "PSNR dB": mean(errors.psnr),
      SSIM: mean(errors.ssim),
      "worst BCE": bce.max,
    };
  };
  const rows = groups.flatMap((g, c) => (g.length > 0 ? [row(classNames[c], g)] : []));
  if (labels.length > 0)
    rows.push(
      row(
        "all",
        Array.from(labels, (_, i) => i),
      ),
    );
  return rows;
}

/** How each metric is named and formatted in {@link metricsComparisonRows}. */
const COMPARISON_ROWS: ReadonlyArray<[keyof SetMetrics, string, (v: number) => string]> = [
  ["bce", "BCE (nats/pixel, lower is better)", (v) => v.toFixed(4)],
  ["mse", "MSE", (v) => v.toFixed(5)],
  ["psnr", "PSNR dB", (v) => v.toFixed(2)],
  ["ssim", "SSIM", (v) => v.toFixed(4)],
  ["binarizedAccuracy", "binarized pixel accuracy", (v) => `${(100 * v).toFixed(2)}%`],
  ["oneMinusMse", "1 − MSE ('pixel accuracy')", (v) => `${(100 * v).toFixed(2)}%`],
];

/**
 * One row per metric (BCE, MSE, PSNR, SSIM, binarized accuracy, 1 − MSE), one column per named
 * set of metrics, e.g. `[{name: "train", metrics: train.model}, {name: "test", metrics:
 * test.model}, {name: "all-black (test)", metrics: test.allBlack}]`.
 */
export function metricsComparisonRows(
  columns: readonly { name: string; metrics: SetMetrics }[],
): Record<string, string>[] {
  return COMPARISON_ROWS.map(([key, label, format]) => {
    const row: Record<string, string> = { metric: label };
    for (const c of columns) row[c.name] = format(c.metrics[key]);
    return row;
  });
}

/**
 * Transpose per-class picks (`samplesPerClass`: entry c lists indices of class c) into gallery
 * blocks: block k holds the k-th pick of every class (null where a class has fewer).
 */
export function examplesByRank(perClass: readonly (readonly number[])[]): (number | null)[][] {
  const depth = Math.max(0, ...perClass.map((p) => p.length));
  return Array.from({ length: depth }, (_, k) => perClass.map((p) => p[k] ?? null));
}

export interface GalleryExampleOptions {
  /** Per-image errors of the whole set (e.g. `analysis.errors.bce`): annotated when given. */
  errors?: ArrayLike<number>;
  /** Class names: each example is labelled with its class when given. */
  classNames?: readonly string[];
}

/**
 * Gallery examples for images of a set given by index (`blocks[b][j]`, null for an empty
 * cell): the original (a view into the set), its reconstruction (recomputed for these images
 * only), and optionally its class label and error.
 */
export function galleryExamples(
  set: ImageSet,
  shape: ImageShape,
  blocks: readonly (readonly (number | null)[])[],
  reconstruct: Reconstructor,
  options: GalleryExampleOptions = {},
): (GalleryExample | null)[][] {
  const pixels = pixelsPerImage(shape);
  const wanted = blocks.flat().filter((i): i is number => i !== null);
  const chosen = selectImages(set, shape, wanted);
  const reconstructions = chosen.count > 0 ? reconstruct(chosen) : new Float32Array(0);
  let next = 0;
  return blocks.map((block) =>
    block.map((index) => {
      if (index === null) return null;
      const k = next++;
      const example: GalleryExample = {
        original: set.images.subarray(index * pixels, (index + 1) * pixels),
        reconstruction: reconstructions.subarray(k * pixels, (k + 1) * pixels),
      };
      if (options.classNames) example.label = options.classNames[set.labels[index]];
      if (options.errors) example.error = options.errors[index];
      return example;
    }),
  );
}
