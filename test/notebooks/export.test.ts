/**
 * `npm run notebook -- export` (scripts/notebook.ts; alias `npm run export`) end to end on probe notebooks through the real tslab
 * kernel: notebooks run in the order given, each executed .ipynb and offline HTML is written, the
 * HTML holds no absolute local path although the notebook printed some, and a failing cell stops
 * the export with exit code 1 naming the notebook, the cell (number and first line) and its error.
 */
import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../lib/paths";
import { IMPORT_LIBRARY, runScript, writeProbeNotebook } from "../helpers/probe-notebook";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ae-export-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("npm run notebook -- export", () => {
  it("exports notebooks in order, stops at a failing cell with exit 1 naming notebook, cell and error", async () => {
    const ok = writeProbeNotebook(path.join(tmp, "nb", "a-ok.ipynb"), "let points = 3; // points", [
      IMPORT_LIBRARY,
      [
        "ae.showFigure({ data: [{ type: 'scatter', x: [1, 2, 3], y: [2, 1, points] }], layout: {} });",
        "ae.showTable([{ split: 'train', images: 4000 }], { caption: 'probe table' });",
        "console.log(`cwd ${process.cwd()} home ${require('os').homedir()} root ${ae.projectPath()}`);",
      ].join("\n"),
    ]);
    const fails = writeProbeNotebook(path.join(tmp, "nb", "b-fails.ipynb"), "let n = 1;", [
      'console.log("before the failure");',
      'const broken = n + 1;\nthrow new Error("probe export failure " + broken);',
    ]);
    const never = writeProbeNotebook(path.join(tmp, "nb", "c-never.ipynb"), "let n = 1;", [
      'console.log("must not run");',
    ]);
    const out = path.join(tmp, "exports");
    const r = await runScript("notebook", ["export", ok, fails, never, "--out", out]);

    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /error: b-fails\.ipynb: code cell 3, cell index 3 failed \(const broken = n \+ 1;\)/,
    );
    assert.match(r.stderr, /Error: probe export failure 2/);
    assert.match(r.stdout, /export: .*a-ok\.ipynb ok in [\d.]+ s/);
    assert.ok(!fs.existsSync(path.join(out, "c-never.ipynb")), "ran a notebook after the failure");

    const html = fs.readFileSync(path.join(out, "a-ok.html"), "utf8");
    assert.equal(html.split("plotly.js v4.1.1").length - 1, 1, "plotly.js inlined once");
    assert.match(html, /class="ae-plotly-figure"/);
    assert.match(html, /probe table/);
    assert.match(html, /cwd \$TMPDIR\/.*home ~ root \./);
    const executed = fs.readFileSync(path.join(out, "a-ok.ipynb"), "utf8");
    for (const root of new Set([PROJECT_ROOT, os.homedir(), os.tmpdir(), fs.realpathSync(os.tmpdir())])) {
      assert.ok(!html.includes(root + "/") && !html.includes(`${root} `), `${root} in the HTML`);
      assert.ok(!executed.includes(root + "/"), `${root} in the executed notebook`);
    }
  });

  it("rejects an unknown notebook listing the ones in notebooks/", async () => {
    const r = await runScript("notebook", ["export", "no-such-notebook.ipynb", "--out", path.join(tmp, "x")]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no notebook no-such-notebook\.ipynb; notebooks\/ holds: 01-/);
  });
});
