/**
 * Eigendecomposition of a real symmetric matrix: Householder reduction to tridiagonal form, then
 * the implicit QL algorithm with Wilkinson-style shifts (the EISPACK tred2/tql2 pair, as in JAMA).
 * O(d³) time, d² extra memory; all arithmetic in float64. A 784 × 784 covariance takes about a
 * second. The eigenvectors come out as contiguous rows, the layout PCA wants for its components.
 */
import { LatentInputError } from "./check";

export interface SymmetricEigen {
  /** The d eigenvalues, in descending order. */
  values: Float64Array;
  /** d × d row-major: row r is the unit eigenvector of values[r]. */
  vectors: Float64Array;
}

/** The QL iteration gives up on an eigenvalue after this many sweeps (it needs 1-3 in practice). */
const MAX_QL_ITERATIONS = 60;

/**
 * Eigenvalues (descending) and unit eigenvectors (rows) of the symmetric d × d matrix `matrix`
 * (row-major; only its lower triangle is read). Eigenvector signs are whatever the algorithm
 * gives; callers that need stable signs normalise them (see fitPca).
 */
export function symmetricEigen(matrix: ArrayLike<number>, d: number): SymmetricEigen {
  if (!Number.isInteger(d) || d < 1 || matrix.length !== d * d) {
    throw new LatentInputError(
      `symmetricEigen needs a d × d matrix: got ${matrix.length} values for d = ${d} (pass d² row-major values).`,
    );
  }
  const v = Float64Array.from(matrix as ArrayLike<number>);
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) {
      throw new LatentInputError(
        `symmetricEigen: entry ${i} of the matrix is ${v[i]}: the matrix must be finite.`,
      );
    }
  }
  const diag = new Float64Array(d);
  const off = new Float64Array(d);
  tridiagonalize(v, d, diag, off);
  // After tred2 the eigenvector matrix holds eigenvectors as columns; QL rotates pairs of them,
  // which is cache-friendly only when they are rows, so transpose once.
  const rows = transpose(v, d);
  tridiagonalQl(rows, d, diag, off);

  const order = Array.from({ length: d }, (_, i) => i).sort((a, b) => diag[b] - diag[a] || a - b);
  const values = new Float64Array(d);
  const vectors = new Float64Array(d * d);
  order.forEach((from, to) => {
    values[to] = diag[from];
    vectors.set(rows.subarray(from * d, from * d + d), to * d);
  });
  return { values, vectors };
}

function transpose(a: Float64Array, d: number): Float64Array {
  const t = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) t[j * d + i] = a[i * d + j];
  return t;
}

/**
 * Householder reduction of the symmetric matrix in `v` (overwritten by the orthogonal transform,
 * eigenvector basis as columns) to the tridiagonal matrix with diagonal `d` and sub-diagonal `e`.
 */
function tridiagonalize(v: Float64Array, n: number, d: Float64Array, e: Float64Array): void {
  for (let j = 0; j < n; j++) d[j] = v[(n - 1) * n + j];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = v[(i - 1) * n + j];
        v[i * n + j] = 0;
        v[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        v[j * n + i] = f;
        g = e[j] + v[j * n + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          const vkj = v[k * n + j];
          g += vkj * d[k];
          e[k] += vkj * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) v[k * n + j] -= f * e[k] + g * d[k];
        d[j] = v[(i - 1) * n + j];
        v[i * n + j] = 0;
      }
    }
    d[i] = h;
  }

  // Accumulate the transformations. Work on columns i+1 through a scratch copy so the inner
  // loops run along rows (contiguous) instead of down columns.
  const col = new Float64Array(n);
  const g = new Float64Array(n);
  for (let i = 0; i < n - 1; i++) {
    v[(n - 1) * n + i] = v[i * n + i];
    v[i * n + i] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) {
        col[k] = v[k * n + i + 1];
        d[k] = col[k] / h;
      }
      // g[j] = Σ_k V[k][i+1]·V[k][j] for j ≤ i, then V[k][j] -= g[j]·d[k].
      g.fill(0, 0, i + 1);
      for (let k = 0; k <= i; k++) {
        const ck = col[k];
        if (ck === 0) continue;
        const row = k * n;
        for (let j = 0; j <= i; j++) g[j] += ck * v[row + j];
      }
      for (let k = 0; k <= i; k++) {
        const dk = d[k];
        const row = k * n;
        for (let j = 0; j <= i; j++) v[row + j] -= g[j] * dk;
      }
    }
    for (let k = 0; k <= i; k++) v[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = v[(n - 1) * n + j];
    v[(n - 1) * n + j] = 0;
  }
  v[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

/**
 * Implicit QL on the tridiagonal (d, e); `rows` holds the basis with vectors as rows and receives
 * the eigenvectors (row i ↔ d[i], unsorted).
 */
function tridiagonalQl(rows: Float64Array, n: number, d: Float64Array, e: Float64Array): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > MAX_QL_ITERATIONS) {
          throw new LatentInputError(
            `symmetricEigen did not converge for eigenvalue ${l} after ${MAX_QL_ITERATIONS} QL sweeps: check the matrix is symmetric and well scaled.`,
          );
        }
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;

        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          const a = i * n;
          const b = a + n;
          for (let k = 0; k < n; k++) {
            const vb = rows[b + k];
            const va = rows[a + k];
            rows[b + k] = s * va + c * vb;
            rows[a + k] = c * va - s * vb;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
}

/** sqrt(a² + b²) without overflow or underflow (Math.hypot is slow in V8). */
function hypot(a: number, b: number): number {
  const x = Math.abs(a);
  const y = Math.abs(b);
  if (x > y) {
    const r = y / x;
    return x * Math.sqrt(1 + r * r);
  }
  if (y === 0) return 0;
  const r = x / y;
  return y * Math.sqrt(1 + r * r);
}
