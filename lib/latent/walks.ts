/**
 * Moving through code space (decode the results with decodeCodes from lib/model/inference.ts):
 * walk along principal axes of the codes (mean ± k standard deviations), and interpolate
 * linearly between two points (codes, or pixels for comparison).
 */
import { LatentInputError } from "../ml/check";
import type { PcaModel } from "../ml/pca";

/** `steps` points evenly spaced from a to b inclusive (steps × dim): (1 − t)·a + t·b. */
export function interpolate(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  steps: number,
): Float32Array {
  if (a.length !== b.length || a.length === 0) {
    throw new LatentInputError(
      `interpolate: the two end points have ${a.length} and ${b.length} values; pass two points of the same (non-zero) length.`,
    );
  }
  if (!Number.isInteger(steps) || steps < 2) {
    throw new LatentInputError(
      `interpolate: steps = ${steps}; use an integer ≥ 2 (the two ends included).`,
    );
  }
  const dim = a.length;
  const out = new Float32Array(steps * dim);
  for (let s = 0; s < steps; s++) {
    const t = s / (steps - 1);
    for (let j = 0; j < dim; j++) out[s * dim + j] = (1 - t) * a[j] + t * b[j];
  }
  return out;
}

export interface AxisWalk {
  /** components × steps codes, row-major: row c·steps + s walks component c to offsets[s]. */
  codes: Float32Array;
  components: number;
  /** Offsets along each axis, in standard deviations of the codes along it. */
  offsets: number[];
}

/**
 * Codes on the first `components` principal axes of a PCA fitted to codes: the mean plus
 * offsets[s] standard deviations along axis c, every other coordinate at the mean. Decoded, each
 * row of the grid shows what one direction of largest variation in code space changes.
 */
export function principalAxisWalk(
  pca: PcaModel,
  options: { components?: number; sigmas?: number; steps?: number } = {},
): AxisWalk {
  const components = Math.min(options.components ?? 5, pca.count);
  const sigmas = options.sigmas ?? 2;
  const steps = options.steps ?? 9;
  if (!Number.isInteger(steps) || steps < 2) {
    throw new LatentInputError(`principalAxisWalk: steps = ${steps}; use an integer ≥ 2.`);
  }
  const offsets = Array.from({ length: steps }, (_, s) => -sigmas + (2 * sigmas * s) / (steps - 1));
  const dim = pca.dim;
  const codes = new Float32Array(components * steps * dim);
  for (let c = 0; c < components; c++) {
    const sd = Math.sqrt(pca.explainedVariance[c]);
    for (let s = 0; s < steps; s++) {
      const row = (c * steps + s) * dim;
      for (let j = 0; j < dim; j++) {
        codes[row + j] = pca.mean[j] + offsets[s] * sd * pca.components[c * dim + j];
      }
    }
  }
  return { codes, components, offsets };
}

/** Rows of an n × width array as views, grouped into `perRow` per grid row (for image grids). */
export function gridRowsOf(values: Float32Array, width: number, perRow: number): Float32Array[][] {
  const n = values.length / width;
  const rows: Float32Array[][] = [];
  for (let i = 0; i < n; i += perRow) {
    rows.push(
      Array.from({ length: Math.min(perRow, n - i) }, (_, j) =>
        values.subarray((i + j) * width, (i + j + 1) * width),
      ),
    );
  }
  return rows;
}
