// Public API of lib/live: re-exports only. The page code (page.ts) is built into exported pages.
export * from "./panel";
export type * from "./types";
