/**
 * The numerics of deep embedded clustering (DEC, Xie et al. 2016; IDEC, Guo et al. 2017), on plain
 * arrays: no tensors, no runs. lib/train/idec.ts trains with the same formulas on tfjs tensors;
 * these are the reference the tests hold them to.
 *
 * - softAssignment: q_ij = (1 + ‖z_i − μ_j‖²/α)^(−(α+1)/2), normalised over j (a Student-t kernel
 *   between code z_i and centroid μ_j; α = 1 in both papers);
 * - targetDistribution: p_ij = (q_ij² / f_j) / Σ_j' (q_ij'² / f_j'), f_j = Σ_i q_ij: squaring
 *   sharpens confident assignments, dividing by the cluster's soft size keeps large clusters from
 *   swallowing the others;
 * - clusteringLoss: KL(P ‖ Q), summed over clusters and averaged over points (Keras' "kld");
 * - clusteringLossGradient: its gradient with respect to the codes and the centroids, P held fixed
 *   (DEC's eq. 4 and 5, divided by n for the mean).
 *
 * Arrays are row-major: codes n × dim, centroids k × dim, q and p n × k. Arithmetic is float64.
 */
import { checkPoints, LatentInputError } from "./check";

/** q (n × k): each point's soft assignment to each centroid; rows sum to 1. */
export function softAssignment(
  codes: ArrayLike<number>,
  n: number,
  dim: number,
  centroids: ArrayLike<number>,
  k: number,
  alpha = 1,
): Float64Array {
  checkDec(codes, n, dim, centroids, k, alpha);
  const q = new Float64Array(n * k);
  const power = -(alpha + 1) / 2;
  for (let i = 0; i < n; i++) {
    let total = 0;
    for (let j = 0; j < k; j++) {
      let d = 0;
      for (let t = 0; t < dim; t++) {
        const diff = codes[i * dim + t] - centroids[j * dim + t];
        d += diff * diff;
      }
      const v = Math.pow(1 + d / alpha, power);
      q[i * k + j] = v;
      total += v;
    }
    for (let j = 0; j < k; j++) q[i * k + j] /= total;
  }
  return q;
}

/** p (n × k): DEC's auxiliary target distribution computed from q (n × k). */
export function targetDistribution(q: ArrayLike<number>, n: number, k: number): Float64Array {
  if (q.length !== n * k || n < 1 || k < 1) {
    throw new LatentInputError(
      `targetDistribution: q has ${q.length} values, expected n × k = ${n} × ${k}: pass softAssignment's output.`,
    );
  }
  const frequency = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) frequency[j] += q[i * k + j];
  const p = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    let total = 0;
    for (let j = 0; j < k; j++) {
      const v = frequency[j] > 0 ? (q[i * k + j] * q[i * k + j]) / frequency[j] : 0;
      p[i * k + j] = v;
      total += v;
    }
    for (let j = 0; j < k; j++) p[i * k + j] = total > 0 ? p[i * k + j] / total : 1 / k;
  }
  return p;
}

/** KL(P ‖ Q) = (1/n) Σ_i Σ_j p_ij log(p_ij / q_ij); terms with p_ij = 0 count 0. */
export function clusteringLoss(
  p: ArrayLike<number>,
  q: ArrayLike<number>,
  n: number,
  k: number,
): number {
  if (p.length !== n * k || q.length !== n * k) {
    throw new LatentInputError(
      `clusteringLoss: p has ${p.length} and q ${q.length} values, expected n × k = ${n * k} each.`,
    );
  }
  let total = 0;
  for (let m = 0; m < n * k; m++) if (p[m] > 0) total += p[m] * Math.log(p[m] / q[m]);
  return total / n;
}

/**
 * Gradient of clusteringLoss(p, softAssignment(codes, centroids)) with P fixed:
 * ∂L/∂z_i = (α+1)/(α n) Σ_j (1 + ‖z_i − μ_j‖²/α)^−1 (p_ij − q_ij)(z_i − μ_j), and ∂L/∂μ_j the
 * same sum over i with the opposite sign.
 */
export function clusteringLossGradient(
  codes: ArrayLike<number>,
  n: number,
  dim: number,
  centroids: ArrayLike<number>,
  k: number,
  p: ArrayLike<number>,
  alpha = 1,
): { codes: Float64Array; centroids: Float64Array } {
  const q = softAssignment(codes, n, dim, centroids, k, alpha);
  if (p.length !== n * k) {
    throw new LatentInputError(
      `clusteringLossGradient: p has ${p.length} values, expected n × k = ${n * k}.`,
    );
  }
  const gz = new Float64Array(n * dim);
  const gm = new Float64Array(k * dim);
  const scale = (alpha + 1) / (alpha * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      let d = 0;
      for (let t = 0; t < dim; t++) {
        const diff = codes[i * dim + t] - centroids[j * dim + t];
        d += diff * diff;
      }
      const w = (scale * (p[i * k + j] - q[i * k + j])) / (1 + d / alpha);
      for (let t = 0; t < dim; t++) {
        const g = w * (codes[i * dim + t] - centroids[j * dim + t]);
        gz[i * dim + t] += g;
        gm[j * dim + t] -= g;
      }
    }
  }
  return { codes: gz, centroids: gm };
}

/** The cluster of each point: the argmax of its row of q (n × k); ties go to the lower index. */
export function hardAssignments(q: ArrayLike<number>, n: number, k: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (q[i * k + j] > q[i * k + best]) best = j;
    out[i] = best;
  }
  return out;
}

/** Share of points whose cluster differs between two assignments (DEC's stopping test). */
export function assignmentChange(before: ArrayLike<number>, after: ArrayLike<number>): number {
  if (before.length !== after.length || before.length === 0) {
    throw new LatentInputError(
      `assignmentChange: ${before.length} and ${after.length} assignments: pass two non-empty assignments of the same points.`,
    );
  }
  let changed = 0;
  for (let i = 0; i < before.length; i++) if (before[i] !== after[i]) changed++;
  return changed / before.length;
}

function checkDec(
  codes: ArrayLike<number>,
  n: number,
  dim: number,
  centroids: ArrayLike<number>,
  k: number,
  alpha: number,
): void {
  checkPoints(codes, n, dim, "codes");
  if (!Number.isInteger(k) || k < 1 || centroids.length !== k * dim) {
    throw new LatentInputError(
      `softAssignment: ${centroids.length} centroid values for k = ${k} clusters of dim ${dim}: pass k × dim values.`,
    );
  }
  if (!(alpha > 0) || !Number.isFinite(alpha)) {
    throw new LatentInputError(
      `softAssignment: alpha = ${alpha} must be a finite number > 0 (the Student-t's degrees of freedom; 1 in DEC).`,
    );
  }
}
