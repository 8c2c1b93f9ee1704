/**
 * A notebook's parameters cell (the first code cell tagged "parameters", papermill's convention)
 * and the command-line flags of `npm run notebook -- 02 --epochs 5`.
 *
 * A parameters cell declares one variable per line, `let name[: type] = value; // help`. Every
 * configuration key lives in one of them, `configOverrides` (a ConfigOverrides object the notebook
 * hands straight to resolveConfig); the other variables are the notebook's own settings (gallery
 * sizes, the seed of a figure, which run to show).
 *
 * A flag sets a variable when it names one in kebab-case (`--samples-per-class 4`), or names a
 * config key whose last part is the variable (`--run` → runName, in notebooks that pick a run);
 * its value is typed by the declaration. Any other flag is a config flag (`--epochs 5`,
 * `--latent 32`, `--model.codeSize 32`): the config's own parser reads it into configOverrides and
 * the config checks it, so an unknown key or a bad value fails before any kernel starts, with the
 * config's message naming the key.
 */
import {
  canonicalKey,
  configHelp,
  FIELDS,
  parseConfigFlags,
  resolveConfig,
  validateField,
} from "../config";
import { AutoencoderLabError, ConfigError } from "../errors";

/** A bad flag, an unknown parameter or a value of the wrong type. */
export class NotebookParameterError extends AutoencoderLabError {}

/** The parameters-cell variable that holds the config overrides. */
export const CONFIG_OVERRIDES = "configOverrides";

/** What a variable accepts. "any": no annotation and a null default (TypeScript infers any). */
export type ParameterKind = "number" | "string" | "boolean" | "null" | "array" | "object" | "any";

export interface NotebookParameter {
  name: string;
  /** The type annotation as written, or null. */
  annotation: string | null;
  /** The declared value as written, e.g. `null`, `[256]`, `"mnist"`. */
  defaultSource: string;
  /** Kinds the variable accepts (from the annotation, else from the declared value). */
  kinds: ParameterKind[];
  /** For arrays: the element kind, when known. */
  elementKind: ParameterKind | null;
  /** The comment after the declaration. */
  help: string;
  /** Its flag, without the leading "--": the name in kebab-case. */
  flag: string;
}

interface CellLike {
  cell_type: string;
  source: string | string[];
  metadata?: { tags?: string[] };
}

export interface NotebookLike {
  cells: CellLike[];
}

const cellSource = (cell: CellLike): string =>
  Array.isArray(cell.source) ? cell.source.join("") : cell.source;

/** A code cell tagged "parameters" (papermill's convention). */
export function isParametersCell(cell: { cell_type?: unknown; metadata?: unknown }): boolean {
  const tags = (cell.metadata as { tags?: unknown } | undefined)?.tags;
  return cell.cell_type === "code" && Array.isArray(tags) && tags.includes("parameters");
}

/** The source of the first code cell tagged "parameters", or null. */
export function parametersCellSource(nb: NotebookLike): string | null {
  const cell = nb.cells.find(isParametersCell);
  return cell ? cellSource(cell) : null;
}

/** The flag of a camelCase name: codeSize -> code-size. */
export function flagName(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
}

/** The declared value as JSON, when it is JSON (single quotes allowed); else undefined. */
function parseLiteral(source: string): unknown {
  for (const text of [source.trim(), source.trim().replace(/'/g, '"')]) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // not JSON
    }
  }
  return undefined;
}

function kindOf(value: unknown): ParameterKind {
  if (value === null || value === undefined) return "any"; // `let x = null;` is `any` in TS
  if (Array.isArray(value)) return "array";
  const t = typeof value;
  return t === "number" || t === "string" || t === "boolean" || t === "object" ? t : "any";
}

function kindOfType(type: string): ParameterKind {
  if (/\[\]$|^(Readonly)?Array</.test(type)) return "array";
  if (["number", "string", "boolean", "null"].includes(type)) return type as ParameterKind;
  return /^(\{|Record<|ConfigOverrides$|ae\.ConfigOverrides$)/.test(type) ? "object" : "any";
}

/** One declaration per line: `let name[: type] = value; // help` (the value on that line). */
const DECLARATION =
  /^\s*let\s+([A-Za-z_$][\w$]*)\s*(?::\s*([^=]+?))?\s*=\s*(.+?)\s*;\s*(?:\/\/\s*(.*))?$/;

/**
 * The variables a notebook's parameters cell declares, in order. Lines that are not a
 * declaration (comments, an `import type`) are skipped. Throws NotebookParameterError when the
 * notebook has no parameters cell.
 */
export function notebookParameters(
  nb: NotebookLike,
  notebookName = "the notebook",
): NotebookParameter[] {
  const src = parametersCellSource(nb);
  if (src === null) {
    throw new NotebookParameterError(
      `${notebookName} has no code cell tagged "parameters": add one holding its settings ` +
        `(\`let name = value;\`) to run it with parameters.`,
    );
  }
  const params: NotebookParameter[] = [];
  for (const line of src.split("\n")) {
    const m = DECLARATION.exec(line);
    if (!m) continue;
    const [, name, annotation = null, value, help = ""] = m;
    const declared = parseLiteral(value);
    const types = annotation ? annotation.split("|").map((t) => t.trim()) : [];
    const kinds = annotation ? [...new Set(types.map(kindOfType))] : [kindOf(declared)];
    const arrayType = types.find((t) => kindOfType(t) === "array");
    const elementKind = arrayType
      ? kindOfType(arrayType.replace(/\[\]$/, "").replace(/^(Readonly)?Array<(.+)>$/, "$2"))
      : Array.isArray(declared)
        ? kindOf(declared[0])
        : null;
    params.push({
      name,
      annotation,
      defaultSource: value,
      kinds,
      elementKind,
      help: help.trim(),
      flag: flagName(name),
    });
  }
  return params;
}

function describeKinds(p: NotebookParameter): string {
  const kinds = p.kinds.map((k) =>
    k === "array" && p.elementKind && p.elementKind !== "any" ? `array of ${p.elementKind}s` : k,
  );
  return p.annotation ? `${kinds.join(" or ")} (declared \`${p.annotation}\`)` : kinds.join(" or ");
}

const BOOLEANS: Record<string, boolean> = { true: true, false: false, yes: true, no: false };

/** `raw` as a value of `kind`, or undefined when it does not fit. */
function coerce(raw: string, kind: ParameterKind): unknown {
  const text = raw.trim();
  switch (kind) {
    case "null":
      return text === "null" ? null : undefined;
    case "number":
      return text !== "" && Number.isFinite(Number(text)) ? Number(text) : undefined;
    case "boolean":
      return BOOLEANS[text.toLowerCase()];
    case "string":
      return raw;
    case "object": {
      const v = parseLiteral(text);
      return v !== null && typeof v === "object" && !Array.isArray(v) ? v : undefined;
    }
    default: {
      const v = parseLiteral(text);
      return v === undefined ? raw : v;
    }
  }
}

/** A command-line value typed by the variable's declaration; undefined when it does not fit. */
export function coerceParameter(p: NotebookParameter, raw: string): unknown {
  // null first, so that "null" is not the string "null".
  const kinds = [...p.kinds].sort((a, b) => Number(b === "null") - Number(a === "null"));
  for (const kind of kinds) {
    if (kind !== "array") {
      const v = coerce(raw, kind);
      if (v !== undefined) return v;
      continue;
    }
    const text = raw.trim();
    const items = text.startsWith("[") ? parseLiteral(text) : text ? text.split(",") : [];
    if (!Array.isArray(items)) continue;
    const element = p.elementKind ?? "any";
    const values = items.map((item: unknown) =>
      typeof item === "string" ? coerce(item, element) : kindOf(item) === element ? item : null,
    );
    if (element === "any" || values.every((v) => v !== undefined && v !== null)) return values;
  }
  return undefined;
}

/** The notebook's variables and the config flags, for errors and --help. */
export function describeParameters(
  params: readonly NotebookParameter[],
  options: { configKeys?: boolean } = {},
): string {
  const lines = params.map(
    (p) =>
      `  --${p.flag}: ${describeKinds(p)}, default ${p.defaultSource}${p.help ? ` — ${p.help}` : ""}`,
  );
  if (!params.some((p) => p.name === CONFIG_OVERRIDES)) return lines.join("\n");
  lines.push(
    `  config keys (entries of ${CONFIG_OVERRIDES}): --<key> value or --<alias> value, e.g. ` +
      "--epochs 5, --latent 32, --model.codeSize 32" +
      (options.configKeys ? ":" : " (--help lists them)"),
  );
  if (options.configKeys) lines.push(configHelp());
  return lines.join("\n");
}

/** The variable a config flag sets instead of configOverrides: its key's last part (runName). */
function variableForKey(byName: Map<string, NotebookParameter>, flag: string) {
  try {
    const key = canonicalKey(flag);
    return byName.get(key.split(".").pop() as string);
  } catch {
    return undefined;
  }
}

function configError(flag: string, raw: string | undefined, error: unknown): never {
  if (!(error instanceof ConfigError)) throw error;
  const given = raw === undefined ? "" : ` ${JSON.stringify(raw)}`;
  throw new NotebookParameterError(`--${flag}${given}: ${error.message}`);
}

/**
 * Map `--flag value` pairs onto the notebook's parameters: its variables, and config flags
 * collected into configOverrides (dotted keys, merged over the declared value and over a
 * `--config-overrides '{json}'`). A flag without a value (end of the list or followed by another
 * flag) means `true` for a boolean. Throws NotebookParameterError naming an unknown flag (with
 * the known ones), a value of the wrong type (with the expected one), or the config's error.
 */
export function parseParameterFlags(
  params: readonly NotebookParameter[],
  argv: readonly string[],
  notebookName = "the notebook",
): Record<string, unknown> {
  const byName = new Map(params.map((p) => [p.name, p]));
  const overridesParam = byName.get(CONFIG_OVERRIDES);
  const values: Record<string, unknown> = {};
  const flagged: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) {
      throw new NotebookParameterError(
        `Unexpected argument ${JSON.stringify(arg)}: parameters are given as --name value.`,
      );
    }
    const eq = arg.indexOf("=");
    const flag = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    let raw: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    const next = argv[i + 1];
    const nextIsValue = next !== undefined && !(next.startsWith("--") && !/^--?\d/.test(next));
    const param =
      params.find((p) => p.flag === flag || p.name === flag) ?? variableForKey(byName, flag);
    if (!param) {
      if (!overridesParam || !(FIELDS[flag] || isAlias(flag)))
        unknownFlag(flag, params, notebookName);
      const key = canonicalKey(flag);
      if (raw === undefined && (FIELDS[key].type !== "boolean" || nextIsValue)) {
        if (!nextIsValue) throw new NotebookParameterError(`--${flag} needs a value.`);
        raw = next;
        i++;
      }
      try {
        const parsed = parseConfigFlags([`--${key}`, ...(raw === undefined ? [] : [raw])]);
        flagged[key] = validateField(key, parsed[key]);
      } catch (error) {
        configError(flag, raw, error);
      }
      continue;
    }
    if (raw === undefined) {
      if (nextIsValue) {
        raw = next;
        i++;
      } else if (param.kinds.includes("boolean")) {
        raw = "true";
      } else {
        throw new NotebookParameterError(`--${flag} needs a value: ${describeKinds(param)}.`);
      }
    }
    const value = coerceParameter(param, raw);
    if (value === undefined) {
      throw new NotebookParameterError(
        `--${flag} ${JSON.stringify(raw)}: parameter ${param.name} expects ${describeKinds(param)}.`,
      );
    }
    values[param.name] = value;
  }
  if (overridesParam && (CONFIG_OVERRIDES in values || Object.keys(flagged).length > 0)) {
    const declared = parseLiteral(overridesParam.defaultSource);
    const overrides = {
      ...(kindOf(declared) === "object" ? (declared as object) : {}),
      ...(values[CONFIG_OVERRIDES] as object | undefined),
      ...flagged,
    };
    try {
      resolveConfig(overrides);
    } catch (error) {
      configError(overridesParam.flag, JSON.stringify(overrides), error);
    }
    values[CONFIG_OVERRIDES] = overrides;
  }
  return values;
}

function isAlias(flag: string): boolean {
  return Object.values(FIELDS).some((spec) => spec.alias === flag);
}

function unknownFlag(
  flag: string,
  params: readonly NotebookParameter[],
  notebookName: string,
): never {
  const configFlags = params.some((p) => p.name === CONFIG_OVERRIDES)
    ? Object.entries(FIELDS).flatMap(([key, spec]) => (spec.alias ? [spec.alias, key] : [key]))
    : [];
  const known = [...params.map((p) => p.flag), ...configFlags];
  const near = known.filter((f) => flag.length >= 3 && (f.startsWith(flag) || flag.startsWith(f)));
  const hint = near.length ? ` Did you mean ${near.map((f) => `--${f}`).join(" or ")}?` : "";
  throw new NotebookParameterError(
    `Unknown parameter --${flag} for ${notebookName}.${hint} Its parameters:\n${describeParameters(params)}`,
  );
}
