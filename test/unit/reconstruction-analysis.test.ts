// Reconstruction analysis (lib/quality/reconstruction-analysis.ts) on tiny synthetic images: batched
// results equal whole-set metrics, rankings, per-class rows and percentiles by hand, gallery
// examples, and a real (tiny, untrained) autoencoder reconstructing without leaking tensors.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { resolveConfig } from "../../lib/config";
import type { ImageSet } from "../../lib/data/types";
import { perImageError, reconstructionReport } from "../../lib/quality/metrics";
import { buildAutoencoder } from "../../lib/model/autoencoder";
import {
  analyzeReconstructions,
  bestAndWorst,
  examplesByRank,
  galleryExamples,
  metricsComparisonRows,
  modelReconstructor,
  perClassErrorRows,
  summarizeValues,
  type PerImageErrors,
} from "../../lib/quality/reconstruction-analysis";
import { meanSsim, ssimPerImage } from "../../lib/quality/ssim";
import { meanImage, reconstructSet } from "../../lib/model/inference";
import { useTestBackend } from "../helpers/backend";
import { syntheticSet } from "../helpers/synthetic";

before(useTestBackend);

const SHAPE = { height: 12, width: 12, channels: 1 };
const PIXELS = 144;
const set = syntheticSet(30, SHAPE, 5, 3);
const train = syntheticSet(40, SHAPE, 6, 3);
const trainMean = meanImage(train, PIXELS);
/** A deterministic stand-in for a decoder: pulls every pixel a quarter of the way to 0.5. */
const blur = (batch: ImageSet) => Float32Array.from(batch.images, (v) => 0.75 * v + 0.125);

function close(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);
}

test("batched analysis equals the whole-set report, SSIM and per-image errors", () => {
  const p = blur(set);
  const whole = reconstructionReport(set.images, p, PIXELS, trainMean);
  const a = analyzeReconstructions(set, SHAPE, trainMean, blur, { batchSize: 7 });
  assert.equal(a.count, 30);
  for (const which of ["model", "allBlack", "meanImage"] as const) {
    for (const key of ["bce", "mse", "psnr", "binarizedAccuracy", "oneMinusMse"] as const) {
      close(a[which][key], whole[which][key], 1e-12, `${which}.${key}`);
    }
  }
  close(a.pixelEntropy, whole.pixelEntropy, 1e-12, "pixel entropy");
  close(a.model.ssim, meanSsim(set.images, p, SHAPE), 1e-7, "model SSIM");
  close(
    a.allBlack.ssim,
    meanSsim(set.images, new Float32Array(PIXELS), SHAPE),
    1e-12,
    "black SSIM",
  );
  close(a.meanImage.ssim, meanSsim(set.images, trainMean, SHAPE), 1e-12, "mean-image SSIM");
  assert.deepEqual(a.errors.bce, perImageError(set.images, p, PIXELS, "bce"));
  assert.deepEqual(a.errors.mse, perImageError(set.images, p, PIXELS, "mse"));
  assert.deepEqual(a.errors.ssim, ssimPerImage(set.images, p, SHAPE));
  a.errors.psnr.forEach((v, i) =>
    close(v, 10 * Math.log10(1 / a.errors.mse[i]), 1e-4, `psnr ${i}`),
  );
  assert.deepEqual(a.labels, set.labels);
});

test("a perfect reconstruction: MSE 0, PSNR 100 dB, SSIM 1; limit analyses the first images", () => {
  const a = analyzeReconstructions(set, SHAPE, trainMean, (b) => b.images.slice(), { limit: 10 });
  assert.equal(a.count, 10);
  assert.equal(a.errors.bce.length, 10);
  assert.equal(a.model.mse, 0);
  assert.equal(a.model.oneMinusMse, 1);
  assert.equal(a.model.psnr, 100);
  close(a.model.ssim, 1, 1e-7, "SSIM");
  assert.deepEqual(a.labels, set.labels.subarray(0, 10));
});

test("analysis errors: wrong reconstruction size, empty set, bad batch size", () => {
  assert.throws(
    () => analyzeReconstructions(set, SHAPE, trainMean, (b) => new Float32Array(b.count)),
    /returned 30 values for 30 images of 144 pixels \(expected 4320\)/,
  );
  assert.throws(
    () => analyzeReconstructions(set, SHAPE, trainMean, blur, { limit: 0 }),
    /Nothing to analyse/,
  );
  assert.throws(
    () => analyzeReconstructions(set, SHAPE, trainMean, blur, { batchSize: 0 }),
    /batchSize/,
  );
});

function errorsOf(values: Partial<Record<keyof PerImageErrors, number[]>>): PerImageErrors {
  const n = Object.values(values)[0]?.length ?? 0;
  const get = (k: keyof PerImageErrors) => Float32Array.from(values[k] ?? new Array(n).fill(0));
  return { bce: get("bce"), mse: get("mse"), psnr: get("psnr"), ssim: get("ssim") };
}

test("bestAndWorst: lower BCE is better, higher SSIM is better; ties by index, NaN worst", () => {
  const e = errorsOf({ bce: [0.3, 0.1, 0.5, 0.1, 0.2], ssim: [0.9, 0.2, NaN, 0.95, 0.5] });
  assert.deepEqual(bestAndWorst(e, 2, "bce"), { best: [1, 3], worst: [2, 0] });
  assert.deepEqual(bestAndWorst(e, 2, "ssim"), { best: [3, 0], worst: [2, 1] });
  assert.deepEqual(bestAndWorst(e, 10), { best: [1, 3, 4, 0, 2], worst: [2, 0, 4, 1, 3] });
  assert.deepEqual(bestAndWorst(e, 0), { best: [], worst: [] });
  assert.throws(() => bestAndWorst(e, -1), /non-negative integer/);
});

test("summarizeValues: percentiles interpolate like numpy", () => {
  const s = summarizeValues([5, 1, 4, 2, 3]);
  assert.deepEqual(s, { count: 5, mean: 3, min: 1, median: 3, p90: 4.6, p99: 4.96, max: 5 });
  assert.equal(summarizeValues([2, 4]).median, 3);
  assert.throws(() => summarizeValues([]), /no values/);
});

test("perClassErrorRows: one row per class present, then 'all'", () => {
  const e = errorsOf({
    bce: [0.1, 0.3, 0.2, 0.6],
    mse: [0.01, 0.03, 0.02, 0.04],
    ssim: [1, 0.5, 0.8, 0.4],
    psnr: [20, 15, 17, 14],
  });
  const rows = perClassErrorRows({ errors: e, labels: Uint8Array.from([0, 2, 0, 2]) }, [
    "zero",
    "one",
    "two",
  ]);
  assert.deepEqual(
    rows.map((r) => [r.class, r.images]),
    [
      ["zero", 2],
      ["two", 2],
      ["all", 4],
    ],
  );
  close(rows[0]["mean BCE"] as number, 0.15, 1e-7, "zero mean BCE");
  close(rows[1]["median BCE"] as number, 0.45, 1e-7, "two median BCE");
  close(rows[1]["worst BCE"] as number, 0.6, 1e-7, "two worst BCE");
  close(rows[0].SSIM as number, 0.9, 1e-7, "zero SSIM");
  close(rows[2]["PSNR dB"] as number, 16.5, 1e-7, "all PSNR");
  close(rows[2]["mean MSE"] as number, 0.025, 1e-7, "all MSE");
  assert.throws(
    () => perClassErrorRows({ errors: e, labels: Uint8Array.from([0, 5, 0, 0]) }, ["a"]),
    /Label 5 of image 1/,
  );
});

test("metricsComparisonRows: one row per metric, formatted, one column per set", () => {
  const m = {
    bce: 0.07123,
    mse: 0.004567,
    psnr: 24.123,
    binarizedAccuracy: 0.98765,
    oneMinusMse: 0.995433,
    ssim: 0.91234,
  };
  const rows = metricsComparisonRows([
    { name: "test", metrics: m },
    { name: "all-black", metrics: { ...m, ssim: 0.1 } },
  ]);
  assert.deepEqual(
    rows.map((r) => r.metric.split(" ")[0]),
    ["BCE", "MSE", "PSNR", "SSIM", "binarized", "1"],
  );
  assert.deepEqual(
    rows.map((r) => r.test),
    ["0.0712", "0.00457", "24.12", "0.9123", "98.77%", "99.54%"],
  );
  assert.equal(rows[3]["all-black"], "0.1000");
});

test("examplesByRank and galleryExamples: k-th pick of each class, reconstructed once", () => {
  const blocks = examplesByRank([[0, 3], [1], [2, 5]]);
  assert.deepEqual(blocks, [
    [0, 1, 2],
    [3, null, 5],
  ]);
  const calls: number[] = [];
  const half = (b: ImageSet) => {
    calls.push(b.count);
    return Float32Array.from(b.images, (v) => v / 2);
  };
  const errors = Float32Array.from({ length: 30 }, (_, i) => i / 100);
  const examples = galleryExamples(set, SHAPE, blocks, half, {
    errors: errors,
    classNames: ["a", "b", "c"],
  });
  assert.deepEqual(calls, [5]);
  assert.equal(examples[1][1], null);
  const e = examples[1][2];
  assert.ok(e);
  assert.deepEqual(e.original, set.images.subarray(5 * PIXELS, 6 * PIXELS));
  assert.deepEqual(
    e.reconstruction,
    Float32Array.from(e.original, (v) => v / 2),
  );
  assert.equal(e.label, ["a", "b", "c"][set.labels[5]]);
  close(e.error as number, 0.05, 1e-7, "error of image 5");
  assert.equal(galleryExamples(set, SHAPE, [], half).length, 0);
});

test("modelReconstructor: a real autoencoder, batched, no tensor left behind", async () => {
  const config = resolveConfig({ model: { kind: "dense", codeSize: 4, hiddenSizes: [8] } }).model;
  const model = buildAutoencoder(config, SHAPE, 3);
  try {
    const tensorsBefore = tf.memory().numTensors;
    const a = analyzeReconstructions(set, SHAPE, trainMean, modelReconstructor(model, SHAPE, 4), {
      batchSize: 8,
    });
    assert.equal(tf.memory().numTensors, tensorsBefore);
    const p = reconstructSet(model, set, PIXELS);
    const whole = reconstructionReport(set.images, p, PIXELS, trainMean);
    close(a.model.bce, whole.model.bce, 1e-9, "BCE");
    close(a.model.ssim, meanSsim(set.images, p, SHAPE), 1e-6, "SSIM");
  } finally {
    model.dispose();
  }
});
