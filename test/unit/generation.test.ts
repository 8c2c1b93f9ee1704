import { test } from "node:test";
import * as assert from "node:assert/strict";
import {
  GenerationInputError,
  gaussianCodes,
  latentGrid,
  quantile,
} from "../../lib/apps/generation";

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

test("gaussianCodes: seeded N(0, I), or the per-dimension Gaussian of given codes", () => {
  const a = gaussianCodes(4000, 2, 1);
  assert.deepEqual(a, gaussianCodes(4000, 2, 1));
  assert.notDeepEqual(a, gaussianCodes(4000, 2, 2));
  const stats = (v: Float32Array, d: number) => {
    const xs = Array.from(v).filter((_, i) => i % 2 === d);
    const m = xs.reduce((s, x) => s + x, 0) / xs.length;
    return [m, Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1))];
  };
  const [m0, s0] = stats(a, 0);
  assert.ok(Math.abs(m0) < 0.06 && Math.abs(s0 - 1) < 0.06, `${m0} ${s0}`);
  // Fitted to codes with mean (10, −5) and spread (2, 0.5).
  const fit = Float32Array.from({ length: 2000 }, (_, i) =>
    i % 2 === 0 ? 10 + 2 * Math.sin(i) : -5 + 0.5 * Math.cos(i),
  );
  const b = gaussianCodes(4000, 2, 3, fit);
  const [fm, fs] = stats(fit, 1);
  const [bm, bs] = stats(b, 1);
  assert.ok(Math.abs(bm - fm) < 0.05 && Math.abs(bs / fs - 1) < 0.06, `${bm} ${bs} vs ${fm} ${fs}`);
  assert.throws(() => gaussianCodes(0, 2, 1), GenerationInputError);
  assert.throws(() => gaussianCodes(3, 2, 1, new Float32Array(3)), /not rows of 2/);
});
