// Public API of lib/export: re-exports only (one line per module).
export * from "./parameters";
export * from "./run-target";
