/**
 * One call for "cluster these codes and score the clusters": optional normalisation of the codes,
 * an optional embedding (PCA, UMAP or t-SNE), then k-means or a Gaussian mixture, and, when the
 * labels are given, accuracy / NMI / ARI (and the silhouette when asked). Notebook 06 and
 * bench/latent.ts call this; every stage's time is reported.
 */
import { createRng, deriveSeed } from "../random";
import { checkPoints, LatentInputError } from "../ml/check";
import {
  adjustedRandIndex,
  clusterAccuracy,
  contingencyTable,
  normalizedMutualInfo,
  silhouetteScore,
  type ContingencyTable,
} from "../ml/cluster-metrics";
import { gaussianMixture } from "../ml/gmm";
import { kmeans } from "../ml/kmeans";
import { fitPca, pcaTransform } from "../ml/pca";
import { tsneAsync } from "../ml/tsne";
import { umapEmbedAsync, type UmapInit } from "../ml/umap";

/**
 * none: the codes as they are; l2: each row scaled to unit length (angles only); standardize:
 * each dimension to mean 0, standard deviation 1; pca-whiten: rotated onto the principal axes,
 * each scaled to unit variance.
 */
export type CodeNormalization = "none" | "l2" | "standardize" | "pca-whiten";

export type CodeEmbedding =
  | { kind: "none" }
  | { kind: "pca"; components: number }
  | {
      kind: "umap";
      /** Default 15. */
      neighbors?: number;
      /** Default 0: packs each cluster tight, which is what clustering wants. */
      minDist?: number;
      /** Default 2. */
      components?: number;
      /** Default "spectral". */
      init?: UmapInit;
      /** Default: umap-js's choice by size. */
      epochs?: number;
    }
  | { kind: "tsne"; perplexity?: number; iterations?: number };

export interface ClusterCodesOptions {
  /** Number of clusters (default 10, the digits). */
  k?: number;
  /** Normalisation of the codes before anything else (default "none"). */
  normalize?: CodeNormalization;
  /** Embedding the clustering runs on (default none: the codes themselves). */
  embedding?: CodeEmbedding;
  /**
   * kmeans (default for the codes and PCA) or gmm, a full-covariance Gaussian mixture (default
   * for UMAP and t-SNE embeddings, whose clusters are elongated).
   */
  method?: "kmeans" | "gmm";
  /**
   * k-means restarts / GMM restarts (default 10 / 20). The mixture's likelihood picks the right
   * clustering of a UMAP or t-SNE embedding out of many poor ones (k-means' inertia does not:
   * it prefers cutting the long streak of 1s in two), so it needs many starts.
   */
  restarts?: number;
  /** Seed of every random choice (embedding, seeding). */
  seed: number;
  /**
   * Independent runs of embedding and clustering, run r with seed deriveSeed(seed, r) (run 0 with
   * `seed` itself); default 1. With several, the clustering that agrees best with the others
   * (mean ARI against each other run; no labels) is kept: a UMAP layout now and then merges two
   * classes or cuts one in two, which the other seeds' layouts do not share. Each run costs a
   * whole embedding; 3 to 5 are typical. Reported in `selection`.
   */
  runs?: number;
  /**
   * More codes of the same model (row-major context.n × dim, e.g. of training images), embedded
   * and clustered together with the n codes, never scored and not returned: UMAP's neighbour graph
   * and the mixture get better with more points (N2D clusters all 70,000 MNIST images at once).
   * Normalisation, embedding and clustering are fitted on all n + context.n points; assignments,
   * features, embedding, silhouette and scores are those of the n codes. No labels are involved.
   */
  context?: { codes: Float32Array; n: number };
  /** True classes: with them the result carries accuracy, NMI, ARI and the contingency table. */
  labels?: ArrayLike<number>;
  /** Silhouette of the clusters in the clustered space: true (exact), or a seeded sample size. */
  silhouette?: boolean | number;
  /** Progress of the slow stages (the embedding): a stage name and a fraction in [0, 1]. */
  onProgress?: (stage: string, fraction: number) => void;
}

export interface ClusterScores {
  accuracy: number;
  nmi: number;
  ari: number;
  contingency: ContingencyTable;
  /** Cluster id → class of the best one-to-one matching. */
  mapping: Map<number, number>;
}

export interface ClusteredCodes {
  /** Cluster of each point, 0..k-1. */
  assignments: Int32Array;
  k: number;
  /** The points that were clustered (normalised codes or their embedding), n × featureDim. */
  features: Float32Array;
  featureDim: number;
  /** The embedding, when one was asked for (n × its components). */
  embedding?: Float32Array;
  /** k × featureDim: k-means centroids or mixture means. */
  centers: Float32Array;
  /** With labels: accuracy, NMI, ARI, contingency table. */
  scores?: ClusterScores;
  /** With `silhouette`: the mean silhouette in the clustered space. */
  silhouette?: number;
  /** With `runs` > 1: each run's mean agreement (ARI) with the others, and the run kept. */
  selection?: { agreement: number[]; chosen: number };
  /** Seconds per stage (embed and cluster summed over the runs). */
  seconds: { normalize: number; embed: number; cluster: number; score: number };
  /** The options in effect, defaults filled in (for tables). */
  settings: {
    normalize: CodeNormalization;
    embedding: string;
    method: "kmeans" | "gmm";
    k: number;
    restarts: number;
    runs: number;
    /** Context points clustered alongside (0 without `context`). */
    context: number;
  };
}

/**
 * Each clustering's mean adjusted Rand index against the others (1 for a single one): how far
 * the others agree with it, a choice between seeds that needs no labels.
 */
export function meanAgreement(clusterings: readonly ArrayLike<number>[]): number[] {
  if (clusterings.length === 1) return [1];
  const ari = clusterings.map(() => new Float64Array(clusterings.length));
  for (let a = 0; a < clusterings.length; a++) {
    for (let b = a + 1; b < clusterings.length; b++) {
      ari[a][b] = ari[b][a] = adjustedRandIndex(clusterings[a], clusterings[b]);
    }
  }
  return ari.map((row) => row.reduce((sum, x) => sum + x, 0) / (clusterings.length - 1));
}

/**
 * The pipeline that clustered the reference run's test codes best (bench/latent.ts): standardise
 * each code dimension, a 2-D UMAP (15 neighbours, minDist 0, spectral start), then a Gaussian
 * mixture with 20 EM restarts, the most likely kept. Pass it as the options of clusterCodes with
 * your seed and labels.
 */
export const RECOMMENDED_CODE_CLUSTERING = {
  normalize: "standardize",
  embedding: { kind: "umap", neighbors: 15, minDist: 0, components: 2 },
  method: "gmm",
  restarts: 20,
} as const satisfies Omit<ClusterCodesOptions, "seed">;

/**
 * N2D's clustering (McConville et al. 2020), the best on the deep parent's codes
 * (bench/clustering.ts, docs/clustering.md): the codes as they are, a UMAP with as many dimensions
 * as clusters (10 for the digits; 20 neighbours, minDist 0), then a full-covariance Gaussian
 * mixture with 20 EM restarts. With the training images' codes as `context` (unlabelled) it
 * clusters the test codes better still. No 2-D map: use RECOMMENDED_CODE_CLUSTERING to draw one.
 */
export const N2D_CODE_CLUSTERING = {
  normalize: "none",
  embedding: { kind: "umap", neighbors: 20, minDist: 0, components: 10 },
  method: "gmm",
  restarts: 20,
} as const satisfies Omit<ClusterCodesOptions, "seed">;

/** The codes with a normalisation applied (a new array). */
export function normalizeCodes(
  codes: Float32Array,
  n: number,
  dim: number,
  normalize: CodeNormalization,
): Float32Array {
  checkPoints(codes, n, dim, "codes");
  const out = Float32Array.from(codes);
  if (normalize === "none") return out;
  if (normalize === "l2") {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let t = 0; t < dim; t++) s += out[i * dim + t] ** 2;
      const scale = s > 0 ? 1 / Math.sqrt(s) : 0;
      for (let t = 0; t < dim; t++) out[i * dim + t] *= scale;
    }
    return out;
  }
  if (normalize === "standardize") {
    for (let t = 0; t < dim; t++) {
      let mean = 0;
      for (let i = 0; i < n; i++) mean += codes[i * dim + t];
      mean /= n;
      let variance = 0;
      for (let i = 0; i < n; i++) variance += (codes[i * dim + t] - mean) ** 2;
      const sd = Math.sqrt(variance / n);
      for (let i = 0; i < n; i++) out[i * dim + t] = sd > 0 ? (codes[i * dim + t] - mean) / sd : 0;
    }
    return out;
  }
  if (normalize === "pca-whiten") {
    return pcaTransform(fitPca(codes, n, dim), codes, n, { whiten: true });
  }
  throw new LatentInputError(
    `normalizeCodes: "${String(normalize)}" is unknown: use none, l2, standardize or pca-whiten.`,
  );
}

function describeEmbedding(embedding: CodeEmbedding): string {
  switch (embedding.kind) {
    case "none":
      return "none";
    case "pca":
      return `PCA-${embedding.components}`;
    case "umap":
      return `UMAP-${embedding.components ?? 2} (${embedding.neighbors ?? 15} nn, minDist ${embedding.minDist ?? 0})`;
    case "tsne":
      return `t-SNE (perplexity ${embedding.perplexity ?? 30})`;
  }
}

/** Normalise, embed and cluster n codes (row-major n × dim); score against `labels` if given. */
export async function clusterCodes(
  codes: Float32Array,
  n: number,
  dim: number,
  options: ClusterCodesOptions,
): Promise<ClusteredCodes> {
  const k = options.k ?? 10;
  const normalize = options.normalize ?? "none";
  const embedding: CodeEmbedding = options.embedding ?? { kind: "none" };
  const embedded = embedding.kind === "umap" || embedding.kind === "tsne";
  const method = options.method ?? (embedded ? "gmm" : "kmeans");
  const restarts = options.restarts ?? (method === "gmm" ? 20 : 10);
  const seed = options.seed;
  if (options.labels && options.labels.length !== n) {
    throw new LatentInputError(
      `clusterCodes: ${options.labels.length} labels for ${n} codes: pass one label per code.`,
    );
  }
  const clock = () => performance.now() / 1000;

  const runs = options.runs ?? 1;
  if (!Number.isInteger(runs) || runs < 1) {
    throw new LatentInputError(`clusterCodes: runs is ${runs}: pass a whole number of at least 1.`);
  }
  const context = options.context;
  if (context) checkPoints(context.codes, context.n, dim, "context codes");
  const total = n + (context?.n ?? 0);
  let all = codes;
  if (context) {
    checkPoints(codes, n, dim, "codes");
    all = new Float32Array(total * dim);
    all.set(codes.subarray(0, n * dim), 0);
    all.set(context.codes.subarray(0, context.n * dim), n * dim);
  }

  let t = clock();
  const normalized = normalizeCodes(all, total, dim, normalize);
  const seconds = { normalize: clock() - t, embed: 0, cluster: 0, score: 0 };

  const attempts: EmbeddedClusters[] = [];
  for (let r = 0; r < runs; r++) {
    const runSeed = r === 0 ? seed : deriveSeed(seed, r);
    const attempt = await embedAndCluster(normalized, total, dim, embedding, method, k, restarts, {
      seed: runSeed,
      onProgress: options.onProgress,
    });
    seconds.embed += attempt.seconds.embed;
    seconds.cluster += attempt.seconds.cluster;
    attempts.push(attempt);
  }
  const agreement = meanAgreement(attempts.map((a) => a.assignments));
  const chosen = agreement.indexOf(Math.max(...agreement));
  const kept = attempts[chosen];
  const { featureDim, centers } = kept;
  // With context points, only the first n rows are the codes asked about.
  const ownRows = <T extends Float32Array | Int32Array>(a: T, width: number): T =>
    (context ? a.slice(0, n * width) : a) as T;
  const features = ownRows(kept.features, featureDim);
  const embeddingOut = kept.embedding && ownRows(kept.embedding, featureDim);
  const assignments = ownRows(kept.assignments, 1);

  t = clock();
  let scores: ClusterScores | undefined;
  if (options.labels) {
    const matched = clusterAccuracy(options.labels, assignments);
    scores = {
      accuracy: matched.accuracy,
      nmi: normalizedMutualInfo(options.labels, assignments),
      ari: adjustedRandIndex(options.labels, assignments),
      contingency: contingencyTable(options.labels, assignments),
      mapping: matched.mapping,
    };
  }
  let silhouette: number | undefined;
  if (options.silhouette) {
    const sampleSize = typeof options.silhouette === "number" ? options.silhouette : undefined;
    silhouette = silhouetteScore(features, n, featureDim, assignments, {
      sampleSize,
      seed: createRng(deriveSeed(seed, 5)).int(2 ** 31),
    });
  }
  seconds.score = clock() - t;

  return {
    assignments,
    k,
    features,
    featureDim,
    ...(embeddingOut ? { embedding: embeddingOut } : {}),
    centers,
    ...(scores ? { scores } : {}),
    ...(silhouette !== undefined ? { silhouette } : {}),
    ...(runs > 1 ? { selection: { agreement, chosen } } : {}),
    seconds,
    settings: {
      normalize,
      embedding: describeEmbedding(embedding),
      method,
      k,
      restarts,
      runs,
      context: context?.n ?? 0,
    },
  };
}

interface EmbeddedClusters {
  features: Float32Array;
  featureDim: number;
  embedding?: Float32Array;
  assignments: Int32Array;
  centers: Float32Array;
  seconds: { embed: number; cluster: number };
}

/** One run of the embedding (none, PCA, UMAP or t-SNE) and the clustering of its points. */
async function embedAndCluster(
  normalized: Float32Array,
  n: number,
  dim: number,
  embedding: CodeEmbedding,
  method: "kmeans" | "gmm",
  k: number,
  restarts: number,
  options: { seed: number; onProgress?: ClusterCodesOptions["onProgress"] },
): Promise<EmbeddedClusters> {
  const { seed } = options;
  const clock = () => performance.now() / 1000;
  let t = clock();
  let features = normalized;
  let featureDim = dim;
  let embeddingOut: Float32Array | undefined;
  if (embedding.kind === "pca") {
    const model = fitPca(normalized, n, dim, { components: embedding.components });
    features = pcaTransform(model, normalized, n);
    featureDim = model.count;
    embeddingOut = features;
  } else if (embedding.kind === "umap") {
    featureDim = embedding.components ?? 2;
    features = await umapEmbedAsync(normalized, n, dim, {
      neighbors: embedding.neighbors ?? 15,
      minDist: embedding.minDist ?? 0,
      components: featureDim,
      init: embedding.init,
      epochs: embedding.epochs,
      seed: deriveSeed(seed, 1),
      onProgress: (epoch, epochs) => options.onProgress?.("umap", epoch / epochs),
    });
    embeddingOut = features;
  } else if (embedding.kind === "tsne") {
    const iterations = embedding.iterations ?? 1000;
    const result = await tsneAsync(normalized, n, dim, {
      perplexity: embedding.perplexity ?? 30,
      iterations,
      seed: deriveSeed(seed, 2),
      onProgress: (iteration: number) => options.onProgress?.("tsne", iteration / iterations),
    });
    features = result.embedding;
    featureDim = 2;
    embeddingOut = features;
  } else if (embedding.kind !== "none") {
    throw new LatentInputError(
      `clusterCodes: embedding kind "${String((embedding as { kind: unknown }).kind)}" is unknown: use none, pca, umap or tsne.`,
    );
  }
  const embed = clock() - t;

  t = clock();
  let assignments: Int32Array;
  let centers: Float32Array;
  if (method === "kmeans") {
    const result = kmeans(features, n, featureDim, { k, restarts, seed: deriveSeed(seed, 3) });
    assignments = result.assignments;
    centers = result.centroids;
  } else if (method === "gmm") {
    const result = gaussianMixture(features, n, featureDim, {
      k,
      restarts,
      seed: deriveSeed(seed, 4),
    });
    assignments = result.assignments;
    centers = Float32Array.from(result.means);
  } else {
    throw new LatentInputError(
      `clusterCodes: method "${String(method)}" is unknown: use kmeans or gmm.`,
    );
  }
  return {
    features,
    featureDim,
    ...(embeddingOut ? { embedding: embeddingOut } : {}),
    assignments,
    centers,
    seconds: { embed, cluster: clock() - t },
  };
}
