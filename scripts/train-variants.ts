/**
 * Train (or reuse) the variant runs of notebooks 07 and 08 ahead of the notebooks, in a terminal
 * with a progress bar and no per-cell timeout:
 *   npx ts-node --transpile-only scripts/train-variants.ts            both sets
 *   npx ts-node --transpile-only scripts/train-variants.ts denoising  denoise-<kind>-<level>, denoise-none
 *   npx ts-node --transpile-only scripts/train-variants.ts heldout    heldout-0 .. heldout-9
 * Options: --epochs N (default 5; ignored with AE_QUICK=1, which uses the quick preset as the
 * notebooks do). Runs that completed with the same config are reused, so the notebooks then only
 * load them. Ctrl-C stops after the current batch; running the script again resumes.
 */
import { DENOISING_DEFAULTS, HELD_OUT_DEFAULTS } from "../lib/apps/defaults";
import { denoisingVariants } from "../lib/apps/denoise";
import { heldOutVariants } from "../lib/apps/heldout";
import { ensureRuns, ensuredRunLine, variantBase, type VariantSpec } from "../lib/apps/variants";
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
  for (const set of sets) {
    if (set !== "denoising" && set !== "heldout") {
      throw new AutoencoderLabError(
        `Unknown variant set "${set}": use denoising, heldout, or none for both.`,
      );
    }
  }
  const wanted = sets.length > 0 ? sets : ["denoising", "heldout"];
  const jobs: Array<{ epochs: number; specs: VariantSpec[] }> = [];
  if (wanted.includes("denoising")) {
    const { kinds, levels, epochs } = DENOISING_DEFAULTS;
    jobs.push({ epochs: epochsFlag ?? epochs, specs: denoisingVariants(kinds, levels) });
  }
  if (wanted.includes("heldout")) {
    jobs.push({
      epochs: epochsFlag ?? HELD_OUT_DEFAULTS.epochs,
      specs: heldOutVariants(HELD_OUT_DEFAULTS.digits),
    });
  }
  if (quickRequested()) console.error("AE_QUICK=1: quick preset");
  const controller = new AbortController();
  process.on("SIGINT", () => {
    if (controller.signal.aborted) process.exit(130);
    console.error("\ninterrupt: stopping after this batch; run again to resume");
    controller.abort();
  });
  const started = performance.now();
  for (const job of jobs) {
    await ensureRuns(job.specs, {
      base: variantBase(job.epochs),
      reporter: terminalReporter(),
      signal: controller.signal,
      onRun: (run) => console.log(ensuredRunLine(run)),
    });
  }
  console.log(`train-variants: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof AutoencoderLabError ? `error: ${e.message}` : e);
  process.exit(1);
});
