// Plot builders: plain plotly figure specs. Re-exports only.
export * from "./figure";
export * from "./theme";
export * from "./bar";
export * from "./images";
export * from "./histogram";
export * from "./heatmap";
export * from "./loss-curves";
export * from "./check";
export * from "./scatter";
export * from "./confusion";
export * from "./curves";
export * from "./line";
export * from "./gallery";
export * from "./binning";
export * from "./clusters";
