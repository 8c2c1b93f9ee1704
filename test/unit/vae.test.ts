// The variational autoencoder (model.kind "vae"): KL term by hand, model structure, training,
// save/load of its variance head, bit-exact resume, no tensor leaks, and the one-thread rule.
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { resolveConfig } from "../../lib/config";
import { buildAutoencoder, countParameters } from "../../lib/model/autoencoder";
import { loadRun, loadRunModel, RunError } from "../../lib/runs/run-folder";
import { runExperiment } from "../../lib/train/experiment";
import { klDivergence, reconstructionLoss, vaeLoss } from "../../lib/train/losses";
import { useTestBackend } from "../helpers/backend";
import { tinyRunConfig } from "../helpers/run-config";
import { syntheticDataset } from "../helpers/synthetic";

let runsDir: string;
before(async () => {
  await useTestBackend();
  runsDir = fs.mkdtempSync(path.join(os.tmpdir(), "ae-vae-"));
});
after(() => fs.rmSync(runsDir, { recursive: true, force: true }));

const vaeConfig = (name: string, train: Record<string, unknown> = {}) =>
  resolveConfig({ model: { kind: "vae" } }, tinyRunConfig(name, runsDir, train));

test("KL divergence to N(0, I) by hand; the VAE loss adds it per pixel to the reconstruction loss", () => {
  const value = (t: tf.Scalar) => {
    const v = t.dataSync()[0];
    t.dispose();
    return v;
  };
  assert.equal(value(klDivergence(tf.zeros([3, 2]), tf.zeros([3, 2]))), 0);
  // One image: mean (1, 0), variance (1, 2): 0.5·[(1 + 1 − 1 − 0) + (2 + 0 − 1 − ln 2)] = 1 − ln2/2.
  const kl = value(klDivergence(tf.tensor2d([[1, 0]]), tf.tensor2d([[0, Math.log(2)]])));
  assert.ok(Math.abs(kl - (1 - Math.log(2) / 2)) < 1e-6, `${kl}`);
  // With epsilon 0 the sampled code is the mean: loss = reconstruction + klWeight · KL / pixels.
  const targets = tf.tensor2d([[0, 1, 1, 0]]);
  const mean = tf.tensor2d([[1, 0]]);
  const logVar = tf.tensor2d([[0, Math.log(2)]]);
  const logits = tf.tensor2d([[0.5, -0.5, 2, -2]]);
  const recon = value(reconstructionLoss("bce", targets, logits));
  const total = value(vaeLoss("bce", targets, mean, logVar, tf.zeros([1, 2]), () => logits, 3));
  assert.ok(Math.abs(total - (recon + (3 * kl) / 4)) < 1e-6, `${total}`);
  tf.dispose([targets, mean, logVar, logits]);
});

test("a VAE: mean encoder, zero-initialised variance head sharing the encoder's layers", () => {
  const shape = { height: 8, width: 8, channels: 1 };
  const dense = buildAutoencoder(
    resolveConfig({ model: { codeSize: 4, hiddenSizes: [16] } }).model,
    shape,
    1,
  );
  const vae = buildAutoencoder(
    resolveConfig({ model: { kind: "vae", codeSize: 4, hiddenSizes: [16] } }).model,
    shape,
    1,
  );
  assert.equal(dense.variance, undefined);
  assert.ok(vae.variance && vae.varianceHead);
  assert.equal(countParameters(vae), countParameters(dense) + 16 * 4 + 4);
  const x = tf.randomUniform([5, 64], 0, 1, "float32", 3);
  const lv = vae.variance.apply(x) as tf.Tensor;
  assert.deepEqual(lv.shape, [5, 4]);
  assert.equal(tf.abs(lv).max().dataSync()[0], 0);
  // Same seed, same encoder weights as the dense model: the VAE's extra head draws no randomness.
  const a = dense.encoder.apply(x) as tf.Tensor;
  const b = vae.encoder.apply(x) as tf.Tensor;
  assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
  tf.dispose([x, lv, a, b]);
  dense.dispose();
  vae.dispose();
});

test("a VAE run trains, saves its variance head, reloads, and resumes bit-exactly", async () => {
  const data = syntheticDataset();
  const counts: number[] = [];
  const full = await runExperiment(vaeConfig("vae-full", { epochs: 4 }), {
    data,
    reporter: {
      start() {},
      batch() {},
      epoch: () => void counts.push(tf.memory().numTensors),
      end() {},
    },
  });
  assert.deepEqual(
    counts,
    counts.map(() => counts[0]),
    `tensors per epoch ${counts.join(", ")}`,
  );
  const history = full.result.history;
  assert.ok(history.every((h) => Number.isFinite(h.trainLoss) && Number.isFinite(h.valLoss)));
  assert.ok(history[3].trainLoss < history[0].trainLoss, "training lowers the loss");
  assert.ok(fs.existsSync(path.join(full.folder, "model", "variance", "weights.bin")));
  assert.ok(fs.existsSync(path.join(full.folder, "checkpoint", "variance", "weights.bin")));

  const loaded = await loadRunModel(loadRun(full.folder));
  const x = tf.tensor2d(data.test.images.subarray(0, 3 * 64), [3, 64]);
  for (const part of ["encoder", "variance"] as const) {
    const before = (full.model[part] as tf.LayersModel).apply(x) as tf.Tensor;
    const after = (loaded[part] as tf.LayersModel).apply(x) as tf.Tensor;
    assert.deepEqual(Array.from(after.dataSync()), Array.from(before.dataSync()), part);
    tf.dispose([before, after]);
  }
  x.dispose();
  loaded.dispose();
  full.model.dispose();

  const controller = new AbortController();
  const part = await runExperiment(vaeConfig("vae-part", { epochs: 4 }), {
    data,
    signal: controller.signal,
    reporter: {
      start() {},
      batch() {},
      epoch: (r) => void (r.epoch === 2 && controller.abort()),
      end() {},
    },
  });
  part.model.dispose();
  const resumed = await runExperiment(vaeConfig("vae-part", { epochs: 4 }), { data, resume: true });
  resumed.model.dispose();
  const losses = (h: typeof history) => h.map((r) => [r.epoch, r.trainLoss, r.valLoss]);
  assert.deepEqual(losses(resumed.result.history), losses(history));

  // A VAE whose variance head went missing is an incomplete run, not a plain autoencoder.
  fs.rmSync(path.join(full.folder, "model", "variance"), { recursive: true });
  await assert.rejects(
    loadRunModel(loadRun(full.folder)),
    (e: unknown) => e instanceof RunError && /no variance\//.test((e as Error).message),
  );
});
