import { test } from "node:test";
import assert from "node:assert/strict";
import { kmeans } from "../../lib/ml/kmeans";
import { LatentInputError } from "../../lib/ml/check";
import { createRng } from "../../lib/random";

/** `perCluster` points around each of `centers` (dim = centers[0].length), Gaussian spread. */
function blobs(centers: number[][], perCluster: number, spread: number, seed: number) {
  const rng = createRng(seed);
  const dim = centers[0].length;
  const n = centers.length * perCluster;
  const points = new Float32Array(n * dim);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % centers.length;
    labels[i] = c;
    for (let t = 0; t < dim; t++) points[i * dim + t] = centers[c][t] + spread * rng.normal();
  }
  return { points, labels, n, dim };
}

function randomCenters(k: number, dim: number, scale: number, seed: number): number[][] {
  const rng = createRng(seed);
  return Array.from({ length: k }, () => Array.from({ length: dim }, () => scale * rng.normal()));
}

/** Plain Lloyd from given centroids, for comparison (no bounds, no restarts). */
function inertiaFor(
  points: Float32Array,
  n: number,
  dim: number,
  centroids: Float32Array,
  assignments: Int32Array,
) {
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < dim; t++)
      total += (points[i * dim + t] - centroids[assignments[i] * dim + t]) ** 2;
  }
  return total;
}

test("kmeans recovers well separated blobs exactly (up to cluster numbering)", () => {
  const centers = randomCenters(5, 8, 20, 1);
  const { points, labels, n, dim } = blobs(centers, 60, 1, 2);
  const result = kmeans(points, n, dim, { k: 5, seed: 3 });
  const mapping = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const seen = mapping.get(labels[i]);
    if (seen === undefined) mapping.set(labels[i], result.assignments[i]);
    else assert.equal(result.assignments[i], seen, `point ${i} split from its blob`);
  }
  assert.equal(new Set(mapping.values()).size, 5);
  assert.deepEqual(Array.from(result.sizes).sort(), [60, 60, 60, 60, 60]);
  for (let c = 0; c < 5; c++) {
    const label = [...mapping.entries()].find(([, a]) => a === c)![0];
    for (let t = 0; t < dim; t++)
      assert.ok(Math.abs(result.centroids[c * dim + t] - centers[label][t]) < 0.5);
  }
});

test("kmeans is deterministic for a seed, and the seed matters", () => {
  const { points, n, dim } = blobs(randomCenters(6, 4, 2, 4), 50, 1.5, 5);
  const a = kmeans(points, n, dim, { k: 6, seed: 7, restarts: 3 });
  const b = kmeans(points, n, dim, { k: 6, seed: 7, restarts: 3 });
  assert.deepEqual(a, b);
  const others = [8, 9, 10, 11].map((seed) => kmeans(points, n, dim, { k: 6, seed, restarts: 1 }));
  assert.ok(
    others.some(
      (o) =>
        o.inertia !== others[0].inertia ||
        o.assignments.some((v, i) => v !== others[0].assignments[i]),
    ),
  );
});

test("kmeans: inertia never increases along the iterations, and the result is a Lloyd fixed point", () => {
  const { points, n, dim } = blobs(randomCenters(8, 5, 1.5, 6), 80, 1, 7);
  const result = kmeans(points, n, dim, {
    k: 8,
    seed: 1,
    restarts: 1,
    tolerance: 0,
    history: true,
  });
  const history = result.inertiaHistory!;
  assert.equal(history.length, result.iterations);
  assert.ok(history.length > 2, "the test should exercise several iterations");
  for (let s = 1; s < history.length; s++)
    assert.ok(history[s] <= history[s - 1] * (1 + 1e-12), `step ${s}`);
  assert.ok(
    Math.abs(result.inertia - inertiaFor(points, n, dim, result.centroids, result.assignments)) <
      1e-3,
  );
  // Fixed point: each point is with its nearest centroid and each centroid is its points' mean.
  const sums = new Float64Array(8 * dim);
  for (let i = 0; i < n; i++) {
    let best = -1;
    let bestD = Infinity;
    for (let c = 0; c < 8; c++) {
      let d = 0;
      for (let t = 0; t < dim; t++) d += (points[i * dim + t] - result.centroids[c * dim + t]) ** 2;
      if (d < bestD) {
        bestD = d;
        best = c;
      }
    }
    assert.equal(result.assignments[i], best);
    for (let t = 0; t < dim; t++) sums[best * dim + t] += points[i * dim + t];
  }
  for (let c = 0; c < 8; c++) {
    for (let t = 0; t < dim; t++) {
      assert.ok(
        Math.abs(sums[c * dim + t] / result.sizes[c] - result.centroids[c * dim + t]) < 1e-5,
      );
    }
  }
});

test("kmeans keeps the restart with the lowest inertia", () => {
  const { points, n, dim } = blobs(randomCenters(10, 3, 1, 8), 30, 1, 9);
  const result = kmeans(points, n, dim, { k: 10, seed: 2, restarts: 6 });
  assert.equal(result.restartInertias.length, 6);
  assert.equal(result.inertia, Math.min(...result.restartInertias));
  assert.equal(result.restartInertias[result.restart], result.inertia);
});

test("kmeans edge cases: k = 1, k = n, duplicate points, one dimension", () => {
  const points = Float32Array.from([0, 0, 2, 0, 0, 2, 2, 2]);
  const one = kmeans(points, 4, 2, { k: 1, seed: 1 });
  assert.deepEqual(Array.from(one.centroids), [1, 1]);
  assert.deepEqual(Array.from(one.assignments), [0, 0, 0, 0]);
  assert.equal(one.inertia, 8);
  const all = kmeans(points, 4, 2, { k: 4, seed: 1 });
  assert.equal(all.inertia, 0);
  assert.equal(new Set(all.assignments).size, 4);
  // More clusters than distinct points: still k clusters, none empty, inertia 0.
  const dup = Float32Array.from([1, 1, 1, 5, 5, 5]);
  const d = kmeans(dup, 6, 1, { k: 3, seed: 4 });
  assert.equal(d.inertia, 0);
  assert.ok(Array.from(d.sizes).every((s) => s > 0));
  const line = Float32Array.from([0, 0.1, 0.2, 10, 10.1, 10.2]);
  const l = kmeans(line, 6, 1, { k: 2, seed: 1 });
  assert.equal(l.assignments[0], l.assignments[2]);
  assert.notEqual(l.assignments[0], l.assignments[3]);
  assert.ok(Math.abs(l.inertia - 0.04) < 1e-6);
});

test("kmeans rejects impossible options with LatentInputError", () => {
  const points = new Float32Array(10);
  assert.throws(
    () => kmeans(points, 5, 2, { k: 6, seed: 1 }),
    /k = 6 clusters is not possible with 5 points/,
  );
  assert.throws(() => kmeans(points, 5, 2, { k: 0, seed: 1 }), LatentInputError);
  assert.throws(() => kmeans(points, 5, 2, { k: 2, seed: 1, restarts: 0 }), /restarts/);
  assert.throws(() => kmeans(points, 5, 2, { k: 2, seed: 1, maxIterations: 1.5 }), /maxIterations/);
  assert.throws(() => kmeans(points, 5, 2, { k: 2, seed: 1, tolerance: -1 }), /tolerance/);
  assert.throws(() => kmeans(points, 5, 2, { k: 2, seed: NaN }), /seed/);
  assert.throws(() => kmeans(points, 4, 2, { k: 2, seed: 1 }), /n × dim/);
  assert.throws(() => kmeans(Float32Array.from([0, NaN]), 2, 1, { k: 1, seed: 1 }), /NaN/);
});
