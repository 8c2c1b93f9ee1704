/**
 * How well a clustering matches the true classes, and how compact it is:
 *
 * - clusterAccuracy: the best one-to-one matching of clusters to classes (Hungarian algorithm),
 *   then the fraction of points whose cluster maps to their class (the "ACC" of DEC and others).
 * - normalizedMutualInfo: MI / mean(H(classes), H(clusters)) (sklearn's default, "arithmetic").
 * - adjustedRandIndex: pair-counting agreement corrected for chance (sklearn's formula).
 * - silhouetteScore: mean of (b − a) / max(a, b) over points, exact or on a seeded sample.
 * - contingencyTable, clusterMembers (typical and atypical members of each cluster).
 *
 * Labels and assignments are any integer arrays (Uint8Array, Int32Array, number[]); their values
 * need not be 0..k-1.
 */
import { createRng, permutation } from "../random";
import { checkPoints, LatentInputError } from "./check";
import { forEachDistanceBlock } from "./distances";

export interface ContingencyTable {
  /** The distinct labels, ascending: row r of `counts` is classes[r]. */
  classes: number[];
  /** The distinct cluster ids, ascending: column c of `counts` is clusters[c]. */
  clusters: number[];
  /** counts[r][c]: points of class classes[r] in cluster clusters[c]. */
  counts: number[][];
  /** Number of points. */
  n: number;
}

function checkPair(labels: ArrayLike<number>, assignments: ArrayLike<number>, what: string): void {
  if (labels.length !== assignments.length) {
    throw new LatentInputError(
      `${what}: ${labels.length} labels but ${assignments.length} cluster assignments: pass one of each per point.`,
    );
  }
  if (labels.length === 0) {
    throw new LatentInputError(`${what}: no points (empty labels): pass at least one point.`);
  }
  for (const [name, values] of [
    ["label", labels],
    ["assignment", assignments],
  ] as const) {
    for (let i = 0; i < values.length; i++) {
      if (!Number.isInteger(values[i])) {
        throw new LatentInputError(
          `${what}: ${name} ${i} is ${values[i]}: labels and cluster assignments must be integers.`,
        );
      }
    }
  }
}

/** Distinct values ascending, and each point's index into them. */
function encode(values: ArrayLike<number>): { distinct: number[]; codes: Int32Array } {
  const distinct = [...new Set(Array.from(values))].sort((a, b) => a - b);
  const index = new Map(distinct.map((v, i) => [v, i]));
  const codes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) codes[i] = index.get(values[i]) as number;
  return { distinct, codes };
}

/** Counts of (class, cluster) pairs. */
export function contingencyTable(
  labels: ArrayLike<number>,
  assignments: ArrayLike<number>,
): ContingencyTable {
  checkPair(labels, assignments, "contingencyTable");
  const rows = encode(labels);
  const cols = encode(assignments);
  const counts = rows.distinct.map(() => new Array<number>(cols.distinct.length).fill(0));
  for (let i = 0; i < labels.length; i++) counts[rows.codes[i]][cols.codes[i]]++;
  return { classes: rows.distinct, clusters: cols.distinct, counts, n: labels.length };
}

/**
 * Minimum-cost assignment of rows to columns (Hungarian algorithm with potentials, O(r²·c)) for
 * an r × c cost matrix with r ≤ c. Returns, for each row, its column. Costs must be finite.
 */
export function hungarian(cost: readonly (readonly number[])[]): number[] {
  const r = cost.length;
  if (r === 0) return [];
  const c = cost[0].length;
  if (c < r || cost.some((row) => row.length !== c || row.some((v) => !Number.isFinite(v)))) {
    throw new LatentInputError(
      `hungarian: needs a rectangular matrix of finite costs with no more rows than columns (got ${r} rows of ${cost.map((row) => row.length).join("/")}): transpose it or pad columns.`,
    );
  }
  // 1-based arrays as in the classic formulation; column 0 is a virtual start.
  const u = new Float64Array(r + 1);
  const v = new Float64Array(c + 1);
  const matchedRow = new Int32Array(c + 1); // column j is matched to row matchedRow[j] (0 = none)
  const way = new Int32Array(c + 1);
  for (let i = 1; i <= r; i++) {
    matchedRow[0] = i;
    let j0 = 0;
    const minv = new Float64Array(c + 1).fill(Infinity);
    const used = new Uint8Array(c + 1);
    do {
      used[j0] = 1;
      const i0 = matchedRow[j0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= c; j++) {
        if (used[j]) continue;
        const cur = cost[i0 - 1][j - 1] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= c; j++) {
        if (used[j]) {
          u[matchedRow[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (matchedRow[j0] !== 0);
    do {
      const j1 = way[j0];
      matchedRow[j0] = matchedRow[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const result = new Array<number>(r).fill(-1);
  for (let j = 1; j <= c; j++) if (matchedRow[j] !== 0) result[matchedRow[j] - 1] = j - 1;
  return result;
}

export interface ClusterAccuracy {
  /** Fraction of points whose cluster is matched to their class, in [0, 1]. */
  accuracy: number;
  /** Cluster id → the class it is matched to. With more clusters than classes, the extra clusters are absent (their points count as errors). */
  mapping: Map<number, number>;
  /** The class each point is predicted to have through the mapping (-1: its cluster is unmatched). */
  predicted: Int32Array;
  /** Points counted correct. */
  correct: number;
}

/**
 * Clustering accuracy: the one-to-one matching of clusters to classes that maximises the number
 * of points whose cluster matches their class, and that number over n. Permuting the cluster ids
 * does not change it; a single cluster gets the share of the largest class.
 */
export function clusterAccuracy(
  labels: ArrayLike<number>,
  assignments: ArrayLike<number>,
): ClusterAccuracy {
  const table = contingencyTable(labels, assignments);
  const { classes, clusters, counts, n } = table;
  // Rows = the smaller side, so the Hungarian matrix has r ≤ c; maximise counts = minimise −counts.
  const clustersAsRows = clusters.length <= classes.length;
  const cost = clustersAsRows
    ? clusters.map((_, c) => classes.map((_, r) => -counts[r][c]))
    : classes.map((_, r) => clusters.map((_, c) => -counts[r][c]));
  const match = hungarian(cost);
  const mapping = new Map<number, number>();
  let correct = 0;
  match.forEach((col, row) => {
    const cluster = clustersAsRows ? row : col;
    const cls = clustersAsRows ? col : row;
    mapping.set(clusters[cluster], classes[cls]);
    correct += counts[cls][cluster];
  });
  const predicted = new Int32Array(n);
  for (let i = 0; i < n; i++) predicted[i] = mapping.get(assignments[i]) ?? -1;
  return { accuracy: correct / n, mapping, predicted, correct };
}

function entropy(counts: number[], n: number): number {
  let h = 0;
  for (const count of counts) if (count > 0) h -= (count / n) * Math.log(count / n);
  return h;
}

export type NmiAverage = "arithmetic" | "geometric" | "min" | "max";

export interface NmiOptions {
  /** Normaliser of MI: the arithmetic (default, sklearn's), geometric mean, min or max of the two entropies. */
  average?: NmiAverage;
}

/**
 * Normalised mutual information between classes and clusters, in [0, 1] (natural log; the base
 * cancels). `average` picks the normaliser of MI: the arithmetic mean of the two entropies
 * (default, as sklearn), their geometric mean, min or max. As in sklearn: 1 when both sides have
 * a single group (or both put every point alone), 0 when MI is 0 (e.g. one side has one group).
 */
export function normalizedMutualInfo(
  labels: ArrayLike<number>,
  assignments: ArrayLike<number>,
  options: NmiOptions = {},
): number {
  const { classes, clusters, counts, n } = contingencyTable(labels, assignments);
  if (classes.length === clusters.length && (classes.length === 1 || classes.length === n)) {
    return 1;
  }
  const rowSums = counts.map((row) => row.reduce((a, b) => a + b, 0));
  const colSums = clusters.map((_, c) => counts.reduce((a, row) => a + row[c], 0));
  let mi = 0;
  for (let r = 0; r < classes.length; r++) {
    for (let c = 0; c < clusters.length; c++) {
      const nij = counts[r][c];
      if (nij === 0) continue;
      mi += (nij / n) * Math.log((n * nij) / (rowSums[r] * colSums[c]));
    }
  }
  mi = Math.max(0, mi);
  if (mi === 0) return 0;
  const hTrue = entropy(rowSums, n);
  const hPred = entropy(colSums, n);
  const average = options.average ?? "arithmetic";
  const normaliser =
    average === "arithmetic"
      ? (hTrue + hPred) / 2
      : average === "geometric"
        ? Math.sqrt(hTrue * hPred)
        : average === "min"
          ? Math.min(hTrue, hPred)
          : average === "max"
            ? Math.max(hTrue, hPred)
            : NaN;
  if (Number.isNaN(normaliser)) {
    throw new LatentInputError(
      `normalizedMutualInfo: average "${String(average)}" is unknown: use arithmetic, geometric, min or max.`,
    );
  }
  return Math.min(1, mi / Math.max(normaliser, Number.EPSILON));
}

/**
 * Adjusted Rand index: agreement of the two partitions over all pairs of points, 0 for chance,
 * 1 for identical partitions (up to renaming), negative for worse than chance. Same special
 * cases as sklearn (identical trivial partitions give 1).
 */
export function adjustedRandIndex(
  labels: ArrayLike<number>,
  assignments: ArrayLike<number>,
): number {
  const { counts, n } = contingencyTable(labels, assignments);
  // Pair confusion matrix (counts of ordered pairs, as sklearn's pair_confusion_matrix).
  let sumSquares = 0;
  const rowSums = counts.map((row) => row.reduce((a, b) => a + b, 0));
  const colSums = counts[0].map((_, c) => counts.reduce((a, row) => a + row[c], 0));
  for (const row of counts) for (const v of row) sumSquares += v * v;
  const rowSq = rowSums.reduce((a, b) => a + b * b, 0);
  const colSq = colSums.reduce((a, b) => a + b * b, 0);
  const tp = sumSquares - n;
  const fp = colSq - sumSquares; // same cluster, different class
  const fn = rowSq - sumSquares; // same class, different cluster
  const tn = n * n - fp - fn - sumSquares;
  if (fn === 0 && fp === 0) return 1;
  return (2 * (tp * tn - fn * fp)) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
}

export interface SilhouetteOptions {
  /**
   * Score only this many points, chosen at random without replacement (each still compared with
   * all n points, so the estimate is unbiased, unlike sklearn's sample_size which also drops
   * the others from the comparison). Default: every point (exact; n²·dim/2 operations:
   * 10,000 × 64 takes a few seconds in JavaScript, 10,000 × 784 about a minute; the native
   * engine computes the full score's dot products in float64 MatMul blocks, several times faster).
   */
  sampleSize?: number;
  /** Seed of the sample (default 0; unused without sampleSize). */
  seed?: number;
}

/**
 * Silhouette value of each point of `subset` (default: all points): (b − a) / max(a, b), a = mean
 * distance to the other members of its cluster, b = smallest mean distance to another cluster;
 * 0 for a point alone in its cluster (as sklearn). Euclidean distance.
 */
export function silhouetteSamples(
  points: Float32Array,
  n: number,
  dim: number,
  assignments: ArrayLike<number>,
  subset?: ArrayLike<number>,
): Float64Array {
  checkPoints(points, n, dim);
  if (assignments.length !== n) {
    throw new LatentInputError(
      `silhouette: ${assignments.length} assignments for ${n} points: pass one cluster id per point.`,
    );
  }
  const { distinct, codes } = encode(assignments);
  const k = distinct.length;
  if (k < 2 || k > n - 1) {
    throw new LatentInputError(
      `silhouette: ${k} clusters among ${n} points: the silhouette needs between 2 and n − 1 clusters.`,
    );
  }
  const sizes = new Float64Array(k);
  for (let i = 0; i < n; i++) sizes[codes[i]]++;
  const rows = subset ? Int32Array.from(subset) : Int32Array.from({ length: n }, (_, i) => i);
  const m = rows.length;
  // sums[q·k + c]: summed distance from scored point q to all points of cluster c. Scoring every
  // point, each pair is computed once and feeds both; otherwise each scored row meets all n.
  const sums = new Float64Array(m * k);
  const everyPoint = subset === undefined;
  // Scoring every point: the upper triangle, from the accelerator's Gram blocks when one is
  // registered (‖a − b‖ = √(‖a‖² + ‖b‖² − 2 a·b), as sklearn's euclidean_distances computes it),
  // else from direct differences. A subset: each scored row against all n, direct differences.
  forEachDistanceBlock(
    points,
    n,
    dim,
    (q0, q1, j0, j1, block) => {
      const width = j1 - j0;
      for (let q = q0; q < q1; q++) {
        const row = (q - q0) * width - j0;
        const out = q * k;
        const own = codes[rows[q]];
        for (let j = everyPoint ? Math.max(j0, q + 1) : j0; j < j1; j++) {
          const distance = Math.sqrt(Math.max(0, block[row + j]));
          sums[out + codes[j]] += distance;
          if (everyPoint) sums[j * k + own] += distance;
        }
      }
    },
    everyPoint
      ? { arithmetic: "difference", accelerate: true }
      : { rows, arithmetic: "difference" },
  );
  const values = new Float64Array(m);
  for (let q = 0; q < m; q++) {
    const own = codes[rows[q]];
    if (sizes[own] <= 1) continue;
    const a = sums[q * k + own] / (sizes[own] - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own) b = Math.min(b, sums[q * k + c] / sizes[c]);
    const denominator = Math.max(a, b);
    values[q] = denominator > 0 ? (b - a) / denominator : 0;
  }
  return values;
}

/** Mean silhouette (−1 … 1; higher: tighter, better separated clusters). See SilhouetteOptions. */
export function silhouetteScore(
  points: Float32Array,
  n: number,
  dim: number,
  assignments: ArrayLike<number>,
  options: SilhouetteOptions = {},
): number {
  let subset: Uint32Array | undefined;
  if (options.sampleSize !== undefined) {
    const size = options.sampleSize;
    if (!Number.isInteger(size) || size < 1) {
      throw new LatentInputError(
        `silhouetteScore: sampleSize = ${size} must be a positive integer (or leave it out for the exact score).`,
      );
    }
    if (size < n) subset = permutation(n, createRng(options.seed ?? 0)).subarray(0, size);
  }
  const values = silhouetteSamples(points, n, dim, assignments, subset);
  let total = 0;
  for (const v of values) total += v;
  return total / values.length;
}

export interface ClusterMembers {
  /** The cluster id (index into the centroids). */
  cluster: number;
  /** Number of points in it. */
  size: number;
  /** Up to `count` members closest to the centroid, closest first. */
  typical: Int32Array;
  /** Up to `count` members farthest from the centroid, farthest first. */
  atypical: Int32Array;
  /** Distances (Euclidean) of `typical`, then of `atypical`, same order. */
  typicalDistances: Float64Array;
  atypicalDistances: Float64Array;
}

export interface ClusterMembersOptions {
  /** Typical and atypical members listed per cluster (default 8; typically 4-16, a gallery row). */
  count?: number;
}

/**
 * For each cluster 0..k-1 (k = centroids.length / dim), its most typical members (closest to the
 * centroid) and most atypical ones (farthest). Ties go to the smaller index. Empty clusters get
 * empty lists.
 */
export function clusterMembers(
  points: Float32Array,
  n: number,
  dim: number,
  assignments: ArrayLike<number>,
  centroids: ArrayLike<number>,
  options: ClusterMembersOptions = {},
): ClusterMembers[] {
  checkPoints(points, n, dim);
  const count = options.count ?? 8;
  if (!Number.isInteger(count) || count < 1) {
    throw new LatentInputError(`clusterMembers: count = ${count} must be a positive integer.`);
  }
  if (centroids.length % dim !== 0 || centroids.length === 0) {
    throw new LatentInputError(
      `clusterMembers: ${centroids.length} centroid values is not a multiple of dim = ${dim}: pass k × dim values.`,
    );
  }
  const k = centroids.length / dim;
  if (assignments.length !== n) {
    throw new LatentInputError(
      `clusterMembers: ${assignments.length} assignments for ${n} points: pass one cluster id per point.`,
    );
  }
  const members: { index: number; distance: number }[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < n; i++) {
    const c = assignments[i];
    if (!Number.isInteger(c) || c < 0 || c >= k) {
      throw new LatentInputError(
        `clusterMembers: point ${i} is in cluster ${c} but there are ${k} centroids: assignments must be 0..${k - 1}.`,
      );
    }
    let s = 0;
    for (let t = 0; t < dim; t++) s += (points[i * dim + t] - centroids[c * dim + t]) ** 2;
    members[c].push({ index: i, distance: Math.sqrt(s) });
  }
  return members.map((list, cluster) => {
    list.sort((a, b) => a.distance - b.distance || a.index - b.index);
    const typical = list.slice(0, count);
    const atypical = list
      .slice()
      .sort((a, b) => b.distance - a.distance || a.index - b.index)
      .slice(0, count);
    return {
      cluster,
      size: list.length,
      typical: Int32Array.from(typical, (m) => m.index),
      atypical: Int32Array.from(atypical, (m) => m.index),
      typicalDistances: Float64Array.from(typical, (m) => m.distance),
      atypicalDistances: Float64Array.from(atypical, (m) => m.distance),
    };
  });
}
