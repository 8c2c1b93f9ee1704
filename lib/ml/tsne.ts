/**
 * Barnes-Hut t-SNE (van der Maaten 2014), following sklearn.manifold.TSNE (method "barnes_hut"):
 *
 * 1. affinities: each point's 3·perplexity nearest neighbours (exact, ./neighbors.ts), a
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
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { AutoencoderLabError } from "../errors";
import { createRng } from "../random";
import {
  CONTROL,
  MAX_LAYOUT_POINTS,
  mortonOrder,
  QuadTree,
  repulsionChunks,
  type RepulsionWorkerData,
  type TraversalStack,
} from "./barnes-hut";
import { checkPoints, LatentInputError } from "./check";
import { nearestNeighbors, type Neighbors } from "./neighbors";
import { fitPca, pcaTransform } from "./pca";

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
  /** Gradient-descent iterations in all, exaggeration phase included (default 1000; typ. 500-2000). */
  iterations?: number;
  /**
   * Barnes-Hut accuracy: 0 = exact repulsion (O(n²)), 0.5 default (typ. 0.2-0.8), larger is
   * faster and rougher.
   */
  theta?: number;
  /** Seed of the random initial layout (init "random"; the PCA init is deterministic). */
  seed: number;
  /**
   * Initial layout: "pca" (default, as sklearn ≥ 1.2: the first two principal components,
   * scaled so the first has standard deviation 1e-4), "random" (N(0, 1e-4²)), or a given n × 2
   * array.
   */
  init?: "pca" | "random" | Float32Array;
  /** Step size; "auto" (default) = max(n / earlyExaggeration / 4, 50) as sklearn ≥ 1.2. */
  learningRate?: number | "auto";
  /** Factor on P during the first iterations, so clusters form (default 12; typ. 4-24). */
  earlyExaggeration?: number;
  /** Iterations with exaggeration and momentum 0.5 (default 250; typ. 100-500). */
  exaggerationIterations?: number;
  /** Called every `progressEvery` iterations (and after the last) with the KL divergence. */
  onProgress?: (iteration: number, kl: number) => void;
  /** Iterations between progress reports (default 50). */
  progressEvery?: number;
  /**
   * Threads for the repulsive forces: 1 (default), or 2 to add a worker thread (same result,
   * bit for bit). Measured on 10k MNIST codes on a 2-core machine loaded by other jobs (load
   * average ≈ 10): 2 threads were slower (48–52 ms per iteration against 41–45 ms of wall time,
   * CPU 15 against 14 ms): each iteration waits for the worker to be scheduled, and both threads
   * build the tree. Use 2 only when a core is free.
   */
  threads?: 1 | 2;
  /**
   * Precomputed nearest neighbours of the input (from nearestNeighbors, k columns), e.g. shared
   * with other analyses; k must be at least min(n − 1, ⌊3·perplexity + 1⌋).
   */
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
/** Iterations between refreshes of the Morton order of the points. */
const REORDER_EVERY = 10;
const FLOAT32_TINY = 1.1754943508222875e-38;

function checkPerplexity(perplexity: number, n: number): void {
  if (!(perplexity > 0) || !Number.isFinite(perplexity) || perplexity >= n) {
    throw new LatentInputError(
      `perplexity ${perplexity} is not possible with ${n} points: it must be > 0 and below the number of points (typically 5–50).`,
    );
  }
}

/**
 * sklearn's PCA initialisation: the first two principal components of the points, scaled so
 * the first has standard deviation 1e-4 (small, so early exaggeration starts from a compact
 * layout). A one-dimensional input gets a zero second coordinate.
 */
export function pcaInit(points: Float32Array, n: number, dim: number): Float64Array {
  const components = Math.min(2, dim);
  const projected = pcaTransform(fitPca(points, n, dim, { components }), points, n);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += projected[i * components];
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (projected[i * components] - mean) ** 2;
  const std = Math.sqrt(variance / n);
  const scale = std > 0 ? 1e-4 / std : 1;
  const y = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < components; c++) y[2 * i + c] = projected[i * components + c] * scale;
  }
  return y;
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

/** Reusable buffers of one optimisation (and the worker thread, when there is one). */
interface Workspace {
  n: number;
  /** Per row of P, the first entry with column > row (attraction visits each pair once). */
  upperStart: Int32Array;
  tree: QuadTree;
  holder: TraversalStack;
  attractive: Float64Array;
  repulsive: Float64Array;
  sumQ: Float64Array;
  order: Int32Array;
  keys: Float64Array;
  control: Int32Array;
  params: Float64Array;
  worker: Worker | null;
  /** Gradients computed since the Morton order was last refreshed. */
  sinceOrder: number;
}

/** How long the main thread waits for the worker to start (else it goes on alone). */
const WORKER_START_TIMEOUT_MS = 20_000;
/** How long the main thread waits for the worker to finish an iteration. */
const WORKER_TIMEOUT_MS = 60_000;

function sharedFloat64(length: number, shared: boolean): Float64Array {
  return shared
    ? new Float64Array(new SharedArrayBuffer(length * Float64Array.BYTES_PER_ELEMENT))
    : new Float64Array(length);
}

function workerEntry(): { file: string; execArgv: string[] } {
  const fromTs = __filename.endsWith(".ts");
  return {
    file: path.join(__dirname, fromTs ? "tsne-worker.ts" : "tsne-worker.js"),
    execArgv: fromTs ? ["--require", "ts-node/register/transpile-only"] : [],
  };
}

/**
 * Buffers for an optimisation of layout `y` (shared memory when threads = 2, then y must be
 * over a SharedArrayBuffer too). A worker that does not start in time is dropped (one thread).
 */
function createWorkspace(p: Affinities, y: Float64Array, threads: number): Workspace {
  const n = p.n;
  const shared = threads > 1;
  const upperStart = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let e = p.rowStart[i];
    while (e < p.rowStart[i + 1] && p.columns[e] <= i) e++;
    upperStart[i] = e;
  }
  const control = new Int32Array(
    shared ? new SharedArrayBuffer(CONTROL.length * 4) : new ArrayBuffer(CONTROL.length * 4),
  );
  const work: Workspace = {
    n,
    upperStart,
    tree: new QuadTree(),
    holder: { stack: new Int32Array(256) },
    attractive: new Float64Array(2 * n),
    repulsive: sharedFloat64(2 * n, shared),
    sumQ: sharedFloat64(n, shared),
    order: new Int32Array(shared ? new SharedArrayBuffer(4 * n) : new ArrayBuffer(4 * n)),
    keys: new Float64Array(n),
    control,
    params: sharedFloat64(1, shared),
    worker: null,
    sinceOrder: Infinity,
  };
  if (!shared) return work;
  if (!(y.buffer instanceof SharedArrayBuffer)) {
    throw new Error("createWorkspace: with threads the layout must be shared memory");
  }
  const entry = workerEntry();
  const data: RepulsionWorkerData = {
    n,
    control,
    params: work.params,
    layout: y,
    order: work.order,
    repulsive: work.repulsive,
    sumQ: work.sumQ,
  };
  const worker = new Worker(entry.file, { workerData: data, execArgv: entry.execArgv });
  worker.unref();
  if (Atomics.wait(control, CONTROL.ready, 0, WORKER_START_TIMEOUT_MS) === "timed-out") {
    void worker.terminate();
    return work;
  }
  work.worker = worker;
  return work;
}

/** Stop the worker thread of a workspace (if any). */
function disposeWorkspace(work: Workspace): void {
  if (!work.worker) return;
  Atomics.store(work.control, CONTROL.stop, 1);
  Atomics.add(work.control, CONTROL.generation, 1);
  Atomics.notify(work.control, CONTROL.generation);
  void work.worker.terminate();
  work.worker = null;
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
  const { control, attractive, repulsive, sumQ, upperStart } = work;

  // Start the repulsion first (the worker begins at once), then attraction on this thread.
  // The layout moves little per iteration: a Morton order a few iterations old still keeps
  // neighbours together (the order changes only speed and the summation order).
  if (work.sinceOrder >= REORDER_EVERY) {
    mortonOrder(y, n, work.keys, work.order);
    work.sinceOrder = 0;
  }
  work.sinceOrder++;
  Atomics.store(control, CONTROL.counter, 0);
  work.params[0] = theta;
  let generation = 0;
  if (work.worker) {
    generation = Atomics.add(control, CONTROL.generation, 1) + 1;
    Atomics.notify(control, CONTROL.generation);
  }

  // Attraction Σ_j p_ij w_ij (y_i − y_j), w = 1 / (1 + ‖y_i − y_j‖²), each pair once (P is
  // symmetric).
  attractive.fill(0);
  let pLogW = 0;
  for (let i = 0; i < n; i++) {
    const xi = y[2 * i];
    const yi = y[2 * i + 1];
    let fx = 0;
    let fy = 0;
    for (let e = upperStart[i]; e < rowStart[i + 1]; e++) {
      const j = columns[e];
      const dx = xi - y[2 * j];
      const dy = yi - y[2 * j + 1];
      const w = 1 / (1 + dx * dx + dy * dy);
      const f = values[e] * w;
      fx += f * dx;
      fy += f * dy;
      attractive[2 * j] -= f * dx;
      attractive[2 * j + 1] -= f * dy;
      if (withKl) pLogW += 2 * values[e] * Math.log(Math.max(w, FLOAT32_TINY));
    }
    attractive[2 * i] += fx;
    attractive[2 * i + 1] += fy;
  }

  work.tree.build(y, n, work.order);
  const counter = control.subarray(CONTROL.counter, CONTROL.counter + 1);
  repulsionChunks(work.tree, y, work.order, n, theta, repulsive, sumQ, counter, work.holder);
  if (work.worker) {
    const started = Date.now();
    for (;;) {
      const done = Atomics.load(control, CONTROL.done);
      if (done === generation) break;
      Atomics.wait(control, CONTROL.done, done, 1000);
      if (Date.now() - started > WORKER_TIMEOUT_MS) {
        disposeWorkspace(work);
        throw new AutoencoderLabError(
          `The t-SNE worker thread did not finish an iteration within ${WORKER_TIMEOUT_MS / 1000} s: run with threads: 1.`,
        );
      }
    }
  }
  let z = 0;
  for (let i = 0; i < n; i++) z += sumQ[i];

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
  const kl = computeGradient(p, y, theta, exaggeration, gradient, createWorkspace(p, y, 1), true);
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
  threads: number;
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
  const threads = opts.threads ?? 1;
  if (threads !== 1 && threads !== 2) {
    throw new LatentInputError(`t-SNE option threads = ${String(threads)}: use 1 or 2.`);
  }
  if (n > MAX_LAYOUT_POINTS) {
    throw new LatentInputError(
      `t-SNE of ${n} points is beyond this implementation (at most ${MAX_LAYOUT_POINTS}): subsample the points.`,
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
    threads,
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
  /** Threads computing the repulsion (2 only when the worker started). */
  readonly threads: number;
  /** Stop the worker thread (done automatically after the last iteration). */
  dispose(): void;
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

  const y = sharedFloat64(2 * n, o.threads > 1);
  if (opts.init instanceof Float32Array) {
    if (opts.init.length !== 2 * n) {
      throw new LatentInputError(
        `t-SNE init has ${opts.init.length} values, not n × 2 = ${2 * n}: pass one 2-D position per point.`,
      );
    }
    y.set(opts.init);
  } else if (opts.init === "random") {
    const rng = createRng(o.seed);
    for (let c = 0; c < 2 * n; c++) y[c] = 1e-4 * rng.normal();
  } else if (opts.init === undefined || opts.init === "pca") {
    y.set(pcaInit(points, n, dim));
  } else {
    throw new LatentInputError(
      `t-SNE init "${String(opts.init)}" is unknown: use "pca", "random" or an n × 2 Float32Array.`,
    );
  }

  const gradient = new Float64Array(2 * n);
  const update = new Float64Array(2 * n);
  const gains = new Float64Array(2 * n).fill(1);
  const work = createWorkspace(p, y, o.threads);
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
    if (iteration === o.iterations) disposeWorkspace(work);
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
    get threads() {
      return work.worker ? 2 : 1;
    },
    dispose: () => disposeWorkspace(work),
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
  try {
    while (run.step()) {
      /* iterate */
    }
  } finally {
    run.dispose();
  }
  return run.result();
}

export interface TsneAsyncOptions extends TsneOptions {
  /** Milliseconds of work between yields to the event loop (default 100; 20-500 keeps a kernel responsive). */
  yieldMs?: number;
  /** Stops the optimisation early; the layout so far is returned. */
  signal?: AbortSignal;
}

/**
 * As tsneWithStats(), but yields to the event loop about every `yieldMs` milliseconds so a
 * notebook kernel stays responsive; `signal` stops it early (the layout so far is returned).
 */
export async function tsneAsync(
  points: Float32Array,
  n: number,
  dim: number,
  opts: TsneAsyncOptions,
): Promise<TsneResult> {
  const run = createTsneRun(points, n, dim, opts);
  const yieldMs = opts.yieldMs ?? 100;
  let last = performance.now();
  try {
    while (!opts.signal?.aborted && run.step()) {
      if (performance.now() - last >= yieldMs) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        last = performance.now();
      }
    }
  } finally {
    run.dispose();
  }
  return run.result();
}
