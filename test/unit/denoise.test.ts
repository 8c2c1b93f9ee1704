// Denoising evaluation: seeded corruption of a set, PSNR/SSIM of noisy and denoised images, the
// variant specs, the gallery, and a real MNIST denoising model beating its noisy input.
import { useTestBackend } from "../helpers/backend";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import {
  corruptSet,
  denoisingGalleryFigure,
  denoisingRunName,
  denoisingVariants,
  evaluateDenoising,
  fidelity,
  examplesPerClass,
} from "../../lib/apps/denoise";
import { DENOISING_DEFAULTS, HELD_OUT_DEFAULTS } from "../../lib/apps/defaults";
import { variantBase, variantConfig } from "../../lib/apps/variants";
import { parametersCellSource } from "../../lib/notebook/parameters";
import { comparisonConfig, defaultConfig, quickConfig, resolveConfig } from "../../lib/config";
import { loadDataset, prepareDataset } from "../../lib/data";
import { psnr } from "../../lib/quality/metrics";
import { projectPath } from "../../lib/paths";
import { buildAutoencoder } from "../../lib/model/autoencoder";
import { meanSsim } from "../../lib/quality/ssim";
import { train } from "../../lib/train/trainer";

const SHAPE = { height: 28, width: 28, channels: 1 };

test("variant specs: one per kind x level plus a plain model, valid configs with stable names", () => {
  const specs = denoisingVariants(["gaussian", "masking"], [0.2, 0.5], { train: { epochs: 4 } });
  assert.deepEqual(
    specs.map((s) => s.name),
    [
      "denoise-none",
      "denoise-gaussian-0.2",
      "denoise-gaussian-0.5",
      "denoise-masking-0.2",
      "denoise-masking-0.5",
    ],
  );
  const config = variantConfig(specs[2].name, specs[2].overrides, quickConfig());
  assert.deepEqual(config.model.noise, { kind: "gaussian", level: 0.5 });
  assert.equal(config.train.epochs, 4);
  assert.equal(config.train.runName, "denoise-gaussian-0.5");
  assert.equal(
    variantConfig(specs[0].name, specs[0].overrides, quickConfig()).model.noise.kind,
    "none",
  );
  assert.equal(
    denoisingRunName({ kind: "salt-and-pepper", level: 0.1 }),
    "denoise-salt-and-pepper-0.1",
  );
  assert.equal(denoisingVariants(["masking"], [0.3], {}, false).length, 1);
});

test("corruptSet is seeded and batch-independent in shape; fidelity of the clean set is perfect", async () => {
  await useTestBackend();
  const n = 25;
  const images = Float32Array.from({ length: n * 784 }, (_, i) => ((i * 7919) % 101) / 100);
  const set = { images, labels: new Uint8Array(n), count: n };
  const noise = { kind: "masking" as const, level: 0.3 };
  const before = tf.memory().numTensors;
  const a = corruptSet(set, 784, noise, 5, 10);
  assert.equal(tf.memory().numTensors, before, "no tensor left behind");
  assert.deepEqual(a, corruptSet(set, 784, noise, 5, 10));
  assert.notDeepEqual(a, corruptSet(set, 784, noise, 6, 10));
  assert.notDeepEqual(
    a.subarray(0, 784),
    a.subarray(10 * 784, 11 * 784).map((v) => v),
    "batches differ",
  );
  const zeroed =
    a.filter((v, i) => v === 0 && images[i] !== 0).length / images.filter((v) => v !== 0).length;
  assert.ok(Math.abs(zeroed - 0.3) < 0.03, `masked share ${zeroed}`);
  assert.deepEqual(corruptSet(set, 784, { kind: "none", level: 0.3 }, 5), images);
  const same = fidelity(images, images, SHAPE);
  assert.equal(same.psnr, 100);
  assert.ok(Math.abs(same.ssim - 1) < 1e-9);
  const f = fidelity(images, a, SHAPE);
  assert.ok(Math.abs(f.psnr - psnr(images, a, 784)) < 1e-12);
  assert.ok(Math.abs(f.ssim - meanSsim(images, a, SHAPE)) < 1e-12);
});

test("gallery: one grid row per set, one column per example; examplesPerClass picks in order", () => {
  assert.deepEqual(examplesPerClass([2, 0, 1, 0, 2, 1], 3), [1, 2, 0]);
  assert.deepEqual(examplesPerClass([2, 0, 1, 0, 2, 1], 3, 2), [1, 3, 2, 5, 0, 4]);
  const images = new Float32Array(3 * 784).fill(0.5);
  const fig = denoisingGalleryFigure(
    [
      { name: "clean", images },
      { name: "noisy", images },
    ],
    [0, 2],
    SHAPE,
    { title: "t", columnLabels: ["a", "b"] },
  );
  const z = (fig.data[0] as unknown as { z: unknown[][] }).z;
  assert.equal(z.length, 2 * 28 + 1);
  assert.equal(z[0].length, 2 * 28 + 1);
  assert.deepEqual((fig.layout.yaxis as { ticktext: string[] }).ticktext, ["clean", "noisy"]);
});

test("a denoising model trained briefly on real MNIST beats its noisy input on PSNR", async () => {
  await useTestBackend();
  const config = resolveConfig(
    {
      data: { trainLimit: 3000, testLimit: 200 },
      model: { noise: { kind: "salt-and-pepper", level: 0.3 } },
      train: { epochs: 3, backend: "wasm" },
    },
    quickConfig(),
  );
  const data = prepareDataset(await loadDataset(config.data), config.data, config.seed);
  const model = buildAutoencoder(config.model, data.shape, config.seed);
  await train(model, data, config);
  const noisy = corruptSet(data.test, 784, config.model.noise, 77);
  const result = evaluateDenoising(model, data.test, noisy, data.shape);
  assert.ok(
    result.denoised.psnr > result.noisy.psnr + 3,
    JSON.stringify(result.noisy) + JSON.stringify(result.denoised),
  );
  // SSIM need not improve after so short a training: the output is blurrier than the 70% of
  // untouched pixels of the noisy input (measured: 0.40 noisy, 0.35 denoised). It is in range.
  assert.ok(result.denoised.ssim > 0 && result.denoised.ssim < 1 && result.noisy.ssim < 1);
  assert.equal(result.images.length, data.test.count * 784);
  assert.throws(
    () => evaluateDenoising(model, data.test, noisy.subarray(1), data.shape),
    /corrupt the same set/,
  );
  model.dispose();
});

test("the notebooks' parameter cells train the variants scripts/train-variants.ts trains", () => {
  const params = (file: string) =>
    parametersCellSource(JSON.parse(fs.readFileSync(projectPath("notebooks", file), "utf8"))) ?? "";
  const denoising = params("07-denoising.ipynb");
  assert.match(
    denoising,
    new RegExp(
      `let kinds: string\\[\\] = ${JSON.stringify(DENOISING_DEFAULTS.kinds).replace(/[[\]]/g, "\\$&").replace(/,/g, ", ")};`,
    ),
  );
  assert.match(
    denoising,
    new RegExp(`let levels: number\\[\\] = \\[${DENOISING_DEFAULTS.levels.join(", ")}\\];`),
  );
  // Their epochs come from the config table's comparison preset, not from the notebook.
  assert.doesNotMatch(denoising, /let epochs\b/);
  assert.match(denoising, /^let configOverrides: ConfigOverrides = \{\};/m);
  const heldOut = params("08-anomaly-detection.ipynb");
  assert.match(
    heldOut,
    new RegExp(`let heldOutDigits: number\\[\\] = \\[${HELD_OUT_DEFAULTS.digits.join(", ")}\\];`),
  );
  assert.doesNotMatch(heldOut, /let heldOutEpochs\b/);
  assert.match(heldOut, /^let configOverrides: ConfigOverrides = \{\};/m);
});

test("variantBase: the comparison preset with overrides, the quick preset under AE_QUICK=1", () => {
  const saved = process.env.AE_QUICK;
  try {
    delete process.env.AE_QUICK;
    assert.equal(variantBase({ "train.epochs": 5 }).train.epochs, 5);
    assert.equal(variantBase().train.epochs, 3);
    assert.deepEqual(variantBase(), comparisonConfig());
    assert.equal(defaultConfig().train.epochs, 25);
    process.env.AE_QUICK = "1";
    assert.deepEqual(variantBase(), quickConfig());
  } finally {
    if (saved === undefined) delete process.env.AE_QUICK;
    else process.env.AE_QUICK = saved;
  }
});
