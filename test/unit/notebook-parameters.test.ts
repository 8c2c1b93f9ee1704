/**
 * Parameters cells read as typed parameters and command-line flags mapped onto them
 * (lib/notebook/parameters.ts): a flag naming a variable sets it, typed by its declaration; a
 * config flag becomes an entry of configOverrides, checked by the config. On the committed
 * notebooks' real parameters cells (each one evaluates, and no notebook sets a config key outside
 * configOverrides) and small cells written here; and which run a notebook run belongs to
 * (lib/notebook/run-target.ts) on real folders.
 */
import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vm from "node:vm";
import * as ts from "typescript";
import { FIELDS, resolveConfig } from "../../lib/config";
import {
  CONFIG_OVERRIDES,
  describeParameters,
  NotebookParameterError,
  notebookParameters,
  parametersCellSource,
  parseParameterFlags,
  type NotebookLike,
} from "../../lib/notebook/parameters";
import { listNotebooks } from "../../lib/notebook/runner";
import { findRunTarget, snapshotRuns } from "../../lib/notebook/run-target";
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

  it("maps --epochs and --latent (config flags) into configOverrides, by dotted key", () => {
    assert.deepEqual(parseParameterFlags(params, ["--epochs", "5", "--latent", "32"]), {
      configOverrides: { "train.epochs": 5, "model.codeSize": 32 },
    });
  });

  it("accepts dotted config keys, aliases, typed values, a JSON object, and its own variables", () => {
    const values = parseParameterFlags(params, [
      "--config-overrides",
      '{"train.epochs": 2, "model.codeSize": 4}',
      "--model.codeSize=16",
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
      "7",
      "--patience",
      "null",
    ]);
    assert.deepEqual(values, {
      resume: true,
      configOverrides: {
        "train.epochs": 2,
        "model.codeSize": 16,
        "model.hiddenSizes": [256, 128],
        "model.noise.kind": "gaussian",
        "train.learningRate": 0.001,
        "train.runName": "probe-run",
        seed: 7,
        "train.earlyStoppingPatience": null,
      },
    });
    // What the kernel does with it: the config it builds.
    const config = resolveConfig(values.configOverrides as Record<string, unknown>);
    assert.equal(config.model.codeSize, 16);
    assert.equal(config.train.runName, "probe-run");
  });

  it("rejects an unknown parameter listing the known ones, with a near match", () => {
    rejectsWith(
      () => parseParameterFlags(params, ["--epoch", "5"], "02-training.ipynb"),
      /Unknown parameter --epoch for 02-training\.ipynb\. Did you mean --epochs\?[\s\S]*--resume: boolean, default false[\s\S]*config keys \(entries of configOverrides\)/,
    );
  });

  it("rejects a value of the wrong type with the config's message naming the key", () => {
    rejectsWith(
      () => parseParameterFlags(params, ["--epochs", "five"]),
      /--epochs "five": Config key "train\.epochs": got string "five", expected an integer/,
    );
    rejectsWith(() => parseParameterFlags(params, ["--epochs", "2.5"]), /expected an integer/);
    rejectsWith(() => parseParameterFlags(params, ["--latent", "0"]), /at least 1/);
    rejectsWith(() => parseParameterFlags(params, ["--noise", "pink"]), /expected one of/);
    rejectsWith(() => parseParameterFlags(params, ["--epochs"]), /--epochs needs a value/);
    rejectsWith(
      () => parseParameterFlags(params, ["--config-overrides", '{"train.epoch": 1}']),
      /--config-overrides .*Unknown config key "train\.epoch"\. Did you mean "train\.epochs"\?/,
    );
    rejectsWith(
      () => parseParameterFlags(params, ["--config-overrides", '{"train": {"epochs": "x"}}']),
      /Config key "train\.epochs": got string "x", expected an integer/,
    );
    rejectsWith(() => parseParameterFlags(params, ["--resume", "maybe"]), /expects boolean/);
  });

  it("--help lists its variables and every config key with its flags", () => {
    const help = describeParameters(params, { configKeys: true });
    assert.match(help, /--config-overrides: object \(declared `ConfigOverrides`\), default \{\}/);
    assert.match(help, /--resume: boolean, default false — continue the run/);
    for (const key of Object.keys(FIELDS)) assert.ok(help.includes(`--${key}`), key);
    assert.match(help, /--train\.epochs \| --epochs/);
    assert.doesNotMatch(describeParameters(params), /--train\.epochs/);
  });
});

describe("parameters typed by their declaration", () => {
  const params = notebookParameters(
    cells(
      [
        "// a comment, then an import line: neither is a parameter",
        'import type { ConfigOverrides } from "../dist/lib";',
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

  it("a config flag sets the variable its key ends in, else configOverrides; without one it is unknown", () => {
    const withOverrides = notebookParameters(
      cells(
        "let configOverrides: ConfigOverrides = {};\nlet runName: string | null = null;\nlet batchSize = 1000;",
      ),
    );
    assert.deepEqual(
      parseParameterFlags(withOverrides, ["--run", "a", "--batch-size", "100000", "--lr", "0.1"]),
      { runName: "a", batchSize: 100000, configOverrides: { "train.learningRate": 0.1 } },
    );
    rejectsWith(
      () => parseParameterFlags(params, ["--latent", "8"], "x.ipynb"),
      /Unknown parameter --latent for x\.ipynb\. Its parameters:\n {2}--n: number, default 3 — a count/,
    );
  });

  it("names a notebook without a parameters cell", () => {
    rejectsWith(
      () => notebookParameters({ cells: [{ cell_type: "code", source: "let x = 1;" }] }, "x.ipynb"),
      /x\.ipynb has no code cell tagged "parameters"/,
    );
  });
});

describe("the committed notebooks' parameters cells", () => {
  const notebooks = listNotebooks().map((file) => ({
    name: path.basename(file),
    nb: JSON.parse(fs.readFileSync(file, "utf8")) as NotebookLike,
  }));

  /** The cell run as JavaScript (its type-only import erased): every variable's value. */
  function evaluate(source: string, names: string[]): Record<string, unknown> {
    const js = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 },
    }).outputText;
    const context = { exports: {}, require: () => assert.fail("a parameters cell loads nothing") };
    const values = vm.runInNewContext(
      `JSON.stringify((() => { ${js}\n return { ${names.join(", ")} }; })())`,
      context,
    ) as string;
    return JSON.parse(values) as Record<string, unknown>;
  }

  it("evaluate, declare every variable on one line, and hand configOverrides to resolveConfig", () => {
    assert.ok(notebooks.length >= 10);
    for (const { name, nb } of notebooks) {
      const params = notebookParameters(nb, name);
      const source = parametersCellSource(nb) as string;
      const declared = source.split("\n").filter((l) => /^\s*(let|const|var)\s/.test(l)).length;
      assert.equal(params.length, declared, `${name}: a declaration the reader missed`);
      const values = evaluate(
        source,
        params.map((p) => p.name),
      );
      for (const p of params) {
        assert.notEqual(values[p.name], undefined, `${name}: ${p.name}`);
        const literal = (() => {
          try {
            return JSON.parse(p.defaultSource) as unknown;
          } catch {
            return undefined;
          }
        })();
        if (literal !== undefined) assert.deepEqual(values[p.name], literal, `${name}: ${p.name}`);
      }
      if (CONFIG_OVERRIDES in values) {
        assert.ok(resolveConfig(values[CONFIG_OVERRIDES] as Record<string, unknown>), name);
      }
    }
  });

  it("set no config key outside configOverrides: no hand mapping, no variable per key", () => {
    const keys = Object.keys(FIELDS).map((k) => k.replace(/\./g, "\\."));
    const handMapping = new RegExp(`["'](${keys.join("|")})["']\\s*:`);
    for (const { name, nb } of notebooks) {
      const code = nb.cells.filter((c) => c.cell_type === "code");
      const params = notebookParameters(nb, name);
      const usesConfig = code.some((c) => /resolveConfig\(|variantBase\(/.test(String(c.source)));
      if (usesConfig) {
        assert.ok(
          params.some((p) => p.name === CONFIG_OVERRIDES),
          `${name}: builds a config but has no configOverrides`,
        );
      }
      code.slice(1).forEach((cell, i) => {
        const src = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
        assert.doesNotMatch(src, handMapping, `${name}, code cell ${i + 2}: a config key by hand`);
        for (const call of src.matchAll(/(?:resolveConfig|variantBase)\(([^()]*)\)/g)) {
          assert.ok(
            ["", CONFIG_OVERRIDES].includes(call[1].trim()),
            `${name}, code cell ${i + 2}: ${call[0]} (config from anything but configOverrides)`,
          );
        }
      });
      // The old pattern: a `let x: T | null = null` per key, read as `x ?? config.<key>`.
      for (const cell of code) {
        const src = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
        assert.doesNotMatch(src, /\?\? config\./, `${name}: a variable standing for a config key`);
      }
    }
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
