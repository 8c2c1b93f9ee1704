/**
 * The main job, run by `npm run main` (and at the end of `bash scripts/setup.sh`):
 *   1. train the reference model (the default config: dense 784-256-64, 25 epochs on full MNIST)
 *      into runs/reference and evaluate it on the test set, unless that run already completed
 *      with the same config (then its saved metrics are printed: re-running setup stays fast);
 *   2. start the conv reference (model.kind conv, otherwise the defaults) in runs/reference-conv
 *      in a child process on one TensorFlow thread, beside steps 3 and 4 (it takes the longest);
 *   3. train (or reuse) runs/deep-64, the 784-500-500-2000-64 model whose codes cluster best, and
 *      fine-tune (or reuse) runs/deep-64-idec from it, notebook 06's IDEC model
 *      (ensureClusteringRuns, lib/train/idec.ts), then train (or reuse) the comparison runs
 *      notebooks 07–10 use (lib/apps/notebook-variants.ts) as one sweep on local Ray
 *      (lib/sweep/comparisons.ts);
 *   4. execute every notebook headless and export it to offline HTML in exports/ (what
 *      `npm run notebook -- export` does), unless the notebooks, the compiled library, the export code
 *      (template, executor) and the preset are unchanged since the last export (a stamp in
 *      exports/ records them), so a second setup run does not execute them again. Notebook 02
 *      is given the reference run ("train.runName": "reference" in its configOverrides, resume): it shows that run instead of
 *      training the same model a second time;
 *   5. wait for the conv reference and print its test metrics.
 * AE_QUICK=1 selects the quick preset everywhere (runs go to runs/quick).
 *   npm run main -- --retrain        train again even if the reference runs are complete
 *   npm run main -- --skip-notebooks  only the reference runs (no variants, no notebooks)
 *   npm run main -- --force-notebooks execute and export the notebooks even if up to date
 *   npm run main -- --skip-conv       without the conv reference
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { ensuredRunLine, ensureRun } from "../lib/apps/variants";
import { quickRequested, resolveConfig, type ConfigOverrides } from "../lib/config";
import { AutoencoderLabError } from "../lib/errors";
import type { ReconstructionReport } from "../lib/quality/metrics";
import { runFolder } from "../lib/runs/run-folder";
import { comparisonSweepSpec } from "../lib/sweep/comparisons";
import { terminalSweepProgress } from "../lib/sweep/progress";
import { runSweep } from "../lib/sweep/runner";
import { terminalReporter } from "../lib/train/progress";
import { formatReport } from "../lib/train/report";
import { listNotebooks } from "../lib/notebook/runner";
import { displayPath, projectPath } from "../lib/paths";
import { CLUSTERING_RUNS, ensureClusteringRuns } from "../lib/apps/clustering-runs";
import { notebookCli } from "./notebook";

export const REFERENCE_RUN = "reference";
/** The conv model's reference: the default config with model.kind conv. */
export const CONV_REFERENCE_RUN = "reference-conv";
const CONV_REFERENCE_OVERRIDES = { "model.kind": "conv" } as const;

/** What notebook 02 is given in the main job: the reference run it would otherwise train again. */
const NOTEBOOK_PARAMETERS: Record<string, Record<string, unknown>> = {
  "02-training.ipynb": {
    configOverrides: { "train.runName": REFERENCE_RUN } satisfies ConfigOverrides,
    resume: true,
  },
};

/**
 * Run a script of this folder in a child process, its lines prefixed; rejects with `onFailure`
 * when it fails. `threads` caps TensorFlow's intra-op threads in the child.
 */
function runChild(
  script: string,
  args: string[],
  label: string,
  onFailure: (why: string) => string,
  threads?: number,
): Promise<void> {
  const child = spawn(
    process.execPath,
    ["--require", "ts-node/register/transpile-only", path.join(__dirname, script), ...args],
    {
      cwd: projectPath(),
      env: {
        ...process.env,
        TS_NODE_TRANSPILE_ONLY: "1",
        ...(threads ? { TF_NUM_INTRAOP_THREADS: String(threads) } : {}),
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const prefix = `main [${label}]: `;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on("line", (line) => console.log(prefix + line));
  }
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new AutoencoderLabError(onFailure(signal ?? `exit ${code}`))),
    );
  });
}

/**
 * Train (or reuse) the conv reference in a child process on one TensorFlow thread, so the rest
 * of the job keeps the other core; rerunning the main job resumes it.
 */
function trainConvReference(retrain: boolean): Promise<void> {
  return runChild(
    "main.ts",
    ["--conv-reference-only", ...(retrain ? ["--retrain"] : [])],
    CONV_REFERENCE_RUN,
    (why) =>
      `training ${CONV_REFERENCE_RUN} failed (${why}); see the lines above, then run \`npm run main\` again to resume it.`,
    1,
  );
}

/** Reuse, resume or train one reference run and print its line and test metrics. */
async function ensureReference(
  name: string,
  overrides: Record<string, unknown>,
  retrain: boolean,
): Promise<void> {
  const base = resolveConfig();
  if (retrain) fs.rmSync(runFolder(name, base.train.runsDir), { recursive: true, force: true });
  // Reused when completed with this very config, resumed when killed or interrupted; one trained
  // with another config (the defaults changed) or unreadable is renamed aside, never deleted.
  const reference = await ensureRun(name, overrides, {
    base,
    reporter: terminalReporter(),
    variant: false,
  });
  console.log(`main: ${ensuredRunLine(reference)}`);
  if (reference.setAsideTo)
    console.log(`main: the previous ${name} run is kept in ${displayPath(reference.setAsideTo)}`);
  const metrics = reference.run.metrics as { test?: ReconstructionReport } | null;
  if (metrics?.test) console.log(formatReport(metrics.test));
}

function filesUnder(dir: string, extension = ".js"): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(extension))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/** A hash of what the exports depend on: notebooks, compiled library, export code, preset. */
function exportsFingerprint(): string {
  const hash = createHash("sha256");
  hash.update(quickRequested() ? "quick" : "default");
  const exportCode = [
    ...filesUnder(projectPath("templates", "nbconvert"), ""),
    projectPath("scripts", "execute_notebook.py"),
    projectPath("scripts", "nbexport.py"),
  ].filter((f) => fs.existsSync(f));
  for (const file of [
    ...listNotebooks(),
    ...filesUnder(projectPath("dist", "lib")),
    ...exportCode,
  ]) {
    hash.update(file);
    hash.update(fs.readFileSync(file));
  }
  return hash.digest("hex");
}

const STAMP = projectPath("exports", ".main-stamp");

async function exportNotebooks(force: boolean): Promise<void> {
  const fingerprint = exportsFingerprint();
  if (!force && fs.existsSync(STAMP) && fs.readFileSync(STAMP, "utf8") === fingerprint) {
    console.log(
      "main: notebook exports in exports/ are up to date (--force-notebooks to re-execute)",
    );
    return;
  }
  await notebookCli(["export"], { parameters: NOTEBOOK_PARAMETERS });
  fs.writeFileSync(STAMP, fingerprint);
}

async function main(argv: string[]): Promise<void> {
  const retrain = argv.includes("--retrain");
  if (argv.includes("--conv-reference-only")) {
    await ensureReference(CONV_REFERENCE_RUN, CONV_REFERENCE_OVERRIDES, retrain);
    return;
  }
  await ensureReference(REFERENCE_RUN, {}, retrain);
  const conv = argv.includes("--skip-conv") ? null : trainConvReference(retrain);
  // Settled now so a failure is reported after the rest, not as an unhandled rejection.
  const convDone = conv?.then(
    () => null,
    (error: unknown) => error,
  );
  try {
    if (!argv.includes("--skip-notebooks")) {
      // Notebook 06's clustering path, once: the deep parent, then its IDEC fine-tuning (a parent
      // retrained since is noticed and the fine-tuning redone).
      const { parent, tuned } = await ensureClusteringRuns({
        reporter: terminalReporter(),
        log: (line) => console.log(`main: ${CLUSTERING_RUNS.tuned}: ${line}`),
      });
      console.log(`main: ${ensuredRunLine(parent)} in ${parent.seconds.toFixed(0)} s`);
      console.log(
        `main: ${CLUSTERING_RUNS.tuned}: ${tuned.action} in ${tuned.seconds.toFixed(0)} s`,
      );
      // The comparison runs of notebooks 07–10, trained here with no cell timeout as one sweep on
      // local Ray (lib/sweep: a trial per run, 1 CPU each, as many at once as there are cores);
      // the notebooks then reuse them (completed runs with the same config).
      const started = performance.now();
      const sweep = await runSweep(comparisonSweepSpec(), {
        onOtherSpec: "replace",
        onProgress: terminalSweepProgress(),
      });
      const failed = sweep.trials.filter(
        (t) => t.status !== "completed" && t.status !== "early-stopping",
      );
      if (failed.length > 0) {
        throw new AutoencoderLabError(
          `comparison runs did not finish: ${failed.map((t) => `${t.run} (${t.error ?? t.status})`).join(", ")}; ` +
            `see ${displayPath(sweep.folder)}/logs, then run \`npm run main\` again to resume them.`,
        );
      }
      console.log(
        `main: variant runs ready in ${((performance.now() - started) / 1000).toFixed(0)} s`,
      );
      await exportNotebooks(argv.includes("--force-notebooks"));
    }
  } catch (error) {
    // The conv reference keeps its child process: let it finish (or fail) before reporting.
    await convDone;
    throw error;
  }
  if (convDone) {
    const started = performance.now();
    const error = await convDone;
    if (error) throw error;
    const waited = (performance.now() - started) / 1000;
    if (waited > 1) console.log(`main: waited ${waited.toFixed(0)} s for ${CONV_REFERENCE_RUN}`);
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof AutoencoderLabError ? `error: ${e.message}` : e);
  process.exit(1);
});
