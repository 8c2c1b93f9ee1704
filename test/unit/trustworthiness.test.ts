import { test } from "node:test";
import assert from "node:assert/strict";
import { knnLabelAccuracy } from "../../lib/ml/knn";
import { trustworthiness } from "../../lib/ml/trustworthiness";
import { LatentInputError } from "../../lib/ml/check";
import { createRng } from "../../lib/random";

test("trustworthiness of an embedding identical to the data (or a scaled, shifted copy) is 1", () => {
  const rng = createRng(3);
  const n = 60;
  const points = new Float32Array(n * 2).map(() => rng.normal());
  assert.equal(trustworthiness(points, points, n, 2, 2, 5), 1);
  const moved = points.map((v) => 3 * v + 7);
  assert.equal(trustworthiness(points, moved, n, 2, 2, 5), 1);
});

test("trustworthiness of a known swap (hand-computed)", () => {
  // 1-D data 0, 1, 3, 7, 15; the embedding swaps the first and last points. With k = 1 the
  // embedding neighbours are p0→p3 (original rank 3), p1→p4 (rank 4), p2→p1 (1), p3→p2 (1),
  // p4→p1 (rank 3): penalty (3−1)+(4−1)+(3−1) = 7, so T = 1 − 7·2/(5·1·(10 − 3 − 1)) = 8/15.
  const high = new Float32Array([0, 1, 3, 7, 15]);
  const low = new Float32Array([15, 1, 3, 7, 0]);
  assert.ok(Math.abs(trustworthiness(high, low, 5, 1, 1, 1) - 8 / 15) < 1e-12);
});

test("trustworthiness matches sklearn.manifold.trustworthiness (1.9.1) on a fixed dataset", () => {
  // The same arrays as in Python (no two pairwise distances equal, so no tie-breaking question):
  //   high[i, t] = ((i*i*7919 + t*t*104729 + i*t*3571) % 10007) / 10007, i < 40, t < 5 (float32)
  //   low[i] = (high[i,0] + ((i*31337) % 97)/300, high[i,1] − ((i*7727) % 89)/250) (float32)
  const n = 40;
  const dim = 5;
  const high = new Float32Array(n * dim);
  const low = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < dim; t++)
      high[i * dim + t] = ((i * i * 7919 + t * t * 104729 + i * t * 3571) % 10007) / 10007;
    low[2 * i] = high[i * dim] + ((i * 31337) % 97) / 300;
    low[2 * i + 1] = high[i * dim + 1] - ((i * 7727) % 89) / 250;
  }
  const sklearn: [number, number][] = [
    [1, 0.736842105263158],
    [3, 0.7714285714285715],
    [5, 0.8084375],
    [10, 0.8236734693877551],
    [19, 0.8194976076555024],
  ];
  for (const [k, want] of sklearn) {
    const got = trustworthiness(high, low, n, dim, 2, k);
    assert.ok(Math.abs(got - want) < 1e-9, `k=${k}: ${got} vs sklearn ${want}`);
  }
});

/** sklearn's algorithm written out: full rank matrix of the original space (O(n² log n)). */
function referenceTrustworthiness(
  high: Float32Array,
  low: Float32Array,
  n: number,
  highDim: number,
  k: number,
): number {
  const sorted = (points: Float32Array, dim: number, i: number) => {
    const others: { j: number; d: number }[] = [];
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let d = 0;
      for (let t = 0; t < dim; t++) d += (points[i * dim + t] - points[j * dim + t]) ** 2;
      others.push({ j, d });
    }
    return others.sort((a, b) => a.d - b.d || a.j - b.j).map((o) => o.j);
  };
  let penalty = 0;
  for (let i = 0; i < n; i++) {
    const rank = new Map(sorted(high, highDim, i).map((j, r) => [j, r + 1]));
    for (const j of sorted(low, 2, i).slice(0, k)) penalty += Math.max(0, rank.get(j)! - k);
  }
  return 1 - (2 * penalty) / (n * k * (2 * n - 3 * k - 1));
}

test("trustworthiness matches the full-rank-matrix algorithm across many blocks", () => {
  const rng = createRng(17);
  const n = 203; // several 64-row blocks and a ragged last one
  const dim = 9;
  const high = new Float32Array(n * dim).map(() => rng.normal());
  const low = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    low[2 * i] = high[i * dim] + 0.5 * rng.normal();
    low[2 * i + 1] = high[i * dim + 1] + 0.5 * rng.normal();
  }
  for (const k of [1, 5, 12]) {
    const got = trustworthiness(high, low, n, dim, 2, k);
    const want = referenceTrustworthiness(high, low, n, dim, k);
    assert.ok(Math.abs(got - want) < 1e-12, `k=${k}: ${got} vs ${want}`);
  }
});

test("trustworthiness rejects k ≥ n/2 and mismatched arrays", () => {
  const points = new Float32Array(20);
  assert.throws(() => trustworthiness(points, points, 10, 2, 2, 5), LatentInputError);
  assert.throws(() => trustworthiness(points, points.subarray(0, 18), 10, 2, 2, 2), /embedded/);
});

test("knnLabelAccuracy: leave-one-out majority vote, ties to the smaller label", () => {
  // Two clusters on a line; point 3 sits in cluster A but is labelled 1.
  const points = new Float32Array([0, 0.1, 0.2, 0.3, 10, 10.1, 10.2]);
  const labels = new Int32Array([0, 0, 0, 1, 1, 1, 1]);
  // k = 2: p0..p2 see two A points (one of them maybe p3): p0 → {p1,p2} = 0 ✓; p1 → {p0,p2} ✓;
  // p2 → {p1,p3} = one 0, one 1 → tie → 0 ✓; p3 → {p2,p1} = 0 ✗; p4..p6 → 1 ✓.
  assert.equal(knnLabelAccuracy(points, 7, 1, labels, 2), 6 / 7);
  // k = 6 (all the others): label-0 points see two 0s and four 1s ✗; label-1 points see three
  // of each, a tie that goes to 0 ✗.
  assert.equal(knnLabelAccuracy(points, 7, 1, labels, 6), 0);
  assert.throws(() => knnLabelAccuracy(points, 7, 1, labels.subarray(1), 2), /labels/);
  assert.throws(() => knnLabelAccuracy(points, 7, 1, new Int32Array(7).fill(-1), 2), /label 0/);
});
