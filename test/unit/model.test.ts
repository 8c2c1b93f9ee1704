// Autoencoder factories: shapes of every model, seeded initialisation, separable encoder/decoder,
// and gradients (finite differences on cpu; wasm equal to cpu, conv included).
import { test, before } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { resolveConfig, type ModelConfig } from "../../lib/config";
import { ConfigError } from "../../lib/errors";
import {
  buildAutoencoder,
  countParameters,
  encode,
  reconstruct,
} from "../../lib/model/autoencoder";
import { corrupt } from "../../lib/model/noise";
import { reconstructionLoss } from "../../lib/train/losses";
import { testBackend, useTestBackend } from "../helpers/backend";
import { syntheticSet } from "../helpers/synthetic";

before(useTestBackend);

const MNIST = { height: 28, width: 28, channels: 1 };
const CIFAR = { height: 32, width: 32, channels: 3 };

function modelConfig(overrides: Record<string, unknown>): ModelConfig {
  return resolveConfig(overrides).model;
}

for (const [kind, shape, hidden] of [
  ["dense", MNIST, [32, 16]],
  ["conv", MNIST, [4, 8]],
  ["dense", CIFAR, [32]],
  ["conv", CIFAR, [4, 8]],
] as const) {
  test(`${kind} model on ${shape.height}×${shape.width}×${shape.channels}: encoder, decoder and full shapes`, () => {
    const config = modelConfig({
      model: { kind, codeSize: 10, hiddenSizes: [...hidden], convFilters: [...hidden] },
    });
    const model = buildAutoencoder(config, shape, 1);
    const pixels = shape.height * shape.width * shape.channels;
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const x = tf.randomUniform([3, pixels], 0, 1, "float32", 1) as tf.Tensor2D;
      const code = encode(model, x);
      assert.deepEqual(code.shape, [3, 10]);
      const out = reconstruct(model, x);
      assert.deepEqual(out.shape, [3, pixels]);
      const values = out.dataSync();
      assert.ok(
        values.every((v) => v >= 0 && v <= 1),
        "decoder outputs pixels in [0, 1]",
      );
      const logits = model.decoderLogits.apply(code) as tf.Tensor;
      assert.deepEqual(logits.shape, [3, pixels]);
      // decoder = sigmoid(decoderLogits): the two share weights.
      const viaLogits = tf.sigmoid(logits).dataSync();
      const direct = (model.decoder.apply(code) as tf.Tensor).dataSync();
      for (let i = 0; i < direct.length; i++) assert.ok(Math.abs(direct[i] - viaLogits[i]) < 1e-6);
    });
    assert.equal(tf.memory().numTensors, before, "no tensor leaks");
    assert.ok(countParameters(model) > 0);
    model.dispose();
  });
}

test("dense parameter count matches the architecture 784-256-64-256-784", () => {
  const model = buildAutoencoder(modelConfig({}), MNIST, 1);
  const expected = 784 * 256 + 256 + 256 * 64 + 64 + 64 * 256 + 256 + 256 * 784 + 784;
  assert.equal(countParameters(model), expected);
  model.dispose();
});

test("same seed gives the same initial weights; another seed does not", () => {
  const config = modelConfig({ model: { hiddenSizes: [16] } });
  const weights = (seed: number) => {
    const m = buildAutoencoder(config, MNIST, seed);
    const values = m.trainableWeights().map((w) => Array.from(w.dataSync()));
    m.dispose();
    return values;
  };
  assert.deepEqual(weights(5), weights(5));
  assert.notDeepEqual(weights(5), weights(6));
});

test("conv model rejects image sides not divisible by 2^layers, naming the key", () => {
  assert.throws(
    () =>
      buildAutoencoder(modelConfig({ model: { kind: "conv", convFilters: [4, 8, 16] } }), MNIST, 1),
    (e: unknown) =>
      e instanceof ConfigError && /model\.convFilters/.test(e.message) && /28×28/.test(e.message),
  );
});

/** Gradient of the BCE loss w.r.t. every weight, flattened. */
function lossGradient(kind: "dense" | "conv", x: tf.Tensor2D): Float32Array {
  const config = modelConfig({
    model: { kind, codeSize: 3, hiddenSizes: [5], convFilters: [2, 3] },
  });
  const model = buildAutoencoder(config, { height: 8, width: 8, channels: 1 }, 7);
  const { grads } = tf.variableGrads(
    () =>
      reconstructionLoss("bce", x, model.decoderLogits.apply(model.encoder.apply(x)) as tf.Tensor),
    model.trainableWeights(),
  );
  const flat = tf.tidy(() =>
    tf
      .concat(Object.values(grads).map((g) => g.flatten()))
      .dataSync()
      .slice(),
  );
  tf.dispose(Object.values(grads));
  model.dispose();
  return flat as Float32Array;
}

for (const kind of ["dense", "conv"] as const) {
  test(`${kind} gradients on the test backend (${testBackend()}) equal the cpu backend's`, async () => {
    const set = syntheticSet(4, { height: 8, width: 8, channels: 1 }, 3);
    const x = () => tf.tensor2d(set.images, [4, 64]);
    await tf.setBackend("cpu");
    const xc = x();
    const expected = lossGradient(kind, xc);
    xc.dispose();
    await tf.setBackend(testBackend());
    const xw = x();
    const actual = lossGradient(kind, xw);
    xw.dispose();
    assert.equal(actual.length, expected.length);
    let maxErr = 0;
    for (let i = 0; i < actual.length; i++)
      maxErr = Math.max(maxErr, Math.abs(actual[i] - expected[i]));
    assert.ok(maxErr < 1e-5, `max |${testBackend()} - cpu| = ${maxErr}`);
  });
}

test("dense gradient matches central finite differences (cpu, float32)", async () => {
  await tf.setBackend("cpu");
  const config = modelConfig({ model: { codeSize: 2, hiddenSizes: [3], activation: "tanh" } });
  const shape = { height: 2, width: 2, channels: 1 };
  const model = buildAutoencoder(config, shape, 3);
  const set = syntheticSet(3, shape, 4);
  const x = tf.tensor2d(set.images, [3, 4]);
  const loss = () =>
    reconstructionLoss("bce", x, model.decoderLogits.apply(model.encoder.apply(x)) as tf.Tensor);
  const weights = model.trainableWeights();
  const { grads } = tf.variableGrads(loss, weights);
  const h = 1e-2;
  for (const w of weights) {
    const analytic = grads[w.name].dataSync();
    const original = w.dataSync().slice();
    for (let i = 0; i < original.length; i++) {
      const probe = (delta: number) => {
        const copy = original.slice();
        copy[i] += delta;
        w.assign(tf.tensor(copy, w.shape));
        return tf.tidy(() => loss().dataSync()[0]);
      };
      const numeric = (probe(h) - probe(-h)) / (2 * h);
      w.assign(tf.tensor(original, w.shape));
      assert.ok(
        Math.abs(numeric - analytic[i]) < 2e-3,
        `${w.name}[${i}]: numeric ${numeric} vs analytic ${analytic[i]}`,
      );
    }
  }
  tf.dispose(Object.values(grads));
  x.dispose();
  model.dispose();
  await tf.setBackend(testBackend());
});

test("noise: each kind corrupts as specified, is seeded, and leaves clean images alone for none", () => {
  const x = tf.fill([50, 40], 0.5);
  const values = (kind: "gaussian" | "salt-and-pepper" | "masking", level: number, seed: number) =>
    Array.from(tf.tidy(() => corrupt(x, { kind, level }, seed).dataSync() as Float32Array));
  const g = values("gaussian", 0.2, 1);
  const mean = g.reduce((a, b) => a + b, 0) / g.length;
  const std = Math.sqrt(g.reduce((a, b) => a + (b - mean) ** 2, 0) / g.length);
  assert.ok(
    Math.abs(mean - 0.5) < 0.02 && Math.abs(std - 0.2) < 0.02,
    `gaussian mean ${mean} std ${std}`,
  );
  assert.ok(
    g.every((v) => v >= 0 && v <= 1),
    "gaussian noise is clipped to [0, 1]",
  );
  const sp = values("salt-and-pepper", 0.3, 1);
  const ones = sp.filter((v) => v === 1).length / sp.length;
  const zeros = sp.filter((v) => v === 0).length / sp.length;
  assert.ok(
    Math.abs(ones - 0.15) < 0.03 && Math.abs(zeros - 0.15) < 0.03,
    `salt ${ones} pepper ${zeros}`,
  );
  assert.ok(sp.every((v) => v === 0 || v === 1 || v === 0.5));
  const m = values("masking", 0.25, 1);
  assert.ok(Math.abs(m.filter((v) => v === 0).length / m.length - 0.25) < 0.03);
  assert.ok(m.every((v) => v === 0 || v === 0.5));
  assert.deepEqual(values("masking", 0.25, 9), values("masking", 0.25, 9), "same seed, same noise");
  assert.notDeepEqual(values("masking", 0.25, 9), values("masking", 0.25, 10));
  assert.equal(corrupt(x, { kind: "none", level: 0.3 }, 1), x);
  x.dispose();
});
