/**
 * The autoencoder as an image codec: store an image as its code (float32, float16 or 8-bit
 * quantized) instead of its pixels, and compare the bytes with lossless PNG and gzip of the
 * 8-bit image. Sizes are measured on real encoders (pngjs, zlib), not estimated.
 */
import * as zlib from "node:zlib";
import { PNG } from "pngjs";
import { AutoencoderLabError } from "../errors";

/** How a code is stored: 4, 2 or 1 byte(s) per number. */
export type CodeFormat = "float32" | "float16" | "uint8";

export const CODE_FORMATS: readonly CodeFormat[] = ["float32", "float16", "uint8"];

export class CompressionError extends AutoencoderLabError {}

/** Codes of `count` images stored in one format, and what it costs. */
export interface StoredCodes {
  format: CodeFormat;
  count: number;
  dim: number;
  /** The codes as stored: count × dim numbers of the format's width. */
  bytes: Uint8Array;
  /**
   * Per-set side information needed to decode (uint8: a float32 minimum and step per
   * dimension, 8 bytes × dim); shared by every image, so its cost per image shrinks with count.
   */
  sideBytes: Uint8Array;
  /** Bytes per image with the side information shared over `count` images. */
  bytesPerImage: number;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 half-precision bits of `value`, rounded to nearest even (overflow → ±Infinity). */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // Inf, NaN
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): shift the implicit 1 in, then round to nearest even.
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // Rounding up may carry into the exponent, which is still the right half (up to Infinity).
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** The number whose half-precision bits are `bits`. */
export function fromFloat16Bits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

function checkCodes(codes: Float32Array, dim: number): number {
  if (!Number.isInteger(dim) || dim < 1) {
    throw new CompressionError(`Code size must be a positive integer, got ${dim}.`);
  }
  if (codes.length === 0 || codes.length % dim !== 0) {
    throw new CompressionError(
      `Codes hold ${codes.length} numbers, not a positive multiple of the code size ${dim}: pass the codes of whole images.`,
    );
  }
  for (let i = 0; i < codes.length; i++) {
    if (!Number.isFinite(codes[i])) {
      throw new CompressionError(
        `Code value ${i} is ${codes[i]}: only finite codes can be stored. Check the model (a diverged run?).`,
      );
    }
  }
  return codes.length / dim;
}

/**
 * Store `codes` (count × dim, row-major) in `format`. uint8 quantizes each dimension linearly
 * between its minimum and maximum over the set (256 levels), which keeps the error per number
 * below half a step.
 */
export function storeCodes(codes: Float32Array, dim: number, format: CodeFormat): StoredCodes {
  const count = checkCodes(codes, dim);
  let bytes: Uint8Array;
  let sideBytes = new Uint8Array(0);
  if (format === "float32") {
    bytes = new Uint8Array(Float32Array.from(codes).buffer);
  } else if (format === "float16") {
    const half = new Uint16Array(codes.length);
    for (let i = 0; i < codes.length; i++) half[i] = toFloat16Bits(codes[i]);
    bytes = new Uint8Array(half.buffer);
  } else if (format === "uint8") {
    const min = new Float32Array(dim).fill(Infinity);
    const max = new Float32Array(dim).fill(-Infinity);
    for (let i = 0; i < codes.length; i++) {
      const d = i % dim;
      if (codes[i] < min[d]) min[d] = codes[i];
      if (codes[i] > max[d]) max[d] = codes[i];
    }
    const step = new Float32Array(dim);
    for (let d = 0; d < dim; d++) step[d] = max[d] > min[d] ? (max[d] - min[d]) / 255 : 1;
    bytes = new Uint8Array(codes.length);
    for (let i = 0; i < codes.length; i++) {
      const d = i % dim;
      bytes[i] = Math.min(255, Math.max(0, Math.round((codes[i] - min[d]) / step[d])));
    }
    const side = new Float32Array(2 * dim);
    side.set(min, 0);
    side.set(step, dim);
    sideBytes = new Uint8Array(side.buffer);
  } else {
    throw new CompressionError(
      `Unknown code format "${String(format)}": use one of ${CODE_FORMATS.join(", ")}.`,
    );
  }
  return {
    format,
    count,
    dim,
    bytes,
    sideBytes,
    bytesPerImage: (bytes.length + sideBytes.length) / count,
  };
}

/** The codes back from storage (float32; exact for float32, rounded for the others). */
export function loadCodes(stored: StoredCodes): Float32Array {
  const { format, dim, bytes, sideBytes } = stored;
  if (format === "float32") {
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  }
  if (format === "float16") {
    const half = new Uint16Array(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length),
    );
    return Float32Array.from(half, fromFloat16Bits);
  }
  const side = new Float32Array(
    sideBytes.buffer.slice(sideBytes.byteOffset, sideBytes.byteOffset + sideBytes.length),
  );
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const d = i % dim;
    out[i] = side[d] + bytes[i] * side[dim + d];
  }
  return out;
}

/** Pixels in [0, 1] as 8-bit gray levels (how MNIST is stored). */
export function toGray8(image: Float32Array): Uint8Array {
  const out = new Uint8Array(image.length);
  for (let i = 0; i < image.length; i++)
    out[i] = Math.round(Math.min(1, Math.max(0, image[i])) * 255);
  return out;
}

/** Size in bytes of `image` (width × height, values in [0, 1]) as an 8-bit grayscale PNG. */
export function pngSize(image: Float32Array, width: number, height: number): number {
  if (image.length !== width * height) {
    throw new CompressionError(
      `Image has ${image.length} pixels, not ${width}×${height}: pass one image at a time.`,
    );
  }
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, bitDepth: 8 });
  png.data = Buffer.from(toGray8(image));
  return PNG.sync.write(png, {
    colorType: 0,
    inputColorType: 0,
    deflateLevel: 9,
    filterType: -1,
  }).length;
}

/** Size in bytes of the 8-bit pixels of `image` compressed with gzip (level 9). */
export function gzipSize(image: Float32Array): number {
  return zlib.gzipSync(toGray8(image), { level: 9 }).length;
}

/** Mean lossless sizes over a set of images (count × width·height). */
export function losslessSizes(
  images: Float32Array,
  width: number,
  height: number,
): { raw: number; png: number; gzip: number } {
  const pixels = width * height;
  const count = images.length / pixels;
  if (!Number.isInteger(count) || count === 0) {
    throw new CompressionError(
      `Images hold ${images.length} values, not a positive multiple of ${width}×${height}.`,
    );
  }
  let png = 0;
  let gzip = 0;
  for (let i = 0; i < count; i++) {
    const image = images.subarray(i * pixels, (i + 1) * pixels);
    png += pngSize(image, width, height);
    gzip += gzipSize(image);
  }
  return { raw: pixels, png: png / count, gzip: gzip / count };
}
