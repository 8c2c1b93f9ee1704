/**
 * A whole training run from one config: backend, data, run folder, training with a checkpoint
 * per epoch, final model, test evaluation. The CLI, the notebooks and the main job all call
 * runExperiment, so they behave the same.
 */
import { validateConfig, type ExperimentConfig } from "../config";
import { describeBackend, initBackend } from "../backend/select";
import { loadDataset, prepareDataset } from "../data";
import type { PreparedDataset } from "../data/types";
import { pixelsPerImage } from "../data/types";
import { AutoencoderLabError } from "../errors";
import { displayPath } from "../paths";
import { buildAutoencoder, countParameters, type Autoencoder } from "../model/autoencoder";
import {
  checkNewRunName,
  hasCheckpoint,
  loadCheckpoint,
  loadRun,
  runAdvice,
  RunError,
  RunWriter,
  withoutStack,
  type Audience,
  type RunRecord,
} from "../runs/run-folder";
import { evaluateReconstruction } from "../quality/evaluate";
import {
  checkTrainingData,
  createOptimizer,
  NonFiniteLossError,
  train,
  type BatchProgress,
  type EpochRecord,
  type TrainResult,
} from "./trainer";

export interface RunStart {
  runName: string;
  folder: string;
  backend: string;
  epochs: number;
  /** First epoch this call trains (above 1 when resuming). */
  firstEpoch: number;
  trainCount: number;
  validationCount: number;
  parameters: number;
}

/** Receives progress; the terminal and notebook reporters implement it. */
export interface ProgressReporter {
  start(info: RunStart): void;
  batch(progress: BatchProgress): void;
  epoch(record: EpochRecord, history: readonly EpochRecord[]): void;
  end(outcome: ExperimentOutcome): void;
}

/**
 * The reason to abort ExperimentOptions.signal with when a sweep's scheduler stops a poor trial
 * (`controller.abort(new SchedulerStop("scheduler"))`): the run is then marked "stopped" (with
 * stoppedBy) rather than "interrupted", so nobody mistakes it for a run a user paused.
 */
export class SchedulerStop {
  constructor(readonly by: string = "scheduler") {}
}

export interface ExperimentOptions {
  /**
   * Continue the run named by config.train.runName from its last checkpoint, as it was
   * configured: its saved config is used (only where the runs live comes from `requested`).
   */
  resume?: boolean;
  /**
   * Resume only: train to this many epochs in all instead of the run's own count (extending it
   * on purpose; its config.json then says so). Leave it out to finish the run as configured.
   */
  epochs?: number;
  /** Whose language error messages speak: command-line flags (default) or notebook parameters. */
  audience?: Audience;
  /** Abort to stop after the current batch (the last checkpoint is kept). */
  signal?: AbortSignal;
  reporter?: ProgressReporter;
  /** Mark the run as a comparison variant (see RunRecord.variant). */
  variant?: boolean;
  /** Data already loaded and prepared with this config (saves reloading in a notebook). */
  data?: PreparedDataset;
}

export interface ExperimentOutcome {
  runName: string;
  folder: string;
  backend: string;
  config: ExperimentConfig;
  result: TrainResult;
  /** Test metrics with baselines; null when training was interrupted. */
  metrics: ReturnType<typeof evaluateReconstruction> | null;
  seconds: number;
}

export interface ExperimentResult extends ExperimentOutcome {
  /** The trained model (dispose it when done). */
  model: Autoencoder;
}

/**
 * When resuming, the config is the run's own; `epochs` (an explicit extension) and where the runs
 * live are the only changes. A run that has trained all its epochs trains none (the main job hands
 * the finished reference run to notebook 02 this way); the reporters say so. Refuses to shorten.
 */
function resumeConfig(
  requested: ExperimentConfig,
  epochs: number | undefined,
  audience: Audience | undefined,
): ExperimentConfig {
  const advice = runAdvice(audience);
  if (!requested.train.runName) {
    throw withoutStack(new RunError(`To resume a run, name it: ${advice.nameIt}.`));
  }
  const run = loadRun(requested.train.runName, requested.train.runsDir);
  const saved = run.config;
  const done = run.history.length;
  const target = epochs ?? saved.train.epochs;
  const name = run.record.name;
  if (target < done) {
    throw withoutStack(
      new RunError(
        `Run "${name}" has already trained ${done} epochs: it cannot be resumed to ${target}. ` +
          `To train it further, ${advice.extend(done + 5)} (any number above ${done}).`,
      ),
    );
  }
  return validateConfig({
    ...saved,
    train: { ...saved.train, epochs: target, runsDir: requested.train.runsDir },
  });
}

/** What run.json records about the data a run trained on (file paths relative to the project). */
export function datasetRecord(data: PreparedDataset): RunRecord["dataset"] {
  return {
    name: data.name,
    files: data.files.map(displayPath),
    train: data.train.count,
    validation: data.validation.count,
    test: data.test.count,
  };
}

/** Train (or resume) a run as the config says, evaluate it, and save everything in its folder. */
export async function runExperiment(
  requested: ExperimentConfig,
  options: ExperimentOptions = {},
): Promise<ExperimentResult> {
  const started = performance.now();
  const config = options.resume
    ? resumeConfig(requested, options.epochs, options.audience)
    : requested;
  // Before loading anything: a run of that name already there is refused at once.
  if (!options.resume) checkNewRunName(config, options.audience);
  const backend = await initBackend(config.train.backend);
  const data =
    options.data ?? prepareDataset(await loadDataset(config.data), config.data, config.seed);
  // Before the run folder exists: a config that cannot train leaves nothing behind.
  checkTrainingData(data, config);

  const writer = RunWriter.open(config, {
    resume: options.resume,
    variant: options.variant,
    audience: options.audience,
    backend: describeBackend(backend),
    backendFallback: backend.skipped,
    dataset: datasetRecord(data),
  });
  const optimizer = createOptimizer(config);
  let model: Autoencoder | null = null;
  try {
    let history: EpochRecord[] = [];
    // A finished run resumed at its own length trains nothing: its saved model and metrics stay.
    let finished: ExperimentOutcome["metrics"] = null;
    if (options.resume && hasCheckpoint(writer.folder)) {
      const saved = loadRun(writer.folder);
      const checkpoint = await loadCheckpoint(saved, optimizer);
      model = checkpoint.model;
      history = checkpoint.history;
      const test = (saved.metrics as { test?: ExperimentOutcome["metrics"] } | null)?.test;
      if (history.length >= config.train.epochs && test) finished = test;
    } else {
      // A new run, or one killed before its first checkpoint: the same seed rebuilds the same start.
      model = buildAutoencoder(config.model, data.shape, config.seed);
    }
    const trained = model;
    options.reporter?.start({
      runName: writer.name,
      folder: writer.folder,
      backend: describeBackend(backend),
      epochs: config.train.epochs,
      firstEpoch: history.length + 1,
      trainCount: data.train.count,
      validationCount: data.validation.count,
      parameters: countParameters(model),
    });
    const result = await train(
      trained,
      data,
      config,
      {
        onBatchEnd: (p) => options.reporter?.batch(p),
        onEpochEnd: async (record, soFar) => {
          await writer.checkpoint(trained, optimizer, soFar);
          options.reporter?.epoch(record, soFar);
        },
      },
      { signal: options.signal, history, optimizer },
    );
    let metrics: ExperimentOutcome["metrics"] = null;
    if (finished && result.history.length === history.length) {
      metrics = finished;
    } else if (result.stopReason !== "interrupted") {
      await writer.saveModel(trained);
      const pixels = pixelsPerImage(data.shape);
      metrics = evaluateReconstruction(trained, data.test, data.train, pixels);
      writer.writeMetrics({
        test: metrics,
        bestEpoch: result.bestEpoch,
        stopReason: result.stopReason,
      });
    }
    const stop = options.signal?.reason;
    if (result.stopReason === "interrupted" && stop instanceof SchedulerStop) {
      writer.finish("stopped", undefined, stop.by);
    } else {
      writer.finish(result.stopReason === "interrupted" ? "interrupted" : result.stopReason);
    }
    const outcome: ExperimentOutcome = {
      runName: writer.name,
      folder: writer.folder,
      backend: describeBackend(backend),
      config,
      result,
      metrics,
      seconds: (performance.now() - started) / 1000,
    };
    options.reporter?.end(outcome);
    return { ...outcome, model: trained };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    writer.finish("failed", message);
    model?.dispose();
    if (error instanceof NonFiniteLossError || error instanceof AutoencoderLabError) throw error;
    throw new AutoencoderLabError(
      `Training run "${writer.name}" failed: ${message} (its last checkpoint is kept in ${displayPath(writer.folder)}).`,
    );
  } finally {
    optimizer.dispose();
    writer.close();
  }
}
