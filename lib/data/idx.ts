/**
 * IDX files (the MNIST format, http://yann.lecun.com/exdb/mnist/): a 4-byte magic number
 * `00 00 <type> <rank>`, then `rank` big-endian uint32 dimension sizes, then the values
 * row-major, big-endian. Files may be gzip-compressed; gzip is detected by its magic bytes, not
 * by the file name. Every check below throws a DatasetError naming the file, what was expected
 * and what was found.
 */
import * as fs from "node:fs";
import * as zlib from "node:zlib";
import { DatasetError } from "../errors";

/** The first two bytes of every IDX file. */
export const IDX_MAGIC_ZERO_BYTES = 2;
/** Bytes of the magic number: two zero bytes, the type code and the dimension count. */
export const IDX_MAGIC_BYTES = 4;
/** Bytes per dimension size in the header (big-endian uint32). */
export const IDX_DIMENSION_BYTES = 4;
/** We accept 1..IDX_MAX_RANK dimensions (the format allows 255; no dataset uses more than 4). */
export const IDX_MAX_RANK = 8;
/** What to do about a damaged IDX file (appended to every parse error). */
const IDX_FIX = "Replace it with an intact copy: delete it and download or copy it again.";
/** gzip streams start with these two bytes (RFC 1952). */
export const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** The IDX type codes and their element sizes. */
export const IDX_TYPES = {
  ubyte: { code: 0x08, bytes: 1 },
  byte: { code: 0x09, bytes: 1 },
  short: { code: 0x0b, bytes: 2 },
  int: { code: 0x0c, bytes: 4 },
  float: { code: 0x0d, bytes: 4 },
  double: { code: 0x0e, bytes: 8 },
} as const;

export type IdxDataType = keyof typeof IDX_TYPES;

/** Magic number (as a big-endian uint32) of an IDX file with the given type and rank. */
export function idxMagic(type: IdxDataType, rank: number): number {
  return (IDX_TYPES[type].code << 8) | rank;
}
/** 0x00000801: MNIST labels. */
export const IDX_LABELS_MAGIC = idxMagic("ubyte", 1);
/** 0x00000803: MNIST images. */
export const IDX_IMAGES_MAGIC = idxMagic("ubyte", 3);

export type IdxData =
  Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** The contents of an IDX file: type, shape and values in native byte order. */
export interface IdxArray {
  /** The file it was read from (or a description when parsed from memory). */
  path: string;
  dtype: IdxDataType;
  /** Dimension sizes, outermost first (MNIST images: [count, 28, 28]). */
  shape: number[];
  /** The values, row-major. For ubyte data this is a view of the file buffer (no copy). */
  data: IdxData;
  /** True when the file was gzip-compressed. */
  gzipped: boolean;
}

const TYPE_BY_CODE: ReadonlyMap<number, IdxDataType> = new Map(
  Object.entries(IDX_TYPES).map(([name, t]) => [t.code, name as IdxDataType]),
);

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

function plural(n: number, unit: string): string {
  return `${n.toLocaleString("en-US")} ${unit}${n === 1 ? "" : "s"}`;
}

/** True when the buffer starts with the gzip magic bytes. */
export function isGzip(buffer: Uint8Array): boolean {
  return buffer.length >= 2 && buffer[0] === GZIP_MAGIC[0] && buffer[1] === GZIP_MAGIC[1];
}

/** Decompress when the buffer is gzip, else return it unchanged. Corrupt gzip: DatasetError. */
export function gunzipIfNeeded(buffer: Buffer, path: string): { bytes: Buffer; gzipped: boolean } {
  if (!isGzip(buffer)) return { bytes: buffer, gzipped: false };
  try {
    return { bytes: zlib.gunzipSync(buffer), gzipped: true };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new DatasetError(
      `${path} is a corrupt gzip stream (${why}): the compressed file is damaged or incomplete ` +
        `(${plural(buffer.length, "byte")} on disk). Delete it and fetch it again.`,
      path,
    );
  }
}

/** Read a whole file, turning file-system errors into DatasetErrors naming the path. */
export function readFileOrThrow(path: string, what = "a file"): Buffer {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(path);
  } catch (error) {
    throw fileSystemError(error, path, what);
  }
  if (stat.isDirectory()) {
    throw new DatasetError(`${path} is a directory, expected ${what}.`, path);
  }
  try {
    return fs.readFileSync(path);
  } catch (error) {
    throw fileSystemError(error, path, what);
  }
}

function fileSystemError(error: unknown, path: string, what: string): DatasetError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT")
    return new DatasetError(`${path} does not exist (expected ${what}).`, path);
  if (code === "EACCES" || code === "EPERM") {
    return new DatasetError(`${path} cannot be read (permission denied).`, path);
  }
  if (code === "EISDIR") return new DatasetError(`${path} is a directory, expected ${what}.`, path);
  const why = error instanceof Error ? error.message : String(error);
  return new DatasetError(`${path} cannot be read: ${why}`, path);
}

/**
 * Parse IDX bytes (already decompressed). `path` only names the source in error messages.
 * Checks: the magic number (two zero bytes, a known type code, 1..IDX_MAX_RANK dimensions),
 * a complete header, and that the file holds exactly the bytes the header describes.
 */
export function parseIdx(bytes: Uint8Array, path: string, gzipped = false): IdxArray {
  const where = gzipped ? `${path} (after gunzip)` : path;
  if (bytes.length === 0) {
    throw new DatasetError(
      `${where} is empty (0 bytes): expected an IDX file starting with a ${IDX_MAGIC_BYTES}-byte magic number. ${IDX_FIX}`,
      path,
    );
  }
  if (bytes.length < IDX_MAGIC_BYTES) {
    throw new DatasetError(
      `${where} is truncated: ${plural(bytes.length, "byte")}, shorter than the ${IDX_MAGIC_BYTES}-byte IDX magic number. ${IDX_FIX}`,
      path,
    );
  }
  const magic = bytes.subarray(0, IDX_MAGIC_BYTES);
  if (magic[0] !== 0 || magic[1] !== 0) {
    const text = bytes[0] === 0x3c ? " It looks like HTML or XML (an error page?)." : "";
    throw new DatasetError(
      `${where} is not an IDX file: expected the magic number to start with ${IDX_MAGIC_ZERO_BYTES} zero bytes ` +
        `(00 00 <type> <rank>, e.g. 00 00 08 03 for images), found ${hex(magic)}.${text} ${IDX_FIX}`,
      path,
    );
  }
  const dtype = TYPE_BY_CODE.get(magic[2]);
  if (dtype === undefined) {
    const known = Object.entries(IDX_TYPES)
      .map(([name, t]) => `0x${t.code.toString(16).padStart(2, "0")} ${name}`)
      .join(", ");
    throw new DatasetError(
      `${where} has an unknown IDX data type 0x${magic[2].toString(16).padStart(2, "0")}: expected one of ${known}. ${IDX_FIX}`,
      path,
    );
  }
  const rank = magic[3];
  if (rank < 1 || rank > IDX_MAX_RANK) {
    throw new DatasetError(
      `${where} has ${rank} dimensions in its magic number (${hex(magic)}): expected 1 to ${IDX_MAX_RANK}. ${IDX_FIX}`,
      path,
    );
  }
  const headerBytes = IDX_MAGIC_BYTES + rank * IDX_DIMENSION_BYTES;
  if (bytes.length < headerBytes) {
    throw new DatasetError(
      `${where} is truncated in its header: ${rank} dimensions need a ${headerBytes}-byte header, file has ${plural(bytes.length, "byte")}. ${IDX_FIX}`,
      path,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let d = 0; d < rank; d++)
    shape.push(view.getUint32(IDX_MAGIC_BYTES + d * IDX_DIMENSION_BYTES));
  const elementBytes = IDX_TYPES[dtype].bytes;
  const count = shape.reduce((a, b) => a * b, 1);
  const dataBytes = count * elementBytes;
  const actual = bytes.length - headerBytes;
  const described = `${shape.join("×")} ${dtype} values${elementBytes > 1 ? ` × ${elementBytes} bytes` : ""} = ${plural(dataBytes, "byte")}`;
  if (actual < dataBytes) {
    throw new DatasetError(
      `${where} is truncated: header says ${described}, file has ${plural(actual, "byte")} after the ${headerBytes}-byte header. ${IDX_FIX}`,
      path,
    );
  }
  if (actual > dataBytes) {
    throw new DatasetError(
      `${where} has ${plural(actual - dataBytes, "extra byte")} at the end: header says ${described}, ` +
        `file has ${plural(actual, "byte")} after the ${headerBytes}-byte header. It is corrupt or not the file the header describes. ${IDX_FIX}`,
      path,
    );
  }
  return { path, dtype, shape, data: decode(bytes, headerBytes, count, dtype), gzipped };
}

/** Values in native byte order. ubyte is a view (no copy); wider types are converted from big-endian. */
function decode(bytes: Uint8Array, offset: number, count: number, dtype: IdxDataType): IdxData {
  const start = bytes.byteOffset + offset;
  if (dtype === "ubyte") return new Uint8Array(bytes.buffer, start, count);
  if (dtype === "byte") return new Int8Array(bytes.buffer, start, count);
  const view = new DataView(bytes.buffer, start, count * IDX_TYPES[dtype].bytes);
  switch (dtype) {
    case "short": {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2);
      return out;
    }
    case "int": {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4);
      return out;
    }
    case "float": {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4);
      return out;
    }
    case "double": {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8);
      return out;
    }
  }
}

/**
 * Read an IDX file, raw or gzip-compressed (detected by content). Throws DatasetError for a
 * missing or unreadable file, a directory, a corrupt gzip stream, a bad magic number or type,
 * a truncated header or data, or trailing bytes.
 */
export function readIdxFile(path: string): IdxArray {
  const { bytes, gzipped } = gunzipIfNeeded(readFileOrThrow(path, "an IDX file"), path);
  return parseIdx(bytes, path, gzipped);
}

/** Encode an array as IDX bytes (big-endian). For tests and for writing small derived files. */
export function encodeIdx(
  dtype: IdxDataType,
  shape: readonly number[],
  values: ArrayLike<number>,
): Buffer {
  const count = shape.reduce((a, b) => a * b, 1);
  if (values.length !== count) {
    throw new RangeError(
      `encodeIdx: shape ${shape.join("×")} needs ${count} values, got ${values.length}`,
    );
  }
  const { code, bytes: size } = IDX_TYPES[dtype];
  const header = IDX_MAGIC_BYTES + shape.length * IDX_DIMENSION_BYTES;
  const out = Buffer.alloc(header + count * size);
  out[2] = code;
  out[3] = shape.length;
  shape.forEach((n, d) => out.writeUInt32BE(n, IDX_MAGIC_BYTES + d * IDX_DIMENSION_BYTES));
  for (let i = 0; i < count; i++) {
    const at = header + i * size;
    const v = values[i];
    if (dtype === "ubyte") out.writeUInt8(v, at);
    else if (dtype === "byte") out.writeInt8(v, at);
    else if (dtype === "short") out.writeInt16BE(v, at);
    else if (dtype === "int") out.writeInt32BE(v, at);
    else if (dtype === "float") out.writeFloatBE(v, at);
    else out.writeDoubleBE(v, at);
  }
  return out;
}
