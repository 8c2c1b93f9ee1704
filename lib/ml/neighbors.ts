/**
 * Exact k nearest neighbours (Euclidean) of every point among all the others, by blocked brute
 * force: squared distances come from the expansion ‖a‖² + ‖b‖² − 2 a·b of ./distances.ts, each
 * pair computed once (the upper triangle feeds both points' lists). Arithmetic is in float64
 * (JavaScript numbers), so the expansion loses no meaningful precision on float32 input; the k
 * distances returned are recomputed directly from the coordinate differences.
 *
 * Memory is O(n·k): no n × n matrix is ever held. Time is n²·dim/2 multiply-adds; with a float64
 * accelerator registered (the native TensorFlow engine) the dot products come from its MatMul,
 * one block of rows at a time (10,000 × 784: seconds instead of a minute), and only the
 * candidate lists are kept here.
 */
import { checkNeighborCount, checkPoints } from "./check";
import { forEachDistanceBlock } from "./distances";

export interface Neighbors {
  /** n × k row-major: indices[i·k + r] is the (r+1)-th nearest other point of point i. */
  indices: Int32Array;
  /** n × k row-major Euclidean distances, ascending in each row (ties: smaller index first). */
  distances: Float32Array;
}

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

  // Each pair once (upper triangle), feeding both points' lists.
  forEachDistanceBlock(
    points,
    n,
    dim,
    (i0, i1, j0, j1, block) => {
      const width = j1 - j0;
      for (let i = i0; i < i1; i++) {
        const row = (i - i0) * width - j0;
        for (let j = Math.max(j0, i + 1); j < j1; j++) {
          const d = Math.max(0, block[row + j]);
          offer(i, d, j);
          offer(j, d, i);
        }
      }
    },
    { accelerate: true },
  );

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
