/**
 * The recommended clustering path (docs/clustering.md) as two runs: the deep 784-500-500-2000-64
 * parent, trained like any comparison run, and its IDEC fine-tuning (lib/train/idec.ts).
 */
import {
  deepClusteringOverrides,
  resolveConfig,
  type ConfigOverrides,
  type ExperimentConfig,
} from "../config";
import type { ProgressReporter } from "../train/experiment";
import { ensureDecRun, RECOMMENDED_DEC, type FineTuneOptions } from "../train/idec";
import { ensureRun, type EnsuredRun } from "./variants";

/**
 * The recommended clustering path's two runs: the deep 784-500-500-2000-64 parent
 * (deepClusteringOverrides) and its IDEC fine-tuning with RECOMMENDED_DEC. The main job makes
 * both; notebook 06 loads them.
 */
export const CLUSTERING_RUNS = { parent: "deep-64", tuned: "deep-64-idec" } as const;

export interface EnsureClusteringRunsOptions extends FineTuneOptions {
  /** Defaults (and runsDir) the parent's overrides apply to; default resolveConfig(). */
  base?: ExperimentConfig;
  /** Added to deepClusteringOverrides() (e.g. another dataset); then name the runs too. */
  overrides?: ConfigOverrides;
  /** Run names; default CLUSTERING_RUNS. */
  names?: { parent: string; tuned: string };
  /** Epoch progress of the parent's training. */
  reporter?: ProgressReporter;
}

/**
 * The recommended parent and its IDEC fine-tuning, each reused when complete with the same
 * config (the fine-tuning also from the very same parent), resumed when stopped, trained when
 * absent: the parent with ensureRun, the fine-tuning with ensureDecRun and RECOMMENDED_DEC.
 */
export async function ensureClusteringRuns(
  options: EnsureClusteringRunsOptions = {},
): Promise<{ parent: EnsuredRun; tuned: Awaited<ReturnType<typeof ensureDecRun>> }> {
  const base = options.base ?? resolveConfig();
  const names = options.names ?? CLUSTERING_RUNS;
  const overrides = resolveConfig(
    options.overrides ?? {},
    resolveConfig(deepClusteringOverrides(), base),
  );
  const parent = await ensureRun(
    names.parent,
    {},
    {
      base: overrides,
      reporter: options.reporter,
      variant: true,
    },
  );
  const tuned = await ensureDecRun(names.tuned, names.parent, RECOMMENDED_DEC, {
    ...options,
    runsDir: base.train.runsDir,
  });
  return { parent, tuned };
}
