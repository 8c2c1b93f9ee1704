/**
 * Where things live. Paths are resolved from the project root, found from this file's location
 * (lib/ when run through ts-node, dist/lib/ when compiled), so notebooks, scripts and tests agree
 * whatever their working directory.
 */
import * as fs from "node:fs";
import * as path from "node:path";

function findProjectRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/** The repository root (the folder holding package.json). */
export const PROJECT_ROOT = findProjectRoot();

/** Resolve a path given in config: absolute paths stay, relative ones are from the project root. */
export function projectPath(...parts: string[]): string {
  return path.resolve(PROJECT_ROOT, ...parts);
}

/** A path as shown to people and stored in records: relative to the project root when inside it. */
export function displayPath(p: string): string {
  const relative = path.relative(PROJECT_ROOT, p);
  return relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : p;
}
