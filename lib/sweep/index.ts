// Sweeps on Ray Tune. The names other wings, scripts and tests use.
export { comparisonSweepSpec } from "./comparisons";
export {
  bestTrial,
  lossByParameterFigure,
  notebookSweepSpec,
  parallelCoordinatesFigure,
  sweepTableHtml,
  sweptParameters,
  trialReconstructionsFigure,
} from "./figures";
export {
  notebookSweepProgress,
  sweepProgressHtml,
  sweepRows,
  sweepTable,
  terminalSweepProgress,
} from "./progress";
export { SweepError, runSweep, sweepFolder, sweepPython } from "./runner";
export type { SweepEvent, SweepResult, SweepTrial } from "./runner";
export {
  SPEC_FIELDS,
  SweepSpecError,
  gridCombinations,
  loadSweepSpec,
  trialConfigs,
  trialCount,
  validateSweepSpec,
} from "./spec";
export type { SweepSpec } from "./spec";
