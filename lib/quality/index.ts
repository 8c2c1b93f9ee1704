// Reconstruction quality, on plain arrays: per-image and per-set metrics (BCE, MSE, PSNR, pixel
// accuracy), SSIM as scikit-image computes it, and the image-by-image analysis of a set.
// The names other wings and scripts use.
export {
  BCE_EPSILON,
  MetricInputError,
  binarizedAccuracy,
  binaryCrossEntropy,
  binaryCrossEntropyFromLogits,
  meanSquaredError,
  oneMinusMse,
  perImageError,
  pixelEntropy,
  psnr,
  reconstructionReport,
} from "./metrics";
export type { PerImageErrorKind, ReconstructionMetrics, ReconstructionReport } from "./metrics";
export {
  analyzeReconstructions,
  bestAndWorst,
  examplesByRank,
  galleryExamples,
  metricsComparisonRows,
  modelReconstructor,
  perClassErrorRows,
  summarizeValues,
} from "./reconstruction-analysis";
export type { ErrorKind, PerImageErrors, ReconstructionAnalysis } from "./reconstruction-analysis";
export { meanSsim, ssim, ssimPerImage, ssimWindow } from "./ssim";
