// Public API of lib/apps: re-exports only (one line per module).
export * from "./variants";
export * from "./roc";
export * from "./anomaly";
export * from "./denoise";
export * from "./heldout";
export * from "./defaults";
export * from "./compression";
export * from "./rate-distortion";
export * from "./generation";
export * from "./notebook-variants";
