// The native engine's fused training step (lib/backend/native/fused-step.ts) against tfjs'
// generic gradients on the same backend: same weights after a few Adam steps (dense and conv,
// BCE and MSE), Adam state written back for checkpoints, and no native tensor left behind.
import { test, before } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend/select";
import { activeNativeBackend } from "../../lib/backend/native/binding";
import { createFusedTrainStep } from "../../lib/backend/native/fused-step";
import { resolveConfig, type LossName } from "../../lib/config";
import { buildAutoencoder } from "../../lib/model/autoencoder";
import { createTrainStep } from "../../lib/train/trainer";
import { syntheticSet } from "../helpers/synthetic";

const SHAPE = { height: 8, width: 8, channels: 1 };

before(async () => {
  await initBackend("tensorflow");
});

for (const kind of ["dense", "conv"] as const) {
  for (const loss of ["bce", "mse"] as LossName[]) {
    test(`${kind}, ${loss}: 5 fused steps give the generic path's weights and Adam state`, () => {
      const config = resolveConfig({
        model: { kind, codeSize: 4, hiddenSizes: [16], convFilters: [4, 8] },
        train: { loss, learningRate: 0.01 },
      });
      const set = syntheticSet(6, SHAPE, 7);
      const x = tf.tensor2d(set.images, [6, 64]);
      const native = activeNativeBackend();
      assert.ok(native, "the native backend runs");
      const fusedModel = buildAutoencoder(config.model, SHAPE, 3);
      const genericModel = buildAutoencoder(config.model, SHAPE, 3);
      const fusedOpt = tf.train.adam(0.01);
      const genericOpt = tf.train.adam(0.01);
      const fused = createFusedTrainStep(native, fusedModel, loss, fusedOpt);
      assert.notEqual(typeof fused, "string");
      if (typeof fused === "string") return;
      const generic = createTrainStep(genericModel, config, genericOpt);
      for (let i = 0; i < 5; i++) {
        const a = fused.step(x, x);
        const b = generic(x, 1);
        assert.ok(Math.abs(a - b) < 1e-5 * Math.max(1, b), `step ${i + 1}: loss ${a} vs ${b}`);
      }
      fused.sync();
      const fw = fusedModel.trainableWeights();
      const gw = genericModel.trainableWeights();
      for (let i = 0; i < fw.length; i++) {
        const d = tf.tidy(() => tf.max(tf.abs(tf.sub(fw[i], gw[i]))).dataSync()[0]);
        assert.ok(d < 1e-5, `${fw[i].name}: max difference ${d}`);
      }
      assert.equal(
        (fusedOpt as unknown as { iterations: number }).iterations,
        (genericOpt as unknown as { iterations: number }).iterations,
      );
      fused.dispose();
      x.dispose();
      fusedModel.dispose();
      genericModel.dispose();
    });
  }
}

test("steps and dispose leave no native tensor behind", () => {
  const config = resolveConfig({ model: { kind: "conv", codeSize: 4, convFilters: [4, 8] } });
  const model = buildAutoencoder(config.model, SHAPE, 3);
  const x = tf.tensor2d(syntheticSet(6, SHAPE, 7).images, [6, 64]);
  const native = activeNativeBackend();
  assert.ok(native);
  // tfjs-node creates a tensor's native copy on first use: make them exist before counting.
  native.getInputTensorIds([x, ...model.trainableWeights()]);
  const before = native.binding.getNumOfTensors();
  const fused = createFusedTrainStep(native, model, "bce", tf.train.adam(0.01));
  if (typeof fused === "string") throw new Error(fused);
  for (let i = 0; i < 3; i++) fused.step(x, x);
  fused.dispose();
  assert.equal(native.binding.getNumOfTensors(), before);
  x.dispose();
  model.dispose();
});

test("a VAE has no fused form: the reason is given and nothing is left behind", () => {
  const config = resolveConfig({ model: { kind: "vae", codeSize: 2, hiddenSizes: [8] } });
  const model = buildAutoencoder(config.model, SHAPE, 1);
  const native = activeNativeBackend();
  assert.ok(native);
  const before = native.binding.getNumOfTensors();
  const result = createFusedTrainStep(native, model, "bce", tf.train.adam(0.01));
  assert.match(String(result), /VAE/);
  assert.equal(native.binding.getNumOfTensors(), before);
  model.dispose();
});
