/**
 * Headless notebook execution and export: runs a notebook through its real Jupyter kernel (tslab)
 * in the project venv via scripts/execute_notebook.py (nbclient, or papermill when parameters are
 * given), writes the executed copy and an offline HTML export (templates/nbconvert/offline-plotly:
 * interactive plotly figures, no CDN, no absolute local paths), and turns a failing cell into a
 * NotebookExecutionError naming the notebook, the cell (number and first line) and its error
 * text. Also checks the committed form of a notebook (no outputs, tslab kernelspec, a parameters
 * cell first).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { AutoencoderLabError } from "../errors";
import { projectPath } from "../paths";
import { isParametersCell } from "./parameters";

/** A notebook cell failed, timed out or killed its kernel. */
export class NotebookExecutionError extends AutoencoderLabError {
  constructor(
    /** The notebook that failed. */
    readonly notebook: string,
    /** 0-based index of the failing cell among all cells (markdown included); -1 if unknown. */
    readonly cellIndex: number,
    /** The failing cell's stderr / error output (tslab puts its trace in stderr). */
    readonly errorText: string,
    /** The executed (partial) copy, with the outputs up to the failure. */
    readonly executedPath: string | null,
    detail = "",
    /** 1-based number of the failing cell among code cells; 0 if unknown. */
    readonly codeCellNumber = 0,
    /** The failing cell's first non-blank source line. */
    readonly firstLine = "",
  ) {
    super(
      `${path.basename(notebook)}: ${detail}cell index ${cellIndex} failed` +
        (firstLine
          ? ` (${firstLine.length > 100 ? firstLine.slice(0, 97) + "..." : firstLine})`
          : "") +
        `:\n${indent(errorText)}` +
        (executedPath ? `\n(partial outputs saved in ${executedPath})` : ""),
    );
  }
}

/** The executed notebook could not be exported (e.g. its HTML would contain an absolute local path). */
export class NotebookExportError extends AutoencoderLabError {}

/** The notebook could not be run at all: missing venv, Jupyter or kernel. */
export class NotebookSetupError extends AutoencoderLabError {}

export interface NotebookRunOptions {
  /** Folder for the executed .ipynb and its .html export (created if missing). */
  outputDir: string;
  /** Also export offline HTML (templates/nbconvert/offline-plotly). Default true. */
  html?: boolean;
  /** File name of the executed copy in outputDir (the HTML gets the same stem). Default: the notebook's. */
  outputName?: string;
  /**
   * Run through papermill with these parameters: injected as `let name = <json>;` in a cell after
   * the one tagged "parameters". Undefined: run the notebook as committed (nbclient).
   */
  parameters?: Record<string, unknown>;
  /** Extra environment for the kernel, e.g. `{ AE_QUICK: "1" }`; merged over process.env. */
  env?: Record<string, string>;
  /** Seconds allowed per cell before the run fails. Default 600, or AE_CELL_TIMEOUT if set. */
  cellTimeoutSeconds?: number;
  /** Python with nbclient and the tslab kernel registered. Default: the project venv's. */
  python?: string;
}

export interface NotebookRunResult {
  notebook: string;
  executedPath: string;
  htmlPath: string | null;
  cellCount: number;
  seconds: number;
  /** Absolute local paths rewritten in the executed copy and the HTML. */
  scrubbedPaths: number;
}

/** The notebooks in a folder (default notebooks/), sorted by name: the order they run in. */
export function listNotebooks(dir: string = projectPath("notebooks")): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ipynb"))
    .sort()
    .map((f) => path.join(dir, f));
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => "    " + l)
    .join("\n");
}

function defaultTimeout(): number {
  const fromEnv = Number(process.env.AE_CELL_TIMEOUT);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 600;
}

/** Run the venv's Python with `args`, collecting its output (the environment merged over ours). */
function runPython(
  python: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (c) => resolve({ code: c, stdout: out, stderr: err }));
  });
}

interface ExecutorReport {
  ok: boolean;
  setup_error?: string;
  executed?: string;
  html?: string | null;
  cells?: number;
  cell_index?: number;
  code_cell_number?: number;
  cell_count?: number;
  first_line?: string;
  error?: string;
  export_error?: string;
  scrubbed?: number;
}

/**
 * Execute one notebook headless (kernel working directory = the notebook's folder) and export it.
 * Resolves when every cell ran; rejects with NotebookExecutionError naming the failing cell, or
 * NotebookSetupError when the venv, Jupyter or the kernel is missing.
 */
export async function runNotebook(
  notebook: string,
  options: NotebookRunOptions,
): Promise<NotebookRunResult> {
  const python = options.python ?? projectPath(".venv", "bin", "python");
  if (!fs.existsSync(python)) {
    throw new NotebookSetupError(
      `No Python at ${python}: run \`bash scripts/setup.sh\` to create the project venv.`,
    );
  }
  const args = [
    projectPath("scripts", "execute_notebook.py"),
    path.resolve(notebook),
    "--output-dir",
    path.resolve(options.outputDir),
    "--timeout",
    String(Math.ceil(options.cellTimeoutSeconds ?? defaultTimeout())),
  ];
  if (options.html === false) args.push("--no-html");
  if (options.outputName) args.push("--output-name", options.outputName);
  if (options.parameters) args.push("--parameters", JSON.stringify(options.parameters));
  const started = Date.now();
  const { code, stdout, stderr } = await runPython(python, args, options.env);
  const seconds = (Date.now() - started) / 1000;

  let report: ExecutorReport | null = null;
  try {
    report = JSON.parse(stdout.trim().split("\n").pop() ?? "") as ExecutorReport;
  } catch {
    report = null;
  }
  if (report === null) {
    throw new NotebookSetupError(
      `Running ${path.basename(notebook)} failed (exit ${code}) without a report:\n` +
        indent((stderr || stdout).trim().slice(-4000)),
    );
  }
  if (report.setup_error) throw new NotebookSetupError(report.setup_error);
  if (report.export_error) {
    throw new NotebookExportError(
      `${path.basename(notebook)} ran, but its HTML export was not written: ${report.export_error}` +
        (report.executed ? ` (executed copy: ${report.executed})` : ""),
    );
  }
  if (!report.ok || code !== 0) {
    const codeCell = report.code_cell_number ? `code cell ${report.code_cell_number}, ` : "";
    throw new NotebookExecutionError(
      notebook,
      report.cell_index ?? -1,
      report.error ?? stderr.trim().slice(-4000),
      report.executed ?? null,
      codeCell,
      report.code_cell_number ?? 0,
      report.first_line ?? "",
    );
  }
  return {
    notebook,
    executedPath: report.executed ?? "",
    htmlPath: report.html ?? null,
    cellCount: report.cells ?? 0,
    seconds,
    scrubbedPaths: report.scrubbed ?? 0,
  };
}

/**
 * Export an already executed notebook to the same offline HTML as runNotebook (absolute local
 * paths rewritten; refused with NotebookExportError if one would remain). Returns the HTML path.
 */
export async function exportNotebookHtml(
  executedNotebook: string,
  options: { htmlPath?: string; python?: string } = {},
): Promise<string> {
  const python = options.python ?? projectPath(".venv", "bin", "python");
  if (!fs.existsSync(python)) {
    throw new NotebookSetupError(
      `No Python at ${python}: run \`bash scripts/setup.sh\` to create the project venv.`,
    );
  }
  const args = [projectPath("scripts", "nbexport.py"), path.resolve(executedNotebook)];
  if (options.htmlPath) args.push("--html", path.resolve(options.htmlPath));
  const { code, stdout, stderr } = await runPython(python, args);
  interface ExportReport {
    ok?: boolean;
    html?: string;
    export_error?: string;
  }
  let report: ExportReport | null;
  try {
    report = JSON.parse(stdout.trim().split("\n").pop() ?? "") as ExportReport;
  } catch {
    report = null;
  }
  if (report?.export_error) {
    throw new NotebookExportError(
      `${path.basename(executedNotebook)}: HTML export not written: ${report.export_error}`,
    );
  }
  if (!report?.ok || code !== 0 || !report.html) {
    throw new NotebookSetupError(
      `Exporting ${path.basename(executedNotebook)} failed (exit ${code}):\n` +
        indent((stderr || stdout).trim().slice(-4000)),
    );
  }
  return report.html;
}

/**
 * The `language_info` tslab 1.0.22's kernel_info reply holds; JupyterLab copies it into a
 * notebook's metadata when the kernel starts. A committed notebook that lacks any of it opens
 * "modified", and autosave then writes outputs into the tracked file.
 */
export const TSLAB_LANGUAGE_INFO = {
  codemirror_mode: { mode: "typescript", name: "javascript", typescript: true },
  file_extension: ".ts",
  mimetype: "text/typescript",
  name: "typescript",
  version: "3.7.2",
} as const;

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}

/**
 * Problems with a notebook's committed form, as readable sentences (empty = fine): valid nbformat
 * 4.5+ JSON, cell ids, no outputs or execution counts, the tslab kernelspec and language_info, and a first code
 * cell tagged "parameters" (papermill's convention; it holds every setting the notebook uses).
 */
export function notebookFormatProblems(json: string): string[] {
  let nb: unknown;
  try {
    nb = JSON.parse(json);
  } catch (e) {
    return [`not valid JSON: ${(e as Error).message}`];
  }
  const problems: string[] = [];
  if (typeof nb !== "object" || nb === null || Array.isArray(nb)) return ["not a JSON object"];
  const doc = nb as Record<string, unknown>;
  if (doc.nbformat !== 4) problems.push(`nbformat is ${String(doc.nbformat)}, expected 4`);
  if (typeof doc.nbformat_minor !== "number" || doc.nbformat_minor < 5) {
    problems.push(`nbformat_minor is ${String(doc.nbformat_minor)}, expected >= 5 (cell ids)`);
  }
  const meta = (doc.metadata ?? {}) as Record<string, unknown>;
  const kernelspec = (meta.kernelspec ?? {}) as Record<string, unknown>;
  if (kernelspec.name !== "tslab") {
    problems.push(`kernelspec name is ${JSON.stringify(kernelspec.name)}, expected "tslab"`);
  }
  if (
    JSON.stringify(sortKeys(meta.language_info)) !== JSON.stringify(sortKeys(TSLAB_LANGUAGE_INFO))
  ) {
    problems.push(
      `metadata.language_info is ${JSON.stringify(meta.language_info)}, expected what the tslab ` +
        `kernel writes, ${JSON.stringify(TSLAB_LANGUAGE_INFO)} (else the notebook opens modified)`,
    );
  }
  if (!Array.isArray(doc.cells)) return [...problems, "no cells array"];
  const ids = new Set<string>();
  let firstCode = true;
  doc.cells.forEach((raw: unknown, i: number) => {
    const cell = (raw ?? {}) as Record<string, unknown>;
    const where = `cell index ${i}`;
    if (!["code", "markdown", "raw"].includes(cell.cell_type as string)) {
      problems.push(`${where}: unknown cell_type ${JSON.stringify(cell.cell_type)}`);
    }
    const src = cell.source;
    if (
      typeof src !== "string" &&
      !(Array.isArray(src) && src.every((s) => typeof s === "string"))
    ) {
      problems.push(`${where}: source is not a string or list of strings`);
    }
    if (typeof cell.metadata !== "object" || cell.metadata === null) {
      problems.push(`${where}: metadata missing`);
    }
    const id = cell.id;
    if (typeof id !== "string" || !/^[a-zA-Z0-9_-]{1,64}$/.test(id)) {
      problems.push(`${where}: missing or invalid cell id`);
    } else if (ids.has(id)) {
      problems.push(`${where}: duplicate cell id ${id}`);
    } else {
      ids.add(id);
    }
    if (cell.cell_type !== "code") return;
    if (!Array.isArray(cell.outputs) || cell.outputs.length > 0) {
      problems.push(`${where}: has outputs (commit notebooks with outputs cleared)`);
    }
    if (cell.execution_count !== null) {
      problems.push(`${where}: execution_count is ${String(cell.execution_count)}, expected null`);
    }
    if (firstCode) {
      firstCode = false;
      if (!isParametersCell(cell)) {
        problems.push(`${where}: the first code cell must be tagged "parameters"`);
      }
    }
  });
  if (firstCode) problems.push("no code cell (expected a parameters cell)");
  return problems;
}
