/**
 * lib/ml: the numerics of the latent-space analysis, on plain arrays.
 *
 * Points are one flat row-major Float32Array (n × dim) plus the two sizes; results are typed
 * arrays. Every function is deterministic, and the ones with random choices (k-means, GMM, t-SNE,
 * UMAP, sampled silhouette) take a seed. Options are typed objects whose doc comments give each
 * default and its typical range. Bad input throws a LatentInputError that names the argument.
 *
 * The package imports nothing from the rest of the project except lib/random (the seeded
 * generator) and lib/errors (the error base class), and nothing from tfjs: it can be read,
 * tested and lifted out on its own (test/unit/ml-imports.test.ts keeps it so). Each algorithm is
 * in a file named after it; all pairwise distances come from one kernel (distances.ts). Exact
 * results are checked against scikit-learn's to about 1e-13 in test/unit.
 *
 * A faster float64 engine can be plugged in with setFloat64Accelerator (accelerator.ts): PCA,
 * nearest neighbours and the silhouette then take their products from it. lib/backend registers
 * the native TensorFlow engine's; without one everything runs in JavaScript.
 */
export {
  float64Accelerator,
  setFloat64Accelerator,
  type Float64Accelerator,
  type Float64AcceleratorProvider,
  type PairwiseDots,
} from "./accelerator";
export { checkNeighborCount, checkPoints, LatentInputError } from "./check";
export {
  adjustedRandIndex,
  clusterAccuracy,
  clusterMembers,
  contingencyTable,
  hungarian,
  normalizedMutualInfo,
  silhouetteSamples,
  silhouetteScore,
  type ClusterAccuracy,
  type ClusterMembers,
  type ContingencyTable,
  type ClusterMembersOptions,
  type NmiAverage,
  type NmiOptions,
  type SilhouetteOptions,
} from "./cluster-metrics";
export {
  assignmentChange,
  clusteringLoss,
  clusteringLossGradient,
  hardAssignments,
  softAssignment,
  targetDistribution,
} from "./dec";
export {
  expandedSquaredDistance,
  forEachDistanceBlock,
  squaredNorms,
  type DistanceArithmetic,
  type DistanceBlockOptions,
  type DistanceBlockVisitor,
} from "./distances";
export { symmetricEigen, type SymmetricEigen } from "./eigen";
export { gaussianMixture, type GmmOptions, type GmmResult } from "./gmm";
export { kmeans, type KmeansOptions, type KmeansResult } from "./kmeans";
export { knnLabelAccuracy, knnVote } from "./knn";
export { lbfgs, type LbfgsOptions, type LbfgsResult } from "./lbfgs";
export { nearestNeighbors, type Neighbors } from "./neighbors";
export {
  fitPca,
  pcaInverse,
  pcaTransform,
  type PcaModel,
  type PcaOptions,
  type PcaTransformOptions,
} from "./pca";
export { applyStandardizer, featureStandardizer } from "./standardize";
export { trustworthiness } from "./trustworthiness";
export {
  affinitiesFromNeighbors,
  createTsneRun,
  neighborCountForPerplexity,
  pcaInit,
  tsne,
  tsneAsync,
  tsneGradient,
  tsneWithStats,
  type Affinities,
  type TsneAsyncOptions,
  type TsneOptions,
  type TsneResult,
  type TsneRun,
  type TsneTimings,
} from "./tsne";
export {
  umapEmbed,
  umapEmbedAsync,
  UmapAbortedError,
  type UmapAsyncOptions,
  type UmapInit,
  type UmapOptions,
} from "./umap";
