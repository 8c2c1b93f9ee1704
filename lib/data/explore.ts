/**
 * Data exploration: plain statistics over loaded image sets (class counts, mean images, pixel
 * histograms, seeded samples, a per-split summary). Pure functions over typed arrays — no
 * tensors, no printing; the notebooks turn the results into tables and figures.
 */
import { DatasetError } from "../errors";
import { classCounts } from "./prepare";
import type { Rng } from "../random";
import { pixelsPerImage, type ImageSet, type ImageShape, type PreparedDataset } from "./types";

/** The three splits of a prepared dataset, in display order. */
export type SplitName = "train" | "validation" | "test";
export const SPLIT_NAMES: readonly SplitName[] = ["train", "validation", "test"];

function checkSet(set: ImageSet, shape: ImageShape): number {
  const pixels = pixelsPerImage(shape);
  if (set.images.length !== set.count * pixels || set.labels.length !== set.count) {
    throw new DatasetError(
      `Image set does not match its shape: ${set.count} images of ${shape.height}×${shape.width}×` +
        `${shape.channels} need ${set.count * pixels} pixels and ${set.count} labels, ` +
        `found ${set.images.length} pixels and ${set.labels.length} labels.`,
    );
  }
  return pixels;
}

/** Class counts of each split of a prepared dataset (one entry per class name). */
export function classCountsBySplit(
  prepared: PreparedDataset,
): { split: SplitName; counts: number[] }[] {
  const numClasses = prepared.classNames.length;
  return SPLIT_NAMES.map((split) => ({
    split,
    counts: classCounts(prepared[split].labels, numClasses),
  }));
}

/** One row per class: its label, name and count in each split (for a table). */
export function classCountsTable(
  prepared: PreparedDataset,
): { label: number; class: string; train: number; validation: number; test: number }[] {
  const bySplit = classCountsBySplit(prepared);
  const countsOf = (split: SplitName) => bySplit.find((s) => s.split === split)!.counts;
  return prepared.classNames.map((name, label) => ({
    label,
    class: name,
    train: countsOf("train")[label],
    validation: countsOf("validation")[label],
    test: countsOf("test")[label],
  }));
}

/** The pixels of image `index` as a view into the set (no copy), [height, width, channels]. */
export function imageAt(set: ImageSet, shape: ImageShape, index: number): Float32Array {
  const pixels = pixelsPerImage(shape);
  if (!Number.isInteger(index) || index < 0 || index >= set.count) {
    throw new RangeError(`Image index ${index} is outside 0..${set.count - 1}.`);
  }
  return set.images.subarray(index * pixels, (index + 1) * pixels);
}

/**
 * The mean image of each class: entry k is the pixel-wise mean of all images labelled k
 * (length height × width × channels). A class with no images gets an all-NaN image, which
 * plots as blank rather than as a misleading black square.
 */
export function meanImagePerClass(
  set: ImageSet,
  shape: ImageShape,
  numClasses: number,
): Float32Array[] {
  const pixels = checkSet(set, shape);
  const sums = Array.from({ length: numClasses }, () => new Float64Array(pixels));
  const counts = classCounts(set.labels, numClasses);
  for (let i = 0; i < set.count; i++) {
    const sum = sums[set.labels[i]];
    const offset = i * pixels;
    for (let p = 0; p < pixels; p++) sum[p] += set.images[offset + p];
  }
  return sums.map((sum, k) => {
    const mean = new Float32Array(pixels);
    for (let p = 0; p < pixels; p++) mean[p] = counts[k] > 0 ? sum[p] / counts[k] : NaN;
    return mean;
  });
}

/** Histogram of pixel intensities, with the pixels that sit exactly at 0 and at 1 counted apart. */
export interface PixelHistogram {
  /** Bin edges, length bins + 1, from 0 to 1. Bin i is [edges[i], edges[i+1]); the last includes 1. */
  edges: number[];
  /** Pixels per bin (all pixels, including the exact 0s and 1s). */
  counts: number[];
  /** Pixels counted. */
  total: number;
  /** Pixels exactly 0 (background). */
  exactZero: number;
  /** Pixels exactly 1 (saturated ink). */
  exactOne: number;
  /** exactZero / total. */
  shareExactZero: number;
  /** exactOne / total. */
  shareExactOne: number;
  /** (exactZero + exactOne) / total: 0.814 for MNIST. */
  shareExactZeroOrOne: number;
}

/**
 * Histogram of every pixel in the set over [0, 1] in `bins` equal bins, plus the counts and
 * shares of pixels exactly 0 and exactly 1. Values outside [0, 1] (or NaN) throw a DatasetError.
 */
export function pixelHistogram(set: ImageSet, bins = 50): PixelHistogram {
  if (!Number.isInteger(bins) || bins < 1) {
    throw new RangeError(`bins must be a positive integer, got ${bins}.`);
  }
  const counts = new Array<number>(bins).fill(0);
  const images = set.images;
  let exactZero = 0;
  let exactOne = 0;
  for (let i = 0; i < images.length; i++) {
    const value = images[i];
    if (!(value >= 0 && value <= 1)) {
      throw new DatasetError(`Pixel ${i} has value ${value}, outside [0, 1].`);
    }
    if (value === 0) exactZero++;
    else if (value === 1) exactOne++;
    counts[Math.min(Math.floor(value * bins), bins - 1)]++;
  }
  const total = images.length;
  const share = (n: number) => (total > 0 ? n / total : 0);
  return {
    edges: Array.from({ length: bins + 1 }, (_, i) => i / bins),
    counts,
    total,
    exactZero,
    exactOne,
    shareExactZero: share(exactZero),
    shareExactOne: share(exactOne),
    shareExactZeroOrOne: share(exactZero + exactOne),
  };
}

/**
 * A seeded random sample of image indices per class: entry k holds up to `perClass` distinct
 * indices of images labelled k, in increasing order (fewer when the class has fewer images).
 * The same rng state gives the same sample.
 */
export function samplesPerClass(
  set: ImageSet,
  perClass: number,
  rng: Rng,
  numClasses = 10,
): number[][] {
  if (!Number.isInteger(perClass) || perClass < 0) {
    throw new RangeError(`perClass must be a non-negative integer, got ${perClass}.`);
  }
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < set.count; i++) {
    const label = set.labels[i];
    if (label >= numClasses) {
      throw new DatasetError(`Label ${label} at index ${i} is not below ${numClasses}.`);
    }
    byClass[label].push(i);
  }
  return byClass.map((indices) => {
    // Partial Fisher-Yates: the first `take` entries become a uniform sample without replacement.
    const take = Math.min(perClass, indices.length);
    for (let i = 0; i < take; i++) {
      const j = i + rng.int(indices.length - i);
      [indices[i], indices[j]] = [indices[j], indices[i]];
    }
    return indices.slice(0, take).sort((a, b) => a - b);
  });
}

/** Mean, standard deviation (population), minimum and maximum over every pixel of a set. */
export function pixelStats(set: ImageSet): { mean: number; std: number; min: number; max: number } {
  const images = set.images;
  if (images.length === 0) return { mean: NaN, std: NaN, min: NaN, max: NaN };
  let sum = 0;
  let sumSquares = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < images.length; i++) {
    const value = images[i];
    sum += value;
    sumSquares += value * value;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  const mean = sum / images.length;
  const variance = Math.max(0, sumSquares / images.length - mean * mean);
  return { mean, std: Math.sqrt(variance), min, max };
}

/** One row of the dataset summary table. */
export interface SplitSummary {
  split: SplitName;
  count: number;
  /** "height×width×channels", e.g. "28×28×1". */
  imageShape: string;
  pixelMean: number;
  pixelStd: number;
  pixelMin: number;
  pixelMax: number;
  /** Name and share of the rarest class, e.g. "5 (9.0%)". */
  smallestClass: string;
  /** Name and share of the most frequent class. */
  largestClass: string;
  /** Smallest class count / largest class count: 1 is perfectly balanced. */
  classBalance: number;
}

/** One summary row per split (train, validation, test) of a prepared dataset. */
export function datasetSummary(prepared: PreparedDataset): SplitSummary[] {
  const { shape, classNames } = prepared;
  const imageShape = `${shape.height}×${shape.width}×${shape.channels}`;
  return classCountsBySplit(prepared).map(({ split, counts }) => {
    const set = prepared[split];
    checkSet(set, shape);
    const stats = pixelStats(set);
    let smallest = 0;
    let largest = 0;
    counts.forEach((n, k) => {
      if (n < counts[smallest]) smallest = k;
      if (n > counts[largest]) largest = k;
    });
    const describe = (k: number) =>
      `${classNames[k]} (${set.count > 0 ? ((100 * counts[k]) / set.count).toFixed(1) : "0.0"}%)`;
    return {
      split,
      count: set.count,
      imageShape,
      pixelMean: stats.mean,
      pixelStd: stats.std,
      pixelMin: stats.min,
      pixelMax: stats.max,
      smallestClass: describe(smallest),
      largestClass: describe(largest),
      classBalance: counts[largest] > 0 ? counts[smallest] / counts[largest] : NaN,
    };
  });
}

/**
 * Per-pixel mean and standard deviation (population) across the images of a set, each of length
 * height × width × channels. A pixel with std 0 is constant over the set and carries no
 * information (MNIST's borders).
 */
export function pixelwiseStats(
  set: ImageSet,
  shape: ImageShape,
): { mean: Float32Array; std: Float32Array } {
  const pixels = checkSet(set, shape);
  const sum = new Float64Array(pixels);
  const sumSquares = new Float64Array(pixels);
  for (let i = 0; i < set.count; i++) {
    const offset = i * pixels;
    for (let p = 0; p < pixels; p++) {
      const value = set.images[offset + p];
      sum[p] += value;
      sumSquares[p] += value * value;
    }
  }
  const mean = new Float32Array(pixels);
  const std = new Float32Array(pixels);
  for (let p = 0; p < pixels; p++) {
    const m = set.count > 0 ? sum[p] / set.count : NaN;
    mean[p] = m;
    std[p] = set.count > 0 ? Math.sqrt(Math.max(0, sumSquares[p] / set.count - m * m)) : NaN;
  }
  return { mean, std };
}
