/**
 * A trained autoencoder applied to whole sets, a batch at a time: reconstructions, codes, decoded
 * codes, and the mean image (the baseline "reconstruction").
 */
import * as tf from "@tensorflow/tfjs";
import type { ImageSet } from "../data/types";
import { AutoencoderLabError } from "../errors";
import type { Autoencoder } from "./autoencoder";

/**
 * Apply `fn` to a set in batches of rows and collect its [rows, width] outputs into one array
 * (tensors never outlive a batch, so memory stays bounded whatever the set's size).
 */
export function mapBatches(
  set: ImageSet,
  pixels: number,
  width: number,
  fn: (batch: tf.Tensor2D) => tf.Tensor,
  batchSize = 1000,
): Float32Array {
  const out = new Float32Array(set.count * width);
  for (let start = 0; start < set.count; start += batchSize) {
    const end = Math.min(set.count, start + batchSize);
    // tidy must return the tensor, not its values: tidy walks whatever it returns looking for
    // tensors, key by key, and a 784,000-value typed array takes it ~0.5 s per batch.
    const y = tf.tidy(() =>
      fn(tf.tensor2d(set.images.subarray(start * pixels, end * pixels), [end - start, pixels])),
    );
    try {
      out.set(y.dataSync() as Float32Array, start * width);
    } finally {
      y.dispose();
    }
  }
  return out;
}

/** Reconstructed pixels (in [0, 1]) for every image of a set: Float32Array [count, pixels]. */
export function reconstructSet(
  model: Autoencoder,
  set: ImageSet,
  pixels: number,
  batchSize = 1000,
): Float32Array {
  return mapBatches(
    set,
    pixels,
    pixels,
    (x) => model.decoder.apply(model.encoder.apply(x)) as tf.Tensor,
    batchSize,
  );
}

/** Codes for every image of a set: Float32Array [count, codeSize]. */
export function encodeSet(
  model: Autoencoder,
  set: ImageSet,
  pixels: number,
  batchSize = 1000,
): Float32Array {
  const codeSize = model.encoder.outputs[0].shape[1] as number;
  return mapBatches(set, pixels, codeSize, (x) => model.encoder.apply(x) as tf.Tensor, batchSize);
}

/**
 * Decoded pixels (in [0, 1]) for `codes` (Float32Array [count, codeSize]), in batches: for
 * principal-axis walks, interpolations, latent grids and codes read back from storage.
 */
export function decodeCodes(
  model: Autoencoder,
  codes: Float32Array,
  batchSize = 1000,
): Float32Array {
  const codeSize = model.decoder.inputs[0].shape[1] as number;
  const pixels = model.decoder.outputs[0].shape.slice(1).reduce((a: number, b) => a * (b ?? 1), 1);
  if (codes.length % codeSize !== 0) {
    throw new AutoencoderLabError(
      `decodeCodes: ${codes.length} numbers are not whole codes of size ${codeSize} (the decoder's input size).`,
    );
  }
  const count = codes.length / codeSize;
  const set: ImageSet = { images: codes, labels: new Uint8Array(count), count };
  return mapBatches(set, codeSize, pixels, (z) => model.decoder.apply(z) as tf.Tensor, batchSize);
}

/** The mean image of a set (per-pixel mean), a baseline "reconstruction". */
export function meanImage(set: ImageSet, pixels: number): Float32Array {
  const sum = new Float64Array(pixels);
  for (let i = 0; i < set.count; i++) {
    const row = set.images.subarray(i * pixels, (i + 1) * pixels);
    for (let p = 0; p < pixels; p++) sum[p] += row[p];
  }
  return Float32Array.from(sum, (s) => s / Math.max(1, set.count));
}
