/**
 * Mini-batches as plain typed arrays. Each batch copies its rows into fresh buffers, so a
 * training step turns one small array into a tensor instead of slicing a big tensor per step
 * (slicing one batch out of a [60000,784] tensor costs ≈ 550 ms on wasm; see FIELD-NOTES).
 */
import { ConfigError } from "../errors";
import { permutation, type Rng } from "../random";
import { pixelsPerImage, type ImageSet, type ImageShape } from "./types";

export interface ImageBatch {
  /** Pixels of `count` images, row-major [count, height, width, channels]. */
  images: Float32Array;
  labels: Uint8Array;
  /** Which images of the set these are. */
  indices: Uint32Array;
  count: number;
}

/** Batches per epoch (the last, partial batch included). */
export function batchCount(count: number, batchSize: number): number {
  return Math.ceil(count / batchSize);
}

/**
 * One epoch of batches of `batchSize` images (the last one may be smaller). With an rng the order
 * is a fresh random permutation; with null it is 0, 1, 2, … Every image appears exactly once.
 * Buffers are new for each batch, so keeping a batch (or a tensor made from it) is safe.
 */
export function* iterateBatches(
  set: ImageSet,
  shape: ImageShape,
  batchSize: number,
  rng: Rng | null,
): Generator<ImageBatch, void, undefined> {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ConfigError(`Batch size must be a positive integer, got ${batchSize}.`);
  }
  const size = pixelsPerImage(shape);
  const order = rng ? permutation(set.count, rng) : null;
  for (let start = 0; start < set.count; start += batchSize) {
    const count = Math.min(batchSize, set.count - start);
    const images = new Float32Array(count * size);
    const labels = new Uint8Array(count);
    const indices = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      const row = order ? order[start + i] : start + i;
      indices[i] = row;
      labels[i] = set.labels[row];
      images.set(set.images.subarray(row * size, (row + 1) * size), i * size);
    }
    yield { images, labels, indices, count };
  }
}

/**
 * Copy the rows `order[start..end)` of flat `images` (`pixels` values per row) into `out`, which
 * is reused from batch to batch; returns the number of rows copied.
 */
export function gatherRowsInto(
  images: Float32Array,
  pixels: number,
  order: ArrayLike<number>,
  start: number,
  end: number,
  out: Float32Array,
): number {
  const rows = end - start;
  if (out.length < rows * pixels) {
    throw new RangeError(
      `gatherRowsInto: the output holds ${out.length} values, ${rows} rows need ${rows * pixels}.`,
    );
  }
  for (let r = 0; r < rows; r++) {
    const from = order[start + r] * pixels;
    out.set(images.subarray(from, from + pixels), r * pixels);
  }
  return rows;
}
