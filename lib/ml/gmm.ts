/**
 * Gaussian mixture with full covariances, fitted by expectation-maximisation from a k-means start
 * (as sklearn's GaussianMixture with init_params="kmeans"). Meant for low-dimensional points (a
 * 2-10-d UMAP or t-SNE embedding): cost per iteration n·k·dim². Unlike k-means it models
 * elongated and differently sized clusters, which embeddings of digit classes are (the "1"s form
 * a long thin streak that k-means cuts in two). Deterministic for a seed.
 */
import { checkPoints, LatentInputError } from "./check";
import { kmeans } from "./kmeans";
import { deriveSeed } from "../random";

export interface GmmOptions {
  /** Number of components (clusters), 1 ≤ k ≤ n. 10 for the ten digits. */
  k: number;
  /** Seed of the k-means start. */
  seed: number;
  /**
   * EM runs from different k-means starts; the highest likelihood wins (default 1). On 2-D
   * embeddings of digit codes EM often stops in a poor optimum (two classes in one component,
   * one class cut in two) and the likelihood reliably picks the right one out: use ~20 there.
   */
  restarts?: number;
  /** EM iterations at most (default 200; EM usually settles in 20-100). */
  maxIterations?: number;
  /**
   * Stop when the mean log-likelihood per point improves by less than this (default 1e-4, as
   * sklearn's tol; 1e-6-1e-3).
   */
  tolerance?: number;
  /** Added to the covariance diagonals so no component collapses onto a point (default 1e-6, as sklearn). */
  regularization?: number;
}

export interface GmmResult {
  /** Most probable component of each point. */
  assignments: Int32Array;
  /** k × dim means. */
  means: Float64Array;
  /** k × dim × dim covariance matrices. */
  covariances: Float64Array;
  /** Mixing weights (sum to 1). */
  weights: Float64Array;
  /** Mean log-likelihood per point of the final model. */
  logLikelihood: number;
  /** EM iterations of the winning restart. */
  iterations: number;
  /** Whether the winning restart stopped on the tolerance (not on maxIterations). */
  converged: boolean;
}

/** Fit a k-component full-covariance Gaussian mixture to n points (row-major n × dim). */
export function gaussianMixture(
  points: Float32Array,
  n: number,
  dim: number,
  options: GmmOptions,
): GmmResult {
  checkPoints(points, n, dim);
  const { k, seed } = options;
  const restarts = options.restarts ?? 1;
  const maxIterations = options.maxIterations ?? 200;
  const tolerance = options.tolerance ?? 1e-4;
  const regularization = options.regularization ?? 1e-6;
  if (!Number.isInteger(k) || k < 1 || k > n) {
    throw new LatentInputError(
      `gaussianMixture: k = ${k} components is not possible with ${n} points: use an integer between 1 and ${n}.`,
    );
  }
  for (const [name, value] of [
    ["restarts", restarts],
    ["maxIterations", maxIterations],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new LatentInputError(`gaussianMixture: ${name} = ${value} must be a positive integer.`);
    }
  }
  if (!(tolerance >= 0) || !(regularization >= 0)) {
    throw new LatentInputError(
      `gaussianMixture: tolerance = ${tolerance} and regularization = ${regularization} must be ≥ 0.`,
    );
  }
  let best: GmmResult | null = null;
  for (let r = 0; r < restarts; r++) {
    const start = kmeans(points, n, dim, { k, seed: deriveSeed(seed, r), restarts: 1 });
    const result = em(
      points,
      n,
      dim,
      k,
      start.assignments,
      maxIterations,
      tolerance,
      regularization,
    );
    if (best === null || result.logLikelihood > best.logLikelihood) best = result;
  }
  return best as GmmResult;
}

function em(
  points: Float32Array,
  n: number,
  dim: number,
  k: number,
  initial: Int32Array,
  maxIterations: number,
  tolerance: number,
  regularization: number,
): GmmResult {
  // Responsibilities n × k, starting as the hard k-means assignment.
  const resp = new Float64Array(n * k);
  for (let i = 0; i < n; i++) resp[i * k + initial[i]] = 1;
  const means = new Float64Array(k * dim);
  const covariances = new Float64Array(k * dim * dim);
  const weights = new Float64Array(k);
  const cholesky = new Float64Array(k * dim * dim);
  const logDet = new Float64Array(k);
  const logProb = new Float64Array(k);
  const diff = new Float64Array(dim);
  const solved = new Float64Array(dim);
  const logTwoPi = Math.log(2 * Math.PI);

  const mStep = (): void => {
    means.fill(0);
    covariances.fill(0);
    weights.fill(0);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) {
        const r = resp[i * k + c];
        if (r === 0) continue;
        weights[c] += r;
        for (let t = 0; t < dim; t++) means[c * dim + t] += r * points[i * dim + t];
      }
    }
    for (let c = 0; c < k; c++) {
      const w = weights[c] + 10 * Number.EPSILON;
      for (let t = 0; t < dim; t++) means[c * dim + t] /= w;
    }
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) {
        const r = resp[i * k + c];
        if (r === 0) continue;
        const base = c * dim * dim;
        for (let a = 0; a < dim; a++) {
          const da = points[i * dim + a] - means[c * dim + a];
          for (let b = 0; b <= a; b++) {
            covariances[base + a * dim + b] += r * da * (points[i * dim + b] - means[c * dim + b]);
          }
        }
      }
    }
    for (let c = 0; c < k; c++) {
      const w = weights[c] + 10 * Number.EPSILON;
      const base = c * dim * dim;
      for (let a = 0; a < dim; a++) {
        for (let b = 0; b <= a; b++) {
          const v = covariances[base + a * dim + b] / w + (a === b ? regularization : 0);
          covariances[base + a * dim + b] = v;
          covariances[base + b * dim + a] = v;
        }
      }
      weights[c] = w / n;
      choleskyInto(covariances, cholesky, base, dim, c);
      let s = 0;
      for (let t = 0; t < dim; t++) s += Math.log(cholesky[base + t * dim + t]);
      logDet[c] = 2 * s;
    }
  };

  /** E-step: responsibilities from the current model; returns the mean log-likelihood. */
  const eStep = (): number => {
    let total = 0;
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      for (let c = 0; c < k; c++) {
        const base = c * dim * dim;
        for (let t = 0; t < dim; t++) diff[t] = points[i * dim + t] - means[c * dim + t];
        // Solve L·y = diff; the Mahalanobis distance is |y|².
        let mahalanobis = 0;
        for (let a = 0; a < dim; a++) {
          let s = diff[a];
          for (let b = 0; b < a; b++) s -= cholesky[base + a * dim + b] * solved[b];
          solved[a] = s / cholesky[base + a * dim + a];
          mahalanobis += solved[a] * solved[a];
        }
        const lp = Math.log(weights[c]) - 0.5 * (dim * logTwoPi + logDet[c] + mahalanobis);
        logProb[c] = lp;
        if (lp > max) max = lp;
      }
      let sum = 0;
      for (let c = 0; c < k; c++) sum += Math.exp(logProb[c] - max);
      const logSum = max + Math.log(sum);
      total += logSum;
      for (let c = 0; c < k; c++) resp[i * k + c] = Math.exp(logProb[c] - logSum);
    }
    return total / n;
  };

  mStep();
  let previous = -Infinity;
  let logLikelihood = -Infinity;
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    logLikelihood = eStep();
    iterations++;
    if (Math.abs(logLikelihood - previous) < tolerance) {
      converged = true;
      break;
    }
    previous = logLikelihood;
    mStep();
  }
  // Final assignments from the responsibilities of the last E-step.
  const assignments = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let bestC = 0;
    for (let c = 1; c < k; c++) if (resp[i * k + c] > resp[i * k + bestC]) bestC = c;
    assignments[i] = bestC;
  }
  return { assignments, means, covariances, weights, logLikelihood, iterations, converged };
}

/** Lower Cholesky factor of the dim × dim block at `base` of `matrix`, into `out` at `base`. */
function choleskyInto(
  matrix: Float64Array,
  out: Float64Array,
  base: number,
  dim: number,
  component: number,
): void {
  for (let a = 0; a < dim; a++) {
    for (let b = 0; b <= a; b++) {
      let s = matrix[base + a * dim + b];
      for (let t = 0; t < b; t++) s -= out[base + a * dim + t] * out[base + b * dim + t];
      if (a === b) {
        if (!(s > 0)) {
          throw new LatentInputError(
            `gaussianMixture: component ${component} has a singular covariance (its points lie on a lower-dimensional set): raise regularization (e.g. 1e-3) or lower k.`,
          );
        }
        out[base + a * dim + a] = Math.sqrt(s);
      } else {
        out[base + a * dim + b] = s / out[base + b * dim + b];
      }
    }
    for (let b = a + 1; b < dim; b++) out[base + a * dim + b] = 0;
  }
}
