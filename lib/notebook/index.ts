// The notebook wing: what notebooks call (display, training), and what runs them headless
// (runner, parameters, run target). Re-exports only.
export {
  COMPACT_ARRAY_MIN_LENGTH,
  NotInNotebookError,
  PLOTLY_MIME,
  plotlyPayload,
  plotlyTypedArray,
  showFigure,
  showHtml,
  showTable,
  tableHtml,
  toJsonValue,
  type DataFrameLike,
  type DisplaySink,
  type JsonOptions,
  type TableOptions,
} from "./display";
export { interruptedLine, trainInNotebook, untilInterrupted } from "./training";
export {
  exportNotebookHtml,
  listNotebooks,
  NotebookExecutionError,
  NotebookExportError,
  notebookFormatProblems,
  NotebookSetupError,
  runNotebook,
  TSLAB_LANGUAGE_INFO,
  type NotebookRunOptions,
  type NotebookRunResult,
} from "./runner";
export {
  CONFIG_OVERRIDES,
  coerceParameter,
  describeParameters,
  flagName,
  NotebookParameterError,
  notebookParameters,
  parametersCellSource,
  parseParameterFlags,
  type NotebookLike,
  type NotebookParameter,
  type ParameterKind,
} from "./parameters";
export {
  changedRuns,
  findRunTarget,
  notebookOutputText,
  runsDirs,
  snapshotRuns,
  type RunsSnapshot,
  type RunTarget,
} from "./run-target";
