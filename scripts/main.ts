/**
 * The main job, run by `npm run main` (and at the end of `bash scripts/setup.sh`):
 *   1. train the reference model (the default config: dense 784-256-64, 25 epochs on full MNIST)
 *      into runs/reference and evaluate it on the test set, unless that run already completed
 *      with the same config (then its saved metrics are printed: re-running setup stays fast);
 *   2. fine-tune (or reuse) runs/reference-idec, notebook 06's IDEC model (lib/train/idec.ts),
 *      and train (or reuse) the comparison runs notebooks 07–10 use (lib/apps/notebook-variants.ts);
 *   3. execute every notebook headless and export it to offline HTML in exports/ (what
 *      `npm run export` does), unless the notebooks, the compiled library, the export code
 *      (template, executor) and the preset are unchanged since the last export (a stamp in
 *      exports/ records them), so a second setup run does not train notebook 02 again.
 * AE_QUICK=1 selects the quick preset everywhere (runs go to runs/quick).
 *   npm run main -- --retrain        train again even if the reference run is complete
 *   npm run main -- --skip-notebooks  only the reference run (no variants, no notebooks)
 *   npm run main -- --force-notebooks execute and export the notebooks even if up to date
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { ensuredRunLine, ensureRun } from "../lib/apps/variants";
import { quickRequested, resolveConfig } from "../lib/config";
import { AutoencoderLabError } from "../lib/errors";
import type { ReconstructionReport } from "../lib/metrics";
import { runFolder } from "../lib/runs/run-folder";
import { terminalReporter } from "../lib/train/progress";
import { formatReport } from "../lib/train/report";
import { listNotebooks } from "../lib/notebook-runner";
import { projectPath } from "../lib/paths";
import { ensureDecRun, RECOMMENDED_DEC } from "../lib/train/idec";
import { exportNotebooksCli } from "./export";

export const REFERENCE_RUN = "reference";

/** Variant sets per process: about equal training time; rd-code-2 (shared) stays in one lane. */
const VARIANT_LANES = [["heldout"], ["denoising", "rate-distortion", "generation"]];

/** Train variant sets in a child process (scripts/train-variants.ts), its lines prefixed. */
function trainVariantLane(sets: string[]): Promise<void> {
  const child = spawn(
    process.execPath,
    [
      "--require",
      "ts-node/register/transpile-only",
      path.join(__dirname, "train-variants.ts"),
      ...sets,
    ],
    {
      cwd: projectPath(),
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const prefix = `main [${sets.join(", ")}]: `;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on("line", (line) => console.log(prefix + line));
  }
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, signal) =>
      code === 0
        ? resolve()
        : reject(
            new AutoencoderLabError(
              `training the variant runs ${sets.join(", ")} failed (${signal ?? `exit ${code}`}); ` +
                `see the lines above, then run \`npx ts-node --transpile-only scripts/train-variants.ts ${sets.join(" ")}\` to resume.`,
            ),
          ),
    );
  });
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
  const base = resolveConfig();
  if (retrain)
    fs.rmSync(runFolder(REFERENCE_RUN, base.train.runsDir), { recursive: true, force: true });
  // Reused when completed with this very config, resumed when killed or interrupted; one trained
  // with another config (the defaults changed) or unreadable is renamed aside, never deleted.
  const reference = await ensureRun(
    REFERENCE_RUN,
    {},
    {
      base,
      reporter: terminalReporter(),
      variant: false,
    },
  );
  console.log(`main: ${ensuredRunLine(reference)}`);
  if (reference.setAsideTo)
    console.log(`main: the previous reference run is kept in ${reference.setAsideTo}`);
  const metrics = reference.run.metrics as { test?: ReconstructionReport } | null;
  if (metrics?.test) console.log(formatReport(metrics.test));
  if (!argv.includes("--skip-notebooks")) {
    // Notebook 06's clustering-friendly model: IDEC fine-tuned from the reference run, once.
    const tuned = await ensureDecRun(`${REFERENCE_RUN}-idec`, REFERENCE_RUN, RECOMMENDED_DEC, {
      runsDir: base.train.runsDir,
      log: (line) => console.log(`main: ${REFERENCE_RUN}-idec: ${line}`),
    });
    console.log(`main: ${REFERENCE_RUN}-idec: ${tuned.action} in ${tuned.seconds.toFixed(0)} s`);
  }
  if (!argv.includes("--skip-notebooks")) {
    // The comparison runs of notebooks 07–10, trained here with no cell timeout; the notebooks
    // then reuse them (completed runs with the same config). Two lanes in two processes keep both
    // cores busy (each training is single-threaded; configs and results are as in one process).
    const started = performance.now();
    const lanes = await Promise.allSettled(VARIANT_LANES.map((sets) => trainVariantLane(sets)));
    const failed = lanes.find((l): l is PromiseRejectedResult => l.status === "rejected");
    if (failed) throw failed.reason;
    console.log(
      `main: variant runs ready in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
  }
  if (!argv.includes("--skip-notebooks")) await exportNotebooks(argv.includes("--force-notebooks"));
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof AutoencoderLabError ? `error: ${e.message}` : e);
  process.exit(1);
});
