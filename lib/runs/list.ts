/**
 * Listing saved runs: one summary per run folder under a runs directory, newest first, for tables
 * and for picking the runs a notebook should look at. A damaged folder (unreadable run.json,
 * incompatible config, broken history) is listed with an `error` instead of breaking the listing.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { validateConfig, type ExperimentConfig, type LossName, type ModelKind } from "../config";
import { displayPath, projectPath } from "../paths";
import type { EpochRecord } from "../records";
import { readJson } from "./atomic";
import {
  loadRun,
  RunError,
  withoutStack,
  type LoadedRun,
  type RunRecord,
  type RunStatus,
} from "./run-folder";

/** One run folder, summarised. Fields that could not be read are null. */
export interface RunSummary {
  name: string;
  /** Absolute path of the run folder. */
  folder: string;
  /** From run.json; "damaged" when run.json cannot be read. */
  status: RunStatus | "damaged";
  backend: string | null;
  /** ISO timestamps from run.json. */
  createdAt: string | null;
  updatedAt: string | null;
  /** Epochs finished (history length when the history is readable, else run.json's count). */
  epochsDone: number;
  /** Epochs the config asked for. */
  epochs: number | null;
  modelKind: ModelKind | null;
  codeSize: number | null;
  /** Noise kind of a denoising model ("none" for a plain autoencoder). */
  noise: string | null;
  /** Training loss: "bce" or "mse" (the unit of the loss columns). */
  loss: LossName | null;
  finalTrainLoss: number | null;
  finalValLoss: number | null;
  bestValLoss: number | null;
  /** 1-based epoch of the lowest validation loss. */
  bestEpoch: number | null;
  /** Trained as a comparison variant by a notebook (RunRecord.variant). */
  variant: boolean;
  /** What is wrong with the folder, when something is (the summary is then partial). */
  error?: string;
}

export interface RunSelection {
  /**
   * Only runs with this status. "finished" matches runs that trained to the end, with a final
   * model and test metrics: status "completed" or "early-stopping".
   */
  status?: RunStatus | "finished";
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isHistory(value: unknown): value is EpochRecord[] {
  return (
    Array.isArray(value) &&
    value.every(
      (r) =>
        typeof r === "object" &&
        r !== null &&
        typeof (r as EpochRecord).epoch === "number" &&
        typeof (r as EpochRecord).trainLoss === "number" &&
        typeof (r as EpochRecord).valLoss === "number",
    )
  );
}

/** Summarise one run folder (never throws for a damaged folder: see `error`). */
export function summarizeRun(folder: string): RunSummary {
  const summary: RunSummary = {
    name: path.basename(folder),
    folder,
    status: "damaged",
    backend: null,
    createdAt: null,
    updatedAt: null,
    epochsDone: 0,
    epochs: null,
    modelKind: null,
    codeSize: null,
    noise: null,
    loss: null,
    finalTrainLoss: null,
    finalValLoss: null,
    bestValLoss: null,
    bestEpoch: null,
    variant: false,
  };
  const problems: string[] = [];
  try {
    const record = readJson(path.join(folder, "run.json"), "run.json") as Partial<RunRecord>;
    if (typeof record !== "object" || record === null || typeof record.status !== "string") {
      throw new RunError(`run.json in ${folder} has no status: the file is damaged.`);
    }
    summary.status = record.status;
    summary.backend = typeof record.backend === "string" ? record.backend : null;
    summary.createdAt = typeof record.createdAt === "string" ? record.createdAt : null;
    summary.updatedAt = typeof record.updatedAt === "string" ? record.updatedAt : null;
    summary.epochsDone = typeof record.epochsDone === "number" ? record.epochsDone : 0;
    if (typeof record.name === "string") summary.name = record.name;
    summary.variant = record.variant === true;
  } catch (error) {
    problems.push(message(error));
  }
  try {
    const config: ExperimentConfig = validateConfig(
      readJson(path.join(folder, "config.json"), "config.json"),
    );
    summary.epochs = config.train.epochs;
    summary.modelKind = config.model.kind;
    summary.codeSize = config.model.codeSize;
    summary.noise = config.model.noise.kind;
    summary.loss = config.train.loss;
  } catch (error) {
    problems.push(`config: ${message(error)}`);
  }
  const historyFile = path.join(folder, "history.json");
  if (fs.existsSync(historyFile)) {
    try {
      const history = readJson(historyFile, "history.json");
      if (!isHistory(history)) {
        throw new RunError(`history.json in ${folder} is not a list of epoch records.`);
      }
      summary.epochsDone = history.length;
      const last = history[history.length - 1];
      if (last) {
        summary.finalTrainLoss = last.trainLoss;
        summary.finalValLoss = last.valLoss;
        const best = history.reduce((a, b) => (b.valLoss < a.valLoss ? b : a));
        summary.bestValLoss = best.valLoss;
        summary.bestEpoch = best.epoch;
      }
    } catch (error) {
      problems.push(message(error));
    }
  }
  if (problems.length > 0) summary.error = problems.join(" ");
  return summary;
}

function sortKey(summary: RunSummary): number {
  const time = summary.createdAt ? Date.parse(summary.createdAt) : NaN;
  if (Number.isFinite(time)) return time;
  try {
    return fs.statSync(summary.folder).mtimeMs; // a damaged run.json: the folder's own time
  } catch {
    return 0;
  }
}

/**
 * Every run under `runsDir` (relative paths are from the project root): each sub-folder holding a
 * run.json, newest first (by run.json's createdAt). A missing runs directory gives an empty list.
 */
export function listRuns(runsDir = "runs"): RunSummary[] {
  const dir = projectPath(runsDir);
  if (!fs.existsSync(dir)) return [];
  const summaries = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
    .map((entry) => path.join(dir, entry.name))
    .filter((folder) => fs.existsSync(path.join(folder, "run.json")))
    .map(summarizeRun);
  const keys = new Map(summaries.map((s) => [s, sortKey(s)]));
  return summaries.sort(
    (a, b) => (keys.get(b) as number) - (keys.get(a) as number) || b.name.localeCompare(a.name),
  );
}

function matches(summary: RunSummary, selection: RunSelection): boolean {
  if (summary.error) return false;
  if (!selection.status) return true;
  if (selection.status === "finished") {
    return summary.status === "completed" || summary.status === "early-stopping";
  }
  return summary.status === selection.status;
}

/** The newest undamaged run (with the given status), or null when there is none. */
export function latestRun(runsDir = "runs", selection: RunSelection = {}): RunSummary | null {
  return listRuns(runsDir).find((s) => matches(s, selection)) ?? null;
}

/**
 * No run to show: the message says how to make one. Its stack is just the message: tslab prints
 * a failing cell's error with console.error, and this one is advice, not a bug to trace.
 */
export class NoRunsError extends RunError {
  constructor(message: string) {
    super(message);
    this.stack = `${this.name}: ${message}`;
  }
}

/** Rows for a table of runs (showTable): one per summary, damaged runs with their problem. */
export function runsTable(summaries: readonly RunSummary[]): Record<string, unknown>[] {
  return summaries.map((s) => ({
    run: s.name,
    status: s.status,
    model: s.modelKind
      ? `${s.modelKind}, code ${s.codeSize}${s.noise && s.noise !== "none" ? `, ${s.noise}` : ""}`
      : "?",
    epochs: `${s.epochsDone}/${s.epochs ?? "?"}`,
    loss: s.loss ?? "?",
    "final val loss": s.finalValLoss,
    "best val loss": s.bestValLoss,
    "best epoch": s.bestEpoch,
    created: s.createdAt ? s.createdAt.slice(0, 16).replace("T", " ") : "",
    problem: s.error ?? "",
  }));
}

/**
 * The runs a notebook should show. Given names, exactly those (an unknown or damaged one, or
 * one without a finished epoch, is a RunError). Given none: the newest finished run first, then
 * up to `others` more of the newest undamaged runs with at least one epoch; runs trained as
 * comparison variants (RunRecord.variant) come after all others. Throws NoRunsError,
 * saying how to train one, when `runsDir` holds no usable run.
 */
export function selectRuns(
  names: readonly string[],
  runsDir = "runs",
  options: { others?: number } = {},
): RunSummary[] {
  const all = listRuns(runsDir);
  if (names.length > 0) {
    return names.map((name) => {
      const found = all.find((s) => s.name === name);
      if (!found) {
        const known = all.map((s) => s.name).slice(0, 10);
        throw withoutStack(
          new RunError(
            `No run named "${name}" in ${displayPath(projectPath(runsDir))}. ` +
              (known.length > 0
                ? `Runs there: ${known.join(", ")}.`
                : "That folder holds no runs."),
          ),
        );
      }
      if (found.error) throw new RunError(`Run "${name}" is damaged: ${found.error}`);
      if (found.epochsDone === 0) {
        throw new RunError(
          `Run "${name}" has no finished epoch yet (status ${found.status}): nothing to plot.`,
        );
      }
      return found;
    });
  }
  // Comparison variants (rd-code-8, heldout-3, ...) come after the runs a user trained.
  const usable = all
    .filter((s) => !s.error && s.epochsDone > 0)
    .sort((a, b) => Number(a.variant) - Number(b.variant));
  const first = usable.find((s) => matches(s, { status: "finished" })) ?? usable[0];
  if (!first) {
    throw new NoRunsError(
      `No run with a finished epoch in ${displayPath(projectPath(runsDir))}` +
        (all.length > 0 ? ` (${all.length} folder(s), none usable)` : "") +
        `. Train one first: run notebook 02-training.ipynb, or \`npm run train\`` +
        ` (with AE_QUICK=1 both write quick runs to runs/quick).`,
    );
  }
  const others = usable.filter((s) => s !== first).slice(0, options.others ?? 4);
  return [first, ...others];
}

/** The run the main job trains and the README's numbers describe. */
export const REFERENCE_RUN = "reference";
/** The `runName` value that asks for the newest finished run. */
export const NEWEST_RUN = "newest";

/** The run a notebook analyses, and why that one (a sentence to print at the top). */
export interface RunChoice {
  run: LoadedRun;
  why: string;
}

/**
 * The run a notebook analyses, from its `runName` parameter: a name picks that run; `"newest"`
 * the newest finished run; `null` the reference run when it exists and is finished, else the
 * newest finished run. `why` says which and why, in the notebook's terms, so that a notebook never
 * silently analyses a small test run where the README's reference numbers were expected.
 */
export function chooseRun(runName: string | null, runsDir = "runs"): RunChoice {
  const { folder, why } = chooseRunFolder(runName, runsDir);
  return { run: loadRun(folder), why };
}

/** The folder of the run chooseRun picks, and why that one (nothing but the listing is read). */
export function chooseRunFolder(
  runName: string | null,
  runsDir = "runs",
): { folder: string; why: string } {
  const where = displayPath(projectPath(runsDir));
  const newest = () => selectRuns([], runsDir, { others: 0 })[0];
  if (runName !== null && runName !== NEWEST_RUN) {
    const [named] = selectRuns([runName], runsDir);
    return {
      folder: named.folder,
      why: `the run named by \`runName = ${JSON.stringify(runName)}\``,
    };
  }
  if (runName === NEWEST_RUN) {
    return {
      folder: newest().folder,
      why: `the newest finished run in ${where} (\`runName = "newest"\`)`,
    };
  }
  const reference = listRuns(runsDir).find((s) => s.name === REFERENCE_RUN && !s.error);
  if (reference && matches(reference, { status: "finished" })) {
    return {
      folder: reference.folder,
      why:
        `the reference run (\`runName = null\` picks "${REFERENCE_RUN}" when it exists; ` +
        `\`runName = "newest"\` picks the newest finished run)`,
    };
  }
  const reason = reference
    ? `the reference run is not finished (status ${reference.status})`
    : `${where} has no "${REFERENCE_RUN}" run`;
  return {
    folder: newest().folder,
    why: `the newest finished run, since ${reason} (set \`runName\` to choose another)`,
  };
}

/** "Analysing run "x" (runs/x): why." — the first line a notebook prints. */
export function runChoiceLine(choice: RunChoice): string {
  return `Analysing run "${choice.run.record.name}" (${displayPath(choice.run.folder)}): ${choice.why}.`;
}
