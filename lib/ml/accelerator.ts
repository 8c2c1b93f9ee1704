/**
 * An optional float64 linear-algebra engine for the exact analysis code (PCA's covariance and
 * eigendecomposition, the Gram blocks of the pairwise distance loops). This package defines
 * only the interface and a slot for it: whoever owns a faster engine registers a provider with
 * setFloat64Accelerator (lib/backend does, for the native TensorFlow engine, in initBackend),
 * and the numerics ask float64Accelerator() each time they run. With no provider, or when the
 * provider answers null, the same arithmetic runs in JavaScript; results agree to rounding
 * (about 1e-13 relative).
 */

/** Row blocks of the Gram matrix of n points, computed on demand. Dispose when done. */
export interface PairwiseDots {
  /** Rows i0..i1 against rows j0..n: (i1 − i0) × (n − j0) dot products, row-major. */
  block(i0: number, i1: number, j0: number): Float64Array;
  dispose(): void;
}

export interface Float64Accelerator {
  /**
   * Σᵢ (xᵢ − mean)(xᵢ − mean)ᵀ over the n rows of `points` (n × dim, row-major float32), in
   * float64: the unnormalised covariance, dim × dim row-major.
   */
  centredGram(points: Float32Array, n: number, dim: number, mean: Float64Array): Float64Array;
  /**
   * Eigenvalues (descending) and unit eigenvectors (rows, in the same order) of the symmetric
   * d × d row-major matrix.
   */
  symmetricEigen(matrix: Float64Array, d: number): { values: Float64Array; vectors: Float64Array };
  /** Dot products of the n × dim float32 points in float64, one block of rows at a time. */
  pairwiseDots(points: Float32Array, n: number, dim: number): PairwiseDots;
}

/** Answers, at each call, the accelerator to use now, or null for plain JavaScript. */
export type Float64AcceleratorProvider = () => Float64Accelerator | null;

let provider: Float64AcceleratorProvider | null = null;

/**
 * Register the provider the numerics ask before each accelerated step (null: JavaScript only).
 * The provider is asked every time, so it can follow a backend that changes while a process
 * runs.
 */
export function setFloat64Accelerator(next: Float64AcceleratorProvider | null): void {
  provider = next;
}

/** The accelerator to use now, or null (no provider registered, or it has none to offer). */
export function float64Accelerator(): Float64Accelerator | null {
  return provider ? provider() : null;
}
