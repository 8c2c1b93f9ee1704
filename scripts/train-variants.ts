/**
 * Train (or reuse) the variant runs of notebooks 07–10 ahead of the notebooks, as one sweep on
 * local Ray (lib/sweep/comparisons.ts; RAY_ADDRESS or --address for a cluster), with no per-cell
 * timeout (the main job runs the same sweep before the notebooks):
 *   npx ts-node --transpile-only scripts/train-variants.ts                  every set
 *   npx ts-node --transpile-only scripts/train-variants.ts denoising        denoise-<kind>-<level>, denoise-none
 *   npx ts-node --transpile-only scripts/train-variants.ts heldout          heldout-0 .. heldout-9
 *   npx ts-node --transpile-only scripts/train-variants.ts rate-distortion  rd-code-2 .. rd-code-128
 *   npx ts-node --transpile-only scripts/train-variants.ts generation       rd-code-2, vae-2
 * Options: --epochs N (default: the config's comparison preset, lib/config.ts; ignored with
 * AE_QUICK=1, which uses the quick preset as the notebooks do). Runs that completed with the same
 * config are reused, so the notebooks then only load them. Ctrl-C stops the sweep; running the
 * script again resumes it.
 */
import { quickRequested } from "../lib/config";
import { AutoencoderLabError } from "../lib/errors";
import { comparisonSweepSpec } from "../lib/sweep/comparisons";
import { sweepTable, terminalSweepProgress } from "../lib/sweep/progress";
import { runSweep } from "../lib/sweep/runner";

async function main(argv: string[]): Promise<number> {
  const at = argv.indexOf("--epochs");
  const epochsFlag = at >= 0 ? Number(argv[at + 1]) : null;
  if (at >= 0 && !(Number.isInteger(epochsFlag) && (epochsFlag as number) > 0)) {
    throw new AutoencoderLabError(`--epochs needs a positive integer, got ${argv[at + 1]}.`);
  }
  const addressAt = argv.indexOf("--address");
  const address = addressAt >= 0 ? argv[addressAt + 1] : null;
  const sets = argv.filter(
    (a, i) => !a.startsWith("--") && argv[i - 1] !== "--epochs" && argv[i - 1] !== "--address",
  );
  if (quickRequested()) console.error("AE_QUICK=1: quick preset");
  const controller = new AbortController();
  process.on("SIGINT", () => {
    console.error("\ninterrupt: stopping the sweep; run again to resume");
    controller.abort();
  });
  const started = performance.now();
  const sweep = await runSweep(comparisonSweepSpec(sets, epochsFlag), {
    address,
    signal: controller.signal,
    onOtherSpec: "replace",
    onProgress: terminalSweepProgress(),
  });
  console.log(sweepTable(sweep));
  console.log(`train-variants: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return sweep.trials.every((t) => t.status === "completed" || t.status === "early-stopping")
    ? 0
    : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof AutoencoderLabError ? `error: ${e.message}` : e);
    process.exit(1);
  },
);
