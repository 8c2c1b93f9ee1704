/**
 * Reconstruction metrics on plain Float32Arrays (no tensors), so they are exact and testable.
 *
 * Conventions shared by every function here:
 * - `x` holds target pixels in [0, 1] and `p` reconstructions in [0, 1] (probabilities, i.e. the
 *   sigmoid of the decoder's logits), both flat row-major `[count * pixels]`.
 * - Sums are accumulated in float64; results are plain numbers (means over all pixels unless the
 *   doc says "mean over images").
 * - Inputs of the wrong length throw a {@link MetricInputError} that names both lengths.
 */
import { AutoencoderLabError } from "../errors";

/** Inputs to a metric have mismatched or invalid lengths (the message names both). */
export class MetricInputError extends AutoencoderLabError {}

/** Default clipping of probabilities before taking logs, as Keras' `epsilon()` (1e-7). */
export const BCE_EPSILON = 1e-7;

/**
 * Floor on a per-image MSE before PSNR takes its log: a perfect reconstruction (MSE 0) scores
 * 10·log10(1 / 1e-10) = 100 dB instead of +Infinity, so means over images stay finite.
 */
export const PSNR_MSE_FLOOR = 1e-10;

/** Default threshold of {@link binarizedAccuracy}: a pixel is "on" when its value is ≥ 0.5. */
export const BINARIZE_THRESHOLD = 0.5;

/** The five metrics reported for a set of reconstructions (see the functions of the same names). */
export interface ReconstructionMetrics {
  /** Mean binary cross-entropy over all pixels, nats, p clipped to [1e-7, 1 − 1e-7]. */
  bce: number;
  /** Mean squared error over all pixels. */
  mse: number;
  /** Mean over images of 10·log10(1 / MSE_i), dB, MSE_i floored at 1e-10 (≤ 100 dB). */
  psnr: number;
  /** Share of pixels on the same side of 0.5 in target and reconstruction, in [0, 1]. */
  binarizedAccuracy: number;
  /** 1 − MSE: what is sometimes reported as "pixel accuracy". */
  oneMinusMse: number;
}

/**
 * A model's metrics next to two baselines that need no model, so a figure like "99.8% pixel
 * accuracy" can be read against what predicting black already scores.
 */
export interface ReconstructionReport {
  /** Number of images compared. */
  count: number;
  /** Pixels per image. */
  pixels: number;
  /** The reconstructions passed in. */
  model: ReconstructionMetrics;
  /** Predicting 0 for every pixel (clipped to 1e-7 for BCE). */
  allBlack: ReconstructionMetrics;
  /** Predicting the mean training image for every image. */
  meanImage: ReconstructionMetrics;
  /**
   * Mean pixel entropy of the targets, −x ln x − (1 − x) ln(1 − x): the BCE of a perfect model,
   * a floor no model's BCE can go below (0.0581 on the MNIST test set).
   */
  pixelEntropy: number;
}

/** Which per-image error {@link perImageError} computes. */
export type PerImageErrorKind = "bce" | "mse";

function checkNonEmpty(name: string, a: Float32Array): void {
  if (a.length === 0) throw new MetricInputError(`${name} is empty: nothing to average over`);
}

function checkSameLength(x: Float32Array, p: Float32Array, pName = "p"): void {
  checkNonEmpty("x", x);
  if (x.length !== p.length) {
    throw new MetricInputError(
      `length mismatch: x has ${x.length} values but ${pName} has ${p.length}; ` +
        `targets and predictions must be the same flat [count * pixels] layout`,
    );
  }
}

function checkEps(eps: number): void {
  if (!(eps > 0 && eps < 0.5)) throw new MetricInputError(`eps must be in (0, 0.5), got ${eps}`);
}

/** Checks `pixels` and that `x` holds a whole number of images; returns the image count. */
function imageCount(x: Float32Array, pixels: number): number {
  if (!Number.isInteger(pixels) || pixels <= 0) {
    throw new MetricInputError(`pixels must be a positive integer, got ${pixels}`);
  }
  if (x.length % pixels !== 0) {
    throw new MetricInputError(
      `length mismatch: x has ${x.length} values, not a multiple of ${pixels} pixels per image`,
    );
  }
  return x.length / pixels;
}

/** BCE of one pixel, probability clipped to [eps, 1 − eps]. */
function bceTerm(x: number, p: number, eps: number): number {
  const q = p < eps ? eps : p > 1 - eps ? 1 - eps : p;
  // Most MNIST pixels are exactly 0 or 1: skip the log whose weight is zero (same result).
  if (x === 0) return -Math.log(1 - q);
  if (x === 1) return -Math.log(q);
  return -(x * Math.log(q) + (1 - x) * Math.log(1 - q));
}

/** Entropy of one pixel value in nats; 0 at exactly 0 or 1 (the limit of x ln x). */
function entropyTerm(x: number): number {
  let h = 0;
  if (x > 0) h -= x * Math.log(x);
  if (x < 1) h -= (1 - x) * Math.log(1 - x);
  return h;
}

/**
 * Mean binary cross-entropy over all pixels, in nats:
 * mean(−x ln p − (1 − x) ln(1 − p)) with p clipped to [eps, 1 − eps] as Keras does, so a
 * prediction of exactly 0 or 1 costs at most −ln(eps) ≈ 16.12 per pixel instead of infinity.
 * @param eps clipping bound, default 1e-7 (Keras' epsilon).
 */
export function binaryCrossEntropy(x: Float32Array, p: Float32Array, eps = BCE_EPSILON): number {
  checkSameLength(x, p);
  checkEps(eps);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += bceTerm(x[i], p[i], eps);
  return sum / x.length;
}

/**
 * Mean binary cross-entropy computed from logits l (before the sigmoid), in the stable form
 * max(l, 0) − l·x + log1p(exp(−|l|)): exact for any finite l (no clipping), never overflows.
 * Equals {@link binaryCrossEntropy} of sigmoid(l) where that form does not clip.
 */
export function binaryCrossEntropyFromLogits(x: Float32Array, logits: Float32Array): number {
  checkSameLength(x, logits, "logits");
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    const l = logits[i];
    sum += Math.max(l, 0) - l * x[i] + Math.log1p(Math.exp(-Math.abs(l)));
  }
  return sum / x.length;
}

/** Mean squared error over all pixels. */
export function meanSquaredError(x: Float32Array, p: Float32Array): number {
  checkSameLength(x, p);
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    const d = x[i] - p[i];
    sum += d * d;
  }
  return sum / x.length;
}

/** 1 − MSE, the figure sometimes quoted as "pixel accuracy" (all-black scores 0.886 on MNIST test). */
export function oneMinusMse(x: Float32Array, p: Float32Array): number {
  return 1 - meanSquaredError(x, p);
}

/**
 * Peak signal-to-noise ratio for pixels in [0, 1], in dB: the mean over images of
 * 10·log10(1 / MSE_i), where MSE_i is image i's mean squared error floored at 1e-10
 * ({@link PSNR_MSE_FLOOR}), so a perfect image scores 100 dB rather than +Infinity.
 * @param pixels pixels per image (784 for MNIST).
 */
export function psnr(x: Float32Array, p: Float32Array, pixels: number): number {
  checkSameLength(x, p);
  const count = imageCount(x, pixels);
  const perImage = perImageMeans(x, p, pixels, "mse", BCE_EPSILON);
  let sum = 0;
  for (let i = 0; i < count; i++) sum += psnrOfMse(perImage[i]);
  return sum / count;
}

function psnrOfMse(mse: number): number {
  return 10 * Math.log10(1 / Math.max(mse, PSNR_MSE_FLOOR));
}

/**
 * Share of pixels where target and reconstruction fall on the same side of the threshold:
 * mean((x ≥ t) == (p ≥ t)). A value exactly equal to the threshold counts as "on".
 * @param threshold default 0.5.
 */
export function binarizedAccuracy(
  x: Float32Array,
  p: Float32Array,
  threshold = BINARIZE_THRESHOLD,
): number {
  checkSameLength(x, p);
  let same = 0;
  for (let i = 0; i < x.length; i++) if (x[i] >= threshold === p[i] >= threshold) same++;
  return same / x.length;
}

/**
 * Mean pixel entropy of the targets, mean(−x ln x − (1 − x) ln(1 − x)) in nats: the BCE a perfect
 * reconstruction (p = x) scores, hence a lower bound on any model's BCE.
 */
export function pixelEntropy(x: Float32Array): number {
  checkNonEmpty("x", x);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += entropyTerm(x[i]);
  return sum / x.length;
}

/**
 * Per-image error: for each image, the mean over its pixels of BCE (clipped like
 * {@link binaryCrossEntropy}) or squared error. Useful to rank the worst reconstructions.
 * @param pixels pixels per image.
 * @param kind "bce" or "mse".
 * @returns one value per image, length count.
 */
export function perImageError(
  x: Float32Array,
  p: Float32Array,
  pixels: number,
  kind: PerImageErrorKind,
  eps = BCE_EPSILON,
): Float32Array {
  checkSameLength(x, p);
  imageCount(x, pixels);
  checkEps(eps);
  if (kind !== "bce" && kind !== "mse") {
    throw new MetricInputError(`kind must be "bce" or "mse", got ${JSON.stringify(kind)}`);
  }
  return Float32Array.from(perImageMeans(x, p, pixels, kind, eps));
}

/** Per-image means in float64 (inputs already checked). */
function perImageMeans(
  x: Float32Array,
  p: Float32Array,
  pixels: number,
  kind: PerImageErrorKind,
  eps: number,
): Float64Array {
  const count = x.length / pixels;
  const out = new Float64Array(count);
  for (let n = 0, i = 0; n < count; n++) {
    let sum = 0;
    const end = i + pixels;
    if (kind === "bce") {
      for (; i < end; i++) sum += bceTerm(x[i], p[i], eps);
    } else {
      for (; i < end; i++) {
        const d = x[i] - p[i];
        sum += d * d;
      }
    }
    out[n] = sum / pixels;
  }
  return out;
}

/**
 * All five metrics in one pass. `p` is either the same length as `x` or one image long
 * (`pixels` values), in which case the same prediction is used for every image.
 */
function allMetrics(x: Float32Array, p: Float32Array, pixels: number): ReconstructionMetrics {
  const count = x.length / pixels;
  const broadcast = p.length === pixels && x.length !== pixels;
  let bce = 0;
  let sq = 0;
  let same = 0;
  let psnrSum = 0;
  for (let n = 0, i = 0; n < count; n++) {
    let sqImage = 0;
    for (let j = 0; j < pixels; j++, i++) {
      const xi = x[i];
      const pi = p[broadcast ? j : i];
      bce += bceTerm(xi, pi, BCE_EPSILON);
      const d = xi - pi;
      sqImage += d * d;
      if (xi >= BINARIZE_THRESHOLD === pi >= BINARIZE_THRESHOLD) same++;
    }
    sq += sqImage;
    psnrSum += psnrOfMse(sqImage / pixels);
  }
  const mse = sq / x.length;
  return {
    bce: bce / x.length,
    mse,
    psnr: psnrSum / count,
    binarizedAccuracy: same / x.length,
    oneMinusMse: 1 - mse,
  };
}

/**
 * Metrics of the reconstructions `p` of targets `x`, next to the all-black baseline (p = 0, BCE
 * clipped at 1e-7) and the mean-training-image baseline, plus the pixel-entropy floor on BCE.
 * @param pixels pixels per image.
 * @param trainMeanImage the mean of the training images, `pixels` values in [0, 1].
 */
export function reconstructionReport(
  x: Float32Array,
  p: Float32Array,
  pixels: number,
  trainMeanImage: Float32Array,
): ReconstructionReport {
  checkSameLength(x, p);
  const count = imageCount(x, pixels);
  if (trainMeanImage.length !== pixels) {
    throw new MetricInputError(
      `length mismatch: trainMeanImage has ${trainMeanImage.length} values but an image has ` +
        `${pixels} pixels`,
    );
  }
  return {
    count,
    pixels,
    model: allMetrics(x, p, pixels),
    allBlack: allMetrics(x, new Float32Array(pixels), pixels),
    meanImage: allMetrics(x, trainMeanImage, pixels),
    pixelEntropy: pixelEntropy(x),
  };
}
