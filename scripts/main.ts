/**
 * The main job, run by `npm run main` (and at the end of `bash scripts/setup.sh`):
 *   1. train the reference model (the default config: dense 784-256-64, 25 epochs on full MNIST)
 *      into runs/reference and evaluate it on the test set, unless that run already completed
 *      with the same config (then its saved metrics are printed: re-running setup stays fast);
 *   2. execute every notebook headless and export it to HTML in exports/.
 * AE_QUICK=1 selects the quick preset everywhere (runs go to runs/quick).
 *   npm run main -- --retrain        train again even if the reference run is complete
 *   npm run main -- --skip-notebooks  only the training step
 */
import * as fs from "node:fs";
import { resolveConfig, type ExperimentConfig } from "../lib/config";
import { AutoencoderLabError } from "../lib/errors";
import type { ReconstructionReport } from "../lib/metrics";
import { loadRun, runFolder } from "../lib/runs/run-folder";
import { runExperiment } from "../lib/train/experiment";
import { terminalReporter } from "../lib/train/progress";
import { formatReport } from "../lib/train/report";
import { runNotebooksCli } from "./run-notebooks";

export const REFERENCE_RUN = "reference";

/** The completed reference run's metrics if it was trained with exactly this config, else null. */
function completedReference(config: ExperimentConfig): ReconstructionReport | null {
  const folder = runFolder(REFERENCE_RUN, config.train.runsDir);
  if (!fs.existsSync(folder)) return null;
  const run = loadRun(folder);
  const same = JSON.stringify(run.config) === JSON.stringify(config);
  if (run.record.status !== "completed" || !same || !run.metrics) {
    throw new AutoencoderLabError(
      `runs folder ${folder} holds a reference run that is ${run.record.status}` +
        `${same ? "" : " with a different config"}. Resume it (npm run train -- --resume --run ${REFERENCE_RUN}` +
        `${config.train.runsDir !== "runs" ? ` --train.runsDir ${config.train.runsDir}` : ""}) or retrain with npm run main -- --retrain.`,
    );
  }
  return (run.metrics as { test: ReconstructionReport }).test;
}

async function main(argv: string[]): Promise<void> {
  const retrain = argv.includes("--retrain");
  const config = resolveConfig({ train: { runName: REFERENCE_RUN } });
  if (retrain)
    fs.rmSync(runFolder(REFERENCE_RUN, config.train.runsDir), { recursive: true, force: true });
  const saved = completedReference(config);
  if (saved) {
    console.log(
      `main: reference run already trained (${runFolder(REFERENCE_RUN, config.train.runsDir)}); --retrain to train again`,
    );
    console.log(formatReport(saved));
  } else {
    const result = await runExperiment(config, { reporter: terminalReporter() });
    if (result.metrics) console.log(formatReport(result.metrics));
    result.model.dispose();
  }
  if (!argv.includes("--skip-notebooks")) await runNotebooksCli([]);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof AutoencoderLabError ? `error: ${e.message}` : e);
  process.exit(1);
});
