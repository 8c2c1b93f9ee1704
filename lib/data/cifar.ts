/**
 * CIFAR-10 binary batches. Each record is 1 label byte followed by 3072 pixel bytes: the red,
 * green and blue 32×32 planes one after the other (channel-planar). We convert to channels-last
 * float32 in [0, 1], [count, 32, 32, 3], the layout every ImageSet uses.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DatasetError } from "../errors";
import { verifySha256 } from "./checksum";
import { readFileOrThrow } from "./idx";
import { CIFAR_RECORD_BYTES, type CifarDatasetSource, type KnownFile } from "./sources";
import { readTarMembers } from "./tar";
import type { ImageSet } from "./types";

/** Pixels per plane (32×32). */
export const CIFAR_PLANE_PIXELS = 32 * 32;
/** Colour planes per record. */
export const CIFAR_CHANNELS = 3;
export const CIFAR_CLASSES = 10;

const REEXTRACT =
  "Delete it; with data.folder null the next run extracts it again from the verified archive.";

const BYTE_TO_UNIT = (() => {
  const table = new Float32Array(256);
  for (let i = 0; i < 256; i++) table[i] = i / 255;
  return table;
})();

/**
 * Parse one batch file's bytes into an ImageSet (channels-last). Any whole number of records is
 * accepted (official batches hold 10,000); `path` names the file in errors.
 */
export function parseCifarBatch(
  bytes: Uint8Array,
  path: string,
  numClasses = CIFAR_CLASSES,
): ImageSet {
  const count = bytes.length / CIFAR_RECORD_BYTES;
  if (bytes.length === 0) {
    throw new DatasetError(
      `${path} is empty: expected CIFAR-10 records of ${CIFAR_RECORD_BYTES} bytes. ${REEXTRACT}`,
      path,
    );
  }
  if (!Number.isInteger(count)) {
    const whole = Math.floor(count);
    throw new DatasetError(
      `${path} is not a whole number of CIFAR-10 records: ${bytes.length.toLocaleString("en-US")} bytes = ` +
        `${whole} records of ${CIFAR_RECORD_BYTES} bytes + ${bytes.length - whole * CIFAR_RECORD_BYTES} bytes left over ` +
        `(an official batch is 10,000 records = 30,730,000 bytes). The file is truncated or not a CIFAR-10 binary batch. ${REEXTRACT}`,
      path,
    );
  }
  const set = emptyCifarSet(count);
  copyRecords(bytes, path, set, 0, numClasses);
  return set;
}

function emptyCifarSet(count: number): ImageSet {
  return {
    images: new Float32Array(count * CIFAR_PLANE_PIXELS * CIFAR_CHANNELS),
    labels: new Uint8Array(count),
    count,
  };
}

/** Copy the records of `bytes` into `set` starting at image `first`, planar -> channels-last. */
function copyRecords(
  bytes: Uint8Array,
  path: string,
  set: ImageSet,
  first: number,
  numClasses: number,
): void {
  const count = bytes.length / CIFAR_RECORD_BYTES;
  const pixels = CIFAR_PLANE_PIXELS * CIFAR_CHANNELS;
  for (let r = 0; r < count; r++) {
    const at = r * CIFAR_RECORD_BYTES;
    const label = bytes[at];
    if (label >= numClasses) {
      throw new DatasetError(
        `${path}: record ${r} has label ${label}, expected 0..${numClasses - 1}. The file is corrupt or not a CIFAR-10 batch (CIFAR-100 records have 2 label bytes).`,
        path,
      );
    }
    set.labels[first + r] = label;
    const out = (first + r) * pixels;
    const red = at + 1;
    const green = red + CIFAR_PLANE_PIXELS;
    const blue = green + CIFAR_PLANE_PIXELS;
    for (let p = 0; p < CIFAR_PLANE_PIXELS; p++) {
      const o = out + p * CIFAR_CHANNELS;
      set.images[o] = BYTE_TO_UNIT[bytes[red + p]];
      set.images[o + 1] = BYTE_TO_UNIT[bytes[green + p]];
      set.images[o + 2] = BYTE_TO_UNIT[bytes[blue + p]];
    }
  }
}

/**
 * Read and concatenate batch files into one ImageSet. When `expected` is given (same order as
 * `files`), each file's size and SHA-256 must match.
 */
export function readCifarBatches(
  files: readonly string[],
  expected?: readonly KnownFile[],
): ImageSet {
  const buffers = files.map((file, i) => {
    const bytes = readFileOrThrow(file, "a CIFAR-10 batch file");
    const known = expected?.[i];
    if (known) {
      if (bytes.length !== known.size) {
        throw new DatasetError(
          `${file} has ${bytes.length.toLocaleString("en-US")} bytes, expected ${known.size.toLocaleString("en-US")} ` +
            `(${known.size / CIFAR_RECORD_BYTES} records of ${CIFAR_RECORD_BYTES} bytes): it is not an official CIFAR-10 batch. ${REEXTRACT}`,
          file,
        );
      }
      verifySha256(bytes, known.sha256, file, `It is not an official CIFAR-10 batch. ${REEXTRACT}`);
    }
    if (bytes.length % CIFAR_RECORD_BYTES !== 0 || bytes.length === 0) parseCifarBatch(bytes, file); // throws
    return bytes;
  });
  const total = buffers.reduce((n, b) => n + b.length / CIFAR_RECORD_BYTES, 0);
  const set = emptyCifarSet(total);
  let first = 0;
  buffers.forEach((bytes, i) => {
    copyRecords(bytes, files[i], set, first, CIFAR_CLASSES);
    first += bytes.length / CIFAR_RECORD_BYTES;
  });
  return set;
}

/**
 * Unpack the batch files of a (verified) CIFAR-10 archive into `folder`. Each file is written as
 * `.part` and renamed once complete and, when its checksum is known, verified. Only the members
 * the source names are written, so the archive cannot place files elsewhere.
 */
export function extractCifarArchive(
  archivePath: string,
  source: CifarDatasetSource,
  folder: string,
): string[] {
  const members = new Map(
    readTarMembers(readFileOrThrow(archivePath, "an archive"), archivePath).map((m) => [
      m.name,
      m.data,
    ]),
  );
  const wanted: Array<KnownFile | { name: string; size?: undefined; sha256?: undefined }> = [
    ...source.trainFiles,
    ...source.testFiles,
    { name: source.metaFile },
  ];
  fs.mkdirSync(folder, { recursive: true });
  const written: string[] = [];
  for (const file of wanted) {
    const data = members.get(`${source.archiveFolder}/${file.name}`) ?? members.get(file.name);
    if (data === undefined) {
      if (file.sha256 === undefined) continue; // the meta file is optional
      throw new DatasetError(
        `${archivePath} does not contain ${source.archiveFolder}/${file.name}: it is not the CIFAR-10 binary archive. Delete it and download it again.`,
        archivePath,
      );
    }
    const dest = path.join(folder, file.name);
    if (file.sha256 !== undefined) {
      verifySha256(
        data,
        file.sha256,
        `${archivePath}:${file.name}`,
        "The archive is not the official one; delete it and download it again.",
      );
    }
    fs.writeFileSync(`${dest}.part`, data);
    fs.renameSync(`${dest}.part`, dest);
    written.push(dest);
  }
  return written;
}

/** Class names from batches.meta.txt (one per line), or null when absent or malformed. */
export function readCifarClassNames(file: string, numClasses = CIFAR_CLASSES): string[] | null {
  if (!fs.existsSync(file)) return null;
  const names = fs
    .readFileSync(file, "utf8")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  return names.length === numClasses ? names : null;
}
