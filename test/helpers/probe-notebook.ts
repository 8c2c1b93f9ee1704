// Tiny tslab notebooks written on the fly, and running the project's CLI scripts, for the notebook,
// export and papermill tests (test/notebooks/*.test.ts).
import { after } from "node:test";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_ROOT, projectPath } from "../../lib/paths";

/** A committed-form tslab notebook: a parameters cell (`parameters`) then one code cell per source. */
export function writeProbeNotebook(file: string, parameters: string, sources: string[]): string {
  const code = (id: string, source: string, tags?: string[]) => ({
    cell_type: "code",
    id,
    metadata: tags ? { tags } : {},
    execution_count: null,
    outputs: [],
    source,
  });
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" },
      language_info: { name: "typescript" },
    },
    cells: [
      { cell_type: "markdown", id: "intro", metadata: {}, source: "# probe" },
      code("params", parameters, ["parameters"]),
      ...sources.map((s, i) => code(`c${i}`, s)),
    ],
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(nb, null, 1));
  return file;
}

/**
 * Quick-mode notebooks train into runs/quick: after the calling test file, remove `tmp` and the
 * quick runs created since this call, keeping the user's.
 */
export function removeAfterwards(tmp: string): void {
  const quickRuns = projectPath("runs", "quick");
  const listQuickRuns = () => (fs.existsSync(quickRuns) ? fs.readdirSync(quickRuns) : []);
  const runsBefore = new Set(listQuickRuns());
  after(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
    for (const name of listQuickRuns()) {
      if (!runsBefore.has(name))
        fs.rmSync(path.join(quickRuns, name), { recursive: true, force: true });
    }
  });
}

/** A cell line loading the compiled library by absolute path (probes live outside notebooks/). */
export const IMPORT_LIBRARY = `const ae = require(${JSON.stringify(path.join(PROJECT_ROOT, "dist", "lib"))});`;

export interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run scripts/<name>.ts through ts-node like `npm run`, from the project root. */
export function runScript(
  name: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--require", "ts-node/register/transpile-only", path.join("scripts", `${name}.ts`), ...args],
      { cwd: PROJECT_ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
