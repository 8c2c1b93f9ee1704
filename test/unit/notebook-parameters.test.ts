/**
 * Parameters cells read as typed parameters and command-line flags mapped onto them
 * (lib/export/parameters.ts), on the committed notebooks' real parameters cells and small cells
 * written here; and which run a notebook run belongs to (lib/export/run-target.ts) on real folders.
 */
import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  NotebookParameterError,
  notebookParameters,
  parseParameterFlags,
  type NotebookLike,
} from "../../lib/export/parameters";
import { findRunTarget, snapshotRuns } from "../../lib/export/run-target";
import { projectPath } from "../../lib/paths";

const readNotebook = (name: string) =>
  JSON.parse(fs.readFileSync(projectPath("notebooks", name), "utf8")) as NotebookLike;

function cells(parameters: string, ...code: string[]): NotebookLike {
  return {
    cells: [
      { cell_type: "markdown", source: "# x" },
      { cell_type: "code", source: parameters, metadata: { tags: ["parameters"] } },
      ...code.map((source) => ({ cell_type: "code", source })),
    ],
  };
}

const rejectsWith = (fn: () => unknown, pattern: RegExp) =>
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof NotebookParameterError, String(e));
    assert.match(e.message, pattern);
    return true;
  });

describe("notebook 02's parameters", () => {
  const params = notebookParameters(readNotebook("02-training.ipynb"), "02-training.ipynb");

  it("maps --latent (the config alias of model.codeSize) and --epochs onto the notebook's variables", () => {
    assert.deepEqual(parseParameterFlags(params, ["--epochs", "5", "--latent", "32"]), {
      epochs: 5,
      codeSize: 32,
    });
  });

  it("accepts kebab-case names, dotted config keys, aliases bound in the config cell, and typed values", () => {
    const values = parseParameterFlags(params, [
      "--code-size=16",
      "--model.hiddenSizes",
      "256,128",
      "--noise",
      "gaussian",
      "--lr",
      "0.001",
      "--run",
      "probe-run",
      "--resume",
      "--seed",
      "null",
    ]);
    assert.deepEqual(values, {
      codeSize: 16,
      hiddenSizes: [256, 128],
      noiseKind: "gaussian",
      learningRate: 0.001,
      runName: "probe-run",
      resume: true,
      seed: null,
    });
  });

  it("rejects an unknown parameter listing the known ones, with a near match", () => {
    rejectsWith(
      () => parseParameterFlags(params, ["--epoch", "5"], "02-training.ipynb"),
      /Unknown parameter --epoch for 02-training\.ipynb\. Did you mean --epochs\?[\s\S]*--code-size \| --latent/,
    );
  });

  it("rejects a value of the wrong type naming the expected type, and config-invalid values", () => {
    rejectsWith(
      () => parseParameterFlags(params, ["--epochs", "five"]),
      /--epochs "five": parameter epochs expects number or null/,
    );
    rejectsWith(() => parseParameterFlags(params, ["--epochs", "2.5"]), /expected an integer/);
    rejectsWith(() => parseParameterFlags(params, ["--latent", "0"]), /at least 1/);
    rejectsWith(() => parseParameterFlags(params, ["--noise", "pink"]), /expected one of/);
    rejectsWith(() => parseParameterFlags(params, ["--epochs"]), /--epochs needs a value/);
  });
});

describe("parameters typed by their declaration", () => {
  const params = notebookParameters(
    cells(
      [
        "let n = 3; // a count",
        "let label = 'a'; // a label",
        "let on = false;",
        "let names: string[] = []; // names",
        "let sizes = [1, 2];",
        "let anything = null;",
        "let maybe: boolean | null = null;",
      ].join("\n"),
    ),
  );

  it("reads names, help and kinds", () => {
    assert.deepEqual(
      params.map((p) => [p.name, p.kinds.join("|"), p.elementKind, p.help]),
      [
        ["n", "number", null, "a count"],
        ["label", "string", null, "a label"],
        ["on", "boolean", null, ""],
        ["names", "array", "string", "names"],
        ["sizes", "array", "number", ""],
        ["anything", "any", null, ""],
        ["maybe", "boolean|null", null, ""],
      ],
    );
  });

  it("converts each value to the declared type", () => {
    assert.deepEqual(
      parseParameterFlags(params, [
        "--n",
        "-4",
        "--label",
        "42",
        "--on",
        "--names",
        '["a","b"]',
        "--sizes",
        "7",
        "--anything",
        '{"k":1}',
        "--maybe",
        "null",
      ]),
      {
        n: -4,
        label: "42",
        on: true,
        names: ["a", "b"],
        sizes: [7],
        anything: { k: 1 },
        maybe: null,
      },
    );
    rejectsWith(() => parseParameterFlags(params, ["--sizes", "1,x"]), /array of numbers/);
    rejectsWith(() => parseParameterFlags(params, ["--on", "maybe"]), /expects boolean/);
    rejectsWith(() => parseParameterFlags(params, ["--n", "null"]), /expects number/);
  });

  it("binds config flags only to variables passed to resolveConfig (dotted, nested, alias, in a ternary)", () => {
    const nb = cells(
      "let ds = 'mnist';\nlet e: number | null = null;\nlet size = 8;\nlet runName: string | null = null;\nlet batchSize = 1000;",
      'const c = ae.resolveConfig(q ? {} : { data: { dataset: ds }, epochs: e, "model.codeSize": size ?? undefined });',
      "const r = ae.loadRun(runName); reconstruct({ batchSize: batchSize });",
    );
    const byName = new Map(notebookParameters(nb).map((p) => [p.name, p]));
    assert.deepEqual(byName.get("ds")?.flags, ["ds", "dataset", "data.dataset"]);
    assert.deepEqual(byName.get("e")?.flags, ["e", "epochs", "train.epochs"]);
    assert.deepEqual(byName.get("size")?.flags, ["size", "latent", "model.codeSize"]);
    // Named like a config key but not passed to resolveConfig: the alias only, no config check.
    assert.deepEqual(byName.get("runName")?.flags, ["run-name", "run"]);
    assert.equal(byName.get("batchSize")?.configKey, null);
    assert.deepEqual(parseParameterFlags([...byName.values()], ["--batch-size", "100000"]), {
      batchSize: 100000,
    });
    rejectsWith(() => parseParameterFlags([...byName.values()], ["--latent", "0"]), /at least 1/);
  });

  it("names a notebook without a parameters cell", () => {
    rejectsWith(
      () => notebookParameters({ cells: [{ cell_type: "code", source: "let x = 1;" }] }, "x.ipynb"),
      /x\.ipynb has no code cell tagged "parameters"/,
    );
  });
});

describe("which run a notebook run belongs to", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ae-run-target-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const makeRun = (name: string) => {
    fs.mkdirSync(path.join(dir, name), { recursive: true });
    fs.writeFileSync(path.join(dir, name, "run.json"), JSON.stringify({ name }));
  };

  it("prefers a run trained during the notebook that its output names, over other changed runs", () => {
    makeRun("old-run");
    const before = snapshotRuns([dir]);
    makeRun("other-process-run");
    makeRun("dense-64-mnist-20261129-1");
    const after = snapshotRuns([dir]);
    const target = findRunTarget(before, after, "saved runs/quick/dense-64-mnist-20261129-1\n");
    assert.deepEqual(target, {
      folder: path.join(dir, "dense-64-mnist-20261129-1"),
      reason: "trained",
    });
    // Another process trained while a notebook only loaded old-run: old-run, not the busy one.
    assert.deepEqual(findRunTarget(before, after, "Run old-run: dense"), {
      folder: path.join(dir, "old-run"),
      reason: "used",
    });
  });

  it("else a run the parameters named, else the run its output names most, else none", () => {
    const snap = snapshotRuns([dir]);
    assert.equal(findRunTarget(snap, snap, "", ["old-run"])?.reason, "named");
    assert.deepEqual(findRunTarget(snap, snap, "Showing 1 run: old-run"), {
      folder: path.join(dir, "old-run"),
      reason: "used",
    });
    assert.equal(
      findRunTarget(snap, snap, "old-run old-run, then other-process-run")?.folder,
      path.join(dir, "old-run"),
    );
    assert.equal(findRunTarget(snap, snap, "old-run and other-process-run"), null);
    assert.equal(findRunTarget(snap, snap, "old-run-2 is another name"), null);
  });

  it("takes the only changed run when the output names none", () => {
    const before = snapshotRuns([dir]);
    makeRun("silent-run");
    assert.deepEqual(findRunTarget(before, snapshotRuns([dir]), "no names here"), {
      folder: path.join(dir, "silent-run"),
      reason: "trained",
    });
  });
});
