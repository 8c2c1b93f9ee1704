/**
 * `npm run notebook`: run notebooks headless through the real tslab kernel of the project venv and
 * write each executed .ipynb with a self-contained offline HTML page. Two modes:
 *
 *   npm run notebook -- 02 --epochs 5 --latent 32     # one notebook with parameters (papermill),
 *                                                     # saved next to the run it trained or used
 *   npm run notebook -- 02 --help                     # its parameters and the config keys
 *   npm run notebook -- export                        # every notebook as committed -> exports/
 *   npm run notebook -- export 01 04 --out /tmp/x     # some of them (`npm run export` is an alias)
 *   AE_QUICK=1 npm run notebook -- 02 --epochs 1      # quick preset (kernels inherit the environment)
 *
 * Parameters (lib/notebook/parameters.ts): a flag naming a parameters-cell variable sets it, typed
 * by its declaration (`--samples-per-class 4`); a config flag (`--epochs`, `--latent`,
 * `--model.codeSize`) becomes an entry of the notebook's `configOverrides`, checked by the config
 * before any kernel starts.
 *
 * Where one notebook writes: runs/<run>/notebooks/<notebook>.ipynb (+ .html) when the notebook
 * trained or used a run of its runs folder (lib/notebook/run-target.ts says how that is decided),
 * else exports/params/<notebook>-<time>.ipynb. A failing cell: exit 1 naming the notebook, the cell
 * (number and first line) and its error; the partial executed copy is kept.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { overrideValue, quickRequested, resolveConfig, type ConfigOverrides } from "../lib/config";
import { AutoencoderLabError } from "../lib/errors";
import {
  CONFIG_OVERRIDES,
  describeParameters,
  NotebookParameterError,
  notebookParameters,
  parseParameterFlags,
  type NotebookLike,
} from "../lib/notebook/parameters";
import {
  findRunTarget,
  notebookOutputText,
  runsDirs,
  snapshotRuns,
  type RunTarget,
} from "../lib/notebook/run-target";
import {
  listNotebooks,
  NotebookExecutionError,
  runNotebook,
  type NotebookRunResult,
} from "../lib/notebook/runner";
import { displayPath, projectPath } from "../lib/paths";

/** Seconds between "still running" lines while a notebook of `export` executes. */
const HEARTBEAT_SECONDS = 20;

const USAGE = `Usage: npm run notebook -- <NN | name.ipynb> [--param value ...] [--out DIR] [--no-html]
       npm run notebook -- export [notebook ...] [--out DIR]
       npm run notebook -- <NN | name.ipynb> --help

Executes notebooks headless through the project's tslab kernel and writes each executed .ipynb
and a self-contained offline HTML page (interactive figures, no absolute paths).

  <NN> --param value ...  one notebook with parameters (papermill): a parameters-cell variable
                          (--samples-per-class 4), or a config key (--epochs 5, --latent 32,
                          --model.codeSize 32) into its configOverrides; written next to the run it
                          trained or used, runs/<run>/notebooks/, else to exports/params/
  export [notebook ...]   the notebooks as committed, in name order (default: every notebook);
                          a notebook is NN, a file name in notebooks/ (".ipynb" optional) or a path
  --out DIR               where to write (default: exports/ for export, else exports/params/
                          when the notebook belongs to no run)
  --no-html               one notebook: no HTML page
  --help                  this text; after a notebook, also its parameters and the config keys

\`npm run export\` is \`npm run notebook -- export\`. AE_QUICK=1 runs the notebooks with the quick
preset. A notebook takes from ~10 s to a few minutes;
a line is printed when each starts and ends, and every ${HEARTBEAT_SECONDS} s while one runs.
A failing cell stops with exit code 1, naming the notebook, the cell and its error.`;

export interface NotebookCliArgs {
  mode: "one" | "export";
  /** The notebooks named (one in mode "one"; any number for export, none = all). */
  notebooks: string[];
  /** --out, resolved; null = the mode's default. */
  outDir: string | null;
  html: boolean;
  help: boolean;
  /** One notebook: the parameter flags, as given. */
  flags: string[];
}

export function parseNotebookCliArgs(argv: readonly string[]): NotebookCliArgs {
  const mode = argv[0] === "export" ? "export" : "one";
  const args: NotebookCliArgs = {
    mode,
    notebooks: [],
    outDir: null,
    html: true,
    help: false,
    flags: [],
  };
  const rest = mode === "export" ? argv.slice(1) : argv;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === "--out") {
      const dir = rest[++i];
      if (!dir) throw new NotebookParameterError(`--out needs a folder. See --help.`);
      args.outDir = path.resolve(dir);
    } else if (a === "--help" || a === "-h") {
      args.help = true;
    } else if (a === "--no-html" && mode === "one") {
      args.html = false;
    } else if (mode === "export") {
      if (a.startsWith("--")) {
        throw new NotebookParameterError(`unknown option ${a} (known: --out DIR, --help)`);
      }
      args.notebooks.push(a);
    } else if (!a.startsWith("--") && args.notebooks.length === 0 && args.flags.length === 0) {
      args.notebooks.push(a);
    } else {
      args.flags.push(a);
    }
  }
  if (mode === "one" && args.notebooks.length === 0 && !args.help) {
    throw new NotebookParameterError(
      `Which notebook? Give its number (npm run notebook -- 02), or \`export\` for all. See --help.`,
    );
  }
  return args;
}

/** "02" -> notebooks/02-*.ipynb; a file name (".ipynb" optional) in notebooks/; or a path. */
export function resolveNotebookArg(arg: string): string {
  const notebooks = listNotebooks();
  const names = notebooks.map((n) => path.basename(n));
  if (/^\d+$/.test(arg)) {
    const hits = notebooks.filter((n) => path.basename(n).startsWith(`${arg}-`));
    if (hits.length === 1) return hits[0];
    throw new NotebookParameterError(
      hits.length === 0
        ? `There is no notebook notebooks/${arg}-*.ipynb; there are: ${names.join(", ") || "none"}.`
        : `"${arg}" matches several notebooks (${hits.map((h) => path.basename(h)).join(", ")}): give the full name.`,
    );
  }
  const file = arg.includes("/") ? path.resolve(arg) : projectPath("notebooks", arg);
  for (const candidate of [file, `${file}.ipynb`]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  throw new NotebookParameterError(
    `There is no notebook ${arg}; notebooks/ holds: ${names.join(", ") || "none"}.`,
  );
}

/** Run names the parameters give: runName / runNames, or configOverrides' train.runName. */
function namedRuns(values: Record<string, unknown>): string[] {
  const overrides = (values[CONFIG_OVERRIDES] ?? {}) as ConfigOverrides;
  const given = [values.runName, values.runNames, overrideValue(overrides, "train.runName")];
  return given.flatMap((v) =>
    typeof v === "string"
      ? [v]
      : Array.isArray(v) && v.length === 1 && typeof v[0] === "string"
        ? [v[0]]
        : [],
  );
}

function timestamp(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

function moveFile(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch {
    fs.copyFileSync(from, to);
    fs.rmSync(from, { force: true });
  }
}

export interface OneNotebookResult {
  executedPath: string;
  htmlPath: string | null;
  target: RunTarget | null;
  seconds: number;
}

/**
 * Move the executed copy (and its HTML) from the staging folder to where it belongs and point
 * papermill's recorded output_path at it. Returns the new paths.
 */
function place(
  staged: string,
  stem: string,
  target: RunTarget | null,
  outDir: string,
): { executedPath: string; htmlPath: string | null } {
  const dir = target ? path.join(target.folder, "notebooks") : outDir;
  const base = target ? stem : `${stem}-${timestamp()}`;
  fs.mkdirSync(dir, { recursive: true });
  const executedPath = path.join(dir, `${base}.ipynb`);
  const nb = JSON.parse(fs.readFileSync(staged, "utf8")) as {
    metadata?: { papermill?: { output_path?: string } };
  };
  if (nb.metadata?.papermill) nb.metadata.papermill.output_path = displayPath(executedPath);
  fs.writeFileSync(executedPath, JSON.stringify(nb, null, 1) + "\n");
  fs.rmSync(staged, { force: true });
  const stagedHtml = staged.replace(/\.ipynb$/, ".html");
  let htmlPath: string | null = null;
  if (fs.existsSync(stagedHtml)) {
    htmlPath = path.join(dir, `${base}.html`);
    moveFile(stagedHtml, htmlPath);
  }
  return { executedPath, htmlPath };
}

/** One notebook with parameters, saved next to the run it trained or used. */
async function runOne(args: NotebookCliArgs): Promise<OneNotebookResult | null> {
  const file = resolveNotebookArg(args.notebooks[0]);
  const name = path.basename(file);
  const stem = name.replace(/\.ipynb$/, "");
  const nb = JSON.parse(fs.readFileSync(file, "utf8")) as NotebookLike;
  const params = notebookParameters(nb, name);
  if (args.help) {
    console.log(
      `${USAGE}\n\n${name} parameters:\n${describeParameters(params, { configKeys: true })}`,
    );
    return null;
  }
  const values = parseParameterFlags(params, args.flags, name);
  // The runs folder the notebook uses: the one its overrides name, else the preset's (runs, or
  // runs/quick with AE_QUICK=1, the kernel inheriting our environment).
  const overrides = (values[CONFIG_OVERRIDES] ?? {}) as ConfigOverrides;
  const dirs = runsDirs([resolveConfig(overrides).train.runsDir]);

  const shown = Object.entries(values)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(" ");
  const quick = quickRequested() ? ` (AE_QUICK=${process.env.AE_QUICK})` : "";
  console.log(
    `notebook: executing ${displayPath(file)}${quick}${shown ? ` with ${shown}` : ""} ...`,
  );

  const stagingRoot = projectPath("exports", "params");
  fs.mkdirSync(stagingRoot, { recursive: true });
  const staging = fs.mkdtempSync(path.join(stagingRoot, ".staging-"));
  const before = snapshotRuns(dirs);
  const started = Date.now();
  const stagedPath = path.join(staging, name);
  try {
    let failure: NotebookExecutionError | null = null;
    let htmlWanted = args.html;
    try {
      await runNotebook(file, { outputDir: staging, parameters: values, html: args.html });
    } catch (error) {
      if (!(error instanceof NotebookExecutionError) || !fs.existsSync(stagedPath)) throw error;
      failure = error;
      htmlWanted = false;
    }
    const seconds = (Date.now() - started) / 1000;
    const executed = JSON.parse(fs.readFileSync(stagedPath, "utf8")) as Parameters<
      typeof notebookOutputText
    >[0];
    const target = findRunTarget(
      before,
      snapshotRuns(dirs),
      notebookOutputText(executed),
      namedRuns(values),
    );
    const placed = place(stagedPath, stem, target, args.outDir ?? stagingRoot);
    if (failure) {
      throw new NotebookExecutionError(
        failure.notebook,
        failure.cellIndex,
        failure.errorText,
        displayPath(placed.executedPath),
        failure.codeCellNumber ? `code cell ${failure.codeCellNumber}, ` : "",
        failure.codeCellNumber,
        failure.firstLine,
      );
    }
    const why = target
      ? ` (${target.reason} run ${displayPath(target.folder)})`
      : " (no run trained or used)";
    console.log(`notebook: ${name} ok in ${seconds.toFixed(1)} s${why}`);
    console.log(`notebook: wrote ${displayPath(placed.executedPath)}`);
    if (htmlWanted && placed.htmlPath)
      console.log(`notebook: wrote ${displayPath(placed.htmlPath)}`);
    return { ...placed, target, seconds };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

export interface NotebookCliOptions {
  /**
   * export: parameters per notebook file name (e.g. "02-training.ipynb"), injected through
   * papermill (the main job gives notebook 02 the reference run).
   */
  parameters?: Record<string, Record<string, unknown>>;
}

/** Run the chosen notebooks as committed, in order, one line each; resolves with the results. */
async function runExport(
  args: NotebookCliArgs,
  options: NotebookCliOptions,
): Promise<NotebookRunResult[]> {
  const outputDir = args.outDir ?? projectPath("exports");
  const notebooks =
    args.notebooks.length > 0 ? args.notebooks.map(resolveNotebookArg) : listNotebooks();
  if (notebooks.length === 0) {
    console.log("export: no notebooks in notebooks/, nothing to execute");
    return [];
  }
  const quick = quickRequested() ? ` (AE_QUICK=${process.env.AE_QUICK})` : "";
  console.log(
    `export: ${notebooks.length} notebook(s) -> ${displayPath(outputDir)}${quick}; ` +
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
        outputDir,
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

/**
 * The command: `export [notebook ...]` runs notebooks as committed into exports/; otherwise one
 * notebook with parameters. Resolves with what was written (null/[] after --help).
 */
export async function notebookCli(
  argv: readonly string[],
  options: NotebookCliOptions = {},
): Promise<OneNotebookResult | NotebookRunResult[] | null> {
  const args = parseNotebookCliArgs(argv);
  if (args.help && (args.mode === "export" || args.notebooks.length === 0)) {
    console.log(USAGE);
    return args.mode === "export" ? [] : null;
  }
  return args.mode === "export" ? runExport(args, options) : runOne(args);
}

if (require.main === module) {
  notebookCli(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof AutoencoderLabError ? `error: ${e.message}` : e);
    process.exit(1);
  });
}
