// Public API of lib/latent: re-exports only (one line per module). The numerics now live in
// lib/ml (see lib/ml/index.ts); their names are re-exported here unchanged so that notebooks and
// lib/index.ts keep the same surface.
export { checkPoints, checkNeighborCount, LatentInputError } from "../ml/check";
export { nearestNeighbors, type Neighbors } from "../ml/neighbors";
export { trustworthiness } from "../ml/trustworthiness";
export { knnLabelAccuracy } from "../ml/knn";
export { featureStandardizer } from "../ml/standardize";
export * from "./codes";
export * from "./probes";
export * from "./projector";
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
  type TsneOptions,
  type TsneResult,
  type TsneRun,
  type TsneTimings,
} from "../ml/tsne";
export { symmetricEigen, type SymmetricEigen } from "../ml/eigen";
export {
  fitPca,
  pcaTransform,
  pcaInverse,
  type PcaModel,
  type PcaOptions,
  type PcaTransformOptions,
} from "../ml/pca";
export { kmeans, type KmeansOptions, type KmeansResult } from "../ml/kmeans";
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
  type NmiAverage,
  type SilhouetteOptions,
} from "../ml/cluster-metrics";
export * from "./walks";
export * from "./references";
export {
  umapEmbed,
  umapEmbedAsync,
  UmapAbortedError,
  type UmapAsyncOptions,
  type UmapInit,
  type UmapOptions,
} from "../ml/umap";
export {
  assignmentChange,
  clusteringLoss,
  clusteringLossGradient,
  hardAssignments,
  softAssignment,
  targetDistribution,
} from "../ml/dec";
export { gaussianMixture, type GmmOptions, type GmmResult } from "../ml/gmm";
export {
  clusterCodes,
  normalizeCodes,
  RECOMMENDED_CODE_CLUSTERING,
  type ClusterCodesOptions,
  type ClusterScores,
  type ClusteredCodes,
  type CodeEmbedding,
  type CodeNormalization,
} from "./cluster-codes";
