/**
 * `npm run notebook` (scripts/notebook.ts): papermill injects typed parameters into a tslab
 * notebook (our TypeScript translator), flags are checked against the parameters cell before any
 * kernel starts, a failing cell exits 1 naming it, and notebook 02 in quick mode saves its
 * executed copy and HTML next to the run it trained.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { projectPath } from "../../lib/paths";
import { removeAfterwards, runScript, writeProbeNotebook } from "../helpers/probe-notebook";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ae-papermill-"));
removeAfterwards(tmp);

const probe = writeProbeNotebook(
  path.join(tmp, "nb", "probe.ipynb"),
  [
    "let epochs: number | null = null; // how many",
    'let label = "a"; // a label',
    "let verbose = false; // a switch",
    "let sizes: number[] = [1]; // sizes",
    "let fail = false; // throw in the last cell",
  ].join("\n"),
  [
    "console.log(JSON.stringify({ epochs: epochs, label: label, verbose: verbose, sizes: sizes, sum: sizes.reduce((a, b) => a + b, 0) }));",
    'if (fail) throw new Error("asked to fail");\nconsole.log("done");',
  ],
);

interface Executed {
  cells: { source: string | string[]; metadata: { tags?: string[] }; outputs?: { text?: string[] }[] }[];
  metadata: { papermill?: { parameters?: unknown; output_path?: string } };
}
const readNotebook = (file: string) => JSON.parse(fs.readFileSync(file, "utf8")) as Executed;
const join = (s: string | string[] | undefined) => (Array.isArray(s) ? s.join("") : (s ?? ""));
const wrote = (stdout: string) =>
  [...stdout.matchAll(/^notebook: wrote (.+)$/gm)].map((m) => projectPath(m[1].trim()));

describe("npm run notebook", () => {
  it("injects typed parameters after the parameters cell and writes the notebook and its HTML", async () => {
    const out = path.join(tmp, "params");
    const r = await runScript("notebook", [
      probe,
      "--epochs",
      "3",
      "--label",
      "x</script>",
      "--verbose",
      "--sizes",
      "4,5",
      "--out",
      out,
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /no run trained or used/);
    const [ipynb, html] = wrote(r.stdout);
    assert.equal(path.dirname(ipynb), out);
    assert.match(path.basename(ipynb), /^probe-\d{8}-\d{6}\.ipynb$/);
    const nb = readNotebook(ipynb);
    const injected = nb.cells.find((c) => c.metadata.tags?.includes("injected-parameters"));
    assert.ok(injected, "no injected-parameters cell");
    assert.equal(
      join(injected.source),
      '// Parameters\nlet epochs = 3;\nlet label = "x</script>";\nlet verbose = true;\nlet sizes = [4, 5];\n',
    );
    const printed = nb.cells.flatMap((c) => c.outputs ?? []).map((o) => join(o.text)).join("");
    assert.match(printed, /\{"epochs":3,"label":"x<\/script>","verbose":true,"sizes":\[4,5\],"sum":9\}/);
    assert.deepEqual(nb.metadata.papermill?.parameters, {
      epochs: 3,
      label: "x</script>",
      verbose: true,
      sizes: [4, 5],
    });
    const page = fs.readFileSync(html, "utf8");
    assert.ok(page.includes('"sizes":[4,5],"sum":9'), "the run's output is not in the HTML");
    assert.ok(page.includes('"x&lt;/script&gt;"'), "the injected cell is not in the HTML");
    assert.ok(!page.includes(tmp), "an absolute path is in the HTML");
  });

  it("rejects an unknown parameter with the known ones, and a bad value with its type, before running", async () => {
    const unknown = await runScript("notebook", [probe, "--epoch", "3"]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Unknown parameter --epoch for probe\.ipynb\. Did you mean --epochs\?/);
    assert.match(unknown.stderr, /--label: string, default "a" — a label/);
    assert.match(unknown.stderr, /--sizes: array of numbers/);
    const bad = await runScript("notebook", [probe, "--sizes", "4,x"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--sizes "4,x": parameter sizes expects array of numbers/);
    assert.doesNotMatch(bad.stdout, /executing/);
  });

  it("exits 1 naming the failing cell, and keeps the partial notebook", async () => {
    const out = path.join(tmp, "failed");
    const r = await runScript("notebook", [probe, "--fail", "true", "--out", out]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /probe\.ipynb: code cell 3, cell index 3 failed \(if \(fail\) throw new Error\("asked to fail"\);\)/);
    assert.match(r.stderr, /Error: asked to fail/);
    const partial = /partial outputs saved in (.+)\)/.exec(r.stderr);
    assert.ok(partial && fs.existsSync(projectPath(partial[1])), r.stderr);
  });

  it("runs notebook 02 by number in quick mode and saves it next to the run it trained", async () => {
    const r = await runScript("notebook", ["02", "--epochs", "1", "--latent", "8"], { AE_QUICK: "1" });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const run = /trained run (runs\/quick\/[^)\s]+)\)/.exec(r.stdout);
    assert.ok(run, r.stdout);
    const [ipynb, html] = wrote(r.stdout);
    assert.equal(ipynb, projectPath(run[1], "notebooks", "02-training.ipynb"));
    assert.equal(html, projectPath(run[1], "notebooks", "02-training.html"));
    assert.ok(fs.statSync(html).size > 0);
    const config = JSON.parse(fs.readFileSync(projectPath(run[1], "config.json"), "utf8"));
    assert.equal(config.train.epochs, 1);
    assert.equal(config.model.codeSize, 8);
    assert.equal(readNotebook(ipynb).metadata.papermill?.output_path, path.join(run[1], "notebooks", "02-training.ipynb"));
  });
});
