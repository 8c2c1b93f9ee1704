/**
 * The per-thread half of data-parallel training (lib/train/parallel.ts): one model replica that
 * computes the gradient of its share of a batch into a flat Float32Array, and applies a summed
 * gradient with its own Adam. Every thread holds an identical replica and applies the identical
 * summed gradient with the identical Adam, so the replicas stay equal bit for bit without ever
 * copying weights.
 *
 * Flat layout: the model's trainable weights in `model.trainableWeights()` order, each row-major.
 * Adam's state is indexed by position in that same order (tfjs Adam keys its moments by the
 * position of a gradient in applyGradients' list), which is also the order createTrainStep uses,
 * so checkpoints written from the main thread's optimizer stay interchangeable.
 */
import * as tf from "@tensorflow/tfjs";
import type { LossName, NoiseConfig } from "../config";
import type { Autoencoder } from "../model/autoencoder";
import { corrupt } from "../model/noise";
import { reconstructionLoss } from "./losses";

/** Adam's hyperparameters and scalar state, as carried between threads. */
export interface AdamScalars {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** The fields of tfjs' AdamOptimizer we read and write (public fields, not in its typings). */
export interface AdamLike extends tf.Optimizer {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1?: tf.Variable;
  accBeta2?: tf.Variable;
  accumulatedFirstMoment?: Array<{ variable: tf.Variable }>;
  accumulatedSecondMoment?: Array<{ variable: tf.Variable }>;
}

export interface ShardReplica {
  /** Trainable values in all (length of every flat array here). */
  readonly parameterCount: number;
  /**
   * Gradient of `mean loss over this shard × count / batchCount` (so the shards' gradients sum
   * to the full batch's) written into `out`; returns that scaled loss. Disposes what it makes.
   */
  computeGradients(
    rows: Float32Array,
    count: number,
    batchCount: number,
    noiseSeed: number,
    out: Float32Array,
  ): number;
  /** Sum `shards` element-wise in index order into a scratch array and apply one Adam step. */
  applySummed(shards: readonly Float32Array[], learningRate: number): void;
  /** Copy the weights into `out` (flat layout). */
  readWeights(out: Float32Array): void;
  /** Overwrite the weights from `from` (flat layout). */
  writeWeights(from: Float32Array): void;
}

interface HeapViewBackend {
  typedArrayFromHeap?(info: tf.TensorInfo): Float32Array;
}

/**
 * Copy a float32 tensor's values into `out` at `offset`. On wasm it reads the backend's heap
 * through a view (typedArrayFromHeap) instead of dataSync's fresh copy: two threads allocating
 * 1.7 MB of garbage a step each keep V8's GC threads busy on the cores they compute on.
 */
function copyValues(t: tf.Tensor, out: Float32Array, offset: number): void {
  const backend = tf.backend() as unknown as HeapViewBackend;
  if (t.dtype === "float32" && typeof backend.typedArrayFromHeap === "function") {
    out.set(backend.typedArrayFromHeap(t), offset);
  } else out.set(t.dataSync() as Float32Array, offset);
}

/**
 * A tensor holding `flat[offset, offset + size)`. The wasm backend copies a typed array into its
 * heap when the tensor is made, so a view will do; others (cpu) keep the array itself, which
 * must then be a private copy because the flat buffers are rewritten every step.
 */
function tensorFrom(flat: Float32Array, offset: number, shape: number[]): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const backend = tf.backend() as unknown as HeapViewBackend;
  const copiesOnWrite = typeof backend.typedArrayFromHeap === "function";
  return tf.tensor(
    copiesOnWrite ? flat.subarray(offset, offset + size) : flat.slice(offset, offset + size),
    shape,
  );
}

/** Sizes and shapes of the flat layout of a model's trainable weights. */
export function flatLayout(model: Autoencoder): { shapes: number[][]; sizes: number[] } {
  const weights = model.trainableWeights();
  return { shapes: weights.map((w) => w.shape), sizes: weights.map((w) => w.size) };
}

/** A replica over `model` and `optimizer` (an Adam: its moments follow the flat layout). */
export function createShardReplica(
  model: Autoencoder,
  optimizer: tf.Optimizer,
  loss: LossName,
  noise: NoiseConfig,
  pixels: number,
): ShardReplica {
  const variables = model.trainableWeights();
  const parameterCount = variables.reduce((n, v) => n + v.size, 0);
  const summed = new Float32Array(parameterCount);
  const adam = optimizer as AdamLike;

  return {
    parameterCount,
    computeGradients(rows, count, batchCount, noiseSeed, out) {
      if (count === 0) {
        out.fill(0);
        return 0;
      }
      const clean = tf.tensor2d(rows.subarray(0, count * pixels), [count, pixels]);
      const noisy = corrupt(clean, noise, noiseSeed);
      const scale = count / batchCount;
      const { value, grads } = tf.variableGrads(() => {
        const logits = model.decoderLogits.apply(model.encoder.apply(noisy)) as tf.Tensor;
        const mean = reconstructionLoss(loss, clean, logits);
        return count === batchCount ? mean : (tf.mul(mean, scale) as tf.Scalar);
      }, variables);
      let offset = 0;
      for (const v of variables) {
        copyValues(grads[v.name], out, offset);
        offset += v.size;
      }
      const lossValue = value.dataSync()[0];
      tf.dispose([value, ...Object.values(grads)]);
      if (noisy !== clean) noisy.dispose();
      clean.dispose();
      return lossValue;
    },
    applySummed(shards, learningRate) {
      let total: Float32Array;
      if (shards.length === 1) total = shards[0];
      else {
        total = summed;
        total.set(shards[0]);
        for (let s = 1; s < shards.length; s++) {
          const g = shards[s];
          for (let i = 0; i < parameterCount; i++) total[i] += g[i];
        }
      }
      adam.learningRate = learningRate;
      const named: Array<{ name: string; tensor: tf.Tensor }> = [];
      let offset = 0;
      for (const v of variables) {
        named.push({
          name: v.name,
          tensor: tensorFrom(total, offset, v.shape),
        });
        offset += v.size;
      }
      optimizer.applyGradients(named);
      tf.dispose(named.map((n) => n.tensor));
    },
    readWeights(out) {
      let offset = 0;
      for (const v of variables) {
        copyValues(v, out, offset);
        offset += v.size;
      }
    },
    writeWeights(from) {
      let offset = 0;
      tf.tidy(() => {
        for (const v of variables) {
          v.assign(tensorFrom(from, offset, v.shape));
          offset += v.size;
        }
      });
    },
  };
}

/** Adam's state in the flat layout: iterations, the two beta-power accumulators, m and v. */
export interface AdamState {
  iterations: number;
  /** null when Adam has not taken a step yet (its moments do not exist). */
  accumulators: [number, number] | null;
  /** First and second moments, flat layout; empty before the first step. */
  m: Float32Array;
  v: Float32Array;
}

/** Read Adam's state (moments in the flat layout of `parameterCount` values). */
export function readAdamState(optimizer: tf.Optimizer, parameterCount: number): AdamState {
  const adam = optimizer as AdamLike;
  const first = adam.accumulatedFirstMoment ?? [];
  const second = adam.accumulatedSecondMoment ?? [];
  const iterations = (optimizer as unknown as { iterations: number }).iterations;
  if (first.length === 0 || !adam.accBeta1 || !adam.accBeta2) {
    return { iterations, accumulators: null, m: new Float32Array(0), v: new Float32Array(0) };
  }
  const m = new Float32Array(parameterCount);
  const v = new Float32Array(parameterCount);
  let offset = 0;
  first.forEach((slot, i) => {
    m.set(slot.variable.dataSync() as Float32Array, offset);
    v.set(second[i].variable.dataSync() as Float32Array, offset);
    offset += slot.variable.size;
  });
  return {
    iterations,
    accumulators: [adam.accBeta1.dataSync()[0], adam.accBeta2.dataSync()[0]],
    m,
    v,
  };
}

/**
 * Overwrite an existing tfjs Adam's state with `state` (moments in the flat layout of `shapes`),
 * disposing its old moments, and set the beta powers exactly (setWeights alone would recompute
 * them with pow and drift by ~1e-7).
 */
export async function writeAdamState(
  optimizer: tf.Optimizer,
  shapes: readonly number[][],
  state: AdamState,
): Promise<void> {
  const adam = optimizer as AdamLike;
  tf.dispose([
    ...(adam.accumulatedFirstMoment ?? []).map((s) => s.variable),
    ...(adam.accumulatedSecondMoment ?? []).map((s) => s.variable),
  ]);
  const slots = (flat: Float32Array, suffix: string) => {
    if (state.accumulators === null) return [];
    let offset = 0;
    return shapes.map((shape, i) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const tensor = tf.tensor(flat.slice(offset, offset + size), shape);
      offset += size;
      return { name: `w${i}/${suffix}`, tensor };
    });
  };
  const named = [
    { name: "iter", tensor: tf.scalar(state.iterations, "int32") },
    ...slots(state.m, "m"),
    ...slots(state.v, "v"),
  ];
  await optimizer.setWeights(named);
  tf.dispose(named.map((n) => n.tensor));
  const [b1, b2] = state.accumulators ?? [adam.beta1, adam.beta2];
  tf.tidy(() => {
    adam.accBeta1?.assign(tf.scalar(b1));
    adam.accBeta2?.assign(tf.scalar(b2));
  });
}

/** A fresh tfjs Adam with `scalars`, carrying `state`. */
export async function adamWithState(
  scalars: AdamScalars,
  shapes: readonly number[][],
  state: AdamState,
): Promise<tf.Optimizer> {
  const optimizer = tf.train.adam(
    scalars.learningRate,
    scalars.beta1,
    scalars.beta2,
    scalars.epsilon,
  );
  await writeAdamState(optimizer, shapes, state);
  return optimizer;
}

/**
 * Adam on plain arrays for the parameter range [start, end): the gradient is the sum of the
 * shards' gradients in index order (in float64); the update is tfjs' AdamOptimizer's
 * (bias-corrected moments, epsilon added to the square root), computed in float64 and stored as
 * float32, so it agrees with tfjs to rounding, not bit for bit.
 * `accBeta1`/`accBeta2` are beta^t for this step (t counted from 1), as tfjs keeps them.
 */
export function adamUpdateRange(
  weights: Float32Array,
  m: Float32Array,
  v: Float32Array,
  grads: readonly Float32Array[],
  start: number,
  end: number,
  scalars: AdamScalars,
  accBeta1: number,
  accBeta2: number,
): void {
  const { beta1, beta2, epsilon } = scalars;
  const lr = scalars.learningRate;
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  // m̂ / (√v̂ + ε) with m̂ = m / (1 − β1^t), √v̂ = √v / √(1 − β2^t): the same terms as tfjs,
  // with the divisions hoisted out of the loop (this loop is the whole update's cost).
  const step = lr / (1 - accBeta1);
  const invSqrtBias2 = 1 / Math.sqrt(1 - accBeta2);
  const shards = grads.length;
  const g0 = grads[0];
  const g1 = shards > 1 ? grads[1] : g0;
  if (shards === 1) {
    for (let i = start; i < end; i++) {
      const g = g0[i];
      const mi = m[i] * beta1 + g * c1;
      const vi = v[i] * beta2 + g * g * c2;
      m[i] = mi;
      v[i] = vi;
      weights[i] -= (step * mi) / (Math.sqrt(vi) * invSqrtBias2 + epsilon);
    }
  } else if (shards === 2) {
    for (let i = start; i < end; i++) {
      const g = g0[i] + g1[i];
      const mi = m[i] * beta1 + g * c1;
      const vi = v[i] * beta2 + g * g * c2;
      m[i] = mi;
      v[i] = vi;
      weights[i] -= (step * mi) / (Math.sqrt(vi) * invSqrtBias2 + epsilon);
    }
  } else {
    for (let i = start; i < end; i++) {
      let g = g0[i];
      for (let s = 1; s < shards; s++) g += grads[s][i];
      const mi = m[i] * beta1 + g * c1;
      const vi = v[i] * beta2 + g * g * c2;
      m[i] = mi;
      v[i] = vi;
      weights[i] -= (step * mi) / (Math.sqrt(vi) * invSqrtBias2 + epsilon);
    }
  }
}

/** The next beta power as tfjs computes it (float32 product). */
export function nextBetaPower(accBeta: number, beta: number): number {
  return Math.fround(Math.fround(accBeta) * Math.fround(beta));
}
