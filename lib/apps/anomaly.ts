/**
 * Anomaly scores from a trained autoencoder: one number per image, higher = less like the
 * training data. Reconstruction scores compare an image with its reconstruction; the latent score
 * measures how far its code lies from the codes of the training images.
 *
 * Why more than BCE: an image's mean BCE is dominated by how many of its pixels are ink. A black
 * pixel reconstructed as black costs ~0, so an image with little ink (a "1", a sparse pattern)
 * scores low whatever it is, and one with much ink scores high (FIELD-NOTES; Nalisnick et al.
 * 2019 saw the same with likelihoods). The other scores here try to remove that bias:
 * - `unionMse`: squared error averaged only over the pixels where the input or the reconstruction
 *   has ink (value > inkThreshold), so the empty background does not dilute the error;
 * - `relative`: ‖x − p‖² / (‖x‖² + ‖p‖²), the error as a share of the energy of both images
 *   (0 = perfect, 1 = no overlap at all), independent of how much ink there is;
 * - `latent`: Mahalanobis distance of the code to a Gaussian fitted to training codes.
 * Notebook 08 measures which of them separate which out-of-distribution sets.
 */
import * as tf from "@tensorflow/tfjs";
import type { ImageSet, ImageShape } from "../data/types";
import { AutoencoderLabError } from "../errors";
import { perImageError } from "../quality/metrics";
import type { Autoencoder } from "../model/autoencoder";
import { createRng } from "../random";
import { encodeSet, mapBatches } from "../model/inference";
import {
  precisionRecallCurve,
  rocCurve,
  thresholdFromNegatives,
  type PrCurve,
  type RocCurve,
} from "./roc";

/** The anomaly scores this module computes, in table order. */
export const ANOMALY_SCORES = ["bce", "mse", "unionMse", "relative", "latent"] as const;
export type AnomalyScoreName = (typeof ANOMALY_SCORES)[number];

/** What each score is, for tables and legends. */
export const ANOMALY_SCORE_LABELS: Readonly<Record<AnomalyScoreName, string>> = {
  bce: "BCE (mean over pixels)",
  mse: "MSE (mean over pixels)",
  unionMse: "MSE over ink pixels (input ∪ reconstruction)",
  relative: "relative error ‖x−p‖²/(‖x‖²+‖p‖²)",
  latent: "latent Mahalanobis distance",
};

/** One Float32Array of per-image scores per score name. */
export type AnomalyScores = Record<AnomalyScoreName, Float32Array>;

/** Inputs to an anomaly score are unusable (the message says which and how to fix it). */
export class AnomalyInputError extends AutoencoderLabError {}

/** Default ink threshold of unionMse: a pixel is ink when its value is above 0.1. */
export const INK_THRESHOLD = 0.1;

/**
 * The reconstruction-based scores of images `x` and their reconstructions `p` (flat [count ×
 * pixels], values in [0, 1]). An image with no ink in x nor p scores unionMse 0 and relative 0.
 */
export function reconstructionScores(
  x: Float32Array,
  p: Float32Array,
  pixels: number,
  inkThreshold = INK_THRESHOLD,
): Omit<AnomalyScores, "latent"> {
  const bce = perImageError(x, p, pixels, "bce");
  const mse = perImageError(x, p, pixels, "mse");
  const count = x.length / pixels;
  const unionMse = new Float32Array(count);
  const relative = new Float32Array(count);
  for (let n = 0; n < count; n++) {
    let sq = 0;
    let sqInk = 0;
    let ink = 0;
    let energy = 0;
    for (let i = n * pixels, end = i + pixels; i < end; i++) {
      const d = x[i] - p[i];
      sq += d * d;
      energy += x[i] * x[i] + p[i] * p[i];
      if (x[i] > inkThreshold || p[i] > inkThreshold) {
        sqInk += d * d;
        ink++;
      }
    }
    unionMse[n] = ink > 0 ? sqInk / ink : 0;
    relative[n] = energy > 0 ? sq / energy : 0;
  }
  return { bce, mse, unionMse, relative };
}

/** A Gaussian fitted to codes, for Mahalanobis distances. */
export interface LatentGaussian {
  dim: number;
  mean: Float64Array;
  /** Lower-triangular Cholesky factor L of the (regularised) covariance, row-major dim × dim. */
  cholesky: Float64Array;
}

/**
 * Fit mean and covariance to `n` codes of length `dim` (row-major). `ridge` (relative to the
 * mean variance) is added to the diagonal so a degenerate direction cannot blow up distances.
 */
export function fitLatentGaussian(
  codes: Float32Array,
  n: number,
  dim: number,
  ridge = 1e-3,
): LatentGaussian {
  if (!(n >= 2) || codes.length !== n * dim) {
    throw new AnomalyInputError(
      `fitLatentGaussian: need at least 2 codes of length ${dim} (${n * dim} values), got ${codes.length} values for n = ${n}.`,
    );
  }
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] += codes[i * dim + j] / n;
  const cov = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) centred[j] = codes[i * dim + j] - mean[j];
    for (let a = 0; a < dim; a++) {
      const ca = centred[a];
      for (let b = 0; b <= a; b++) cov[a * dim + b] += ca * centred[b];
    }
  }
  let trace = 0;
  for (let a = 0; a < dim; a++) trace += cov[a * dim + a] / (n - 1);
  const jitter = ridge * Math.max(trace / dim, 1e-12);
  for (let a = 0; a < dim; a++) {
    for (let b = 0; b <= a; b++) cov[a * dim + b] /= n - 1;
    cov[a * dim + a] += jitter;
  }
  // Cholesky (lower triangle of cov is filled).
  const L = new Float64Array(dim * dim);
  for (let a = 0; a < dim; a++) {
    for (let b = 0; b <= a; b++) {
      let s = cov[a * dim + b];
      for (let k = 0; k < b; k++) s -= L[a * dim + k] * L[b * dim + k];
      if (a === b) {
        if (!(s > 0)) {
          throw new AnomalyInputError(
            "fitLatentGaussian: the code covariance is not positive definite; raise `ridge` or pass more codes.",
          );
        }
        L[a * dim + a] = Math.sqrt(s);
      } else {
        L[a * dim + b] = s / L[b * dim + b];
      }
    }
  }
  return { dim, mean, cholesky: L };
}

/** Mahalanobis distance of each of the codes (row-major, length a multiple of g.dim) to g. */
export function mahalanobis(g: LatentGaussian, codes: Float32Array): Float32Array {
  const { dim, mean, cholesky: L } = g;
  if (codes.length % dim !== 0) {
    throw new AnomalyInputError(
      `mahalanobis: ${codes.length} values are not whole codes of length ${dim}.`,
    );
  }
  const n = codes.length / dim;
  const out = new Float32Array(n);
  const y = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    // Solve L y = (z − μ); the distance is ‖y‖.
    let sum = 0;
    for (let a = 0; a < dim; a++) {
      let s = codes[i * dim + a] - mean[a];
      for (let k = 0; k < a; k++) s -= L[a * dim + k] * y[k];
      y[a] = s / L[a * dim + a];
      sum += y[a] * y[a];
    }
    out[i] = Math.sqrt(sum);
  }
  return out;
}

/** Scores a model gives to image sets; built once per model (fits the latent Gaussian). */
export interface AnomalyScorer {
  /** Every score for every image of `set`. */
  score(set: ImageSet): AnomalyScores;
  gaussian: LatentGaussian;
}

/**
 * A scorer for `model`, its latent Gaussian fitted to the codes of `reference` (training images:
 * what "normal" looks like; at most `maxReference` of them are encoded).
 */
export function createAnomalyScorer(
  model: Autoencoder,
  reference: ImageSet,
  shape: ImageShape,
  options: { maxReference?: number; inkThreshold?: number } = {},
): AnomalyScorer {
  const pixels = shape.height * shape.width * shape.channels;
  const count = Math.min(reference.count, options.maxReference ?? 10000);
  const head: ImageSet = {
    images: reference.images.subarray(0, count * pixels),
    labels: reference.labels.subarray(0, count),
    count,
  };
  const codeSize = model.encoder.outputs[0].shape[1] as number;
  const gaussian = fitLatentGaussian(encodeSet(model, head, pixels), count, codeSize);
  return {
    gaussian,
    score(set: ImageSet): AnomalyScores {
      if (set.images.length !== set.count * pixels) {
        throw new AnomalyInputError(
          `The set holds ${set.images.length} values for ${set.count} images; the model takes ${pixels} pixels per image ` +
            `(${shape.height}×${shape.width}×${shape.channels}).`,
        );
      }
      // One pass: codes and reconstructions of each batch together.
      const out = mapBatches(set, pixels, codeSize + pixels, (x) => {
        const code = model.encoder.apply(x) as tf.Tensor;
        return tf.concat([code, model.decoder.apply(code) as tf.Tensor], 1);
      });
      const codes = new Float32Array(set.count * codeSize);
      const recon = new Float32Array(set.count * pixels);
      for (let i = 0; i < set.count; i++) {
        const row = out.subarray(i * (codeSize + pixels), (i + 1) * (codeSize + pixels));
        codes.set(row.subarray(0, codeSize), i * codeSize);
        recon.set(row.subarray(codeSize), i * pixels);
      }
      return {
        ...reconstructionScores(set.images, recon, pixels, options.inkThreshold),
        latent: mahalanobis(gaussian, codes),
      };
    },
  };
}

/** Kinds of synthetic noise images (out-of-distribution sets needing no download). */
export type NoiseImageKind = "uniform" | "gaussian" | "salt-and-pepper";

/** Mean and standard deviation of MNIST pixels (FIELD-NOTES: 0.1307, 0.3081). */
const MNIST_PIXEL_MEAN = 0.1307;
const MNIST_PIXEL_STD = 0.3081;

/**
 * `count` seeded noise images of `shape`, labelled 0:
 * - uniform: every pixel U(0, 1);
 * - gaussian: N(0.1307, 0.3081²) clipped to [0, 1] (MNIST's pixel mean and spread);
 * - salt-and-pepper: each pixel 1 with probability 0.1307 (MNIST's mean ink), else 0: random dots
 *   with a digit's amount of ink.
 */
export function noiseImages(
  kind: NoiseImageKind,
  count: number,
  shape: ImageShape,
  seed: number,
): ImageSet {
  if (!(Number.isInteger(count) && count > 0)) {
    throw new AnomalyInputError(`noiseImages: count must be a positive integer, got ${count}.`);
  }
  const rng = createRng(seed);
  const pixels = shape.height * shape.width * shape.channels;
  const images = new Float32Array(count * pixels);
  for (let i = 0; i < images.length; i++) {
    switch (kind) {
      case "uniform":
        images[i] = rng.next();
        break;
      case "gaussian":
        images[i] = Math.min(1, Math.max(0, MNIST_PIXEL_MEAN + MNIST_PIXEL_STD * rng.normal()));
        break;
      case "salt-and-pepper":
        images[i] = rng.next() < MNIST_PIXEL_MEAN ? 1 : 0;
        break;
      default:
        throw new AnomalyInputError(
          `Unknown noise image kind "${String(kind)}": use "uniform", "gaussian" or "salt-and-pepper".`,
        );
    }
  }
  return { images, labels: new Uint8Array(count), count };
}

/** In-distribution scores next to out-of-distribution scores, ready for rocCurve. */
export function labelledScores(
  inDistribution: Float32Array,
  outOfDistribution: Float32Array,
): { scores: Float32Array; positives: Uint8Array } {
  const scores = new Float32Array(inDistribution.length + outOfDistribution.length);
  scores.set(inDistribution, 0);
  scores.set(outOfDistribution, inDistribution.length);
  const positives = new Uint8Array(scores.length);
  positives.fill(1, inDistribution.length);
  return { scores, positives };
}

/** How well each score separates an out-of-distribution set (positives) from normal images. */
export interface DetectionResult {
  set: string;
  score: AnomalyScoreName;
  roc: RocCurve;
  pr: PrCurve;
}

/**
 * ROC and PR curves of every score: normal images (`normal`, negatives) against each
 * out-of-distribution set (positives). Scores come from the same scorer.
 */
export function detectionResults(
  normal: AnomalyScores,
  outOfDistribution: readonly { name: string; scores: AnomalyScores }[],
  scores: readonly AnomalyScoreName[] = ANOMALY_SCORES,
): DetectionResult[] {
  return outOfDistribution.flatMap((ood) =>
    scores.map((score) => {
      const { scores: s, positives } = labelledScores(normal[score], ood.scores[score]);
      return {
        set: ood.name,
        score,
        roc: rocCurve(s, positives),
        pr: precisionRecallCurve(s, positives),
      };
    }),
  );
}

/** Table rows: one per out-of-distribution set, AUROC and AUPRC of each score as columns. */
export function detectionTable(results: readonly DetectionResult[]): Record<string, unknown>[] {
  const sets = [...new Set(results.map((r) => r.set))];
  return sets.map((set) => {
    const row: Record<string, unknown> = { "OOD set": set };
    for (const r of results.filter((x) => x.set === set)) {
      row[`${r.score} AUROC`] = Number(r.roc.auroc.toFixed(4));
      row[`${r.score} AUPRC`] = Number(r.pr.auprc.toFixed(4));
    }
    return row;
  });
}

/**
 * Held-out class detection: scores of a test set from a model trained without class `held`,
 * images of that class as positives. Returns the ROC curve of each score.
 */
export function heldOutDetection(
  scores: AnomalyScores,
  labels: ArrayLike<number>,
  held: number,
  names: readonly AnomalyScoreName[] = ANOMALY_SCORES,
): Record<AnomalyScoreName, RocCurve> {
  const positives = Uint8Array.from({ length: labels.length }, (_, i) =>
    labels[i] === held ? 1 : 0,
  );
  const out = {} as Record<AnomalyScoreName, RocCurve>;
  for (const name of names) out[name] = rocCurve(scores[name], positives);
  return out;
}

/** Per image, the share of its pixels that are ink (value > inkThreshold). */
export function inkShare(
  set: ImageSet,
  pixels: number,
  inkThreshold = INK_THRESHOLD,
): Float32Array {
  const out = new Float32Array(set.count);
  for (let n = 0; n < set.count; n++) {
    let ink = 0;
    for (let i = n * pixels, end = i + pixels; i < end; i++)
      if (set.images[i] > inkThreshold) ink++;
    out[n] = ink / pixels;
  }
  return out;
}

/** Pearson correlation of two equally long series (NaN when one is constant). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length < 2) {
    throw new AnomalyInputError(
      `pearson: need two series of the same length ≥ 2, got ${a.length} and ${b.length}.`,
    );
  }
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < a.length; i++) [ma, mb] = [ma + a[i] / a.length, mb + b[i] / a.length];
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    const [da, db] = [a[i] - ma, b[i] - mb];
    [sab, saa, sbb] = [sab + da * db, saa + da * da, sbb + db * db];
  }
  return sab / Math.sqrt(saa * sbb);
}

/**
 * The ink bias in numbers: per set, its mean ink share and the mean of each score; and a last
 * row with, for the first set (the normal images), the correlation of each score with ink share
 * over its images. A score that tracks ink rather than strangeness correlates strongly.
 */
export function inkBiasTable(
  entries: readonly { name: string; set: ImageSet; scores: AnomalyScores }[],
  pixels: number,
): Record<string, unknown>[] {
  const mean = (v: ArrayLike<number>) => Array.from(v).reduce((s, x) => s + x, 0) / v.length;
  const rows: Record<string, unknown>[] = entries.map((e) => ({
    set: e.name,
    "ink share": Number(mean(inkShare(e.set, pixels)).toFixed(3)),
    ...Object.fromEntries(ANOMALY_SCORES.map((k) => [k, Number(mean(e.scores[k]).toPrecision(3))])),
  }));
  if (entries.length > 0) {
    const first = entries[0];
    const ink = inkShare(first.set, pixels);
    rows.push({
      set: `correlation with ink share (${first.name})`,
      "ink share": 1,
      ...Object.fromEntries(
        ANOMALY_SCORES.map((k) => [k, Number(pearson(ink, first.scores[k]).toFixed(2))]),
      ),
    });
  }
  return rows;
}

/** Share of `scores` at or above `threshold` (the rule that flags an image). */
export function flaggedShare(scores: ArrayLike<number>, threshold: number): number {
  let flagged = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i] >= threshold) flagged++;
  return scores.length === 0 ? NaN : flagged / scores.length;
}

/**
 * Per score: the threshold for `targetFpr` chosen on normal validation images only
 * (thresholdFromNegatives), the false-positive rate it reaches on normal test images, and the
 * share of each out-of-distribution set it flags (TPR).
 */
export function thresholdTable(
  validationNormal: AnomalyScores,
  testNormal: AnomalyScores,
  outOfDistribution: readonly { name: string; scores: AnomalyScores }[],
  targetFpr: number,
  scores: readonly AnomalyScoreName[] = ANOMALY_SCORES,
): Record<string, unknown>[] {
  return scores.map((s) => {
    const choice = thresholdFromNegatives(validationNormal[s], targetFpr);
    const row: Record<string, unknown> = {
      score: s,
      threshold: Number(choice.threshold.toPrecision(4)),
      "FPR validation": Number(choice.fpr.toFixed(3)),
      "FPR test digits": Number(flaggedShare(testNormal[s], choice.threshold).toFixed(3)),
    };
    for (const o of outOfDistribution) {
      row[`TPR ${o.name}`] = Number(flaggedShare(o.scores[s], choice.threshold).toFixed(3));
    }
    return row;
  });
}
