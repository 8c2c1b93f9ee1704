// lib/latent: the code-space analysis that ties lib/ml to models and saved runs (probes with
// their protocol and figure, the clustering pipeline, walks through code space, the Embedding
// Projector export, published reference numbers). The names other wings and scripts use.
export {
  N2D_CODE_CLUSTERING,
  RECOMMENDED_CODE_CLUSTERING,
  clusterCodes,
  meanAgreement,
  normalizeCodes,
} from "./cluster-codes";
export type { ClusterCodesOptions, ClusterScores, ClusteredCodes } from "./cluster-codes";
export {
  fitLinearProbe,
  knnClassifierAccuracy,
  knnPredict,
  labelBudgetCurve,
  labelBudgetFigure,
  linearProbeAccuracy,
  linearProbePredict,
  nearestTrainNeighbors,
  probeTable,
  standardFeatureSets,
  stratifiedSubsets,
} from "./probes";
export { MAX_SPRITE_SIDE, ProjectorError, spriteLayout, writeProjectorFiles } from "./projector";
export { clusteringReferences } from "./references";
export { gridRowsOf, interpolate, principalAxisWalk } from "./walks";
