/**
 * Principal component analysis by the covariance matrix: centre, form the dim × dim covariance
 * in float64, then take its eigendecomposition. With a float64 accelerator registered
 * (./accelerator.ts; the native TensorFlow engine: double MatMul and SelfAdjointEigV2, 10,000 ×
 * 784 in about 0.3 s) both run there; otherwise in JavaScript (4 × 4 register-tiled products
 * over a column-major copy, then ./eigen.ts: about 3 s).
 * Exact either way (the two agree to about 1e-13), deterministic, no randomness. Variances use
 * the n − 1 denominator, like sklearn's `explained_variance_`.
 */
import { float64Accelerator } from "./accelerator";
import { checkPoints, LatentInputError } from "./check";
import { symmetricEigen } from "./eigen";

export interface PcaModel {
  /** Length of one input row. */
  dim: number;
  /** k × dim row-major: the principal axes (unit rows), by decreasing variance. */
  components: Float64Array;
  /** k, the number of rows of `components`. */
  count: number;
  /** Per-dimension mean of the fitted points (length dim). */
  mean: Float64Array;
  /** Variance along each component (eigenvalue of the covariance), descending (length k). */
  explainedVariance: Float64Array;
  /** explainedVariance / totalVariance: the share of the total variance each component carries. */
  explainedVarianceRatio: Float64Array;
  /** Sum of the per-dimension variances (trace of the covariance): what the ratios divide by. */
  totalVariance: number;
  /** Number of points the model was fitted on. */
  samples: number;
}

export interface PcaOptions {
  /**
   * Number of components to keep, 1 ≤ components ≤ dim (default: all of them). 2-3 for plots,
   * 32-64 to denoise before clustering.
   */
  components?: number;
}

/** Covariance product blocks: rows per chunk so 8 columns of a chunk stay in L1/L2. */
const ROW_CHUNK = 2048;

/**
 * Fit PCA to n points of `dim` values (row-major). `components` rows are unit vectors, ordered by
 * decreasing variance, each with its largest-magnitude entry positive (ties: the first), so the
 * signs are the same on every machine and every run.
 */
export function fitPca(
  points: Float32Array,
  n: number,
  dim: number,
  options: PcaOptions = {},
): PcaModel {
  checkPoints(points, n, dim);
  const count = options.components ?? dim;
  if (!Number.isInteger(count) || count < 1 || count > dim) {
    throw new LatentInputError(
      `fitPca: components = ${count} is not possible for ${dim}-dimensional points: use an integer between 1 and ${dim}.`,
    );
  }
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    const base = i * dim;
    for (let t = 0; t < dim; t++) mean[t] += points[base + t];
  }
  for (let t = 0; t < dim; t++) mean[t] /= n;

  const accelerator = float64Accelerator();
  const covariance = accelerator
    ? symmetricScaled(accelerator.centredGram(points, n, dim, mean), dim, 1 / Math.max(1, n - 1))
    : covarianceMatrix(points, n, dim, mean);
  let totalVariance = 0;
  for (let t = 0; t < dim; t++) totalVariance += covariance[t * dim + t];

  const { values, vectors } = accelerator
    ? accelerator.symmetricEigen(covariance, dim)
    : symmetricEigen(covariance, dim);
  const components = new Float64Array(count * dim);
  const explainedVariance = new Float64Array(count);
  const explainedVarianceRatio = new Float64Array(count);
  for (let r = 0; r < count; r++) {
    const row = vectors.subarray(r * dim, r * dim + dim);
    let largest = 0;
    for (let t = 1; t < dim; t++) if (Math.abs(row[t]) > Math.abs(row[largest])) largest = t;
    const sign = row[largest] < 0 ? -1 : 1;
    for (let t = 0; t < dim; t++) components[r * dim + t] = sign * row[t];
    // Rounding can leave a zero eigenvalue slightly negative.
    explainedVariance[r] = Math.max(0, values[r]);
    explainedVarianceRatio[r] = totalVariance > 0 ? explainedVariance[r] / totalVariance : 0;
  }
  return {
    dim,
    components,
    count,
    mean,
    explainedVariance,
    explainedVarianceRatio,
    totalVariance,
    samples: n,
  };
}

/** `matrix` × `scale`, made exactly symmetric (each pair averaged): the eigensolver reads one half. */
function symmetricScaled(matrix: Float64Array, dim: number, scale: number): Float64Array {
  for (let i = 0; i < dim; i++) {
    for (let j = i; j < dim; j++) {
      const value = ((matrix[i * dim + j] + matrix[j * dim + i]) / 2) * scale;
      matrix[i * dim + j] = value;
      matrix[j * dim + i] = value;
    }
  }
  return matrix;
}

/**
 * Covariance (n − 1 denominator; n = 1 gives zeros) of the rows of `points` around `mean`, as a
 * full symmetric dim × dim float64 matrix.
 */
function covarianceMatrix(
  points: Float32Array,
  n: number,
  dim: number,
  mean: Float64Array,
): Float64Array {
  // Pad the dimension to a multiple of 4 so every tile is full (padding columns are zero).
  const padded = Math.ceil(dim / 4) * 4;
  const sums = new Float64Array(padded * padded);
  const chunk = new Float64Array(padded * ROW_CHUNK);
  for (let r0 = 0; r0 < n; r0 += ROW_CHUNK) {
    const rows = Math.min(ROW_CHUNK, n - r0);
    // Column-major centred copy of the chunk: column t occupies chunk[t·rows .. t·rows + rows).
    chunk.fill(0);
    for (let i = 0; i < rows; i++) {
      const base = (r0 + i) * dim;
      for (let t = 0; t < dim; t++) chunk[t * rows + i] = points[base + t] - mean[t];
    }
    for (let a = 0; a < padded; a += 4) {
      const a0 = a * rows;
      const a1 = a0 + rows;
      const a2 = a1 + rows;
      const a3 = a2 + rows;
      for (let b = a; b < padded; b += 4) {
        const b0 = b * rows;
        const b1 = b0 + rows;
        const b2 = b1 + rows;
        const b3 = b2 + rows;
        let s00 = 0, s01 = 0, s02 = 0, s03 = 0; // prettier-ignore
        let s10 = 0, s11 = 0, s12 = 0, s13 = 0; // prettier-ignore
        let s20 = 0, s21 = 0, s22 = 0, s23 = 0; // prettier-ignore
        let s30 = 0, s31 = 0, s32 = 0, s33 = 0; // prettier-ignore
        for (let i = 0; i < rows; i++) {
          const x0 = chunk[a0 + i];
          const x1 = chunk[a1 + i];
          const x2 = chunk[a2 + i];
          const x3 = chunk[a3 + i];
          const y0 = chunk[b0 + i];
          const y1 = chunk[b1 + i];
          const y2 = chunk[b2 + i];
          const y3 = chunk[b3 + i];
          s00 += x0 * y0;
          s01 += x0 * y1;
          s02 += x0 * y2;
          s03 += x0 * y3;
          s10 += x1 * y0;
          s11 += x1 * y1;
          s12 += x1 * y2;
          s13 += x1 * y3;
          s20 += x2 * y0;
          s21 += x2 * y1;
          s22 += x2 * y2;
          s23 += x2 * y3;
          s30 += x3 * y0;
          s31 += x3 * y1;
          s32 += x3 * y2;
          s33 += x3 * y3;
        }
        const o = a * padded + b;
        sums[o] += s00;
        sums[o + 1] += s01;
        sums[o + 2] += s02;
        sums[o + 3] += s03;
        sums[o + padded] += s10;
        sums[o + padded + 1] += s11;
        sums[o + padded + 2] += s12;
        sums[o + padded + 3] += s13;
        sums[o + 2 * padded] += s20;
        sums[o + 2 * padded + 1] += s21;
        sums[o + 2 * padded + 2] += s22;
        sums[o + 2 * padded + 3] += s23;
        sums[o + 3 * padded] += s30;
        sums[o + 3 * padded + 1] += s31;
        sums[o + 3 * padded + 2] += s32;
        sums[o + 3 * padded + 3] += s33;
      }
    }
  }
  // The tiles cover a ≤ b by blocks of 4; inside a diagonal tile both triangles were summed.
  const denominator = Math.max(1, n - 1);
  const covariance = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) {
    for (let j = i; j < dim; j++) {
      const blockUpper = Math.floor(i / 4) <= Math.floor(j / 4);
      const value = (blockUpper ? sums[i * padded + j] : sums[j * padded + i]) / denominator;
      covariance[i * dim + j] = value;
      covariance[j * dim + i] = value;
    }
  }
  return covariance;
}

export interface PcaTransformOptions {
  /**
   * Divide each coordinate by the standard deviation along its component, so every component
   * has unit variance (PCA whitening). Default false. Components with zero variance stay 0.
   */
  whiten?: boolean;
}

/** Coordinates of n points (row-major, n × dim) along the model's k components: n × k. */
export function pcaTransform(
  model: PcaModel,
  points: Float32Array,
  n: number,
  options: PcaTransformOptions = {},
): Float32Array {
  const { dim, count, components, mean } = model;
  checkPoints(points, n, dim, "pcaTransform points");
  const scale = new Float64Array(count).fill(1);
  if (options.whiten) {
    for (let r = 0; r < count; r++) {
      const sd = Math.sqrt(model.explainedVariance[r]);
      scale[r] = sd > 0 ? 1 / sd : 0;
    }
  }
  const out = new Float32Array(n * count);
  const centred = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    const base = i * dim;
    for (let t = 0; t < dim; t++) centred[t] = points[base + t] - mean[t];
    for (let r = 0; r < count; r++) {
      const c = r * dim;
      let s = 0;
      for (let t = 0; t < dim; t++) s += centred[t] * components[c + t];
      out[i * count + r] = s * scale[r];
    }
  }
  return out;
}

/**
 * Points back in the input space from their k component coordinates (n × k → n × dim): the mean
 * plus the weighted components. With all dim components this undoes pcaTransform (up to float32
 * rounding); with fewer it is the best rank-k reconstruction in squared error.
 */
export function pcaInverse(model: PcaModel, projected: Float32Array, n: number): Float32Array {
  const { dim, count, components, mean } = model;
  checkPoints(projected, n, count, "pcaInverse coordinates");
  const out = new Float32Array(n * dim);
  const row = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    row.set(mean);
    for (let r = 0; r < count; r++) {
      const w = projected[i * count + r];
      if (w === 0) continue;
      const c = r * dim;
      for (let t = 0; t < dim; t++) row[t] += w * components[c + t];
    }
    out.set(row, i * dim);
  }
  return out;
}
