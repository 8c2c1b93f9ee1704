// Public API of lib/render: re-exports only (one line per module).
export * from "./chromium";
export * from "./renderer";
export * from "./report-run";
export * from "./report-figures";
export * from "./report";
export * from "./save";
