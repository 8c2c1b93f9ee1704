/**
 * Which run a parameterized notebook run belongs to, so that `npm run notebook` can save the
 * executed notebook next to it (runs/<run>/notebooks/). Decided from evidence, in this order:
 *   1. trained: run folders created or changed while the notebook ran (run.json, history.json or
 *      metrics.json touched). Other processes may train at the same time, so when several
 *      changed, the ones the notebook's output names win; then the most recently changed;
 *   2. named: a run the parameters name (runName / run / a single runNames entry) that exists;
 *   3. used: exactly one existing run whose name appears in the notebook's outputs.
 * Nothing found: the notebook belongs to no run (exports/params/).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { projectPath } from "../paths";

/** Run folder -> a signature of its record files (changes when a run is trained or resumed). */
export type RunsSnapshot = Map<string, string>;

const RECORD_FILES = ["run.json", "history.json", "metrics.json"];

/** The folders that may hold runs: runs/, runs/quick/ and any extra (relative to the project root). */
export function runsDirs(extra: readonly string[] = []): string[] {
  return [...new Set(["runs", path.join("runs", "quick"), ...extra].map((d) => projectPath(d)))];
}

function signature(folder: string): string | null {
  if (!fs.existsSync(path.join(folder, "run.json"))) return null;
  return RECORD_FILES.map((f) => {
    try {
      const st = fs.statSync(path.join(folder, f));
      return `${f}:${st.mtimeMs}:${st.size}`;
    } catch {
      return `${f}:-`;
    }
  }).join("|");
}

/** Every run folder (a sub-folder holding run.json) under the given folders, with its signature. */
export function snapshotRuns(dirs: readonly string[] = runsDirs()): RunsSnapshot {
  const out: RunsSnapshot = new Map();
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) continue;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
      const folder = path.join(dir, entry.name);
      const sig = signature(folder);
      if (sig !== null) out.set(folder, sig);
    }
  }
  return out;
}

/** Run folders that are new in `after` or whose signature changed. */
export function changedRuns(before: RunsSnapshot, after: RunsSnapshot): string[] {
  return [...after.entries()].filter(([f, sig]) => before.get(f) !== sig).map(([f]) => f);
}

export interface RunTarget {
  folder: string;
  /** How it was found: "trained", "named" or "used". */
  reason: "trained" | "named" | "used";
}

function mtime(folder: string): number {
  try {
    return fs.statSync(path.join(folder, "run.json")).mtimeMs;
  } catch {
    return 0;
  }
}

/** True when `text` mentions the run name as a whole word (not as part of a longer name). */
function mentions(text: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^A-Za-z0-9._-])${escaped}($|[^A-Za-z0-9_-])`).test(text);
}

/**
 * The run a notebook run belongs to (see the module comment), or null.
 * @param outputText the notebook's output text (streams, text/plain, text/html)
 * @param namedRuns run names the parameters gave
 */
export function findRunTarget(
  before: RunsSnapshot,
  after: RunsSnapshot,
  outputText: string,
  namedRuns: readonly string[] = [],
): RunTarget | null {
  const changed = changedRuns(before, after);
  if (changed.length > 0) {
    const named = changed.filter((f) => mentions(outputText, path.basename(f)));
    const pool = named.length > 0 ? named : changed;
    const folder = pool.sort((a, b) => mtime(b) - mtime(a))[0];
    return { folder, reason: "trained" };
  }
  const all = [...after.keys()];
  for (const name of namedRuns) {
    const hit = all.filter((f) => path.basename(f) === name);
    if (hit.length > 0)
      return { folder: hit.sort((a, b) => mtime(b) - mtime(a))[0], reason: "named" };
  }
  const used = all.filter((f) => mentions(outputText, path.basename(f)));
  if (used.length === 1) return { folder: used[0], reason: "used" };
  return null;
}

/** The text of a notebook's outputs (streams, text/plain, text/html), for findRunTarget. */
export function notebookOutputText(nb: { cells: { outputs?: unknown[] }[] }): string {
  const parts: string[] = [];
  const text = (v: unknown) => (Array.isArray(v) ? v.join("") : typeof v === "string" ? v : "");
  for (const cell of nb.cells) {
    for (const raw of cell.outputs ?? []) {
      const out = raw as { text?: unknown; data?: Record<string, unknown> };
      parts.push(text(out.text));
      if (out.data) parts.push(text(out.data["text/plain"]), text(out.data["text/html"]));
    }
  }
  return parts.join("\n");
}
