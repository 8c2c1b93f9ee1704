/**
 * How well an embedding keeps neighbourhoods: trustworthiness, as sklearn.manifold.trustworthiness
 * (Venna & Kaski 2001). Each point's k nearest neighbours in the embedding that are not among its
 * k nearest in the original space are penalised by how far down the original-space ranking they sit: T = 1 − 2/(n k (2n − 3k − 1)) ·
 * Σ_i Σ_{j ∈ N_k^low(i)} max(0, r(i, j) − k), where r(i, j) is j's rank (1 = nearest) among
 * i's neighbours in the original space. 1 = every embedding neighbour is a true neighbour.
 *
 * Memory stays O(n·k): the original-space ranks are counted pair by pair over the blocks of
 * ./distances.ts (each pair once, for both points), never from an n × n matrix.
 */
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

  // The squared original-space distance to each embedding neighbour, with the arithmetic of the
  // distance blocks below, so equal distances compare equal.
  const norms = squaredNorms(high, n, highDim);
  const targets = new Float64Array(n * k);
  const farthest = new Float64Array(n);
  const ranks = new Int32Array(n * k).fill(1);
  for (let i = 0; i < n; i++) {
    farthest[i] = -Infinity;
    for (let r = 0; r < k; r++) {
      const j = lowNeighbors[i * k + r];
      const d = expandedSquaredDistance(high, highDim, norms, i, j);
      targets[i * k + r] = d;
      if (d > farthest[i]) farthest[i] = d;
    }
  }
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
  // JavaScript arithmetic only (no accelerator): the ranks compare block entries with the targets
  // above for exact equality.
  forEachDistanceBlock(high, n, highDim, (i0, i1, j0, j1, block) => {
    const width = j1 - j0;
    for (let i = i0; i < i1; i++) {
      const row = (i - i0) * width - j0;
      for (let j = Math.max(j0, i + 1); j < j1; j++) {
        const d = block[row + j];
        count(i, j, d);
        count(j, i, d);
      }
    }
  });
  let penalty = 0;
  for (let e = 0; e < n * k; e++) if (ranks[e] > k) penalty += ranks[e] - k;
  return 1 - (penalty * 2) / (n * k * (2 * n - 3 * k - 1));
}
