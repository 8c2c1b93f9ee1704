import { test } from "node:test";
import assert from "node:assert/strict";
import { symmetricEigen } from "../../lib/ml/eigen";
import { fitPca, pcaInverse, pcaTransform } from "../../lib/ml/pca";
import { LatentInputError } from "../../lib/ml/check";
import { createRng } from "../../lib/random";

/** Cyclic Jacobi rotations: slow, simple, exact reference for small symmetric matrices. */
function jacobiEigen(matrix: number[][]): { values: number[]; vectors: number[][] } {
  const d = matrix.length;
  const a = matrix.map((row) => [...row]);
  const v = Array.from({ length: d }, (_, i) =>
    Array.from({ length: d }, (_, j): number => (i === j ? 1 : 0)),
  );
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p][q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        if (Math.abs(a[p][q]) < 1e-300) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k][p];
          const vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = [...Array(d).keys()].sort((i, j) => a[j][j] - a[i][i]);
  return { values: order.map((i) => a[i][i]), vectors: order.map((i) => v.map((row) => row[i])) };
}

function randomSymmetric(d: number, seed: number): number[][] {
  const rng = createRng(seed);
  const m = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) m[i][j] = m[j][i] = rng.normal();
  return m;
}

function assertVectorUpToSign(
  actual: ArrayLike<number>,
  expected: number[],
  tol: number,
  what: string,
) {
  let dot = 0;
  for (let t = 0; t < expected.length; t++) dot += actual[t] * expected[t];
  const sign = dot < 0 ? -1 : 1;
  for (let t = 0; t < expected.length; t++) {
    assert.ok(
      Math.abs(sign * actual[t] - expected[t]) < tol,
      `${what}[${t}]: ${actual[t]} vs ±${expected[t]}`,
    );
  }
}

for (const [d, seed] of [
  [6, 1],
  [6, 2],
  [9, 3],
  [1, 4],
  [2, 5],
] as const) {
  test(`symmetricEigen matches Jacobi on a random ${d}×${d} symmetric matrix (seed ${seed})`, () => {
    const m = randomSymmetric(d, seed);
    const ref = jacobiEigen(m);
    const got = symmetricEigen(m.flat(), d);
    for (let r = 0; r < d; r++) {
      assert.ok(
        Math.abs(got.values[r] - ref.values[r]) < 1e-10,
        `value ${r}: ${got.values[r]} vs ${ref.values[r]}`,
      );
      assertVectorUpToSign(
        got.vectors.subarray(r * d, r * d + d),
        ref.vectors[r],
        1e-8,
        `vector ${r}`,
      );
    }
  });
}

test("symmetricEigen: A·v = λ·v and orthonormal vectors on a 50×50 matrix", () => {
  const d = 50;
  const m = randomSymmetric(d, 7);
  const { values, vectors } = symmetricEigen(m.flat(), d);
  for (let r = 0; r < d; r++) {
    for (let i = 0; i < d; i++) {
      let av = 0;
      for (let j = 0; j < d; j++) av += m[i][j] * vectors[r * d + j];
      assert.ok(Math.abs(av - values[r] * vectors[r * d + i]) < 1e-9);
    }
    for (let s = 0; s < d; s++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += vectors[r * d + j] * vectors[s * d + j];
      assert.ok(Math.abs(dot - (r === s ? 1 : 0)) < 1e-10);
    }
    if (r > 0) assert.ok(values[r] <= values[r - 1]);
  }
});

test("symmetricEigen: diagonal and repeated eigenvalues (identity, zero matrix)", () => {
  const diag = symmetricEigen([3, 0, 0, 0, 1, 0, 0, 0, 2], 3);
  assert.deepEqual(Array.from(diag.values), [3, 2, 1]);
  assertVectorUpToSign(diag.vectors.subarray(0, 3), [1, 0, 0], 1e-12, "e1");
  assertVectorUpToSign(diag.vectors.subarray(3, 6), [0, 0, 1], 1e-12, "e3");
  const zero = symmetricEigen(new Float64Array(16), 4);
  assert.deepEqual(Array.from(zero.values), [0, 0, 0, 0]);
  const identity = symmetricEigen([1, 0, 0, 1], 2);
  assert.deepEqual(Array.from(identity.values), [1, 1]);
  assert.throws(() => symmetricEigen([1, 2, 3], 2), LatentInputError);
  assert.throws(() => symmetricEigen([1, NaN, NaN, 1], 2), LatentInputError);
});

/** Points spread along known orthogonal axes with known standard deviations. */
function pointsAlongAxes(n: number, seed: number) {
  const rng = createRng(seed);
  const s = Math.SQRT1_2;
  const axes = [
    [s, s, 0],
    [0, 0, 1],
    [s, -s, 0],
  ];
  const sds = [5, 2, 0.5];
  const mean = [10, -3, 1];
  const points = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const w = sds.map((sd) => sd * rng.normal());
    for (let t = 0; t < 3; t++) {
      points[i * 3 + t] = mean[t] + w[0] * axes[0][t] + w[1] * axes[1][t] + w[2] * axes[2][t];
    }
  }
  return { points, axes, sds, mean };
}

test("fitPca recovers known axes, variances and the mean", () => {
  const n = 20000;
  const { points, axes, sds, mean } = pointsAlongAxes(n, 11);
  const model = fitPca(points, n, 3);
  assert.equal(model.count, 3);
  for (let r = 0; r < 3; r++) {
    assertVectorUpToSign(model.components.subarray(r * 3, r * 3 + 3), axes[r], 0.02, `axis ${r}`);
    assert.ok(Math.abs(model.explainedVariance[r] / sds[r] ** 2 - 1) < 0.05);
    assert.ok(Math.abs(model.mean[r] - mean[r]) < 0.1);
  }
});

test("fitPca: variances equal the covariance eigenvalues (n − 1 denominator), ratios sum to 1", () => {
  const n = 40;
  const dim = 6;
  const rng = createRng(3);
  const points = Float32Array.from({ length: n * dim }, () => rng.normal() * 3 + 1);
  const mean = new Array<number>(dim).fill(0);
  for (let i = 0; i < n; i++) for (let t = 0; t < dim; t++) mean[t] += points[i * dim + t] / n;
  const cov = Array.from({ length: dim }, (_, a) =>
    Array.from({ length: dim }, (_, b) => {
      let s = 0;
      for (let i = 0; i < n; i++)
        s += (points[i * dim + a] - mean[a]) * (points[i * dim + b] - mean[b]);
      return s / (n - 1);
    }),
  );
  const ref = jacobiEigen(cov);
  const model = fitPca(points, n, dim);
  let ratioSum = 0;
  let trace = 0;
  for (let t = 0; t < dim; t++) trace += cov[t][t];
  assert.ok(Math.abs(model.totalVariance - trace) < 1e-9);
  for (let r = 0; r < dim; r++) {
    assert.ok(Math.abs(model.explainedVariance[r] - ref.values[r]) < 1e-9);
    assertVectorUpToSign(
      model.components.subarray(r * dim, r * dim + dim),
      ref.vectors[r],
      1e-7,
      `component ${r}`,
    );
    ratioSum += model.explainedVarianceRatio[r];
  }
  assert.ok(Math.abs(ratioSum - 1) < 1e-12);
});

test("fitPca: covariance tiles cover dims that are not multiples of 4 and more rows than one chunk", () => {
  for (const [n, dim] of [
    [5000, 7],
    [3, 5],
    [2100, 13],
  ] as const) {
    const rng = createRng(n + dim);
    const points = Float32Array.from({ length: n * dim }, () => rng.normal());
    const model = fitPca(points, n, dim);
    // Total variance equals the sum of per-dimension variances computed directly.
    let direct = 0;
    for (let t = 0; t < dim; t++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += points[i * dim + t] / n;
      let v = 0;
      for (let i = 0; i < n; i++) v += (points[i * dim + t] - m) ** 2;
      direct += v / (n - 1);
    }
    assert.ok(Math.abs(model.totalVariance - direct) < 1e-9 * direct);
    const sum = model.explainedVariance.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - direct) < 1e-9 * direct, `n=${n} dim=${dim}: ${sum} vs ${direct}`);
  }
});

test("pcaInverse(pcaTransform(x)) with every component gives x back; fewer components lose what they drop", () => {
  const n = 200;
  const dim = 10;
  const rng = createRng(5);
  const points = Float32Array.from({ length: n * dim }, () => rng.normal() + 2);
  const full = fitPca(points, n, dim);
  const back = pcaInverse(full, pcaTransform(full, points, n), n);
  for (let i = 0; i < points.length; i++) assert.ok(Math.abs(back[i] - points[i]) < 1e-5);

  const three = fitPca(points, n, dim, { components: 3 });
  const projected = pcaTransform(three, points, n);
  assert.equal(projected.length, n * 3);
  const approx = pcaInverse(three, projected, n);
  let residual = 0;
  for (let i = 0; i < points.length; i++) residual += (approx[i] - points[i]) ** 2;
  // The mean squared residual per point equals the dropped variance (n − 1 denominator).
  const dropped = full.explainedVariance.slice(3).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(residual / (n - 1) - dropped) < 1e-4 * dropped);
});

test("pcaTransform: projections have the component variances; whitening makes them 1", () => {
  const n = 500;
  const { points } = pointsAlongAxes(n, 2);
  const model = fitPca(points, n, 3, { components: 2 });
  for (const whiten of [false, true]) {
    const z = pcaTransform(model, points, n, { whiten });
    for (let r = 0; r < 2; r++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += z[i * 2 + r] / n;
      let v = 0;
      for (let i = 0; i < n; i++) v += (z[i * 2 + r] - m) ** 2;
      v /= n - 1;
      assert.ok(Math.abs(m) < 1e-4);
      const expected = whiten ? 1 : model.explainedVariance[r];
      assert.ok(
        Math.abs(v / expected - 1) < 1e-4,
        `whiten=${whiten} component ${r}: ${v} vs ${expected}`,
      );
    }
  }
});

test("fitPca: signs are deterministic (largest-magnitude entry positive) and repeat exactly", () => {
  const n = 300;
  const rng = createRng(9);
  const points = Float32Array.from({ length: n * 5 }, () => rng.normal());
  const a = fitPca(points, n, 5);
  const b = fitPca(points, n, 5);
  assert.deepEqual(a.components, b.components);
  for (let r = 0; r < 5; r++) {
    const row = Array.from(a.components.subarray(r * 5, r * 5 + 5));
    const largest = row.reduce((best, v, t) => (Math.abs(v) > Math.abs(row[best]) ? t : best), 0);
    assert.ok(row[largest] > 0);
    assert.ok(Math.abs(Math.hypot(...row) - 1) < 1e-12);
  }
});

test("fitPca: constant data has zero variance and ratios 0, one point works", () => {
  const flat = fitPca(new Float32Array(12).fill(4), 4, 3);
  assert.equal(flat.totalVariance, 0);
  assert.deepEqual(Array.from(flat.explainedVarianceRatio), [0, 0, 0]);
  assert.deepEqual(Array.from(flat.mean), [4, 4, 4]);
  const one = fitPca(Float32Array.from([1, 2]), 1, 2, { components: 1 });
  assert.deepEqual(Array.from(one.mean), [1, 2]);
  assert.equal(one.explainedVariance[0], 0);
});

test("fitPca / pcaTransform / pcaInverse reject bad input with LatentInputError", () => {
  const points = new Float32Array(12);
  assert.throws(() => fitPca(points, 4, 3, { components: 4 }), /between 1 and 3/);
  assert.throws(() => fitPca(points, 4, 3, { components: 0 }), LatentInputError);
  assert.throws(() => fitPca(points, 5, 3), /n × dim/);
  const model = fitPca(points, 4, 3, { components: 2 });
  assert.throws(() => pcaTransform(model, new Float32Array(8), 4), LatentInputError);
  assert.throws(() => pcaInverse(model, new Float32Array(12), 4), LatentInputError);
});
