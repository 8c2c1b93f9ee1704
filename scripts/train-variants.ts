/**
 * Train (or reuse) the variant runs of notebooks 07–10 ahead of the notebooks, in a terminal
 * with a progress bar and no per-cell timeout (the main job does the same before the notebooks):
 *   npx ts-node --transpile-only scripts/train-variants.ts                  every set
 *   npx ts-node --transpile-only scripts/train-variants.ts denoising        denoise-<kind>-<level>, denoise-none
 *   npx ts-node --transpile-only scripts/train-variants.ts heldout          heldout-0 .. heldout-9
 *   npx ts-node --transpile-only scripts/train-variants.ts rate-distortion  rd-code-2 .. rd-code-128
 *   npx ts-node --transpile-only scripts/train-variants.ts generation       rd-code-2, vae-2
 * Options: --epochs N (default: the notebooks' defaults in lib/apps/defaults.ts; ignored with
 * AE_QUICK=1, which uses the quick preset as the notebooks do). Runs that completed with the same config are reused, so the notebooks then only
 * load them. Ctrl-C stops after the current batch; running the script again resumes.
 */
import { notebookVariantJobs, trainVariantJobs } from "../lib/apps/notebook-variants";
import { ensuredRunLine } from "../lib/apps/variants";
import { quickRequested } from "../lib/config";
import { AutoencoderLabError } from "../lib/errors";
import { terminalReporter } from "../lib/train/progress";

async function main(argv: string[]): Promise<void> {
  const at = argv.indexOf("--epochs");
  const epochsFlag = at >= 0 ? Number(argv[at + 1]) : null;
  if (at >= 0 && !(Number.isInteger(epochsFlag) && (epochsFlag as number) > 0)) {
    throw new AutoencoderLabError(`--epochs needs a positive integer, got ${argv[at + 1]}.`);
  }
  const sets = argv.filter((a, i) => !a.startsWith("--") && argv[i - 1] !== "--epochs");
  const jobs = notebookVariantJobs(sets).map((job) => ({
    ...job,
    epochs: epochsFlag ?? job.epochs,
  }));
  if (quickRequested()) console.error("AE_QUICK=1: quick preset");
  const controller = new AbortController();
  process.on("SIGINT", () => {
    if (controller.signal.aborted) process.exit(130);
    console.error("\ninterrupt: stopping after this batch; run again to resume");
    controller.abort();
  });
  const started = performance.now();
  await trainVariantJobs(jobs, {
    reporter: terminalReporter(),
    signal: controller.signal,
    onRun: (run) => console.log(ensuredRunLine(run)),
  });
  console.log(`train-variants: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof AutoencoderLabError ? `error: ${e.message}` : e);
  process.exit(1);
});
