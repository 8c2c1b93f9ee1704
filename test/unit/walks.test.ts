// Walks in code space (lib/latent/walks.ts): interpolation end points and spacing, principal-axis
// walks that move only along their axis by the requested standard deviations, grid rows.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { LatentInputError } from "../../lib/ml/check";
import { fitPca } from "../../lib/ml/pca";
import { gridRowsOf, interpolate, principalAxisWalk } from "../../lib/latent/walks";
import { createRng } from "../../lib/random";

test("interpolate: both ends included, evenly spaced; bad inputs are refused", () => {
  const path = interpolate([0, 10], [4, 2], 5);
  assert.deepEqual(Array.from(path), [0, 10, 1, 8, 2, 6, 3, 4, 4, 2]);
  assert.throws(() => interpolate([0], [1, 2], 3), LatentInputError);
  assert.throws(() => interpolate([0], [1], 1), LatentInputError);
});

test("principal-axis walk: mean ± k·sd along each axis, nothing else moves", () => {
  // Points stretched along (1, 1, 0) with sd 3 and along (0, 0, 1) with sd 1, mean (5, 5, 5).
  const rng = createRng(2);
  const n = 4000;
  const points = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const a = 3 * rng.normal();
    const b = rng.normal();
    points.set([5 + a / Math.SQRT2, 5 + a / Math.SQRT2, 5 + b], i * 3);
  }
  const pca = fitPca(points, n, 3);
  const walk = principalAxisWalk(pca, { components: 2, sigmas: 2, steps: 5 });
  assert.deepEqual(walk.offsets, [-2, -1, 0, 1, 2]);
  assert.equal(walk.codes.length, 2 * 5 * 3);
  const at = (row: number) => Array.from(walk.codes.subarray(row * 3, row * 3 + 3));
  // Middle column: the mean.
  for (const row of [2, 7]) at(row).forEach((v, j) => assert.ok(Math.abs(v - pca.mean[j]) < 1e-4));
  // Axis 1 at +2 sd: about 6 along (1, 1, 0)/√2 from the mean; axis 2 at −2 sd: about −2 along z.
  const plus = at(4);
  assert.ok(Math.abs((plus[0] - pca.mean[0]) * Math.SQRT2 - 6) < 0.3, String(plus));
  assert.ok(Math.abs(plus[2] - pca.mean[2]) < 0.1);
  const minus = at(5);
  assert.ok(Math.abs(minus[2] - pca.mean[2] + 2) < 0.1, String(minus));
  assert.ok(Math.abs(minus[0] - pca.mean[0]) < 0.1);
  assert.equal(principalAxisWalk(pca, { components: 10 }).components, 3);
});

test("gridRowsOf: views grouped into rows, the last one shorter", () => {
  const values = Float32Array.from({ length: 10 }, (_, i) => i);
  const rows = gridRowsOf(values, 2, 2);
  assert.deepEqual(
    rows.map((r) => r.map((v) => Array.from(v))),
    [
      [
        [0, 1],
        [2, 3],
      ],
      [
        [4, 5],
        [6, 7],
      ],
      [[8, 9]],
    ],
  );
});
