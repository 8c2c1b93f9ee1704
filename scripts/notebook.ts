/**
 * `npm run notebook`: run one notebook headless with parameters (papermill, real tslab kernel)
 * and save the executed copy and its offline HTML next to the run it trained or used.
 *
 *   npm run notebook -- 02 --epochs 5 --latent 32     # notebooks/02-*.ipynb with epochs=5, codeSize=32
 *   npm run notebook -- 03 --metric bce --run-names a,b
 *   npm run notebook -- 02 --help                     # the notebook's parameters and their flags
 *   AE_QUICK=1 npm run notebook -- 02 --epochs 1      # quick preset (kernels inherit the environment)
 *
 * Flags are the notebook's parameters-cell variables in kebab-case (`--code-size`), or the
 * configuration's flags for the variable the notebook passes to that key (`--latent`,
 * `--model.codeSize`); values are typed by the declaration (lib/export/parameters.ts). Options of
 * this command: `--out DIR` (where to write when the notebook belongs to no run; default
 * exports/params), `--no-html`, `--help`.
 *
 * Where it writes: runs/<run>/notebooks/<notebook>.ipynb (+ .html) when the notebook trained or
 * used a run of its runs folder (lib/export/run-target.ts says how that is decided), else
 * exports/params/<notebook>-<time>.ipynb. A failing cell: exit 1 naming the cell; the partial
 * executed copy is saved the same way.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { quickRequested, resolveConfig } from "../lib/config";
import { AutoencoderLabError } from "../lib/errors";
import {
  describeParameters,
  NotebookParameterError,
  notebookParameters,
  parseParameterFlags,
  type NotebookParameter,
} from "../lib/export/parameters";
import {
  findRunTarget,
  notebookOutputText,
  runsDirs,
  snapshotRuns,
  type RunTarget,
} from "../lib/export/run-target";
import { listNotebooks, NotebookExecutionError, runNotebook } from "../lib/notebook-runner";
import { displayPath, projectPath } from "../lib/paths";

export interface NotebookCliArgs {
  notebook: string;
  outDir: string;
  html: boolean;
  help: boolean;
  /** The parameter flags, as given. */
  flags: string[];
}

const USAGE =
  "usage: npm run notebook -- <NN | name.ipynb> [--param value ...] [--out DIR] [--no-html] [--help]";

export function parseNotebookCliArgs(argv: readonly string[]): NotebookCliArgs {
  const args: NotebookCliArgs = {
    notebook: "",
    outDir: projectPath("exports", "params"),
    html: true,
    help: false,
    flags: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--out") {
      const dir = argv[++i];
      if (!dir) throw new NotebookParameterError(`--out needs a folder. ${USAGE}`);
      args.outDir = path.resolve(dir);
    } else if (a === "--no-html") {
      args.html = false;
    } else if (a === "--help" || a === "-h") {
      args.help = true;
    } else if (!a.startsWith("--") && !args.notebook && args.flags.length === 0) {
      args.notebook = a;
    } else {
      args.flags.push(a);
    }
  }
  if (!args.notebook && !args.help) throw new NotebookParameterError(`Which notebook? ${USAGE}`);
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
        ? `No notebook notebooks/${arg}-*.ipynb; there are: ${names.join(", ") || "none"}.`
        : `"${arg}" matches several notebooks (${hits.map((h) => path.basename(h)).join(", ")}): give the full name.`,
    );
  }
  const file = arg.includes("/") ? path.resolve(arg) : projectPath("notebooks", arg);
  for (const candidate of [file, `${file}.ipynb`]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  throw new NotebookParameterError(
    `No notebook ${arg}; notebooks/ holds: ${names.join(", ") || "none"}.`,
  );
}

/** Run names the parameters give (runName / runNames / a train.runName binding). */
function namedRuns(
  params: readonly NotebookParameter[],
  values: Record<string, unknown>,
): string[] {
  const out: string[] = [];
  for (const p of params) {
    const v = values[p.name];
    if (!(p.configKey === "train.runName" || /^runNames?$/.test(p.name))) continue;
    if (typeof v === "string") out.push(v);
    else if (Array.isArray(v) && v.length === 1 && typeof v[0] === "string") out.push(v[0]);
  }
  return out;
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

export interface NotebookCliResult {
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

export async function notebookCli(argv: readonly string[]): Promise<NotebookCliResult | null> {
  const args = parseNotebookCliArgs(argv);
  if (args.help && !args.notebook) {
    console.log(USAGE);
    return null;
  }
  const file = resolveNotebookArg(args.notebook);
  const name = path.basename(file);
  const stem = name.replace(/\.ipynb$/, "");
  const nb = JSON.parse(fs.readFileSync(file, "utf8")) as Parameters<typeof notebookParameters>[0];
  const params = notebookParameters(nb, name);
  if (args.help) {
    console.log(`${USAGE}\n${name} parameters:\n${describeParameters(params)}`);
    return null;
  }
  const values = parseParameterFlags(params, args.flags, name);
  // The runs folder the notebook uses: the one its runsDir parameter names, else the preset's
  // (runs, or runs/quick with AE_QUICK=1, the kernel inheriting our environment).
  const runsDirParam = params.find((p) => p.configKey === "train.runsDir");
  const given = runsDirParam ? values[runsDirParam.name] : undefined;
  const dirs = runsDirs([typeof given === "string" ? given : resolveConfig().train.runsDir]);

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
      namedRuns(params, values),
    );
    const placed = place(stagedPath, stem, target, args.outDir);
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

if (require.main === module) {
  notebookCli(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof AutoencoderLabError ? `error: ${e.message}` : e);
    process.exit(1);
  });
}
