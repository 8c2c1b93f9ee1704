/** Shapes of loaded data shared by loaders, training and analysis. */
import type { DatasetName } from "../config";

/** Size of one image. MNIST and Fashion-MNIST: 28×28×1; CIFAR-10: 32×32×3. */
export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

/** A set of images with labels, held as flat typed arrays (no tensors: loading builds none). */
export interface ImageSet {
  /** Pixels as float32 in [0, 1], row-major [count, height, width, channels] (channels last). */
  images: Float32Array;
  /** One class index per image. */
  labels: Uint8Array;
  /** Number of images. */
  count: number;
}

/** A dataset as shipped: its official train and test sets. */
export interface Dataset {
  name: DatasetName;
  shape: ImageShape;
  /** Human-readable class names, indexed by label. */
  classNames: string[];
  train: ImageSet;
  test: ImageSet;
  /** The files the data was read from (recorded in runs). */
  files: string[];
}

/** A dataset prepared for an experiment: train split into train and validation, limits applied. */
export interface PreparedDataset extends Omit<Dataset, "train"> {
  train: ImageSet;
  validation: ImageSet;
}

/** Pixels per image (height × width × channels). */
export function pixelsPerImage(shape: ImageShape): number {
  return shape.height * shape.width * shape.channels;
}
