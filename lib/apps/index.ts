// lib/apps: applications of a trained autoencoder (denoising, anomaly detection and ROC,
// compression and rate–distortion, generation, held-out digits) and the comparison runs notebooks
// 07–10 use. The names other wings, scripts and tests use.
export {
  ANOMALY_SCORES,
  AnomalyInputError,
  INK_THRESHOLD,
  createAnomalyScorer,
  detectionResults,
  detectionTable,
  fitLatentGaussian,
  flaggedShare,
  heldOutDetection,
  inkBiasTable,
  inkShare,
  labelledScores,
  mahalanobis,
  noiseImages,
  pearson,
  reconstructionScores,
  thresholdTable,
} from "./anomaly";
export type { AnomalyScores, NoiseImageKind } from "./anomaly";
export {
  CompressionError,
  fromFloat16Bits,
  gzipSize,
  loadCodes,
  losslessSizes,
  pngSize,
  storeCodes,
  toFloat16Bits,
  toGray8,
} from "./compression";
export type { CodeFormat } from "./compression";
export {
  DENOISING_DEFAULTS,
  GENERATION_DEFAULTS,
  HELD_OUT_DEFAULTS,
  RATE_DISTORTION_DEFAULTS,
} from "./defaults";
export {
  compareDenoisers,
  corruptSet,
  denoisingGalleryFigure,
  denoisingRunName,
  denoisingTable,
  denoisingVariants,
  evaluateDenoising,
  examplesPerClass,
  fidelity,
} from "./denoise";
export type { CorruptionKind, CorruptionResult, NamedModel } from "./denoise";
export { GenerationInputError, gaussianCodes, latentGrid, quantile } from "./generation";
export { heldOutStudy, heldOutTable, heldOutVariants } from "./heldout";
export {
  generationVariants,
  notebookVariantJobs,
  rateDistortionVariants,
} from "./notebook-variants";
export {
  autoencoderPoints,
  codecRows,
  losslessPoints,
  pcaPoints,
  rateDistortionFigure,
  truncatePca,
} from "./rate-distortion";
export type { CodecPoint } from "./rate-distortion";
export {
  MissingClassError,
  RocInputError,
  precisionRecallCurve,
  ratesAtThreshold,
  rocCurve,
  thresholdAtFpr,
  thresholdFromNegatives,
} from "./roc";
export {
  ensureRun,
  ensureRuns,
  ensuredRunLine,
  findPlainRun,
  plainRunReason,
  runState,
  variantBase,
  variantConfig,
} from "./variants";
