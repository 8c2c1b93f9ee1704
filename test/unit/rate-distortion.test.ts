import { test, before } from "node:test";
import * as assert from "node:assert/strict";
import { autoencoderPoints, codecRows, losslessPoints } from "../../lib/apps/rate-distortion";
import { resolveConfig } from "../../lib/config";
import { psnr } from "../../lib/metrics";
import { buildAutoencoder } from "../../lib/model/autoencoder";
import { meanSsim } from "../../lib/ssim";
import { reconstructSet } from "../../lib/train/evaluate";
import { useWasm } from "../helpers/backend";
import { syntheticSet } from "../helpers/synthetic";

before(useWasm);
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
