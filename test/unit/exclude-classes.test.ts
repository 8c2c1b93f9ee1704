// data.excludeClasses: the config field, its effect on prepareDataset, and older saved configs.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  defaultConfig,
  parseConfigFlags,
  quickConfig,
  resolveConfig,
  validateConfig,
  type DataConfig,
} from "../../lib/config";
import { classCounts, loadDataset, prepareDataset } from "../../lib/data";
import type { Dataset, ImageSet } from "../../lib/data/types";
import { ConfigError, DatasetError } from "../../lib/errors";

/** n one-pixel images whose pixel is the image's index, labels i % 10. */
function numbered(n: number): ImageSet {
  const images = Float32Array.from({ length: n }, (_, i) => i);
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
  return { images, labels, count: n };
}

function dataset(trainCount: number, testCount: number): Dataset {
  return {
    name: "mnist",
    shape: { height: 1, width: 1, channels: 1 },
    classNames: Array.from({ length: 10 }, (_, i) => String(i)),
    train: numbered(trainCount),
    test: numbered(testCount),
    files: [],
  };
}

const data = (overrides: Partial<DataConfig> = {}): DataConfig => ({
  ...defaultConfig().data,
  ...overrides,
});
const ids = (set: ImageSet) => Array.from(set.images);

test("excludeClasses: null by default, accepts labels from 0, rejects bad values naming the key", () => {
  assert.equal(defaultConfig().data.excludeClasses, null);
  assert.equal(quickConfig().data.excludeClasses, null);
  assert.deepEqual(resolveConfig({ data: { excludeClasses: [0, 9] } }).data.excludeClasses, [0, 9]);
  assert.deepEqual(resolveConfig({ "exclude-classes": [3] }).data.excludeClasses, [3]);
  assert.deepEqual(parseConfigFlags(["--exclude-classes", "0,4"]), {
    "data.excludeClasses": [0, 4],
  });
  assert.deepEqual(parseConfigFlags(["--exclude-classes", "null"]), {
    "data.excludeClasses": null,
  });
  for (const bad of [[-1], [256], [], [1.5], ["3"], 3]) {
    assert.throws(
      () => resolveConfig({ data: { excludeClasses: bad as unknown as number[] } }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /"data\.excludeClasses"/.test(e.message) &&
        /0\.\.255/.test(e.message),
      JSON.stringify(bad),
    );
  }
  // The other int[] fields still want positive integers.
  assert.throws(
    () => resolveConfig({ model: { hiddenSizes: [0] } }),
    /"model.hiddenSizes".*positive integers/,
  );
});

test("a config saved before excludeClasses existed loads as null and equals a fresh config", () => {
  const fresh = defaultConfig();
  const saved = JSON.parse(JSON.stringify(fresh)) as { data: Record<string, unknown> };
  delete saved.data.excludeClasses;
  const loaded = validateConfig(saved);
  assert.equal(loaded.data.excludeClasses, null);
  assert.equal(JSON.stringify(loaded), JSON.stringify(fresh), "same keys in the same order");
  // A key without missingMeans is still required.
  const noLoss = JSON.parse(JSON.stringify(fresh)) as { train: Record<string, unknown> };
  delete noLoss.train.loss;
  assert.throws(() => validateConfig(noLoss), /"train.loss" is missing/);
});

test("prepareDataset leaves excluded classes out of train and validation, not test", () => {
  const all = prepareDataset(dataset(600, 100), data(), 7);
  const without = prepareDataset(dataset(600, 100), data({ excludeClasses: [3, 0] }), 7);
  const isKept = (id: number) => id % 10 !== 3 && id % 10 !== 0;
  // Same split, minus the classes, order kept.
  assert.deepEqual(ids(without.validation), ids(all.validation).filter(isKept));
  assert.deepEqual(ids(without.train), ids(all.train).filter(isKept));
  assert.equal(without.train.count + without.validation.count, 480);
  assert.deepEqual(classCounts(without.train.labels, 10)[3], 0);
  assert.deepEqual(classCounts(without.validation.labels, 10)[0], 0);
  assert.deepEqual(ids(without.test), ids(all.test), "the test set keeps every class");
  // trainLimit counts images after the exclusion.
  const limited = prepareDataset(
    dataset(600, 100),
    data({ excludeClasses: [3], trainLimit: 200 }),
    7,
  );
  assert.equal(limited.train.count, 200);
  assert.ok(limited.train.labels.every((l) => l !== 3));
  // An empty list behaves as null.
  assert.deepEqual(
    ids(prepareDataset(dataset(600, 100), data({ excludeClasses: [] }), 7).train),
    ids(all.train),
  );
});

test("prepareDataset: a label outside the dataset or excluding every class is a DatasetError", () => {
  assert.throws(
    () => prepareDataset(dataset(100, 10), data({ excludeClasses: [10] }), 1),
    (e: unknown) =>
      e instanceof DatasetError && /0\.\.9/.test(e.message) && /remove it/.test(e.message),
  );
  const everything = Array.from({ length: 10 }, (_, i) => i);
  assert.throws(
    () => prepareDataset(dataset(100, 10), data({ excludeClasses: everything }), 1),
    (e: unknown) => e instanceof DatasetError && /every class/.test(e.message),
  );
});

test("on real MNIST (quick preset) excluding digit 5 leaves no 5 to train or validate on", async () => {
  const config = resolveConfig({ data: { excludeClasses: [5] } }, quickConfig());
  const prepared = prepareDataset(await loadDataset(config.data), config.data, config.seed);
  assert.equal(prepared.train.count, 4000);
  assert.equal(classCounts(prepared.train.labels, 10)[5], 0);
  assert.equal(classCounts(prepared.validation.labels, 10)[5], 0);
  assert.ok(classCounts(prepared.test.labels, 10)[5] > 0);
  assert.ok(classCounts(prepared.train.labels, 10).every((c, d) => d === 5 || c > 250));
});
