/**
 * Which run a parameterized notebook run belongs to, so that `npm run notebook` can save the
 * executed notebook next to it (runs/<run>/notebooks/). Only the runs folder the notebook uses is
 * looked at (runs/, or runs/quick/ with AE_QUICK=1, or the one given). Other processes may train
 * there at the same time, so the notebook's own output (which names the runs it trains or loads)
 * is the main evidence. In this order:
 *   1. trained: a run folder created or changed while the notebook ran (run.json, history.json
 *      or metrics.json touched) that its output names (several: the most recently changed);
 *   2. named: a run the parameters name (runName / run / a single runNames entry) that exists;
 *   3. used: the existing run its output names (several: the one named strictly most often);
 *   4. trained: the only run folder that changed, although the output does not name it.
 * Nothing found: the notebook belongs to no run (exports/params/).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { projectPath } from "../paths";

/** Run folder -> a signature of its record files (changes when a run is trained or resumed). */
export type RunsSnapshot = Map<string, string>;

const RECORD_FILES = ["run.json", "history.json", "metrics.json"];

/** Runs folders (relative paths are from the project root), absolute and without repeats. */
export function runsDirs(dirs: readonly string[]): string[] {
  return [...new Set(dirs.map((d) => projectPath(d)))];
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
export function snapshotRuns(dirs: readonly string[]): RunsSnapshot {
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

/** How often `text` names the run, as a whole word (not as part of a longer name). */
function mentions(text: string, name: string): number {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return (
    text.match(new RegExp(`(?:^|[^A-Za-z0-9._-])${escaped}(?=$|[^A-Za-z0-9_-])`, "g"))?.length ?? 0
  );
}

const newestFirst = (a: string, b: string) => mtime(b) - mtime(a);

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
  const named = changed.filter((f) => mentions(outputText, path.basename(f)) > 0);
  if (named.length > 0) return { folder: named.sort(newestFirst)[0], reason: "trained" };
  const all = [...after.keys()];
  for (const name of namedRuns) {
    const hit = all.filter((f) => path.basename(f) === name);
    if (hit.length > 0) return { folder: hit.sort(newestFirst)[0], reason: "named" };
  }
  const counted = all
    .map((folder) => ({ folder, count: mentions(outputText, path.basename(folder)) }))
    .filter((c) => c.count > 0)
    .sort((a, b) => b.count - a.count);
  if (counted.length === 1 || (counted.length > 1 && counted[0].count > counted[1].count)) {
    return { folder: counted[0].folder, reason: "used" };
  }
  if (changed.length === 1) return { folder: changed[0], reason: "trained" };
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
