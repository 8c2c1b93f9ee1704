// PCA, exact nearest neighbours and the silhouette on the native engine (float64 MatMul and SelfAdjointEigV2
// through the binding) against the JavaScript path on the same real MNIST images: the same exact
// result, to rounding. The JavaScript paths run first, before any backend is started (they need
// none).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { float64Accelerator } from "../../lib/ml/accelerator";
import { initBackend } from "../../lib/backend/select";
import { resolveConfig } from "../../lib/config";
import { loadDataset } from "../../lib/data";
import { silhouetteScore } from "../../lib/ml/cluster-metrics";
import { nearestNeighbors } from "../../lib/ml/neighbors";
import { fitPca, pcaTransform, type PcaModel } from "../../lib/ml/pca";

test("fitPca and nearestNeighbors on the native engine equal the JavaScript computation (MNIST)", async () => {
  const dataset = await loadDataset(resolveConfig({}).data);
  const n = 3000;
  const points = dataset.test.images.subarray(0, n * 784);
  assert.equal(float64Accelerator(), null, "no backend yet: the JavaScript path");
  const js = fitPca(points, n, 784, { components: 64 });
  const codes = pcaTransform(js, points, n);
  const jsPixels = nearestNeighbors(points.subarray(0, 1500 * 784), 1500, 784, 10);
  const jsCodes = nearestNeighbors(codes, n, 64, 15);
  const labels = dataset.test.labels.subarray(0, n);
  const jsSilhouette = silhouetteScore(codes, n, 64, labels);
  await initBackend("tensorflow");
  assert.notEqual(float64Accelerator(), null, "the native engine runs");
  compare(fitPca(points, n, 784, { components: 64 }), js);
  // Candidates come from other sums, but the k kept are re-measured exactly: same lists.
  const nativePixels = nearestNeighbors(points.subarray(0, 1500 * 784), 1500, 784, 10);
  assert.deepEqual(nativePixels.indices, jsPixels.indices);
  assert.deepEqual(nativePixels.distances, jsPixels.distances);
  const nativeCodes = nearestNeighbors(codes, n, 64, 15);
  assert.deepEqual(nativeCodes.indices, jsCodes.indices);
  assert.deepEqual(nativeCodes.distances, jsCodes.distances);
  // Distances from the Gram expansion (as sklearn's euclidean_distances) against direct sums.
  const nativeSilhouette = silhouetteScore(codes, n, 64, labels);
  assert.ok(
    Math.abs(nativeSilhouette - jsSilhouette) < 1e-9,
    `silhouette ${nativeSilhouette} vs ${jsSilhouette}`,
  );
});

test("native nearestNeighbors: duplicates and ties keep the smaller index first", async () => {
  await initBackend("tensorflow");
  // Points 0, 2 and 3 coincide; 1 is 1 away from them; 4 is farther.
  const points = Float32Array.of(0, 0, 1, 0, 0, 0, 0, 0, 5, 5);
  const { indices, distances } = nearestNeighbors(points, 5, 2, 2);
  assert.deepEqual(Array.from(indices), [2, 3, 0, 2, 0, 3, 0, 2, 1, 0]);
  assert.deepEqual(Array.from(distances.subarray(0, 2)), [0, 0]);
});

test("the native path handles more rows than one chunk and tiny inputs", async () => {
  await initBackend("tensorflow");
  // 20,000 rows: two MatMul chunks summed in float64.
  const dataset = await loadDataset(resolveConfig({}).data);
  const many = dataset.train.images.subarray(0, 20000 * 784);
  const model = fitPca(many, 20000, 784, { components: 3 });
  assert.equal(model.samples, 20000);
  assert.ok(model.explainedVariance[0] >= model.explainedVariance[1]);
  // Two points in 2-D: one axis along their difference, carrying all the variance.
  const two = fitPca(Float32Array.of(0, 0, 3, 4), 2, 2);
  assert.ok(Math.abs(two.explainedVariance[0] - 12.5) < 1e-12);
  assert.ok(Math.abs(two.explainedVariance[1]) < 1e-12);
  assert.ok(Math.abs(Math.abs(two.components[0]) - 0.6) < 1e-12);
  assert.ok(Math.abs(Math.abs(two.components[1]) - 0.8) < 1e-12);
});

function compare(a: PcaModel, b: PcaModel): void {
  assert.equal(a.count, b.count);
  assert.ok(Math.abs(a.totalVariance - b.totalVariance) < 1e-12 * b.totalVariance);
  for (let r = 0; r < a.count; r++) {
    const va = a.explainedVariance[r];
    const vb = b.explainedVariance[r];
    assert.ok(Math.abs(va - vb) < 1e-10 * b.explainedVariance[0], `variance ${r}: ${va} vs ${vb}`);
  }
  // Components are sign-normalised by fitPca; well-separated ones agree closely (the last few
  // of 64 sit near others in variance, where rounding can turn a vector within its pair).
  for (let r = 0; r < 32; r++) {
    let d = 0;
    for (let t = 0; t < a.dim; t++) {
      d = Math.max(d, Math.abs(a.components[r * a.dim + t] - b.components[r * b.dim + t]));
    }
    assert.ok(d < 1e-7, `component ${r}: max difference ${d}`);
  }
  for (let t = 0; t < a.dim; t++) assert.equal(a.mean[t], b.mean[t]);
}
