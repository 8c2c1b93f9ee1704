/**
 * The training loop: Adam on mini-batches, validation after every epoch, early stopping.
 *
 * Each batch's rows are copied from the flat Float32Array into one reused buffer (slicing a
 * [50000, 784] tensor per step costs ~550 ms on wasm). On the native TensorFlow engine a model of
 * stacked Dense/Conv layers trains through the fused step of lib/backend (a quarter of the
 * kernels of `optimizer.minimize`); elsewhere, and for the VAE, through tfjs' generic gradients.
 * Randomness is derived from (seed, epoch, step), so a run resumed at epoch k sees exactly the
 * shuffles and noise an uninterrupted run would.
 */
import * as tf from "@tensorflow/tfjs";
import type { ExperimentConfig } from "../config";
import { AutoencoderLabError, ConfigError } from "../errors";
import type { ImageSet, PreparedDataset } from "../data/types";
import { pixelsPerImage } from "../data/types";
import type { Autoencoder } from "../model/autoencoder";
import { corrupt } from "../model/noise";
import { createRng, deriveSeed, permutation } from "../random";
import { createBackendTrainStep } from "../backend/select";
import { gatherRowsInto } from "../data/batches";
import { reconstructionLoss, vaeLoss } from "./losses";
import type { EpochRecord } from "../records";

export type { EpochRecord } from "../records";

export type StopReason = "completed" | "early-stopping" | "interrupted";

export interface TrainResult {
  history: EpochRecord[];
  stopReason: StopReason;
  /** Epoch with the lowest validation loss. */
  bestEpoch: number;
}

export interface BatchProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  samplesPerSecond: number;
}

export interface TrainHooks {
  /** After every batch (keep it cheap). */
  onBatchEnd?(progress: BatchProgress): void;
  /** After every epoch, with the model and optimizer in their end-of-epoch state (checkpoint here). */
  onEpochEnd?(record: EpochRecord, history: readonly EpochRecord[]): void | Promise<void>;
}

export interface TrainOptions {
  /** Abort to stop after the current batch; the epoch in progress is dropped (not recorded). */
  signal?: AbortSignal;
  /** Resume: the history so far (training continues at history.length + 1). */
  history?: EpochRecord[];
  /** Resume: an optimizer carrying its saved state; otherwise a fresh Adam is made. */
  optimizer?: tf.Optimizer;
}

/** A loss became NaN or infinite: training cannot continue from this state. */
export class NonFiniteLossError extends AutoencoderLabError {
  constructor(
    readonly epoch: number,
    readonly batch: number,
    readonly value: number,
  ) {
    super(
      `Training loss became ${value} at epoch ${epoch}, batch ${batch}. The weights are no longer usable; ` +
        `the last completed epoch's checkpoint is kept. Lower train.learningRate (e.g. by 10x) or check the ` +
        `input data for NaN values, then resume or start again.`,
    );
  }
}

/** A fresh optimizer as the config asks (Adam). */
export function createOptimizer(config: ExperimentConfig): tf.Optimizer {
  return tf.train.adam(config.train.learningRate);
}

/** The learning rate for a step (0-based) of `totalSteps`, as config.train.lrSchedule says. */
export function learningRateAt(config: ExperimentConfig, step: number, totalSteps: number): number {
  const base = config.train.learningRate;
  if (config.train.lrSchedule === "constant") return base;
  const floor = 0.01;
  const progress = Math.min(1, step / Math.max(1, totalSteps - 1));
  return base * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}

/** Validation losses of the model on a set, in batches (clean inputs). */
export function evaluateLosses(
  model: Autoencoder,
  set: ImageSet,
  pixels: number,
  batchSize = 1000,
): { bce: number; mse: number } {
  let bceSum = 0;
  let mseSum = 0;
  for (let start = 0; start < set.count; start += batchSize) {
    const end = Math.min(set.count, start + batchSize);
    const [bce, mse] = tf.tidy(() => {
      const x = tf.tensor2d(set.images.slice(start * pixels, end * pixels), [end - start, pixels]);
      const logits = model.decoderLogits.apply(model.encoder.apply(x)) as tf.Tensor;
      return [
        reconstructionLoss("bce", x, logits).dataSync()[0],
        reconstructionLoss("mse", x, logits).dataSync()[0],
      ];
    });
    bceSum += bce * (end - start);
    mseSum += mse * (end - start);
  }
  return { bce: bceSum / set.count, mse: mseSum / set.count };
}

/**
 * One optimiser step on a batch of clean images (corrupted first for a denoising model, with
 * `noiseSeed`); returns the batch loss. Disposes everything it creates.
 */
export function createTrainStep(
  model: Autoencoder,
  config: ExperimentConfig,
  optimizer: tf.Optimizer,
): (clean: tf.Tensor2D, noiseSeed: number) => number {
  const variables = model.trainableWeights();
  return (clean, noiseSeed) => {
    const noisy = corrupt(clean, config.model.noise, noiseSeed);
    const variance = model.variance;
    const cost = optimizer.minimize(
      () =>
        variance
          ? vaeLoss(
              config.train.loss,
              clean,
              model.encoder.apply(noisy) as tf.Tensor,
              variance.apply(noisy) as tf.Tensor,
              // The sampling noise is seeded per step, like shuffles and input noise.
              tf.randomNormal(
                [clean.shape[0], config.model.codeSize],
                0,
                1,
                "float32",
                deriveSeed(noiseSeed, 1),
              ),
              (code) => model.decoderLogits.apply(code) as tf.Tensor,
              config.model.klWeight,
            )
          : reconstructionLoss(
              config.train.loss,
              clean,
              model.decoderLogits.apply(model.encoder.apply(noisy)) as tf.Tensor,
            ),
      true,
      variables,
    ) as tf.Scalar;
    const value = cost.dataSync()[0];
    cost.dispose();
    if (noisy !== clean) noisy.dispose();
    return value;
  };
}

const nextMacrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Check that the data can be trained on with this config: non-empty train and validation sets,
 * and a batch no larger than the training set. Throws with the key to change.
 */
export function checkTrainingData(data: PreparedDataset, config: ExperimentConfig): void {
  const train = data.train;
  const batchSize = config.train.batchSize;
  if (train.count === 0)
    throw new AutoencoderLabError("The training set is empty: check data.trainLimit.");
  if (data.validation.count === 0) {
    throw new AutoencoderLabError(
      "The validation set is empty: set data.validationFraction above 0.",
    );
  }
  if (batchSize > train.count) {
    throw new ConfigError(
      `Config key "train.batchSize" is ${batchSize}, more than the ${train.count} training images: ` +
        `every epoch would be a single smaller batch. Set train.batchSize to at most ${train.count}, ` +
        `or train on more images (data.trainLimit).`,
    );
  }
}

/**
 * Train `model` on `data.train`, validating on `data.validation` after every epoch. Runs
 * config.train.epochs epochs in all (counting resumed history), or fewer with early stopping or
 * an abort. Throws NonFiniteLossError on a NaN/infinite loss.
 */
export async function train(
  model: Autoencoder,
  data: PreparedDataset,
  config: ExperimentConfig,
  hooks: TrainHooks = {},
  options: TrainOptions = {},
): Promise<TrainResult> {
  const { epochs, batchSize, loss: lossName, earlyStoppingPatience } = config.train;
  const pixels = pixelsPerImage(data.shape);
  const train = data.train;
  checkTrainingData(data, config);
  const history = [...(options.history ?? [])];
  const optimizer = options.optimizer ?? createOptimizer(config);
  const batches = Math.ceil(train.count / batchSize);
  let stopReason: StopReason = "completed";

  // The backend's own fused step when it has one for this model, else tfjs' generic gradients.
  const fused = createBackendTrainStep(model, config, optimizer);
  const generic = fused ? null : createTrainStep(model, config, optimizer);
  const rows = new Float32Array(batchSize * pixels);
  /** One optimiser step on the rows order[start..end) of the training set; returns its loss. */
  const step = (order: Uint32Array, start: number, end: number, noiseSeed: number): number => {
    const count = gatherRowsInto(train.images, pixels, order, start, end, rows);
    const clean = tf.tensor2d(rows.subarray(0, count * pixels), [count, pixels]);
    try {
      if (generic) return generic(clean, noiseSeed);
      const noisy = corrupt(clean, config.model.noise, noiseSeed) as tf.Tensor2D;
      try {
        return (fused as NonNullable<typeof fused>).step(clean, noisy);
      } finally {
        if (noisy !== clean) noisy.dispose();
      }
    } finally {
      clean.dispose();
    }
  };
  try {
    for (let epoch = history.length + 1; epoch <= epochs; epoch++) {
      const epochStart = performance.now();
      const order = permutation(train.count, createRng(deriveSeed(config.seed, epoch)));
      let lossSum = 0;
      let interrupted = false;
      for (let b = 0; b < batches; b++) {
        if (options.signal?.aborted) {
          interrupted = true;
          break;
        }
        const start = b * batchSize;
        const end = Math.min(train.count, start + batchSize);
        // Adam reads its learningRate field at every step; the schedule depends only on the step.
        (optimizer as unknown as { learningRate: number }).learningRate = learningRateAt(
          config,
          (epoch - 1) * batches + b,
          epochs * batches,
        );
        const value = step(order, start, end, deriveSeed(config.seed, epoch, b + 1));
        if (!Number.isFinite(value)) throw new NonFiniteLossError(epoch, b + 1, value);
        lossSum += value * (end - start);
        hooks.onBatchEnd?.({
          epoch,
          epochs,
          batch: b + 1,
          batches,
          loss: value,
          samplesPerSecond: end / ((performance.now() - epochStart) / 1000),
        });
        await nextMacrotask();
      }
      if (interrupted) {
        stopReason = "interrupted";
        break;
      }
      // The fused step holds the latest weights and Adam state: bring them back before
      // validation and the checkpoint.
      fused?.sync();
      const trainSeconds = (performance.now() - epochStart) / 1000;
      const val = evaluateLosses(model, data.validation, pixels);
      const valLoss = lossName === "bce" ? val.bce : val.mse;
      if (!Number.isFinite(valLoss)) throw new NonFiniteLossError(epoch, batches, valLoss);
      const record: EpochRecord = {
        epoch,
        trainLoss: lossSum / train.count,
        valLoss,
        valBce: val.bce,
        valMse: val.mse,
        trainSeconds,
        epochSeconds: (performance.now() - epochStart) / 1000,
        samplesPerSecond: train.count / trainSeconds,
      };
      history.push(record);
      await hooks.onEpochEnd?.(record, history);
      if (earlyStoppingPatience !== null && epoch - bestEpochOf(history) >= earlyStoppingPatience) {
        stopReason = "early-stopping";
        break;
      }
    }
  } finally {
    // An interrupted epoch leaves the model where it stopped, as the generic path does.
    fused?.sync();
    fused?.dispose();
  }
  return { history, stopReason, bestEpoch: bestEpochOf(history) };
}

/** The 1-based epoch with the lowest validation loss (0 for an empty history). */
export function bestEpochOf(history: readonly EpochRecord[]): number {
  let best = 0;
  let bestLoss = Infinity;
  for (const r of history) {
    if (r.valLoss < bestLoss) {
      bestLoss = r.valLoss;
      best = r.epoch;
    }
  }
  return best;
}
