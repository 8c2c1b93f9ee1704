/**
 * The training loop: Adam on mini-batches, validation after every epoch, early stopping.
 *
 * Speed notes (wasm, see FIELD-NOTES): batches are copied row by row from the flat Float32Array
 * into a fresh tensor (slicing a [50000, 784] tensor costs ~550 ms a step), and transposed matrix
 * products go through the fast path installed by initBackend. Randomness is derived from
 * (seed, epoch, step), so a run resumed at epoch k sees exactly the shuffles and noise an
 * uninterrupted run would.
 */
import * as tf from "@tensorflow/tfjs";
import type { ExperimentConfig } from "../config";
import { AutoencoderLabError, ConfigError } from "../errors";
import type { ImageSet, PreparedDataset } from "../data/types";
import { pixelsPerImage } from "../data/types";
import type { Autoencoder } from "../model/autoencoder";
import { corrupt } from "../model/noise";
import { createRng, deriveSeed, permutation } from "../random";
import { reconstructionLoss, vaeLoss } from "./losses";
import { createParallelTrainer, gatherRowsInto } from "./parallel";

/** What one epoch did. Losses are means over pixels and images. */
export interface EpochRecord {
  /** 1-based epoch number. */
  epoch: number;
  /** Mean training loss over the epoch's batches (on corrupted inputs for denoising models). */
  trainLoss: number;
  /** Validation loss (same loss as training, clean inputs). */
  valLoss: number;
  /** Validation binary cross-entropy and mean squared error, whatever the training loss. */
  valBce: number;
  valMse: number;
  /** Wall-clock seconds of the training pass alone, and of the whole epoch with validation. */
  trainSeconds: number;
  epochSeconds: number;
  /** Training images per second of the training pass. */
  samplesPerSecond: number;
}

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

/** Copy the rows `order[start..end)` of a set into a new [rows, pixels] tensor. */
export function gatherRows(
  set: ImageSet,
  pixels: number,
  order: ArrayLike<number>,
  start: number,
  end: number,
): tf.Tensor2D {
  const rows = end - start;
  const buffer = new Float32Array(rows * pixels);
  gatherRowsInto(set.images, pixels, order, start, end, buffer);
  return tf.tensor2d(buffer, [rows, pixels]);
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
  if (config.model.kind === "vae" && config.train.workers > 0) {
    throw new ConfigError(
      `Config key "train.workers" is ${config.train.workers}, but a VAE trains in one thread only ` +
        `(its sampling step is not in the worker protocol). Set train.workers to 0.`,
    );
  }
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

  const parallel =
    config.train.workers > 0
      ? await createParallelTrainer({
          model,
          optimizer,
          config,
          shape: data.shape,
          workers: config.train.workers,
        })
      : null;
  const single = parallel ? null : createTrainStep(model, config, optimizer);
  const rows = parallel ? new Float32Array(batchSize * pixels) : null;
  /** One optimiser step on the rows order[start..end) of the training set; returns its loss. */
  const step = (order: Uint32Array, start: number, end: number, noiseSeed: number): number => {
    if (parallel && rows) {
      return parallel.step(
        rows,
        gatherRowsInto(train.images, pixels, order, start, end, rows),
        noiseSeed,
      );
    }
    const clean = gatherRows(train, pixels, order, start, end);
    try {
      return (single as NonNullable<typeof single>)(clean, noiseSeed);
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
      // Workers hold the latest Adam state: bring it back before validation and the checkpoint.
      await parallel?.syncTo();
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
    await parallel?.dispose();
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
