/**
 * A sweep: many training runs of one base config, varied over a grid and/or sampled ranges of
 * config keys (or a list of named variants). The spec is checked as strictly as any config
 * before anything starts: every key must be a config key (dotted or alias), every grid value and
 * both ends of every range must be valid for that key, every grid combination must make a valid
 * config, and the sweep's own options are typed and ranged. Errors are SweepSpecErrors (a
 * ConfigError) naming the field and what to do.
 */
import * as fs from "node:fs";
import {
  canonicalKey,
  defaultConfig,
  FIELDS,
  quickConfig,
  quickRequested,
  resolveConfig,
  validateField,
  type ExperimentConfig,
} from "../config";
import { ConfigError } from "../errors";
import { checkRunName } from "../runs/run-folder";

/** The spec is malformed: unknown field, bad value, empty grid, bad range. */
export class SweepSpecError extends ConfigError {}

/** A sampled range of one config key (Tune's search space). `high` is inclusive for randint. */
export type Distribution =
  | { kind: "uniform"; low: number; high: number }
  | { kind: "loguniform"; low: number; high: number }
  | { kind: "randint"; low: number; high: number }
  | { kind: "choice"; values: unknown[] };

export interface AshaOptions {
  kind: "asha";
  /** Epochs every trial trains before ASHA may stop it (default 1). */
  gracePeriod: number;
  /** Keep the best 1/reductionFactor of trials at each rung (default 2). */
  reductionFactor: number;
}

/** A named trial with its own overrides (how the main job's comparison runs are swept). */
export interface SweepVariant {
  name: string;
  overrides: Record<string, unknown>;
}

export interface SweepSpec {
  /** Names the sweep folder `<runsDir>/sweeps/<name>/`; two different sweeps cannot share it. */
  name: string;
  /** "default" or "quick": the config preset the base overrides apply to. */
  preset: "default" | "quick";
  /** Config overrides shared by every trial (dotted keys). */
  base: Record<string, unknown>;
  /** Grid search: every combination of these values (dotted keys). */
  grid: Record<string, unknown[]>;
  /** Random search: each trial samples these (dotted keys). */
  sample: Record<string, Distribution>;
  /** How many times the grid is repeated with fresh samples (Tune's num_samples). */
  samples: number;
  /** Named trials instead of grid/sample: runs go to `<runsDir>/<name>` (reused when complete). */
  variants: SweepVariant[] | null;
  scheduler: { kind: "fifo" } | AshaOptions;
  /** Ray CPUs a trial takes; also the training process's thread count. */
  cpusPerTrial: number;
  /** Times a trial whose process died is retried (each retry resumes its run folder). */
  maxFailures: number;
  /** At most this many trials at once (null: as many as the CPUs allow). */
  maxConcurrent: number | null;
  /** Seed of the random search. */
  searchSeed: number;
}

/** The fields of a spec file, with their meaning (for --help and error messages). */
export const SPEC_FIELDS: Readonly<Record<keyof SweepSpec, string>> = {
  name: 'sweep name (letters, digits, ".", "_", "-"); names the sweep folder',
  preset: '"default" or "quick" (default: quick when AE_QUICK=1)',
  base: 'config overrides shared by every trial, e.g. {"train.epochs": 3}',
  grid: 'grid search: {"model.codeSize": [16, 32]}',
  sample:
    'random search: {"train.learningRate": {"loguniform": [1e-4, 1e-2]}} (uniform, loguniform, randint [low, high], choice [...])',
  samples: "repeats of the grid with fresh samples (default 1)",
  variants: 'named trials instead of grid/sample: [{"name": "rd-code-2", "overrides": {...}}]',
  scheduler: '"fifo" (default) or {"kind": "asha", "gracePeriod": 1, "reductionFactor": 2}',
  cpusPerTrial: "Ray CPUs per trial and its training threads (default 1)",
  maxFailures: "retries of a trial whose process died, each resuming its checkpoint (default 2)",
  maxConcurrent: "at most this many trials at once (default: as the CPUs allow)",
  searchSeed: "seed of the random search (default 0)",
};

/** Keys a sweep sets itself for each trial: not allowed in base, grid or sample. */
const RESERVED = new Set(["train.runName"]);

function fail(message: string): never {
  throw new SweepSpecError(message);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkInt(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    fail(
      `Sweep spec "${field}": got ${JSON.stringify(value)}, expected an integer in ${min}..${max}.`,
    );
  }
  return value;
}

/** A config key of a spec section, canonical (aliases allowed), not reserved. */
function specKey(section: string, name: string): string {
  let key: string;
  try {
    key = canonicalKey(name);
  } catch (error) {
    fail(`Sweep spec "${section}": ${(error as Error).message}`);
  }
  if (RESERVED.has(key)) {
    fail(`Sweep spec "${section}": "${key}" is set by the sweep for each trial; remove it.`);
  }
  return key;
}

function checkValue(section: string, key: string, value: unknown): unknown {
  try {
    return validateField(key, value);
  } catch (error) {
    return fail(`Sweep spec "${section}": ${(error as Error).message}`);
  }
}

function checkOverrides(section: string, raw: unknown): Record<string, unknown> {
  if (raw === undefined) return {};
  if (!isObject(raw)) fail(`Sweep spec "${section}" must be an object of config keys to values.`);
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    const key = specKey(section, name);
    out[key] = checkValue(`${section}.${name}`, key, value);
  }
  return out;
}

function checkDistribution(key: string, raw: unknown): Distribution {
  const where = `sample.${key}`;
  const kinds = ["uniform", "loguniform", "randint", "choice"];
  if (!isObject(raw) || Object.keys(raw).length !== 1 || !kinds.includes(Object.keys(raw)[0])) {
    fail(
      `Sweep spec "${where}": expected one of {"uniform": [low, high]}, {"loguniform": [low, high]}, ` +
        `{"randint": [low, high]} or {"choice": [values]}, got ${JSON.stringify(raw)}.`,
    );
  }
  const [kind, args] = Object.entries(raw)[0];
  if (kind === "choice") {
    if (!Array.isArray(args) || args.length < 2) {
      fail(`Sweep spec "${where}": choice needs an array of at least two values.`);
    }
    return { kind, values: args.map((v) => checkValue(where, key, v)) };
  }
  const type = FIELDS[key].type;
  if (!Array.isArray(args) || args.length !== 2) {
    fail(`Sweep spec "${where}": ${kind} needs [low, high], got ${JSON.stringify(args)}.`);
  }
  if (type !== "int" && type !== "number") {
    fail(`Sweep spec "${where}": ${kind} needs a numeric key; "${key}" is ${type} (use choice).`);
  }
  if (kind === "randint" && type !== "int") {
    fail(
      `Sweep spec "${where}": randint needs an integer key; "${key}" is a number (use uniform).`,
    );
  }
  if (kind !== "randint" && type === "int") {
    fail(`Sweep spec "${where}": "${key}" is an integer key: use randint or choice, not ${kind}.`);
  }
  const low = checkValue(`${where} low`, key, args[0]) as number;
  const high = checkValue(`${where} high`, key, args[1]) as number;
  if (!(low < high)) fail(`Sweep spec "${where}": low (${low}) must be below high (${high}).`);
  if (kind === "loguniform" && low <= 0) {
    fail(`Sweep spec "${where}": loguniform needs low > 0, got ${low}.`);
  }
  return { kind: kind as "uniform" | "loguniform" | "randint", low, high };
}

function checkScheduler(raw: unknown): SweepSpec["scheduler"] {
  if (raw === undefined || raw === "fifo") return { kind: "fifo" };
  if (raw === "asha") return { kind: "asha", gracePeriod: 1, reductionFactor: 2 };
  if (!isObject(raw) || (raw.kind !== "asha" && raw.kind !== "fifo")) {
    fail(`Sweep spec "scheduler": ${SPEC_FIELDS.scheduler}; got ${JSON.stringify(raw)}.`);
  }
  if (raw.kind === "fifo") return { kind: "fifo" };
  for (const name of Object.keys(raw)) {
    if (!["kind", "gracePeriod", "reductionFactor"].includes(name)) {
      fail(`Sweep spec "scheduler.${name}": unknown; ASHA takes gracePeriod and reductionFactor.`);
    }
  }
  return {
    kind: "asha",
    gracePeriod: checkInt("scheduler.gracePeriod", raw.gracePeriod ?? 1, 1, 10000),
    reductionFactor: checkInt("scheduler.reductionFactor", raw.reductionFactor ?? 2, 2, 100),
  };
}

/** Every combination of the grid (an empty grid is one empty combination). */
export function gridCombinations(grid: Record<string, unknown[]>): Array<Record<string, unknown>> {
  let out: Array<Record<string, unknown>> = [{}];
  for (const [key, values] of Object.entries(grid)) {
    out = out.flatMap((combo) => values.map((v) => ({ ...combo, [key]: v })));
  }
  return out;
}

/** The preset config a spec starts from. */
export function presetConfig(spec: Pick<SweepSpec, "preset">): ExperimentConfig {
  return spec.preset === "quick" ? quickConfig() : defaultConfig();
}

/**
 * Check a spec (parsed JSON or an object) and fill in defaults. Throws SweepSpecError naming the
 * first problem; nothing is started or written.
 */
export function validateSweepSpec(raw: unknown): SweepSpec {
  if (!isObject(raw)) fail("A sweep spec must be a JSON object (see docs/sweeps.md).");
  for (const name of Object.keys(raw)) {
    if (!(name in SPEC_FIELDS)) {
      fail(
        `Unknown sweep spec field "${name}". Fields: ${Object.entries(SPEC_FIELDS)
          .map(([k, doc]) => `${k} (${doc})`)
          .join("; ")}.`,
      );
    }
  }
  if (typeof raw.name !== "string") fail(`Sweep spec "name" is missing: ${SPEC_FIELDS.name}.`);
  try {
    checkRunName(raw.name);
  } catch {
    fail(`Sweep spec "name": ${JSON.stringify(raw.name)} is not valid; ${SPEC_FIELDS.name}.`);
  }
  const preset = raw.preset ?? (quickRequested() ? "quick" : "default");
  if (preset !== "default" && preset !== "quick") {
    fail(`Sweep spec "preset": got ${JSON.stringify(preset)}, expected "default" or "quick".`);
  }
  const base = checkOverrides("base", raw.base);

  const grid: Record<string, unknown[]> = {};
  if (raw.grid !== undefined) {
    if (!isObject(raw.grid)) fail(`Sweep spec "grid" must be an object: ${SPEC_FIELDS.grid}.`);
    for (const [name, values] of Object.entries(raw.grid)) {
      const key = specKey("grid", name);
      if (!Array.isArray(values) || values.length === 0) {
        fail(`Sweep spec "grid.${name}": expected a non-empty array of values.`);
      }
      grid[key] = values.map((v) => checkValue(`grid.${name}`, key, v));
    }
  }
  const sample: Record<string, Distribution> = {};
  if (raw.sample !== undefined) {
    if (!isObject(raw.sample))
      fail(`Sweep spec "sample" must be an object: ${SPEC_FIELDS.sample}.`);
    for (const [name, dist] of Object.entries(raw.sample)) {
      const key = specKey("sample", name);
      if (key in grid) fail(`Sweep spec: "${key}" is both in grid and in sample; keep one.`);
      sample[key] = checkDistribution(key, dist);
    }
  }
  let variants: SweepVariant[] | null = null;
  if (raw.variants !== undefined) {
    if (Object.keys(grid).length > 0 || Object.keys(sample).length > 0) {
      fail('Sweep spec: "variants" replaces "grid" and "sample"; use one or the other.');
    }
    if (!Array.isArray(raw.variants) || raw.variants.length === 0) {
      fail(`Sweep spec "variants": expected a non-empty array: ${SPEC_FIELDS.variants}.`);
    }
    const names = new Set<string>();
    variants = raw.variants.map((v: unknown, i: number) => {
      if (!isObject(v) || typeof v.name !== "string") {
        fail(`Sweep spec "variants[${i}]": expected {"name": ..., "overrides": {...}}.`);
      }
      try {
        checkRunName(v.name);
      } catch (error) {
        fail(`Sweep spec "variants[${i}].name": ${(error as Error).message}`);
      }
      if (names.has(v.name)) fail(`Sweep spec "variants": the name "${v.name}" appears twice.`);
      names.add(v.name);
      return { name: v.name, overrides: checkOverrides(`variants[${i}].overrides`, v.overrides) };
    });
  }
  if (!variants && Object.keys(grid).length === 0 && Object.keys(sample).length === 0) {
    fail('Sweep spec: nothing varies. Add a "grid", a "sample" or "variants".');
  }
  const samples = checkInt("samples", raw.samples ?? 1, 1, 10000);
  if (samples > 1 && Object.keys(sample).length === 0) {
    fail(
      'Sweep spec "samples": repeats only make sense with "sample" ranges; remove it or add some.',
    );
  }
  const spec: SweepSpec = {
    name: raw.name,
    preset,
    base,
    grid,
    sample,
    samples,
    variants,
    scheduler: checkScheduler(raw.scheduler),
    cpusPerTrial: checkInt("cpusPerTrial", raw.cpusPerTrial ?? 1, 1, 1024),
    maxFailures: checkInt("maxFailures", raw.maxFailures ?? 2, 0, 100),
    maxConcurrent:
      raw.maxConcurrent === undefined || raw.maxConcurrent === null
        ? null
        : checkInt("maxConcurrent", raw.maxConcurrent, 1, 10000),
    searchSeed: checkInt("searchSeed", raw.searchSeed ?? 0, 0, 2 ** 32 - 1),
  };
  for (const config of trialConfigs(spec)) void config; // every combination must be valid
  return spec;
}

/**
 * The config of every trial that can be known before the sweep runs: each variant, or each grid
 * combination with the ends of every sampled range (low ends together, high ends together).
 * Throws SweepSpecError for a combination that is not a valid config.
 */
export function trialConfigs(spec: SweepSpec): ExperimentConfig[] {
  const preset = presetConfig(spec);
  const resolve = (where: string, overrides: Record<string, unknown>) => {
    try {
      return resolveConfig({ ...spec.base, ...overrides }, preset);
    } catch (error) {
      return fail(`Sweep spec (${where}): ${(error as Error).message}`);
    }
  };
  if (spec.variants) {
    return spec.variants.map((v) => resolve(`variant "${v.name}"`, v.overrides));
  }
  const ends = (which: "low" | "high") =>
    Object.fromEntries(
      Object.entries(spec.sample).map(([key, d]) => [
        key,
        d.kind === "choice" ? d.values[which === "low" ? 0 : d.values.length - 1] : d[which],
      ]),
    );
  return gridCombinations(spec.grid).flatMap((combo) => [
    resolve(`grid ${JSON.stringify(combo)}`, { ...combo, ...ends("low") }),
    ...(Object.keys(spec.sample).length > 0
      ? [resolve(`grid ${JSON.stringify(combo)}`, { ...combo, ...ends("high") })]
      : []),
  ]);
}

/** How many trials the sweep runs. */
export function trialCount(spec: SweepSpec): number {
  return spec.variants ? spec.variants.length : gridCombinations(spec.grid).length * spec.samples;
}

/** Read and validate a spec file (JSON). */
export function loadSweepSpec(file: string): SweepSpec {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    return fail(`Cannot read the sweep spec ${file}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return fail(`The sweep spec ${file} is not valid JSON: ${(error as Error).message}`);
  }
  return validateSweepSpec(raw);
}
