/**
 * 2-D embeddings of a run's codes (t-SNE takes 30–90 s on 10,000 codes, UMAP several seconds),
 * computed once and kept next to the codes so the next report or notebook reads them:
 *
 *   runs/<name>/codes/embeddings/
 *     <method>-<key>.f32    n × components float32, row-major, little-endian
 *     <method>-<key>.json   method, options, the codes' fingerprint, input SHA-256, n, components,
 *                           SHA-256 of the .f32 file
 *
 * `<key>` is a short hash of the method and its options (so several settings live side by side).
 * The JSON also records the codes' fingerprint (lib/latent/codes.ts: encoder weights and data) and
 * a SHA-256 of the input points: an embedding made from other codes (the run was retrained, or
 * another sample was taken) is stale and computed again, never reused. A damaged file (size or
 * checksum mismatch, unreadable JSON) is recomputed too. Data file first, JSON last, each
 * atomically (lib/runs/atomic.ts), so a crash leaves the old cache or one whose checksum fails.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { AutoencoderLabError } from "../errors";
import { readJson, writeFileAtomic, writeJsonAtomic, WriteError } from "../runs/atomic";

/** Version of the cache files; another version is treated as stale. */
const EMBEDDING_FORMAT = 1;

/** Why a cached embedding cannot be used. */
export type EmbeddingCacheProblem = "missing" | "stale" | "damaged";

/** A cached embedding is missing, made from other codes or options (stale), or damaged. */
export class EmbeddingCacheError extends AutoencoderLabError {
  constructor(
    message: string,
    readonly problem: EmbeddingCacheProblem,
    readonly path: string,
  ) {
    super(message);
  }
}

/** What an embedding is computed from, and with which settings. */
export interface EmbeddingKey {
  /** Cache folder, e.g. path.join(codesFolder(run.folder), "embeddings"). Created when needed. */
  folder: string;
  /** File-name prefix: lower-case letters, digits and dashes ("tsne", "umap"). */
  method: string;
  /** Every option that decides the result (perplexity, iterations, seed, …), JSON-serialisable. */
  options: Record<string, unknown>;
  /** The codes' fingerprint (RunCodes.fingerprint). */
  fingerprint: string;
  /** The input points, n × dim row-major (their SHA-256 is part of the key). */
  points: Float32Array;
  n: number;
  dim: number;
}

/** What <method>-<key>.json holds. */
export interface EmbeddingMeta {
  format: number;
  method: string;
  options: Record<string, unknown>;
  fingerprint: string;
  inputSha256: string;
  n: number;
  inputDim: number;
  components: number;
  file: string;
  sha256: string;
  createdAt: string;
  seconds: number;
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

function sha256(bytes: Uint8Array): string {
  return crypto.createHash("sha256").update(bytes).digest("hex");
}

function bytesOf(array: Float32Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/** JSON with object keys sorted, so {a, b} and {b, a} give the same key. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)),
        )
      : v,
  );
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

/** The JSON file of the cache entry for `method` with `options` (data file: same name, .f32). */
export function embeddingCacheFile(
  key: Pick<EmbeddingKey, "folder" | "method" | "options">,
): string {
  const hash = sha256(Buffer.from(canonical({ method: key.method, options: key.options })));
  return path.join(key.folder, `${key.method}-${hash.slice(0, 12)}.json`);
}

/**
 * Read a cached embedding. Throws EmbeddingCacheError when there is none ("missing"), when it
 * was made from other codes, points or options ("stale"), or when a file is damaged.
 */
export function readCachedEmbedding(key: EmbeddingKey): {
  embedding: Float32Array;
  meta: EmbeddingMeta;
} {
  checkKey(key);
  const file = embeddingCacheFile(key);
  if (!fs.existsSync(file)) {
    throw new EmbeddingCacheError(`No cached ${key.method} embedding at ${file}.`, "missing", file);
  }
  let meta: EmbeddingMeta;
  try {
    meta = readJson(file, `the ${key.method} embedding record`) as EmbeddingMeta;
  } catch (error) {
    throw new EmbeddingCacheError((error as Error).message, "damaged", file);
  }
  if (
    typeof meta !== "object" ||
    meta === null ||
    typeof meta.file !== "string" ||
    typeof meta.sha256 !== "string" ||
    !Number.isInteger(meta.n) ||
    !Number.isInteger(meta.components) ||
    meta.components <= 0
  ) {
    throw new EmbeddingCacheError(
      `${file} lacks n, components, file name or checksum: the embedding record is damaged.`,
      "damaged",
      file,
    );
  }
  if (
    meta.format !== EMBEDDING_FORMAT ||
    meta.method !== key.method ||
    canonical(meta.options) !== canonical(key.options) ||
    meta.fingerprint !== key.fingerprint ||
    meta.n !== key.n ||
    meta.inputDim !== key.dim ||
    meta.inputSha256 !== sha256(bytesOf(key.points))
  ) {
    throw new EmbeddingCacheError(
      `The ${key.method} embedding at ${file} was made from other codes or options (the run was retrained, or another sample was taken): it is stale.`,
      "stale",
      file,
    );
  }
  const data = path.join(path.dirname(file), path.basename(meta.file));
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(data);
  } catch {
    throw new EmbeddingCacheError(`${data} is missing or unreadable.`, "damaged", data);
  }
  if (bytes.length !== meta.n * meta.components * 4 || sha256(bytes) !== meta.sha256) {
    throw new EmbeddingCacheError(
      `${data} does not match its size or SHA-256 in ${path.basename(file)}: the file is damaged.`,
      "damaged",
      data,
    );
  }
  const embedding = new Float32Array(meta.n * meta.components);
  bytesOf(embedding).set(bytes);
  return { embedding, meta };
}

/** Write an embedding into the cache (data file first, JSON last, each atomically). */
export function writeCachedEmbedding(
  key: EmbeddingKey,
  embedding: Float32Array,
  seconds: number,
): EmbeddingMeta {
  checkKey(key);
  const components = embedding.length / key.n;
  if (!Number.isInteger(components) || components <= 0) {
    throw new AutoencoderLabError(
      `Embedding cache: ${embedding.length} values are not rows for ${key.n} points.`,
    );
  }
  const file = embeddingCacheFile(key);
  try {
    fs.mkdirSync(key.folder, { recursive: true });
  } catch (error) {
    throw new WriteError(`Could not create ${key.folder}: ${(error as Error).message}`, key.folder);
  }
  const dataName = path.basename(file).replace(/\.json$/, ".f32");
  const meta: EmbeddingMeta = {
    format: EMBEDDING_FORMAT,
    method: key.method,
    options: key.options,
    fingerprint: key.fingerprint,
    inputSha256: sha256(bytesOf(key.points)),
    n: key.n,
    inputDim: key.dim,
    components,
    file: dataName,
    sha256: sha256(bytesOf(embedding)),
    createdAt: new Date().toISOString(),
    seconds,
  };
  writeFileAtomic(path.join(key.folder, dataName), bytesOf(embedding));
  writeJsonAtomic(file, meta);
  return meta;
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
  let reason: string;
  try {
    const { embedding, meta } = readCachedEmbedding(key);
    return {
      embedding,
      n: meta.n,
      components: meta.components,
      source: "cache",
      seconds: meta.seconds,
      file: embeddingCacheFile(key),
    };
  } catch (error) {
    if (!(error instanceof EmbeddingCacheError)) throw error;
    reason = error.message;
  }
  const started = performance.now();
  const embedding = await compute();
  const seconds = (performance.now() - started) / 1000;
  const components = embedding.length / key.n;
  let cacheWriteError: string | undefined;
  try {
    writeCachedEmbedding(key, embedding, seconds);
  } catch (error) {
    if (!(error instanceof WriteError)) throw error;
    cacheWriteError = error.message;
  }
  return {
    embedding,
    n: key.n,
    components,
    source: "computed",
    reason,
    seconds,
    file: embeddingCacheFile(key),
    ...(cacheWriteError ? { cacheWriteError } : {}),
  };
}
