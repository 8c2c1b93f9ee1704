// Downstream probes (lib/latent/probes.ts) on synthetic data: separable classes are classified
// (almost) perfectly, results are deterministic, train→test neighbours match brute force,
// stratified subsets are nested and proportional, the linear probe reaches its optimum.
import { test, before } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { LatentInputError } from "../../lib/ml/check";
import {
  fitLinearProbe,
  knnClassifierAccuracy,
  knnPredict,
  labelBudgetCurve,
  labelBudgetFigure,
  linearProbeAccuracy,
  linearProbePredict,
  nearestTrainNeighbors,
  probeTable,
  standardFeatureSets,
  stratifiedSubsets,
} from "../../lib/latent/probes";
import { createRng } from "../../lib/random";
import { useTestBackend } from "../helpers/backend";

before(useTestBackend);

/** n points in `dim` dimensions: class c (of `classes`) is a Gaussian blob around 4·e_c (+ an offset). */
function blobs(n: number, dim: number, classes: number, seed: number, spread = 0.5) {
  const rng = createRng(seed);
  const points = new Float32Array(n * dim);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    labels[i] = c;
    for (let t = 0; t < dim; t++) {
      points[i * dim + t] = (t === c ? 4 : 0) + 10 + spread * rng.normal();
    }
  }
  return { points, labels, n };
}

test("separable blobs: k-NN and the linear probe score 100% on held-out points", () => {
  const train = blobs(300, 8, 3, 1);
  const test = blobs(150, 8, 3, 2);
  assert.equal(knnClassifierAccuracy(train, test, 8, { k: 5 }), 1);
  assert.equal(knnClassifierAccuracy(train, test, 8, { k: 1 }), 1);
  assert.equal(linearProbeAccuracy(train, test, 8), 1);
});

test("no tensor outlives a probe", () => {
  const train = blobs(120, 5, 3, 11, 1);
  const test = blobs(60, 5, 3, 12, 1);
  const before = tf.memory().numTensors;
  knnClassifierAccuracy(train, test, 5);
  linearProbeAccuracy(train, test, 5);
  assert.equal(tf.memory().numTensors, before);
});

test("overlapping blobs: accuracies between chance and 1, identical on a second call", () => {
  const train = blobs(400, 6, 4, 3, 2.5);
  const test = blobs(200, 6, 4, 4, 2.5);
  const knn = knnClassifierAccuracy(train, test, 6);
  const linear = linearProbeAccuracy(train, test, 6);
  for (const a of [knn, linear]) assert.ok(a > 0.4 && a < 1, String(a));
  assert.equal(knnClassifierAccuracy(train, test, 6), knn);
  assert.equal(linearProbeAccuracy(train, test, 6), linear);
});

test("train→test neighbours equal a brute-force search (ties by the smaller index)", () => {
  const rng = createRng(5);
  const nTrain = 57;
  const nQuery = 23;
  const dim = 5;
  // Integer coordinates make exact ties likely.
  const train = Float32Array.from({ length: nTrain * dim }, () => rng.int(4));
  const queries = Float32Array.from({ length: nQuery * dim }, () => rng.int(4));
  const k = 6;
  const found = nearestTrainNeighbors(train, nTrain, queries, nQuery, dim, k);
  for (let q = 0; q < nQuery; q++) {
    const all = Array.from({ length: nTrain }, (_, j) => {
      let s = 0;
      for (let t = 0; t < dim; t++) s += (queries[q * dim + t] - train[j * dim + t]) ** 2;
      return { j, s };
    }).sort((a, b) => a.s - b.s || a.j - b.j);
    assert.deepEqual(
      Array.from(found.subarray(q * k, (q + 1) * k)),
      all.slice(0, k).map((e) => e.j),
      `query ${q}`,
    );
  }
  assert.throws(
    () => nearestTrainNeighbors(train, nTrain, queries, nQuery, dim, 0),
    LatentInputError,
  );
  assert.throws(
    () => nearestTrainNeighbors(train, nTrain, queries, nQuery, dim, 58),
    LatentInputError,
  );
});

test("k-NN vote: majority wins; a tie goes to the smallest label, as sklearn's KNeighborsClassifier", () => {
  // One-dimensional: training points at 0 (class 0), 1 (class 1), 2 (class 1), 10 (class 2).
  // Expected classes are sklearn 1.9.1's: KNeighborsClassifier(n_neighbors=k).fit(X, y).predict.
  const train = { points: Float32Array.of(0, 1, 2, 10), labels: Uint8Array.of(0, 1, 1, 2), n: 4 };
  // Query 0.2 with k = 3: neighbours 0 (c0), 1 (c1), 2 (c1): majority c1.
  assert.deepEqual(Array.from(knnPredict(train, Float32Array.of(0.2), 1, 1, { k: 3 })), [1]);
  // Query 0.4 with k = 2: neighbours 0 (c0) and 1 (c1): a tie, the smallest label (c0) wins.
  assert.deepEqual(Array.from(knnPredict(train, Float32Array.of(0.4), 1, 1, { k: 2 })), [0]);
  // Query 0.6 with k = 2: the nearest is 1 (c1), but the tie still goes to c0 (sklearn: [0]).
  assert.deepEqual(Array.from(knnPredict(train, Float32Array.of(0.6), 1, 1, { k: 2 })), [0]);
  // Labels 5 (nearest) and 3 tied: 3 (sklearn: [3]).
  const far = { points: Float32Array.of(0, 1), labels: Uint8Array.of(5, 3), n: 2 };
  assert.deepEqual(Array.from(knnPredict(far, Float32Array.of(0.1), 1, 1, { k: 2 })), [3]);
});

test("linear probe: converges to a stationary point of the regularised objective; stronger C fits tighter", () => {
  const train = blobs(200, 4, 3, 6, 1.5);
  const probe = fitLinearProbe(train, 4, { c: 1, tolerance: 1e-6, maxIterations: 500 });
  assert.ok(probe.converged);
  assert.equal(probe.classes, 3);
  assert.equal(probe.weights.length, 12);
  // Standardised features: the mean and scale come from the training set.
  assert.ok(Math.abs(probe.mean![0] - (10 + 4 / 3)) < 0.3);
  // The gradient of mean cross-entropy + ‖W‖²/(2Cn), recomputed here in float64, is ~0.
  const gradient = new Float64Array(15);
  for (let i = 0; i < 200; i++) {
    const x = [0, 1, 2, 3].map((t) => (train.points[i * 4 + t] - probe.mean![t]) * probe.scale![t]);
    const logits = [0, 1, 2].map(
      (c) => probe.bias[c] + x.reduce((s, v, t) => s + v * probe.weights[t * 3 + c], 0),
    );
    const max = Math.max(...logits);
    const e = logits.map((l) => Math.exp(l - max));
    const sum = e.reduce((a, b) => a + b, 0);
    for (let c = 0; c < 3; c++) {
      const r = (e[c] / sum - (train.labels[i] === c ? 1 : 0)) / 200;
      for (let t = 0; t < 4; t++) gradient[t * 3 + c] += r * x[t];
      gradient[12 + c] += r;
    }
  }
  for (let j = 0; j < 12; j++) gradient[j] += probe.weights[j] / 200;
  assert.ok(Math.max(...gradient.map(Math.abs)) < 1e-4, String(gradient));
  const loose = fitLinearProbe(train, 4, { c: 100 });
  const tight = fitLinearProbe(train, 4, { c: 0.01 });
  const norm = (w: Float32Array) => Math.sqrt(w.reduce((s, v) => s + v * v, 0));
  assert.ok(norm(tight.weights) < norm(probe.weights));
  assert.ok(norm(probe.weights) < norm(loose.weights));
  // Prediction is argmax of the logits, one class per point.
  const predicted = linearProbePredict(probe, train.points, train.n);
  assert.equal(predicted.length, 200);
  assert.ok(predicted.every((p) => p >= 0 && p < 3));
  assert.throws(() => fitLinearProbe(train, 4, { c: 0 }), LatentInputError);
});

test("stratified subsets: exact sizes, class shares as in the pool, nested, seeded", () => {
  // Pool of 1,000: classes 0..3 with 100, 200, 300, 400 members.
  const labels = new Uint8Array(1000);
  for (let i = 0; i < 1000; i++) labels[i] = i < 100 ? 0 : i < 300 ? 1 : i < 600 ? 2 : 3;
  const [small, medium, all] = stratifiedSubsets(labels, [10, 100, 5000], 42);
  assert.equal(small.length, 10);
  assert.equal(medium.length, 100);
  assert.equal(all.length, 1000);
  const counts = (subset: Int32Array) =>
    [0, 1, 2, 3].map((c) => subset.filter((i) => labels[i] === c).length);
  assert.deepEqual(counts(small), [1, 2, 3, 4]);
  assert.deepEqual(counts(medium), [10, 20, 30, 40]);
  const mediumSet = new Set(medium);
  assert.ok(
    small.every((i) => mediumSet.has(i)),
    "the smaller subset lies inside the larger",
  );
  assert.deepEqual(stratifiedSubsets(labels, [100], 42)[0], medium);
  assert.notDeepEqual(stratifiedSubsets(labels, [100], 43)[0], medium);
  // Largest remainders: 3 of [100, 200, 300, 400] → 0.3, 0.6, 0.9, 1.2 → [0, 1, 1, 1].
  assert.deepEqual(counts(stratifiedSubsets(labels, [3], 1)[0]), [0, 1, 1, 1]);
  assert.throws(() => stratifiedSubsets(labels, [0], 1), LatentInputError);
});

test("label-budget curve: rows per feature set and budget, budgets capped at the pool, table and figure", () => {
  const train = blobs(240, 6, 3, 7, 1);
  const test = blobs(90, 6, 3, 8, 1);
  // A second representation: the same points scrambled by noise (less separable).
  const noisy = (p: Float32Array, seed: number) => {
    const rng = createRng(seed);
    return p.map((v) => v + 3 * rng.normal());
  };
  const sets = [
    { name: "clean", train: train.points, test: test.points, dim: 6 },
    { name: "noisy", train: noisy(train.points, 1), test: noisy(test.points, 2), dim: 6 },
  ];
  const seen: string[] = [];
  const rows = labelBudgetCurve(sets, train.labels, test.labels, {
    budgets: [12, 60, 1000],
    seed: 3,
    onProgress: (r) => seen.push(`${r.features}/${r.labelled}`),
  });
  assert.deepEqual(
    rows.map((r) => `${r.features}/${r.labelled}`),
    ["clean/12", "clean/60", "clean/240", "noisy/12", "noisy/60", "noisy/240"],
  );
  assert.deepEqual(
    seen,
    rows.map((r) => `${r.features}/${r.labelled}`),
  );
  const clean240 = rows[2];
  assert.ok(clean240.knnAccuracy > 0.95 && clean240.linearAccuracy > 0.95);
  assert.ok(rows[5].linearAccuracy < clean240.linearAccuracy);
  const again = labelBudgetCurve(sets, train.labels, test.labels, {
    budgets: [12, 60, 1000],
    seed: 3,
  });
  assert.deepEqual(
    again.map((r) => [r.knnAccuracy, r.linearAccuracy]),
    rows.map((r) => [r.knnAccuracy, r.linearAccuracy]),
  );

  const table = probeTable(rows);
  assert.equal(table.length, 6);
  assert.equal(table[2]["labelled examples"], 240);
  const figure = labelBudgetFigure(rows);
  assert.equal(figure.data.length, 4);
  assert.deepEqual(Array.from(figure.data[0].x as number[]), [12, 60, 240]);
  assert.equal((figure.layout.xaxis as { type?: string }).type, "log");
  assert.throws(
    () => labelBudgetCurve([{ ...sets[0], dim: 5 }], train.labels, test.labels, { seed: 1 }),
    LatentInputError,
  );
});

test("standard feature sets: codes, pixels and a PCA of the pixels fitted on training images", () => {
  const rng = createRng(9);
  const nTrain = 50;
  const nTest = 20;
  const pixels = 16;
  const rand = (n: number) => Float32Array.from({ length: n }, () => rng.next());
  const sets = standardFeatureSets(
    {
      trainCodes: rand(nTrain * 3),
      testCodes: rand(nTest * 3),
      codeDim: 3,
      trainImages: rand(nTrain * pixels),
      testImages: rand(nTest * pixels),
      pixels,
    },
    { pcaComponents: 4, pcaFitCount: 30, seed: 1 },
  );
  assert.deepEqual(
    sets.map((s) => [s.name, s.dim, s.train.length, s.test.length]),
    [
      ["codes", 3, 150, 60],
      ["pixels", 16, 800, 320],
      ["PCA-4 of pixels", 4, 200, 80],
    ],
  );
});
