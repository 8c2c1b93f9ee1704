// Public API of lib/latent: re-exports only (one line per module).
export { checkPoints, checkNeighborCount, LatentInputError } from "./check";
export { nearestNeighbors, type Neighbors } from "./neighbors";
export { knnLabelAccuracy, trustworthiness } from "./trustworthiness";
export * from "./codes";
export * from "./embedding-cache";
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
} from "./tsne";
export { symmetricEigen, type SymmetricEigen } from "./eigen";
export {
  fitPca,
  pcaTransform,
  pcaInverse,
  type PcaModel,
  type PcaOptions,
  type PcaTransformOptions,
} from "./pca";
export { kmeans, type KmeansOptions, type KmeansResult } from "./kmeans";
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
} from "./cluster-metrics";
export * from "./walks";
export * from "./references";
export {
  umapEmbed,
  umapEmbedAsync,
  UmapAbortedError,
  type UmapAsyncOptions,
  type UmapInit,
  type UmapOptions,
} from "./umap";
export {
  assignmentChange,
  clusteringLoss,
  clusteringLossGradient,
  hardAssignments,
  softAssignment,
  targetDistribution,
} from "./dec";
export { gaussianMixture, type GmmOptions, type GmmResult } from "./gmm";
export {
  clusterCodes,
  meanAgreement,
  N2D_CODE_CLUSTERING,
  normalizeCodes,
  RECOMMENDED_CODE_CLUSTERING,
  type ClusterCodesOptions,
  type ClusterScores,
  type ClusteredCodes,
  type CodeEmbedding,
  type CodeNormalization,
} from "./cluster-codes";
