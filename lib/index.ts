/**
 * The notebook facade: what the notebooks call as `ae.<name>` (`import * as ae from "../dist/lib"`),
 * and nothing else. Each name here is used by a notebook or named in the README or docs/
 * (test/unit/public-surface.test.ts checks it). The numerics package is one namespace, `ae.ml`
 * (lib/ml: PCA, k-means, GMM, t-SNE, UMAP, neighbours, cluster metrics). Scripts, benches and
 * tests import the modules they need directly.
 */

// Configuration: one typed config, its presets and overrides
export { quickRequested, resolveConfig } from "./config";
export type { ConfigOverrides } from "./config";
export { createRng, deriveSeed } from "./random";
export { displayPath, projectPath } from "./paths";

// Datasets: loading, preparing, exploring
export {
  classCountsBySplit,
  classCountsTable,
  datasetSummary,
  imageAt,
  meanImagePerClass,
  pixelHistogram,
  pixelwiseStats,
  samplesPerClass,
} from "./data/explore";
export { loadDataset } from "./data/load";
export { headImages, prepareDataset, selectImages } from "./data/prepare";
export { pixelsPerImage } from "./data/types";

// The engine (native TensorFlow, wasm fallback)
export { describeBackend, initBackend } from "./backend/select";

// Models
export type { Autoencoder } from "./model/autoencoder";

// Training, evaluation, IDEC fine-tuning
export { decodeCodes, encodeSet, meanImage, reconstructSet } from "./model/inference";
export { runExperiment } from "./train/experiment";
export type { ExperimentResult } from "./train/experiment";
export { overfittingCheck, timePerEpoch } from "./train/history-analysis";
export { RECOMMENDED_DEC, ensureDecRun, loadDecCentroids } from "./train/idec";
export { CLUSTERING_RUNS, ensureClusteringRuns } from "./apps/clustering-runs";
export { outcomeLine } from "./train/progress";
export { reportRows } from "./train/report";

// Saved runs: the door into a run (openRun), run folders, caches
export { loadOrEncodeCodes } from "./runs/codes";
export { loadOrComputeEmbedding } from "./runs/embeddings";
export { listRuns, runsTable, selectRuns } from "./runs/list";
export { openRun } from "./runs/open-run";
export { loadRun, loadRunModel } from "./runs/run-folder";
export type { LoadedRun } from "./runs/run-folder";

// Reconstruction quality
export {
  analyzeReconstructions,
  bestAndWorst,
  examplesByRank,
  galleryExamples,
  metricsComparisonRows,
  modelReconstructor,
  perClassErrorRows,
  summarizeValues,
} from "./quality/reconstruction-analysis";
export type { ErrorKind, ReconstructionAnalysis } from "./quality/reconstruction-analysis";

// Code-space analysis glue (probes, pipelines, walks, the projector export, published references)
export { RECOMMENDED_CODE_CLUSTERING, clusterCodes } from "./latent/cluster-codes";
export type { ClusterScores } from "./latent/cluster-codes";
export { pickRows, sampleCodes } from "./runs/code-sample";
export {
  labelBudgetCurve,
  labelBudgetFigure,
  probeTable,
  standardFeatureSets,
} from "./latent/probes";
export { writeProjectorFiles } from "./latent/projector";
export { clusteringReferences } from "./latent/references";
export { gridRowsOf, interpolate, principalAxisWalk } from "./latent/walks";

// Figures (plain plotly specs)
export { barFigure } from "./plots/bar";
export { binCounts } from "./plots/binning";
export { clusterConfusionFigure, prototypeRowsFigure } from "./plots/clusters";
export { confusionMatrixFigure } from "./plots/confusion";
export { prFigure, rocFigure } from "./plots/curves";
export { bestWorstGalleryFigure, reconstructionGalleryFigure } from "./plots/gallery";
export { heatmapFigure, matrixRows } from "./plots/heatmap";
export { histogramFigure } from "./plots/histogram";
export { imageGridFigure } from "./plots/images";
export { lineFigure } from "./plots/line";
export { epochTimeFigure, lossCurvesFigure } from "./plots/loss-curves";
export type { LossMetric } from "./plots/loss-curves";
export { pointColumns, scatter3dFigure, scatterFigure } from "./plots/scatter";

// Notebook display and training helpers
export { showFigure, showTable } from "./notebook/display";
export { interruptedLine, trainInNotebook, untilInterrupted } from "./notebook/training";

// Applications: denoising, anomaly detection, compression, generation, comparison runs
export {
  ANOMALY_SCORES,
  createAnomalyScorer,
  detectionResults,
  detectionTable,
  inkBiasTable,
  noiseImages,
  thresholdTable,
} from "./apps/anomaly";
export type { NoiseImageKind } from "./apps/anomaly";
export { loadCodes, storeCodes } from "./apps/compression";
export type { CodeFormat } from "./apps/compression";
export {
  compareDenoisers,
  denoisingGalleryFigure,
  denoisingTable,
  denoisingVariants,
  examplesPerClass,
} from "./apps/denoise";
export type { CorruptionKind, CorruptionResult, NamedModel } from "./apps/denoise";
export { gaussianCodes, latentGrid } from "./apps/generation";
export { heldOutStudy, heldOutTable, heldOutVariants } from "./apps/heldout";
export { generationVariants, rateDistortionVariants } from "./apps/notebook-variants";
export {
  autoencoderPoints,
  codecRows,
  losslessPoints,
  pcaPoints,
  rateDistortionFigure,
} from "./apps/rate-distortion";
export type { CodecPoint } from "./apps/rate-distortion";
export { thresholdAtFpr } from "./apps/roc";
export {
  ensureRun,
  ensureRuns,
  ensuredRunLine,
  findPlainRun,
  plainRunReason,
  runState,
  variantBase,
  variantConfig,
} from "./apps/variants";

// Rendering figures to files
export { withFigureRenderer } from "./render/renderer";
export { saveFigure } from "./render/save";

// The live model panel of exported pages
export { liveThreshold, showLivePanel } from "./live/panel";

// Sweeps on Ray
export {
  bestTrial,
  lossByParameterFigure,
  notebookSweepSpec,
  parallelCoordinatesFigure,
  sweepTableHtml,
  trialReconstructionsFigure,
} from "./sweep/figures";
export { notebookSweepProgress } from "./sweep/progress";
export { runSweep } from "./sweep/runner";
export type { SweepResult } from "./sweep/runner";
export { trialCount } from "./sweep/spec";

// The numerics package, as a namespace: ae.ml.fitPca, ae.ml.kmeans, ae.ml.tsne, ...
export * as ml from "./ml";
