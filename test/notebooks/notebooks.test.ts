/**
 * The headless notebook runner (lib/notebook/runner.ts) through the real tslab kernel of the
 * project venv, on generated probe notebooks: it really reports failures (tslab sends no `error`
 * message, so this is not a given) and AE_QUICK reaches the kernel. The committed notebooks
 * themselves run in jupyterlab-browser.test.ts (every one, quick preset, in a real JupyterLab),
 * and headless at full settings in the main job's export (setup), so they are not run again here.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { NotebookExecutionError, runNotebook } from "../../lib/notebook/runner";
import { removeAfterwards, writeProbeNotebook } from "../helpers/probe-notebook";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ae-notebooks-"));
removeAfterwards(tmp);

/** A probe notebook in a fresh folder: the first source is its parameters cell. */
function writeProbe(name: string, [parameters, ...sources]: string[]): string {
  return writeProbeNotebook(path.join(fs.mkdtempSync(path.join(tmp, "probe-")), name), parameters, sources);
}

function streamText(executed: string): string {
  const nb = JSON.parse(fs.readFileSync(executed, "utf8")) as {
    cells: { outputs?: { text?: string | string[] }[] }[];
  };
  return nb.cells
    .flatMap((c) => c.outputs ?? [])
    .map((o) => (Array.isArray(o.text) ? o.text.join("") : (o.text ?? "")))
    .join("");
}

describe("the notebook runner", () => {
  it("runs a passing notebook in its own folder, passes AE_QUICK, writes .ipynb and .html", async () => {
    const nb = writeProbe("ok.ipynb", [
      "const quick = process.env.AE_QUICK;",
      'console.log("quick=" + quick + " cwd=" + process.cwd());',
    ]);
    const out = path.join(tmp, "ok-out");
    const r = await runNotebook(nb, { outputDir: out, env: { AE_QUICK: "1" } });
    assert.equal(r.executedPath, path.join(out, "ok.ipynb"));
    assert.equal(r.htmlPath, path.join(out, "ok.html"));
    assert.match(fs.readFileSync(r.htmlPath, "utf8"), /quick=1/);
    const text = streamText(r.executedPath);
    assert.match(text, /quick=1/);
    // Absolute local paths are rewritten in exports: the temporary folder reads as $TMPDIR.
    const cwd = path.relative(fs.realpathSync(os.tmpdir()), fs.realpathSync(path.dirname(nb)));
    assert.ok(text.includes(`cwd=$TMPDIR/${cwd}`), text);
  });

  it("reports a throwing cell with its index and error text, and keeps the partial outputs", async () => {
    const nb = writeProbe("throws.ipynb", [
      'console.log("first cell ran");',
      'throw new Error("deliberate probe failure");',
      'console.log("must not run");',
    ]);
    const out = path.join(tmp, "fail-out");
    await assert.rejects(
      runNotebook(nb, { outputDir: out, html: false }),
      (e: unknown) => {
        assert.ok(e instanceof NotebookExecutionError, String(e));
        assert.equal(e.cellIndex, 2); // markdown cell 0, code cells 1..3
        assert.match(e.errorText, /deliberate probe failure/);
        assert.match(e.message, /throws\.ipynb: code cell 2, cell index 2 failed/);
        const partial = streamText(path.join(out, "throws.ipynb"));
        assert.match(partial, /first cell ran/);
        assert.doesNotMatch(partial, /must not run/);
        return true;
      },
    );
  });

  it("reports a TypeScript type error in a cell", async () => {
    const nb = writeProbe("type-error.ipynb", ['const n: number = "not a number";']);
    await assert.rejects(
      runNotebook(nb, { outputDir: path.join(tmp, "type-out"), html: false }),
      (e: unknown) => {
        assert.ok(e instanceof NotebookExecutionError, String(e));
        assert.equal(e.cellIndex, 1);
        assert.match(e.errorText, /not assignable to type 'number'/);
        return true;
      },
    );
  });
});
