import { test } from "node:test";
import * as assert from "node:assert/strict";
import { GenerationInputError, latentGrid, quantile } from "../../lib/apps/generation";

test("quantile interpolates between order statistics", () => {
  assert.equal(quantile([3, 1, 2], 0), 1);
  assert.equal(quantile([3, 1, 2], 1), 3);
  assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(quantile([10, 20], 0.25), 12.5);
  assert.throws(() => quantile([], 0.5), GenerationInputError);
});

test("latentGrid spans the codes between quantiles, top row = largest y", () => {
  // 101 codes on a diagonal from (0, 0) to (100, 200), plus one far outlier.
  const codes = new Float32Array(2 * 102);
  for (let i = 0; i <= 100; i++) codes.set([i, 2 * i], 2 * i);
  codes.set([1e6, -1e6], 202);
  const grid = latentGrid(codes, { steps: 3, margin: 0 });
  assert.equal(grid.steps, 3);
  assert.deepEqual(Array.from(grid.xs), [0, 500000, 1e6]);
  const trimmed = latentGrid(codes, { steps: 3, margin: 0.05 });
  assert.ok(trimmed.xs[2] < 1000, "a margin keeps one outlier from stretching the grid");
  assert.ok(trimmed.ys[0] > trimmed.ys[2], "rows go from the largest y down");
  assert.equal(trimmed.codes.length, 3 * 3 * 2);
  // Row r, column c holds (xs[c], ys[r]).
  assert.deepEqual(Array.from(trimmed.codes.subarray(2 * (1 * 3 + 2), 2 * (1 * 3 + 2) + 2)), [
    Math.fround(trimmed.xs[2]),
    Math.fround(trimmed.ys[1]),
  ]);
  assert.throws(() => latentGrid(new Float32Array(3)), /model\.codeSize 2/);
  assert.throws(() => latentGrid(codes, { steps: 1 }), /steps = 1/);
  assert.throws(() => latentGrid(codes, { margin: 0.5 }), /margin = 0.5/);
});
