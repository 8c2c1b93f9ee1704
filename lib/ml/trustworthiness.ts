/**
 * How well an embedding keeps neighbourhoods: trustworthiness, as sklearn.manifold.trustworthiness
 * (Venna & Kaski 2001). Each point's k nearest neighbours in the embedding that are not among its
 * k nearest in the original space are penalised by how far down the original-space ranking they sit: T = 1 − 2/(n k (2n − 3k − 1)) ·
 * Σ_i Σ_{j ∈ N_k^low(i)} max(0, r(i, j) − k), where r(i, j) is j's rank (1 = nearest) among
 * i's neighbours in the original space. 1 = every embedding neighbour is a true neighbour.
 *
 * Memory stays O(n·k): the original-space ranks are counted pair by pair over the blocks of
 * ./distances.ts (each pair once, for both points), never from an n × n matrix; with a float64
 * accelerator registered (the native engine) the blocks' dot products are its MatMul.
 */
import { float64Accelerator } from "./accelerator";
import { checkNeighborCount, checkPoints, LatentInputError } from "./check";
import { expandedSquaredDistance, forEachDistanceBlock, squaredNorms } from "./distances";
import { nearestNeighbors } from "./neighbors";

/**
 * Trustworthiness of the embedding `low` (n × lowDim) of `high` (n × highDim), with k
 * neighbours; exactly sklearn.manifold.trustworthiness with the Euclidean metric (equal
 * distances are ranked by the smaller index first). In [0, 1]; needs k < n / 2.
 */
export function trustworthiness(
  high: Float32Array,
  low: Float32Array,
  n: number,
  highDim: number,
  lowDim: number,
  k = 10,
): number {
  checkPoints(high, n, highDim, "high-dimensional points");
  checkPoints(low, n, lowDim, "embedded points");
  checkNeighborCount(k, n);
  if (k >= n / 2) {
    throw new LatentInputError(
      `trustworthiness needs k < n / 2 (got k = ${k}, n = ${n}): use fewer neighbours.`,
    );
  }
  const lowNeighbors = nearestNeighbors(low, n, lowDim, k).indices;

  // With an accelerator (the native engine) both walks below take their distances from its
  // blocks, whose rounding differs from JavaScript's: the targets are then read from the same
  // blocks as the ranks, so equal distances still compare equal.
  const accelerate = float64Accelerator() !== null;
  const targets = accelerate
    ? blockTargets(high, n, highDim, lowNeighbors, k)
    : directTargets(high, n, highDim, lowNeighbors, k);
  const farthest = new Float64Array(n).fill(-Infinity);
  for (let e = 0; e < n * k; e++) {
    const i = Math.floor(e / k);
    if (targets[e] > farthest[i]) farthest[i] = targets[e];
  }
  const ranks = new Int32Array(n * k).fill(1);
  // rank(i, j) = 1 + #{m ≠ i : d(i,m) < d(i,j), or equal and m < j}: each pair's distance is
  // computed once (upper triangle) and counted for both points. Only m no farther than i's
  // farthest target can count, and few are.
  const count = (i: number, m: number, d: number): void => {
    if (d > farthest[i]) return;
    const base = i * k;
    for (let r = 0; r < k; r++) {
      const t = targets[base + r];
      if (d < t || (d === t && m < lowNeighbors[base + r])) ranks[base + r]++;
    }
  };
  forEachDistanceBlock(
    high,
    n,
    highDim,
    (i0, i1, j0, j1, block) => {
      const width = j1 - j0;
      for (let i = i0; i < i1; i++) {
        const row = (i - i0) * width - j0;
        for (let j = Math.max(j0, i + 1); j < j1; j++) {
          const d = block[row + j];
          count(i, j, d);
          count(j, i, d);
        }
      }
    },
    { accelerate },
  );
  let penalty = 0;
  for (let e = 0; e < n * k; e++) if (ranks[e] > k) penalty += ranks[e] - k;
  return 1 - (penalty * 2) / (n * k * (2 * n - 3 * k - 1));
}

/** d(i, j) for each embedding neighbour j of i, in the JavaScript blocks' arithmetic. */
function directTargets(
  high: Float32Array,
  n: number,
  highDim: number,
  lowNeighbors: Int32Array,
  k: number,
): Float64Array {
  const norms = squaredNorms(high, n, highDim);
  const targets = new Float64Array(n * k);
  for (let e = 0; e < n * k; e++) {
    targets[e] = expandedSquaredDistance(high, highDim, norms, Math.floor(e / k), lowNeighbors[e]);
  }
  return targets;
}

/**
 * d(i, j) for each embedding neighbour j of i, read from the accelerated walk's own blocks (one
 * extra walk). The walk gives each pair once, in the row of its smaller index: byRow lists, for
 * each row m, the entries e = i·k + r whose pair (i, lowNeighbors[e]) starts at m.
 */
function blockTargets(
  high: Float32Array,
  n: number,
  highDim: number,
  lowNeighbors: Int32Array,
  k: number,
): Float64Array {
  const rowOf = (e: number) => Math.min(Math.floor(e / k), lowNeighbors[e]);
  const start = new Int32Array(n + 1);
  for (let e = 0; e < n * k; e++) start[rowOf(e) + 1]++;
  for (let m = 0; m < n; m++) start[m + 1] += start[m];
  const byRow = new Int32Array(n * k);
  const next = start.slice(0, n);
  for (let e = 0; e < n * k; e++) byRow[next[rowOf(e)]++] = e;
  const targets = new Float64Array(n * k);
  forEachDistanceBlock(
    high,
    n,
    highDim,
    (i0, i1, j0, j1, block) => {
      const width = j1 - j0;
      for (let m = i0; m < i1; m++) {
        for (let b = start[m]; b < start[m + 1]; b++) {
          const e = byRow[b];
          const other = Math.max(Math.floor(e / k), lowNeighbors[e]);
          if (other >= j0 && other < j1) targets[e] = block[(m - i0) * width + other - j0];
        }
      }
    },
    { accelerate: true },
  );
  return targets;
}
