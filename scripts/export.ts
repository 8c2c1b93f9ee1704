/**
 * `npm run export`: execute every notebook in notebooks/ (name order) headless through the real
 * tslab kernel of the project venv, writing each executed .ipynb and a self-contained offline
 * HTML page (interactive plotly figures, no CDN, no absolute local paths) into exports/ (or --out).
 *
 *   npm run export                                   # all notebooks -> exports/
 *   npm run export -- 01-data-exploration.ipynb --out /tmp/x
 *   AE_QUICK=1 npm run export                        # quick preset, passed to the kernels via the environment
 *
 * A failing cell stops the export: exit 1 with the notebook, the cell (number and first line) and
 * its error text. `npm run notebooks` is the same command (its older name).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { quickRequested } from "../lib/config";
import { AutoencoderLabError } from "../lib/errors";
import { listNotebooks, runNotebook, type NotebookRunResult } from "../lib/notebook-runner";
import { displayPath, projectPath } from "../lib/paths";

/** Seconds between "still running" lines while a notebook executes. */
const HEARTBEAT_SECONDS = 20;

const USAGE = `Usage: npm run export -- [notebook ...] [--out DIR]

Executes notebooks headless through the project's tslab kernel, in name order, and writes each
executed .ipynb and a self-contained offline HTML page (interactive figures, no absolute paths).

  notebook     a file name in notebooks/ (".ipynb" optional) or a path; default: every notebook
  --out DIR    where to write (default: exports/)
  --help       this text

AE_QUICK=1 runs the notebooks with the quick preset. A notebook takes from ~10 s to a few minutes;
a line is printed when each starts and ends, and every ${HEARTBEAT_SECONDS} s while one runs. A failing
cell stops the export with exit code 1, naming the notebook, the cell and its error.`;

export interface ExportArgs {
  outputDir: string;
  /** Notebook file names or paths; empty = every notebook in notebooks/. */
  only: string[];
}

export function parseExportArgs(argv: string[]): ExportArgs {
  const args: ExportArgs = { outputDir: projectPath("exports"), only: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--out") {
      const dir = argv[++i];
      if (!dir) throw new AutoencoderLabError("--out needs a folder");
      args.outputDir = path.resolve(dir);
    } else if (a.startsWith("--")) {
      throw new AutoencoderLabError(`unknown option ${a} (known: --out DIR, --help)`);
    } else {
      args.only.push(a);
    }
  }
  return args;
}

/** A notebook named on the command line: a path, or a file name (".ipynb" optional) in notebooks/. */
function resolveNotebook(name: string): string {
  const file = name.includes("/") ? path.resolve(name) : projectPath("notebooks", name);
  if (fs.existsSync(file)) return file;
  if (fs.existsSync(`${file}.ipynb`)) return `${file}.ipynb`;
  const known = listNotebooks().map((n) => path.basename(n));
  throw new AutoencoderLabError(
    `no notebook ${name}; notebooks/ holds: ${known.join(", ") || "none"}`,
  );
}

export interface ExportOptions {
  /** Parameters per notebook file name (e.g. "02-training.ipynb"), injected through papermill. */
  parameters?: Record<string, Record<string, unknown>>;
}

/** Run the chosen notebooks in order, printing one line per notebook; resolves with the results. */
export async function exportNotebooksCli(
  argv: string[],
  options: ExportOptions = {},
): Promise<NotebookRunResult[]> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return [];
  }
  const args = parseExportArgs(argv);
  const notebooks = args.only.length > 0 ? args.only.map(resolveNotebook) : listNotebooks();
  if (notebooks.length === 0) {
    console.log("export: no notebooks in notebooks/, nothing to execute");
    return [];
  }
  const quick = quickRequested() ? ` (AE_QUICK=${process.env.AE_QUICK})` : "";
  console.log(
    `export: ${notebooks.length} notebook(s) -> ${displayPath(args.outputDir)}${quick}; ` +
      "starting the kernel takes a few seconds",
  );
  const results: NotebookRunResult[] = [];
  for (const nb of notebooks) {
    const rel = displayPath(nb);
    console.log(`export: executing ${rel}${quick} ...`);
    const started = Date.now();
    const heartbeat = setInterval(() => {
      const s = Math.round((Date.now() - started) / 1000);
      console.log(`export: ${rel} still running (${s} s)`);
    }, HEARTBEAT_SECONDS * 1000);
    let r: NotebookRunResult;
    try {
      r = await runNotebook(nb, {
        outputDir: args.outputDir,
        parameters: options.parameters?.[path.basename(nb)],
      });
    } finally {
      clearInterval(heartbeat);
    }
    const out = displayPath(r.htmlPath ?? r.executedPath);
    const scrubbed = r.scrubbedPaths ? `, ${r.scrubbedPaths} local path(s) made relative` : "";
    console.log(`export: ${rel} ok in ${r.seconds.toFixed(1)} s -> ${out}${scrubbed}`);
    results.push(r);
  }
  return results;
}

if (require.main === module) {
  exportNotebooksCli(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof AutoencoderLabError ? `error: ${e.message}` : e);
    process.exit(1);
  });
}
