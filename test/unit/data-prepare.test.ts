import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defaultConfig, type DataConfig } from "../../lib/config";
import { ConfigError, DatasetError } from "../../lib/errors";
import { createRng } from "../../lib/random";
import {
  batchCount,
  classCounts,
  gatherRowsInto,
  iterateBatches,
  prepareDataset,
  selectImages,
} from "../../lib/data";
import type { Dataset, ImageSet, ImageShape } from "../../lib/data/types";

const SHAPE: ImageShape = { height: 2, width: 1, channels: 1 };

/** n images whose pixels encode their index (pixel 0 = i, pixel 1 = i + 0.5), labels i % 10. */
function numbered(n: number): ImageSet {
  const images = new Float32Array(n * 2);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    images[2 * i] = i;
    images[2 * i + 1] = i + 0.5;
    labels[i] = i % 10;
  }
  return { images, labels, count: n };
}

function dataset(trainCount: number, testCount: number): Dataset {
  return {
    name: "mnist",
    shape: SHAPE,
    classNames: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    train: numbered(trainCount),
    test: numbered(testCount),
    files: ["a", "b"],
  };
}

function config(overrides: Partial<DataConfig> = {}): DataConfig {
  return { ...defaultConfig().data, ...overrides };
}

/** The original index of each image of a set (pixel 0 holds it). */
function ids(set: ImageSet): number[] {
  return Array.from({ length: set.count }, (_, i) => set.images[2 * i]);
}

describe("prepareDataset", () => {
  it("splits 1/6 off as validation; train and validation partition the training set", () => {
    const prepared = prepareDataset(dataset(600, 100), config(), 42);
    assert.equal(prepared.validation.count, 100);
    assert.equal(prepared.train.count, 500);
    assert.equal(prepared.test.count, 100);
    const all = [...ids(prepared.train), ...ids(prepared.validation)].sort((a, b) => a - b);
    assert.deepEqual(
      all,
      Array.from({ length: 600 }, (_, i) => i),
    );
    // rows are copied whole and labels follow their image
    for (const set of [prepared.train, prepared.validation]) {
      for (let i = 0; i < set.count; i++) {
        assert.equal(set.images[2 * i + 1], set.images[2 * i] + 0.5);
        assert.equal(set.labels[i], set.images[2 * i] % 10);
      }
    }
    assert.deepEqual(prepared.files, ["a", "b"]);
  });

  it("is deterministic for a seed and differs between seeds", () => {
    const a = prepareDataset(dataset(300, 10), config(), 7);
    const b = prepareDataset(dataset(300, 10), config(), 7);
    const c = prepareDataset(dataset(300, 10), config(), 8);
    assert.deepEqual(ids(a.train), ids(b.train));
    assert.deepEqual(ids(a.validation), ids(b.validation));
    assert.notDeepEqual(ids(a.train), ids(c.train));
    assert.notDeepEqual(
      ids(a.train),
      ids(a.train)
        .slice()
        .sort((x, y) => x - y),
      "shuffled",
    );
  });

  it("applies trainLimit to the train part only and testLimit as the first N test images", () => {
    const full = prepareDataset(dataset(600, 100), config(), 1);
    const limited = prepareDataset(dataset(600, 100), config({ trainLimit: 50, testLimit: 30 }), 1);
    assert.equal(limited.train.count, 50);
    assert.deepEqual(ids(limited.train), ids(full.train).slice(0, 50));
    assert.deepEqual(
      ids(limited.validation),
      ids(full.validation),
      "validation does not depend on limits",
    );
    assert.deepEqual(
      ids(limited.test),
      Array.from({ length: 30 }, (_, i) => i),
    );
  });

  it("limits larger than the data keep everything; fraction 0 gives an empty validation set", () => {
    const prepared = prepareDataset(
      dataset(60, 10),
      config({ validationFraction: 0, trainLimit: 1000, testLimit: 1000 }),
      3,
    );
    assert.equal(prepared.validation.count, 0);
    assert.equal(prepared.validation.images.length, 0);
    assert.equal(prepared.train.count, 60);
    assert.equal(prepared.test.count, 10);
  });

  it("rejects a fraction that leaves no training images", () => {
    assert.throws(
      () => prepareDataset(dataset(1, 1), config({ validationFraction: 0.5 }), 3),
      DatasetError,
    );
  });
});

describe("iterateBatches", () => {
  it("covers every index exactly once per epoch, in shuffled order, last partial batch included", () => {
    const set = numbered(1000);
    const rng = createRng(5);
    const orders: number[][] = [];
    for (let epoch = 0; epoch < 2; epoch++) {
      const seen: number[] = [];
      const sizes: number[] = [];
      for (const batch of iterateBatches(set, SHAPE, 128, rng)) {
        sizes.push(batch.count);
        assert.equal(batch.images.length, batch.count * 2);
        for (let i = 0; i < batch.count; i++) {
          const index = batch.indices[i];
          assert.equal(batch.images[2 * i], index);
          assert.equal(batch.images[2 * i + 1], index + 0.5);
          assert.equal(batch.labels[i], index % 10);
          seen.push(index);
        }
      }
      assert.deepEqual(sizes, [128, 128, 128, 128, 128, 128, 128, 104]);
      assert.equal(sizes.length, batchCount(1000, 128));
      assert.deepEqual(
        seen.slice().sort((a, b) => a - b),
        Array.from({ length: 1000 }, (_, i) => i),
      );
      orders.push(seen);
    }
    assert.notDeepEqual(orders[0], orders[1], "each epoch draws a new order");
  });

  it("without an rng goes in order; a batch larger than the set yields one batch", () => {
    const set = numbered(5);
    const batches = [...iterateBatches(set, SHAPE, 2, null)];
    assert.deepEqual(
      batches.map((b) => Array.from(b.indices)),
      [[0, 1], [2, 3], [4]],
    );
    const one = [...iterateBatches(set, SHAPE, 100, null)];
    assert.equal(one.length, 1);
    assert.equal(one[0].count, 5);
    assert.equal([...iterateBatches(numbered(0), SHAPE, 4, null)].length, 0);
  });

  it("gives each batch its own buffers (keeping a batch is safe)", () => {
    const [a, b] = [...iterateBatches(numbered(4), SHAPE, 2, null)];
    assert.notEqual(a.images.buffer, b.images.buffer);
    assert.equal(a.images[0], 0);
  });

  it("rejects a batch size that is not a positive integer", () => {
    assert.throws(() => iterateBatches(numbered(4), SHAPE, 0, null).next(), ConfigError);
    assert.throws(() => iterateBatches(numbered(4), SHAPE, 1.5, null).next(), ConfigError);
  });
});

describe("selectImages and classCounts", () => {
  it("selectImages copies the given rows in order", () => {
    const picked = selectImages(numbered(10), SHAPE, [9, 0, 3]);
    assert.deepEqual(Array.from(picked.images), [9, 9.5, 0, 0.5, 3, 3.5]);
    assert.deepEqual(Array.from(picked.labels), [9, 0, 3]);
    assert.throws(() => selectImages(numbered(10), SHAPE, [10]), RangeError);
  });

  it("classCounts counts each class and rejects labels out of range", () => {
    assert.deepEqual(classCounts(new Uint8Array([0, 2, 2, 1, 2]), 4), [1, 1, 3, 0]);
    assert.throws(() => classCounts(new Uint8Array([0, 4]), 4), /Label 1 is 4, outside 0..3/);
  });
});

it("gatherRowsInto copies the ordered rows into a reused buffer", () => {
  const images = Float32Array.from({ length: 12 }, (_, i) => i); // 4 images of 3 pixels
  const out = new Float32Array(9).fill(-1);
  assert.equal(gatherRowsInto(images, 3, [3, 0, 2, 1], 1, 3, out), 2);
  assert.deepEqual([...out], [0, 1, 2, 6, 7, 8, -1, -1, -1]);
  assert.throws(() => gatherRowsInto(images, 3, [3, 0, 2, 1], 0, 4, out), /holds 9 values/);
});
