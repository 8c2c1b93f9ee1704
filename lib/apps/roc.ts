/**
 * ROC and precision–recall curves of a score that should be higher for positives (an anomaly
 * score: higher = more anomalous), computed exactly as scikit-learn does:
 * - thresholds are the distinct scores, highest first; a sample is flagged positive when its
 *   score is ≥ the threshold, so tied scores enter the curve together (one diagonal step);
 * - rocCurve starts at (0, 0) with threshold +Infinity (sklearn ≥ 1.3 uses np.inf too) and keeps
 *   every distinct threshold (sklearn's `drop_intermediate=False`); AUROC is the trapezoid area;
 * - precisionRecallCurve returns precision and recall in sklearn's order (recall decreasing,
 *   ending at recall 0, precision 1) and AUPRC as sklearn's average_precision_score: the
 *   step-wise sum of (R_k − R_{k−1}) · P_k, no interpolation.
 * Inputs are plain arrays; results are plain number arrays (ready for rocFigure / prFigure).
 */
import { AutoencoderLabError } from "../errors";

/** Scores and labels passed to a curve are unusable: empty, mismatched, not finite, one class. */
export class RocInputError extends AutoencoderLabError {}

/** Labels hold only one class: no ROC or PR curve is defined (the message says which is missing). */
export class MissingClassError extends RocInputError {}

/** Which samples are positives: booleans, or numbers where nonzero means positive. */
export type PositiveFlags = ArrayLike<boolean> | ArrayLike<number>;

export interface RocCurve {
  /** False-positive rate at each threshold, non-decreasing from 0 to 1. */
  fpr: number[];
  /** True-positive rate (recall) at each threshold, non-decreasing from 0 to 1. */
  tpr: number[];
  /** thresholds[i]: flag score ≥ thresholds[i]. Decreasing; thresholds[0] is +Infinity. */
  thresholds: number[];
  /** Area under the curve (trapezoid rule): P(score of a random positive > a random negative) + ½ P(tie). */
  auroc: number;
  positives: number;
  negatives: number;
}

export interface PrCurve {
  /** Precision at each threshold (increasing thresholds), then 1 at recall 0. */
  precision: number[];
  /** Recall at each threshold (non-increasing), then 0. */
  recall: number[];
  /** Increasing; one fewer than precision and recall. */
  thresholds: number[];
  /** Average precision (sklearn's average_precision_score). */
  auprc: number;
  /** Share of positives: the AUPRC of a score that knows nothing. */
  baseline: number;
  positives: number;
  negatives: number;
}

/** A threshold and what it does on the data it was chosen on. */
export interface ThresholdChoice {
  /** Flag a sample when its score is ≥ this (+Infinity flags nothing). */
  threshold: number;
  targetFpr: number;
  /** False-positive rate reached (≤ targetFpr). */
  fpr: number;
  /** True-positive rate reached (NaN when chosen from negatives alone). */
  tpr: number;
}

function toFlags(positives: PositiveFlags, n: number): Uint8Array {
  if (positives.length !== n) {
    throw new RocInputError(
      `length mismatch: ${n} scores but ${positives.length} labels; pass one positive flag per score.`,
    );
  }
  const flags = new Uint8Array(n);
  for (let i = 0; i < n; i++) flags[i] = positives[i] ? 1 : 0;
  return flags;
}

function checkScores(scores: ArrayLike<number>): void {
  if (scores.length === 0)
    throw new RocInputError("No scores: a curve needs at least one positive and one negative.");
  for (let i = 0; i < scores.length; i++) {
    if (typeof scores[i] !== "number" || Number.isNaN(scores[i])) {
      throw new RocInputError(
        `Score ${i} is ${scores[i]}: scores must be numbers (NaN usually means a failed computation upstream).`,
      );
    }
  }
}

/**
 * Counts at each distinct threshold, highest first (sklearn's _binary_clf_curve):
 * tps[i], fps[i] = positives and negatives with score ≥ thresholds[i].
 */
function countsByThreshold(
  scores: ArrayLike<number>,
  positives: PositiveFlags,
  what: string,
): { tps: number[]; fps: number[]; thresholds: number[]; p: number; n: number } {
  checkScores(scores);
  const flags = toFlags(positives, scores.length);
  const order = Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => scores[b] - scores[a],
  );
  const tps: number[] = [];
  const fps: number[] = [];
  const thresholds: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    if (flags[i]) tp++;
    else fp++;
    const next = order[k + 1];
    if (next === undefined || scores[next] !== scores[i]) {
      tps.push(tp);
      fps.push(fp);
      thresholds.push(scores[i]);
    }
  }
  if (tp === 0 || fp === 0) {
    const missing = tp === 0 ? "positive" : "negative";
    throw new MissingClassError(
      `${what} needs both classes, but all ${scores.length} samples are ${tp === 0 ? "negatives" : "positives"} ` +
        `(no ${missing} sample). Add ${missing} samples (e.g. ${tp === 0 ? "the anomalies" : "in-distribution images"}) to the set scored.`,
    );
  }
  return { tps, fps, thresholds, p: tp, n: fp };
}

/** ROC curve and AUROC of `scores` (higher = more likely positive) against `positives`. */
export function rocCurve(scores: ArrayLike<number>, positives: PositiveFlags): RocCurve {
  const { tps, fps, thresholds, p, n } = countsByThreshold(scores, positives, "A ROC curve");
  const fpr = [0, ...fps.map((f) => f / n)];
  const tpr = [0, ...tps.map((t) => t / p)];
  let auroc = 0;
  for (let i = 1; i < fpr.length; i++) auroc += ((fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1])) / 2;
  return { fpr, tpr, thresholds: [Infinity, ...thresholds], auroc, positives: p, negatives: n };
}

/** Precision–recall curve and average precision (AUPRC), as sklearn computes them. */
export function precisionRecallCurve(scores: ArrayLike<number>, positives: PositiveFlags): PrCurve {
  const { tps, fps, thresholds, p, n } = countsByThreshold(
    scores,
    positives,
    "A precision-recall curve",
  );
  const precision = tps.map((t, i) => (t + fps[i] === 0 ? 0 : t / (t + fps[i]))).reverse();
  const recall = tps.map((t) => t / p).reverse();
  precision.push(1);
  recall.push(0);
  let ap = 0;
  for (let i = 0; i < recall.length - 1; i++) ap -= (recall[i + 1] - recall[i]) * precision[i];
  return {
    precision,
    recall,
    thresholds: [...thresholds].reverse(),
    auprc: Math.max(0, ap),
    baseline: p / (p + n),
    positives: p,
    negatives: n,
  };
}

function checkTarget(targetFpr: number): void {
  if (!(targetFpr >= 0 && targetFpr <= 1)) {
    throw new RocInputError(
      `targetFpr must be a rate in [0, 1] (e.g. 0.05 for 5%), got ${targetFpr}.`,
    );
  }
}

function isCurve(source: unknown): source is RocCurve {
  return typeof source === "object" && source !== null && "fpr" in source && "thresholds" in source;
}

/**
 * The threshold that flags as many positives as possible while keeping the false-positive rate at
 * or below `targetFpr`, on a ROC curve or on labelled scores (whose curve is then computed).
 * Among thresholds with the same FPR the lowest is taken (highest TPR).
 */
export function thresholdAtFpr(
  source: RocCurve | { scores: ArrayLike<number>; positives: PositiveFlags },
  targetFpr: number,
): ThresholdChoice {
  checkTarget(targetFpr);
  const curve = isCurve(source) ? source : rocCurve(source.scores, source.positives);
  let best = 0;
  // fpr is non-decreasing; the small slack absorbs float error in counts / n (e.g. 0.05 * 20).
  for (let i = 0; i < curve.fpr.length; i++) if (curve.fpr[i] <= targetFpr + 1e-12) best = i;
  return {
    threshold: curve.thresholds[best],
    targetFpr,
    fpr: curve.fpr[best],
    tpr: curve.tpr[best],
  };
}

/**
 * The threshold for `targetFpr` chosen from in-distribution scores alone (what a deployed detector
 * can do: anomalies are not known in advance): the lowest of these scores such that at most
 * floor(targetFpr · n) of them are ≥ it; +Infinity when even the highest score is tied too often.
 */
export function thresholdFromNegatives(
  negativeScores: ArrayLike<number>,
  targetFpr: number,
): ThresholdChoice {
  checkTarget(targetFpr);
  checkScores(negativeScores);
  const sorted = Float64Array.from(negativeScores).sort().reverse();
  const allowed = Math.floor(targetFpr * sorted.length + 1e-9);
  let threshold = Infinity;
  let flagged = 0;
  for (let k = 0; k < sorted.length;) {
    let end = k;
    while (end < sorted.length && sorted[end] === sorted[k]) end++;
    if (end > allowed) break;
    threshold = sorted[k];
    flagged = end;
    k = end;
  }
  return { threshold, targetFpr, fpr: flagged / sorted.length, tpr: NaN };
}

/** What a threshold does on labelled scores: rates and counts with the rule score ≥ threshold. */
export function ratesAtThreshold(
  scores: ArrayLike<number>,
  positives: PositiveFlags,
  threshold: number,
): { threshold: number; fpr: number; tpr: number; precision: number; flagged: number } {
  checkScores(scores);
  const flags = toFlags(positives, scores.length);
  let tp = 0;
  let fp = 0;
  let p = 0;
  for (let i = 0; i < scores.length; i++) {
    if (flags[i]) p++;
    if (scores[i] >= threshold) {
      if (flags[i]) tp++;
      else fp++;
    }
  }
  const n = scores.length - p;
  if (p === 0 || n === 0) {
    throw new MissingClassError(
      `Rates need both classes, but all ${scores.length} samples are ${p === 0 ? "negatives" : "positives"}.`,
    );
  }
  return {
    threshold,
    fpr: fp / n,
    tpr: tp / p,
    precision: tp + fp === 0 ? 1 : tp / (tp + fp),
    flagged: tp + fp,
  };
}
