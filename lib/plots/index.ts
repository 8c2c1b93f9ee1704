// Plot builders: plain plotly figure specs. The names other wings, scripts and tests use.
export { barFigure } from "./bar";
export { binCounts } from "./binning";
export { PlotInputError } from "./check";
export { clusterConfusionFigure, clustersByMatchedClass, prototypeRowsFigure } from "./clusters";
export { confusionMatrixFigure } from "./confusion";
export { CURVE_TOLERANCE, prFigure, rocFigure, thinCurve } from "./curves";
export type { Figure, Trace } from "./figure";
export { bestWorstGalleryFigure, reconstructionGalleryFigure } from "./gallery";
export type { GalleryExample } from "./gallery";
export { heatmapFigure, matrixRows } from "./heatmap";
export { histogramFigure } from "./histogram";
export { imageGridFigure } from "./images";
export { lineFigure } from "./line";
export { epochTimeFigure, lossCurvesFigure } from "./loss-curves";
export type { LossMetric } from "./loss-curves";
export { pointColumns, scatter3dFigure, scatterFigure } from "./scatter";
export { THEME, baseLayout } from "./theme";
