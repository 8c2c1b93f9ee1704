// lib/'s wings form layers: a module imports from its own wing or from wings below it, never from
// one above, so no import arrow runs back up (and no two wings depend on each other).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { projectPath } from "../../lib/paths";
import { specifiers } from "../helpers/imports";

/** Bottom first. A root module (lib/<name>.ts) is its own wing. */
const LAYERS = [
  "errors",
  "records",
  "random",
  "paths",
  "config",
  "ml",
  "data",
  "model",
  "backend",
  "plots",
  "quality",
  "runs",
  "latent",
  "train",
  "notebook",
  "apps",
  "render",
  "sweep",
  "live",
  "index",
];

function libFiles(folder: string): string[] {
  return fs.readdirSync(folder, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(folder, e.name);
    if (e.isDirectory()) return libFiles(full);
    return e.name.endsWith(".ts") ? [full] : [];
  });
}

/** lib/<wing>/... -> wing; lib/<name>.ts -> name. */
function wingOf(file: string): string {
  const parts = path.relative(projectPath("lib"), file).split(path.sep);
  return parts.length > 1 ? parts[0] : parts[0].replace(/\.ts$/, "");
}

function relativeImports(file: string): string[] {
  return specifiers(fs.readFileSync(file, "utf8"))
    .filter((spec) => spec.startsWith("."))
    .map((spec) => path.resolve(path.dirname(file), spec));
}

test("every wing of lib/ is placed in the layer list", () => {
  const wings = new Set(libFiles(projectPath("lib")).map(wingOf));
  assert.deepEqual(
    [...wings].filter((w) => !LAYERS.includes(w)),
    [],
    "add new wings to LAYERS",
  );
});

test("no module imports from a wing above its own", () => {
  const upward: string[] = [];
  for (const file of libFiles(projectPath("lib"))) {
    const own = wingOf(file);
    for (const target of relativeImports(file)) {
      const wing = wingOf(target.endsWith(".ts") ? target : `${target}.ts`);
      if (wing === own || !LAYERS.includes(wing)) continue;
      if (LAYERS.indexOf(wing) > LAYERS.indexOf(own)) {
        upward.push(`${path.relative(projectPath(), file)} imports ${wing} (above ${own})`);
      }
    }
  }
  assert.deepEqual(upward, []);
});
