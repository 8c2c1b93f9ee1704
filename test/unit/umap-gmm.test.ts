import { test } from "node:test";
import assert from "node:assert/strict";
import { umapEmbed, umapEmbedAsync, UmapAbortedError } from "../../lib/ml/umap";
import { gaussianMixture } from "../../lib/ml/gmm";
import { kmeans } from "../../lib/ml/kmeans";
import { clusterAccuracy } from "../../lib/ml/cluster-metrics";
import { clusterCodes, meanAgreement, normalizeCodes } from "../../lib/latent/cluster-codes";
import { nearestNeighbors } from "../../lib/ml/neighbors";
import { LatentInputError } from "../../lib/ml/check";
import { createRng, deriveSeed } from "../../lib/random";

/** `perCluster` points around each of k random centres in `dim` dimensions. */
function blobs(k: number, perCluster: number, dim: number, seed: number) {
  const rng = createRng(seed);
  const centers = Array.from({ length: k }, () =>
    Array.from({ length: dim }, () => 10 * rng.normal()),
  );
  const n = k * perCluster;
  const points = new Float32Array(n * dim);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % k;
    for (let t = 0; t < dim; t++) points[i * dim + t] = centers[i % k][t] + rng.normal();
  }
  return { points, labels, n, dim };
}

const { points, labels, n, dim } = blobs(3, 60, 10, 1);

test("umapEmbed is deterministic for a seed and separates blobs", () => {
  const a = umapEmbed(points, n, dim, { seed: 5, neighbors: 10, epochs: 100 });
  const b = umapEmbed(points, n, dim, { seed: 5, neighbors: 10, epochs: 100 });
  assert.equal(a.length, n * 2);
  assert.deepEqual(a, b);
  const c = umapEmbed(points, n, dim, { seed: 6, neighbors: 10, epochs: 100 });
  assert.notDeepEqual(a, c);
  for (const init of ["spectral", "pca", "random"] as const) {
    const e = umapEmbed(points, n, dim, { seed: 5, neighbors: 10, epochs: 100, init, minDist: 0 });
    assert.ok(e.every(Number.isFinite));
    // k-means on the embedding finds the blobs.
    const clusters = kmeans(e, n, 2, { k: 3, seed: 1 });
    assert.equal(clusterAccuracy(labels, clusters.assignments).accuracy, 1, `init ${init}`);
  }
});

test("umapEmbedAsync equals umapEmbed, reports progress, and can be aborted", async () => {
  const options = { seed: 3, neighbors: 8, epochs: 50, components: 3 };
  const seen: number[] = [];
  const asyncResult = await umapEmbedAsync(points, n, dim, {
    ...options,
    progressEvery: 20,
    onProgress: (epoch, epochs) => {
      assert.equal(epochs, 50);
      seen.push(epoch);
    },
  });
  assert.deepEqual(seen, [20, 40, 50]);
  assert.deepEqual(asyncResult, umapEmbed(points, n, dim, options));
  // Precomputed neighbours (more columns than needed) give the same result.
  const knn = { ...nearestNeighbors(points, n, dim, 12), k: 12 };
  assert.deepEqual(umapEmbed(points, n, dim, { ...options, knn }), asyncResult);
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(
    umapEmbedAsync(points, n, dim, { ...options, signal: controller.signal }),
    UmapAbortedError,
  );
});

test("umapEmbed rejects impossible options with LatentInputError", () => {
  assert.throws(() => umapEmbed(points, n, dim, { seed: 1, neighbors: n + 1 }), LatentInputError);
  assert.throws(() => umapEmbed(points, n, dim, { seed: 1, neighbors: 1 }), LatentInputError);
  assert.throws(() => umapEmbed(points, n, dim, { seed: 1, components: 0 }), /components/);
  assert.throws(() => umapEmbed(points, n, dim, { seed: 1, minDist: 2 }), /minDist/);
  assert.throws(() => umapEmbed(points, n, dim, { seed: 1, epochs: 0 }), /epochs/);
  assert.throws(() => umapEmbed(points, n, dim, { seed: 1, init: "tsne" as never }), /init/);
  const knn = { ...nearestNeighbors(points, n, dim, 3), k: 3 };
  assert.throws(
    () => umapEmbed(points, n, dim, { seed: 1, neighbors: 15, knn }),
    /nearestNeighbors/,
  );
});

/** A wide blob next to a tight one: k-means puts the boundary half-way, a mixture does not. */
function wideAndTight(seed: number) {
  const rng = createRng(seed);
  const m = 500;
  const points = new Float32Array(2 * m * 2);
  const truth = new Int32Array(2 * m);
  for (let i = 0; i < 2 * m; i++) {
    const c = i % 2;
    truth[i] = c;
    const sd = c === 0 ? 4 : 0.3;
    points[i * 2] = (c === 0 ? 0 : 7) + sd * rng.normal();
    points[i * 2 + 1] = sd * rng.normal();
  }
  return { points, truth, n: 2 * m };
}

test("gaussianMixture separates clusters of different spread that k-means cuts, deterministically", () => {
  const s = wideAndTight(4);
  const g = gaussianMixture(s.points, s.n, 2, { k: 2, seed: 1, restarts: 2 });
  const km = kmeans(s.points, s.n, 2, { k: 2, seed: 1 });
  const gAcc = clusterAccuracy(s.truth, g.assignments).accuracy;
  const kAcc = clusterAccuracy(s.truth, km.assignments).accuracy;
  assert.ok(gAcc > 0.98, `GMM accuracy ${gAcc}`);
  assert.ok(kAcc < 0.95, `k-means accuracy ${kAcc} (the test needs a case k-means gets wrong)`);
  close(
    g.weights.reduce((a, b) => a + b, 0),
    1,
  );
  assert.ok(g.converged);
  assert.deepEqual(gaussianMixture(s.points, s.n, 2, { k: 2, seed: 1, restarts: 2 }), g);
  // Covariances are symmetric positive definite; the wide one is ~16 × identity, the tight ~0.09.
  const variances = [0, 1].map((c) => g.covariances[c * 4]).sort((a, b) => a - b);
  assert.ok(
    Math.abs(variances[0] - 0.09) < 0.03 && Math.abs(variances[1] - 16) < 3,
    `${variances}`,
  );
  for (let c = 0; c < 2; c++) {
    const cov = g.covariances.subarray(c * 4, c * 4 + 4);
    assert.equal(cov[1], cov[2]);
    assert.ok(cov[0] > 0 && cov[3] > 0 && cov[0] * cov[3] > cov[1] * cov[2]);
  }
});

function close(a: number, b: number, tol = 1e-9) {
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);
}

test("gaussianMixture: one component is the sample mean and (biased) covariance; bad options throw", () => {
  const p = Float32Array.from([0, 0, 2, 0, 0, 2, 2, 2]);
  const g = gaussianMixture(p, 4, 2, { k: 1, seed: 1, regularization: 0 });
  [1, 1].forEach((v, i) => close(g.means[i], v, 1e-12));
  [1, 0, 0, 1].forEach((v, i) => close(g.covariances[i], v, 1e-12));
  close(g.logLikelihood, -Math.log(2 * Math.PI) - 0.5 * 2);
  assert.throws(() => gaussianMixture(p, 4, 2, { k: 5, seed: 1 }), /k = 5/);
  assert.throws(() => gaussianMixture(p, 4, 2, { k: 2, seed: 1, restarts: 0 }), /restarts/);
  assert.throws(() => gaussianMixture(p, 4, 2, { k: 2, seed: 1, tolerance: -1 }), /tolerance/);
  // Points on a line with no regularisation: a singular covariance, with the fix in the message.
  const line = Float32Array.from([0, 0, 1, 1, 2, 2, 3, 3]);
  assert.throws(
    () => gaussianMixture(line, 4, 2, { k: 1, seed: 1, regularization: 0 }),
    /regularization/,
  );
});

test("normalizeCodes: l2 rows have unit length, standardize gives mean 0 / sd 1, pca-whiten unit variance", () => {
  const rng = createRng(2);
  const m = 50;
  const codes = Float32Array.from({ length: m * 4 }, (_, i) => rng.normal() * (1 + (i % 4)) + 3);
  const l2 = normalizeCodes(codes, m, 4, "l2");
  for (let i = 0; i < m; i++) close(Math.hypot(...l2.subarray(i * 4, i * 4 + 4)), 1, 1e-6);
  for (const kind of ["standardize", "pca-whiten"] as const) {
    const z = normalizeCodes(codes, m, 4, kind);
    for (let t = 0; t < 4; t++) {
      let mean = 0;
      for (let i = 0; i < m; i++) mean += z[i * 4 + t] / m;
      let v = 0;
      for (let i = 0; i < m; i++) v += (z[i * 4 + t] - mean) ** 2;
      close(mean, 0, 1e-5);
      close(v / (kind === "standardize" ? m : m - 1), 1, 1e-4);
    }
  }
  assert.deepEqual(normalizeCodes(codes, m, 4, "none"), codes);
  assert.throws(() => normalizeCodes(codes, m, 4, "zscore" as never), /unknown/);
});

test("clusterCodes: blobs are found through every embedding and method, with scores", async () => {
  for (const [embedding, method] of [
    [{ kind: "none" }, "kmeans"],
    [{ kind: "pca", components: 3 }, "gmm"],
    [{ kind: "umap", neighbors: 10, epochs: 100 }, undefined],
  ] as const) {
    const result = await clusterCodes(points, n, dim, {
      k: 3,
      seed: 1,
      embedding,
      method,
      labels,
      normalize: "standardize",
      silhouette: true,
    });
    assert.equal(result.scores!.accuracy, 1, result.settings.embedding);
    assert.equal(result.scores!.nmi, 1);
    assert.equal(result.scores!.ari, 1);
    assert.ok(result.silhouette! > 0.5);
    assert.equal(result.centers.length, 3 * result.featureDim);
  }
  await assert.rejects(clusterCodes(points, n, dim, { seed: 1, labels: [1, 2] }), /labels/);
});

test("meanAgreement: each clustering's mean ARI against the others", () => {
  // a and b are the same partition (ARI 1); c crosses both: ARI (0 - 2/3) / (2 - 2/3) = -0.5.
  const a = [0, 0, 1, 1];
  const b = [1, 1, 0, 0];
  const c = [0, 1, 0, 1];
  const agreement = meanAgreement([a, b, c]);
  assert.equal(agreement.length, 3);
  for (const [got, want] of agreement.map((x, i) => [x, [0.25, 0.25, -0.5][i]])) {
    assert.ok(Math.abs(got - want) < 1e-12, `${got} vs ${want}`);
  }
  assert.deepEqual(meanAgreement([c]), [1]);
});

test("clusterCodes runs: the run agreeing best with the others is kept, run r seeded deriveSeed(seed, r)", async () => {
  const settings = {
    k: 3,
    embedding: { kind: "umap", neighbors: 10, epochs: 50 },
    method: "kmeans",
    restarts: 1,
    labels,
  } as const;
  const one = await clusterCodes(points, n, dim, { ...settings, seed: 3 });
  assert.equal(one.selection, undefined);
  assert.equal(one.settings.runs, 1);
  const several = await clusterCodes(points, n, dim, { ...settings, seed: 3, runs: 3 });
  const { agreement, chosen } = several.selection!;
  assert.equal(agreement.length, 3);
  assert.equal(chosen, agreement.indexOf(Math.max(...agreement)));
  assert.equal(several.settings.runs, 3);
  // The kept run is exactly the single run of its seed (run 0: the seed itself).
  const alone = await clusterCodes(points, n, dim, {
    ...settings,
    seed: chosen === 0 ? 3 : deriveSeed(3, chosen),
  });
  assert.deepEqual(several.assignments, alone.assignments);
  assert.deepEqual(several.embedding, alone.embedding);
  assert.equal(several.scores!.accuracy, 1);
  if (chosen === 0) assert.deepEqual(several.assignments, one.assignments);
  for (const runs of [0, 1.5]) {
    await assert.rejects(clusterCodes(points, n, dim, { ...settings, seed: 3, runs }), /runs is/);
  }
});

test("clusterCodes context: clustered with the codes, only the codes returned and scored", async () => {
  // 9 codes (3 per blob) with the other 171 points as context: the same as clustering all 180
  // points and keeping the first 9 rows.
  const own = 9;
  const codes = points.slice(0, own * dim);
  const context = { codes: points.slice(own * dim), n: n - own };
  for (const embedding of [
    { kind: "none" },
    { kind: "umap", neighbors: 10, epochs: 50 },
  ] as const) {
    const settings = { k: 3, seed: 2, embedding, normalize: "standardize", method: "gmm" } as const;
    const alone = await clusterCodes(points, n, dim, settings);
    const withContext = await clusterCodes(codes, own, dim, {
      ...settings,
      context,
      labels: labels.subarray(0, own),
      silhouette: true,
    });
    assert.deepEqual(withContext.assignments, alone.assignments.subarray(0, own));
    assert.equal(withContext.features.length, own * withContext.featureDim);
    assert.deepEqual(withContext.features, alone.features.subarray(0, own * alone.featureDim));
    if (embedding.kind === "umap") assert.equal(withContext.embedding!.length, own * 2);
    assert.deepEqual(withContext.centers, alone.centers);
    assert.equal(withContext.scores!.accuracy, 1);
    assert.equal(withContext.settings.context, n - own);
    assert.ok(Number.isFinite(withContext.silhouette));
  }
  await assert.rejects(
    clusterCodes(codes, own, dim, { seed: 1, context: { codes: new Float32Array(5), n: 1 } }),
    /context codes/,
  );
});
