/**
 * Rate and distortion of the autoencoder as a codec: bytes per image against reconstruction
 * quality (PSNR, SSIM) for each way of storing the code, next to lossless PNG/gzip and to PCA
 * with the same number of coefficients. One point per (method, code size, format).
 */
import { pixelsPerImage, type ImageSet, type ImageShape } from "../data/types";
import { psnr } from "../metrics";
import type { Autoencoder } from "../model/autoencoder";
import { meanSsim } from "../ssim";
import { decodeCodes, encodeSet } from "../train/evaluate";
import { CODE_FORMATS, loadCodes, losslessSizes, storeCodes, type CodeFormat } from "./compression";

/** One codec operating point, measured on a set of images. */
export interface CodecPoint {
  /** "autoencoder", "pca", "png", "gzip" or "raw 8-bit". */
  method: string;
  /** Numbers stored per image (the code size; pixels for lossless methods). */
  codeSize: number;
  /** How the numbers are stored; "lossless" for PNG/gzip/raw. */
  format: CodeFormat | "lossless";
  bytesPerImage: number;
  /** Compression ratio against the 8-bit image (pixels bytes / bytesPerImage). */
  ratio: number;
  /** Mean PSNR (dB) against the original images; Infinity for lossless storage. */
  psnr: number;
  /** Mean SSIM against the original images; 1 for lossless storage. */
  ssim: number;
}

/** Quality of reconstructions decoded from `codes` stored in each format. */
export function storedCodePoints(
  method: string,
  codes: Float32Array,
  codeSize: number,
  decode: (codes: Float32Array) => Float32Array,
  set: ImageSet,
  shape: ImageShape,
  formats: readonly CodeFormat[] = CODE_FORMATS,
): CodecPoint[] {
  const pixels = pixelsPerImage(shape);
  const original = set.images.subarray(0, set.count * pixels);
  return formats.map((format) => {
    const stored = storeCodes(codes, codeSize, format);
    const decoded = decode(loadCodes(stored));
    return {
      method,
      codeSize,
      format,
      bytesPerImage: stored.bytesPerImage,
      ratio: pixels / stored.bytesPerImage,
      psnr: psnr(original, decoded, pixels),
      ssim: meanSsim(original, decoded, shape),
    };
  });
}

/** The autoencoder's points: encode `set`, store the codes in each format, decode, measure. */
export function autoencoderPoints(
  model: Autoencoder,
  set: ImageSet,
  shape: ImageShape,
  formats: readonly CodeFormat[] = CODE_FORMATS,
): CodecPoint[] {
  const codes = encodeSet(model, set, pixelsPerImage(shape));
  const codeSize = codes.length / set.count;
  return storedCodePoints(
    "autoencoder",
    codes,
    codeSize,
    (c) => decodeCodes(model, c),
    set,
    shape,
    formats,
  );
}

/** Lossless references: the 8-bit image raw, as PNG and gzipped (exact; PSNR Infinity). */
export function losslessPoints(set: ImageSet, shape: ImageShape): CodecPoint[] {
  if (shape.channels !== 1) {
    throw new RangeError("losslessPoints measures grayscale images (channels 1)");
  }
  const pixels = pixelsPerImage(shape);
  const sizes = losslessSizes(
    set.images.subarray(0, set.count * pixels),
    shape.width,
    shape.height,
  );
  return (
    [
      ["raw 8-bit", sizes.raw],
      ["png", sizes.png],
      ["gzip", sizes.gzip],
    ] as const
  ).map(([method, bytes]) => ({
    method,
    codeSize: pixels,
    format: "lossless" as const,
    bytesPerImage: bytes,
    ratio: pixels / bytes,
    psnr: Infinity,
    ssim: 1,
  }));
}

/** Rows for a table: one per point, numbers rounded for reading. */
export function codecRows(points: readonly CodecPoint[]): Record<string, string | number>[] {
  return points.map((p) => ({
    method: p.method,
    "code size": p.codeSize,
    format: p.format,
    "bytes/image": Number(p.bytesPerImage.toFixed(1)),
    "vs 8-bit image": `${p.ratio.toFixed(1)}×`,
    "PSNR dB": Number.isFinite(p.psnr) ? Number(p.psnr.toFixed(2)) : "∞ (exact)",
    SSIM: Number(p.ssim.toFixed(4)),
  }));
}
