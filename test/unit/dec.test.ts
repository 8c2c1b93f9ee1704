// Deep embedded clustering: the soft assignment, target distribution and KL loss against values
// worked out by hand, the loss gradient against finite differences (the analytic formula and
// tfjs' autograd of the tensor version), and a whole fine-tuning run on well-separated blobs.
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { resolveConfig, quickConfig } from "../../lib/config";
import {
  assignmentChange,
  clusteringLoss,
  clusteringLossGradient,
  hardAssignments,
  softAssignment,
  targetDistribution,
} from "../../lib/ml/dec";
import { LatentInputError } from "../../lib/ml/check";
import { loadRun, loadRunModel } from "../../lib/runs/run-folder";
import { runExperiment } from "../../lib/train/experiment";
import {
  clusteringLossTensor,
  decRunConfig,
  ensureDecRun,
  fineTuneClustering,
  loadDecCentroids,
  softAssignmentTensor,
} from "../../lib/train/idec";
import { useTestBackend } from "../helpers/backend";
import { syntheticSet } from "../helpers/synthetic";

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b} (tolerance ${tol})`);

test("soft assignment: Student-t kernel normalised per point (hand-computed, alpha 1 and 2)", () => {
  // z = 0 and 3, centroids 0 and 2 (1-d). alpha 1: kernel 1/(1 + d²).
  // z=0: d² = 0, 4 → 1, 1/5 → q = 5/6, 1/6.  z=3: d² = 9, 1 → 1/10, 1/2 → q = 1/6, 5/6.
  const q = softAssignment([0, 3], 2, 1, [0, 2], 2);
  [5 / 6, 1 / 6, 1 / 6, 5 / 6].forEach((v, i) => close(q[i], v));
  // alpha 2: kernel (1 + d²/2)^(-3/2). z=0: 1, 3^-1.5; 2-d point (1, 1) vs centroids (0,0), (1,1).
  const q2 = softAssignment([0, 0, 1, 1], 2, 2, [0, 0, 1, 1], 2, 2);
  const a = 1;
  const b = Math.pow(2, -1.5); // d² = 2: (1 + 1)^(-3/2)
  close(q2[0], a / (a + b));
  close(q2[1], b / (a + b));
  close(q2[2], b / (a + b));
  close(q2[3], a / (a + b));
  assert.throws(() => softAssignment([0, 1], 2, 1, [0], 2), LatentInputError);
  assert.throws(() => softAssignment([0], 1, 1, [0], 1, 0), /alpha/);
});

test("target distribution: q² over cluster frequency, renormalised (hand-computed)", () => {
  // Symmetric case from above: f = (1, 1), p ∝ q² → (25, 1)/26 and (1, 25)/26.
  const p = targetDistribution([5 / 6, 1 / 6, 1 / 6, 5 / 6], 2, 2);
  [25 / 26, 1 / 26, 1 / 26, 25 / 26].forEach((v, i) => close(p[i], v));
  // Unequal frequencies: q rows (0.5, 0.5), (0.9, 0.1), (0.8, 0.2): f = (2.2, 0.8).
  // Row 1: 0.25/2.2 and 0.25/0.8 → 0.113636…, 0.3125 → normalised 0.266667, 0.733333.
  const q = [0.5, 0.5, 0.9, 0.1, 0.8, 0.2];
  const p2 = targetDistribution(q, 3, 2);
  const r1 = [0.25 / 2.2, 0.25 / 0.8];
  close(p2[0], r1[0] / (r1[0] + r1[1]));
  close(p2[1], r1[1] / (r1[0] + r1[1]));
  const r2 = [0.81 / 2.2, 0.01 / 0.8];
  close(p2[2], r2[0] / (r2[0] + r2[1]));
  close(p2[3], r2[1] / (r2[0] + r2[1]));
  // The loss: KL per point averaged; here both points contribute the same.
  const kl = clusteringLoss(p, [5 / 6, 1 / 6, 1 / 6, 5 / 6], 2, 2);
  close(kl, (25 / 26) * Math.log(25 / 26 / (5 / 6)) + (1 / 26) * Math.log(1 / 26 / (1 / 6)));
  assert.equal(clusteringLoss([1, 0], [1, 0], 1, 2), 0, "p = 0 terms count 0");
});

test("hard assignments and the share of changed assignments", () => {
  assert.deepEqual(Array.from(hardAssignments([0.2, 0.8, 0.5, 0.5, 0.9, 0.1], 3, 2)), [1, 0, 0]);
  close(assignmentChange([0, 1, 2, 3], [0, 1, 3, 2]), 0.5);
  assert.throws(() => assignmentChange([0], [0, 1]), LatentInputError);
});

/** Seeded codes, centroids and a target for gradient checks. */
function gradientCase() {
  const n = 6;
  const dim = 3;
  const k = 3;
  const codes = Float64Array.from({ length: n * dim }, (_, i) => Math.sin(1.7 * i + 0.3) * 2);
  const centroids = Float64Array.from({ length: k * dim }, (_, i) => Math.cos(2.3 * i) * 1.5);
  const p = targetDistribution(softAssignment(codes, n, dim, centroids, k), n, k);
  return { n, dim, k, codes, centroids, p };
}

test("clustering-loss gradient (DEC eq. 4-5) equals central finite differences", () => {
  for (const alpha of [1, 2.5]) {
    const { n, dim, k, codes, centroids, p } = gradientCase();
    const loss = () => clusteringLoss(p, softAssignment(codes, n, dim, centroids, k, alpha), n, k);
    const grad = clusteringLossGradient(codes, n, dim, centroids, k, p, alpha);
    const h = 1e-6;
    for (const [values, analytic] of [
      [codes, grad.codes],
      [centroids, grad.centroids],
    ] as const) {
      for (let i = 0; i < values.length; i++) {
        const keep = values[i];
        values[i] = keep + h;
        const up = loss();
        values[i] = keep - h;
        const down = loss();
        values[i] = keep;
        close(analytic[i], (up - down) / (2 * h), 1e-8);
      }
    }
  }
});

test("tensor versions: same q and loss as the reference, autograd gradient = finite differences", async () => {
  await useTestBackend();
  const { n, dim, k, codes, centroids, p } = gradientCase();
  const before = tf.memory().numTensors;
  const z = tf.tensor2d(Float32Array.from(codes), [n, dim]);
  const mu = tf.tensor2d(Float32Array.from(centroids), [k, dim]);
  const pt = tf.tensor2d(Float32Array.from(p), [n, k]);
  const q = softAssignmentTensor(z, mu, 1);
  const reference = softAssignment(codes, n, dim, centroids, k);
  (q.dataSync() as Float32Array).forEach((v, i) => close(v, reference[i], 1e-6));
  const loss = clusteringLossTensor(pt, q);
  close(loss.dataSync()[0], clusteringLoss(p, reference, n, k), 1e-6);
  const grads = tf.grads((zz: tf.Tensor, mm: tf.Tensor) =>
    clusteringLossTensor(pt, softAssignmentTensor(zz as tf.Tensor2D, mm as tf.Tensor2D, 1)),
  )([z, mu]);
  const exact = clusteringLossGradient(codes, n, dim, centroids, k, p);
  // float32 autograd vs the float64 formula (itself checked against finite differences above).
  (grads[0].dataSync() as Float32Array).forEach((v, i) => close(v, exact.codes[i], 1e-6));
  (grads[1].dataSync() as Float32Array).forEach((v, i) => close(v, exact.centroids[i], 1e-6));
  tf.dispose([z, mu, pt, q, loss, ...grads]);
  assert.equal(tf.memory().numTensors, before, "no tensor leaks");
});

let runsDir: string;
before(() => {
  runsDir = fs.mkdtempSync(path.join(os.tmpdir(), "ae-dec-"));
});
after(() => fs.rmSync(runsDir, { recursive: true, force: true }));

test(
  "IDEC on well-separated synthetic blobs: converges, ACC 1.0, a derived run with its own files",
  { timeout: 120_000 },
  async () => {
    await useTestBackend();
    const shape = { height: 8, width: 8, channels: 1 };
    const data = {
      name: "folder" as const,
      shape,
      classNames: ["a", "b", "c", "d"],
      train: syntheticSet(400, shape, 1),
      validation: syntheticSet(80, shape, 2),
      test: syntheticSet(120, shape, 3),
      files: [],
    };
    const parentConfig = resolveConfig(
      {
        data: { dataset: "folder", folder: "synthetic" },
        model: { hiddenSizes: [16], codeSize: 4 },
        train: { epochs: 3, batchSize: 32, runName: "blobs", runsDir, backend: "auto" },
        analysis: { clusters: 4, kmeansRestarts: 3 },
      },
      quickConfig(),
    );
    const parent = await runExperiment(parentConfig, { data });
    parent.model.dispose();
    const config = decRunConfig(loadRun("blobs", runsDir), "blobs-idec", {
      batchSize: 32,
      updateInterval: 10,
      maxEpochs: 30,
    });
    assert.equal(config.dec.parentRun, "blobs");
    const result = await fineTuneClustering(config, { data });
    assert.equal(result.stopReason, "converged");
    const metrics = result.metrics;
    assert.ok(metrics);
    assert.equal(metrics.clustering.test.dec.accuracy, 1);
    assert.equal(metrics.clustering.test.kmeans.accuracy, 1);
    assert.equal(metrics.clustering.test.dec.nmi, 1);
    assert.ok(result.history.length >= 1);
    assert.ok(result.history[result.history.length - 1].changed < config.dec.tolerance);
    // A run like any other, marked as derived from its parent.
    const run = loadRun("blobs-idec", runsDir);
    assert.equal(run.record.status, "completed");
    assert.equal(run.record.derivedFrom, "blobs");
    assert.equal(run.config.dec.parentRun, "blobs");
    assert.equal(run.history.length, result.history.length);
    const model = await loadRunModel(run);
    model.dispose();
    const { k, dim, centroids } = loadDecCentroids(run);
    assert.deepEqual([k, dim], [4, 4]);
    assert.deepEqual(Array.from(centroids), Array.from(result.centroids));
    // A second fine-tuning into the same name without resume is refused.
    await assert.rejects(fineTuneClustering(config, { data }), /already exists/);
    // ensureDecRun reuses it with the same settings; other settings move it aside and fine-tune anew.
    const same = { batchSize: 32, updateInterval: 10, maxEpochs: 30 };
    const reused = await ensureDecRun("blobs-idec", "blobs", same, { runsDir, data });
    assert.equal(reused.action, "reused");
    const other = await ensureDecRun(
      "blobs-idec",
      "blobs",
      { ...same, updateInterval: 11 },
      {
        runsDir,
        data,
      },
    );
    assert.equal(other.action, "trained");
    assert.equal(other.run.config.dec.updateInterval, 11);
    const aside = fs.readdirSync(runsDir).filter((f) => f.startsWith("blobs-idec-"));
    assert.equal(aside.length, 1, "the older run is kept under another name");
  },
);
