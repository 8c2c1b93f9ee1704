/**
 * Every variant run notebooks 07–10 use, as named sets, so the main job and
 * scripts/train-variants.ts can train them before the notebooks run (the notebooks then reuse them:
 * same names, same configs).
 */
import { comparisonConfig } from "../config";
import { AutoencoderLabError } from "../errors";
import {
  DENOISING_DEFAULTS,
  GENERATION_DEFAULTS,
  HELD_OUT_DEFAULTS,
  RATE_DISTORTION_DEFAULTS,
} from "./defaults";
import { denoisingVariants } from "./denoise";
import { heldOutVariants } from "./heldout";
import {
  ensureRuns,
  variantBase,
  type EnsuredRun,
  type EnsureRunOptions,
  type VariantSpec,
} from "./variants";

export const VARIANT_SETS = ["denoising", "heldout", "rate-distortion", "generation"] as const;
export type VariantSet = (typeof VARIANT_SETS)[number];

/** One dense model per code size: `rd-code-<k>` (notebook 09; rd-code-2 also in notebook 10). */
export function rateDistortionVariants(codeSizes: readonly number[]): VariantSpec[] {
  return codeSizes.map((k) => ({ name: `rd-code-${k}`, overrides: { "model.codeSize": k } }));
}

/** Notebook 10: the 2-number autoencoder and the 2-number VAE `vae-2`. */
export function generationVariants(klWeight: number): VariantSpec[] {
  return [
    ...rateDistortionVariants([2]),
    {
      name: "vae-2",
      overrides: { "model.kind": "vae", "model.codeSize": 2, "model.klWeight": klWeight },
    },
  ];
}

/**
 * A set of variants and the epochs they train for at full settings (the comparison preset's; the
 * quick preset has its own).
 */
export interface VariantJob {
  set: VariantSet;
  epochs: number;
  specs: VariantSpec[];
}

/** The variant sets with the notebooks' default parameters (all four when `sets` is empty). */
export function notebookVariantJobs(sets: readonly string[] = []): VariantJob[] {
  for (const set of sets) {
    if (!(VARIANT_SETS as readonly string[]).includes(set)) {
      throw new AutoencoderLabError(
        `Unknown variant set "${set}": use ${VARIANT_SETS.join(", ")} (or none for all).`,
      );
    }
  }
  const wanted = (set: VariantSet) => sets.length === 0 || sets.includes(set);
  const jobs: VariantJob[] = [];
  const { epochs } = comparisonConfig().train;
  if (wanted("denoising")) {
    const { kinds, levels } = DENOISING_DEFAULTS;
    jobs.push({ set: "denoising", epochs, specs: denoisingVariants(kinds, levels) });
  }
  if (wanted("heldout")) {
    const { digits } = HELD_OUT_DEFAULTS;
    jobs.push({ set: "heldout", epochs, specs: heldOutVariants(digits) });
  }
  if (wanted("rate-distortion")) {
    const { codeSizes } = RATE_DISTORTION_DEFAULTS;
    jobs.push({ set: "rate-distortion", epochs, specs: rateDistortionVariants(codeSizes) });
  }
  if (wanted("generation")) {
    const { klWeight } = GENERATION_DEFAULTS;
    // rd-code-2 is also in the rate-distortion set: with both, train it once.
    const specs = generationVariants(klWeight).filter(
      (s) => !(wanted("rate-distortion") && s.name === "rd-code-2"),
    );
    jobs.push({ set: "generation", epochs, specs });
  }
  return jobs;
}

/**
 * Train (or reuse, or resume) every run of `jobs`, one set after another, each from the
 * comparison preset with its set's epochs (variantBase), exactly as the notebooks ask for them.
 */
export async function trainVariantJobs(
  jobs: readonly VariantJob[],
  options: Pick<EnsureRunOptions, "reporter" | "signal"> & {
    onRun?: (run: EnsuredRun) => void;
  } = {},
): Promise<EnsuredRun[]> {
  const runs: EnsuredRun[] = [];
  for (const job of jobs) {
    runs.push(
      ...(await ensureRuns(job.specs, {
        base: variantBase(),
        reporter: options.reporter,
        signal: options.signal,
        onRun: (run) => options.onRun?.(run),
      })),
    );
  }
  return runs;
}
