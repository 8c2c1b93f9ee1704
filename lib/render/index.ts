// lib/render: figures to PNG and SVG in headless Chromium, and the report figures of saved runs
// (npm run figures). The names other wings, scripts and tests use.
export { ChromiumMissingError, RenderError, findChromium } from "./chromium";
export { FigureRenderer, renderSize, withFigureRenderer } from "./renderer";
export type { ImageFormat } from "./renderer";
export { renderReportFigures } from "./report";
export type { FigureOutcome, FiguresManifest } from "./report";
export { REPORT_FIGURES, mapScatterFigure } from "./report-figures";
export type { ReportFigure } from "./report-figures";
export { openReportRun } from "./report-run";
export type { ReportRun } from "./report-run";
export { saveFigure } from "./save";
