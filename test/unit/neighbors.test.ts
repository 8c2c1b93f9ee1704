import { test } from "node:test";
import assert from "node:assert/strict";
import { nearestNeighbors } from "../../lib/ml/neighbors";
import { LatentInputError } from "../../lib/ml/check";
import { createRng } from "../../lib/random";

function randomPoints(n: number, dim: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const points = new Float32Array(n * dim);
  for (let i = 0; i < points.length; i++) points[i] = rng.normal();
  return points;
}

/** Brute force: every distance, sorted by (distance, index). */
function bruteForce(points: Float32Array, n: number, dim: number, k: number) {
  const indices: number[][] = [];
  const distances: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row: { j: number; d: number }[] = [];
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let s = 0;
      for (let t = 0; t < dim; t++) s += (points[i * dim + t] - points[j * dim + t]) ** 2;
      row.push({ j, d: Math.sqrt(s) });
    }
    row.sort((a, b) => a.d - b.d || a.j - b.j);
    indices.push(row.slice(0, k).map((r) => r.j));
    distances.push(row.slice(0, k).map((r) => r.d));
  }
  return { indices, distances };
}

for (const [n, dim, k] of [
  [300, 5, 7],
  [257, 64, 20],
  [130, 784, 3],
  [70, 1, 69],
] as const) {
  test(`nearestNeighbors matches brute force (n=${n}, dim=${dim}, k=${k})`, () => {
    const points = randomPoints(n, dim, n + dim);
    const got = nearestNeighbors(points, n, dim, k);
    const want = bruteForce(points, n, dim, k);
    assert.equal(got.indices.length, n * k);
    assert.equal(got.distances.length, n * k);
    for (let i = 0; i < n; i++) {
      assert.deepEqual(Array.from(got.indices.subarray(i * k, (i + 1) * k)), want.indices[i]);
      for (let r = 0; r < k; r++) {
        const d = got.distances[i * k + r];
        assert.ok(Math.abs(d - want.distances[i][r]) <= 1e-5 * (1 + want.distances[i][r]));
        if (r > 0) assert.ok(d >= got.distances[i * k + r - 1], "ascending");
      }
    }
  });
}

test("nearestNeighbors breaks ties by the smaller index and excludes the point itself", () => {
  // Five copies of one point and one far away: every copy's neighbours are the other copies,
  // at distance 0, in index order.
  const points = new Float32Array([1, 2, 1, 2, 1, 2, 1, 2, 9, 9, 1, 2]);
  const got = nearestNeighbors(points, 6, 2, 4);
  assert.deepEqual(Array.from(got.indices.subarray(0, 4)), [1, 2, 3, 5]);
  assert.deepEqual(Array.from(got.indices.subarray(2 * 4, 3 * 4)), [0, 1, 3, 5]);
  assert.deepEqual(Array.from(got.indices.subarray(5 * 4, 6 * 4)), [0, 1, 2, 3]);
  assert.deepEqual(Array.from(got.distances.subarray(0, 4)), [0, 0, 0, 0]);
  assert.deepEqual(Array.from(got.indices.subarray(4 * 4, 5 * 4)), [0, 1, 2, 3]);
});

test("nearestNeighbors rejects impossible k and mis-shaped input", () => {
  const points = randomPoints(10, 3, 1);
  assert.throws(() => nearestNeighbors(points, 10, 3, 10), LatentInputError);
  assert.throws(() => nearestNeighbors(points, 10, 3, 0), LatentInputError);
  assert.throws(() => nearestNeighbors(points, 9, 3, 2), /n × dim/);
  const bad = points.slice();
  bad[4] = NaN;
  assert.throws(() => nearestNeighbors(bad, 10, 3, 2), /row 1/);
});
