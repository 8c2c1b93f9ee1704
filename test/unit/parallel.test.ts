// Data-parallel training with worker threads, on a tiny model: gradient equivalence, agreement
// with the single-thread step, determinism, replicas in sync, resume, errors and no leaks.
import { test, before } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { resolveConfig, type ExperimentConfig } from "../../lib/config";
import type { ImageShape } from "../../lib/data/types";
import { buildAutoencoder, type Autoencoder } from "../../lib/model/autoencoder";
import { createOptimizer, createTrainStep } from "../../lib/train/trainer";
import {
  createParallelTrainer,
  gatherRowsInto,
  ParallelTrainingError,
  shardSizes,
  type ParallelTrainerOptions,
} from "../../lib/train/parallel";
import { createShardReplica, readAdamState } from "../../lib/train/parallel-shard";
import { updateRange, type UpdateMode } from "../../lib/train/parallel-protocol";
import { useWasm } from "../helpers/backend";
import { syntheticSet } from "../helpers/synthetic";

before(useWasm);

const SHAPE: ImageShape = { height: 8, width: 8, channels: 1 };
const PIXELS = 64;
const BATCH = 16;
const IMAGES = syntheticSet(BATCH * 4, SHAPE, 7);

function tinyConfig(noise = "none"): ExperimentConfig {
  return resolveConfig({
    model: { codeSize: 4, hiddenSizes: [16], noise: { kind: noise, level: 0.2 } },
    train: { batchSize: BATCH, learningRate: 0.01 },
  });
}

/** Rows of batch b (the synthetic set holds 4 batches). */
function batchRows(b: number): Float32Array {
  const k = b % 4;
  return IMAGES.images.subarray(k * BATCH * PIXELS, (k + 1) * BATCH * PIXELS);
}

function flatWeights(model: Autoencoder): Float32Array {
  const parts = model.trainableWeights().map((w) => w.dataSync() as Float32Array);
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function maxRelativeGap(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let gap = 0;
  for (let i = 0; i < a.length; i++) {
    gap = Math.max(gap, Math.abs(a[i] - b[i]) / Math.max(1e-3, Math.abs(a[i]), Math.abs(b[i])));
  }
  return gap;
}

/** Losses of `steps` parallel steps from a fresh seeded model; the model and optimizer are returned. */
async function parallelRun(
  steps: number,
  options: Partial<ParallelTrainerOptions> & { update?: UpdateMode },
  config = tinyConfig(),
) {
  const model = buildAutoencoder(config.model, SHAPE, 11);
  const optimizer = createOptimizer(config);
  const trainer = await createParallelTrainer({
    model,
    optimizer,
    config,
    shape: SHAPE,
    ...options,
  });
  const losses: number[] = [];
  try {
    for (let s = 0; s < steps; s++) losses.push(trainer.step(batchRows(s), BATCH, 100 + s));
    await trainer.syncTo();
    const replica = trainer.shards > 1 ? trainer.replicaState(1) : null;
    return { losses, model, optimizer, replica, trainer };
  } finally {
    await trainer.dispose();
  }
}

function singleRun(steps: number, config = tinyConfig()) {
  const model = buildAutoencoder(config.model, SHAPE, 11);
  const optimizer = createOptimizer(config);
  const step = createTrainStep(model, config, optimizer);
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const x = tf.tensor2d(batchRows(s), [BATCH, PIXELS]);
    losses.push(step(x, 100 + s));
    x.dispose();
  }
  return { losses, model, optimizer };
}

function disposeAll(...runs: Array<{ model: Autoencoder; optimizer: tf.Optimizer }>) {
  for (const r of runs) {
    r.model.dispose();
    r.optimizer.dispose();
  }
}

test("shard sizes and update ranges cover everything once", () => {
  assert.deepEqual(shardSizes(256, 2), [128, 128]);
  assert.deepEqual(shardSizes(7, 3), [3, 2, 2]);
  assert.deepEqual(shardSizes(1, 2), [1, 0]);
  assert.deepEqual(updateRange(0, 2, 11), [0, 6]);
  assert.deepEqual(updateRange(1, 2, 11), [6, 11]);
});

test("gatherRowsInto copies the ordered rows into a reused buffer", () => {
  const images = Float32Array.from({ length: 12 }, (_, i) => i); // 4 images of 3 pixels
  const out = new Float32Array(9).fill(-1);
  assert.equal(gatherRowsInto(images, 3, [3, 0, 2, 1], 1, 3, out), 2);
  assert.deepEqual([...out], [0, 1, 2, 6, 7, 8, -1, -1, -1]);
  assert.throws(() => gatherRowsInto(images, 3, [3, 0, 2, 1], 0, 4, out), /holds 9 values/);
});

test("two shards' scaled gradients sum to the full batch's gradient", () => {
  const config = tinyConfig();
  const model = buildAutoencoder(config.model, SHAPE, 3);
  const optimizer = createOptimizer(config);
  const replica = createShardReplica(model, optimizer, "bce", config.model.noise, PIXELS);
  const n = replica.parameterCount;
  const full = new Float32Array(n);
  const a = new Float32Array(n);
  const b = new Float32Array(n);
  const rows = batchRows(0);
  const fullLoss = replica.computeGradients(rows, BATCH, BATCH, 1, full);
  const lossA = replica.computeGradients(rows, 10, BATCH, 1, a);
  const lossB = replica.computeGradients(rows.subarray(10 * PIXELS), 6, BATCH, 1, b);
  assert.ok(Math.abs(lossA + lossB - fullLoss) < 1e-6, `${lossA} + ${lossB} vs ${fullLoss}`);
  const summed = a.map((x, i) => x + b[i]);
  assert.ok(maxRelativeGap(full, summed) < 1e-4, `gap ${maxRelativeGap(full, summed)}`);
  assert.ok(full.some((g) => g !== 0));
  disposeAll({ model, optimizer });
});

test("workers 0, replicated update: bit-identical to createTrainStep", async () => {
  const single = singleRun(12);
  const parallel = await parallelRun(12, { workers: 0, update: "replicated" });
  assert.deepEqual(parallel.losses, single.losses);
  assert.deepEqual(flatWeights(parallel.model), flatWeights(single.model));
  disposeAll(single, parallel);
});

test("one worker, both update modes: losses follow the single-thread run closely", async () => {
  const single = singleRun(30);
  for (const update of ["split", "replicated"] as const) {
    const parallel = await parallelRun(30, { workers: 1, update });
    const gap = maxRelativeGap(parallel.losses, single.losses);
    assert.ok(gap < 1e-3, `${update}: loss gap ${gap}`);
    assert.ok(parallel.losses[29] < parallel.losses[0] * 0.9, `${update} learns`);
    disposeAll(parallel);
  }
  disposeAll(single);
});

test("one worker: same inputs give identical losses, and the replica equals the main model", async () => {
  for (const update of ["split", "replicated"] as const) {
    const a = await parallelRun(15, { workers: 1, update });
    const b = await parallelRun(15, { workers: 1, update });
    assert.deepEqual(a.losses, b.losses, `${update}: deterministic`);
    assert.ok(a.replica);
    assert.deepEqual(a.replica.weights, flatWeights(a.model), `${update}: replica in sync`);
    const mainAdam = readAdamState(a.optimizer, a.replica.weights.length);
    assert.equal(mainAdam.iterations, 15);
    assert.deepEqual(a.replica.adam.m, mainAdam.m, `${update}: first moments`);
    assert.deepEqual(a.replica.adam.v, mainAdam.v, `${update}: second moments`);
    assert.deepEqual(a.replica.adam.accumulators, mainAdam.accumulators);
    disposeAll(a, b);
  }
});

test("a denoising model is deterministic across runs with workers", async () => {
  const config = tinyConfig("masking");
  const a = await parallelRun(8, { workers: 1 }, config);
  const b = await parallelRun(8, { workers: 1 }, config);
  assert.deepEqual(a.losses, b.losses);
  disposeAll(a, b);
});

test("resume: a new trainer loaded from a synced model + optimizer continues identically", async () => {
  for (const update of ["split", "replicated"] as const) {
    const config = tinyConfig();
    const straight = await parallelRun(20, { workers: 1, update });
    // Interrupted run: 10 steps, then copy the state into a fresh model + optimizer (as a
    // checkpoint round trip does) and continue with a new trainer.
    const first = await parallelRun(10, { workers: 1, update });
    const model = buildAutoencoder(config.model, SHAPE, 99);
    model.trainableWeights().forEach((w, i) => w.assign(first.model.trainableWeights()[i]));
    const optimizer = createOptimizer(config);
    await optimizer.setWeights(await first.optimizer.getWeights());
    const state = readAdamState(first.optimizer, flatWeights(first.model).length);
    (optimizer as unknown as { accBeta1: tf.Variable }).accBeta1.assign(
      tf.scalar(state.accumulators?.[0] ?? 0),
    );
    (optimizer as unknown as { accBeta2: tf.Variable }).accBeta2.assign(
      tf.scalar(state.accumulators?.[1] ?? 0),
    );
    const trainer = await createParallelTrainer({
      model,
      optimizer,
      config,
      shape: SHAPE,
      workers: 1,
      update,
    });
    const rest: number[] = [];
    for (let s = 10; s < 20; s++) rest.push(trainer.step(batchRows(s), BATCH, 100 + s));
    await trainer.dispose();
    assert.deepEqual([...first.losses, ...rest], straight.losses, `${update}: resumed`);
    assert.deepEqual(flatWeights(model), flatWeights(straight.model));
    disposeAll(straight, first, { model, optimizer });
  }
});

test("loadFrom pushes an outside change of the main model to the workers", async () => {
  const config = tinyConfig();
  const model = buildAutoencoder(config.model, SHAPE, 5);
  const optimizer = createOptimizer(config);
  const trainer = await createParallelTrainer({ model, optimizer, config, shape: SHAPE });
  trainer.step(batchRows(0), BATCH, 1);
  tf.tidy(() => model.trainableWeights().forEach((w) => w.assign(tf.mul(w, 0.5))));
  await trainer.loadFrom();
  assert.deepEqual(trainer.replicaState(1).weights, flatWeights(model));
  trainer.step(batchRows(1), BATCH, 2);
  assert.deepEqual(trainer.replicaState(1).weights, flatWeights(model));
  await trainer.dispose();
  disposeAll({ model, optimizer });
});

test("no tensor leaks on the main thread, and dispose stops the workers", async () => {
  const config = tinyConfig("gaussian");
  const model = buildAutoencoder(config.model, SHAPE, 5);
  const optimizer = createOptimizer(config);
  for (const update of ["split", "replicated"] as const) {
    const trainer = await createParallelTrainer({ model, optimizer, config, shape: SHAPE, update });
    trainer.step(batchRows(0), BATCH, 1); // replicated: Adam creates its moments here
    await trainer.syncTo(); // split: the main Adam gets its moments here
    const before = tf.memory().numTensors;
    for (let s = 1; s < 6; s++) {
      trainer.step(batchRows(s), BATCH, s);
      await trainer.syncTo();
    }
    assert.equal(tf.memory().numTensors, before, `${update}: steady tensor count`);
    assert.equal(trainer.workersRunning(), 1);
    trainer.step(batchRows(6), BATCH, 6);
    await trainer.dispose(); // syncs the main optimizer first
    const steps = update === "split" ? 7 : 14;
    assert.equal(readAdamState(optimizer, flatWeights(model).length).iterations, steps);
    assert.equal(trainer.workersRunning(), 0);
    await trainer.dispose(); // twice is fine
    assert.throws(() => trainer.step(batchRows(0), BATCH, 1), /disposed/);
  }
  disposeAll({ model, optimizer });
});

test("a worker error surfaces as a ParallelTrainingError, not a hang", async () => {
  const config = tinyConfig();
  const model = buildAutoencoder(config.model, SHAPE, 5);
  const optimizer = createOptimizer(config);
  const trainer = await createParallelTrainer({
    model,
    optimizer,
    config,
    shape: SHAPE,
    failAtStep: 2,
  });
  trainer.step(batchRows(0), BATCH, 1);
  assert.throws(
    () => trainer.step(batchRows(1), BATCH, 2),
    (e: unknown) =>
      e instanceof ParallelTrainingError && /Injected failure at step 2/.test(e.message),
  );
  assert.throws(() => trainer.step(batchRows(2), BATCH, 3), /stopped earlier/);
  await trainer.dispose();
  assert.equal(trainer.workersRunning(), 0);
  disposeAll({ model, optimizer });
});

test("a worker thread that exits mid-step is reported at once, not after the timeout", async () => {
  const config = tinyConfig();
  const model = buildAutoencoder(config.model, SHAPE, 5);
  const optimizer = createOptimizer(config);
  const trainer = await createParallelTrainer({
    model,
    optimizer,
    config,
    shape: SHAPE,
    failAtStep: 1,
    failByExit: true,
    timeoutMs: 600_000,
  });
  assert.throws(
    () => trainer.step(batchRows(0), BATCH, 1),
    (e: unknown) => e instanceof ParallelTrainingError && /exited \(code 3\)/.test(e.message),
  );
  await trainer.dispose();
  assert.equal(trainer.workersRunning(), 0);
  disposeAll({ model, optimizer });
});

test("bad arguments and a model that does not match the config are clear errors", async () => {
  const config = tinyConfig();
  const model = buildAutoencoder(config.model, SHAPE, 5);
  const optimizer = createOptimizer(config);
  const other = resolveConfig({ model: { codeSize: 3, hiddenSizes: [16] } });
  await assert.rejects(
    createParallelTrainer({ model, optimizer, config: other, shape: SHAPE }),
    /weight shapes/,
  );
  await assert.rejects(
    createParallelTrainer({ model, optimizer, config, shape: SHAPE, workers: -1 }),
    /whole number/,
  );
  await assert.rejects(
    createParallelTrainer({ model, optimizer: tf.train.sgd(0.1), config, shape: SHAPE }),
    /Adam/,
  );
  const trainer = await createParallelTrainer({ model, optimizer, config, shape: SHAPE });
  assert.throws(() => trainer.step(batchRows(0), BATCH + 1, 1), /count must be 1\.\.16/);
  assert.throws(() => trainer.step(new Float32Array(10), 2, 1), /rows holds 10 values/);
  await trainer.dispose();
  disposeAll({ model, optimizer });
});

test("on the cpu backend (which keeps typed arrays by reference) the flat buffers are not aliased", async () => {
  await tf.setBackend("cpu");
  try {
    const single = singleRun(10);
    const replicated = await parallelRun(10, { workers: 0, update: "replicated" });
    assert.deepEqual(replicated.losses, single.losses);
    assert.deepEqual(flatWeights(replicated.model), flatWeights(single.model));
    const split = await parallelRun(10, { workers: 0, update: "split" });
    assert.ok(maxRelativeGap(split.losses, single.losses) < 1e-3);
    disposeAll(single, replicated, split);
  } finally {
    await tf.setBackend("wasm");
  }
});
