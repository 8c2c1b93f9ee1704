/**
 * Held-out class detection: for each class d, a model trained without d (data.excludeClasses)
 * scores the whole test set; the images of d are the anomalies. A hard, realistic test: the
 * anomalies are digits too, drawn with the same pen, unlike noise or clothing.
 */
import type { Dataset } from "../data/types";
import { prepareDataset } from "../data/prepare";
import { loadRunModel, type LoadedRun } from "../runs/run-folder";
import {
  ANOMALY_SCORES,
  AnomalyInputError,
  createAnomalyScorer,
  heldOutDetection,
  type AnomalyScoreName,
} from "./anomaly";
import type { RocCurve } from "./roc";
import type { VariantSpec } from "./variants";

/** The run name of the model trained without class `held`, e.g. "heldout-3". */
export function heldOutRunName(held: number): string {
  return `heldout-${held}`;
}

/** One variant per class: trained without it. `extra` overrides apply to all (e.g. epochs). */
export function heldOutVariants(
  classes: readonly number[],
  extra: Record<string, unknown> = {},
): VariantSpec[] {
  return classes.map((held) => ({
    name: heldOutRunName(held),
    overrides: { ...extra, "data.excludeClasses": [held] },
  }));
}

export interface HeldOutResult {
  /** The class left out of training. */
  held: number;
  run: string;
  /** ROC curve of each score, images of `held` as positives, the rest of the test set negatives. */
  curves: Record<AnomalyScoreName, RocCurve>;
}

/**
 * Score the test set of `dataset` with each held-out run (trained with exactly one excluded
 * class) and measure how well each score singles out the held-out class. The latent Gaussian of
 * each model is fitted to its own training split. Models are loaded one at a time and disposed.
 */
export async function heldOutStudy(
  runs: readonly LoadedRun[],
  dataset: Dataset,
  scores: readonly AnomalyScoreName[] = ANOMALY_SCORES,
): Promise<HeldOutResult[]> {
  const results: HeldOutResult[] = [];
  for (const run of runs) {
    const excluded = run.config.data.excludeClasses ?? [];
    if (excluded.length !== 1) {
      throw new AnomalyInputError(
        `Run ${run.record.name} excludes [${excluded.join(", ")}]: a held-out study needs runs trained without exactly one class.`,
      );
    }
    const data = prepareDataset(dataset, run.config.data, run.config.seed);
    const model = await loadRunModel(run);
    try {
      const scorer = createAnomalyScorer(model, data.train, data.shape);
      const test = scorer.score(data.test);
      results.push({
        held: excluded[0],
        run: run.record.name,
        curves: heldOutDetection(test, data.test.labels, excluded[0], scores),
      });
    } finally {
      model.dispose();
    }
  }
  return results;
}

/** Table rows: one per held-out class, the AUROC of each score as a column, and the mean row. */
export function heldOutTable(results: readonly HeldOutResult[]): Record<string, unknown>[] {
  if (results.length === 0) return [];
  const names = Object.keys(results[0].curves) as AnomalyScoreName[];
  const rows: Record<string, unknown>[] = results.map((r) => ({
    "held-out class": String(r.held),
    ...Object.fromEntries(names.map((n) => [`${n} AUROC`, Number(r.curves[n].auroc.toFixed(3))])),
  }));
  rows.push({
    "held-out class": "mean",
    ...Object.fromEntries(
      names.map((n) => [
        `${n} AUROC`,
        Number((results.reduce((s, r) => s + r.curves[n].auroc, 0) / results.length).toFixed(3)),
      ]),
    ),
  });
  return rows;
}
