/**
 * From a loaded dataset to what an experiment uses: a seeded shuffle of the official training
 * set, a validation split, and the size limits of the config. Deterministic for a given seed.
 */
import type { DataConfig } from "../config";
import { DatasetError } from "../errors";
import { createRng, permutation } from "../random";
import {
  pixelsPerImage,
  type Dataset,
  type ImageSet,
  type ImageShape,
  type PreparedDataset,
} from "./types";

/** A new ImageSet holding the rows `indices` of `set`, in that order (rows are copied). */
export function selectImages(
  set: ImageSet,
  shape: ImageShape,
  indices: ArrayLike<number>,
): ImageSet {
  const size = pixelsPerImage(shape);
  const images = new Float32Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const row = indices[i];
    if (!(row >= 0 && row < set.count)) {
      throw new RangeError(`selectImages: index ${row} is outside 0..${set.count - 1}`);
    }
    images.set(set.images.subarray(row * size, (row + 1) * size), i * size);
    labels[i] = set.labels[row];
  }
  return { images, labels, count: indices.length };
}

/** The first `count` images of a set (views, no copy). */
export function headImages(set: ImageSet, shape: ImageShape, count: number): ImageSet {
  const n = Math.min(count, set.count);
  return {
    images: set.images.subarray(0, n * pixelsPerImage(shape)),
    labels: set.labels.subarray(0, n),
    count: n,
  };
}

/**
 * Shuffle the training set with `seed` (lib/random), hold out round(count × validationFraction)
 * images as validation, then keep the first trainLimit of the rest and the first testLimit of the
 * test set. The validation split does not depend on the limits, so quick runs validate on the
 * same images as full ones.
 */
export function prepareDataset(
  dataset: Dataset,
  config: DataConfig,
  seed: number,
): PreparedDataset {
  const { shape, train } = dataset;
  const fraction = config.validationFraction;
  if (!(fraction >= 0 && fraction < 1)) {
    throw new DatasetError(`data.validationFraction must be in [0, 1), got ${fraction}.`);
  }
  const order = permutation(train.count, createRng(seed));
  const validationCount = Math.round(train.count * fraction);
  if (validationCount >= train.count) {
    throw new DatasetError(
      `data.validationFraction ${fraction} leaves no training images out of ${train.count}.`,
    );
  }
  const trainCount = Math.min(train.count - validationCount, config.trainLimit ?? Infinity);
  return {
    name: dataset.name,
    shape: { ...shape },
    classNames: [...dataset.classNames],
    files: [...dataset.files],
    validation: selectImages(train, shape, order.subarray(0, validationCount)),
    train: selectImages(
      train,
      shape,
      order.subarray(validationCount, validationCount + trainCount),
    ),
    test: headImages(dataset.test, shape, config.testLimit ?? Infinity),
  };
}

/** How many images of each class 0..numClasses-1. A label ≥ numClasses is a DatasetError. */
export function classCounts(labels: ArrayLike<number>, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!(label >= 0 && label < numClasses && Number.isInteger(label))) {
      throw new DatasetError(`Label ${i} is ${label}, outside 0..${numClasses - 1}.`);
    }
    counts[label]++;
  }
  return counts;
}
