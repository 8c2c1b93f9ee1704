// The one pairwise distance kernel of lib/ml (forEachDistanceBlock): which pairs it visits, the
// arithmetic of each mode against a direct computation, and the float64 accelerator slot that
// lib/backend fills with the native engine (here a JavaScript stand-in, so no backend is needed).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  float64Accelerator,
  setFloat64Accelerator,
  type Float64Accelerator,
} from "../../lib/ml/accelerator";
import { silhouetteScore } from "../../lib/ml/cluster-metrics";
import {
  expandedSquaredDistance,
  forEachDistanceBlock,
  squaredNorms,
  type DistanceBlockOptions,
} from "../../lib/ml/distances";
import { symmetricEigen } from "../../lib/ml/eigen";
import { nearestNeighbors } from "../../lib/ml/neighbors";
import { fitPca } from "../../lib/ml/pca";
import { createRng } from "../../lib/random";

function randomPoints(n: number, dim: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n * dim }, () => rng.normal());
}

/** Every (row, point, value) the walk hands out, as a map "i,j" → squared distance. */
function walk(points: Float32Array, n: number, dim: number, options: DistanceBlockOptions) {
  const seen = new Map<string, number>();
  const upper = options.rows === undefined;
  forEachDistanceBlock(
    points,
    n,
    dim,
    (i0, i1, j0, j1, block) => {
      assert.ok(i0 < i1 && j0 < j1, `block ${i0}..${i1} × ${j0}..${j1}`);
      for (let i = i0; i < i1; i++) {
        for (let j = upper ? Math.max(j0, i + 1) : j0; j < j1; j++) {
          const key = `${i},${j}`;
          assert.ok(!seen.has(key), `pair ${key} visited twice`);
          seen.set(key, block[(i - i0) * (j1 - j0) + j - j0]);
        }
      }
    },
    options,
  );
  return seen;
}

function difference(points: Float32Array, dim: number, i: number, j: number): number {
  let s = 0;
  for (let t = 0; t < dim; t++) {
    const d = points[i * dim + t] - points[j * dim + t];
    s += d * d;
  }
  return s;
}

// 150 points: three blocks of 64 rows, the last one partial.
const N = 150;
const DIM = 7;
const points = randomPoints(N, DIM, 3);
const norms = squaredNorms(points, N, DIM);

test("the full walk visits every pair i < j once, by either arithmetic", () => {
  for (const arithmetic of ["expansion", "difference"] as const) {
    const seen = walk(points, N, DIM, { arithmetic });
    assert.equal(seen.size, (N * (N - 1)) / 2, arithmetic);
    for (let i = 0; i < N; i++) {
      for (let j = i + 1; j < N; j++) {
        const got = seen.get(`${i},${j}`);
        // Exactly the arithmetic documented for each mode.
        const want =
          arithmetic === "expansion"
            ? expandedSquaredDistance(points, DIM, norms, i, j)
            : difference(points, DIM, i, j);
        assert.equal(got, want, `${arithmetic} ${i},${j}`);
      }
    }
  }
});

test("query rows meet every point, themselves included, in list order", () => {
  const rows = [149, 0, 77, 77, 3];
  for (const arithmetic of ["expansion", "difference"] as const) {
    const seen = walk(points, N, DIM, { rows, arithmetic });
    assert.equal(seen.size, rows.length * N);
    rows.forEach((i, q) => {
      for (let j = 0; j < N; j++) {
        const want =
          arithmetic === "expansion"
            ? expandedSquaredDistance(points, DIM, norms, i, j)
            : difference(points, DIM, i, j);
        assert.equal(seen.get(`${q},${j}`), want, `${arithmetic} row ${q} (point ${i}), ${j}`);
      }
      if (arithmetic === "difference") assert.equal(seen.get(`${q},${i}`), 0);
    });
  }
});

test("the expansion agrees with direct differences to rounding", () => {
  for (let i = 0; i < N; i += 7) {
    for (let j = i + 1; j < N; j += 5) {
      const e = expandedSquaredDistance(points, DIM, norms, i, j);
      const d = difference(points, DIM, i, j);
      assert.ok(Math.abs(e - d) <= 1e-12 * Math.max(1, d), `${i},${j}: ${e} vs ${d}`);
    }
  }
});

/**
 * A float64 accelerator in plain JavaScript (what the native engine does with MatMul and
 * SelfAdjointEigV2), counting its calls.
 */
function javascriptAccelerator(calls: string[]): Float64Accelerator {
  return {
    centredGram(x, n, dim, mean) {
      calls.push("centredGram");
      const gram = new Float64Array(dim * dim);
      for (let i = 0; i < n; i++) {
        for (let a = 0; a < dim; a++) {
          const xa = x[i * dim + a] - mean[a];
          for (let b = 0; b < dim; b++) gram[a * dim + b] += xa * (x[i * dim + b] - mean[b]);
        }
      }
      return gram;
    },
    symmetricEigen(matrix, d) {
      calls.push("symmetricEigen");
      const { values, vectors } = symmetricEigen(matrix, d);
      return { values: Float64Array.from(values), vectors: Float64Array.from(vectors) };
    },
    pairwiseDots(x, n, dim) {
      calls.push("pairwiseDots");
      let disposed = false;
      return {
        block(i0, i1, j0) {
          assert.ok(!disposed);
          const out = new Float64Array((i1 - i0) * (n - j0));
          for (let i = i0; i < i1; i++) {
            for (let j = j0; j < n; j++) {
              let s = 0;
              for (let t = 0; t < dim; t++) s += x[i * dim + t] * x[j * dim + t];
              out[(i - i0) * (n - j0) + j - j0] = s;
            }
          }
          return out;
        },
        dispose() {
          disposed = true;
          calls.push("dispose");
        },
      };
    },
  };
}

test("a registered accelerator is used by PCA, neighbours and the silhouette, with the same results", () => {
  assert.equal(float64Accelerator(), null, "no provider registered: JavaScript");
  const labels = Int32Array.from({ length: N }, (_, i) => i % 3);
  const plain = {
    neighbors: nearestNeighbors(points, N, DIM, 5),
    silhouette: silhouetteScore(points, N, DIM, labels),
    pca: fitPca(points, N, DIM, { components: 3 }),
  };
  const calls: string[] = [];
  const accelerator = javascriptAccelerator(calls);
  setFloat64Accelerator(() => accelerator);
  try {
    assert.equal(float64Accelerator(), accelerator);
    // The accelerated walk: one block of up to 256 rows against all later rows.
    const seen = walk(points, N, DIM, { accelerate: true });
    assert.equal(seen.size, (N * (N - 1)) / 2);
    for (const [key, value] of seen) {
      const [i, j] = key.split(",").map(Number);
      assert.equal(value, expandedSquaredDistance(points, DIM, norms, i, j), key);
    }
    assert.deepEqual(calls, ["pairwiseDots", "dispose"]);
    calls.length = 0;

    const neighbors = nearestNeighbors(points, N, DIM, 5);
    assert.deepEqual(neighbors.indices, plain.neighbors.indices);
    assert.deepEqual(neighbors.distances, plain.neighbors.distances);
    const silhouette = silhouetteScore(points, N, DIM, labels);
    assert.ok(
      Math.abs(silhouette - plain.silhouette) < 1e-12,
      `${silhouette} vs ${plain.silhouette}`,
    );
    // A sampled silhouette walks query rows: never accelerated.
    silhouetteScore(points, N, DIM, labels, { sampleSize: 20 });
    const pca = fitPca(points, N, DIM, { components: 3 });
    for (let r = 0; r < 3; r++) {
      const a = pca.explainedVariance[r];
      const b = plain.pca.explainedVariance[r];
      assert.ok(Math.abs(a - b) < 1e-12 * plain.pca.explainedVariance[0], `variance ${r}`);
    }
    assert.deepEqual(calls, [
      "pairwiseDots",
      "dispose",
      "pairwiseDots",
      "dispose",
      "centredGram",
      "symmetricEigen",
    ]);

    // A provider that has nothing to offer now (another backend runs): JavaScript again.
    calls.length = 0;
    setFloat64Accelerator(() => null);
    assert.deepEqual(nearestNeighbors(points, N, DIM, 5).indices, plain.neighbors.indices);
    assert.deepEqual(calls, []);
  } finally {
    setFloat64Accelerator(null);
  }
});
