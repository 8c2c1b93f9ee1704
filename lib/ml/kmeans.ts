/**
 * k-means: greedy k-means++ seeding (as sklearn: several candidates per step, the one that lowers
 * the potential most wins), then Lloyd iterations accelerated with Elkan's bounds (an upper
 * bound to the own centroid, a lower bound to each other one: most points skip the distance
 * computations after the first few iterations, with exactly Lloyd's result). Several
 * restarts, each with its own seed derived from `seed`; the lowest inertia wins. Deterministic.
 *
 * Arithmetic is float64 (centroids and sums), points are read as float32.
 */
import { createRng, deriveSeed, type Rng } from "../random";
import { checkPoints, LatentInputError } from "./check";
import { differenceSquared } from "./distances";

export interface KmeansOptions {
  /** Number of clusters, 1 ≤ k ≤ n. 10 for the ten digits. */
  k: number;
  /**
   * Independent seedings; the result with the lowest inertia is kept. Default 10 (sklearn's
   * classic value); 1-20.
   */
  restarts?: number;
  /** Seed of the whole run: restart r uses deriveSeed(seed, r). */
  seed: number;
  /** Lloyd iterations per restart at most. Default 300 (sklearn); most runs settle in 10-100. */
  maxIterations?: number;
  /**
   * Stop when the squared centroid shift summed over clusters is at most tolerance × the mean
   * per-dimension variance of the data (sklearn's `tol`). Default 1e-4; 0 runs until no point
   * changes cluster.
   */
  tolerance?: number;
  /** Candidates tried per k-means++ step. Default 2 + ⌊ln k⌋ (sklearn). 1 = plain k-means++. */
  localTrials?: number;
  /**
   * Keep the inertia after every iteration of the winning restart (costs one pass per
   * iteration). Default false.
   */
  history?: boolean;
}

export interface KmeansResult {
  /** k × dim row-major centroids (means of their points). */
  centroids: Float32Array;
  /** Cluster index of each point, 0..k-1. */
  assignments: Int32Array;
  /** Sum of squared distances of the points to their centroids. */
  inertia: number;
  /** Lloyd iterations the winning restart ran. */
  iterations: number;
  /** Index of the winning restart. */
  restart: number;
  /** Final inertia of every restart (the spread says how much restarts matter). */
  restartInertias: number[];
  /** With `history`: the inertia after each iteration of the winning restart (non-increasing). */
  inertiaHistory?: number[];
  /** Number of points in each cluster. */
  sizes: Int32Array;
}

/**
 * Cluster n points (row-major n × dim) into k groups. Throws a LatentInputError when k > n or an
 * option is out of range.
 */
export function kmeans(
  points: Float32Array,
  n: number,
  dim: number,
  options: KmeansOptions,
): KmeansResult {
  checkPoints(points, n, dim);
  const { k, seed } = options;
  const restarts = options.restarts ?? 10;
  const maxIterations = options.maxIterations ?? 300;
  const tolerance = options.tolerance ?? 1e-4;
  if (!Number.isInteger(k) || k < 1 || k > n) {
    throw new LatentInputError(
      `kmeans: k = ${k} clusters is not possible with ${n} points: use an integer between 1 and ${n}.`,
    );
  }
  const localTrials = options.localTrials ?? 2 + Math.floor(Math.log(k));
  checkPositiveInteger("restarts", restarts);
  checkPositiveInteger("maxIterations", maxIterations);
  checkPositiveInteger("localTrials", localTrials);
  if (!(tolerance >= 0) || !Number.isFinite(tolerance)) {
    throw new LatentInputError(
      `kmeans: tolerance = ${tolerance} must be a finite number ≥ 0 (1e-4 is the usual value).`,
    );
  }
  if (!Number.isFinite(seed)) {
    throw new LatentInputError(`kmeans: seed = ${seed} must be a finite number.`);
  }

  const shiftTolerance = tolerance * meanVariance(points, n, dim);

  let best: RestartResult | null = null;
  let bestIndex = 0;
  const restartInertias: number[] = [];
  for (let r = 0; r < restarts; r++) {
    const rng = createRng(deriveSeed(seed, r));
    const initial = kmeansPlusPlus(points, n, dim, k, localTrials, rng);
    const result = lloyd(
      points,
      n,
      dim,
      k,
      initial,
      maxIterations,
      shiftTolerance,
      !!options.history,
    );
    restartInertias.push(result.inertia);
    if (best === null || result.inertia < best.inertia) {
      best = result;
      bestIndex = r;
    }
  }
  const winner = best as RestartResult;
  const sizes = new Int32Array(k);
  for (let i = 0; i < n; i++) sizes[winner.assignments[i]]++;
  return {
    centroids: Float32Array.from(winner.centroids),
    assignments: winner.assignments,
    inertia: winner.inertia,
    iterations: winner.iterations,
    restart: bestIndex,
    restartInertias,
    ...(options.history ? { inertiaHistory: winner.history } : {}),
    sizes,
  };
}

function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new LatentInputError(`kmeans: ${name} = ${value} must be a positive integer.`);
  }
}

function meanVariance(points: Float32Array, n: number, dim: number): number {
  const mean = new Float64Array(dim);
  const meanSq = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    const base = i * dim;
    for (let t = 0; t < dim; t++) {
      const v = points[base + t];
      mean[t] += v;
      meanSq[t] += v * v;
    }
  }
  let total = 0;
  for (let t = 0; t < dim; t++) total += Math.max(0, meanSq[t] / n - (mean[t] / n) ** 2);
  return total / dim;
}

/** Squared Euclidean distance between point i and a float64 centroid row. */
function pointToCentroid(
  points: Float32Array,
  base: number,
  centroids: Float64Array,
  cbase: number,
  dim: number,
): number {
  let s = 0;
  for (let t = 0; t < dim; t++) {
    const d = points[base + t] - centroids[cbase + t];
    s += d * d;
  }
  return s;
}

/**
 * Greedy k-means++: the first centre uniformly at random, every next one by sampling
 * `trials` candidates with probability ∝ squared distance to the nearest chosen centre and
 * keeping the candidate that lowers the total of those squared distances most.
 */
function kmeansPlusPlus(
  points: Float32Array,
  n: number,
  dim: number,
  k: number,
  trials: number,
  rng: Rng,
): Float64Array {
  const centroids = new Float64Array(k * dim);
  const first = rng.int(n);
  for (let t = 0; t < dim; t++) centroids[t] = points[first * dim + t];
  const closest = new Float64Array(n);
  for (let i = 0; i < n; i++) closest[i] = differenceSquared(points, i * dim, first * dim, dim);
  const cumulative = new Float64Array(n);
  const candidateDist = new Float64Array(n);
  const bestDist = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    let running = 0;
    for (let i = 0; i < n; i++) {
      running += closest[i];
      cumulative[i] = running;
    }
    let bestCandidate = -1;
    let bestPotential = Infinity;
    for (let trial = 0; trial < trials; trial++) {
      // All points at distance 0 from a centre (duplicates): fall back to a uniform choice.
      const candidate =
        running > 0 ? searchCumulative(cumulative, rng.next() * running) : rng.int(n);
      const cbase = candidate * dim;
      let candidatePotential = 0;
      for (let i = 0; i < n; i++) {
        const d = Math.min(closest[i], differenceSquared(points, i * dim, cbase, dim));
        candidateDist[i] = d;
        candidatePotential += d;
      }
      if (candidatePotential < bestPotential) {
        bestPotential = candidatePotential;
        bestCandidate = candidate;
        bestDist.set(candidateDist);
      }
    }
    closest.set(bestDist);
    for (let t = 0; t < dim; t++) centroids[c * dim + t] = points[bestCandidate * dim + t];
  }
  return centroids;
}

/** The first index whose cumulative weight exceeds `target` (binary search). */
function searchCumulative(cumulative: Float64Array, target: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid] > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

interface RestartResult {
  centroids: Float64Array;
  assignments: Int32Array;
  inertia: number;
  iterations: number;
  history: number[];
}

/**
 * Lloyd iterations from `centroids` (updated in place), with Elkan's bounds: per point an upper
 * bound on the distance to its own centroid and a lower bound on the distance to every other
 * one; the triangle inequality then skips most distance computations (the assignments are
 * exactly Lloyd's).
 */
function lloyd(
  points: Float32Array,
  n: number,
  dim: number,
  k: number,
  centroids: Float64Array,
  maxIterations: number,
  shiftTolerance: number,
  keepHistory: boolean,
): RestartResult {
  const assignments = new Int32Array(n);
  const upper = new Float64Array(n);
  const lower = new Float64Array(n * k);
  const stale = new Uint8Array(n); // 1: upper may be loose (centroids moved since it was exact)
  const sums = new Float64Array(k * dim);
  const counts = new Float64Array(k);
  const halfBetween = new Float64Array(k * k); // half the distance between two centroids
  const halfNearest = new Float64Array(k); // half the distance to the nearest other centroid
  const moved = new Float64Array(k);
  const previous = new Float64Array(k * dim);
  const history: number[] = [];

  for (let i = 0; i < n; i++) {
    const base = i * dim;
    let best = Infinity;
    let a = 0;
    for (let c = 0; c < k; c++) {
      const d = Math.sqrt(pointToCentroid(points, base, centroids, c * dim, dim));
      lower[i * k + c] = d;
      if (d < best) {
        best = d;
        a = c;
      }
    }
    assignments[i] = a;
    upper[i] = best;
    counts[a]++;
    for (let t = 0; t < dim; t++) sums[a * dim + t] += points[base + t];
  }

  let iterations = 0;
  for (;;) {
    // M-step: centroids from the sums; an emptied cluster takes the point farthest from its centroid.
    previous.set(centroids);
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) relocateToFarthest(c);
    }
    for (let c = 0; c < k; c++) {
      const inv = 1 / counts[c];
      for (let t = 0; t < dim; t++) centroids[c * dim + t] = sums[c * dim + t] * inv;
    }
    iterations++;
    let shift = 0;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let t = 0; t < dim; t++) {
        const d = centroids[c * dim + t] - previous[c * dim + t];
        s += d * d;
      }
      shift += s;
      moved[c] = Math.sqrt(s);
    }
    if (keepHistory) history.push(inertiaOf(points, n, dim, centroids, assignments));
    for (let i = 0; i < n; i++) {
      const a = assignments[i];
      if (moved[a] > 0) {
        upper[i] += moved[a];
        stale[i] = 1;
      }
      const row = i * k;
      for (let c = 0; c < k; c++) {
        const l = lower[row + c] - moved[c];
        lower[row + c] = l > 0 ? l : 0;
      }
    }
    const converged = shift <= shiftTolerance;

    // E-step with Elkan's tests.
    for (let c = 0; c < k; c++) {
      halfNearest[c] = Infinity;
      for (let o = 0; o < k; o++) {
        if (o === c) continue;
        let s = 0;
        for (let t = 0; t < dim; t++) {
          const d = centroids[c * dim + t] - centroids[o * dim + t];
          s += d * d;
        }
        const half = Math.sqrt(s) / 2;
        halfBetween[c * k + o] = half;
        if (half < halfNearest[c]) halfNearest[c] = half;
      }
    }
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const from = assignments[i];
      let a = from;
      let u = upper[i];
      if (u <= halfNearest[a]) continue;
      const base = i * dim;
      const row = i * k;
      for (let c = 0; c < k; c++) {
        if (c === a || u <= lower[row + c] || u <= halfBetween[a * k + c]) continue;
        if (stale[i]) {
          u = Math.sqrt(pointToCentroid(points, base, centroids, a * dim, dim));
          lower[row + a] = u;
          stale[i] = 0;
          if (u <= lower[row + c] || u <= halfBetween[a * k + c]) continue;
        }
        const d = Math.sqrt(pointToCentroid(points, base, centroids, c * dim, dim));
        lower[row + c] = d;
        if (d < u) {
          a = c;
          u = d;
        }
      }
      upper[i] = u;
      if (a !== from) {
        assignments[i] = a;
        changed++;
        counts[from]--;
        counts[a]++;
        for (let t = 0; t < dim; t++) {
          const v = points[base + t];
          sums[from * dim + t] -= v;
          sums[a * dim + t] += v;
        }
      }
    }
    if (changed === 0 || converged || iterations >= maxIterations) break;
  }
  // As in sklearn, the assignments come from a last E-step: each point is with its nearest
  // centroid. When that step moved no point (the usual stop) the centroids are also exactly the
  // means of their points; after a stop on tolerance or maxIterations they may lag by one step.
  const inertia = inertiaOf(points, n, dim, centroids, assignments);
  return { centroids, assignments, inertia, iterations, history };

  function relocateToFarthest(empty: number): void {
    let far = -1;
    let farDist = -1;
    for (let i = 0; i < n; i++) {
      if (counts[assignments[i]] <= 1) continue;
      const d = pointToCentroid(points, i * dim, previous, assignments[i] * dim, dim);
      if (d > farDist) {
        farDist = d;
        far = i;
      }
    }
    const from = assignments[far];
    counts[from]--;
    counts[empty]++;
    const base = far * dim;
    for (let t = 0; t < dim; t++) {
      sums[from * dim + t] -= points[base + t];
      sums[empty * dim + t] += points[base + t];
    }
    assignments[far] = empty;
    // The point's bounds no longer describe it: make every test fail so it gets exact distances.
    upper[far] = Infinity;
    stale[far] = 1;
    lower.fill(0, far * k, far * k + k);
  }
}

function inertiaOf(
  points: Float32Array,
  n: number,
  dim: number,
  centroids: Float64Array,
  assignments: Int32Array,
): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += pointToCentroid(points, i * dim, centroids, assignments[i] * dim, dim);
  }
  return total;
}
