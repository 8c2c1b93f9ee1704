/** Binning raw values for histogramFigure (which takes counts, so large sets never ship raw). */
import type { BinnedCounts } from "./histogram";
import { PlotInputError } from "./check";

export interface BinOptions {
  /** Number of equal-width bins. Default 50. */
  bins?: number;
  /** [low, high] of the bins; default the finite values' min and max. Values outside are dropped. */
  range?: [number, number];
}

/** Equal-width bin counts of the finite `values` (non-finite ones are skipped). */
export function binCounts(values: ArrayLike<number>, options: BinOptions = {}): BinnedCounts {
  const bins = options.bins ?? 50;
  if (!Number.isInteger(bins) || bins < 1) {
    throw new PlotInputError(`binCounts: bins = ${bins}; pass a positive integer number of bins.`);
  }
  let [lo, hi] = options.range ?? [Infinity, -Infinity];
  if (!options.range) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    if (lo > hi) [lo, hi] = [0, 1];
  }
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && hi >= lo)) {
    throw new PlotInputError(`binCounts: range [${lo}, ${hi}] must be finite with low ≤ high.`);
  }
  if (hi === lo) hi = lo + 1;
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v) || v < lo || v > hi) continue;
    counts[Math.min(bins - 1, Math.floor((v - lo) / width))] += 1;
  }
  const edges = Array.from({ length: bins + 1 }, (_, k) => (k === bins ? hi : lo + k * width));
  return { edges, counts };
}
