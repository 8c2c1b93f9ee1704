/**
 * The codes of a saved run: its encoder applied to the test set (or the training split), computed
 * once and kept with the run so later notebooks read them instead of re-encoding.
 *
 *   runs/<name>/codes/
 *     test.f32          n × dim float32, row-major, little-endian (the codes)
 *     test.labels.u8    n labels, one byte each
 *     test.json         n, dim, file names, SHA-256 of both files, and the fingerprint
 *     train.*           the same for the training split (only when asked for)
 *
 * The fingerprint is a SHA-256 over the encoder's files (model.json and weights.bin) and every
 * config value that decides which images the split holds (dataset, seed, validation fraction,
 * limits, excluded classes). A run that was resumed or retrained has new weights, hence a new
 * fingerprint, and its old codes are stale.
 *
 * A cache that is missing, stale, truncated or otherwise damaged (size or checksum mismatch,
 * unreadable JSON) is never trusted: `readCachedCodes` throws a CodesCacheError naming which,
 * and `loadOrEncodeCodes` catches it and encodes again, reporting why in `reason`. Codes are a
 * derived cache that can always be recomputed from the run, so recomputing is the useful answer;
 * the typed error is there for callers that want to know (or to refuse).
 *
 * The data files are written first and the JSON last, each atomically (lib/runs/atomic.ts), so a
 * crash mid-write leaves either the old complete cache or a JSON whose checksums do not match.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ExperimentConfig } from "../config";
import { initBackend } from "../backend/select";
import { loadDataset, prepareDataset } from "../data";
import {
  pixelsPerImage,
  type ImageSet,
  type ImageShape,
  type PreparedDataset,
} from "../data/types";
import { AutoencoderLabError } from "../errors";
import { displayPath } from "../paths";
import { createRng, permutation } from "../random";
import {
  readJson,
  resolveCompleteFolder,
  writeFileAtomic,
  writeJsonAtomic,
  WriteError,
} from "../runs/atomic";
import { loadRun, loadRunModel, RunError, type LoadedRun } from "../runs/run-folder";
import { encodeSet } from "../train/evaluate";

export type CodeSplit = "test" | "train";

/** Version of the files in runs/<name>/codes; a different version is treated as stale. */
const CODES_FORMAT = 1;

/** Why a cache in runs/<name>/codes cannot be used. */
export type CodesCacheProblem = "missing" | "stale" | "damaged";

/** The cached codes of a run cannot be used: missing, stale (other weights or data), or damaged. */
export class CodesCacheError extends AutoencoderLabError {
  constructor(
    message: string,
    readonly problem: CodesCacheProblem,
    readonly path: string,
  ) {
    super(message);
  }
}

/** What runs/<name>/codes/<split>.json holds. */
export interface CodesMeta {
  format: number;
  split: CodeSplit;
  n: number;
  dim: number;
  codesFile: string;
  labelsFile: string;
  codesSha256: string;
  labelsSha256: string;
  fingerprint: string;
  /** Which saved model encoded them ("model" = the final model). */
  model: "model" | "checkpoint";
  dataset: string;
  shape: ImageShape;
  classNames: string[];
  createdAt: string;
  encodeSeconds: number;
}

/** Codes of one split of a run, with their labels. */
export interface RunCodes {
  split: CodeSplit;
  /** n × dim, row-major. */
  codes: Float32Array;
  labels: Uint8Array;
  n: number;
  dim: number;
  /** Image shape and class names of the run's dataset (for thumbnails and legends). */
  shape: ImageShape;
  classNames: string[];
  fingerprint: string;
  /** "cache": read from runs/<name>/codes; "encoded": computed by this call (and cached). */
  source: "cache" | "encoded";
  /** Why the cache was not used, when source is "encoded". */
  reason?: string;
  /** Set when the codes were encoded but could not be cached (e.g. a read-only run folder). */
  cacheWriteError?: string;
  /**
   * The split's images, n × pixels in [0, 1], row i belonging to code i. When the codes came
   * from the cache, the first call loads and prepares the dataset (about a second for MNIST).
   */
  images(): Promise<Float32Array>;
}

export interface CodesOptions {
  /** The saved model to encode with: the final "model" (default) or the last "checkpoint". */
  from?: "model" | "checkpoint";
  /**
   * The run's data, already loaded and prepared with the run's config (saves reloading). It must
   * be what prepareDataset(loadDataset(config.data), config.data, config.seed) gives.
   */
  data?: PreparedDataset;
  /** Rows encoded per batch (memory stays bounded by this; default 1000). */
  batchSize?: number;
  /** Runs folder for a run given by name (default: the run's config default, "runs"). */
  runsDir?: string;
}

/** The folder holding a run's cached codes. */
export function codesFolder(runFolder: string): string {
  return path.join(runFolder, "codes");
}

function sha256(bytes: Uint8Array): string {
  return crypto.createHash("sha256").update(bytes).digest("hex");
}

function bytesOf(array: Float32Array | Uint8Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/** The config values that decide which images a split holds. */
function dataIdentity(config: ExperimentConfig, split: CodeSplit): unknown {
  const d = config.data;
  return {
    split,
    dataset: d.dataset,
    folder: d.folder,
    seed: config.seed,
    validationFraction: d.validationFraction,
    trainLimit: d.trainLimit,
    testLimit: d.testLimit,
    excludeClasses: d.excludeClasses ?? null,
  };
}

/**
 * The fingerprint of a run's encoder and data for one split: a SHA-256 over the encoder's
 * model.json and weights.bin and the data identity. Changes when the run is resumed or retrained.
 */
export function codesFingerprint(
  run: LoadedRun,
  split: CodeSplit,
  from: "model" | "checkpoint" = "model",
): string {
  const folder = resolveCompleteFolder(path.join(run.folder, from));
  if (!folder) {
    throw new RunError(
      `Run "${run.record.name}" has no ${from === "model" ? "final model" : "checkpoint"} (status ${run.record.status}): ` +
        (from === "model"
          ? 'finish it with --resume, or encode with its checkpoint ({from: "checkpoint"}).'
          : "it stopped before its first epoch ended."),
    );
  }
  const hash = crypto.createHash("sha256");
  hash.update(`codes-format-${CODES_FORMAT}\n`);
  for (const file of ["model.json", "weights.bin"]) {
    const full = path.join(folder, "encoder", file);
    try {
      hash.update(fs.readFileSync(full));
    } catch {
      throw new RunError(
        `Run "${run.record.name}": ${full} is missing or unreadable, so its encoder cannot be used. Retrain the run.`,
      );
    }
  }
  hash.update(JSON.stringify(dataIdentity(run.config, split)));
  return hash.digest("hex");
}

function metaPath(runFolder: string, split: CodeSplit): string {
  return path.join(codesFolder(runFolder), `${split}.json`);
}

function isMeta(value: unknown): value is CodesMeta {
  const m = value as CodesMeta;
  return (
    typeof m === "object" &&
    m !== null &&
    Number.isInteger(m.n) &&
    Number.isInteger(m.dim) &&
    m.n > 0 &&
    m.dim > 0 &&
    typeof m.codesFile === "string" &&
    typeof m.labelsFile === "string" &&
    typeof m.codesSha256 === "string" &&
    typeof m.labelsSha256 === "string" &&
    typeof m.fingerprint === "string" &&
    typeof m.shape === "object" &&
    Array.isArray(m.classNames)
  );
}

/**
 * Read a run's cached codes for a split. Throws CodesCacheError when there are none ("missing"),
 * when they were made by other weights or other data than `fingerprint` says ("stale"), or when
 * a file is truncated, altered or unreadable ("damaged").
 */
export function readCachedCodes(
  runFolder: string,
  split: CodeSplit,
  fingerprint: string,
): { codes: Float32Array; labels: Uint8Array; meta: CodesMeta } {
  const file = metaPath(runFolder, split);
  if (!fs.existsSync(file)) {
    throw new CodesCacheError(`No cached ${split} codes at ${displayPath(file)}.`, "missing", file);
  }
  let meta: unknown;
  try {
    meta = readJson(file, `the ${split} codes record`);
  } catch (error) {
    throw new CodesCacheError((error as Error).message, "damaged", file);
  }
  if (!isMeta(meta)) {
    throw new CodesCacheError(
      `${displayPath(file)} lacks n, dim, file names or checksums: the codes record is damaged.`,
      "damaged",
      file,
    );
  }
  if (meta.format !== CODES_FORMAT || meta.fingerprint !== fingerprint) {
    throw new CodesCacheError(
      `The ${split} codes in ${displayPath(codesFolder(runFolder))} were made by other encoder weights or other data ` +
        `(the run was resumed or retrained since): they are stale.`,
      "stale",
      file,
    );
  }
  const read = (name: string, bytes: number, sha: string): Buffer => {
    const full = path.join(codesFolder(runFolder), path.basename(name));
    let data: Buffer;
    try {
      data = fs.readFileSync(full);
    } catch {
      throw new CodesCacheError(`${displayPath(full)} is missing or unreadable.`, "damaged", full);
    }
    if (data.length !== bytes) {
      throw new CodesCacheError(
        `${displayPath(full)} has ${data.length} bytes, expected ${bytes} (${split} codes: n ${meta.n} × dim ${meta.dim}): the file is truncated or damaged.`,
        "damaged",
        full,
      );
    }
    if (sha256(data) !== sha) {
      throw new CodesCacheError(
        `${displayPath(full)} does not match its SHA-256 in ${path.basename(file)}: the file is damaged.`,
        "damaged",
        full,
      );
    }
    return data;
  };
  const codeBytes = read(meta.codesFile, meta.n * meta.dim * 4, meta.codesSha256);
  const labelBytes = read(meta.labelsFile, meta.n, meta.labelsSha256);
  // Copy into fresh, aligned buffers (a Buffer may sit at any offset of a shared pool).
  const codes = new Float32Array(meta.n * meta.dim);
  bytesOf(codes).set(codeBytes);
  const labels = new Uint8Array(labelBytes);
  return { codes, labels, meta };
}

/** Write codes and labels of a split into runs/<name>/codes (data files first, JSON last). */
export function writeCachedCodes(
  runFolder: string,
  meta: CodesMeta,
  codes: Float32Array,
  labels: Uint8Array,
): void {
  const folder = codesFolder(runFolder);
  try {
    fs.mkdirSync(folder, { recursive: true });
  } catch (error) {
    throw new WriteError(`Could not create ${folder}: ${(error as Error).message}`, folder);
  }
  writeFileAtomic(path.join(folder, meta.codesFile), bytesOf(codes));
  writeFileAtomic(path.join(folder, meta.labelsFile), labels);
  writeJsonAtomic(metaPath(runFolder, meta.split), meta);
}

/** The run's prepared data, loaded as the run's config says (so splits match training). */
async function prepareRunData(run: LoadedRun): Promise<PreparedDataset> {
  return prepareDataset(await loadDataset(run.config.data), run.config.data, run.config.seed);
}

function splitOf(data: PreparedDataset, split: CodeSplit): ImageSet {
  return split === "test" ? data.test : data.train;
}

/**
 * The codes of a run's test set (or training split) with their labels: read from
 * runs/<name>/codes when that cache is present and matches the run's current encoder and data,
 * otherwise encoded now (in batches) and cached. `run` is a folder path, a run name (under
 * `options.runsDir`), or a LoadedRun.
 */
export async function loadOrEncodeCodes(
  run: string | LoadedRun,
  split: CodeSplit = "test",
  options: CodesOptions = {},
): Promise<RunCodes> {
  if (split !== "test" && split !== "train") {
    throw new AutoencoderLabError(`Unknown split "${String(split)}": use "test" or "train".`);
  }
  const loaded = typeof run === "string" ? loadRun(run, options.runsDir) : run;
  const from = options.from ?? "model";
  const fingerprint = codesFingerprint(loaded, split, from);
  // Closures below keep only the split's images, never the whole prepared dataset (hundreds of MB).
  const given = options.data;
  const imagesFrom = (labels: Uint8Array) => {
    let images: Float32Array | null = null;
    return async (): Promise<Float32Array> => {
      if (images) return images;
      const set = splitOf(given ?? (await prepareRunData(loaded)), split);
      if (set.count !== labels.length || set.labels.some((l, i) => l !== labels[i])) {
        throw new RunError(
          `The ${split} images of run "${loaded.record.name}" (${set.count}) no longer match its cached codes (${labels.length}): ` +
            `the dataset files changed. Delete ${codesFolder(loaded.folder)} to encode again.`,
        );
      }
      images = set.images;
      return images;
    };
  };

  let reason: string;
  try {
    const cached = readCachedCodes(loaded.folder, split, fingerprint);
    return {
      split,
      codes: cached.codes,
      labels: cached.labels,
      n: cached.meta.n,
      dim: cached.meta.dim,
      shape: cached.meta.shape,
      classNames: cached.meta.classNames,
      fingerprint,
      source: "cache",
      images: imagesFrom(cached.labels),
    };
  } catch (error) {
    if (!(error instanceof CodesCacheError)) throw error;
    // A first use is no problem: say what happens rather than what was missing.
    reason =
      error.problem === "missing"
        ? `first use: encoded now and cached in ${displayPath(codesFolder(loaded.folder))}`
        : `encoded again: ${error.message}`;
  }

  const started = performance.now();
  const data = given ?? (await prepareRunData(loaded));
  const set = splitOf(data, split);
  if (set.count === 0) {
    throw new RunError(`Run "${loaded.record.name}" has no ${split} images to encode.`);
  }
  await initBackend("auto");
  const model = await loadRunModel(loaded, from);
  let codes: Float32Array;
  try {
    const inputSize = model.encoder.inputs[0].shape
      .slice(1)
      .reduce((a, b) => (a ?? 1) * (b ?? 1), 1);
    if (inputSize !== pixelsPerImage(data.shape)) {
      throw new RunError(
        `Run "${loaded.record.name}" takes ${inputSize} inputs but its data has ${pixelsPerImage(data.shape)} pixels per image: ` +
          `pass the data it was trained on (options.data), or check data.dataset in its config.json.`,
      );
    }
    codes = encodeSet(model, set, pixelsPerImage(data.shape), options.batchSize ?? 1000);
  } finally {
    model.encoder.dispose();
    model.decoder.dispose();
  }
  const labels = new Uint8Array(set.labels);
  const dim = codes.length / set.count;
  const meta: CodesMeta = {
    format: CODES_FORMAT,
    split,
    n: set.count,
    dim,
    codesFile: `${split}.f32`,
    labelsFile: `${split}.labels.u8`,
    codesSha256: sha256(bytesOf(codes)),
    labelsSha256: sha256(labels),
    fingerprint,
    model: from,
    dataset: data.name,
    shape: { ...data.shape },
    classNames: [...data.classNames],
    createdAt: new Date().toISOString(),
    encodeSeconds: (performance.now() - started) / 1000,
  };
  let cacheWriteError: string | undefined;
  try {
    writeCachedCodes(loaded.folder, meta, codes, labels);
  } catch (error) {
    if (!(error instanceof WriteError)) throw error;
    cacheWriteError = error.message;
  }
  const images = set.images;
  return {
    split,
    codes,
    labels,
    n: set.count,
    dim,
    shape: meta.shape,
    classNames: meta.classNames,
    fingerprint,
    source: "encoded",
    reason,
    ...(cacheWriteError ? { cacheWriteError } : {}),
    images: async () => images,
  };
}

/** Rows `indices` of an n × dim array, as a new (indices.length × dim) array. */
export function pickRows(
  points: Float32Array,
  dim: number,
  indices: ArrayLike<number>,
): Float32Array {
  const out = new Float32Array(indices.length * dim);
  for (let i = 0; i < indices.length; i++) {
    const row = indices[i];
    out.set(points.subarray(row * dim, (row + 1) * dim), i * dim);
  }
  return out;
}

/** A seeded random sample of rows (without replacement), in ascending index order. */
export interface CodesSample {
  /** count × dim rows of the codes. */
  points: Float32Array;
  labels: Uint8Array;
  /** Row of each sampled point in the full split (to find its image). */
  indices: Int32Array;
  n: number;
  dim: number;
}

/**
 * `count` rows picked at random (seeded) from n × dim codes, kept in their original order; all
 * rows when count ≥ n. For analyses too slow on a whole split (t-SNE, silhouettes).
 */
export function sampleCodes(
  codes: { codes: Float32Array; labels: Uint8Array; n: number; dim: number },
  count: number,
  seed: number,
): CodesSample {
  const take = Math.max(1, Math.min(codes.n, Math.floor(count)));
  const indices =
    take === codes.n
      ? Int32Array.from({ length: codes.n }, (_, i) => i)
      : Int32Array.from(permutation(codes.n, createRng(seed)).subarray(0, take)).sort();
  return {
    points: pickRows(codes.codes, codes.dim, indices),
    labels: Uint8Array.from(indices, (i) => codes.labels[i]),
    indices,
    n: take,
    dim: codes.dim,
  };
}
