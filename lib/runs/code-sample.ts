/**
 * Rows of a code matrix: picking rows, and a seeded sample of them for analyses too slow on a
 * whole split. (A run's codes, cached with the run, are in lib/runs/codes.ts.)
 */
import { createRng, permutation } from "../random";

/** Rows `indices` of an n × dim array, as a new (indices.length × dim) array. */
export function pickRows(
  points: Float32Array,
  dim: number,
  indices: ArrayLike<number>,
): Float32Array {
  const out = new Float32Array(indices.length * dim);
  for (let i = 0; i < indices.length; i++) {
    const row = indices[i];
    out.set(points.subarray(row * dim, (row + 1) * dim), i * dim);
  }
  return out;
}

/** A seeded random sample of rows (without replacement), in ascending index order. */
export interface CodesSample {
  /** count × dim rows of the codes. */
  points: Float32Array;
  labels: Uint8Array;
  /** Row of each sampled point in the full split (to find its image). */
  indices: Int32Array;
  n: number;
  dim: number;
}

/**
 * `count` rows picked at random (seeded) from n × dim codes, kept in their original order; all
 * rows when count ≥ n. For analyses too slow on a whole split (t-SNE, silhouettes).
 */
export function sampleCodes(
  codes: { codes: Float32Array; labels: Uint8Array; n: number; dim: number },
  count: number,
  seed: number,
): CodesSample {
  const take = Math.max(1, Math.min(codes.n, Math.floor(count)));
  const indices =
    take === codes.n
      ? Int32Array.from({ length: codes.n }, (_, i) => i)
      : Int32Array.from(permutation(codes.n, createRng(seed)).subarray(0, take)).sort();
  return {
    points: pickRows(codes.codes, codes.dim, indices),
    labels: Uint8Array.from(indices, (i) => codes.labels[i]),
    indices,
    n: take,
    dim: codes.dim,
  };
}
