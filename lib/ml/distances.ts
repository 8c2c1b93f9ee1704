/**
 * The pairwise distance kernel of this package: squared Euclidean distances between rows of one
 * point set, walked block by block so that no n × n matrix is ever held (n = 10,000 would need
 * 800 MB in float64). Nearest neighbours, trustworthiness and the silhouette all read their
 * distances from here, one block at a time.
 *
 * Two arithmetics, both in float64 (JavaScript numbers) on float32 input:
 * - "expansion": ‖a‖² + ‖b‖² − 2 a·b, as sklearn's euclidean_distances. Each dot product is one
 *   sum over the coordinates in order; the result can dip slightly below 0 for (near-)duplicate
 *   points, so callers that take a square root clamp it.
 * - "difference": Σ (a − b)² over the coordinates in order, exact to rounding.
 *
 * With `accelerate`, the dot products of the full walk come from the registered float64
 * accelerator (./accelerator.ts; the native TensorFlow engine's MatMul) in blocks of
 * ACCELERATED_BLOCK_ROWS rows against every later row, always by the expansion.
 */
import { float64Accelerator, type Float64Accelerator } from "./accelerator";

/** Rows per JavaScript block: 64 rows of 784 float32 are 200 KB, well inside a 2 MB L2. */
const BLOCK_ROWS = 64;
/** Rows per accelerated block: 256 × 10,000 float64 products are 20 MB to read back. */
const ACCELERATED_BLOCK_ROWS = 256;

export type DistanceArithmetic = "expansion" | "difference";

export interface DistanceBlockOptions {
  /**
   * Query rows, as indices into the points: each is paired with every point, itself included,
   * and block rows count positions in this list. Default: every pair i < j once (the upper
   * triangle), block rows being point indices.
   */
  rows?: ArrayLike<number>;
  /** How the JavaScript blocks compute a squared distance (default "expansion"). */
  arithmetic?: DistanceArithmetic;
  /**
   * Take the dot products from the registered float64 accelerator when there is one and every
   * pair is walked (no `rows`); its blocks always use the expansion (default false).
   */
  accelerate?: boolean;
}

/**
 * Receives one block: block[(i − i0)·(j1 − j0) + j − j0] is the squared distance between row i
 * (i0 ≤ i < i1) and point j (j0 ≤ j < j1). In the upper-triangle walk only entries with j > i
 * are set; blocks arrive in row-block order, then column order, and the buffer is reused.
 */
export type DistanceBlockVisitor = (
  i0: number,
  i1: number,
  j0: number,
  j1: number,
  block: Float64Array,
) => void;

/** ‖xᵢ‖² of every row of the n × dim points, in float64. */
export function squaredNorms(points: ArrayLike<number>, n: number, dim: number): Float64Array {
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    const base = i * dim;
    for (let t = 0; t < dim; t++) s += points[base + t] * points[base + t];
    norms[i] = s;
  }
  return norms;
}

/**
 * The squared distance of points i and j by the expansion, with exactly the arithmetic of the
 * JavaScript blocks (so a distance computed here compares equal to the same pair's block entry).
 */
export function expandedSquaredDistance(
  points: ArrayLike<number>,
  dim: number,
  norms: Float64Array,
  i: number,
  j: number,
): number {
  const a = i * dim;
  const b = j * dim;
  let s = 0;
  for (let t = 0; t < dim; t++) s += points[a + t] * points[b + t];
  return norms[i] + norms[j] - 2 * s;
}

/**
 * Σ (a − b)² over the dim coordinates of the points starting at offsets a and b: the direct
 * squared distance, in coordinate order.
 */
export function differenceSquared(points: Float32Array, a: number, b: number, dim: number): number {
  let s = 0;
  for (let t = 0; t < dim; t++) {
    const d = points[a + t] - points[b + t];
    s += d * d;
  }
  return s;
}

/**
 * Walk the squared distances between the n × dim points (row-major) block by block; see
 * DistanceBlockOptions for which pairs and how. Time n²·dim/2 multiply-adds for the full walk,
 * m·n·dim for m query rows; memory one block.
 */
export function forEachDistanceBlock(
  points: Float32Array,
  n: number,
  dim: number,
  visit: DistanceBlockVisitor,
  options: DistanceBlockOptions = {},
): void {
  const fill =
    (options.arithmetic ?? "expansion") === "expansion"
      ? expansionRow(points, dim, squaredNorms(points, n, dim))
      : differenceRow(points, dim);
  if (options.rows !== undefined) {
    queryBlocks(Int32Array.from(options.rows), n, fill, visit);
    return;
  }
  const accelerator = options.accelerate ? float64Accelerator() : null;
  if (accelerator) acceleratedBlocks(accelerator, points, n, dim, visit);
  else upperTriangleBlocks(n, fill, visit);
}

/** Writes the squared distances of point i to points j0..j1 − 1 at out[offset + j]. */
type RowFill = (i: number, j0: number, j1: number, out: Float64Array, offset: number) => void;

/** The expansion, four columns at a time: each coordinate of row i, loaded once, feeds four. */
function expansionRow(points: Float32Array, dim: number, norms: Float64Array): RowFill {
  return (i, j0, j1, out, offset) => {
    const a = i * dim;
    const ni = norms[i];
    let j = j0;
    for (; j + 3 < j1; j += 4) {
      const b0 = j * dim;
      const b1 = b0 + dim;
      const b2 = b1 + dim;
      const b3 = b2 + dim;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let t = 0; t < dim; t++) {
        const x = points[a + t];
        s0 += x * points[b0 + t];
        s1 += x * points[b1 + t];
        s2 += x * points[b2 + t];
        s3 += x * points[b3 + t];
      }
      out[offset + j] = ni + norms[j] - 2 * s0;
      out[offset + j + 1] = ni + norms[j + 1] - 2 * s1;
      out[offset + j + 2] = ni + norms[j + 2] - 2 * s2;
      out[offset + j + 3] = ni + norms[j + 3] - 2 * s3;
    }
    for (; j < j1; j++) out[offset + j] = expandedSquaredDistance(points, dim, norms, i, j);
  };
}

/** Direct differences. */
function differenceRow(points: Float32Array, dim: number): RowFill {
  return (i, j0, j1, out, offset) => {
    for (let j = j0; j < j1; j++)
      out[offset + j] = differenceSquared(points, i * dim, j * dim, dim);
  };
}

/** The upper triangle in square blocks of BLOCK_ROWS: row blocks, then column blocks from it. */
function upperTriangleBlocks(n: number, fill: RowFill, visit: DistanceBlockVisitor): void {
  const block = new Float64Array(BLOCK_ROWS * BLOCK_ROWS);
  for (let i0 = 0; i0 < n; i0 += BLOCK_ROWS) {
    const i1 = Math.min(n, i0 + BLOCK_ROWS);
    for (let j0 = i0; j0 < n; j0 += BLOCK_ROWS) {
      const j1 = Math.min(n, j0 + BLOCK_ROWS);
      const width = j1 - j0;
      for (let i = i0; i < i1; i++)
        fill(i, j0 === i0 ? i + 1 : j0, j1, block, (i - i0) * width - j0);
      visit(i0, i1, j0, j1, block);
    }
  }
}

/** Each query row against every point (itself included), in blocks of BLOCK_ROWS × BLOCK_ROWS. */
function queryBlocks(
  rows: Int32Array,
  n: number,
  fill: RowFill,
  visit: DistanceBlockVisitor,
): void {
  const m = rows.length;
  const block = new Float64Array(BLOCK_ROWS * BLOCK_ROWS);
  for (let q0 = 0; q0 < m; q0 += BLOCK_ROWS) {
    const q1 = Math.min(m, q0 + BLOCK_ROWS);
    for (let j0 = 0; j0 < n; j0 += BLOCK_ROWS) {
      const j1 = Math.min(n, j0 + BLOCK_ROWS);
      const width = j1 - j0;
      for (let q = q0; q < q1; q++) fill(rows[q], j0, j1, block, (q - q0) * width - j0);
      visit(q0, q1, j0, j1, block);
    }
  }
}

/** The upper triangle from the accelerator's Gram blocks: rows i0..i1 against i0..n. */
function acceleratedBlocks(
  accelerator: Pick<Float64Accelerator, "pairwiseDots">,
  points: Float32Array,
  n: number,
  dim: number,
  visit: DistanceBlockVisitor,
): void {
  const norms = squaredNorms(points, n, dim);
  const dots = accelerator.pairwiseDots(points, n, dim);
  try {
    for (let i0 = 0; i0 < n; i0 += ACCELERATED_BLOCK_ROWS) {
      const i1 = Math.min(n, i0 + ACCELERATED_BLOCK_ROWS);
      const block = dots.block(i0, i1, i0);
      const width = n - i0;
      for (let i = i0; i < i1; i++) {
        const row = (i - i0) * width - i0;
        const ni = norms[i];
        for (let j = i + 1; j < n; j++) block[row + j] = ni + norms[j] - 2 * block[row + j];
      }
      visit(i0, i1, i0, n, block);
    }
  } finally {
    dots.dispose();
  }
}
