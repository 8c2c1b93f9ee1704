/**
 * How well an embedding keeps neighbourhoods.
 *
 * trustworthiness: as sklearn.manifold.trustworthiness (Venna & Kaski 2001). Each point's k
 * nearest neighbours in the embedding that are not among its k nearest in the original space are
 * penalised by how far down the original-space ranking they sit: T = 1 − 2/(n k (2n − 3k − 1)) ·
 * Σ_i Σ_{j ∈ N_k^low(i)} max(0, r(i, j) − k), where r(i, j) is j's rank (1 = nearest) among
 * i's neighbours in the original space. 1 = every embedding neighbour is a true neighbour.
 *
 * Memory stays O(n·k): the original-space ranks are counted pair by pair over blocks (each
 * pair once, for both points), never from an n × n matrix (n = 10,000 would need 800 MB in
 * float64).
 */
import { checkNeighborCount, checkPoints, LatentInputError } from "./check";
import { nearestNeighbors } from "./neighbors";

/** Rows per block of the pairwise loop (64 rows of 784 float32 = 200 KB, inside L2). */
const BLOCK_ROWS = 64;

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

  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let t = 0; t < highDim; t++) s += high[i * highDim + t] * high[i * highDim + t];
    norms[i] = s;
  }
  // The squared original-space distance to each embedding neighbour (same arithmetic as the
  // block loop below, so equal distances compare equal).
  const dot = (a: number, b: number): number => {
    let s = 0;
    for (let t = 0; t < highDim; t++) s += high[a + t] * high[b + t];
    return s;
  };
  const targets = new Float64Array(n * k);
  const farthest = new Float64Array(n);
  const ranks = new Int32Array(n * k).fill(1);
  for (let i = 0; i < n; i++) {
    farthest[i] = -Infinity;
    for (let r = 0; r < k; r++) {
      const j = lowNeighbors[i * k + r];
      const d = norms[i] + norms[j] - 2 * dot(i * highDim, j * highDim);
      targets[i * k + r] = d;
      if (d > farthest[i]) farthest[i] = d;
    }
  }
  // rank(i, j) = 1 + #{m ≠ i : d(i,m) < d(i,j), or equal and m < j}: each pair's distance is
  // computed once (upper triangle of blocks) and counted for both points. Only m no farther
  // than i's farthest target can count, and few are.
  const count = (i: number, m: number, d: number): void => {
    if (d > farthest[i]) return;
    const base = i * k;
    for (let r = 0; r < k; r++) {
      const t = targets[base + r];
      if (d < t || (d === t && m < lowNeighbors[base + r])) ranks[base + r]++;
    }
  };
  for (let i0 = 0; i0 < n; i0 += BLOCK_ROWS) {
    const i1 = Math.min(n, i0 + BLOCK_ROWS);
    for (let j0 = i0; j0 < n; j0 += BLOCK_ROWS) {
      const j1 = Math.min(n, j0 + BLOCK_ROWS);
      for (let i = i0; i < i1; i++) {
        const a = i * highDim;
        const ni = norms[i];
        let j = j0 === i0 ? i + 1 : j0;
        for (; j + 3 < j1; j += 4) {
          const b0 = j * highDim;
          const b1 = b0 + highDim;
          const b2 = b1 + highDim;
          const b3 = b2 + highDim;
          let s0 = 0;
          let s1 = 0;
          let s2 = 0;
          let s3 = 0;
          for (let t = 0; t < highDim; t++) {
            const x = high[a + t];
            s0 += x * high[b0 + t];
            s1 += x * high[b1 + t];
            s2 += x * high[b2 + t];
            s3 += x * high[b3 + t];
          }
          const d0 = ni + norms[j] - 2 * s0;
          const d1 = ni + norms[j + 1] - 2 * s1;
          const d2 = ni + norms[j + 2] - 2 * s2;
          const d3 = ni + norms[j + 3] - 2 * s3;
          count(i, j, d0);
          count(j, i, d0);
          count(i, j + 1, d1);
          count(j + 1, i, d1);
          count(i, j + 2, d2);
          count(j + 2, i, d2);
          count(i, j + 3, d3);
          count(j + 3, i, d3);
        }
        for (; j < j1; j++) {
          const d = ni + norms[j] - 2 * dot(a, j * highDim);
          count(i, j, d);
          count(j, i, d);
        }
      }
    }
  }
  let penalty = 0;
  for (let e = 0; e < n * k; e++) if (ranks[e] > k) penalty += ranks[e] - k;
  return 1 - (penalty * 2) / (n * k * (2 * n - 3 * k - 1));
}

/**
 * Leave-one-out k-nearest-neighbour classification accuracy of points (n × dim) with the given
 * labels: each point is given the majority label of its k nearest other points (a tie goes to the
 * smallest label, as sklearn's KNeighborsClassifier with uniform weights). In [0, 1].
 */
export function knnLabelAccuracy(
  points: Float32Array,
  n: number,
  dim: number,
  labels: ArrayLike<number>,
  k: number,
): number {
  checkPoints(points, n, dim);
  checkNeighborCount(k, n);
  if (labels.length !== n) {
    throw new LatentInputError(
      `knnLabelAccuracy got ${labels.length} labels for ${n} points: pass one label per point.`,
    );
  }
  let maxLabel = 0;
  for (let i = 0; i < n; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0) {
      throw new LatentInputError(
        `label ${i} is ${label}: labels must be non-negative integers (class indices).`,
      );
    }
    if (label > maxLabel) maxLabel = label;
  }
  const { indices } = nearestNeighbors(points, n, dim, k);
  const votes = new Int32Array(maxLabel + 1);
  let correct = 0;
  for (let i = 0; i < n; i++) {
    votes.fill(0);
    for (let r = 0; r < k; r++) votes[labels[indices[i * k + r]]]++;
    let best = 0;
    for (let c = 1; c <= maxLabel; c++) if (votes[c] > votes[best]) best = c;
    if (best === labels[i]) correct++;
  }
  return correct / n;
}
