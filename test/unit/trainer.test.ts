// The training loop on tiny synthetic data: learning, reproducibility, early stopping, abort,
// NaN handling, and no tensor leaks.
import { test, before } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { resolveConfig, type ExperimentConfig } from "../../lib/config";
import { buildAutoencoder } from "../../lib/model/autoencoder";
import { NonFiniteLossError, train, bestEpochOf, type EpochRecord } from "../../lib/train/trainer";
import { deriveSeed } from "../../lib/random";
import { useTestBackend } from "../helpers/backend";
import { syntheticDataset } from "../helpers/synthetic";

before(useTestBackend);

function tinyConfig(overrides: Record<string, unknown> = {}): ExperimentConfig {
  return resolveConfig({
    model: { codeSize: 4, hiddenSizes: [16] },
    train: { epochs: 4, batchSize: 16, learningRate: 0.01 },
    ...overrides,
  });
}

async function run(config: ExperimentConfig, data = syntheticDataset(), options = {}) {
  const model = buildAutoencoder(config.model, data.shape, config.seed);
  try {
    return await train(model, data, config, {}, options);
  } finally {
    model.dispose();
  }
}

test("training lowers the loss and records every epoch", async () => {
  const result = await run(tinyConfig({ train: { epochs: 6, batchSize: 16, learningRate: 0.01 } }));
  assert.equal(result.stopReason, "completed");
  assert.deepEqual(
    result.history.map((r) => r.epoch),
    [1, 2, 3, 4, 5, 6],
  );
  const first = result.history[0];
  const last = result.history[5];
  assert.ok(
    last.trainLoss < first.trainLoss * 0.9,
    `train ${first.trainLoss} -> ${last.trainLoss}`,
  );
  assert.ok(last.valLoss < first.valLoss, `val ${first.valLoss} -> ${last.valLoss}`);
  for (const r of result.history) {
    assert.ok(r.samplesPerSecond > 0 && r.trainSeconds > 0 && r.epochSeconds >= r.trainSeconds);
    assert.equal(r.valLoss, r.valBce, "with the bce loss, valLoss is the validation BCE");
  }
});

test("same seed, same backend: identical losses; another seed differs", async () => {
  const losses = async (seed: number) =>
    (await run({ ...tinyConfig(), seed })).history.map((r) => [r.trainLoss, r.valLoss]);
  const a = await losses(3);
  assert.deepEqual(await losses(3), a);
  assert.notDeepEqual(await losses(4), a);
});

test("a denoising model trains on corrupted inputs with the same reproducibility", async () => {
  const config = tinyConfig({
    model: { codeSize: 4, hiddenSizes: [16], noise: { kind: "masking", level: 0.3 } },
  });
  const a = await run(config);
  const b = await run(config);
  assert.deepEqual(
    a.history.map((r) => r.trainLoss),
    b.history.map((r) => r.trainLoss),
  );
  const clean = await run(tinyConfig());
  assert.notEqual(
    a.history[0].trainLoss,
    clean.history[0].trainLoss,
    "noise changes what the model sees",
  );
});

test("the mse loss trains and reports validation BCE alongside", async () => {
  const result = await run(
    tinyConfig({ train: { epochs: 2, batchSize: 16, learningRate: 0.01, loss: "mse" } }),
  );
  const r = result.history[1];
  assert.equal(r.valLoss, r.valMse);
  assert.ok(r.valBce > r.valMse);
});

test("no tensors leak across a whole training run", async () => {
  const config = tinyConfig({ train: { epochs: 2, batchSize: 16, learningRate: 0.01 } });
  const data = syntheticDataset();
  const model = buildAutoencoder(config.model, data.shape, 1);
  const optimizer = tf.train.adam(0.01);
  await train(model, data, config, {}, { optimizer }); // Adam creates its slots on the first step
  const before = tf.memory().numTensors;
  await train(
    model,
    data,
    { ...config, train: { ...config.train, epochs: 4 } },
    {},
    { optimizer, history: [] },
  );
  assert.equal(tf.memory().numTensors, before);
  optimizer.dispose();
  model.dispose();
});

test("early stopping stops after `patience` epochs without a better validation loss", async () => {
  // A learning rate of 0 never improves after epoch 1.
  const result = await run(
    tinyConfig({
      train: { epochs: 10, batchSize: 16, learningRate: 1e-30, earlyStoppingPatience: 2 },
    }),
  );
  assert.equal(result.stopReason, "early-stopping");
  assert.ok(result.history.length <= 4, `stopped after ${result.history.length} epochs`);
  assert.equal(result.bestEpoch, bestEpochOf(result.history));
});

test("an aborted signal stops after the current batch and records no partial epoch", async () => {
  const controller = new AbortController();
  const config = tinyConfig({ train: { epochs: 5, batchSize: 8, learningRate: 0.01 } });
  const data = syntheticDataset();
  const model = buildAutoencoder(config.model, data.shape, 1);
  let batches = 0;
  const result = await train(
    model,
    data,
    config,
    {
      onBatchEnd: (p) => {
        batches++;
        if (p.epoch === 2 && p.batch === 3) controller.abort();
      },
    },
    { signal: controller.signal },
  );
  model.dispose();
  assert.equal(result.stopReason, "interrupted");
  assert.equal(result.history.length, 1);
  assert.equal(batches, 8 + 3);
});

test("a NaN in the data stops training with NonFiniteLossError naming epoch and batch", async () => {
  const data = syntheticDataset();
  data.train.images[5] = Number.NaN;
  const epochs: EpochRecord[] = [];
  const config = tinyConfig();
  const model = buildAutoencoder(config.model, data.shape, 1);
  await assert.rejects(
    train(model, data, config, { onEpochEnd: (r) => void epochs.push(r) }),
    (e: unknown) =>
      e instanceof NonFiniteLossError &&
      e.epoch === 1 &&
      /NaN at epoch 1, batch \d+/.test(e.message) &&
      /learningRate/.test(e.message),
  );
  model.dispose();
  assert.equal(epochs.length, 0, "no epoch with a NaN loss is reported as finished");
});

test("a loss that overflows float32 (inputs of 1e30) stops training at the first batch", async () => {
  const config = tinyConfig({
    train: { epochs: 3, batchSize: 16, learningRate: 10 },
    model: { codeSize: 4, hiddenSizes: [16], activation: "linear", codeActivation: "linear" },
  });
  const data = syntheticDataset();
  for (let i = 0; i < data.train.images.length; i++) data.train.images[i] *= 1e30;
  await assert.rejects(
    run(config, data),
    (e: unknown) =>
      e instanceof NonFiniteLossError &&
      e.epoch === 1 &&
      e.batch === 1 &&
      !Number.isFinite(e.value),
  );
});

test("deriveSeed is deterministic and spreads nearby counters", () => {
  assert.equal(deriveSeed(42, 1, 2), deriveSeed(42, 1, 2));
  const seeds = new Set([1, 2, 3, 4, 5].map((e) => deriveSeed(42, e)));
  assert.equal(seeds.size, 5);
});

test("training is deterministic on the running backend: same seed, identical losses and weights", async () => {
  const base = tinyConfig({ train: { epochs: 2, batchSize: 16, learningRate: 0.01 } });
  const a = await run(base);
  const b = await run(base);
  assert.deepEqual(
    a.history.map((h) => [h.trainLoss, h.valLoss]),
    b.history.map((h) => [h.trainLoss, h.valLoss]),
  );
  assert.ok(a.history[1].trainLoss < a.history[0].trainLoss, "the loss falls");
});
