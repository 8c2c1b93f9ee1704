/**
 * One fingerprinted cache for results derived from a saved run (its codes, their t-SNE and UMAP
 * maps): whatever takes seconds to minutes to recompute, and can always be recomputed.
 *
 * An entry is a record and its data files in one folder:
 *
 *   <folder>/<name>.json        format, the fingerprint, each data file's type, length and
 *                               SHA-256, the caller's `info` (n, dim, options, …), timings
 *   <folder>/<name>.<ext>       one file per array, raw little-endian: `.f32` float32, `.u8` bytes
 *                               (e.g. test.f32 + test.labels.u8, or tsne-<hash>.f32)
 *
 * The fingerprint is a SHA-256 over every input the result depends on (model files, settings,
 * input points): an entry whose fingerprint differs from the one asked for is stale and is
 * recomputed, never reused. A record of another format (an older version of this project) is
 * stale too. A missing, truncated or altered file, or a record that is not JSON or lacks fields,
 * is damaged: `readCacheEntry` throws a RunCacheError naming the problem, and `loadOrCompute`
 * recomputes and rewrites the entry, saying why in `problem`.
 *
 * Data files are written first and the record last, each atomically (./atomic.ts), so a crash
 * leaves the old complete entry or a record whose checksums fail.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { AutoencoderLabError } from "../errors";
import { displayPath } from "../paths";
import { readJson, writeFileAtomic, writeJsonAtomic, WriteError } from "./atomic";

/** Version of the record layout; a record of another version is stale. */
export const RUN_CACHE_FORMAT = 2;

/** Why a cache entry cannot be used. */
export type RunCacheProblem = "missing" | "stale" | "damaged";

/** A cache entry is missing, stale (made from other inputs), or damaged. */
export class RunCacheError extends AutoencoderLabError {
  constructor(
    message: string,
    readonly problem: RunCacheProblem,
    readonly path: string,
  ) {
    super(message);
  }
}

/** Where an entry lives and what it must have been made from. */
export interface CacheEntry {
  /** The entry's folder (created when written). */
  folder: string;
  /** File-name stem: letters, digits, '.', '_' and '-' ("test", "tsne-3f2a…"). */
  name: string;
  /** What the entry holds, for messages: "test codes", "tsne embedding". */
  what: string;
  /** SHA-256 (hex) over every input of the result (see fingerprintOf). */
  fingerprint: string;
  /** How an entry comes to have another fingerprint, for the stale message. */
  staleBecause?: string;
}

/** The arrays of an entry, by file extension: `f32` → Float32Array, anything ending `u8` → bytes. */
export type CacheArrays = Record<string, Float32Array | Uint8Array>;

/** One data file as the record lists it. */
export interface CacheFileRecord {
  file: string;
  type: "f32" | "u8";
  length: number;
  sha256: string;
}

/** What <name>.json holds. */
export interface CacheRecord<I> {
  format: number;
  fingerprint: string;
  /** Data files by extension. */
  files: Record<string, CacheFileRecord>;
  info: I;
  createdAt: string;
  /** Seconds the computation took. */
  seconds: number;
}

/** SHA-256 (hex) of strings and byte arrays, in order (strings are length-prefixed). */
export function fingerprintOf(...parts: Array<string | ArrayBufferView>): string {
  const hash = crypto.createHash("sha256");
  for (const part of parts) {
    if (typeof part === "string") hash.update(`${part.length}:${part}\n`);
    else hash.update(new Uint8Array(part.buffer, part.byteOffset, part.byteLength));
  }
  return hash.digest("hex");
}

/** JSON with object keys sorted, so {a, b} and {b, a} give the same text (and fingerprint). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) && !ArrayBuffer.isView(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)),
        )
      : v,
  );
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const EXTENSION = /^[a-z0-9]+(\.[a-z0-9]+)*$/;

function bytesOf(array: ArrayBufferView): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

function sha256(bytes: Uint8Array): string {
  return crypto.createHash("sha256").update(bytes).digest("hex");
}

function typeOf(extension: string): "f32" | "u8" {
  return extension.endsWith("u8") ? "u8" : "f32";
}

/** The record file of an entry (its data files sit beside it). */
export function cacheRecordFile(entry: Pick<CacheEntry, "folder" | "name">): string {
  if (!NAME.test(entry.name)) {
    throw new AutoencoderLabError(
      `Cache entry name "${entry.name}" cannot name a file: use letters, digits, '.', '_' and '-'.`,
    );
  }
  return path.join(entry.folder, `${entry.name}.json`);
}

function isFileRecord(value: unknown): value is CacheFileRecord {
  const f = value as CacheFileRecord;
  return (
    typeof f === "object" &&
    f !== null &&
    typeof f.file === "string" &&
    (f.type === "f32" || f.type === "u8") &&
    Number.isInteger(f.length) &&
    f.length >= 0 &&
    typeof f.sha256 === "string"
  );
}

/**
 * Read an entry. Throws RunCacheError: "missing" (no record), "stale" (another fingerprint or
 * format), "damaged" (record unreadable or incomplete, `isInfo` rejects its info, a data file
 * missing, of the wrong size or checksum).
 */
export function readCacheEntry<I>(
  entry: CacheEntry,
  isInfo: (info: unknown) => info is I,
): { arrays: CacheArrays; record: CacheRecord<I> } {
  const file = cacheRecordFile(entry);
  const shown = displayPath(file);
  if (!fs.existsSync(file)) {
    throw new RunCacheError(`No cached ${entry.what} at ${shown}.`, "missing", file);
  }
  let record: CacheRecord<I>;
  try {
    record = readJson(file, `the ${entry.what} record`) as CacheRecord<I>;
  } catch (error) {
    throw new RunCacheError((error as Error).message, "damaged", file);
  }
  const isObject = typeof record === "object" && record !== null;
  if (isObject && typeof record.format === "number" && record.format !== RUN_CACHE_FORMAT) {
    throw new RunCacheError(
      `${shown} was written by another version of this project (cache format ${record.format}), so it is stale.`,
      "stale",
      file,
    );
  }
  if (
    !isObject ||
    typeof record.fingerprint !== "string" ||
    typeof record.files !== "object" ||
    record.files === null ||
    !Object.values(record.files).every(isFileRecord) ||
    !isInfo(record.info)
  ) {
    throw new RunCacheError(
      `${shown} lacks its fingerprint, file names, sizes or checksums: the ${entry.what} record is damaged.`,
      "damaged",
      file,
    );
  }
  if (record.fingerprint !== entry.fingerprint) {
    throw new RunCacheError(
      `The ${entry.what} at ${shown} ${entry.staleBecause ?? "was made from other inputs"}: it is stale.`,
      "stale",
      file,
    );
  }
  const arrays: CacheArrays = {};
  for (const [extension, f] of Object.entries(record.files)) {
    const full = path.join(entry.folder, path.basename(f.file));
    let data: Buffer;
    try {
      data = fs.readFileSync(full);
    } catch {
      throw new RunCacheError(`${displayPath(full)} is missing or unreadable.`, "damaged", full);
    }
    const bytes = f.length * (f.type === "f32" ? 4 : 1);
    if (data.length !== bytes) {
      throw new RunCacheError(
        `${displayPath(full)} has ${data.length} bytes, expected ${bytes} (${entry.what}): the file is truncated or damaged.`,
        "damaged",
        full,
      );
    }
    if (sha256(data) !== f.sha256) {
      throw new RunCacheError(
        `${displayPath(full)} does not match its SHA-256 in ${path.basename(file)}: the file is damaged.`,
        "damaged",
        full,
      );
    }
    // Copy into a fresh, aligned buffer (a Buffer may sit at any offset of a shared pool).
    const array = f.type === "f32" ? new Float32Array(f.length) : new Uint8Array(f.length);
    bytesOf(array).set(data);
    arrays[extension] = array;
  }
  return { arrays, record };
}

/** Write an entry: data files first, the record last, each atomically. Returns the record. */
export function writeCacheEntry<I>(
  entry: CacheEntry,
  arrays: CacheArrays,
  info: I,
  seconds: number,
): CacheRecord<I> {
  const file = cacheRecordFile(entry);
  const files: Record<string, CacheFileRecord> = {};
  for (const [extension, array] of Object.entries(arrays)) {
    const type = typeOf(extension);
    if (!EXTENSION.test(extension) || (type === "f32") !== array instanceof Float32Array) {
      throw new AutoencoderLabError(
        `Cache entry ${entry.name}: ".${extension}" must be lower-case letters and digits, ending in u8 for bytes.`,
      );
    }
    files[extension] = {
      file: `${entry.name}.${extension}`,
      type,
      length: array.length,
      sha256: sha256(bytesOf(array)),
    };
  }
  try {
    fs.mkdirSync(entry.folder, { recursive: true });
  } catch (error) {
    throw new WriteError(
      `Could not create ${entry.folder}: ${(error as Error).message}`,
      entry.folder,
    );
  }
  const record: CacheRecord<I> = {
    format: RUN_CACHE_FORMAT,
    fingerprint: entry.fingerprint,
    files,
    info,
    createdAt: new Date().toISOString(),
    seconds,
  };
  for (const [extension, array] of Object.entries(arrays)) {
    writeFileAtomic(path.join(entry.folder, files[extension].file), bytesOf(array));
  }
  writeJsonAtomic(file, record);
  return record;
}

/** An entry read from the cache, or computed by this call (and cached when possible). */
export type CacheResult<I> =
  | { source: "cache"; arrays: CacheArrays; record: CacheRecord<I> }
  | {
      source: "computed";
      arrays: CacheArrays;
      record: CacheRecord<I>;
      /** Why the cache was not used. */
      problem: RunCacheError;
      /** Set when the result could not be cached (e.g. a read-only run folder). */
      cacheWriteError?: string;
    };

/**
 * The entry read from the cache when it matches `entry.fingerprint`, otherwise computed by
 * `compute` and written (a write that fails is reported in `cacheWriteError`; the result is
 * still returned).
 */
export async function loadOrCompute<I>(
  entry: CacheEntry,
  isInfo: (info: unknown) => info is I,
  compute: () => Promise<{ arrays: CacheArrays; info: I }>,
): Promise<CacheResult<I>> {
  let problem: RunCacheError;
  try {
    return { source: "cache", ...readCacheEntry(entry, isInfo) };
  } catch (error) {
    if (!(error instanceof RunCacheError)) throw error;
    problem = error;
  }
  const started = performance.now();
  const { arrays, info } = await compute();
  const seconds = (performance.now() - started) / 1000;
  try {
    const record = writeCacheEntry(entry, arrays, info, seconds);
    return { source: "computed", arrays, record, problem };
  } catch (error) {
    if (!(error instanceof WriteError)) throw error;
    const record: CacheRecord<I> = {
      format: RUN_CACHE_FORMAT,
      fingerprint: entry.fingerprint,
      files: {},
      info,
      createdAt: new Date().toISOString(),
      seconds,
    };
    return { source: "computed", arrays, record, problem, cacheWriteError: error.message };
  }
}
