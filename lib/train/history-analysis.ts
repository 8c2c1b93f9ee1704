/**
 * Reading a training history: is the model overfitting, still improving or done, and how long
 * does an epoch take. Plain functions of EpochRecord[], so they work on a live run, a saved
 * history.json, or hand-made records in tests.
 */
import type { EpochRecord } from "./trainer";

/**
 * What the last epochs say, in one word:
 * - "no-epochs": nothing to judge;
 * - "too-short": fewer epochs than the window + 1, so no trend can be read yet;
 * - "overfitting": validation loss rose over the window while training loss fell;
 * - "unstable": validation and training loss both rose over the window (e.g. learning rate too high);
 * - "past-best": validation loss is not rising now but stays above its best by more than the tolerance;
 * - "improving": validation loss fell over the window by more than the tolerance;
 * - "plateau": validation loss moved less than the tolerance over the window, at its best.
 */
export type OverfittingVerdict =
  "no-epochs" | "too-short" | "overfitting" | "unstable" | "past-best" | "improving" | "plateau";

export interface OverfittingOptions {
  /** Epochs to look back for a trend (k). Default 3. */
  window?: number;
  /**
   * Relative change of a loss over the window that counts as a move (0.002 = 0.2%). Smaller
   * changes are noise. Default 0.002.
   */
  tolerance?: number;
}

export interface OverfittingCheck {
  verdict: OverfittingVerdict;
  /** One sentence saying what the verdict means for this run. */
  sentence: string;
  epochs: number;
  window: number;
  /** 1-based epoch with the lowest validation loss (0 when there is none) and that loss. */
  bestEpoch: number;
  bestValLoss: number | null;
  finalTrainLoss: number | null;
  finalValLoss: number | null;
  /** Final validation minus final training loss (negative when validation is lower). */
  gap: number | null;
  /** gap / final training loss. */
  relativeGap: number | null;
  /** Relative change of the validation / training loss over the last `window` epochs. */
  valChange: number | null;
  trainChange: number | null;
  /** Validation loss rose over the window while training loss fell. */
  valRoseWhileTrainFell: boolean;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** Judge a history for overfitting; every number behind the verdict is returned with it. */
export function overfittingCheck(
  history: readonly EpochRecord[],
  options: OverfittingOptions = {},
): OverfittingCheck {
  const window = options.window ?? 3;
  const tolerance = options.tolerance ?? 0.002;
  if (!Number.isInteger(window) || window < 1) {
    throw new RangeError(`overfittingCheck: window must be a positive integer, got ${window}.`);
  }
  if (!(tolerance >= 0)) {
    throw new RangeError(`overfittingCheck: tolerance must be ≥ 0, got ${tolerance}.`);
  }
  const n = history.length;
  const base: OverfittingCheck = {
    verdict: "no-epochs",
    sentence: "No epoch has finished yet, so there is nothing to judge.",
    epochs: n,
    window,
    bestEpoch: 0,
    bestValLoss: null,
    finalTrainLoss: null,
    finalValLoss: null,
    gap: null,
    relativeGap: null,
    valChange: null,
    trainChange: null,
    valRoseWhileTrainFell: false,
  };
  if (n === 0) return base;
  const last = history[n - 1];
  const best = history.reduce((a, b) => (b.valLoss < a.valLoss ? b : a));
  const check: OverfittingCheck = {
    ...base,
    bestEpoch: best.epoch,
    bestValLoss: best.valLoss,
    finalTrainLoss: last.trainLoss,
    finalValLoss: last.valLoss,
    gap: last.valLoss - last.trainLoss,
    relativeGap: last.trainLoss !== 0 ? (last.valLoss - last.trainLoss) / last.trainLoss : null,
  };
  const gapNote =
    check.relativeGap !== null
      ? ` (final validation loss ${last.valLoss.toFixed(4)} is ${pct(Math.abs(check.relativeGap))} ` +
        `${check.relativeGap >= 0 ? "above" : "below"} training loss)`
      : "";
  if (n <= window) {
    return {
      ...check,
      verdict: "too-short",
      sentence:
        `${n === 1 ? "One epoch" : `${n} epochs`} cannot show a trend: comparing the last epoch ` +
        `with the one ${window} before needs at least ${window + 1} epochs${gapNote}.`,
    };
  }
  const start = history[n - 1 - window];
  const valChange = (last.valLoss - start.valLoss) / start.valLoss;
  const trainChange = (last.trainLoss - start.trainLoss) / start.trainLoss;
  const valRose = valChange > tolerance;
  const trainFell = trainChange < -tolerance;
  const aboveBest = (last.valLoss - best.valLoss) / best.valLoss;
  const result = { ...check, valChange, trainChange, valRoseWhileTrainFell: valRose && trainFell };
  const since = `epochs ${start.epoch}-${last.epoch}`;
  if (valRose && trainFell) {
    return {
      ...result,
      verdict: "overfitting",
      sentence:
        `Overfitting: over ${since} validation loss rose ${pct(valChange)} while training loss fell ` +
        `${pct(-trainChange)}; the best validation loss was at epoch ${best.epoch}, so stop there ` +
        `(early stopping) or regularise (noise, smaller model)${gapNote}.`,
    };
  }
  if (valRose) {
    return {
      ...result,
      verdict: "unstable",
      sentence:
        `Unstable: over ${since} validation loss rose ${pct(valChange)} and training loss did not ` +
        `fall (${trainChange >= 0 ? "+" : ""}${pct(trainChange)}), which points at a learning rate ` +
        `that is too high rather than overfitting${gapNote}.`,
    };
  }
  if (aboveBest > tolerance) {
    return {
      ...result,
      verdict: "past-best",
      sentence:
        `Past its best: validation loss is ${pct(aboveBest)} above its best (epoch ${best.epoch}) ` +
        `though not rising over ${since}; more epochs are unlikely to help${gapNote}.`,
    };
  }
  if (valChange < -tolerance) {
    return {
      ...result,
      verdict: "improving",
      sentence:
        `Still improving: validation loss fell ${pct(-valChange)} over ${since} with no sign of ` +
        `overfitting; more epochs would likely lower it further${gapNote}.`,
    };
  }
  return {
    ...result,
    verdict: "plateau",
    sentence:
      `Converged: validation loss moved less than ${pct(tolerance)} over ${since} and sits at its ` +
      `best, without overfitting; more epochs of the same schedule will change little${gapNote}.`,
  };
}

export interface EpochTimeStats {
  epochs: number;
  /** Seconds per whole epoch (training pass + validation). */
  mean: number;
  median: number;
  min: number;
  max: number;
  /** The first epoch: it includes warm-up (kernel compilation, memory allocation). */
  first: number;
  /** Median of the epochs after the first (NaN with a single epoch). */
  medianAfterFirst: number;
  /** How much longer the first epoch took than the median of the others (NaN with one epoch). */
  warmupSeconds: number;
  /** Mean seconds of the training pass alone, and of validation (epoch − training pass). */
  meanTrainSeconds: number;
  meanValidationSeconds: number;
  /** Sum of epoch times. */
  totalSeconds: number;
  /** Median training throughput, images per second. */
  medianSamplesPerSecond: number;
}

function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** Time-per-epoch statistics of a history. Throws RangeError on an empty history. */
export function timePerEpoch(history: readonly EpochRecord[]): EpochTimeStats {
  if (history.length === 0) {
    throw new RangeError("timePerEpoch: the history is empty (no epoch finished).");
  }
  const seconds = history.map((r) => r.epochSeconds);
  const rest = seconds.slice(1);
  const medianAfterFirst = median(rest);
  return {
    epochs: history.length,
    mean: mean(seconds),
    median: median(seconds),
    min: Math.min(...seconds),
    max: Math.max(...seconds),
    first: seconds[0],
    medianAfterFirst,
    warmupSeconds: seconds[0] - medianAfterFirst,
    meanTrainSeconds: mean(history.map((r) => r.trainSeconds)),
    meanValidationSeconds: mean(history.map((r) => r.epochSeconds - r.trainSeconds)),
    totalSeconds: seconds.reduce((a, b) => a + b, 0),
    medianSamplesPerSecond: median(history.map((r) => r.samplesPerSecond)),
  };
}
