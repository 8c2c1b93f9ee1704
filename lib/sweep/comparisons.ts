/**
 * The main job's comparison runs (notebooks 07–10: denoising, held-out digits, rate–distortion
 * code sizes, generation) as one sweep of named variants, run by the sweep runner on Ray: each
 * run keeps the name and config the notebooks ask for, so they reuse it.
 */
import { notebookVariantJobs } from "../apps/notebook-variants";
import { quickRequested } from "../config";
import { validateSweepSpec, type SweepSpec } from "./spec";

/**
 * The sweep of the notebooks' variant sets (all four when `sets` is empty). Each run trains for
 * its set's epochs at full settings (`epochs` overrides them all), or the quick preset's own
 * epochs under AE_QUICK=1, exactly as the notebooks' variantBase does.
 */
export function comparisonSweepSpec(
  sets: readonly string[] = [],
  epochs: number | null = null,
): SweepSpec {
  const quick = quickRequested();
  const variants = notebookVariantJobs(sets).flatMap((job) =>
    job.specs.map((variant) => ({
      name: variant.name,
      overrides: {
        ...(variant.overrides as Record<string, unknown>),
        ...(quick ? {} : { "train.epochs": epochs ?? job.epochs }),
      },
    })),
  );
  const name = sets.length === 0 ? "comparisons" : `comparisons-${[...sets].sort().join("-")}`;
  return validateSweepSpec({
    name,
    preset: quick ? "quick" : "default",
    variants,
    maxFailures: 2,
  });
}
