// lib/ml stays a package that can be lifted out: its files import each other, lib/random,
// lib/errors, Node's built-ins and umap-js, and nothing else of the project (no runs, data, plots,
// backend state) and nothing of tfjs.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { specifiers } from "../helpers/imports";

const ML = path.join(__dirname, "..", "..", "lib", "ml");
/** Modules outside lib/ml that lib/ml may import, as paths relative to lib/ml. */
const ALLOWED_PROJECT = new Set(["../random", "../errors"]);
/** Third-party packages lib/ml may import. */
const ALLOWED_PACKAGES = new Set(["umap-js"]);

test("lib/ml imports only itself, lib/random, lib/errors, Node built-ins and umap-js", () => {
  const files = fs.readdirSync(ML).filter((f) => f.endsWith(".ts"));
  assert.ok(files.length >= 15, `expected the lib/ml modules, found ${files.join(", ")}`);
  const offending: string[] = [];
  for (const file of files) {
    const source = fs.readFileSync(path.join(ML, file), "utf8");
    for (const spec of specifiers(source)) {
      const inside = spec.startsWith("./") && !spec.slice(2).includes("/");
      const ok =
        inside ||
        ALLOWED_PROJECT.has(spec) ||
        spec.startsWith("node:") ||
        ALLOWED_PACKAGES.has(spec);
      if (!ok) offending.push(`${file}: ${spec}`);
    }
  }
  assert.deepEqual(offending, [], "imports from outside lib/ml");
});

test("the import scan sees the forms it must catch", () => {
  const sample = [
    'import * as tf from "@tensorflow/tfjs";',
    'import type { Figure } from "../plots/figure";',
    "import {\n  a,\n  b,\n} from '../runs/atomic';",
    'export { x } from "../data";',
    'const m = require("../backend/linalg");',
    'const n = await import("../config");',
    'import "../side-effect";',
  ].join("\n");
  assert.deepEqual(specifiers(sample).sort(), [
    "../backend/linalg",
    "../config",
    "../data",
    "../plots/figure",
    "../runs/atomic",
    "../side-effect",
    "@tensorflow/tfjs",
  ]);
});
