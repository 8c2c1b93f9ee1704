import { test } from "node:test";
import assert from "node:assert/strict";
import {
  BCE_EPSILON,
  MetricInputError,
  binarizedAccuracy,
  binaryCrossEntropy,
  binaryCrossEntropyFromLogits,
  meanSquaredError,
  oneMinusMse,
  perImageError,
  pixelEntropy,
  psnr,
  reconstructionReport,
} from "../../lib/quality/metrics";
import { createRng } from "../../lib/random";

const f32 = (values: number[]) => Float32Array.from(values);
const LN2 = Math.log(2);
/** −ln(1e-7): the BCE of a pixel predicted exactly wrong, after clipping. */
const CLIPPED_MAX = -Math.log(BCE_EPSILON);

function close(actual: number, expected: number, tolerance = 1e-6): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `expected ${expected} ± ${tolerance}, got ${actual}`,
  );
}

test("binaryCrossEntropy: mean of −x ln p − (1−x) ln(1−p) over pixels", () => {
  close(binaryCrossEntropy(f32([1, 0]), f32([0.5, 0.5])), LN2);
  // −ln 0.8, −ln 0.8, ln 2 (a grey target against a grey prediction).
  close(binaryCrossEntropy(f32([1, 0, 0.5]), f32([0.8, 0.2, 0.5])), (2 * -Math.log(0.8) + LN2) / 3);
});

test("binaryCrossEntropy clips p to [eps, 1 − eps] like Keras", () => {
  close(binaryCrossEntropy(f32([1]), f32([0])), CLIPPED_MAX); // 16.118
  close(binaryCrossEntropy(f32([0]), f32([1])), CLIPPED_MAX);
  close(binaryCrossEntropy(f32([0]), f32([0])), -Math.log(1 - BCE_EPSILON), 1e-12); // ≈ 1e-7
  close(binaryCrossEntropy(f32([1]), f32([1])), -Math.log(1 - BCE_EPSILON), 1e-12);
  assert.ok(binaryCrossEntropy(f32([0]), f32([0])) > 0);
  close(binaryCrossEntropy(f32([1]), f32([0]), 1e-3), -Math.log(1e-3));
  // Inside the clipping range nothing changes.
  close(binaryCrossEntropy(f32([1]), f32([0.25]), 1e-3), -Math.log(0.25));
  assert.throws(() => binaryCrossEntropy(f32([1]), f32([1]), 0), MetricInputError);
  assert.throws(() => binaryCrossEntropy(f32([1]), f32([1]), 0.5), /eps must be in/);
});

test("binaryCrossEntropyFromLogits: stable form, hand values", () => {
  close(binaryCrossEntropyFromLogits(f32([1]), f32([0])), LN2);
  close(binaryCrossEntropyFromLogits(f32([1]), f32([2])), Math.log1p(Math.exp(-2)));
  // max(−3, 0) − (−3)(0.25) + log1p(e^−3) = 0.75 + 0.048587
  close(binaryCrossEntropyFromLogits(f32([0.25]), f32([-3])), 0.75 + Math.log1p(Math.exp(-3)));
});

test("binaryCrossEntropyFromLogits equals the probability form for moderate logits", () => {
  const rng = createRng(7);
  const n = 1000;
  const x = new Float32Array(n);
  const logits = new Float32Array(n);
  const p = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = i % 3 === 0 ? rng.next() : i % 3 === 1 ? 0 : 1;
    logits[i] = (rng.next() - 0.5) * 10; // in [−5, 5]: no clipping in the probability form
    p[i] = 1 / (1 + Math.exp(-logits[i]));
  }
  // p is rounded to float32, so allow float32-level differences.
  close(binaryCrossEntropyFromLogits(x, logits), binaryCrossEntropy(x, p), 1e-5);
});

test("binaryCrossEntropyFromLogits stays finite and exact for |l| = 100", () => {
  close(binaryCrossEntropyFromLogits(f32([1]), f32([100])), 0, 1e-30);
  close(binaryCrossEntropyFromLogits(f32([0]), f32([100])), 100, 1e-9);
  close(binaryCrossEntropyFromLogits(f32([1]), f32([-100])), 100, 1e-9);
  close(binaryCrossEntropyFromLogits(f32([0.5]), f32([100])), 50, 1e-9);
  const both = binaryCrossEntropyFromLogits(f32([0, 1, 1, 0]), f32([-100, 100, -100, 100]));
  assert.ok(Number.isFinite(both));
  close(both, 50, 1e-9);
});

test("meanSquaredError and oneMinusMse", () => {
  const x = f32([0, 1, 0.5, 0.25]);
  const p = f32([0.5, 0.5, 0.5, 0.25]);
  close(meanSquaredError(x, p), 0.125, 1e-12);
  close(oneMinusMse(x, p), 0.875, 1e-12);
  assert.equal(meanSquaredError(x, x), 0);
  assert.equal(oneMinusMse(x, x), 1);
});

test("psnr: mean over images of 10·log10(1/MSE_i); a perfect image scores 100 dB", () => {
  // Image 1 perfect (MSE 0 → floored at 1e-10 → 100 dB); image 2 MSE 0.01 → 20 dB.
  close(psnr(f32([0, 1, 0, 0]), f32([0, 1, 0.1, 0.1]), 2), 60, 1e-5);
  assert.equal(psnr(f32([0, 1, 0.5]), f32([0, 1, 0.5]), 3), 100);
  // A tiny error below the floor also scores 100 dB; just above it, slightly less.
  assert.equal(psnr(f32([0.5]), f32([0.5 + 2 ** -20]), 1), 100); // MSE 9.1e-13
  close(psnr(f32([0.5]), f32([0.5 + 2 ** -10]), 1), 10 * Math.log10(2 ** 20), 1e-9); // 60.2 dB
  // Worst case for [0, 1] pixels: MSE 1 → 0 dB.
  assert.equal(psnr(f32([0, 1]), f32([1, 0]), 2), 0);
});

test("binarizedAccuracy: share of pixels on the same side of the threshold", () => {
  // same (0.5 ≥ 0.5 on both sides), differ, differ, same.
  assert.equal(binarizedAccuracy(f32([0.5, 0.49, 1, 0]), f32([0.5, 0.5, 0.2, 0])), 0.5);
  // Equality with the threshold counts as "on" (0.25 is exact in float32).
  assert.equal(
    binarizedAccuracy(f32([0.25, 0.5, 0.125, 1]), f32([0.25, 0.125, 0.25, 0.75]), 0.25),
    0.5,
  );
  assert.equal(binarizedAccuracy(f32([0.25]), f32([0.24]), 0.25), 0);
  assert.equal(binarizedAccuracy(f32([0, 1]), f32([0.4, 0.6])), 1);
});

test("pixelEntropy: BCE floor, 0 for binary pixels", () => {
  close(pixelEntropy(f32([0, 1, 0.5])), LN2 / 3, 1e-12);
  assert.equal(pixelEntropy(f32([0, 1, 1, 0])), 0);
  // A perfect reconstruction's BCE is the entropy (plus at most 1e-7 from clipping).
  const x = f32([0.1, 0.7, 0.3, 0.9]);
  close(binaryCrossEntropy(x, x), pixelEntropy(x), 1e-7);
});

test("perImageError: per-image BCE or MSE", () => {
  const x = f32([1, 0, 0, 0]);
  const p = f32([0.5, 0.5, 0, 1]);
  const bce = perImageError(x, p, 2, "bce");
  assert.ok(bce instanceof Float32Array);
  assert.equal(bce.length, 2);
  close(bce[0], LN2);
  close(bce[1], (-Math.log(1 - BCE_EPSILON) + CLIPPED_MAX) / 2, 1e-5);
  assert.deepEqual(Array.from(perImageError(x, p, 2, "mse")), [0.25, 0.5]);
  assert.deepEqual(Array.from(perImageError(x, p, 4, "mse")), [0.375]);
  close(perImageError(f32([1]), f32([0]), 1, "bce", 1e-3)[0], -Math.log(1e-3), 1e-5);
  assert.throws(() => perImageError(x, p, 2, "bce", -1), /eps must be in \(0, 0.5\), got -1/);
  assert.throws(
    () => perImageError(x, p, 2, "mae" as unknown as "mse"),
    /kind must be "bce" or "mse", got "mae"/,
  );
});

test("reconstructionReport: model next to all-black and mean-image baselines", () => {
  // Two 2-pixel images; the model is perfect; the mean training image is [1, 0.5].
  const x = f32([1, 0, 1, 1]);
  const report = reconstructionReport(x, x, 2, f32([1, 0.5]));
  assert.equal(report.count, 2);
  assert.equal(report.pixels, 2);
  close(report.model.bce, -Math.log(1 - BCE_EPSILON), 1e-12);
  assert.equal(report.model.mse, 0);
  assert.equal(report.model.psnr, 100);
  assert.equal(report.model.binarizedAccuracy, 1);
  assert.equal(report.model.oneMinusMse, 1);
  // All black: three "on" pixels cost −ln(1e-7) each; images' MSE 0.5 and 1.
  close(report.allBlack.bce, (3 * CLIPPED_MAX + -Math.log(1 - BCE_EPSILON)) / 4);
  assert.equal(report.allBlack.mse, 0.75);
  close(report.allBlack.psnr, (10 * Math.log10(2) + 0) / 2, 1e-9);
  assert.equal(report.allBlack.binarizedAccuracy, 0.25);
  assert.equal(report.allBlack.oneMinusMse, 0.25);
  // Mean image [1, 0.5]: second pixel costs ln 2 and 0.25 squared error in both images.
  close(report.meanImage.bce, (2 * LN2 + 2 * -Math.log(1 - BCE_EPSILON)) / 4);
  assert.equal(report.meanImage.mse, 0.125);
  close(report.meanImage.psnr, 10 * Math.log10(8), 1e-9);
  assert.equal(report.meanImage.binarizedAccuracy, 0.75);
  assert.equal(report.meanImage.oneMinusMse, 0.875);
  assert.equal(report.pixelEntropy, 0);
});

test("reconstructionReport agrees with the single-metric functions", () => {
  const rng = createRng(3);
  const pixels = 16;
  const count = 5;
  const x = Float32Array.from({ length: pixels * count }, () =>
    rng.next() < 0.5 ? 0 : rng.next(),
  );
  const p = Float32Array.from({ length: pixels * count }, () => rng.next());
  const mean = Float32Array.from({ length: pixels }, () => rng.next());
  const r = reconstructionReport(x, p, pixels, mean);
  close(r.model.bce, binaryCrossEntropy(x, p), 1e-12);
  close(r.model.mse, meanSquaredError(x, p), 1e-12);
  close(r.model.psnr, psnr(x, p, pixels), 1e-9);
  close(r.model.binarizedAccuracy, binarizedAccuracy(x, p), 1e-12);
  close(r.model.oneMinusMse, oneMinusMse(x, p), 1e-12);
  close(r.pixelEntropy, pixelEntropy(x), 1e-12);
  const tiled = new Float32Array(pixels * count);
  for (let n = 0; n < count; n++) tiled.set(mean, n * pixels);
  close(r.meanImage.bce, binaryCrossEntropy(x, tiled), 1e-12);
  close(r.meanImage.psnr, psnr(x, tiled, pixels), 1e-9);
  const black = new Float32Array(pixels * count);
  close(r.allBlack.mse, meanSquaredError(x, black), 1e-12);
  close(r.allBlack.binarizedAccuracy, binarizedAccuracy(x, black), 1e-12);
  // A one-image report compares that image with the mean image, not with itself.
  const one = reconstructionReport(x.subarray(0, pixels), p.subarray(0, pixels), pixels, mean);
  close(one.meanImage.mse, meanSquaredError(x.subarray(0, pixels), mean), 1e-12);
});

test("length mismatches and bad sizes throw MetricInputError naming both lengths", () => {
  const x = f32([0, 1, 0, 1]);
  const short = f32([0, 1, 0]);
  for (const fn of [
    binaryCrossEntropy,
    binaryCrossEntropyFromLogits,
    meanSquaredError,
    oneMinusMse,
    binarizedAccuracy,
  ]) {
    assert.throws(
      () => fn(x, short),
      (e: Error) => {
        assert.ok(e instanceof MetricInputError, `${fn.name} threw ${e.name}`);
        assert.match(e.message, /length mismatch: x has 4 values but (p|logits) has 3/);
        return true;
      },
    );
  }
  assert.throws(() => psnr(x, short, 2), /x has 4 values but p has 3/);
  assert.throws(() => perImageError(x, short, 2, "mse"), /x has 4 values but p has 3/);
  assert.throws(() => reconstructionReport(x, short, 2, f32([0, 0])), /but p has 3/);
  assert.throws(() => psnr(x, x, 3), /4 values, not a multiple of 3 pixels per image/);
  assert.throws(() => perImageError(x, x, 0, "bce"), /pixels must be a positive integer, got 0/);
  assert.throws(() => perImageError(x, x, 1.5, "bce"), MetricInputError);
  assert.throws(
    () => reconstructionReport(x, x, 2, f32([0, 0, 0])),
    /trainMeanImage has 3 values but an image has 2 pixels/,
  );
  assert.throws(() => meanSquaredError(f32([]), f32([])), /x is empty/);
  assert.throws(() => pixelEntropy(f32([])), MetricInputError);
});
