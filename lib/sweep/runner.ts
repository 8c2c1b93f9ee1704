/**
 * Run a sweep on Ray Tune: `runSweep(spec)` writes the sweep folder, starts the Python driver
 * (lib/sweep/tune_driver.py, in the project venv) and follows its events, so a terminal or a
 * notebook can show every trial's progress. Local Ray inside the driver by default; with
 * `address` (or RAY_ADDRESS) the same sweep runs on an existing Ray cluster.
 *
 *   <runsDir>/sweeps/<name>/
 *     spec.json      the validated spec (a different sweep under the same name is refused)
 *     plan.json      what the driver reads (spec + paths)
 *     tune/          Ray Tune's experiment state (what resuming an interrupted sweep restores)
 *     results.json   one entry per trial: run, config, status, node, losses (written atomically)
 *     driver.log     Ray's and Tune's own output
 *     trial-NNN/     the trials' run folders (variant sweeps put runs in <runsDir>/<name> instead)
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { resolveConfig } from "../config";
import { AutoencoderLabError } from "../errors";
import { projectPath } from "../paths";
import { readJson, writeJsonAtomic } from "../runs/atomic";
import { presetConfig, trialCount, type SweepSpec } from "./spec";
import { takePidLock } from "../runs/pid-lock";

/** A sweep could not run: Ray missing, the name taken, the driver failed, or it was interrupted. */
export class SweepError extends AutoencoderLabError {}

/** One trial as the sweep ended (results.json). */
export interface SweepTrial {
  trialId: string;
  /** The trial's run name and folder (what `ae.loadRun(folder)` opens). */
  run: string | null;
  folder: string | null;
  /** The trial's parameters: { params: {key: value} } or { variant: {name, overrides} }. */
  config: Record<string, unknown>;
  /** The run's status: completed, early-stopping, stopped (by the scheduler), failed, ... */
  status: string;
  stoppedBy: string | null;
  /** Last reported epoch and its validation loss; the best validation loss so far. */
  epoch: number | null;
  valLoss: number | null;
  bestValLoss: number | null;
  /** First epoch the trial's last attempt trained (above 1 when it resumed a checkpoint). */
  firstEpoch: number | null;
  /** Ray node the trial's last attempt ran on. */
  nodeId: string | null;
  error: string | null;
}

export interface SweepResult {
  name: string;
  address: string;
  /** Ray node ids alive when the sweep started. */
  nodes: string[];
  seconds: number;
  trials: SweepTrial[];
  /** The sweep folder. */
  folder: string;
}

export type TrialState = "pending" | "running" | "stopping" | "retrying" | "ended" | "error";

/** A trial while the sweep runs (what progress displays show). */
export interface TrialProgress {
  trialId: string;
  run: string | null;
  params: Record<string, unknown>;
  state: TrialState;
  epoch: number | null;
  epochs: number | null;
  valLoss: number | null;
  bestValLoss: number | null;
  nodeId: string | null;
  attempts: number;
}

/** What the driver reports, one object per `AE_SWEEP` line. */
export interface SweepEvent {
  event: string;
  trialId?: string;
  [key: string]: unknown;
}

export interface RunSweepOptions {
  /** A Ray cluster (`ray://…` or `host:port`); default RAY_ADDRESS, else local Ray. */
  address?: string | null;
  /** Local Ray only: CPUs Ray may use (default: all the machine's cores). */
  localCpus?: number | null;
  /** Abort to stop the sweep (as Ctrl-C): trials stop after their batch, resumable later. */
  signal?: AbortSignal;
  /** Called on every change with every trial known so far. */
  onProgress?: (trials: readonly TrialProgress[], event: SweepEvent) => void;
  /**
   * When a sweep of this name exists with another spec: "error" (default) refuses; "replace"
   * moves its Tune state aside (the main job, whose runs are reused by name anyway).
   */
  onOtherSpec?: "error" | "replace";
}

/** The sweep folder of a spec: `<runsDir>/sweeps/<name>` (runsDir from the spec's base config). */
export function sweepFolder(spec: SweepSpec): string {
  const runsDir = resolveConfig(spec.base, presetConfig(spec)).train.runsDir;
  return projectPath(runsDir, "sweeps", spec.name);
}

/** The Python that runs the driver: the project venv's. */
export function sweepPython(): string {
  return projectPath(".venv", "bin", "python");
}

function takeLock(folder: string, name: string): () => void {
  const lock = path.join(folder, ".sweep.lock");
  return takePidLock(lock, {
    inUse: (pid) =>
      new SweepError(
        `A sweep named "${name}" is already running (process ${pid}, lock ${lock}). ` +
          `Wait for it, stop it, or give this sweep another name.`,
      ),
    contended: () => new SweepError(`Could not take the sweep lock ${lock}.`),
  });
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort())
      : v,
  );
}

/** Refuse (or, with "replace", set aside) a sweep of the same name with another spec. */
function checkSameSpec(folder: string, spec: SweepSpec, onOther: "error" | "replace"): boolean {
  const file = path.join(folder, "spec.json");
  if (!fs.existsSync(file)) return false;
  const previous = readJson(file, "sweep spec");
  if (canonical(previous) === canonical(spec)) return true;
  if (onOther === "replace") {
    const aside = path.join(folder, `tune-replaced-${Date.now()}`);
    if (fs.existsSync(path.join(folder, "tune"))) fs.renameSync(path.join(folder, "tune"), aside);
    return false;
  }
  throw new SweepError(
    `A sweep named "${spec.name}" already exists in ${folder} with another spec. ` +
      `Give this sweep another name, or delete that folder to start it again.`,
  );
}

function paramsOf(config: Record<string, unknown>): Record<string, unknown> {
  if (config.variant && typeof config.variant === "object") {
    return { variant: (config.variant as { name: string }).name };
  }
  return (config.params as Record<string, unknown>) ?? {};
}

/**
 * Run (or resume) the sweep. Resolves with every trial's outcome once Tune is done; trials that
 * failed after their retries are in the result with status "failed" or an error, not thrown.
 * Throws SweepError when the sweep cannot start or the driver fails.
 */
export async function runSweep(
  spec: SweepSpec,
  options: RunSweepOptions = {},
): Promise<SweepResult> {
  const folder = sweepFolder(spec);
  fs.mkdirSync(folder, { recursive: true });
  const release = takeLock(folder, spec.name);
  try {
    const resumed = checkSameSpec(folder, spec, options.onOtherSpec ?? "error");
    writeJsonAtomic(path.join(folder, "spec.json"), spec);
    fs.rmSync(path.join(folder, "results.json"), { force: true });
    const base = resolveConfig(spec.base, presetConfig(spec));
    const address = options.address ?? process.env.RAY_ADDRESS ?? null;
    const plan = {
      ...spec,
      mode: spec.variants ? "variants" : "search",
      runsDir: base.train.runsDir,
      trialRunsDir: path.join(folder),
      sweepFolder: folder,
      project: projectPath(),
      node: process.execPath,
      address,
      localCpus: options.localCpus ?? null,
      scheduler:
        spec.scheduler.kind === "asha"
          ? { ...spec.scheduler, maxEpochs: base.train.epochs }
          : spec.scheduler,
    };
    const planFile = path.join(folder, "plan.json");
    writeJsonAtomic(planFile, plan);
    if (!fs.existsSync(sweepPython())) {
      throw new SweepError(
        `The project venv is missing (${sweepPython()}): run \`bash scripts/setup.sh\`, which installs Ray (requirements.txt).`,
      );
    }
    const trials = new Map<string, TrialProgress>();
    const result = await followDriver(planFile, folder, options, trials, spec, resumed);
    return result;
  } finally {
    release();
  }
}

function followDriver(
  planFile: string,
  folder: string,
  options: RunSweepOptions,
  trials: Map<string, TrialProgress>,
  spec: SweepSpec,
  resumed: boolean,
): Promise<SweepResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, RAY_USAGE_STATS_ENABLED: "0" };
  if (options.address === null) delete env.RAY_ADDRESS;
  const child = spawn(sweepPython(), [projectPath("lib", "sweep", "tune_driver.py"), planFile], {
    cwd: projectPath(),
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log = fs.createWriteStream(path.join(folder, "driver.log"), { flags: "a" });
  const tail: string[] = [];
  createInterface({ input: child.stderr }).on("line", (line) => {
    log.write(`${line}\n`);
    tail.push(line);
    if (tail.length > 40) tail.shift();
  });
  const trial = (id: string): TrialProgress => {
    let t = trials.get(id);
    if (!t) {
      t = {
        trialId: id,
        run: null,
        params: {},
        state: "pending",
        epoch: null,
        epochs: null,
        valLoss: null,
        bestValLoss: null,
        nodeId: null,
        attempts: 0,
      };
      trials.set(id, t);
    }
    return t;
  };
  createInterface({ input: child.stdout }).on("line", (line) => {
    if (!line.startsWith("AE_SWEEP ")) {
      log.write(`${line}\n`);
      return;
    }
    const event = JSON.parse(line.slice("AE_SWEEP ".length)) as SweepEvent;
    const t = event.trialId ? trial(event.trialId) : null;
    if (t) {
      switch (event.event) {
        case "trial-start":
          t.params = paramsOf((event.config as Record<string, unknown>) ?? {});
          t.attempts += 1;
          t.state = "running";
          break;
        case "result":
          t.epoch = event.epoch as number;
          t.epochs = event.epochs as number;
          t.valLoss = event.val_loss as number;
          t.bestValLoss = event.best_val_loss as number;
          t.nodeId = (event.node_id as string) ?? t.nodeId;
          t.run = (event.run as string) ?? t.run;
          break;
        case "trial-stopping":
          t.state = "stopping";
          break;
        case "trial-retry":
          t.state = "retrying";
          break;
        case "trial-error":
          t.state = "error";
          break;
        case "trial-end":
          if (t.state !== "stopping") t.state = "ended";
          break;
      }
    }
    options.onProgress?.([...trials.values()], event);
  });
  const onAbort = () => child.kill("SIGINT");
  options.signal?.addEventListener("abort", onAbort, { once: true });
  return new Promise((resolve, reject) => {
    child.on("error", (error) =>
      reject(new SweepError(`Could not start the sweep driver: ${error.message}`)),
    );
    child.on("close", (code, signal) => {
      options.signal?.removeEventListener("abort", onAbort);
      log.end();
      const resultsFile = path.join(folder, "results.json");
      if (code === 0 && fs.existsSync(resultsFile) && !options.signal?.aborted) {
        const results = readJson(resultsFile, "sweep results") as Omit<SweepResult, "folder">;
        resolve({ ...results, folder });
        return;
      }
      const text = tail.join("\n");
      if (/No module named 'ray'/.test(text)) {
        reject(
          new SweepError(
            "Ray is not installed in the project venv: run `bash scripts/setup.sh` (requirements.txt pins ray[tune]).",
          ),
        );
      } else if (options.signal?.aborted) {
        reject(
          new SweepError(
            `Sweep "${spec.name}" was interrupted; run it again (same spec) to resume: finished trials are skipped.`,
          ),
        );
      } else {
        reject(
          new SweepError(
            `Sweep "${spec.name}" failed (driver ${signal ?? `exit ${code}`}${resumed ? ", resuming" : ""}); ` +
              `see ${path.join(folder, "driver.log")}. Last lines:\n${text}`,
          ),
        );
      }
    });
  });
}

/** Read a finished sweep's results (results.json) without running anything. */
export function loadSweepResults(spec: SweepSpec): SweepResult {
  const folder = sweepFolder(spec);
  const file = path.join(folder, "results.json");
  if (!fs.existsSync(file)) {
    throw new SweepError(`Sweep "${spec.name}" has no results yet (${file}): run it first.`);
  }
  return { ...(readJson(file, "sweep results") as Omit<SweepResult, "folder">), folder };
}

/** How many trials the spec runs, for messages. */
export { trialCount };
