/**
 * UMAP embeddings through umap-js 1.4.0, seeded by our generator (umap-js takes a `random`
 * function), on exact nearest neighbours (./neighbors.ts) instead of umap-js's
 * approximate NN-descent: the graph is then the same on every run and a few seconds faster.
 *
 * umap-js itself starts from a uniform random layout, which tears some classes into separate
 * islands. Like Python's umap-learn we start instead (default) from a spectral layout: the leading
 * non-trivial eigenvectors of the normalised fuzzy graph (subspace iteration on the sparse
 * graph), scaled to [0, 10] per axis; "pca" (the first principal components) and "random"
 * (umap-js's own) are the alternatives.
 */
import { UMAP } from "umap-js";
import { createRng } from "../random";
import { checkNeighborCount, checkPoints, LatentInputError } from "./check";
import { nearestNeighbors, type Neighbors } from "./neighbors";
import { symmetricEigen } from "./eigen";
import { fitPca, pcaTransform } from "./pca";

export interface UmapOptions {
  /** Neighbours per point in the fuzzy graph (local vs global balance; typ. 5-50, default 15). */
  neighbors?: number;
  /**
   * Smallest distance between embedded points (default 0.1; 0-0.99): 0 packs clusters tight,
   * good before clustering.
   */
  minDist?: number;
  /** Dimensions of the embedding (default 2; 2-3 for plots, up to ~10 before clustering). */
  components?: number;
  /** Seed of the initial layout and of the negative sampling. */
  seed: number;
  /** Optimisation epochs (default: umap-js's choice by size, 500 up to 2,500 points, then fewer, 200 above 10,000). */
  epochs?: number;
  /** Scale of the embedded clusters together with minDist (default 1; typ. 0.5-3). */
  spread?: number;
  /**
   * Nearest neighbours already computed for these points (e.g. shared with trustworthiness): at
   * least `neighbors − 1` columns, self excluded, as nearestNeighbors returns them.
   */
  knn?: Neighbors & { k: number };
  /** Starting layout: "spectral" (default), "pca" or "random" (see the module comment). */
  init?: UmapInit;
}

export type UmapInit = "spectral" | "pca" | "random";

export interface UmapAsyncOptions extends UmapOptions {
  /** Called after every `progressEvery` epochs (and after the last) with epochs done and in all. */
  onProgress?: (epoch: number, epochs: number) => void;
  /** Epochs between progress reports and event-loop yields (default 10). */
  progressEvery?: number;
  /** Abort the optimisation (the promise rejects with an UmapAbortedError). */
  signal?: AbortSignal;
}

/** The optimisation was stopped through its AbortSignal. */
export class UmapAbortedError extends LatentInputError {}

interface PreparedUmap {
  umap: UMAP;
  epochs: number;
}

function prepare(points: Float32Array, n: number, dim: number, options: UmapOptions): PreparedUmap {
  checkPoints(points, n, dim);
  const neighbors = options.neighbors ?? 15;
  // umap-js counts the point itself among its neighbours.
  checkNeighborCount(neighbors - 1, n, "neighbors − 1 (UMAP counts the point itself)");
  if (neighbors < 2) {
    throw new LatentInputError(`umap: neighbors = ${neighbors} must be at least 2 (15 is usual).`);
  }
  const components = options.components ?? 2;
  const minDist = options.minDist ?? 0.1;
  const spread = options.spread ?? 1;
  if (!Number.isInteger(components) || components < 1) {
    throw new LatentInputError(
      `umap: components = ${components} must be a positive integer (2 for plots).`,
    );
  }
  if (!(minDist >= 0) || !(spread > 0) || minDist > spread) {
    throw new LatentInputError(
      `umap: minDist = ${minDist} and spread = ${spread} need 0 ≤ minDist ≤ spread and spread > 0 (defaults 0.1 and 1).`,
    );
  }
  if (options.epochs !== undefined && (!Number.isInteger(options.epochs) || options.epochs < 1)) {
    throw new LatentInputError(`umap: epochs = ${options.epochs} must be a positive integer.`);
  }
  if (!Number.isFinite(options.seed)) {
    throw new LatentInputError(`umap: seed = ${options.seed} must be a finite number.`);
  }
  const knn = options.knn ?? {
    ...nearestNeighbors(points, n, dim, neighbors - 1),
    k: neighbors - 1,
  };
  if (
    knn.k < neighbors - 1 ||
    knn.indices.length !== n * knn.k ||
    knn.distances.length !== n * knn.k
  ) {
    throw new LatentInputError(
      `umap: the given knn has ${knn.k} columns for ${knn.indices.length / Math.max(1, knn.k)} points; it needs ${n} rows of at least neighbors − 1 = ${neighbors - 1}: recompute it with nearestNeighbors(points, n, dim, ${neighbors - 1}).`,
    );
  }
  const indices: number[][] = new Array(n);
  const distances: number[][] = new Array(n);
  for (let i = 0; i < n; i++) {
    const row = [i];
    const dist = [0];
    for (let r = 0; r < neighbors - 1; r++) {
      row.push(knn.indices[i * knn.k + r]);
      dist.push(knn.distances[i * knn.k + r]);
    }
    indices[i] = row;
    distances[i] = dist;
  }
  const rng = createRng(options.seed);
  const umap = new UMAP({
    nNeighbors: neighbors,
    nComponents: components,
    minDist,
    spread,
    random: rng.next,
    ...(options.epochs !== undefined ? { nEpochs: options.epochs } : {}),
  });
  umap.setPrecomputedKNN(indices, distances);
  // umap-js only reads the rows' count (the neighbours are given); rows of the points keep it honest.
  const rows: number[][] = new Array(n);
  for (let i = 0; i < n; i++) rows[i] = Array.from(points.subarray(i * dim, i * dim + dim));
  const epochs = umap.initializeFit(rows);
  const init = options.init ?? "spectral";
  if (init !== "random") {
    const start =
      init === "pca"
        ? pcaLayout(points, n, dim, components)
        : init === "spectral"
          ? spectralLayout(graphOf(umap), n, components, createRng(options.seed ^ 0x5bd1e995))
          : null;
    if (start === null) {
      throw new LatentInputError(
        `umap: init "${String(init)}" is unknown: use spectral, pca or random.`,
      );
    }
    // umap-js optimises the arrays of getEmbedding() in place: overwrite their values.
    const embedding = umap.getEmbedding();
    const scaled = scaleToBox(start, n, components);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < components; c++) embedding[i][c] = scaled[i * components + c];
    }
  }
  return { umap, epochs };
}

function flatten(embedding: number[][], components: number): Float32Array {
  const out = new Float32Array(embedding.length * components);
  embedding.forEach((row, i) => out.set(row, i * components));
  return out;
}

/** UMAP embedding of n points (row-major n × dim): n × components, row-major. Deterministic for a seed. */
export function umapEmbed(
  points: Float32Array,
  n: number,
  dim: number,
  options: UmapOptions,
): Float32Array {
  const { umap, epochs } = prepare(points, n, dim, options);
  for (let epoch = 0; epoch < epochs; epoch++) umap.step();
  return flatten(umap.getEmbedding(), options.components ?? 2);
}

/**
 * umapEmbed that yields to the event loop every `progressEvery` epochs, reports progress and
 * can be aborted: a notebook stays responsive. The result equals umapEmbed's for the same options.
 */
export async function umapEmbedAsync(
  points: Float32Array,
  n: number,
  dim: number,
  options: UmapAsyncOptions,
): Promise<Float32Array> {
  const every = options.progressEvery ?? 10;
  if (!Number.isInteger(every) || every < 1) {
    throw new LatentInputError(`umap: progressEvery = ${every} must be a positive integer.`);
  }
  const { umap, epochs } = prepare(points, n, dim, options);
  for (let epoch = 0; epoch < epochs;) {
    if (options.signal?.aborted) {
      throw new UmapAbortedError(`UMAP stopped after ${epoch} of ${epochs} epochs (aborted).`);
    }
    const until = Math.min(epochs, epoch + every);
    for (; epoch < until; epoch++) umap.step();
    options.onProgress?.(epoch, epochs);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return flatten(umap.getEmbedding(), options.components ?? 2);
}

interface GraphEntry {
  row: number;
  col: number;
  value: number;
}

/** The symmetric fuzzy graph umap-js built (a private field of umap-js 1.4.0). */
function graphOf(umap: UMAP): GraphEntry[] {
  const graph = (umap as unknown as { graph?: { getAll(): GraphEntry[] } }).graph;
  if (!graph) throw new Error("umap-js has no fuzzy graph after initializeFit: is it still 1.4.0?");
  return graph.getAll();
}

/** The first `components` principal components of the points. */
function pcaLayout(points: Float32Array, n: number, dim: number, components: number): Float64Array {
  const model = fitPca(points, n, dim, { components: Math.min(components, dim) });
  const projected = pcaTransform(model, points, n);
  const out = new Float64Array(n * components);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < model.count; c++) out[i * components + c] = projected[i * model.count + c];
  }
  return out;
}

/**
 * The `components` leading eigenvectors of D^-½·W·D^-½ after the trivial one (√degree), by
 * subspace iteration on (I + D^-½·W·D^-½)/2 (positive semi-definite, so the largest eigenvalues
 * win) with a few extra vectors, then Rayleigh-Ritz. These are the smallest non-trivial
 * eigenvectors of the normalised Laplacian, umap-learn's spectral layout.
 */
function spectralLayout(
  entries: GraphEntry[],
  n: number,
  components: number,
  rng: ReturnType<typeof createRng>,
): Float64Array {
  const degree = new Float64Array(n);
  for (const { row, value } of entries) degree[row] += value;
  const m = entries.length;
  const rows = new Int32Array(m);
  const cols = new Int32Array(m);
  const weights = new Float64Array(m);
  entries.forEach(({ row, col, value }, e) => {
    rows[e] = row;
    cols[e] = col;
    weights[e] =
      degree[row] > 0 && degree[col] > 0 ? value / Math.sqrt(degree[row] * degree[col]) : 0;
  });
  const trivial = new Float64Array(n);
  let norm = 0;
  for (let i = 0; i < n; i++) norm += degree[i];
  for (let i = 0; i < n; i++) trivial[i] = Math.sqrt(degree[i] / (norm || 1));

  const block = Math.min(n - 1, components + 8);
  let basis = new Float64Array(n * block); // column-blocked: vector b is basis[b·n .. b·n + n)
  for (let i = 0; i < basis.length; i++) basis[i] = rng.normal();
  const multiply = (from: Float64Array, to: Float64Array): void => {
    for (let b = 0; b < block; b++) {
      const o = b * n;
      for (let i = 0; i < n; i++) to[o + i] = 0.5 * from[o + i];
      for (let e = 0; e < m; e++) to[o + rows[e]] += 0.5 * weights[e] * from[o + cols[e]];
    }
  };
  const orthonormalize = (v: Float64Array): void => {
    for (let b = 0; b < block; b++) {
      const o = b * n;
      // Against the trivial vector, then the earlier ones (modified Gram-Schmidt, twice for safety).
      for (let pass = 0; pass < 2; pass++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += v[o + i] * trivial[i];
        for (let i = 0; i < n; i++) v[o + i] -= dot * trivial[i];
        for (let p = 0; p < b; p++) {
          const q = p * n;
          let d = 0;
          for (let i = 0; i < n; i++) d += v[o + i] * v[q + i];
          for (let i = 0; i < n; i++) v[o + i] -= d * v[q + i];
        }
      }
      let s = 0;
      for (let i = 0; i < n; i++) s += v[o + i] * v[o + i];
      s = Math.sqrt(s);
      if (s === 0) {
        for (let i = 0; i < n; i++) v[o + i] = rng.normal();
        b--;
        continue;
      }
      for (let i = 0; i < n; i++) v[o + i] /= s;
    }
  };
  orthonormalize(basis);
  let next = new Float64Array(n * block);
  for (let iteration = 0; iteration < SPECTRAL_ITERATIONS; iteration++) {
    multiply(basis, next);
    orthonormalize(next);
    [basis, next] = [next, basis];
  }
  // Rayleigh-Ritz: the small block × block matrix Bᵀ·M·B, its eigenvectors rotate the basis.
  multiply(basis, next);
  const small = new Float64Array(block * block);
  for (let a = 0; a < block; a++) {
    for (let b = 0; b < block; b++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += basis[a * n + i] * next[b * n + i];
      small[a * block + b] = s;
    }
  }
  for (let a = 0; a < block; a++) {
    for (let b = a + 1; b < block; b++) {
      const mean = (small[a * block + b] + small[b * block + a]) / 2;
      small[a * block + b] = mean;
      small[b * block + a] = mean;
    }
  }
  const { vectors } = symmetricEigen(small, block);
  const out = new Float64Array(n * components);
  for (let c = 0; c < components; c++) {
    for (let b = 0; b < block; b++) {
      const w = vectors[c * block + b];
      for (let i = 0; i < n; i++) out[i * components + c] += w * basis[b * n + i];
    }
  }
  return out;
}

/** Subspace iterations of the spectral layout (each costs block × graph entries). */
const SPECTRAL_ITERATIONS = 100;

/** Each axis scaled to [0, 10] (umap-learn's scaling of its initial layout). */
function scaleToBox(layout: Float64Array, n: number, components: number): Float64Array {
  const out = new Float64Array(layout.length);
  for (let c = 0; c < components; c++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      lo = Math.min(lo, layout[i * components + c]);
      hi = Math.max(hi, layout[i * components + c]);
    }
    const range = hi - lo;
    for (let i = 0; i < n; i++) {
      out[i * components + c] = range > 0 ? (10 * (layout[i * components + c] - lo)) / range : 5;
    }
  }
  return out;
}
