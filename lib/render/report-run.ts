/**
 * A saved run as the report figures see it: the run's handle (lib/runs/open-run.ts, the same door
 * the notebooks use: test set, model, codes cached in runs/<name>/codes, the seeded sample, its
 * PCA, t-SNE and UMAP maps cached in runs/<name>/codes/embeddings) plus what only the figures
 * need: the test reconstructions and their per-image errors, computed once. The analysis
 * settings are the run's config.analysis (t-SNE iterations, UMAP minDist, ...) and the notebooks'
 * seed 42, so the figures match notebooks 04–06.
 */
import type { AnalysisConfig } from "../config";
import { pixelsPerImage } from "../data/types";
import { perImageError, type PerImageErrorKind } from "../quality/metrics";
import { openRun, type RunEmbedding, type RunHandle } from "../runs/open-run";
import { runFolder } from "../runs/run-folder";
import { reconstructSet } from "../model/inference";

/** Settings of the latent-space figures beyond the run's config.analysis. */
export interface ReportRunOptions {
  /** Seed of the code sample, the gallery, t-SNE, UMAP and k-means. Default 42 (the notebooks'). */
  seed?: number;
  /** t-SNE gradient steps. Default: analysis.tsneIterations (1000, as notebook 05). */
  tsneIterations?: number;
  /** UMAP min_dist. Default: analysis.umapMinDist (0.1, as notebook 05). */
  umapMinDist?: number;
  /** Overrides of the run's config.analysis (e.g. a smaller sampleCount). */
  analysis?: Partial<AnalysisConfig>;
}

/** A 2-D map of the code sample, with the settings it was made with. */
export type ReportEmbedding = RunEmbedding;

export interface ReportRun extends RunHandle {
  /** Reconstructions of the test set, [count, pixels], computed once. */
  reconstructions(): Promise<Float32Array>;
  /**
   * Per-image BCE or MSE of the test reconstructions (lib/quality/metrics perImageError), computed once
   * per kind. (Not reconstruction-analysis' perImageErrors: the figures need no SSIM, which
   * costs time on 10,000 images and needs images of at least 11×11 pixels.)
   */
  errors(kind: PerImageErrorKind): Promise<Float32Array>;
}

/** Open a run folder (name under `runsDir`, or a path) for the report figures. */
export function openReportRun(
  nameOrPath: string,
  runsDir = "runs",
  options: ReportRunOptions = {},
): ReportRun {
  // By folder, as `npm run figures -- --run` always did: any run folder, finished or not.
  const run = openRun(runFolder(nameOrPath, runsDir), {
    seed: options.seed,
    analysis: options.analysis,
  });
  const { tsne, umap, dispose } = run;
  let reconstructions: Promise<Float32Array> | undefined;
  const errors = new Map<PerImageErrorKind, Promise<Float32Array>>();
  const reconstruct = () =>
    (reconstructions ??= (async () => {
      const { set, shape } = await run.testSet();
      return reconstructSet(await run.model(), set, pixelsPerImage(shape));
    })());
  return Object.assign(run, {
    reconstructions: reconstruct,
    errors: (kind: PerImageErrorKind) => {
      let value = errors.get(kind);
      if (!value) {
        value = (async () => {
          const { set, shape } = await run.testSet();
          return perImageError(set.images, await reconstruct(), pixelsPerImage(shape), kind);
        })();
        errors.set(kind, value);
      }
      return value;
    },
    tsne: (settings = {}) => tsne({ iterations: options.tsneIterations, ...settings }),
    umap: (settings = {}) => umap({ minDist: options.umapMinDist, ...settings }),
    dispose: () => {
      reconstructions = undefined;
      errors.clear();
      dispose();
    },
  } satisfies Partial<ReportRun>);
}
