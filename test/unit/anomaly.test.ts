// Anomaly scores: hand-computed reconstruction scores, Mahalanobis against a hand inverse, seeded
// noise images, the scorer against the library's own reconstructions, and a real MNIST model
// telling digits from noise.
import { useTestBackend } from "../helpers/backend";
import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import {
  ANOMALY_SCORES,
  AnomalyInputError,
  createAnomalyScorer,
  detectionResults,
  detectionTable,
  fitLatentGaussian,
  flaggedShare,
  inkBiasTable,
  inkShare,
  pearson,
  thresholdTable,
  heldOutDetection,
  labelledScores,
  mahalanobis,
  noiseImages,
  reconstructionScores,
  type AnomalyScores,
} from "../../lib/apps/anomaly";
import { quickConfig, resolveConfig } from "../../lib/config";
import { loadDataset, prepareDataset } from "../../lib/data";
import { perImageError } from "../../lib/quality/metrics";
import { buildAutoencoder } from "../../lib/model/autoencoder";
import { encodeSet, reconstructSet } from "../../lib/model/inference";
import { train } from "../../lib/train/trainer";

const MNIST_SHAPE = { height: 28, width: 28, channels: 1 };
const near = (a: number, b: number, tol = 1e-6) => Math.abs(a - b) <= tol;

test("reconstruction scores by hand: MSE, MSE over ink, relative error; empty images score 0", () => {
  const x = Float32Array.from([1, 0, 0, 0, 0, 0, 0, 0]);
  const p = Float32Array.from([0.5, 0, 0, 0.2, 0, 0, 0, 0]);
  const s = reconstructionScores(x, p, 4);
  assert.ok(near(s.mse[0], (0.25 + 0.04) / 4));
  assert.ok(near(s.unionMse[0], (0.25 + 0.04) / 2), "ink where x or p > 0.1: pixels 0 and 3");
  assert.ok(near(s.relative[0], 0.29 / 1.29));
  assert.ok(near(s.bce[0], perImageError(x, p, 4, "bce")[0]));
  assert.deepEqual([s.mse[1], s.unionMse[1], s.relative[1]], [0, 0, 0]);
  assert.ok(s.bce[1] < 1e-6);
});

test("the ink-normalised scores do not grow with the amount of ink; BCE and MSE do", () => {
  // Two images whose every ink pixel (1) is reconstructed as 0.5: one with 10, one with 100.
  const pixels = 784;
  const x = new Float32Array(2 * pixels);
  const p = new Float32Array(2 * pixels);
  for (let i = 0; i < 10; i++) [x[i], p[i]] = [1, 0.5];
  for (let i = 0; i < 100; i++) [x[pixels + i], p[pixels + i]] = [1, 0.5];
  const s = reconstructionScores(x, p, pixels);
  assert.ok(near(s.mse[1] / s.mse[0], 10, 1e-3) && near(s.bce[1] / s.bce[0], 10, 1e-3));
  assert.ok(near(s.unionMse[0], 0.25) && near(s.unionMse[1], 0.25));
  assert.ok(near(s.relative[0], 0.2) && near(s.relative[1], 0.2));
});

test("Mahalanobis distance matches the inverse of the sample covariance", () => {
  const codes = Float32Array.from([1, 0.5, -1, -0.2, 0, 2, 0.3, -2, 2, 1.1, -0.7, 0.4]);
  const n = 6;
  const g = fitLatentGaussian(codes, n, 2, 0);
  const mx = [0, 2].map(() => 0);
  for (let i = 0; i < n; i++)
    [mx[0], mx[1]] = [mx[0] + codes[2 * i] / n, mx[1] + codes[2 * i + 1] / n];
  let [a, b, c] = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const dx = codes[2 * i] - mx[0];
    const dy = codes[2 * i + 1] - mx[1];
    [a, b, c] = [a + (dx * dx) / (n - 1), b + (dx * dy) / (n - 1), c + (dy * dy) / (n - 1)];
  }
  const det = a * c - b * b;
  const query = Float32Array.from([0.7, -1.3, 0, 0]);
  const d = mahalanobis(g, query);
  for (let q = 0; q < 2; q++) {
    const dx = query[2 * q] - mx[0];
    const dy = query[2 * q + 1] - mx[1];
    const expected = Math.sqrt((c * dx * dx - 2 * b * dx * dy + a * dy * dy) / det);
    assert.ok(near(d[q], expected, 1e-5), `${d[q]} vs ${expected}`);
  }
  assert.throws(() => fitLatentGaussian(codes, 6, 3), AnomalyInputError);
  assert.throws(() => mahalanobis(g, Float32Array.from([1, 2, 3])), /whole codes/);
  // Identical codes: only the ridge keeps the covariance invertible.
  assert.throws(() => fitLatentGaussian(new Float32Array(8), 4, 2, 0), /not positive definite/);
});

test("noise images: seeded, in [0, 1], with the documented statistics", () => {
  const shape = { height: 28, width: 28, channels: 1 };
  for (const kind of ["uniform", "gaussian", "salt-and-pepper"] as const) {
    const a = noiseImages(kind, 50, shape, 3);
    assert.deepEqual(
      a.images,
      noiseImages(kind, 50, shape, 3).images,
      `${kind}: same seed, same images`,
    );
    assert.notDeepEqual(a.images, noiseImages(kind, 50, shape, 4).images);
    assert.equal(a.count, 50);
    assert.equal(a.images.length, 50 * 784);
    assert.ok(
      a.images.every((v) => v >= 0 && v <= 1),
      `${kind} in [0, 1]`,
    );
  }
  const mean = (v: Float32Array) => v.reduce((s, x) => s + x, 0) / v.length;
  assert.ok(near(mean(noiseImages("uniform", 100, shape, 1).images), 0.5, 0.01));
  const sp = noiseImages("salt-and-pepper", 100, shape, 1).images;
  assert.ok(sp.every((v) => v === 0 || v === 1));
  assert.ok(near(mean(sp), 0.1307, 0.01));
  const g = noiseImages("gaussian", 100, shape, 1).images;
  assert.ok(g.some((v) => v === 0) && g.some((v) => v > 0.5), "gaussian is clipped at 0");
  assert.throws(() => noiseImages("uniform", 0, shape, 1), AnomalyInputError);
  assert.throws(() => noiseImages("pink" as "uniform", 1, shape, 1), /Unknown noise image kind/);
});

test("detection results and tables from hand-made scores; held-out class as positives", () => {
  const scores = (values: number[]): AnomalyScores =>
    Object.fromEntries(ANOMALY_SCORES.map((k) => [k, Float32Array.from(values)])) as AnomalyScores;
  const { scores: s, positives } = labelledScores(
    Float32Array.from([1, 2]),
    Float32Array.from([3]),
  );
  assert.deepEqual([...s, ...positives], [1, 2, 3, 0, 0, 1]);
  const results = detectionResults(scores([0.1, 0.2, 0.3]), [
    { name: "far", scores: scores([0.9, 0.8]) },
    { name: "mixed", scores: scores([0.15, 0.25]) },
  ]);
  assert.equal(results.length, 2 * ANOMALY_SCORES.length);
  const table = detectionTable(results);
  assert.deepEqual(
    table.map((r) => [r["OOD set"], r["bce AUROC"], r["latent AUPRC"]]),
    [
      ["far", 1, 1],
      ["mixed", 0.5, 0.5],
    ],
  );
  const held = heldOutDetection(scores([0.1, 0.9, 0.2, 0.8]), [3, 7, 3, 7], 7, ["mse"]);
  assert.equal(held.mse.auroc, 1);
});

test("the scorer agrees with the library's reconstructions and codes, and leaks no tensor", async () => {
  await useTestBackend();
  const config = resolveConfig({ model: { codeSize: 8, hiddenSizes: [32] } }, quickConfig());
  const model = buildAutoencoder(config.model, MNIST_SHAPE, 1);
  const set = noiseImages("gaussian", 30, MNIST_SHAPE, 2);
  const before = tf.memory().numTensors;
  const scorer = createAnomalyScorer(
    model,
    noiseImages("uniform", 40, MNIST_SHAPE, 5),
    MNIST_SHAPE,
  );
  const s = scorer.score(set);
  assert.equal(tf.memory().numTensors, before);
  const recon = reconstructSet(model, set, 784);
  const expected = reconstructionScores(set.images, recon, 784);
  for (const k of ["bce", "mse", "unionMse", "relative"] as const) {
    s[k].forEach((v, i) => assert.ok(near(v, expected[k][i], 1e-5), `${k}[${i}]`));
  }
  const latent = mahalanobis(scorer.gaussian, encodeSet(model, set, 784));
  s.latent.forEach((v, i) => assert.ok(near(v, latent[i], 1e-3), `latent[${i}]`));
  assert.throws(
    () => scorer.score({ images: new Float32Array(10), labels: new Uint8Array(1), count: 1 }),
    /784 pixels per image/,
  );
  model.dispose();
});

test("a model trained briefly on MNIST tells test digits from noise images", async () => {
  await useTestBackend();
  const config = resolveConfig(
    { data: { trainLimit: 2000, testLimit: 300 }, train: { epochs: 2, backend: "wasm" } },
    quickConfig(),
  );
  const data = prepareDataset(await loadDataset(config.data), config.data, config.seed);
  const model = buildAutoencoder(config.model, data.shape, config.seed);
  await train(model, data, config);
  const scorer = createAnomalyScorer(model, data.train, data.shape);
  const normal = scorer.score(data.test);
  const results = detectionResults(normal, [
    { name: "uniform", scores: scorer.score(noiseImages("uniform", 300, data.shape, 9)) },
  ]);
  for (const r of results) assert.ok(r.roc.auroc > 0.95, `${r.score}: AUROC ${r.roc.auroc}`);
  model.dispose();
});

test("ink share, Pearson correlation, the ink-bias table and the threshold table", () => {
  const set = {
    images: Float32Array.from([1, 0, 0.05, 0, 0.5, 1, 1, 0]),
    labels: new Uint8Array(2),
    count: 2,
  };
  assert.deepEqual(Array.from(inkShare(set, 4)), [0.25, 0.75]);
  assert.ok(near(pearson([1, 2, 3], [2, 4, 6]), 1) && near(pearson([1, 2, 3], [3, 2, 1]), -1));
  assert.ok(Number.isNaN(pearson([1, 1, 1], [1, 2, 3])));
  assert.throws(() => pearson([1], [1]), AnomalyInputError);
  const scores = (values: number[]): AnomalyScores =>
    Object.fromEntries(ANOMALY_SCORES.map((k) => [k, Float32Array.from(values)])) as AnomalyScores;
  const bias = inkBiasTable([{ name: "normal", set, scores: scores([1, 3]) }], 4);
  assert.deepEqual(bias[0], {
    set: "normal",
    "ink share": 0.5,
    bce: 2,
    mse: 2,
    unionMse: 2,
    relative: 2,
    latent: 2,
  });
  assert.equal(bias[1].bce, 1, "score grows with ink: correlation 1");
  assert.equal(flaggedShare([0.1, 0.5, 0.9, 0.5], 0.5), 0.75);
  // Validation normals 1..20: at 10% the threshold is 19 (two of twenty at or above it).
  const validation = scores(Array.from({ length: 20 }, (_, i) => i + 1));
  const rows = thresholdTable(
    validation,
    scores([5, 19.5, 20, 1]),
    [{ name: "odd", scores: scores([18, 25]) }],
    0.1,
    ["mse"],
  );
  assert.deepEqual(rows, [
    { score: "mse", threshold: 19, "FPR validation": 0.1, "FPR test digits": 0.5, "TPR odd": 0.5 },
  ]);
});
