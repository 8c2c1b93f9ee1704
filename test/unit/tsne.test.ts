import { test } from "node:test";
import assert from "node:assert/strict";
import {
  affinitiesFromNeighbors,
  createTsneRun,
  neighborCountForPerplexity,
  pcaInit,
  tsne,
  tsneAsync,
  tsneGradient,
  tsneWithStats,
  type Affinities,
} from "../../lib/ml/tsne";
import { nearestNeighbors } from "../../lib/ml/neighbors";
import { knnLabelAccuracy } from "../../lib/ml/knn";
import { trustworthiness } from "../../lib/ml/trustworthiness";
import { LatentInputError } from "../../lib/ml/check";
import { createRng } from "../../lib/random";

function affinities(points: Float32Array, n: number, dim: number, perplexity: number): Affinities {
  const k = neighborCountForPerplexity(perplexity, n);
  return affinitiesFromNeighbors(nearestNeighbors(points, n, dim, k), n, k, perplexity);
}

function entry(p: Affinities, i: number, j: number): number {
  for (let e = p.rowStart[i]; e < p.rowStart[i + 1]; e++)
    if (p.columns[e] === j) return p.values[e];
  return 0;
}

/** Exact KL(P‖Q) with Q over all pairs (O(n²)). */
function exactKl(p: Affinities, y: Float64Array): number {
  const n = p.n;
  let z = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i !== j) z += 1 / (1 + (y[2 * i] - y[2 * j]) ** 2 + (y[2 * i + 1] - y[2 * j + 1]) ** 2);
    }
  }
  let kl = 0;
  for (let i = 0; i < n; i++) {
    for (let e = p.rowStart[i]; e < p.rowStart[i + 1]; e++) {
      const j = p.columns[e];
      const w = 1 / (1 + (y[2 * i] - y[2 * j]) ** 2 + (y[2 * i + 1] - y[2 * j + 1]) ** 2);
      if (p.values[e] > 0) kl += p.values[e] * Math.log(p.values[e] / (w / z));
    }
  }
  return kl;
}

/** Gaussian blobs: `classes` centres 10 apart on average, unit spread, n / classes points each. */
function blobs(n: number, dim: number, classes: number, seed: number) {
  const rng = createRng(seed);
  const centres = Array.from({ length: classes }, () =>
    Array.from({ length: dim }, () => 6 * rng.normal()),
  );
  const points = new Float32Array(n * dim);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % classes;
    for (let t = 0; t < dim; t++) points[i * dim + t] = centres[labels[i]][t] + rng.normal();
  }
  return { points, labels };
}

test("affinities match sklearn's _joint_probabilities_nn (1.9.1) on a fixed dataset", () => {
  // high[i, t] = ((i*i*7919 + t*t*104729 + i*t*3571) % 10007) / 10007, 40 × 5, perplexity 5
  // (sklearn: 16 neighbours, squared distances, 758 non-zero entries, float32 search).
  const n = 40;
  const dim = 5;
  const high = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < dim; t++) {
      high[i * dim + t] = ((i * i * 7919 + t * t * 104729 + i * t * 3571) % 10007) / 10007;
    }
  }
  assert.equal(neighborCountForPerplexity(5, n), 16);
  const p = affinities(high, n, dim, 5);
  assert.equal(p.values.length, 758);
  const close = (got: number, want: number) =>
    assert.ok(Math.abs(got - want) <= 1e-5 * want + 1e-12, `${got} vs sklearn ${want}`);
  close(entry(p, 0, 14), 0.014576279138320592);
  close(entry(p, 3, 28), 0.010012274295997634);
  close(entry(p, 17, 1), 0.0009211395471210391);
  close(entry(p, 39, 11), 0.0151344158643447);
  assert.equal(entry(p, 0, 1), 0);
  const rowSum = (i: number) => {
    let s = 0;
    for (let e = p.rowStart[i]; e < p.rowStart[i + 1]; e++) s += p.values[e];
    return s;
  };
  close(rowSum(0), 0.021952570181372477);
  close(rowSum(5), 0.023506511528749753);
  close(rowSum(17), 0.023121338643380385);
  close(rowSum(39), 0.02555604862582455);
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += rowSum(i);
    for (let e = p.rowStart[i]; e < p.rowStart[i + 1]; e++) {
      assert.equal(entry(p, p.columns[e], i), p.values[e], "symmetric");
    }
  }
  assert.ok(Math.abs(total - 1) < 1e-12);
});

test("the exact gradient (θ = 0) matches finite differences of the KL divergence", () => {
  const n = 14;
  const { points } = blobs(n, 4, 2, 5);
  const p = affinities(points, n, 4, 3);
  const rng = createRng(9);
  const y = new Float64Array(2 * n).map(() => 2 * rng.normal());
  const { gradient, kl } = tsneGradient(p, y, 0);
  assert.ok(Math.abs(kl - exactKl(p, y)) < 1e-12, `KL value ${kl} vs ${exactKl(p, y)}`);
  const h = 1e-6;
  for (let c = 0; c < 2 * n; c++) {
    const plus = y.slice();
    const minus = y.slice();
    plus[c] += h;
    minus[c] -= h;
    const numeric = (exactKl(p, plus) - exactKl(p, minus)) / (2 * h);
    assert.ok(
      Math.abs(gradient[c] - numeric) < 1e-6 + 1e-5 * Math.abs(numeric),
      `coordinate ${c}: ${gradient[c]} vs finite difference ${numeric}`,
    );
  }
  // With exaggeration only the attraction scales: g(α) − g(1) = 4(α − 1)·attraction, linear in α.
  const g2 = tsneGradient(p, y, 0, 2).gradient;
  const g3 = tsneGradient(p, y, 0, 3).gradient;
  for (let c = 0; c < 2 * n; c++) {
    assert.ok(Math.abs(g3[c] - g2[c] - (g2[c] - gradient[c])) < 1e-12);
  }
});

/** The exact gradient 4 Σ_j (p_ij − q_ij) w_ij (y_i − y_j), all pairs (O(n²)). */
function bruteForceGradient(p: Affinities, y: Float64Array): Float64Array {
  const n = p.n;
  const w = (i: number, j: number) =>
    1 / (1 + (y[2 * i] - y[2 * j]) ** 2 + (y[2 * i + 1] - y[2 * j + 1]) ** 2);
  let z = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) z += w(i, j);
  const gradient = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const f = (entry(p, i, j) - w(i, j) / z) * w(i, j);
      gradient[2 * i] += 4 * f * (y[2 * i] - y[2 * j]);
      gradient[2 * i + 1] += 4 * f * (y[2 * i + 1] - y[2 * j + 1]);
    }
  }
  return gradient;
}

test("the exact gradient handles many points at one place (more than a quadtree leaf holds)", () => {
  const n = 90;
  const { points } = blobs(n, 5, 3, 21);
  const p = affinities(points, n, 5, 8);
  const rng = createRng(2);
  const y = new Float64Array(2 * n).map(() => 3 * rng.normal());
  // 40 points share one position, 10 another: leaves that cannot be split.
  for (let i = 0; i < 40; i++) y.set([0.5, -0.25], 2 * i);
  for (let i = 40; i < 50; i++) y.set([0.5, -0.2500001], 2 * i);
  const { gradient } = tsneGradient(p, y, 0);
  const want = bruteForceGradient(p, y);
  for (let c = 0; c < 2 * n; c++) {
    assert.ok(
      Math.abs(gradient[c] - want[c]) < 1e-12 + 1e-9 * Math.abs(want[c]),
      `coordinate ${c}`,
    );
  }
});

test("the Barnes-Hut gradient approaches the exact one as θ shrinks", () => {
  const n = 300;
  const { points } = blobs(n, 8, 3, 2);
  const p = affinities(points, n, 8, 10);
  const rng = createRng(4);
  const y = new Float64Array(2 * n).map(() => 5 * rng.normal());
  const exact = tsneGradient(p, y, 0);
  const relativeError = (theta: number) => {
    const approx = tsneGradient(p, y, theta).gradient;
    let num = 0;
    let den = 0;
    for (let c = 0; c < 2 * n; c++) {
      num += (approx[c] - exact.gradient[c]) ** 2;
      den += exact.gradient[c] ** 2;
    }
    return Math.sqrt(num / den);
  };
  const e05 = relativeError(0.5);
  const e02 = relativeError(0.2);
  assert.ok(e05 < 0.05, `θ = 0.5: relative error ${e05}`);
  assert.ok(e02 < e05 && e02 < 0.01, `θ = 0.2: relative error ${e02}`);
  assert.ok(Math.abs(tsneGradient(p, y, 0.5).kl - exact.kl) < 0.01 * exact.kl);
});

test("pcaInit: first principal component scaled to standard deviation 1e-4 (sklearn's init)", () => {
  // Points along the direction (1, 2, 2)/3 at positions t, plus a smaller spread along (0, 1, −1)
  // that is uncorrelated with t.
  const n = 50;
  const points = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const t = i - 24.5;
    const s = 0.002 * t * t; // even in t: uncorrelated with the position
    points.set([t / 3, (2 * t) / 3 + s, (2 * t) / 3 - s], i * 3);
  }
  const y = pcaInit(points, n, 3);
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    sum += y[2 * i];
    sq += y[2 * i] ** 2;
  }
  assert.ok(Math.abs(sum / n) < 1e-12);
  assert.ok(Math.abs(Math.sqrt(sq / n) - 1e-4) < 1e-9);
  // The first coordinate is the position along the line (up to sign).
  const unit = y[2 * 1] - y[0];
  for (let i = 0; i < n; i++) assert.ok(Math.abs(y[2 * i] - y[0] - i * unit) < 1e-9);
  // A one-dimensional input: second coordinate zero.
  const line = pcaInit(new Float32Array([1, 2, 4]), 3, 1);
  assert.deepEqual([line[1], line[3], line[5]], [0, 0, 0]);
});

test("t-SNE separates well-separated Gaussian blobs", () => {
  const n = 300;
  const dim = 10;
  const { points, labels } = blobs(n, dim, 5, 11);
  const klSeen: number[] = [];
  const result = tsneWithStats(points, n, dim, {
    perplexity: 15,
    iterations: 500,
    seed: 3,
    onProgress: (_, kl) => klSeen.push(kl),
  });
  assert.equal(result.embedding.length, 2 * n);
  assert.equal(klSeen.length, 10);
  assert.ok(klSeen[9] < klSeen[5], "KL falls after the exaggeration phase");
  assert.equal(knnLabelAccuracy(result.embedding, n, 2, labels, 1), 1);
  const t = trustworthiness(points, result.embedding, n, dim, 2, 10);
  assert.ok(t > 0.9, `trustworthiness ${t}`);
});

test("t-SNE is deterministic for a seed; the async runner gives the same layout", async () => {
  const n = 120;
  const { points } = blobs(n, 6, 3, 8);
  const opts = { perplexity: 10, iterations: 120, seed: 42, init: "random" as const };
  const a = tsne(points, n, 6, opts);
  const b = tsne(points, n, 6, opts);
  assert.deepEqual(a, b);
  const c = tsne(points, n, 6, { ...opts, seed: 43 });
  assert.notDeepEqual(a, c);
  const d = await tsneAsync(points, n, 6, { ...opts, yieldMs: 0 });
  assert.deepEqual(d.embedding, a);
  // A worker thread takes chunks of the repulsion: each point's force is computed the same way
  // whichever thread does it, and Z is summed in a fixed order, so the result is identical.
  const run = createTsneRun(points, n, 6, { ...opts, threads: 2 });
  assert.equal(run.threads, 2);
  while (run.step()) {
    /* iterate */
  }
  assert.equal(run.threads, 1, "the worker stops after the last iteration");
  assert.deepEqual(run.result().embedding, a);
  // The default PCA initialisation does not depend on the seed.
  const pca1 = tsne(points, n, 6, { perplexity: 10, iterations: 60, seed: 1 });
  const pca2 = tsne(points, n, 6, { perplexity: 10, iterations: 60, seed: 2, init: "pca" });
  assert.deepEqual(pca1, pca2);
  const stopped = new AbortController();
  stopped.abort();
  const e = await tsneAsync(points, n, 6, { ...opts, signal: stopped.signal });
  assert.equal(e.embedding.length, 2 * n);
});

test("t-SNE rejects impossible options with a LatentInputError", () => {
  const { points } = blobs(20, 3, 2, 1);
  assert.throws(() => tsne(points, 20, 3, { seed: 1, perplexity: 20 }), /perplexity/);
  assert.throws(() => tsne(points, 20, 3, { seed: 1, perplexity: 5, theta: -1 }), /theta/);
  assert.throws(() => tsne(points, 20, 3, { seed: 1.5, perplexity: 5 }), /seed/);
  assert.throws(
    () => tsne(points, 20, 3, { seed: 1, perplexity: 5, iterations: 0 }),
    LatentInputError,
  );
  assert.throws(
    () => tsne(points, 20, 3, { seed: 1, perplexity: 5, init: new Float32Array(3) }),
    /init/,
  );
  assert.throws(() => tsne(points, 21, 3, { seed: 1, perplexity: 5 }), /n × dim/);
  assert.throws(() => tsne(points, 20, 3, { seed: 1, perplexity: 5, threads: 3 as 2 }), /threads/);
});
