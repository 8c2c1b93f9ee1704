// Sweeps on Ray Tune. Re-exports only.
export * from "./spec";
export * from "./runner";
export * from "./progress";
export * from "./figures";
export * from "./comparisons";
