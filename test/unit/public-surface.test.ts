// The notebook facade (lib/index.ts) is a curated list: every name it exports is used by a
// notebook, a script, the README or docs/, and every `ae.<name>` a notebook uses is exported.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as ae from "../../lib";
import { projectPath } from "../../lib/paths";

const INDEX = fs.readFileSync(projectPath("lib", "index.ts"), "utf8");

/** Names in the index's `export { ... }` and `export type { ... }` lists, and its namespaces. */
function facadeNames(): { values: string[]; types: string[]; namespaces: string[] } {
  const values: string[] = [];
  const types: string[] = [];
  for (const m of INDEX.matchAll(/export (type )?\{([^}]*)\} from/g)) {
    const names = m[2]
      .split(",")
      .map((n) => n.trim())
      .filter(Boolean);
    (m[1] ? types : values).push(...names);
  }
  const namespaces = [...INDEX.matchAll(/export \* as (\w+) from/g)].map((m) => m[1]);
  return { values, types, namespaces };
}

function notebookSources(): string {
  const folder = projectPath("notebooks");
  return fs
    .readdirSync(folder)
    .filter((f) => f.endsWith(".ipynb"))
    .map((f) => {
      const nb = JSON.parse(fs.readFileSync(path.join(folder, f), "utf8")) as {
        cells: { cell_type: string; source: string[] }[];
      };
      return nb.cells
        .filter((c) => c.cell_type === "code")
        .map((c) => c.source.join(""))
        .join("\n");
    })
    .join("\n");
}

function filesText(folder: string, suffix: string): string {
  return fs
    .readdirSync(projectPath(folder))
    .filter((f) => f.endsWith(suffix))
    .map((f) => fs.readFileSync(projectPath(folder, f), "utf8"))
    .join("\n");
}

test("the facade is explicit: named lists and namespaces only, no export *", () => {
  assert.doesNotMatch(INDEX, /export \* from/);
  const { values, types, namespaces } = facadeNames();
  assert.ok(values.length > 50 && values.length < 200, `${values.length} value names`);
  assert.deepEqual(namespaces, ["ml"]);
  for (const name of values) assert.ok(name in ae, `${name} is exported at run time`);
  assert.equal(new Set([...values, ...types]).size, values.length + types.length, "no duplicates");
});

test("every name of the facade is used by a notebook, a script, the README or docs/", () => {
  const notebooks = notebookSources();
  const elsewhere = [
    filesText("scripts", ".ts"),
    fs.readFileSync(projectPath("README.md"), "utf8"),
    filesText("docs", ".md"),
  ].join("\n");
  const { values, types, namespaces } = facadeNames();
  const unused = [...values, ...types, ...namespaces].filter(
    (name) =>
      !new RegExp(`\\bae\\.${name}\\b|import (type )?\\{[^}]*\\b${name}\\b`).test(notebooks) &&
      !new RegExp(`\\b${name}\\b`).test(elsewhere),
  );
  assert.deepEqual(unused, [], "exported but used by no notebook and named nowhere");
});

test("every ae.<name> and ae.ml.<name> a notebook uses is in the facade", () => {
  const notebooks = notebookSources();
  const { values, types } = facadeNames();
  const known = new Set([...values, ...types, "ml"]);
  const used = new Set([...notebooks.matchAll(/\bae\.(\w+)/g)].map((m) => m[1]));
  // Named imports too, e.g. the parameters cells' `import type { ConfigOverrides } from "../dist/lib"`.
  for (const m of notebooks.matchAll(/import (?:type )?\{([^}]*)\} from "\.\.\/dist\/lib"/g)) {
    for (const name of m[1].split(",")) if (name.trim()) used.add(name.trim());
  }
  assert.deepEqual(
    [...used].filter((n) => !known.has(n)),
    [],
    "used by a notebook, missing from lib/index.ts",
  );
  const ml = ae.ml as Record<string, unknown>;
  const usedMl = new Set([...notebooks.matchAll(/\bae\.ml\.(\w+)/g)].map((m) => m[1]));
  assert.deepEqual(
    [...usedMl].filter((n) => !(n in ml)),
    [],
    "used as ae.ml.<name>, missing from lib/ml/index.ts",
  );
});
