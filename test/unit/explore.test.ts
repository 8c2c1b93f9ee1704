import { test } from "node:test";
import assert from "node:assert/strict";
import {
  classCountsBySplit,
  classCountsTable,
  datasetSummary,
  imageAt,
  meanImagePerClass,
  pixelHistogram,
  pixelStats,
  pixelwiseStats,
  samplesPerClass,
} from "../../lib/data/explore";
import { createRng } from "../../lib/random";
import type { ImageSet, ImageShape, PreparedDataset } from "../../lib/data/types";
import { DatasetError } from "../../lib/errors";

const shape2x2: ImageShape = { height: 2, width: 2, channels: 1 };

function set(pixels: number[], labels: number[]): ImageSet {
  return {
    images: Float32Array.from(pixels),
    labels: Uint8Array.from(labels),
    count: labels.length,
  };
}

// Three 2×2 images: class 0 twice, class 1 once.
const tiny = set([0, 1, 0.5, 0, 1, 1, 0.5, 0, 0, 0, 0, 0.25], [0, 0, 1]);

test("imageAt returns a view of one image", () => {
  assert.deepEqual(Array.from(imageAt(tiny, shape2x2, 1)), [1, 1, 0.5, 0]);
  assert.throws(() => imageAt(tiny, shape2x2, 3), RangeError);
});

test("meanImagePerClass averages pixel-wise per class; empty classes are NaN", () => {
  const means = meanImagePerClass(tiny, shape2x2, 3);
  assert.equal(means.length, 3);
  assert.deepEqual(Array.from(means[0]), [0.5, 1, 0.5, 0]);
  assert.deepEqual(Array.from(means[1]), [0, 0, 0, 0.25]);
  assert.ok(Array.from(means[2]).every(Number.isNaN));
});

test("meanImagePerClass rejects labels beyond numClasses and mismatched sizes", () => {
  assert.throws(() => meanImagePerClass(tiny, shape2x2, 1), DatasetError);
  assert.throws(
    () => meanImagePerClass(tiny, { height: 3, width: 2, channels: 1 }, 2),
    /does not match/,
  );
});

test("pixelHistogram counts bins and the exact 0s and 1s", () => {
  const h = pixelHistogram(tiny, 4);
  assert.deepEqual(h.edges, [0, 0.25, 0.5, 0.75, 1]);
  // values: 0×6, 0.25×1, 0.5×2, 1×3 → bins [0,.25): 6, [.25,.5): 1, [.5,.75): 2, [.75,1]: 3
  assert.deepEqual(h.counts, [6, 1, 2, 3]);
  assert.equal(h.total, 12);
  assert.equal(h.exactZero, 6);
  assert.equal(h.exactOne, 3);
  assert.equal(h.shareExactZero, 0.5);
  assert.equal(h.shareExactOne, 0.25);
  assert.equal(h.shareExactZeroOrOne, 0.75);
});

test("pixelHistogram: one bin, empty set, bad values", () => {
  assert.deepEqual(pixelHistogram(tiny, 1).counts, [12]);
  const empty = pixelHistogram(set([], []), 3);
  assert.deepEqual(empty.counts, [0, 0, 0]);
  assert.equal(empty.shareExactZero, 0);
  assert.throws(() => pixelHistogram(set([0.5, 1.5], [0]), 2), DatasetError);
  assert.throws(() => pixelHistogram(set([NaN], [0]), 2), DatasetError);
  assert.throws(() => pixelHistogram(tiny, 0), RangeError);
});

test("pixelStats: mean, population std, min, max", () => {
  const s = pixelStats(set([0, 1, 0, 1], [0]));
  assert.equal(s.mean, 0.5);
  assert.equal(s.std, 0.5);
  assert.equal(s.min, 0);
  assert.equal(s.max, 1);
  assert.ok(Number.isNaN(pixelStats(set([], [])).mean));
});

test("pixelwiseStats: per-pixel mean and std across images", () => {
  const { mean, std } = pixelwiseStats(set([0, 1, 1, 1], [0, 1]), {
    height: 1,
    width: 2,
    channels: 1,
  });
  assert.deepEqual(Array.from(mean), [0.5, 1]);
  assert.deepEqual(Array.from(std), [0.5, 0]);
});

test("samplesPerClass: seeded, distinct, right class, capped by class size", () => {
  const labels = Array.from({ length: 100 }, (_, i) => i % 3);
  const big = set(new Array(100).fill(0), labels);
  const a = samplesPerClass(big, 5, createRng(7), 4);
  const b = samplesPerClass(big, 5, createRng(7), 4);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, samplesPerClass(big, 5, createRng(8), 4));
  assert.equal(a.length, 4);
  for (let k = 0; k < 3; k++) {
    assert.equal(a[k].length, 5);
    assert.equal(new Set(a[k]).size, 5);
    assert.ok(a[k].every((i) => labels[i] === k));
    assert.deepEqual(
      a[k],
      [...a[k]].sort((x, y) => x - y),
    );
  }
  assert.deepEqual(a[3], []);
  // Asking for more than a class has returns all of it.
  assert.deepEqual(samplesPerClass(tiny, 10, createRng(1), 2), [[0, 1], [2]]);
});

function prepared(): PreparedDataset {
  return {
    name: "mnist",
    shape: shape2x2,
    classNames: ["zero", "one"],
    train: tiny,
    validation: set([1, 1, 1, 1], [1]),
    test: set([0, 0, 0, 0, 0, 0, 0, 0], [0, 1]),
    files: [],
  };
}

test("classCountsBySplit and classCountsTable", () => {
  assert.deepEqual(classCountsBySplit(prepared()), [
    { split: "train", counts: [2, 1] },
    { split: "validation", counts: [0, 1] },
    { split: "test", counts: [1, 1] },
  ]);
  assert.deepEqual(classCountsTable(prepared()), [
    { label: 0, class: "zero", train: 2, validation: 0, test: 1 },
    { label: 1, class: "one", train: 1, validation: 1, test: 1 },
  ]);
});

test("datasetSummary: one row per split with exact statistics", () => {
  const rows = datasetSummary(prepared());
  assert.deepEqual(
    rows.map((r) => r.split),
    ["train", "validation", "test"],
  );
  const train = rows[0];
  assert.equal(train.count, 3);
  assert.equal(train.imageShape, "2×2×1");
  assert.equal(train.pixelMean, 4.25 / 12);
  assert.equal(train.pixelMin, 0);
  assert.equal(train.pixelMax, 1);
  assert.ok(Math.abs(train.pixelStd - Math.sqrt(3.5625 / 12 - (4.25 / 12) ** 2)) < 1e-12);
  assert.equal(train.smallestClass, "one (33.3%)");
  assert.equal(train.largestClass, "zero (66.7%)");
  assert.equal(train.classBalance, 0.5);
  assert.equal(rows[1].classBalance, 0);
  assert.equal(rows[2].classBalance, 1);
});

test("real MNIST: official class counts, 81.4% of test pixels exactly 0 or 1, grouped samples", async () => {
  const { loadDataset } = await import("../../lib/data");
  const { defaultConfig } = await import("../../lib/config");
  const config = defaultConfig();
  const mnist = await loadDataset({ ...config.data, download: false });
  const prepared: PreparedDataset = { ...mnist, validation: set([], []) };
  const [train, , testCounts] = classCountsBySplit(prepared);
  assert.deepEqual(train.counts, [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
  assert.deepEqual(testCounts.counts, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  const h = pixelHistogram(mnist.test, 51);
  assert.equal(h.total, 10000 * 784);
  assert.ok(Math.abs(h.shareExactZeroOrOne - 0.8145) < 0.0005, `share ${h.shareExactZeroOrOne}`);
  assert.equal(
    h.exactZero +
      h.exactOne +
      h.counts.slice(1, -1).reduce((a, b) => a + b, 0) +
      (h.counts[0] - h.exactZero) +
      (h.counts[50] - h.exactOne),
    h.total,
  );
  // The overall pixel mean of the training set is 0.1307 (33.318 / 255).
  assert.ok(Math.abs(pixelStats(mnist.train).mean - 0.1307) < 0.0001);
  const picked = samplesPerClass(mnist.test, 3, createRng(42));
  picked.forEach((indices, k) => assert.ok(indices.every((i) => mnist.test.labels[i] === k)));
  // Mean "1": bright at the centre, dark in the corners.
  const one = meanImagePerClass(mnist.test, mnist.shape, 10)[1];
  assert.ok(one[14 * 28 + 14] > 0.5);
  assert.ok(one[0] === 0 && one[27 * 28 + 27] === 0);
});
