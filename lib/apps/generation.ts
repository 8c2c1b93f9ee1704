/**
 * Generating images from codes nobody encoded: a regular grid over the plane of a 2-number code
 * (decoded, it shows how the digits are laid out in the latent plane and what lies between them).
 */
import { AutoencoderLabError } from "../errors";
import { createRng } from "../random";

export class GenerationInputError extends AutoencoderLabError {}

/** A steps × steps grid of 2-d codes; row 0 is the largest y (so it is drawn at the top). */
export interface LatentGrid {
  /** steps² × 2 row-major codes, row by row. */
  codes: Float32Array;
  /** The x value of each grid column (ascending). */
  xs: Float64Array;
  /** The y value of each grid row (descending: top row first). */
  ys: Float64Array;
  steps: number;
}

/** The q-quantile (0..1) of `values`, interpolated linearly between order statistics. */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) throw new GenerationInputError("quantile of no values");
  const sorted = Float64Array.from(values).sort();
  const pos = Math.min(1, Math.max(0, q)) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * A grid spanning where the encoded points actually lie: from the `margin` to the 1 − `margin`
 * quantile of each coordinate of `codes` (n × 2), so a few outliers do not stretch it into empty
 * space.
 */
export function latentGrid(
  codes: Float32Array,
  options: { steps?: number; margin?: number } = {},
): LatentGrid {
  const steps = options.steps ?? 15;
  const margin = options.margin ?? 0.02;
  if (codes.length === 0 || codes.length % 2 !== 0) {
    throw new GenerationInputError(
      `latentGrid needs 2-number codes (n × 2); got ${codes.length} values. Use a run trained with model.codeSize 2.`,
    );
  }
  if (!Number.isInteger(steps) || steps < 2) {
    throw new GenerationInputError(`latentGrid: steps = ${steps}; use an integer ≥ 2.`);
  }
  if (!(margin >= 0 && margin < 0.5)) {
    throw new GenerationInputError(`latentGrid: margin = ${margin}; use a share in [0, 0.5).`);
  }
  const n = codes.length / 2;
  const column = (c: number) => Float64Array.from({ length: n }, (_, i) => codes[2 * i + c]);
  const axis = (c: number) => {
    const values = column(c);
    const lo = quantile(values, margin);
    const hi = quantile(values, 1 - margin);
    return Float64Array.from({ length: steps }, (_, i) => lo + ((hi - lo) * i) / (steps - 1));
  };
  const xs = axis(0);
  const ys = axis(1).reverse();
  const grid = new Float32Array(steps * steps * 2);
  for (let r = 0; r < steps; r++) {
    for (let c = 0; c < steps; c++) {
      grid[2 * (r * steps + c)] = xs[c];
      grid[2 * (r * steps + c) + 1] = ys[r];
    }
  }
  return { codes: grid, xs, ys, steps };
}

/**
 * `count` random codes of length `dim` (count × dim), seeded: from N(0, I) — a VAE's prior — or,
 * given `fitTo` (n × dim codes), from the diagonal Gaussian with those codes' per-dimension mean
 * and standard deviation (the best a plain autoencoder, which has no prior, can offer).
 */
export function gaussianCodes(
  count: number,
  dim: number,
  seed: number,
  fitTo?: Float32Array,
): Float32Array {
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(dim) || dim < 1) {
    throw new GenerationInputError(
      `gaussianCodes: count ${count} and dim ${dim} must be positive integers.`,
    );
  }
  const mean = new Float64Array(dim);
  const sd = new Float64Array(dim).fill(1);
  if (fitTo) {
    if (fitTo.length === 0 || fitTo.length % dim !== 0) {
      throw new GenerationInputError(
        `gaussianCodes: the codes to fit hold ${fitTo.length} values, not rows of ${dim}.`,
      );
    }
    const n = fitTo.length / dim;
    for (let i = 0; i < fitTo.length; i++) mean[i % dim] += fitTo[i] / n;
    const sq = new Float64Array(dim);
    for (let i = 0; i < fitTo.length; i++) sq[i % dim] += (fitTo[i] - mean[i % dim]) ** 2;
    for (let d = 0; d < dim; d++) sd[d] = Math.sqrt(sq[d] / Math.max(1, n - 1));
  }
  const rng = createRng(seed);
  const out = new Float32Array(count * dim);
  for (let i = 0; i < out.length; i++) out[i] = mean[i % dim] + sd[i % dim] * rng.normal();
  return out;
}
