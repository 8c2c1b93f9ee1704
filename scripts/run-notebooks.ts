/**
 * Execute every notebook in notebooks/ (name order) headless through the tslab kernel of the
 * project venv, writing executed copies and HTML exports into exports/ (or --out DIR).
 *
 *   npm run notebooks                      # all notebooks -> exports/
 *   npm run notebooks -- 01-data-exploration.ipynb --out /tmp/x
 *   AE_QUICK=1 npm run notebooks           # quick preset, passed to the kernels via the environment
 *
 * Exits 1 naming the notebook, cell and error text when a cell fails.
 */
import * as path from "node:path";
import { quickRequested } from "../lib/config";
import { AutoencoderLabError } from "../lib/errors";
import { listNotebooks, runNotebook, type NotebookRunResult } from "../lib/notebook-runner";
import { projectPath } from "../lib/paths";

export interface RunNotebooksArgs {
  outputDir: string;
  /** Notebook file names or paths; empty = every notebook in notebooks/. */
  only: string[];
}

export function parseRunNotebooksArgs(argv: string[]): RunNotebooksArgs {
  const args: RunNotebooksArgs = { outputDir: projectPath("exports"), only: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--out") {
      const dir = argv[++i];
      if (!dir) throw new AutoencoderLabError("--out needs a folder");
      args.outputDir = path.resolve(dir);
    } else if (a.startsWith("--")) {
      throw new AutoencoderLabError(`unknown option ${a} (known: --out DIR)`);
    } else {
      args.only.push(a);
    }
  }
  return args;
}

/** A path relative to the working directory when inside it, else absolute. */
function shortPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith("..") ? rel : p;
}

/** Run the chosen notebooks, printing one line per notebook; resolves with the results. */
export async function runNotebooksCli(argv: string[]): Promise<NotebookRunResult[]> {
  const args = parseRunNotebooksArgs(argv);
  const notebooks =
    args.only.length > 0
      ? args.only.map((n) => (n.includes("/") ? path.resolve(n) : projectPath("notebooks", n)))
      : listNotebooks();
  if (notebooks.length === 0) {
    console.log("notebooks: none in notebooks/, nothing to execute");
    return [];
  }
  const quick = quickRequested() ? ` (AE_QUICK=${process.env.AE_QUICK})` : "";
  const results: NotebookRunResult[] = [];
  for (const nb of notebooks) {
    const rel = shortPath(nb);
    console.log(`notebooks: executing ${rel}${quick} ...`);
    const r = await runNotebook(nb, { outputDir: args.outputDir });
    const out = shortPath(r.htmlPath ?? r.executedPath);
    console.log(`notebooks: ${rel} ok in ${r.seconds.toFixed(1)} s -> ${out}`);
    results.push(r);
  }
  return results;
}

if (require.main === module) {
  runNotebooksCli(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof AutoencoderLabError ? `error: ${e.message}` : e);
    process.exit(1);
  });
}
