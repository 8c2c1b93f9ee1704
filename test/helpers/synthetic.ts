// Tiny synthetic datasets for engine tests: a few blob-like images per class, seeded.
import type { ImageSet, ImageShape, PreparedDataset } from "../../lib/data/types";
import { createRng } from "../../lib/random";

/** `count` images of `shape`: class c lights a different band of pixels, plus noise. */
export function syntheticSet(
  count: number,
  shape: ImageShape,
  seed: number,
  classes = 4,
): ImageSet {
  const rng = createRng(seed);
  const pixels = shape.height * shape.width * shape.channels;
  const images = new Float32Array(count * pixels);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % classes;
    labels[i] = label;
    for (let p = 0; p < pixels; p++) {
      const band = Math.floor((p / pixels) * classes) === label ? 0.8 : 0.1;
      images[i * pixels + p] = Math.min(1, Math.max(0, band + 0.1 * rng.normal()));
    }
  }
  return { images, labels, count };
}

/** A PreparedDataset of synthetic images (default 8×8×1, 64 train / 32 validation / 32 test). */
export function syntheticDataset(
  shape: ImageShape = { height: 8, width: 8, channels: 1 },
  sizes = { train: 64, validation: 32, test: 32 },
): PreparedDataset {
  return {
    name: "folder",
    shape,
    classNames: ["a", "b", "c", "d"],
    train: syntheticSet(sizes.train, shape, 1),
    validation: syntheticSet(sizes.validation, shape, 2),
    test: syntheticSet(sizes.test, shape, 3),
    files: [],
  };
}
