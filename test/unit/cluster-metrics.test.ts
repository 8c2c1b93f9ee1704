import { test } from "node:test";
import assert from "node:assert/strict";
import {
  adjustedRandIndex,
  clusterAccuracy,
  clusterMembers,
  contingencyTable,
  hungarian,
  normalizedMutualInfo,
  silhouetteSamples,
  silhouetteScore,
} from "../../lib/ml/cluster-metrics";
import { LatentInputError } from "../../lib/ml/check";
import { createRng } from "../../lib/random";

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b} (tolerance ${tol})`);

/** Every permutation of 0..n-1. */
function permutations(n: number): number[][] {
  if (n === 1) return [[0]];
  return permutations(n - 1).flatMap((p) =>
    Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]),
  );
}

test("hungarian finds the minimum-cost assignment (checked against all permutations)", () => {
  const rng = createRng(1);
  for (let trial = 0; trial < 30; trial++) {
    const r = 1 + (trial % 6);
    const c = r + (trial % 3);
    const cost = Array.from({ length: r }, () => Array.from({ length: c }, () => rng.int(20) - 5));
    const match = hungarian(cost);
    assert.equal(new Set(match).size, r);
    const got = match.reduce((s, col, row) => s + cost[row][col], 0);
    let best = Infinity;
    for (const p of permutations(c))
      best = Math.min(
        best,
        p.slice(0, r).reduce((s, col, row) => s + cost[row][col], 0),
      );
    assert.equal(got, best, `trial ${trial} (${r}×${c})`);
  }
  assert.deepEqual(hungarian([]), []);
  assert.throws(() => hungarian([[1], [2]]), LatentInputError);
  assert.throws(() => hungarian([[1, NaN]]), LatentInputError);
});

test("contingencyTable counts (class, cluster) pairs over the distinct values", () => {
  const t = contingencyTable(Uint8Array.from([3, 3, 7, 7, 7]), Int32Array.from([-1, 5, 5, 5, -1]));
  assert.deepEqual(t.classes, [3, 7]);
  assert.deepEqual(t.clusters, [-1, 5]);
  assert.deepEqual(t.counts, [
    [1, 1],
    [1, 2],
  ]);
  assert.equal(t.n, 5);
  assert.throws(() => contingencyTable([1, 2], [1]), /2 labels but 1/);
  assert.throws(() => contingencyTable([], []), /no points/);
  assert.throws(() => contingencyTable([0.5], [1]), /integers/);
});

test("clusterAccuracy: perfect, permuted, single cluster, more clusters than classes, fewer", () => {
  const labels = [0, 0, 1, 1, 2, 2];
  const perfect = clusterAccuracy(labels, labels);
  assert.equal(perfect.accuracy, 1);
  const permuted = clusterAccuracy(labels, [2, 2, 0, 0, 1, 1]);
  assert.equal(permuted.accuracy, 1);
  assert.deepEqual([...permuted.mapping.entries()].sort(), [
    [0, 1],
    [1, 2],
    [2, 0],
  ]);
  assert.deepEqual(Array.from(permuted.predicted), labels);
  // One cluster: the best class takes it.
  const single = clusterAccuracy([0, 0, 0, 1, 2], [4, 4, 4, 4, 4]);
  close(single.accuracy, 3 / 5);
  assert.deepEqual([...single.mapping.entries()], [[4, 0]]);
  assert.deepEqual(Array.from(single.predicted), [0, 0, 0, 0, 0]);
  // Four clusters, two classes: two clusters stay unmatched and their points are errors.
  const many = clusterAccuracy([0, 0, 0, 1, 1, 1], [0, 0, 1, 2, 2, 3]);
  close(many.accuracy, 4 / 6);
  assert.equal(many.correct, 4);
  assert.deepEqual(Array.from(many.predicted), [0, 0, -1, 1, 1, -1]);
  // A one-to-one matching, not a majority vote: two clusters cannot both map to class 0.
  const forced = clusterAccuracy([0, 0, 0, 0, 1, 1], [0, 0, 1, 1, 1, 1]);
  close(forced.accuracy, 4 / 6);
  // Hand case: counts [[3,1],[1,3]] rows=classes → best diagonal 6 of 8.
  close(clusterAccuracy([0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1, 1, 0]).accuracy, 6 / 8);
});

test("normalizedMutualInfo: perfect and permuted 1, independent 0, degenerate cases as sklearn", () => {
  const labels = [0, 0, 1, 1, 2, 2];
  close(normalizedMutualInfo(labels, labels), 1);
  close(normalizedMutualInfo(labels, [5, 5, 3, 3, 9, 9]), 1);
  assert.equal(normalizedMutualInfo([0, 0, 1, 1], [0, 1, 0, 1]), 0);
  assert.equal(normalizedMutualInfo([0, 0, 0], [1, 1, 1]), 1);
  assert.equal(normalizedMutualInfo([0, 1, 2], [0, 0, 0]), 0);
  close(normalizedMutualInfo([0, 1, 2], [5, 6, 7]), 1);
  // Hand case: classes {0,0,1,1}, clusters {0,0,0,1}: MI = ln2 − (3/4)·ln(3)+... computed directly.
  const mi = 0.5 * Math.log(4 / 3) + 0.25 * Math.log(2 / 3) + 0.25 * Math.log(2);
  const hTrue = Math.log(2);
  const hPred = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25));
  close(normalizedMutualInfo([0, 0, 1, 1], [0, 0, 0, 1]), mi / ((hTrue + hPred) / 2));
  assert.throws(
    () => normalizedMutualInfo([0, 1, 0], [0, 1, 1], { average: "median" as never }),
    /unknown/,
  );
});

test("normalizedMutualInfo and adjustedRandIndex match sklearn 1.9.1 on fixed inputs", () => {
  const a = [0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 3];
  const b = [1, 1, 0, 0, 2, 2, 2, 2, 3, 3, 3, 1];
  close(normalizedMutualInfo(a, b), 0.5104259822899803);
  close(adjustedRandIndex(a, b), 0.1378809869375907);
  const c = Array.from({ length: 30 }, (_, i) => i % 3);
  const d = Array.from({ length: 30 }, (_, i) => (i * 7) % 4);
  close(normalizedMutualInfo(c, d), 0.014429263745955812);
  close(adjustedRandIndex(c, d), -0.07450430602843981);
  const e = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2];
  const f = [0, 0, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3];
  close(normalizedMutualInfo(e, f), 0.4880774914971996);
  close(normalizedMutualInfo(e, f, { average: "geometric" }), 0.4880976077770418);
  close(normalizedMutualInfo(e, f, { average: "min" }), 0.4925492742987184);
  close(normalizedMutualInfo(e, f, { average: "max" }), 0.48368617547324805);
  close(adjustedRandIndex(e, f), 0.19169329073482427);
});

test("adjustedRandIndex: perfect, permuted, single cluster, all singletons, worse than chance", () => {
  const labels = Uint8Array.from([0, 0, 1, 1, 2, 2]);
  assert.equal(adjustedRandIndex(labels, labels), 1);
  assert.equal(adjustedRandIndex(labels, Int32Array.from([1, 1, 2, 2, 0, 0])), 1);
  assert.equal(adjustedRandIndex([0, 0, 0], [1, 1, 1]), 1);
  assert.equal(adjustedRandIndex([0, 1, 2], [0, 0, 0]), 0);
  assert.equal(adjustedRandIndex([0, 1, 2], [5, 6, 7]), 1);
  assert.equal(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1]), -0.5);
  assert.equal(adjustedRandIndex([7], [3]), 1);
});

// Reference: sklearn.metrics.silhouette_score / silhouette_samples 1.9.1 (float32 input).
const X = Float32Array.from([0, 0, 1, 0, 0, 1, 5, 5, 6, 5, 5, 7, 10, 0, 9, 1]);

test("silhouette matches sklearn 1.9.1 on fixed points, including a singleton cluster", () => {
  close(silhouetteScore(X, 8, 2, [0, 0, 0, 1, 1, 1, 2, 2]), 0.7897605895996094, 1e-6);
  const samples = silhouetteSamples(X, 8, 2, [0, 0, 1, 1, 1, 1, 2, 0]);
  const expected = [
    0.17860379815101624, 0.210283562541008, -0.46723490953445435, 0.5084887742996216,
    0.45614203810691833, 0.49545666575431824, 0.0, -0.8347653746604919,
  ];
  expected.forEach((v, i) => close(samples[i], v, 1e-6));
  close(silhouetteScore(X, 8, 2, [0, 0, 1, 1, 1, 1, 2, 0]), 0.06837181746959686, 1e-6);
  close(silhouetteScore(X, 8, 2, [0, 0, 0, 0, 1, 1, 1, 2]), 0.11899717152118683, 1e-6);
});

test("silhouette: exact blocked pairs equal a direct computation; a sample is scored against all points", () => {
  const n = 150;
  const dim = 3;
  const rng = createRng(4);
  const points = Float32Array.from({ length: n * dim }, () => rng.normal());
  const assignments = Int32Array.from({ length: n }, (_, i) => (i * 5) % 4);
  const exact = silhouetteSamples(points, n, dim, assignments);
  const subset = [3, 77, 149, 0];
  const partial = silhouetteSamples(points, n, dim, assignments, subset);
  subset.forEach((i, q) => close(partial[q], exact[i], 1e-12));
  const mean = exact.reduce((s, v) => s + v, 0) / n;
  close(silhouetteScore(points, n, dim, assignments), mean, 1e-12);
  // The full sample equals the exact score; a seeded sample repeats and differs with the seed.
  close(silhouetteScore(points, n, dim, assignments, { sampleSize: n }), mean, 1e-12);
  const s1 = silhouetteScore(points, n, dim, assignments, { sampleSize: 40, seed: 1 });
  assert.equal(silhouetteScore(points, n, dim, assignments, { sampleSize: 40, seed: 1 }), s1);
  assert.notEqual(silhouetteScore(points, n, dim, assignments, { sampleSize: 40, seed: 2 }), s1);
});

test("silhouette rejects one cluster, n clusters, bad sizes and sample sizes", () => {
  assert.throws(() => silhouetteScore(X, 8, 2, [0, 0, 0, 0, 0, 0, 0, 0]), /between 2 and n − 1/);
  assert.throws(() => silhouetteScore(X, 8, 2, [0, 1, 2, 3, 4, 5, 6, 7]), LatentInputError);
  assert.throws(() => silhouetteScore(X, 8, 2, [0, 1]), /2 assignments for 8 points/);
  assert.throws(
    () => silhouetteScore(X, 8, 2, [0, 0, 0, 1, 1, 1, 2, 2], { sampleSize: 0 }),
    /sampleSize/,
  );
});

test("clusterMembers ranks members by distance to their centroid", () => {
  const points = Float32Array.from([0, 1, 3, 10, 11, 20]);
  const centroids = [1, 12];
  const members = clusterMembers(points, 6, 1, [0, 0, 0, 1, 1, 1], centroids, { count: 2 });
  assert.equal(members.length, 2);
  assert.deepEqual(Array.from(members[0].typical), [1, 0]);
  assert.deepEqual(Array.from(members[0].atypical), [2, 0]);
  assert.deepEqual(Array.from(members[0].typicalDistances), [0, 1]);
  assert.deepEqual(Array.from(members[1].atypical), [5, 3]);
  assert.deepEqual(Array.from(members[1].atypicalDistances), [8, 2]);
  assert.equal(members[1].size, 3);
  // An empty cluster gets empty lists.
  const withEmpty = clusterMembers(points, 6, 1, [0, 0, 0, 0, 0, 0], [5, 100]);
  assert.equal(withEmpty[1].size, 0);
  assert.equal(withEmpty[1].typical.length, 0);
  assert.equal(withEmpty[0].typical.length, 6);
  assert.throws(() => clusterMembers(points, 6, 1, [0, 0, 0, 2, 2, 2], centroids), /2 centroids/);
  assert.throws(
    () => clusterMembers(points, 6, 1, [0, 0, 0, 1, 1, 1], centroids, { count: 0 }),
    /count/,
  );
  assert.throws(() => clusterMembers(points, 6, 2, [0, 0, 0], [1, 2]), LatentInputError);
});
