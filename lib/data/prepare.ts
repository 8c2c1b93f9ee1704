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
 * The shuffled rows `order` without those whose label is in `excluded` (order kept). Checks that
 * every excluded label is a class of the dataset.
 */
function withoutClasses(
  order: Uint32Array,
  labels: Uint8Array,
  excluded: readonly number[] | null,
  classNames: readonly string[],
): Uint32Array {
  if (!excluded || excluded.length === 0) return order;
  for (const label of excluded) {
    if (!(Number.isInteger(label) && label >= 0 && label < classNames.length)) {
      throw new DatasetError(
        `data.excludeClasses holds ${label}, but the dataset's labels are 0..${classNames.length - 1}: ` +
          `remove it from data.excludeClasses.`,
      );
    }
  }
  const drop = new Set(excluded);
  if (drop.size >= classNames.length) {
    throw new DatasetError(
      `data.excludeClasses [${excluded.join(", ")}] leaves out every class: nothing to train on. Keep at least one class.`,
    );
  }
  return order.filter((row) => !drop.has(labels[row]));
}

/**
 * Shuffle the training set with `seed` (lib/random), hold out round(count × validationFraction)
 * images as validation, then keep the first trainLimit of the rest and the first testLimit of the
 * test set. The validation split does not depend on the limits, so quick runs validate on the
 * same images as full ones. Images of a class in data.excludeClasses are then removed from the
 * validation split and the rest before the limit (the same split, minus that class); the test set
 * keeps every class.
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
  const excluded = config.excludeClasses ?? null;
  const validationRows = withoutClasses(
    order.subarray(0, validationCount),
    train.labels,
    excluded,
    dataset.classNames,
  );
  const rest = withoutClasses(
    order.subarray(validationCount),
    train.labels,
    excluded,
    dataset.classNames,
  );
  const trainCount = Math.min(rest.length, config.trainLimit ?? Infinity);
  return {
    name: dataset.name,
    shape: { ...shape },
    classNames: [...dataset.classNames],
    files: [...dataset.files],
    validation: selectImages(train, shape, validationRows),
    train: selectImages(train, shape, rest.subarray(0, trainCount)),
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
