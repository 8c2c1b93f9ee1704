/**
 * Exact k nearest neighbours (Euclidean) of every point among all the others, by blocked brute
 * force: squared distances come from ‖a‖² + ‖b‖² − 2 a·b, with each pair's dot product computed
 * once (the block loop covers the upper triangle and feeds both points' lists). Arithmetic is in
 * float64 (JavaScript numbers), so the expansion loses no meaningful precision on float32 input;
 * the k distances returned are recomputed directly from the coordinate differences.
 *
 * Memory is O(n·k): no n × n matrix is ever held. Time is n²·dim/2 multiply-adds; on the native
 * TensorFlow engine the dot products come from its float64 MatMul, one block of rows at a time
 * (10,000 × 784: seconds instead of a minute), and only the candidate lists are kept here.
 */
import { float64Accelerator, forEachGramBlock } from "../backend/linalg";
import { checkNeighborCount, checkPoints } from "./check";

export interface Neighbors {
  /** n × k row-major: indices[i·k + r] is the (r+1)-th nearest other point of point i. */
  indices: Int32Array;
  /** n × k row-major Euclidean distances, ascending in each row (ties: smaller index first). */
  distances: Float32Array;
}

/** Rows per block: a block of 64 rows of 784 float32 is 200 KB, well inside the 2 MB L2. */
const BLOCK_ROWS = 64;
/** Rows per native MatMul block: 256 × 10,000 float64 products are 20 MB to read back. */
const NATIVE_BLOCK_ROWS = 256;

/**
 * The k nearest neighbours of each of the n points (row-major, n × dim), the point itself
 * excluded. Exact; deterministic (ties broken by the smaller index).
 */
export function nearestNeighbors(
  points: Float32Array,
  n: number,
  dim: number,
  k: number,
): Neighbors {
  checkPoints(points, n, dim);
  checkNeighborCount(k, n);

  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    const base = i * dim;
    for (let t = 0; t < dim; t++) s += points[base + t] * points[base + t];
    norms[i] = s;
  }

  // Per point a list of its k best (squared distance, index) so far, sorted ascending.
  const bestD = new Float64Array(n * k).fill(Infinity);
  const bestI = new Int32Array(n * k).fill(0x7fffffff);

  const offer = (i: number, d: number, j: number): void => {
    const base = i * k;
    let p = base + k - 1;
    const worst = bestD[p];
    if (d > worst || (d === worst && j > bestI[p])) return;
    while (p > base) {
      const prev = bestD[p - 1];
      if (prev < d || (prev === d && bestI[p - 1] < j)) break;
      bestD[p] = prev;
      bestI[p] = bestI[p - 1];
      p--;
    }
    bestD[p] = d;
    bestI[p] = j;
  };

  const native = float64Accelerator();
  if (native) {
    forEachGramBlock(native, points, n, dim, NATIVE_BLOCK_ROWS, (i0, i1, block, width) => {
      for (let i = i0; i < i1; i++) {
        const row = (i - i0) * width - i0;
        const ni = norms[i];
        for (let j = i + 1; j < n; j++) {
          const d = Math.max(0, ni + norms[j] - 2 * block[row + j]);
          offer(i, d, j);
          offer(j, d, i);
        }
      }
    });
  }

  for (let i0 = 0; native === null && i0 < n; i0 += BLOCK_ROWS) {
    const i1 = Math.min(n, i0 + BLOCK_ROWS);
    for (let j0 = i0; j0 < n; j0 += BLOCK_ROWS) {
      const j1 = Math.min(n, j0 + BLOCK_ROWS);
      for (let i = i0; i < i1; i++) {
        const a = i * dim;
        const ni = norms[i];
        let j = j0 === i0 ? i + 1 : j0;
        // Four candidates at a time: each query value loaded once feeds four products.
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
          const d0 = Math.max(0, ni + norms[j] - 2 * s0);
          const d1 = Math.max(0, ni + norms[j + 1] - 2 * s1);
          const d2 = Math.max(0, ni + norms[j + 2] - 2 * s2);
          const d3 = Math.max(0, ni + norms[j + 3] - 2 * s3);
          offer(i, d0, j);
          offer(j, d0, i);
          offer(i, d1, j + 1);
          offer(j + 1, d1, i);
          offer(i, d2, j + 2);
          offer(j + 2, d2, i);
          offer(i, d3, j + 3);
          offer(j + 3, d3, i);
        }
        for (; j < j1; j++) {
          const b = j * dim;
          let s = 0;
          for (let t = 0; t < dim; t++) s += points[a + t] * points[b + t];
          const d = Math.max(0, ni + norms[j] - 2 * s);
          offer(i, d, j);
          offer(j, d, i);
        }
      }
    }
  }

  // Exact distances for the chosen neighbours, then a final sort by (distance, index).
  const indices = new Int32Array(n * k);
  const distances = new Float32Array(n * k);
  const order = new Array<number>(k);
  const exact = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const base = i * k;
    const a = i * dim;
    for (let r = 0; r < k; r++) {
      const b = bestI[base + r] * dim;
      let s = 0;
      for (let t = 0; t < dim; t++) {
        const diff = points[a + t] - points[b + t];
        s += diff * diff;
      }
      exact[r] = Math.sqrt(s);
      order[r] = r;
    }
    order.sort((x, y) => exact[x] - exact[y] || bestI[base + x] - bestI[base + y]);
    for (let r = 0; r < k; r++) {
      indices[base + r] = bestI[base + order[r]];
      distances[base + r] = exact[order[r]];
    }
  }
  return { indices, distances };
}
