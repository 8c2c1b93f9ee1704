/**
 * Variants of an experiment as named runs that are trained once and reused: a denoising model per
 * noise kind, a model per held-out digit, a model per code size. `ensureRun(name, overrides)`
 * returns the completed run `name`, training it only when it is absent, resuming it when it was
 * stopped, and setting it aside (renamed, never deleted) when it was trained with another config.
 */
import * as fs from "node:fs";
import {
  comparisonConfig,
  quickConfig,
  quickRequested,
  resolveConfig,
  type ConfigOverrides,
  type ExperimentConfig,
} from "../config";
import { loadDataset, prepareDataset } from "../data";
import type { Dataset } from "../data/types";
import { AutoencoderLabError } from "../errors";
import { listRuns } from "../runs/list";
import { loadRun, runFolder, RunError, type LoadedRun } from "../runs/run-folder";
import { runExperiment, type ProgressReporter } from "../train/experiment";

/** What ensureRun did to produce the run. */
export type EnsureAction = "reused" | "trained" | "resumed";

export interface EnsureRunOptions {
  /**
   * The config the overrides apply to. Default: `resolveConfig()` (the defaults, or the quick
   * preset when AE_QUICK=1). Its train.runsDir says where the run folder goes.
   */
  base?: ExperimentConfig;
  /** Progress of a training (none is printed without one). */
  reporter?: ProgressReporter;
  /** Abort to stop a training after its current batch (the run is then left resumable). */
  signal?: AbortSignal;
  /**
   * The dataset config.data names, already loaded (loadDataset): saves reloading it for each of
   * several variants. Splits and data.excludeClasses are applied per variant.
   */
  dataset?: Dataset;
  /**
   * A run of this name trained with another config: "set-aside" (default) renames its folder to
   * `<name>-<created stamp>` and trains anew; "error" throws a RunError instead.
   */
  onOtherConfig?: "set-aside" | "error";
  /**
   * Record the run as a comparison variant, which notebooks skip when they pick "the latest
   * finished run" (RunRecord.variant). Default true; the main job's reference run passes false.
   */
  variant?: boolean;
}

export interface EnsuredRun {
  name: string;
  /** Absolute path of the run folder. */
  folder: string;
  config: ExperimentConfig;
  action: EnsureAction;
  /** Wall-clock seconds this call took (training included). */
  seconds: number;
  /** The completed run: record, config, history, metrics. Load its model with loadRunModel. */
  run: LoadedRun;
  /** The folder a run with another config was moved to, when that happened. */
  setAsideTo?: string;
}

/** The config of variant `name`: `base` with `overrides` applied and train.runName = name. */
export function variantConfig(
  name: string,
  overrides: ConfigOverrides | Record<string, unknown> = {},
  base: ExperimentConfig = resolveConfig(),
): ExperimentConfig {
  const config = resolveConfig(overrides, base);
  return resolveConfig({ train: { runName: name } }, config);
}

/** JSON with object keys sorted, so two configs compare equal whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort())
      : v,
  );
}

/** True when two configs are the same experiment (every key equal). */
export function sameConfig(a: ExperimentConfig, b: ExperimentConfig): boolean {
  return canonical(a) === canonical(b);
}

/** The state of a run folder for `config` (named by config.train.runName). */
export type RunState =
  | { kind: "absent" }
  | { kind: "complete"; run: LoadedRun }
  | { kind: "unfinished"; run: LoadedRun }
  | { kind: "other-config"; why: string; stamp: string };

/** Is the run for `config` absent, complete, unfinished, or trained with another config? */
export function runState(config: ExperimentConfig): RunState {
  const name = config.train.runName;
  if (!name) throw new RunError("runState needs a named run: set train.runName.");
  const folder = runFolder(name, config.train.runsDir);
  if (!fs.existsSync(folder)) return { kind: "absent" };
  let run: LoadedRun;
  try {
    run = loadRun(folder);
  } catch (error) {
    if (!(error instanceof AutoencoderLabError)) throw error;
    return {
      kind: "other-config",
      why: `cannot be loaded (${error.message})`,
      stamp: fs.statSync(folder).mtime.toISOString(),
    };
  }
  if (!sameConfig(run.config, config)) {
    return {
      kind: "other-config",
      why: "was trained with another config",
      stamp: run.record.createdAt,
    };
  }
  const finished = run.record.status === "completed" || run.record.status === "early-stopping";
  return finished && run.metrics ? { kind: "complete", run } : { kind: "unfinished", run };
}

function setAside(folder: string, stamp: string): string {
  let aside = `${folder}-${stamp.replace(/[-:.TZ]/g, "").slice(0, 14)}`;
  for (let i = 2; fs.existsSync(aside); i++) aside = `${aside.replace(/~\d+$/, "")}~${i}`;
  fs.renameSync(folder, aside);
  return aside;
}

/**
 * The completed run `name` trained with `base` + `overrides`: reused when it already completed
 * with exactly that config, resumed from its checkpoint when it stopped early, trained otherwise.
 * The model is not kept in memory: load it with `loadRunModel(result.run)`.
 * Throws RunError when the run is in use by another process, or (onOtherConfig "error") was
 * trained with another config; training errors propagate as from runExperiment.
 */
export async function ensureRun(
  name: string,
  overrides: ConfigOverrides | Record<string, unknown> = {},
  options: EnsureRunOptions = {},
): Promise<EnsuredRun> {
  const started = performance.now();
  const config = variantConfig(name, overrides, options.base ?? resolveConfig());
  const folder = runFolder(name, config.train.runsDir);
  const state = runState(config);
  const done = (action: EnsureAction, run: LoadedRun, setAsideTo?: string): EnsuredRun => ({
    name,
    folder,
    config,
    action,
    seconds: (performance.now() - started) / 1000,
    run,
    ...(setAsideTo ? { setAsideTo } : {}),
  });
  if (state.kind === "complete") return done("reused", state.run);

  let setAsideTo: string | undefined;
  if (state.kind === "other-config") {
    if (options.onOtherConfig === "error") {
      throw new RunError(
        `Run "${name}" in ${folder} ${state.why}. Delete or rename it, or pick another name.`,
      );
    }
    setAsideTo = setAside(folder, state.stamp);
  }
  if (options.dataset && options.dataset.name !== config.data.dataset) {
    throw new RunError(
      `ensureRun("${name}"): the dataset passed is ${options.dataset.name} but the config trains on ` +
        `${config.data.dataset}. Pass the matching dataset, or none (it is then loaded).`,
    );
  }
  const dataset = options.dataset ?? (await loadDataset(config.data));
  const resume = state.kind === "unfinished";
  const result = await runExperiment(config, {
    resume,
    reporter: options.reporter,
    signal: options.signal,
    variant: options.variant ?? true,
    data: prepareDataset(dataset, config.data, config.seed),
  });
  result.model.dispose();
  if (result.result.stopReason === "interrupted") {
    throw new RunError(
      `Run "${name}" was interrupted; call ensureRun again to resume it from its last checkpoint.`,
    );
  }
  return done(resume ? "resumed" : "trained", loadRun(folder), setAsideTo);
}

export interface VariantSpec {
  name: string;
  overrides: ConfigOverrides | Record<string, unknown>;
}

/**
 * ensureRun for each variant in turn, loading the dataset once when they share it.
 * `onRun` hears about each run as it is ready (e.g. to print a line).
 */
export async function ensureRuns(
  variants: readonly VariantSpec[],
  options: EnsureRunOptions & { onRun?: (run: EnsuredRun, index: number) => void } = {},
): Promise<EnsuredRun[]> {
  const base = options.base ?? resolveConfig();
  const datasets = new Map<string, Dataset>();
  const out: EnsuredRun[] = [];
  for (const [index, variant] of variants.entries()) {
    const config = variantConfig(variant.name, variant.overrides, base);
    let dataset = options.dataset;
    if (!dataset && runState(config).kind !== "complete") {
      // Which files to read; splits, limits and excluded classes are applied per variant.
      const { dataset: name, folder, dataDir } = config.data;
      const key = canonical({ name, folder, dataDir });
      dataset = datasets.get(key) ?? (await loadDataset(config.data));
      datasets.set(key, dataset);
    }
    const run = await ensureRun(variant.name, variant.overrides, { ...options, base, dataset });
    options.onRun?.(run, index);
    out.push(run);
  }
  return out;
}

/** One line about an ensured run, e.g. "heldout-3: reused (5 epochs, val loss 0.0891)". */
export function ensuredRunLine(run: EnsuredRun): string {
  const last = run.run.history[run.run.history.length - 1];
  const loss = last ? `, val loss ${last.valLoss.toFixed(4)}` : "";
  const time = run.action === "reused" ? "" : ` in ${run.seconds.toFixed(1)} s`;
  const aside = run.setAsideTo ? ` (an older run with another config was moved aside)` : "";
  const epochs = run.run.history.length;
  return `${run.name}: ${run.action}${time} (${epochs} epoch${epochs === 1 ? "" : "s"}${loss})${aside}`;
}

/**
 * Why findPlainRun gave this run, in the notebook's terms (`parameter` is the notebook's name for
 * `preferred`), e.g. `"reference", as modelRun asks` or `the newest finished plain run, since
 * "reference" is missing or not a finished plain run`.
 */
export function plainRunReason(
  run: LoadedRun | null,
  preferred: string | null,
  parameter: string,
): string {
  if (!run) return "no finished plain run exists, so one is trained";
  if (preferred !== null && run.record.name === preferred) {
    return `"${preferred}", as \`${parameter}\` asks`;
  }
  return preferred === null
    ? `the newest finished plain run (\`${parameter} = null\`)`
    : `the newest finished plain run, since "${preferred}" is missing or not a finished plain ` +
        `autoencoder (set \`${parameter}\` to choose another)`;
}

/**
 * A finished plain autoencoder (no input noise, no excluded class) on `dataset` under `runsDir`:
 * the run named `preferred` when it qualifies, else the newest one that does, else null. What the
 * denoising and anomaly notebooks compare against without training one.
 */
export function findPlainRun(
  runsDir: string,
  preferred: string | null = "reference",
  dataset = "mnist",
): LoadedRun | null {
  const plain = (run: LoadedRun) =>
    (run.record.status === "completed" || run.record.status === "early-stopping") &&
    run.metrics !== null &&
    run.config.model.noise.kind === "none" &&
    (run.config.data.excludeClasses ?? []).length === 0 &&
    run.config.data.dataset === dataset;
  const load = (name: string): LoadedRun | null => {
    try {
      return loadRun(name, runsDir);
    } catch (error) {
      if (error instanceof AutoencoderLabError) return null;
      throw error;
    }
  };
  if (preferred) {
    const run = load(preferred);
    if (run && plain(run)) return run;
  }
  for (const summary of listRuns(runsDir)) {
    if (summary.error || (summary.status !== "completed" && summary.status !== "early-stopping"))
      continue;
    const run = load(summary.folder);
    if (run && plain(run)) return run;
  }
  return null;
}

/**
 * The base config of cheap variants (denoising models, held-out digits, rate–distortion code
 * sizes): the config table's comparison preset (3 epochs per model), or under AE_QUICK=1 the quick
 * preset (its own few epochs on a few thousand images, so notebooks stay fast in CI), with a
 * notebook's `overrides` applied.
 */
export function variantBase(
  overrides: ConfigOverrides | Record<string, unknown> = {},
): ExperimentConfig {
  return resolveConfig(overrides, quickRequested() ? quickConfig() : comparisonConfig());
}
