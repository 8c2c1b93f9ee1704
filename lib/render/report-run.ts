/**
 * A saved run as the report figures see it: its folder contents, plus everything the figures
 * share, loaded or computed on first use and only once per run (nothing is trained): the test
 * set, the model, the test reconstructions and their per-image errors, the test codes (cached in
 * runs/<name>/codes), a seeded sample of them, their PCA, and the t-SNE and UMAP maps of the
 * sample (cached in runs/<name>/codes/embeddings, lib/latent/embedding-cache.ts). The analysis
 * settings are the run's config.analysis (t-SNE iterations, UMAP minDist, ...) and the notebooks'
 * seed 42, so the figures match notebooks 04–06.
 */
import * as path from "node:path";
import type { Autoencoder } from "../model/autoencoder";
import { initBackend } from "../backend/select";
import { resolveConfig, type AnalysisConfig } from "../config";
import { loadDataset } from "../data/load";
import { headImages } from "../data/prepare";
import { pixelsPerImage, type ImageSet, type ImageShape } from "../data/types";
import {
  codesFolder,
  loadOrEncodeCodes,
  sampleCodes,
  type CodesSample,
  type RunCodes,
} from "../latent/codes";
import { loadOrComputeEmbedding, type CachedEmbedding } from "../latent/embedding-cache";
import { fitPca, type PcaModel } from "../ml/pca";
import { tsne } from "../ml/tsne";
import { umapEmbed } from "../ml/umap";
import { perImageError, type PerImageErrorKind } from "../quality/metrics";
import { loadRun, loadRunModel, type LoadedRun } from "../runs/run-folder";
import { reconstructSet } from "../train/evaluate";

/** The run's test set as its training saw it (data.testLimit applied). */
export interface ReportTestSet {
  set: ImageSet;
  shape: ImageShape;
  classNames: string[];
}

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
export interface ReportEmbedding extends CachedEmbedding {
  /** Settings as shown in titles, e.g. "perplexity 30, 1000 iterations". */
  settings: string;
}

export interface ReportRun {
  /** The run's name (its folder's name). */
  name: string;
  /** Record, config, history, metrics. */
  run: LoadedRun;
  /** True when the run trained to the end (a final model and test metrics exist). */
  finished: boolean;
  /** The run's config.analysis with the options' overrides. */
  analysis: AnalysisConfig;
  /** Seed of every random choice of the figures. */
  seed: number;
  /** The test set, loaded once. */
  testSet(): Promise<ReportTestSet>;
  /** The final model, loaded once (disposed by dispose()). */
  model(): Promise<Autoencoder>;
  /** Reconstructions of the test set, [count, pixels], computed once. */
  reconstructions(): Promise<Float32Array>;
  /**
   * Per-image BCE or MSE of the test reconstructions (lib/quality/metrics perImageError), computed once
   * per kind. (Not reconstruction-analysis' perImageErrors: the figures need no SSIM, which
   * costs time on 10,000 images and needs images of at least 11×11 pixels.)
   */
  errors(kind: PerImageErrorKind): Promise<Float32Array>;
  /** The test codes (runs/<name>/codes, encoded and cached when missing or stale). */
  codes(): Promise<RunCodes>;
  /** The seeded sample of analysis.sampleCount test codes the maps and clusters use. */
  sample(): Promise<CodesSample>;
  /** PCA of every test code (all components). */
  pca(): Promise<PcaModel>;
  /** t-SNE of the sample (cached next to the codes). */
  tsne(): Promise<ReportEmbedding>;
  /** UMAP of the sample (cached next to the codes). */
  umap(): Promise<ReportEmbedding>;
  /** Free the model's tensors. */
  dispose(): void;
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= make());
}

/** t-SNE perplexity must stay below n / 3 for the neighbour graph: lowered for tiny samples. */
export function usablePerplexity(perplexity: number, n: number): number {
  return Math.min(perplexity, Math.max(1, Math.floor((n - 1) / 3)));
}

/** Open a run folder (name under `runsDir`, or a path) for the report figures. */
export function openReportRun(
  nameOrPath: string,
  runsDir = "runs",
  options: ReportRunOptions = {},
): ReportRun {
  const run = loadRun(nameOrPath, runsDir);
  const analysis: AnalysisConfig = {
    ...resolveConfig({}).analysis,
    ...run.config.analysis,
    ...options.analysis,
  };
  const seed = options.seed ?? 42;
  const tsneIterations = options.tsneIterations ?? analysis.tsneIterations;
  const umapMinDist = options.umapMinDist ?? analysis.umapMinDist;
  let loadedModel: Autoencoder | undefined;
  const testSet = once(async () => {
    const dataset = await loadDataset(run.config.data);
    return {
      set: headImages(dataset.test, dataset.shape, run.config.data.testLimit ?? Infinity),
      shape: dataset.shape,
      classNames: dataset.classNames,
    };
  });
  const model = once(async () => {
    await initBackend("auto");
    loadedModel = await loadRunModel(run);
    return loadedModel;
  });
  const reconstructions = once(async () => {
    const { set, shape } = await testSet();
    return reconstructSet(await model(), set, pixelsPerImage(shape));
  });
  const errorsByKind = new Map<PerImageErrorKind, Promise<Float32Array>>();
  const errors = (kind: PerImageErrorKind) => {
    let value = errorsByKind.get(kind);
    if (!value) {
      value = (async () => {
        const { set, shape } = await testSet();
        return perImageError(set.images, await reconstructions(), pixelsPerImage(shape), kind);
      })();
      errorsByKind.set(kind, value);
    }
    return value;
  };
  const codes = once(() => loadOrEncodeCodes(run, "test"));
  const sample = once(async () => sampleCodes(await codes(), analysis.sampleCount, seed));
  const pca = once(async () => {
    const c = await codes();
    return fitPca(c.codes, c.n, c.dim);
  });
  const embeddingsFolder = path.join(codesFolder(run.folder), "embeddings");
  const embed = async (
    method: string,
    settings: string,
    embedOptions: Record<string, unknown>,
    compute: (s: CodesSample) => Float32Array,
  ): Promise<ReportEmbedding> => {
    const [c, s] = [await codes(), await sample()];
    const cached = await loadOrComputeEmbedding(
      {
        folder: embeddingsFolder,
        method,
        options: embedOptions,
        fingerprint: c.fingerprint,
        points: s.points,
        n: s.n,
        dim: s.dim,
      },
      () => compute(s),
    );
    return { ...cached, settings };
  };
  const tsneMap = once(async () => {
    const n = (await sample()).n;
    const perplexity = usablePerplexity(analysis.tsnePerplexity, n);
    const lowered = perplexity < analysis.tsnePerplexity ? ` (lowered for ${n} points)` : "";
    return embed(
      "tsne",
      `perplexity ${perplexity}${lowered}, ${tsneIterations} iterations`,
      { perplexity, iterations: tsneIterations, seed },
      (s) => tsne(s.points, s.n, s.dim, { perplexity, iterations: tsneIterations, seed }),
    );
  });
  const umapMap = once(async () => {
    const n = (await sample()).n;
    const neighbors = Math.min(analysis.umapNeighbors, n - 1);
    return embed(
      "umap",
      `${neighbors} neighbours, minDist ${umapMinDist}`,
      { neighbors, minDist: umapMinDist, seed },
      (s) => umapEmbed(s.points, s.n, s.dim, { neighbors, minDist: umapMinDist, seed }),
    );
  });
  return {
    name: run.record.name,
    run,
    finished: run.record.status === "completed" || run.record.status === "early-stopping",
    analysis,
    seed,
    testSet,
    model,
    reconstructions,
    errors,
    codes,
    sample,
    pca,
    tsne: tsneMap,
    umap: umapMap,
    dispose: () => {
      loadedModel?.dispose();
    },
  };
}
