/**
 * Barnes-Hut t-SNE (van der Maaten 2014), following sklearn.manifold.TSNE (method "barnes_hut"):
 *
 * 1. affinities: each point's 3·perplexity nearest neighbours (exact, lib/latent/neighbors), a
 *    Gaussian whose width is found by binary search so the conditional distribution has the
 *    requested perplexity, symmetrised P = (P + Pᵀ) / 2n (sparse, CSR);
 * 2. gradient descent on KL(P‖Q) with the Student-t kernel: attraction over the sparse P,
 *    repulsion approximated with a quadtree (a cell that looks small from a point, width/distance
 *    < θ, acts as one mass at its centre of mass);
 * 3. sklearn's optimiser: early exaggeration 12 for 250 iterations at momentum 0.5, then momentum
 *    0.8; delta-bar-delta gains (+0.2 / ×0.8, at least 0.01); learning rate "auto" =
 *    max(n / exaggeration / 4, 50); 1000 iterations in all.
 *
 * Everything lives in flat typed arrays (the quadtree too), so an iteration allocates nothing.
 */
import { createRng } from "../random";
import { checkPoints, LatentInputError } from "./check";
import { nearestNeighbors, type Neighbors } from "./neighbors";

/** Sparse symmetric joint probabilities P (CSR): row i holds columns[rowStart[i] .. rowStart[i+1]). */
export interface Affinities {
  n: number;
  rowStart: Int32Array;
  columns: Int32Array;
  /** p_ij; they sum to 1 over all (i, j). */
  values: Float64Array;
}

export interface TsneOptions {
  /** Effective number of neighbours each point's Gaussian covers (typ. 5–50; default 30). */
  perplexity?: number;
  /** Gradient-descent iterations in all, exaggeration phase included (default 1000). */
  iterations?: number;
  /** Barnes-Hut accuracy: 0 = exact repulsion (O(n²)), 0.5 default, larger is faster and rougher. */
  theta?: number;
  /** Seed of the initial layout. */
  seed: number;
  /**
   * Initial layout: "random" (N(0, 1e-4²), sklearn's "random"), or a given n × 2 array, e.g. the
   * first two principal components scaled to standard deviation 1e-4 (sklearn's "pca").
   */
  init?: "random" | Float32Array;
  /** Step size; "auto" (default) = max(n / earlyExaggeration / 4, 50) as sklearn ≥ 1.2. */
  learningRate?: number | "auto";
  /** Factor on P during the first iterations, so clusters form (default 12). */
  earlyExaggeration?: number;
  /** Iterations with exaggeration and momentum 0.5 (default 250). */
  exaggerationIterations?: number;
  /** Called every `progressEvery` iterations (and after the last) with the KL divergence. */
  onProgress?: (iteration: number, kl: number) => void;
  /** Iterations between progress reports (default 50). */
  progressEvery?: number;
  /** Precomputed neighbours of the input (e.g. shared with other analyses); at least 3·perplexity + 1 columns... or as many as n − 1. */
  neighbors?: { indices: Int32Array; distances: Float32Array; k: number };
}

export interface TsneTimings {
  /** Seconds spent finding the nearest neighbours. */
  neighborsSeconds: number;
  /** Seconds spent on the perplexity search and symmetrisation. */
  affinitiesSeconds: number;
  /** Seconds of gradient descent. */
  optimizeSeconds: number;
}

export interface TsneResult {
  /** n × 2 embedding, row-major. */
  embedding: Float32Array;
  /** KL(P‖Q) of the final layout (Barnes-Hut estimate of the normaliser). */
  kl: number;
  timings: TsneTimings;
}

const MAX_BINARY_SEARCH_STEPS = 100;
const ENTROPY_TOLERANCE = 1e-5;
const MIN_GAIN = 0.01;
const FLOAT32_TINY = 1.1754943508222875e-38;

function checkPerplexity(perplexity: number, n: number): void {
  if (!(perplexity > 0) || !Number.isFinite(perplexity) || perplexity >= n) {
    throw new LatentInputError(
      `perplexity ${perplexity} is not possible with ${n} points: it must be > 0 and below the number of points (typically 5–50).`,
    );
  }
}

/** How many neighbours sklearn uses for a perplexity: min(n − 1, ⌊3·perplexity + 1⌋). */
export function neighborCountForPerplexity(perplexity: number, n: number): number {
  return Math.min(n - 1, Math.floor(3 * perplexity + 1));
}

/**
 * Joint probabilities P from each point's k nearest neighbours: a Gaussian on squared distances
 * per point with its precision found by binary search so that the conditional distribution's
 * perplexity is `perplexity`, then P = (P_cond + P_condᵀ) / (2n).
 */
export function affinitiesFromNeighbors(
  neighbors: { indices: Int32Array; distances: Float32Array },
  n: number,
  k: number,
  perplexity: number,
): Affinities {
  checkPerplexity(perplexity, n);
  if (neighbors.indices.length !== n * k || neighbors.distances.length !== n * k) {
    throw new LatentInputError(
      `neighbour arrays hold ${neighbors.indices.length} entries, not n × k = ${n} × ${k}: pass nearestNeighbors(points, n, dim, k).`,
    );
  }
  const desiredEntropy = Math.log(perplexity);
  const conditional = new Float64Array(n * k);
  const sq = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const base = i * k;
    // Distances shifted by the smallest one: exp() cannot underflow for all neighbours at
    // once, and the normalised distribution is unchanged.
    const d0 = neighbors.distances[base] ** 2;
    for (let r = 0; r < k; r++) sq[r] = neighbors.distances[base + r] ** 2 - d0;
    let beta = 1;
    let betaMin = -Infinity;
    let betaMax = Infinity;
    for (let step = 0; step < MAX_BINARY_SEARCH_STEPS; step++) {
      let sum = 0;
      for (let r = 0; r < k; r++) {
        const p = Math.exp(-sq[r] * beta);
        conditional[base + r] = p;
        sum += p;
      }
      if (sum === 0) sum = 1e-8;
      let weighted = 0;
      for (let r = 0; r < k; r++) {
        conditional[base + r] /= sum;
        weighted += sq[r] * conditional[base + r];
      }
      const diff = Math.log(sum) + beta * weighted - desiredEntropy;
      if (Math.abs(diff) <= ENTROPY_TOLERANCE) break;
      if (diff > 0) {
        betaMin = beta;
        beta = betaMax === Infinity ? beta * 2 : (beta + betaMax) / 2;
      } else {
        betaMax = beta;
        beta = betaMin === -Infinity ? beta / 2 : (beta + betaMin) / 2;
      }
    }
  }

  // Symmetrise: row i gets its own k entries plus (i, j) for every j that has i as neighbour.
  const counts = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    counts[i] += k;
    for (let r = 0; r < k; r++) counts[neighbors.indices[i * k + r]]++;
  }
  const start = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) start[i + 1] = start[i] + counts[i];
  const fill = start.slice(0, n);
  const cols = new Int32Array(start[n]);
  const vals = new Float64Array(start[n]);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < k; r++) {
      const j = neighbors.indices[i * k + r];
      const p = conditional[i * k + r];
      cols[fill[i]] = j;
      vals[fill[i]++] = p;
      cols[fill[j]] = i;
      vals[fill[j]++] = p;
    }
  }
  // Sort each row by column and merge duplicates (pairs that are neighbours both ways).
  const rowStart = new Int32Array(n + 1);
  const columns = new Int32Array(start[n]);
  const values = new Float64Array(start[n]);
  const order: number[] = [];
  let out = 0;
  const scale = 1 / (2 * n);
  for (let i = 0; i < n; i++) {
    rowStart[i] = out;
    order.length = 0;
    for (let e = start[i]; e < start[i + 1]; e++) order.push(e);
    order.sort((a, b) => cols[a] - cols[b]);
    for (let e = 0; e < order.length; e++) {
      const col = cols[order[e]];
      if (out > rowStart[i] && columns[out - 1] === col) {
        values[out - 1] += vals[order[e]] * scale;
      } else {
        columns[out] = col;
        values[out++] = vals[order[e]] * scale;
      }
    }
  }
  rowStart[n] = out;
  return {
    n,
    rowStart,
    columns: columns.slice(0, out),
    values: values.slice(0, out),
  };
}

/**
 * A quadtree over 2-D points in flat arrays, rebuilt in place each iteration. Node 0 is the
 * root; an internal node's four children are consecutive from child[node]; a leaf holds one
 * point (or several at exactly the same place).
 */
class QuadTree {
  private capacity = 0;
  nodes = 0;
  centerX = new Float64Array(0);
  centerY = new Float64Array(0);
  /** Full width of the (square) cell, squared. */
  widthSq = new Float64Array(0);
  halfWidth = new Float64Array(0);
  mass = new Float64Array(0);
  /** Sums of coordinates while building; the centre of mass after finish(). */
  comX = new Float64Array(0);
  comY = new Float64Array(0);
  child = new Int32Array(0);
  point = new Int32Array(0);

  private ensure(size: number): void {
    if (size <= this.capacity) return;
    const capacity = Math.max(size, Math.ceil(this.capacity * 1.5), 64);
    const grow64 = (a: Float64Array) => {
      const b = new Float64Array(capacity);
      b.set(a);
      return b;
    };
    const grow32 = (a: Int32Array) => {
      const b = new Int32Array(capacity);
      b.set(a);
      return b;
    };
    this.centerX = grow64(this.centerX);
    this.centerY = grow64(this.centerY);
    this.widthSq = grow64(this.widthSq);
    this.halfWidth = grow64(this.halfWidth);
    this.mass = grow64(this.mass);
    this.comX = grow64(this.comX);
    this.comY = grow64(this.comY);
    this.child = grow32(this.child);
    this.point = grow32(this.point);
    this.capacity = capacity;
  }

  private newNode(cx: number, cy: number, half: number): number {
    const node = this.nodes++;
    this.centerX[node] = cx;
    this.centerY[node] = cy;
    this.halfWidth[node] = half;
    this.widthSq[node] = 4 * half * half;
    this.mass[node] = 0;
    this.comX[node] = 0;
    this.comY[node] = 0;
    this.child[node] = -1;
    this.point[node] = -1;
    return node;
  }

  build(y: Float64Array, n: number): void {
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (let i = 0; i < n; i++) {
      const px = y[2 * i];
      const py = y[2 * i + 1];
      if (px < minX) minX = px;
      if (px > maxX) maxX = px;
      if (py < minY) minY = py;
      if (py > maxY) maxY = py;
    }
    const half = Math.max(maxX - minX, maxY - minY, 1e-12) * 0.5 * (1 + 1e-6);
    this.nodes = 0;
    this.ensure(4 * n + 1);
    this.newNode((minX + maxX) / 2, (minY + maxY) / 2, half);
    for (let i = 0; i < n; i++) this.insert(y, i);
    for (let node = 0; node < this.nodes; node++) {
      const m = this.mass[node];
      if (m > 0) {
        this.comX[node] /= m;
        this.comY[node] /= m;
      }
    }
  }

  private insert(y: Float64Array, i: number): void {
    const px = y[2 * i];
    const py = y[2 * i + 1];
    let node = 0;
    for (let depth = 0; ; depth++) {
      if (this.child[node] === -1) {
        if (this.mass[node] === 0) {
          this.point[node] = i;
          this.mass[node] = 1;
          this.comX[node] = px;
          this.comY[node] = py;
          return;
        }
        const q = this.point[node];
        if ((y[2 * q] === px && y[2 * q + 1] === py) || depth >= 60) {
          this.mass[node] += 1;
          this.comX[node] += px;
          this.comY[node] += py;
          return;
        }
        // Split the leaf: its points (all at q's place) move to the matching child.
        this.ensure(this.nodes + 4);
        const half = this.halfWidth[node] / 2;
        const cx = this.centerX[node];
        const cy = this.centerY[node];
        const first = this.nodes;
        this.newNode(cx - half, cy - half, half);
        this.newNode(cx + half, cy - half, half);
        this.newNode(cx - half, cy + half, half);
        this.newNode(cx + half, cy + half, half);
        this.child[node] = first;
        const qChild = first + (y[2 * q] >= cx ? 1 : 0) + (y[2 * q + 1] >= cy ? 2 : 0);
        this.point[qChild] = q;
        this.mass[qChild] = this.mass[node];
        this.comX[qChild] = this.comX[node];
        this.comY[qChild] = this.comY[node];
        this.point[node] = -1;
      }
      this.mass[node] += 1;
      this.comX[node] += px;
      this.comY[node] += py;
      node =
        this.child[node] + (px >= this.centerX[node] ? 1 : 0) + (py >= this.centerY[node] ? 2 : 0);
    }
  }
}

/** Reusable buffers of one optimisation. */
interface Workspace {
  tree: QuadTree;
  stack: Int32Array;
  attractive: Float64Array;
  repulsive: Float64Array;
}

function createWorkspace(n: number): Workspace {
  return {
    tree: new QuadTree(),
    stack: new Int32Array(4 * 64 + 16),
    attractive: new Float64Array(2 * n),
    repulsive: new Float64Array(2 * n),
  };
}

/**
 * The gradient of KL(P‖Q) at layout y (n × 2) into `gradient`, with P multiplied by
 * `exaggeration`; returns KL(P‖Q) of the unexaggerated P (Barnes-Hut normaliser) when
 * `withKl`, else NaN. θ = 0 gives the exact gradient.
 */
function computeGradient(
  p: Affinities,
  y: Float64Array,
  theta: number,
  exaggeration: number,
  gradient: Float64Array,
  work: Workspace,
  withKl: boolean,
): number {
  const n = p.n;
  const { rowStart, columns, values } = p;
  const attractive = work.attractive;
  // Attraction: Σ_j p_ij w_ij (y_i − y_j), w = 1 / (1 + ‖y_i − y_j‖²).
  let pLogW = 0;
  for (let i = 0; i < n; i++) {
    const xi = y[2 * i];
    const yi = y[2 * i + 1];
    let fx = 0;
    let fy = 0;
    for (let e = rowStart[i]; e < rowStart[i + 1]; e++) {
      const j = columns[e];
      const dx = xi - y[2 * j];
      const dy = yi - y[2 * j + 1];
      const w = 1 / (1 + dx * dx + dy * dy);
      const f = values[e] * w;
      fx += f * dx;
      fy += f * dy;
      if (withKl) pLogW += values[e] * Math.log(Math.max(w, FLOAT32_TINY));
    }
    attractive[2 * i] = fx;
    attractive[2 * i + 1] = fy;
  }

  // Repulsion: Σ_j w_ij² (y_i − y_j) and Z = Σ_ij w_ij, cells far enough away taken whole.
  const tree = work.tree;
  tree.build(y, n);
  const { mass, comX, comY, child, point, widthSq } = tree;
  const repulsive = work.repulsive;
  let stack = work.stack;
  const theta2 = theta * theta;
  let z = 0;
  for (let i = 0; i < n; i++) {
    const xi = y[2 * i];
    const yi = y[2 * i + 1];
    let fx = 0;
    let fy = 0;
    let sumQ = 0;
    let top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const node = stack[--top];
      let m = mass[node];
      const dx = xi - comX[node];
      const dy = yi - comY[node];
      const d2 = dx * dx + dy * dy;
      const first = child[node];
      if (first === -1 || widthSq[node] < theta2 * d2) {
        if (first === -1 && point[node] === i) {
          m -= 1; // the point itself (and its exact duplicates stay, at distance 0)
          if (m === 0) continue;
        }
        const q = 1 / (1 + d2);
        const mq = m * q;
        sumQ += mq;
        fx += mq * q * dx;
        fy += mq * q * dy;
      } else {
        if (top + 4 > stack.length) {
          const bigger = new Int32Array(stack.length * 2);
          bigger.set(stack);
          stack = work.stack = bigger;
        }
        for (let c = first; c < first + 4; c++) if (mass[c] > 0) stack[top++] = c;
      }
    }
    repulsive[2 * i] = fx;
    repulsive[2 * i + 1] = fy;
    z += sumQ;
  }

  for (let c = 0; c < 2 * n; c++) {
    gradient[c] = 4 * (exaggeration * attractive[c] - repulsive[c] / z);
  }
  if (!withKl) return NaN;
  // KL = Σ p log p − Σ p log q, log q_ij = log w_ij − log Z, Σ p = 1.
  let pLogP = 0;
  for (let e = 0; e < values.length; e++) {
    pLogP += values[e] * Math.log(Math.max(values[e], FLOAT32_TINY));
  }
  return pLogP - pLogW + Math.log(z);
}

/** The t-SNE gradient at layout y (n × 2) for affinities p; exported for tests. */
export function tsneGradient(
  p: Affinities,
  y: Float64Array,
  theta: number,
  exaggeration = 1,
): { gradient: Float64Array; kl: number } {
  const gradient = new Float64Array(2 * p.n);
  const kl = computeGradient(p, y, theta, exaggeration, gradient, createWorkspace(p.n), true);
  return { gradient, kl };
}

interface ResolvedOptions {
  perplexity: number;
  iterations: number;
  theta: number;
  seed: number;
  learningRate: number;
  earlyExaggeration: number;
  exaggerationIterations: number;
  progressEvery: number;
}

function resolveOptions(n: number, opts: TsneOptions): ResolvedOptions {
  const perplexity = opts.perplexity ?? 30;
  checkPerplexity(perplexity, n);
  const iterations = opts.iterations ?? 1000;
  const theta = opts.theta ?? 0.5;
  const earlyExaggeration = opts.earlyExaggeration ?? 12;
  const exaggerationIterations = Math.min(opts.exaggerationIterations ?? 250, iterations);
  const progressEvery = opts.progressEvery ?? 50;
  const rate = opts.learningRate ?? "auto";
  const learningRate = rate === "auto" ? Math.max(n / earlyExaggeration / 4, 50) : rate;
  const positiveInteger = (name: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) {
      throw new LatentInputError(`t-SNE option ${name} = ${v}: use an integer ≥ ${min}.`);
    }
  };
  positiveInteger("iterations", iterations, 1);
  positiveInteger("exaggerationIterations", exaggerationIterations, 0);
  positiveInteger("progressEvery", progressEvery, 1);
  if (!(theta >= 0) || !Number.isFinite(theta)) {
    throw new LatentInputError(`t-SNE option theta = ${theta}: use a number ≥ 0 (0.5 typical).`);
  }
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) {
    throw new LatentInputError(
      `t-SNE option learningRate = ${learningRate}: use a positive number or "auto".`,
    );
  }
  if (!(earlyExaggeration >= 1) || !Number.isFinite(earlyExaggeration)) {
    throw new LatentInputError(
      `t-SNE option earlyExaggeration = ${earlyExaggeration}: use a number ≥ 1 (12 typical).`,
    );
  }
  if (!Number.isInteger(opts.seed)) {
    throw new LatentInputError(`t-SNE needs an integer seed (got ${opts.seed}).`);
  }
  return {
    perplexity,
    iterations,
    theta,
    seed: opts.seed,
    learningRate,
    earlyExaggeration,
    exaggerationIterations,
    progressEvery,
  };
}

/**
 * A t-SNE optimisation that runs step by step (so an async caller can yield in between).
 * `step()` performs one iteration and returns false once all are done.
 */
export interface TsneRun {
  step(): boolean;
  readonly iteration: number;
  readonly iterations: number;
  /** The current layout (n × 2, float64, live: copy it to keep it). */
  readonly layout: Float64Array;
  result(): TsneResult;
}

/** Prepare a t-SNE run: neighbours and affinities are computed here, the descent by step(). */
export function createTsneRun(
  points: Float32Array,
  n: number,
  dim: number,
  opts: TsneOptions,
): TsneRun {
  checkPoints(points, n, dim);
  if (n < 2) throw new LatentInputError(`t-SNE needs at least 2 points (got ${n}).`);
  const o = resolveOptions(n, opts);
  const clock = () => performance.now() / 1000;

  let t0 = clock();
  const k = neighborCountForPerplexity(o.perplexity, n);
  let neighbors: Neighbors;
  if (opts.neighbors) {
    const given = opts.neighbors;
    if (given.k < k || given.indices.length !== n * given.k) {
      throw new LatentInputError(
        `precomputed neighbours have ${given.k} columns but perplexity ${o.perplexity} needs ${k}: compute nearestNeighbors(points, n, dim, ${k}).`,
      );
    }
    neighbors = { indices: new Int32Array(n * k), distances: new Float32Array(n * k) };
    for (let i = 0; i < n; i++) {
      neighbors.indices.set(given.indices.subarray(i * given.k, i * given.k + k), i * k);
      neighbors.distances.set(given.distances.subarray(i * given.k, i * given.k + k), i * k);
    }
  } else {
    neighbors = nearestNeighbors(points, n, dim, k);
  }
  const neighborsSeconds = clock() - t0;
  t0 = clock();
  const p = affinitiesFromNeighbors(neighbors, n, k, o.perplexity);
  const affinitiesSeconds = clock() - t0;

  const y = new Float64Array(2 * n);
  if (opts.init instanceof Float32Array) {
    if (opts.init.length !== 2 * n) {
      throw new LatentInputError(
        `t-SNE init has ${opts.init.length} values, not n × 2 = ${2 * n}: pass one 2-D position per point.`,
      );
    }
    y.set(opts.init);
  } else if (opts.init === undefined || opts.init === "random") {
    const rng = createRng(o.seed);
    for (let c = 0; c < 2 * n; c++) y[c] = 1e-4 * rng.normal();
  } else {
    throw new LatentInputError(
      `t-SNE init "${String(opts.init)}" is unknown: use "random" or an n × 2 Float32Array.`,
    );
  }

  const gradient = new Float64Array(2 * n);
  const update = new Float64Array(2 * n);
  const gains = new Float64Array(2 * n).fill(1);
  const work = createWorkspace(n);
  let iteration = 0;
  let kl = NaN;
  let optimizeSeconds = 0;

  const step = (): boolean => {
    if (iteration >= o.iterations) return false;
    const started = clock();
    const exploring = iteration < o.exaggerationIterations;
    const exaggeration = exploring ? o.earlyExaggeration : 1;
    const momentum = exploring ? 0.5 : 0.8;
    const report = (iteration + 1) % o.progressEvery === 0 || iteration + 1 === o.iterations;
    const value = computeGradient(p, y, o.theta, exaggeration, gradient, work, report);
    for (let c = 0; c < 2 * n; c++) {
      const g = gradient[c];
      let gain = gains[c];
      gain = update[c] * g < 0 ? gain + 0.2 : gain * 0.8;
      if (gain < MIN_GAIN) gain = MIN_GAIN;
      gains[c] = gain;
      update[c] = momentum * update[c] - o.learningRate * gain * g;
      y[c] += update[c];
    }
    iteration++;
    optimizeSeconds += clock() - started;
    if (report) {
      kl = value;
      opts.onProgress?.(iteration, kl);
    }
    return iteration < o.iterations;
  };

  return {
    step,
    get iteration() {
      return iteration;
    },
    iterations: o.iterations,
    layout: y,
    result: () => ({
      embedding: Float32Array.from(y),
      kl,
      timings: { neighborsSeconds, affinitiesSeconds, optimizeSeconds },
    }),
  };
}

/** t-SNE of n points (row-major n × dim) to 2-D, synchronously; returns the n × 2 layout. */
export function tsne(
  points: Float32Array,
  n: number,
  dim: number,
  opts: TsneOptions,
): Float32Array {
  return tsneWithStats(points, n, dim, opts).embedding;
}

/** As tsne(), plus the final KL divergence and the time spent in each phase. */
export function tsneWithStats(
  points: Float32Array,
  n: number,
  dim: number,
  opts: TsneOptions,
): TsneResult {
  const run = createTsneRun(points, n, dim, opts);
  while (run.step()) {
    /* iterate */
  }
  return run.result();
}

/**
 * As tsneWithStats(), but yields to the event loop about every `yieldMs` milliseconds so a
 * notebook kernel stays responsive; `signal` stops it early (the layout so far is returned).
 */
export async function tsneAsync(
  points: Float32Array,
  n: number,
  dim: number,
  opts: TsneOptions & { yieldMs?: number; signal?: AbortSignal },
): Promise<TsneResult> {
  const run = createTsneRun(points, n, dim, opts);
  const yieldMs = opts.yieldMs ?? 100;
  let last = performance.now();
  while (!opts.signal?.aborted && run.step()) {
    if (performance.now() - last >= yieldMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      last = performance.now();
    }
  }
  return run.result();
}
