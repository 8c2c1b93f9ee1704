/**
 * 2-D embeddings of a run's codes (t-SNE takes 30–90 s on 10,000 codes, UMAP several seconds),
 * computed once and kept next to the codes (entries of the run cache, ./run-cache.ts):
 *
 *   runs/<name>/codes/embeddings/
 *     <method>-<key>.f32    n × components float32, row-major, little-endian
 *     <method>-<key>.json   the cache record: fingerprint, the .f32 file's size and SHA-256,
 *                           method, options, n, input and output dimensions
 *
 * `<key>` is a short hash of the method and its options (so several settings live side by side).
 * The fingerprint covers the method, the options, the codes' fingerprint (./codes.ts: encoder
 * weights and data) and the input points themselves: an embedding made from other codes (the run
 * was retrained, or another sample was taken) is stale and computed again, never reused.
 */
import * as path from "node:path";
import { AutoencoderLabError } from "../errors";
import { canonicalJson, fingerprintOf, loadOrCompute, readCacheEntry } from "./run-cache";
import type { CacheEntry } from "./run-cache";

/** What an embedding is computed from, and with which settings. */
export interface EmbeddingKey {
  /** Cache folder, e.g. embeddingsFolder(run.folder). Created when needed. */
  folder: string;
  /** File-name prefix: lower-case letters, digits and dashes ("tsne", "umap"). */
  method: string;
  /** Every option that decides the result (perplexity, iterations, seed, …), JSON-serialisable. */
  options: Record<string, unknown>;
  /** The codes' fingerprint (RunCodes.fingerprint). */
  fingerprint: string;
  /** The input points, n × dim row-major (part of the fingerprint). */
  points: Float32Array;
  n: number;
  dim: number;
}

/** What the cache record of an embedding says beyond the file (its `info`). */
export interface EmbeddingInfo {
  method: string;
  options: Record<string, unknown>;
  n: number;
  inputDim: number;
  components: number;
}

/** An embedding, read from the cache or computed by this call. */
export interface CachedEmbedding {
  /** n × components, row-major. */
  embedding: Float32Array;
  n: number;
  components: number;
  source: "cache" | "computed";
  /** Why the cache was not used, when source is "computed". */
  reason?: string;
  /** Seconds the computation took (when computed now, or when the cache was written). */
  seconds: number;
  /** The cache's JSON file. */
  file: string;
  /** Set when the embedding was computed but could not be cached (e.g. a read-only folder). */
  cacheWriteError?: string;
}

/** The folder holding a run's cached maps: runs/<name>/codes/embeddings. */
export function embeddingsFolder(runFolder: string): string {
  return path.join(runFolder, "codes", "embeddings");
}

function checkKey(key: EmbeddingKey): void {
  if (!/^[a-z0-9-]+$/.test(key.method)) {
    throw new AutoencoderLabError(
      `Embedding method "${key.method}" cannot name a cache file: use lower-case letters, digits and dashes.`,
    );
  }
  if (!(Number.isInteger(key.n) && key.n > 0 && Number.isInteger(key.dim) && key.dim > 0)) {
    throw new AutoencoderLabError(
      `Embedding cache: n (${key.n}) and dim (${key.dim}) must be positive integers.`,
    );
  }
  if (key.points.length !== key.n * key.dim) {
    throw new AutoencoderLabError(
      `Embedding cache: ${key.points.length} input values are not n ${key.n} × dim ${key.dim}; pass the points the embedding is computed from.`,
    );
  }
}

/** "<method>-<12 hex digits of the settings' hash>": one entry per method and options. */
function entryName(key: Pick<EmbeddingKey, "method" | "options">): string {
  const settings = canonicalJson({ method: key.method, options: key.options });
  return `${key.method}-${fingerprintOf(settings).slice(0, 12)}`;
}

function embeddingEntry(key: EmbeddingKey): CacheEntry {
  checkKey(key);
  return {
    folder: key.folder,
    name: entryName(key),
    what: `${key.method} embedding`,
    fingerprint: fingerprintOf(
      "embedding",
      canonicalJson({ method: key.method, options: key.options }),
      key.fingerprint,
      `${key.n}x${key.dim}`,
      key.points,
    ),
    staleBecause:
      "was made from other codes or options (the run was retrained, or another sample was taken)",
  };
}

function isEmbeddingInfo(value: unknown): value is EmbeddingInfo {
  const m = value as EmbeddingInfo;
  return (
    typeof m === "object" &&
    m !== null &&
    Number.isInteger(m.n) &&
    Number.isInteger(m.components) &&
    m.components > 0
  );
}

/** The JSON file of the cache entry for `method` with `options` (data file: same name, .f32). */
export function embeddingCacheFile(
  key: Pick<EmbeddingKey, "folder" | "method" | "options">,
): string {
  return path.join(key.folder, `${entryName(key)}.json`);
}

function embeddingOf(arrays: Record<string, Float32Array | Uint8Array>, info: EmbeddingInfo) {
  const embedding = arrays.f32;
  if (!(embedding instanceof Float32Array && embedding.length === info.n * info.components)) {
    throw new AutoencoderLabError(
      `The ${info.method} embedding record says ${info.n} × ${info.components}, its file holds another size.`,
    );
  }
  return embedding;
}

/**
 * Read a cached embedding. Throws RunCacheError when there is none ("missing"), when it was
 * made from other codes, points or options ("stale"), or when a file is damaged.
 */
export function readCachedEmbedding(key: EmbeddingKey): {
  embedding: Float32Array;
  info: EmbeddingInfo;
} {
  const { arrays, record } = readCacheEntry(embeddingEntry(key), isEmbeddingInfo);
  return { embedding: embeddingOf(arrays, record.info), info: record.info };
}

/**
 * The embedding of `key.points`: read from the cache when it matches the codes, points and
 * options, otherwise computed by `compute` and cached (a cache that cannot be written is
 * reported in `cacheWriteError`, the embedding is still returned).
 */
export async function loadOrComputeEmbedding(
  key: EmbeddingKey,
  compute: () => Float32Array | Promise<Float32Array>,
): Promise<CachedEmbedding> {
  const entry = embeddingEntry(key);
  const result = await loadOrCompute(entry, isEmbeddingInfo, async () => {
    const embedding = await compute();
    const components = embedding.length / key.n;
    if (!Number.isInteger(components) || components <= 0) {
      throw new AutoencoderLabError(
        `Embedding cache: ${embedding.length} values are not rows for ${key.n} points.`,
      );
    }
    const info: EmbeddingInfo = {
      method: key.method,
      options: key.options,
      n: key.n,
      inputDim: key.dim,
      components,
    };
    return { arrays: { f32: embedding }, info };
  });
  const info = result.record.info;
  return {
    embedding: embeddingOf(result.arrays, info),
    n: info.n,
    components: info.components,
    source: result.source,
    ...(result.source === "computed"
      ? {
          reason: result.problem.message,
          ...(result.cacheWriteError ? { cacheWriteError: result.cacheWriteError } : {}),
        }
      : {}),
    seconds: result.record.seconds,
    file: embeddingCacheFile(key),
  };
}
