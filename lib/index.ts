// Public API of the library: re-exports only.
export * from "./errors";
export * from "./config";
export * from "./random";
export * from "./paths";
export * from "./data/types";
export * from "./data";
export * from "./explore";
export * from "./plots";
export * from "./notebook";
export * from "./model/conv-gradient";
