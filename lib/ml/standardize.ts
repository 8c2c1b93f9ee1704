/**
 * Feature standardisation (sklearn's StandardScaler): each feature centred on its mean and
 * divided by its standard deviation (population form, the n denominator), both taken from a
 * reference set (the training points) and then applied to any set.
 */

/** Mean and 1/std per feature (a constant feature gets scale 1: it becomes 0 after centring). */
export function featureStandardizer(
  points: Float32Array,
  n: number,
  dim: number,
): { mean: Float32Array; scale: Float32Array } {
  const mean = new Float64Array(dim);
  const sq = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < dim; t++) mean[t] += points[i * dim + t];
  }
  for (let t = 0; t < dim; t++) mean[t] /= n;
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < dim; t++) sq[t] += (points[i * dim + t] - mean[t]) ** 2;
  }
  const scale = new Float32Array(dim);
  for (let t = 0; t < dim; t++) {
    const std = Math.sqrt(sq[t] / n);
    scale[t] = std > 1e-6 ? 1 / std : 1;
  }
  return { mean: Float32Array.from(mean), scale };
}

/**
 * (x − mean) · scale of every row of the n × dim points, as float32; the points themselves when
 * mean or scale is null (no standardisation).
 */
export function applyStandardizer(
  points: Float32Array,
  n: number,
  dim: number,
  mean: Float32Array | null,
  scale: Float32Array | null,
): Float32Array {
  if (!mean || !scale) return points;
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < dim; t++) out[i * dim + t] = (points[i * dim + t] - mean[t]) * scale[t];
  }
  return out;
}
