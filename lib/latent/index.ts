// Public API of lib/latent: re-exports only (one line per module).
export { checkPoints, checkNeighborCount, LatentInputError } from "./check";
export { nearestNeighbors, type Neighbors } from "./neighbors";
export { knnLabelAccuracy, trustworthiness } from "./trustworthiness";
export * from "./codes";
export * from "./probes";
export * from "./projector";
