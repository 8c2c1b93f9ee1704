/**
 * Rate and distortion of the autoencoder as a codec: bytes per image against reconstruction
 * quality (PSNR, SSIM) for each way of storing the code, next to lossless PNG/gzip and to PCA
 * with the same number of coefficients. One point per (method, code size, format).
 */
import { pixelsPerImage, type ImageSet, type ImageShape } from "../data/types";
import { psnr } from "../quality/metrics";
import { pcaInverse, pcaTransform, type PcaModel } from "../ml/pca";
import type { Autoencoder } from "../model/autoencoder";
import type { Figure } from "../plots/figure";
import { lineFigure } from "../plots/line";
import { meanSsim } from "../quality/ssim";
import { decodeCodes, encodeSet } from "../model/inference";
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

/** The first `k` components of a PCA model (a PCA with fewer coefficients, same basis). */
export function truncatePca(model: PcaModel, k: number): PcaModel {
  if (!Number.isInteger(k) || k < 1 || k > model.count) {
    throw new RangeError(`truncatePca: k = ${k} must be an integer in 1..${model.count}`);
  }
  return {
    ...model,
    count: k,
    components: model.components.subarray(0, k * model.dim),
    explainedVariance: model.explainedVariance.subarray(0, k),
    explainedVarianceRatio: model.explainedVarianceRatio.subarray(0, k),
  };
}

/**
 * The PCA baseline at each size in `sizes`: keep the first k coefficients of each image, store
 * them like a code, reconstruct from them (clipped to [0, 1], the pixel range) and measure.
 * `model` must have at least max(sizes) components (fit it once with that many).
 */
export function pcaPoints(
  model: PcaModel,
  set: ImageSet,
  shape: ImageShape,
  sizes: readonly number[],
  formats: readonly CodeFormat[] = CODE_FORMATS,
): CodecPoint[] {
  const pixels = pixelsPerImage(shape);
  const images = set.images.subarray(0, set.count * pixels);
  return sizes.flatMap((k) => {
    const pca = truncatePca(model, k);
    const coefficients = pcaTransform(pca, images, set.count);
    const decode = (c: Float32Array) =>
      pcaInverse(pca, c, set.count).map((v) => Math.min(1, Math.max(0, v)));
    return storedCodePoints("pca", coefficients, k, decode, set, shape, formats);
  });
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

/**
 * Rate–distortion curves: bytes per image (log axis) against PSNR or SSIM, one line per method
 * and storage format (lossless points, at infinite PSNR, belong in the table instead).
 */
export function rateDistortionFigure(
  points: readonly CodecPoint[],
  options: { quality?: "psnr" | "ssim"; title?: string } = {},
): Figure {
  const quality = options.quality ?? "psnr";
  const groups = new Map<string, CodecPoint[]>();
  for (const p of points) {
    if (p.format === "lossless") continue;
    const key = `${p.method} (${p.format})`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const series = [...groups].map(([name, group]) => {
    const sorted = [...group].sort((a, b) => a.bytesPerImage - b.bytesPerImage);
    return {
      name,
      x: sorted.map((p) => p.bytesPerImage),
      y: sorted.map((p) => p[quality]),
      dash: name.startsWith("pca") ? "dash" : undefined,
    };
  });
  return lineFigure(series, {
    title:
      options.title ??
      `Rate–distortion: bytes per image vs ${quality === "psnr" ? "PSNR" : "SSIM"}`,
    xTitle: "bytes per image (log scale)",
    yTitle: quality === "psnr" ? "PSNR (dB), higher is better" : "mean SSIM, higher is better",
    logX: true,
    markers: true,
  });
}
