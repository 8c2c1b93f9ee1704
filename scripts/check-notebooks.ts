/**
 * Checks that notebooks are in their committed form (no outputs, no execution counts, the
 * metadata the tslab kernel writes, a parameters cell, the other code cells formatted by prettier
 * with the code's own settings): the git pre-commit hook (scripts/git-hooks/pre-commit) runs it on the
 * staged notebooks, and `npm test` on every notebook.
 *   npx ts-node --transpile-only scripts/check-notebooks.ts              every notebook in notebooks/
 *   npx ts-node --transpile-only scripts/check-notebooks.ts --staged     the staged .ipynb files
 *   npx ts-node --transpile-only scripts/check-notebooks.ts a.ipynb ...  the files named
 *   npm run clean-notebooks    (--fix) rewrites notebooks/*.ipynb in committed form (and formats them)
 * Exit code 1, naming each notebook and problem, if any is not clean.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { listNotebooks, notebookFormatProblems, TSLAB_LANGUAGE_INFO } from "../lib/notebook/runner";
import { isParametersCell } from "../lib/notebook/parameters";
import { PROJECT_ROOT } from "../lib/paths";
import * as prettier from "prettier";

/** [name, content] of each staged .ipynb of the git repository in the working directory. */
function stagedNotebooks(): [string, string][] {
  const git = (args: string[]) => execFileSync("git", args, { encoding: "utf8" });
  const names = git(["diff", "--cached", "--name-only", "--diff-filter=ACMR", "-z"])
    .split("\0")
    .filter((n) => n.endsWith(".ipynb"));
  return names.map((n) => [n, git(["show", `:${n}`])]);
}

/** JSON as nbformat writes it (sorted keys, indent 1, non-ASCII kept, final newline). */
function nbformatJson(value: unknown): string {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sorted)
      : typeof v === "object" && v !== null
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
          )
        : v;
  return JSON.stringify(sorted(value), null, 1) + "\n";
}

/** The project's prettier options for TypeScript, resolved once per process. */
let projectOptions: Promise<prettier.Options | null> | undefined;

/** A code cell's source formatted as the project's TypeScript is (.prettierrc), no final newline. */
async function formatCell(source: string): Promise<string> {
  projectOptions ??= prettier.resolveConfig(path.join(PROJECT_ROOT, "cell.ts"));
  const options = (await projectOptions) ?? {};
  const formatted = await prettier.format(source, { ...options, parser: "typescript" });
  return formatted.replace(/\n$/, "");
}

/** nbformat's list-of-lines form of a cell source (every line but the last keeps its "\n"). */
function sourceLines(text: string): string[] {
  return text.split(/(?<=\n)/);
}

/**
 * The committed form of a notebook: outputs and execution counts cleared, cell metadata reduced
 * to tags, the kernel's language_info in the notebook metadata, code cells formatted.
 */
export async function cleanNotebook(content: string): Promise<string> {
  const nb = JSON.parse(content) as {
    metadata: Record<string, unknown>;
    cells: Record<string, unknown>[];
  };
  nb.metadata = { kernelspec: nb.metadata.kernelspec, language_info: TSLAB_LANGUAGE_INFO };
  for (const cell of nb.cells) {
    const tags = (cell.metadata as { tags?: string[] } | undefined)?.tags;
    cell.metadata = tags && tags.length > 0 ? { tags } : {};
    if (cell.cell_type === "code") {
      cell.outputs = [];
      cell.execution_count = null;
      // The parameters cell stays as written: one `let` per line is its contract with papermill's
      // injection, `--help` and the parameter reader, which prettier breaks by wrapping arrays.
      if (isParametersCell(cell)) continue;
      const source = cell.source as string[] | string;
      const text = Array.isArray(source) ? source.join("") : source;
      cell.source = sourceLines(await formatCell(text));
    }
  }
  return nbformatJson(nb);
}

/** Code cells that prettier would change, as problems naming the cell. */
async function formattingProblems(content: string): Promise<string[]> {
  const nb = JSON.parse(content) as {
    cells: { cell_type: string; source: string[] | string; metadata?: unknown }[];
  };
  const problems: string[] = [];
  for (const [index, cell] of nb.cells.entries()) {
    if (cell.cell_type !== "code" || isParametersCell(cell)) continue;
    const text = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
    let formatted: string;
    try {
      formatted = await formatCell(text);
    } catch (e) {
      problems.push(
        `cell index ${index}: does not parse as TypeScript (${String(e).split("\n")[0]})`,
      );
      continue;
    }
    if (formatted !== text) problems.push(`cell index ${index}: not formatted (prettier)`);
  }
  return problems;
}

export async function checkNotebooksCli(argv: readonly string[]): Promise<number> {
  if (argv.includes("--fix")) {
    for (const file of listNotebooks()) {
      const before = fs.readFileSync(file, "utf8");
      const after = await cleanNotebook(before);
      if (after !== before) fs.writeFileSync(file, after);
      console.log(
        `${path.relative(PROJECT_ROOT, file)}: ${after === before ? "clean" : "cleaned"}`,
      );
    }
    return 0;
  }
  const files: [string, string][] = argv.includes("--staged")
    ? stagedNotebooks()
    : (argv.length > 0 ? [...argv] : listNotebooks()).map((f) => [
        path.relative(PROJECT_ROOT, path.resolve(f)) || f,
        fs.readFileSync(f, "utf8"),
      ]);
  let bad = 0;
  for (const [name, content] of files) {
    const problems = notebookFormatProblems(content);
    if (problems.length === 0) problems.push(...(await formattingProblems(content)));
    if (problems.length === 0) continue;
    bad++;
    console.error(`${name}:\n  ${problems.join("\n  ")}`);
  }
  if (bad > 0) {
    console.error(
      `\n${bad} notebook(s) not in committed form. Clear outputs, restore the metadata and format\n` +
        "the code cells with\n" +
        "  npm run clean-notebooks\nthen stage them again (git add).",
    );
    return 1;
  }
  return 0;
}

if (require.main === module) {
  checkNotebooksCli(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
