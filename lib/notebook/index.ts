// Notebook display helpers. Re-exports only.
export * from "./display";
export * from "./training";
