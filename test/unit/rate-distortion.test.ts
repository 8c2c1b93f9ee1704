import { test, before } from "node:test";
import * as assert from "node:assert/strict";
import {
  autoencoderPoints,
  codecRows,
  losslessPoints,
  pcaPoints,
  rateDistortionFigure,
  truncatePca,
} from "../../lib/apps/rate-distortion";
import { fitPca } from "../../lib/ml/pca";
import { resolveConfig } from "../../lib/config";
import { psnr } from "../../lib/quality/metrics";
import { buildAutoencoder } from "../../lib/model/autoencoder";
import { meanSsim } from "../../lib/quality/ssim";
import { reconstructSet } from "../../lib/model/inference";
import { useTestBackend } from "../helpers/backend";
import { syntheticSet } from "../helpers/synthetic";

before(useTestBackend);
const shape = { height: 12, width: 12, channels: 1 };

test("autoencoder points: float32 is the model's own quality; smaller formats cost less", () => {
  const model = buildAutoencoder(
    resolveConfig({ model: { codeSize: 6, hiddenSizes: [20] } }).model,
    shape,
    3,
  );
  const set = syntheticSet(40, shape, 2);
  const points = autoencoderPoints(model, set, shape);
  assert.deepEqual(
    points.map((p) => [p.method, p.format, p.codeSize, p.bytesPerImage]),
    [
      ["autoencoder", "float32", 6, 24],
      ["autoencoder", "float16", 6, 12],
      ["autoencoder", "uint8", 6, 6 + (6 * 8) / 40],
    ],
  );
  const reconstructed = reconstructSet(model, set, 144);
  assert.ok(Math.abs(points[0].psnr - psnr(set.images, reconstructed, 144)) < 1e-9);
  assert.ok(Math.abs(points[0].ssim - meanSsim(set.images, reconstructed, shape)) < 1e-9);
  // Rounding the code moves the reconstruction only a little.
  assert.ok(Math.abs(points[1].psnr - points[0].psnr) < 0.05, `float16 ${points[1].psnr}`);
  assert.ok(Math.abs(points[2].psnr - points[0].psnr) < 1, `uint8 ${points[2].psnr}`);
  assert.equal(points[0].ratio, 144 / 24);
  model.dispose();
});

test("lossless points are exact and measured on real PNG/gzip files", () => {
  const set = syntheticSet(5, shape, 4);
  const [raw, png, gzip] = losslessPoints(set, shape);
  assert.deepEqual(
    [raw.method, raw.bytesPerImage, raw.psnr, raw.ssim],
    ["raw 8-bit", 144, Infinity, 1],
  );
  assert.equal(png.method, "png");
  assert.equal(gzip.method, "gzip");
  assert.ok(png.bytesPerImage > 50, `png ${png.bytesPerImage}`);
  const rows = codecRows([raw, png]);
  assert.equal(rows[0]["PSNR dB"], "∞ (exact)");
  assert.equal(rows[0]["vs 8-bit image"], "1.0×");
  assert.throws(() => losslessPoints(set, { ...shape, channels: 3 }), /grayscale/);
});

test("PCA points: more coefficients never reconstruct worse; all of them are near exact", () => {
  const set = syntheticSet(60, shape, 9);
  const model = fitPca(set.images, set.count, 144, { components: 144 });
  const points = pcaPoints(model, set, shape, [2, 8, 32, 144], ["float32"]);
  assert.deepEqual(
    points.map((p) => [p.method, p.codeSize, p.bytesPerImage]),
    [
      ["pca", 2, 8],
      ["pca", 8, 32],
      ["pca", 32, 128],
      ["pca", 144, 576],
    ],
  );
  for (let i = 1; i < points.length; i++) assert.ok(points[i].psnr >= points[i - 1].psnr - 1e-9);
  assert.ok(points[3].psnr > 60, `all components: ${points[3].psnr} dB`);
  assert.ok(points[3].ssim > 0.999);
  assert.equal(truncatePca(model, 8).components.length, 8 * 144);
  assert.throws(() => truncatePca(model, 145), /1\.\.144/);
});

test("rate–distortion figure: one line per method and format, sorted by bytes, lossless left out", () => {
  const point = (
    method: string,
    format: "uint8" | "float32" | "lossless",
    bytes: number,
    q: number,
  ) => ({
    method,
    codeSize: bytes,
    format,
    bytesPerImage: bytes,
    ratio: 784 / bytes,
    psnr: q,
    ssim: q / 100,
  });
  const fig = rateDistortionFigure([
    point("autoencoder", "uint8", 32, 20),
    point("autoencoder", "uint8", 8, 14),
    point("pca", "uint8", 8, 12),
    point("png", "lossless", 170, Infinity),
  ]);
  assert.deepEqual(
    fig.data.map((t) => t.name),
    ["autoencoder (uint8)", "pca (uint8)"],
  );
  assert.deepEqual(fig.data[0].x, [8, 32]);
  assert.deepEqual(fig.data[0].y, [14, 20]);
  assert.equal((fig.data[1].line as { dash?: string }).dash, "dash");
  assert.equal((fig.layout.xaxis as { type?: string }).type, "log");
  const bySsim = rateDistortionFigure([point("autoencoder", "uint8", 8, 14)], { quality: "ssim" });
  assert.deepEqual(bySsim.data[0].y, [0.14]);
});
