/**
 * Shape checks shared by the lib/ml functions, which take points as one flat row-major
 * Float32Array (n × dim) plus the two sizes.
 */
import { AutoencoderLabError } from "../errors";

/** Points, labels or an option of a latent-analysis function do not fit together. */
export class LatentInputError extends AutoencoderLabError {}

/** Throw a LatentInputError unless `points` holds exactly n × dim finite numbers. */
export function checkPoints(
  points: ArrayLike<number>,
  n: number,
  dim: number,
  what = "points",
): void {
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(dim) || dim < 1) {
    throw new LatentInputError(
      `${what}: n = ${n} and dim = ${dim} must be positive integers (pass the number of rows and the length of one row).`,
    );
  }
  if (points.length !== n * dim) {
    throw new LatentInputError(
      `${what} has ${points.length} values but n × dim = ${n} × ${dim} = ${n * dim}: pass a row-major array of n rows of dim values (or fix n and dim).`,
    );
  }
  for (let i = 0; i < points.length; i++) {
    if (!Number.isFinite(points[i])) {
      throw new LatentInputError(
        `${what} value ${i} (row ${Math.floor(i / dim)}) is ${points[i]}: remove or replace non-finite values before the analysis.`,
      );
    }
  }
}

/** Throw a LatentInputError unless 1 ≤ k < n (k neighbours of a point, itself excluded). */
export function checkNeighborCount(k: number, n: number, what = "k"): void {
  if (!Number.isInteger(k) || k < 1 || k >= n) {
    throw new LatentInputError(
      `${what} = ${k} neighbours is not possible with ${n} points: use an integer between 1 and ${n - 1}.`,
    );
  }
}
