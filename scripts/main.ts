/**
 * The main job, run by `npm run main` (and at the end of `bash scripts/setup.sh`):
 *   1. train the reference model (the default config: dense 784-256-64, 25 epochs on full MNIST)
 *      into runs/reference and evaluate it on the test set, unless that run already completed
 *      with the same config (then its saved metrics are printed: re-running setup stays fast);
 *   2. execute every notebook headless and export it to offline HTML in exports/ (what
 *      `npm run export` does), unless the notebooks, the compiled library, the export code
 *      (template, executor) and the preset are unchanged since the last export (a stamp in
 *      exports/ records them), so a second setup run does not train notebook 02 again.
 * AE_QUICK=1 selects the quick preset everywhere (runs go to runs/quick).
 *   npm run main -- --retrain        train again even if the reference run is complete
 *   npm run main -- --skip-notebooks  only the training step
 *   npm run main -- --force-notebooks execute and export the notebooks even if up to date
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { quickRequested, resolveConfig, type ExperimentConfig } from "../lib/config";
import { AutoencoderLabError } from "../lib/errors";
import type { ReconstructionReport } from "../lib/metrics";
import { loadRun, RunError, runFolder } from "../lib/runs/run-folder";
import { runExperiment } from "../lib/train/experiment";
import { terminalReporter } from "../lib/train/progress";
import { formatReport } from "../lib/train/report";
import { listNotebooks } from "../lib/notebook-runner";
import { projectPath } from "../lib/paths";
import { exportNotebooksCli } from "./export";

export const REFERENCE_RUN = "reference";

type ReferenceState =
  { kind: "absent" } | { kind: "complete"; metrics: ReconstructionReport } | { kind: "unfinished" };

/**
 * What to do with runs/reference: train it (absent), reuse it (completed with this very config),
 * or resume it (same config, killed or interrupted). A reference trained with another config
 * (the defaults changed) is renamed aside, never deleted, and a new one is trained.
 */
function referenceState(config: ExperimentConfig): ReferenceState {
  const folder = runFolder(REFERENCE_RUN, config.train.runsDir);
  if (!fs.existsSync(folder)) return { kind: "absent" };
  const setAside = (why: string, stamp: string): ReferenceState => {
    const aside = `${folder}-${stamp.replace(/[-:.]/g, "").slice(0, 15)}`;
    fs.renameSync(folder, aside);
    console.log(`main: ${folder} ${why}; kept it as ${aside} and will train a new one`);
    return { kind: "absent" };
  };
  let run: ReturnType<typeof loadRun>;
  try {
    run = loadRun(folder);
  } catch (error) {
    // Written by an older version (config keys changed) or damaged: keep it, train afresh.
    if (!(error instanceof RunError)) throw error;
    console.log(`main: ${error.message}`);
    return setAside("cannot be loaded", fs.statSync(folder).mtime.toISOString());
  }
  if (JSON.stringify(run.config) !== JSON.stringify(config)) {
    return setAside("was trained with another config", run.record.createdAt);
  }
  if (run.record.status === "completed" && run.metrics) {
    return { kind: "complete", metrics: (run.metrics as { test: ReconstructionReport }).test };
  }
  return { kind: "unfinished" };
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
  await exportNotebooksCli([]);
  fs.writeFileSync(STAMP, fingerprint);
}

async function main(argv: string[]): Promise<void> {
  const retrain = argv.includes("--retrain");
  const config = resolveConfig({ train: { runName: REFERENCE_RUN } });
  if (retrain)
    fs.rmSync(runFolder(REFERENCE_RUN, config.train.runsDir), { recursive: true, force: true });
  const state = referenceState(config);
  if (state.kind === "complete") {
    console.log(
      `main: reference run already trained (${runFolder(REFERENCE_RUN, config.train.runsDir)}); --retrain to train again`,
    );
    console.log(formatReport(state.metrics));
  } else {
    if (state.kind === "unfinished")
      console.log("main: resuming the unfinished reference run from its last checkpoint");
    const result = await runExperiment(config, {
      reporter: terminalReporter(),
      resume: state.kind === "unfinished",
    });
    if (result.metrics) console.log(formatReport(result.metrics));
    result.model.dispose();
  }
  if (!argv.includes("--skip-notebooks")) await exportNotebooks(argv.includes("--force-notebooks"));
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof AutoencoderLabError ? `error: ${e.message}` : e);
  process.exit(1);
});
