/**
 * The codes of a saved run: its encoder applied to the test set (or the training split), computed
 * once and kept with the run (one entry of the run cache, ./run-cache.ts) so later notebooks read
 * them instead of re-encoding:
 *
 *   runs/<name>/codes/
 *     test.f32          n × dim float32, row-major, little-endian (the codes)
 *     test.labels.u8    n labels, one byte each
 *     test.json         the cache record: fingerprint, both files' sizes and SHA-256, n, dim,
 *                       shape, class names, which model encoded them
 *     train.*           the same for the training split (only when asked for)
 *
 * The fingerprint is a SHA-256 over the encoder's files (model.json and weights.bin) and every
 * config value that decides which images the split holds (dataset, seed, validation fraction,
 * limits, excluded classes). A run that was resumed or retrained has new weights, hence a new
 * fingerprint, and its old codes are stale. A stale, damaged or missing cache is encoded again
 * (`reason` says why); `readCachedCodes` throws the RunCacheError for callers that want to know.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { BackendChoice, ExperimentConfig } from "../config";
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
import { encodeSet } from "../model/inference";
import { resolveCompleteFolder } from "./atomic";
import {
  fingerprintOf,
  loadOrCompute,
  readCacheEntry,
  type CacheEntry,
  type CacheResult,
} from "./run-cache";
import { loadRun, loadRunModel, RunError, type LoadedRun } from "./run-folder";

export type CodeSplit = "test" | "train";

/** What the cache record of a split's codes says beyond the files (its `info`). */
export interface CodesInfo {
  split: CodeSplit;
  n: number;
  dim: number;
  /** Which saved model encoded them ("model" = the final model). */
  model: "model" | "checkpoint";
  dataset: string;
  shape: ImageShape;
  classNames: string[];
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
   * The run's data, already loaded and prepared with the run's config (saves reloading), or a
   * function giving it when needed. It must be what prepareDataset(loadDataset(config.data),
   * config.data, config.seed) gives.
   */
  data?: PreparedDataset | (() => Promise<PreparedDataset>);
  /** Rows encoded per batch (memory stays bounded by this; default 1000). */
  batchSize?: number;
  /** Runs folder for a run given by name (default: the run's config default, "runs"). */
  runsDir?: string;
  /** Backend started when the codes must be encoded (default "auto"). */
  backend?: BackendChoice;
}

/** The folder holding a run's cached codes (and, under embeddings/, their maps). */
export function codesFolder(runFolder: string): string {
  return path.join(runFolder, "codes");
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
  const files = ["model.json", "weights.bin"].map((file) => {
    const full = path.join(folder, "encoder", file);
    try {
      return fs.readFileSync(full);
    } catch {
      throw new RunError(
        `Run "${run.record.name}": ${full} is missing or unreadable, so its encoder cannot be used. Retrain the run.`,
      );
    }
  });
  return fingerprintOf("codes", ...files, JSON.stringify(dataIdentity(run.config, split)));
}

function codesEntry(runFolder: string, split: CodeSplit, fingerprint: string): CacheEntry {
  return {
    folder: codesFolder(runFolder),
    name: split,
    what: `${split} codes`,
    fingerprint,
    staleBecause:
      "were made by other encoder weights or other data (the run was resumed or retrained since)",
  };
}

function isCodesInfo(value: unknown): value is CodesInfo {
  const m = value as CodesInfo;
  return (
    typeof m === "object" &&
    m !== null &&
    Number.isInteger(m.n) &&
    Number.isInteger(m.dim) &&
    m.n > 0 &&
    m.dim > 0 &&
    typeof m.shape === "object" &&
    Array.isArray(m.classNames)
  );
}

function codesOf(result: Pick<CacheResult<CodesInfo>, "arrays" | "record">, file: string) {
  const { n, dim } = result.record.info;
  const codes = result.arrays.f32;
  const labels = result.arrays["labels.u8"];
  if (!(codes instanceof Float32Array && codes.length === n * dim)) {
    throw new RunError(`${displayPath(file)}: the codes are not n ${n} × dim ${dim}.`);
  }
  if (!(labels instanceof Uint8Array && labels.length === n)) {
    throw new RunError(`${displayPath(file)}: the labels are not ${n} bytes.`);
  }
  return { codes, labels, info: result.record.info };
}

/**
 * Read a run's cached codes for a split. Throws RunCacheError when there are none ("missing"),
 * when they were made by other weights or other data than `fingerprint` says ("stale"), or when
 * a file is truncated, altered or unreadable ("damaged").
 */
export function readCachedCodes(
  runFolder: string,
  split: CodeSplit,
  fingerprint: string,
): { codes: Float32Array; labels: Uint8Array; info: CodesInfo } {
  const entry = codesEntry(runFolder, split, fingerprint);
  return codesOf(readCacheEntry(entry, isCodesInfo), path.join(entry.folder, `${split}.json`));
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
  const given = options.data;
  const data = (): Promise<PreparedDataset> =>
    typeof given === "function" ? given() : given ? Promise.resolve(given) : prepareRunData(loaded);
  const entry = codesEntry(loaded.folder, split, fingerprint);
  let encodedImages: Float32Array | null = null;
  const result = await loadOrCompute(entry, isCodesInfo, async () => {
    const prepared = await data();
    const set = splitOf(prepared, split);
    if (set.count === 0) {
      throw new RunError(`Run "${loaded.record.name}" has no ${split} images to encode.`);
    }
    await initBackend(options.backend ?? "auto");
    const model = await loadRunModel(loaded, from);
    let codes: Float32Array;
    try {
      const inputSize = model.encoder.inputs[0].shape
        .slice(1)
        .reduce((a, b) => (a ?? 1) * (b ?? 1), 1);
      if (inputSize !== pixelsPerImage(prepared.shape)) {
        throw new RunError(
          `Run "${loaded.record.name}" takes ${inputSize} inputs but its data has ${pixelsPerImage(prepared.shape)} pixels per image: ` +
            `pass the data it was trained on (options.data), or check data.dataset in its config.json.`,
        );
      }
      codes = encodeSet(model, set, pixelsPerImage(prepared.shape), options.batchSize ?? 1000);
    } finally {
      model.dispose();
    }
    // Keep only the split's images, never the whole prepared dataset (hundreds of MB).
    encodedImages = set.images;
    const info: CodesInfo = {
      split,
      n: set.count,
      dim: codes.length / set.count,
      model: from,
      dataset: prepared.name,
      shape: { ...prepared.shape },
      classNames: [...prepared.classNames],
    };
    return { arrays: { f32: codes, "labels.u8": new Uint8Array(set.labels) }, info };
  });
  const { codes, labels, info } = codesOf(result, path.join(entry.folder, `${split}.json`));
  let images: Float32Array | null = encodedImages;
  return {
    split,
    codes,
    labels,
    n: info.n,
    dim: info.dim,
    shape: info.shape,
    classNames: info.classNames,
    fingerprint,
    ...(result.source === "cache"
      ? { source: "cache" as const }
      : {
          source: "encoded" as const,
          // A first use is no problem: say what happens rather than what was missing.
          reason:
            result.problem.problem === "missing"
              ? `first use: encoded now and cached in ${displayPath(entry.folder)}`
              : `encoded again: ${result.problem.message}`,
          ...(result.cacheWriteError ? { cacheWriteError: result.cacheWriteError } : {}),
        }),
    images: async () => {
      if (images) return images;
      const set = splitOf(await data(), split);
      if (set.count !== labels.length || set.labels.some((l, i) => l !== labels[i])) {
        throw new RunError(
          `The ${split} images of run "${loaded.record.name}" (${set.count}) no longer match its cached codes (${labels.length}): ` +
            `the dataset files changed. Delete ${displayPath(entry.folder)} to encode again.`,
        );
      }
      images = set.images;
      return images;
    },
  };
}
