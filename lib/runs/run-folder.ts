/**
 * One folder per training run, holding everything needed to rebuild and evaluate the model:
 *
 *   runs/<name>/
 *     run.json         status, backend, dataset, timings, versions
 *     config.json      the ExperimentConfig (validated when loaded)
 *     history.json     one EpochRecord per finished epoch; history.csv the same as a table
 *     metrics.json     test metrics and baselines (after evaluation)
 *     model/encoder/   model.json + weights.bin (tfjs layers format; loads in a browser too)
 *     model/decoder/   the decoder ends with a sigmoid: it outputs pixels in [0, 1]
 *     checkpoint/      model + optimizer state after the last finished epoch, for --resume
 *
 * Every file is written atomically; a lock file stops two processes training into one folder.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { validateConfig, type ExperimentConfig } from "../config";
import { AutoencoderLabError, ConfigError } from "../errors";
import { displayPath, projectPath } from "../paths";
import { assemble, type Autoencoder } from "../model/autoencoder";
import type { EpochRecord } from "../records";
import {
  readJson,
  replaceFolder,
  readCompleteFolder,
  resolveCompleteFolder,
  writeFileAtomic,
  writeJsonAtomic,
} from "./atomic";
import { captureModel, loadModelFiles, writeModelFiles } from "./model-files";
import { takePidLock } from "./pid-lock";

/**
 * How a run stands. "stopped": a sweep's scheduler (ASHA) stopped it early on purpose, as a poor
 * trial; it did not finish (no final model or test metrics), and is never read as a finished run.
 */
export type RunStatus =
  "running" | "completed" | "early-stopping" | "interrupted" | "stopped" | "failed";

export interface RunRecord {
  name: string;
  status: RunStatus;
  backend: string;
  /** Why faster backends were not used, one "name: reason" each (absent when none was skipped). */
  backendFallback?: string[];
  createdAt: string;
  updatedAt: string;
  epochsDone: number;
  dataset: { name: string; files: string[]; train: number; validation: number; test: number };
  versions: { node: string; tfjs: string };
  /** Set when status is failed. */
  error?: string;
  /** Set when status is stopped: who stopped it (e.g. "scheduler"). */
  stoppedBy?: string;
  /**
   * True for a run trained as one of a set of comparison models (a notebook's rate–distortion,
   * held-out-digit, denoising or VAE models, via ensureRun): the run a notebook picks by default
   * ("the latest finished run") skips these.
   */
  variant?: boolean;
  /** The run this one was fine-tuned from (DEC/IDEC: lib/train/idec.ts), by name. */
  derivedFrom?: string;
}

/** Something about a run folder is wrong: missing, locked, damaged, or incompatible. */
export class RunError extends AutoencoderLabError {}

/**
 * Who reads a message, so that its advice is in their language: command-line flags
 * (`--resume`, `--run`, `--epochs`) or a notebook's parameters cell (`resume = true`, and the
 * `"train.runName"` and `"train.epochs"` entries of its configOverrides).
 */
export type Audience = "command-line" | "notebook";

/** How to resume, rename or extend a run, phrased for the audience. */
export function runAdvice(audience: Audience = "command-line") {
  return audience === "notebook"
    ? {
        resume: (name: string) =>
          `set \`resume = true\` (with \`"train.runName": ${JSON.stringify(name)}\` in configOverrides)`,
        rename:
          'set `"train.runName"` in configOverrides to another name (or leave it out for a generated one)',
        extend: (epochs: number) =>
          `set \`"train.epochs": ${epochs}\` in configOverrides with \`resume = true\``,
        nameIt: 'set `"train.runName"` in configOverrides to the run\'s name',
      }
    : {
        resume: (name: string) => `add --resume (with --run ${name})`,
        rename: "choose another name with --run <name>",
        extend: (epochs: number) => `add --epochs ${epochs} to --resume`,
        nameIt: "add --run <name>",
      };
}

/**
 * Refuse early, before any data is loaded, to start a new run where one already exists; the
 * message says how to continue it or pick another name, in the audience's language.
 */
export function checkNewRunName(
  config: ExperimentConfig,
  audience: Audience = "command-line",
): void {
  const name = config.train.runName;
  if (name === null) return;
  const folder = projectPath(config.train.runsDir, checkRunName(name));
  if (!fs.existsSync(path.join(folder, "run.json"))) return;
  const advice = runAdvice(audience);
  throw withoutStack(
    new RunError(
      `Run "${name}" already exists (${displayPath(folder)}). To continue it, ${advice.resume(name)}; ` +
        `to start a new run, ${advice.rename}.`,
    ),
  );
}

/** tslab prints an error's stack: for a message meant for the user, the message is enough. */
export function withoutStack<E extends Error>(error: E): E {
  error.stack = `${error.name}: ${error.message}`;
  return error;
}

const RUN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Check a run name: letters, digits, '.', '_' and '-', no path separators, no "..". */
export function checkRunName(name: string): string {
  if (!RUN_NAME.test(name) || name.includes("..")) {
    throw new ConfigError(
      `Config key "train.runName": ${JSON.stringify(name)} is not a valid run name. Use 1-100 letters, digits, ` +
        `'.', '_' or '-', starting with a letter or digit, without "/" "\\" or "..": e.g. "dense-64-baseline".`,
    );
  }
  return name;
}

/** A fresh run name from the config and the time, e.g. "dense-64-20261129-051502". */
export function generateRunName(config: ExperimentConfig, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const noise = config.model.noise.kind === "none" ? "" : `-${config.model.noise.kind}`;
  return `${config.model.kind}-${config.model.codeSize}${noise}-${config.data.dataset}-${stamp}`;
}

/** The folder of a run given by name (under config.train.runsDir) or by path. */
export function runFolder(nameOrPath: string, runsDir = "runs"): string {
  if (nameOrPath.includes("/") || nameOrPath.includes(path.sep)) return path.resolve(nameOrPath);
  return projectPath(runsDir, checkRunName(nameOrPath));
}

/** An open run folder owned by this process (holds the lock until close()). */
export class RunWriter {
  private constructor(
    readonly folder: string,
    readonly name: string,
    private record: RunRecord,
  ) {}

  /**
   * Create a new run folder, or (resume) reopen one. Fails with RunError when the folder exists
   * and resume is false, when it does not exist and resume is true, or when another live process
   * holds its lock.
   */
  static open(
    config: ExperimentConfig,
    options: {
      resume?: boolean;
      backend: string;
      backendFallback?: string[];
      dataset: RunRecord["dataset"];
      variant?: boolean;
      /** Whose language the advice in errors speaks (default: command-line flags). */
      audience?: Audience;
      /** The run this one was derived from (a DEC/IDEC fine-tuning of it). */
      derivedFrom?: string;
    },
  ): RunWriter {
    const name = checkRunName(config.train.runName ?? generateRunName(config));
    const folder = projectPath(config.train.runsDir, name);
    const exists = fs.existsSync(path.join(folder, "run.json"));
    if (exists && !options.resume) checkNewRunName(config, options.audience);
    if (!exists && options.resume) {
      throw withoutStack(
        new RunError(
          `Cannot resume run "${name}": ${displayPath(folder)} has no run.json. ` +
            `Check the name (the runs are the folders of ${displayPath(path.dirname(folder))}).`,
        ),
      );
    }
    fs.mkdirSync(folder, { recursive: true });
    acquireLock(folder, name);
    const now = new Date().toISOString();
    const previous = exists
      ? (readJson(path.join(folder, "run.json"), "run record") as RunRecord)
      : null;
    const record: RunRecord = {
      name,
      status: "running",
      backend: options.backend,
      ...(options.backendFallback?.length ? { backendFallback: options.backendFallback } : {}),
      createdAt: previous?.createdAt ?? now,
      updatedAt: now,
      epochsDone: previous?.epochsDone ?? 0,
      dataset: options.dataset,
      versions: { node: process.version, tfjs: tf.version.tfjs },
      ...((previous?.variant ?? options.variant) ? { variant: true } : {}),
      ...((previous?.derivedFrom ?? options.derivedFrom)
        ? { derivedFrom: previous?.derivedFrom ?? options.derivedFrom }
        : {}),
    };
    const writer = new RunWriter(folder, name, record);
    try {
      // A resumed run rewrites its config only when it was extended (train.epochs changed).
      const saved = exists
        ? (readJson(path.join(folder, "config.json"), "the run's config") as ExperimentConfig)
        : null;
      if (!saved) writeJsonAtomic(path.join(folder, "config.json"), config);
      else if (saved.train.epochs !== config.train.epochs) {
        writeJsonAtomic(path.join(folder, "config.json"), {
          ...saved,
          train: { ...saved.train, epochs: config.train.epochs },
        });
      }
      writer.writeRecord();
    } catch (error) {
      writer.close();
      throw error;
    }
    return writer;
  }

  private writeRecord(): void {
    this.record.updatedAt = new Date().toISOString();
    writeJsonAtomic(path.join(this.folder, "run.json"), this.record);
  }

  /**
   * Save the end-of-epoch state: history files, then the checkpoint (model + optimizer, and
   * `extraFiles`, name → bytes, written into the same folder swap: read them back with
   * loadCheckpoint's `extraFiles`).
   */
  async checkpoint(
    model: Autoencoder,
    optimizer: tf.Optimizer,
    history: readonly EpochRecord[],
    extraFiles: Readonly<Record<string, Uint8Array>> = {},
  ): Promise<void> {
    writeHistory(this.folder, history);
    const optimizerState = await optimizer.getWeights();
    const encoder = await captureModel(model.encoder);
    const decoder = await captureModel(model.decoder);
    const variance = model.varianceHead ? await captureModel(model.varianceHead) : null;
    const optimizerData = new Float32Array(optimizerState.reduce((n, w) => n + w.tensor.size, 0));
    let offset = 0;
    for (const w of optimizerState) {
      optimizerData.set(w.tensor.dataSync() as Float32Array, offset);
      offset += w.tensor.size;
    }
    // getWeights() returns the optimizer's own variables plus a fresh "iter" scalar: free that one.
    for (const w of optimizerState) if (!(w.tensor instanceof tf.Variable)) w.tensor.dispose();
    replaceFolder(path.join(this.folder, "checkpoint"), (tmp) => {
      writeModelFiles(encoder, path.join(tmp, "encoder"));
      writeModelFiles(decoder, path.join(tmp, "decoder"));
      if (variance) writeModelFiles(variance, path.join(tmp, VARIANCE_FOLDER));
      writeFileAtomic(path.join(tmp, "optimizer.bin"), new Uint8Array(optimizerData.buffer));
      for (const [name, bytes] of Object.entries(extraFiles)) {
        writeFileAtomic(path.join(tmp, name), bytes);
      }
      writeJsonAtomic(path.join(tmp, "state.json"), {
        epoch: history.length,
        history,
        optimizer: optimizerState.map((w) => ({ name: w.name, shape: w.tensor.shape })),
        adamAccumulators: readAdamAccumulators(optimizer),
      });
    });
    this.record.epochsDone = history.length;
    this.writeRecord();
  }

  /** Save the final model (encoder and decoder) under model/. */
  async saveModel(model: Autoencoder): Promise<void> {
    const encoder = await captureModel(model.encoder);
    const decoder = await captureModel(model.decoder);
    const variance = model.varianceHead ? await captureModel(model.varianceHead) : null;
    replaceFolder(path.join(this.folder, "model"), (tmp) => {
      writeModelFiles(encoder, path.join(tmp, "encoder"));
      writeModelFiles(decoder, path.join(tmp, "decoder"));
      if (variance) writeModelFiles(variance, path.join(tmp, VARIANCE_FOLDER));
    });
  }

  writeMetrics(metrics: unknown): void {
    writeJsonAtomic(path.join(this.folder, "metrics.json"), metrics);
  }

  /** Record how the run ended. */
  finish(status: Exclude<RunStatus, "running">, error?: string, stoppedBy?: string): void {
    this.record.status = status;
    if (error) this.record.error = error;
    else delete this.record.error;
    if (stoppedBy) this.record.stoppedBy = stoppedBy;
    else delete this.record.stoppedBy;
    this.writeRecord();
  }

  /** Release the lock. */
  close(): void {
    fs.rmSync(path.join(this.folder, LOCK_FILE), { force: true });
  }
}

const LOCK_FILE = ".lock";

function acquireLock(folder: string, name: string): void {
  const lock = path.join(folder, LOCK_FILE);
  takePidLock(lock, {
    inUse: (pid) =>
      new RunError(
        `Run "${name}" is in use by process ${pid} (lock ${lock}). Wait for it to finish, stop it, or use another --run name.`,
      ),
    contended: () =>
      new RunError(`Could not take the lock ${lock}: another process keeps creating it.`),
  });
}

/** history.json and history.csv. */
export function writeHistory(folder: string, history: readonly EpochRecord[]): void {
  writeJsonAtomic(path.join(folder, "history.json"), history);
  writeFileAtomic(path.join(folder, "history.csv"), historyToCsv(history));
}

const HISTORY_COLUMNS: Array<keyof EpochRecord> = [
  "epoch",
  "trainLoss",
  "valLoss",
  "valBce",
  "valMse",
  "trainSeconds",
  "epochSeconds",
  "samplesPerSecond",
];

/** The history as CSV with a header row. */
export function historyToCsv(history: readonly EpochRecord[]): string {
  const rows = history.map((r) => HISTORY_COLUMNS.map((c) => String(r[c])).join(","));
  return [HISTORY_COLUMNS.join(","), ...rows].join("\n") + "\n";
}

/** A saved run, read back. */
export interface LoadedRun {
  folder: string;
  record: RunRecord;
  config: ExperimentConfig;
  history: EpochRecord[];
  metrics: unknown | null;
}

/** Read a run's record, config, history and metrics (not the model: see loadRunModel). */
export function loadRun(nameOrPath: string, runsDir = "runs"): LoadedRun {
  const head = loadRunHead(nameOrPath, runsDir);
  return {
    ...head,
    history: readRunHistory(head.folder),
    metrics: readRunMetrics(head.folder),
  };
}

/** Read a run's record and config only (history and metrics: readRunHistory, readRunMetrics). */
export function loadRunHead(
  nameOrPath: string,
  runsDir = "runs",
): Pick<LoadedRun, "folder" | "record" | "config"> {
  const folder = runFolder(nameOrPath, runsDir);
  if (!fs.existsSync(folder)) {
    throw withoutStack(
      new RunError(
        `No run at ${displayPath(folder)}. The runs are the folders of ${displayPath(path.dirname(folder))}.`,
      ),
    );
  }
  const record = readJson(path.join(folder, "run.json"), "the run record") as RunRecord;
  let config: ExperimentConfig;
  try {
    config = validateConfig(readJson(path.join(folder, "config.json"), "the run's config"));
  } catch (error) {
    throw new RunError(
      `Run at ${displayPath(folder)} was written with an incompatible config: ${(error as Error).message} ` +
        `It was made by another version of this project; retrain it, or edit config.json to match.`,
    );
  }
  return { folder, record, config };
}

/** A run folder's history.json ([] before the first epoch ends). */
export function readRunHistory(folder: string): EpochRecord[] {
  const file = path.join(folder, "history.json");
  return fs.existsSync(file) ? (readJson(file, "the run's history") as EpochRecord[]) : [];
}

/** A run folder's metrics.json (null until the run was evaluated). */
export function readRunMetrics(folder: string): unknown | null {
  const file = path.join(folder, "metrics.json");
  return fs.existsSync(file) ? readJson(file, "the run's metrics") : null;
}

/** Load the final model of a run (or its last checkpoint when `from` is "checkpoint"). */
export async function loadRunModel(
  run: LoadedRun,
  from: "model" | "checkpoint" = "model",
): Promise<Autoencoder> {
  // A run still training swaps its checkpoint folder: read encoder and decoder from one version.
  const model = await readCompleteFolder(
    path.join(run.folder, from),
    loadAutoencoderFrom,
    (stale) => stale.dispose(),
  );
  if (model && run.config.model.kind === "vae" && !model.variance) {
    model.dispose();
    throw new RunError(
      `Run "${run.record.name}" is a VAE but its ${from} folder has no ${VARIANCE_FOLDER}/ (the log-variance head): ` +
        `the files are incomplete. Resume the run to write them again, or retrain it.`,
    );
  }
  if (!model) {
    throw new RunError(
      from === "model"
        ? `Run "${run.record.name}" has no final model (status ${run.record.status}). Finish it with --resume, or load its checkpoint.`
        : `Run "${run.record.name}" has no checkpoint: it stopped before finishing its first epoch.`,
    );
  }
  return model;
}

/** A VAE's variance head is saved beside encoder and decoder (see Autoencoder.varianceHead). */
const VARIANCE_FOLDER = "variance";

async function loadAutoencoderFrom(folder: string): Promise<Autoencoder> {
  const loaded: tf.LayersModel[] = [];
  try {
    for (const part of ["encoder", "decoder"]) {
      loaded.push(await loadModelFiles(path.join(folder, part)));
    }
    const varianceFolder = path.join(folder, VARIANCE_FOLDER);
    const variance = fs.existsSync(varianceFolder)
      ? await loadModelFiles(varianceFolder)
      : undefined;
    if (variance) loaded.push(variance);
    return assemble(loaded[0], loaded[1], undefined, variance);
  } catch (error) {
    for (const m of loaded) m.dispose();
    throw error;
  }
}

/**
 * Adam keeps beta1^t and beta2^t as running float32 products; setWeights recomputes them with
 * pow(), which rounds differently, so a resumed run would drift by ~1e-7. Saving the two
 * accumulators makes resuming bit-exact.
 */
interface AdamInternals {
  accBeta1?: tf.Variable;
  accBeta2?: tf.Variable;
}

function readAdamAccumulators(optimizer: tf.Optimizer): [number, number] | null {
  const adam = optimizer as unknown as AdamInternals;
  if (!adam.accBeta1 || !adam.accBeta2) return null;
  return [adam.accBeta1.dataSync()[0], adam.accBeta2.dataSync()[0]];
}

function writeAdamAccumulators(optimizer: tf.Optimizer, values: [number, number]): void {
  const adam = optimizer as unknown as AdamInternals;
  if (!adam.accBeta1 || !adam.accBeta2) return;
  tf.tidy(() => {
    adam.accBeta1?.assign(tf.scalar(values[0]));
    adam.accBeta2?.assign(tf.scalar(values[1]));
  });
}

/** True when the run folder holds a complete checkpoint. */
export function hasCheckpoint(folder: string): boolean {
  const checkpoint = resolveCompleteFolder(path.join(folder, "checkpoint"));
  return checkpoint !== null && fs.existsSync(path.join(checkpoint, "state.json"));
}

/** The checkpoint of a run, to resume training: model, optimizer state and history. */
export async function loadCheckpoint(
  run: LoadedRun,
  optimizer: tf.Optimizer,
  options: { extraFiles?: readonly string[] } = {},
): Promise<{ model: Autoencoder; history: EpochRecord[]; extraFiles: Record<string, Buffer> }> {
  // Model, state and optimizer bytes from one version of the folder (see readCompleteFolder).
  const checkpoint = await readCompleteFolder(
    path.join(run.folder, "checkpoint"),
    async (folder) => {
      const state = readJson(path.join(folder, "state.json"), "the checkpoint state") as {
        history: EpochRecord[];
        optimizer: Array<{ name: string; shape: number[] }>;
        adamAccumulators?: [number, number];
      };
      const bytes = fs.readFileSync(path.join(folder, "optimizer.bin"));
      const extraFiles: Record<string, Buffer> = {};
      for (const name of options.extraFiles ?? []) {
        const file = path.join(folder, name);
        if (!fs.existsSync(file)) {
          throw new RunError(
            `Checkpoint ${folder} has no ${name}: it was not written by the trainer that resumes it. Start the run again under a new name.`,
          );
        }
        extraFiles[name] = fs.readFileSync(file);
      }
      return { folder, state, bytes, extraFiles, model: await loadAutoencoderFrom(folder) };
    },
    (stale) => stale.model.dispose(),
  );
  if (!checkpoint) {
    throw new RunError(
      `Run "${run.record.name}" has no checkpoint: it stopped before finishing its first epoch.`,
    );
  }
  const { folder, state, bytes, model, extraFiles } = checkpoint;
  const data = new Float32Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
  const expected = state.optimizer.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
  if (data.length !== expected) {
    throw new RunError(
      `Checkpoint optimizer state in ${folder} has ${data.length} values, expected ${expected}: the checkpoint is damaged. ` +
        `Start the run again under a new name.`,
    );
  }
  let offset = 0;
  const named = state.optimizer.map((w) => {
    const size = w.shape.reduce((a, b) => a * b, 1);
    const tensor = tf.tensor(data.subarray(offset, offset + size), w.shape);
    offset += size;
    return { name: w.name, tensor };
  });
  await optimizer.setWeights(named);
  tf.dispose(named.map((n) => n.tensor));
  if (state.adamAccumulators) writeAdamAccumulators(optimizer, state.adamAccumulators);
  return { model, history: state.history, extraFiles };
}
