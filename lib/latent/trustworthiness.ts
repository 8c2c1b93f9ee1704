/**
 * How well an embedding keeps neighbourhoods.
 *
 * trustworthiness: as sklearn.manifold.trustworthiness (Venna & Kaski 2001). Each point's k
 * nearest neighbours in the embedding that are not among its k nearest in the original space are
 * penalised by how far down the original-space ranking they sit: T = 1 − 2/(n k (2n − 3k − 1)) ·
 * Σ_i Σ_{j ∈ N_k^low(i)} max(0, r(i, j) − k), where r(i, j) is j's rank (1 = nearest) among
 * i's neighbours in the original space. 1 = every embedding neighbour is a true neighbour.
 *
 * Memory stays O(n·k + block·n): the original-space ranks are counted from one block of rows of
 * distances at a time, never from an n × n matrix (n = 10,000 would need 800 MB in float64).
 */
import { checkNeighborCount, checkPoints, LatentInputError } from "./check";
import { nearestNeighbors } from "./neighbors";

/** Rows of original-space distances held at once (64 × 10,000 float64 = 5 MB). */
const BLOCK_ROWS = 64;

/**
 * Squared Euclidean distances from rows i0..i1 to every row, into out ((i1 − i0) × n), via
 * ‖a‖² + ‖b‖² − 2 a·b in float64.
 */
function distanceRows(
  points: Float32Array,
  norms: Float64Array,
  n: number,
  dim: number,
  i0: number,
  i1: number,
  out: Float64Array,
): void {
  for (let i = i0; i < i1; i++) {
    const a = i * dim;
    const row = (i - i0) * n;
    const ni = norms[i];
    let j = 0;
    for (; j + 3 < n; j += 4) {
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
      out[row + j] = ni + norms[j] - 2 * s0;
      out[row + j + 1] = ni + norms[j + 1] - 2 * s1;
      out[row + j + 2] = ni + norms[j + 2] - 2 * s2;
      out[row + j + 3] = ni + norms[j + 3] - 2 * s3;
    }
    for (; j < n; j++) {
      const b = j * dim;
      let s = 0;
      for (let t = 0; t < dim; t++) s += points[a + t] * points[b + t];
      out[row + j] = ni + norms[j] - 2 * s;
    }
  }
}

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
    for (let t = 0; t < highDim; t++) s += high[i * highDim + t] ** 2;
    norms[i] = s;
  }
  const rows = new Float64Array(BLOCK_ROWS * n);
  const targets = new Float64Array(k);
  const targetIndex = new Int32Array(k);
  const ranks = new Int32Array(k);
  let penalty = 0;
  for (let i0 = 0; i0 < n; i0 += BLOCK_ROWS) {
    const i1 = Math.min(n, i0 + BLOCK_ROWS);
    distanceRows(high, norms, n, highDim, i0, i1, rows);
    for (let i = i0; i < i1; i++) {
      const row = (i - i0) * n;
      let maxTarget = -Infinity;
      for (let r = 0; r < k; r++) {
        const j = lowNeighbors[i * k + r];
        targetIndex[r] = j;
        targets[r] = rows[row + j];
        if (targets[r] > maxTarget) maxTarget = targets[r];
        ranks[r] = 1;
      }
      // rank(j) = 1 + #{m ≠ i : d(i,m) < d(i,j), or equal and m < j}. Only points no farther
      // than the farthest target can count, and few are.
      for (let m = 0; m < n; m++) {
        const d = rows[row + m];
        if (d > maxTarget || m === i) continue;
        for (let r = 0; r < k; r++) {
          const t = targets[r];
          if (d < t || (d === t && m < targetIndex[r])) ranks[r]++;
        }
      }
      for (let r = 0; r < k; r++) if (ranks[r] > k) penalty += ranks[r] - k;
    }
  }
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
