/**
 * A notebook's parameters cell (the first code cell tagged "parameters", papermill's convention)
 * read as typed parameters, and command-line flags mapped onto them for `npm run notebook`:
 * `--epochs 5` sets `epochs`, `--hidden-sizes 256,128` sets `hiddenSizes` (kebab-case ->
 * camelCase), and the configuration's flags (`--latent`, `--lr`, `--noise`, or a dotted key
 * `--model.codeSize`) reach the variable the notebook passes to that config key.
 *
 * Each value is typed by the declaration: the annotation when there is one
 * (`let codeSize: number | null = null;` takes a number or null), else the declared value
 * (`let logY = true;` takes a boolean). A value bound to a config key is also checked by
 * resolveConfig, so `--latent 0` fails here with the config's own message instead of in a cell.
 */
import { FIELDS, resolveConfig } from "../config";
import { AutoencoderLabError, ConfigError } from "../errors";

/** A bad flag, an unknown parameter or a value of the wrong type. */
export class NotebookParameterError extends AutoencoderLabError {}

/** What a parameter accepts. "any": no annotation and a null default (TypeScript infers any). */
export type ParameterKind = "number" | "string" | "boolean" | "null" | "array" | "object" | "any";

export interface NotebookParameter {
  name: string;
  /** The type annotation as written, or null. */
  annotation: string | null;
  /** The declared value as written, e.g. `null`, `[256]`, `"mnist"`. */
  defaultSource: string;
  /** Kinds the parameter accepts (from the annotation, else from the declared value). */
  kinds: ParameterKind[];
  /** For arrays: the element kind, when known. */
  elementKind: ParameterKind | null;
  /** The comment after the declaration. */
  help: string;
  /** The dotted config key the notebook passes this variable to, if any. */
  configKey: string | null;
  /** Flags that set it, without the leading "--": its kebab-case name, then config aliases. */
  flags: string[];
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

/** The source of the first code cell tagged "parameters", or null. */
export function parametersCellSource(nb: NotebookLike): string | null {
  const cell = nb.cells.find(
    (c) => c.cell_type === "code" && (c.metadata?.tags ?? []).includes("parameters"),
  );
  return cell ? cellSource(cell) : null;
}

/** The flag of a camelCase parameter: codeSize -> code-size. */
export function flagName(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
}

/** The camelCase parameter of a kebab-case flag: code-size -> codeSize. */
export function parameterName(flag: string): string {
  return flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Split at top-level occurrences of `sep` (outside brackets and strings). */
function splitTopLevel(text: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === "\\") i++;
      else if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'" || ch === "`") quote = ch;
    else if ("([{<".includes(ch)) depth++;
    else if (")]}>".includes(ch)) depth--;
    else if (ch === sep && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== "");
}

function kindOfType(t: string): { kind: ParameterKind; element: ParameterKind | null } {
  const type = t.trim();
  if (type.endsWith("[]")) return { kind: "array", element: kindOfType(type.slice(0, -2)).kind };
  const generic = /^(?:Readonly)?Array<(.+)>$/.exec(type);
  if (generic) return { kind: "array", element: kindOfType(generic[1]).kind };
  if (type === "number" || /^-?\d/.test(type)) return { kind: "number", element: null };
  if (type === "string" || /^["'`]/.test(type)) return { kind: "string", element: null };
  if (type === "boolean" || type === "true" || type === "false") {
    return { kind: "boolean", element: null };
  }
  if (type === "null" || type === "undefined") return { kind: "null", element: null };
  if (type.startsWith("{") || type.startsWith("Record<")) return { kind: "object", element: null };
  return { kind: "any", element: null };
}

function kindOfValue(value: unknown): { kind: ParameterKind; element: ParameterKind | null } {
  if (value === null) return { kind: "any", element: null }; // `let x = null;` is `any` in TS
  if (Array.isArray(value)) {
    return { kind: "array", element: value.length ? kindOfValue(value[0]).kind : "any" };
  }
  const t = typeof value;
  if (t === "number" || t === "string" || t === "boolean") {
    return { kind: t as ParameterKind, element: null };
  }
  return { kind: t === "object" ? "object" : "any", element: null };
}

/** The declared value as JSON, when it is JSON-like (single quotes allowed); else undefined. */
function parseLiteral(source: string): unknown {
  const text = source.trim();
  try {
    return JSON.parse(text);
  } catch {
    try {
      return JSON.parse(text.replace(/'/g, '"'));
    } catch {
      return undefined;
    }
  }
}

/** Read the end of a statement: up to `;` or a newline at depth 0 (outside strings). */
function readValue(src: string, from: number): { value: string; end: number } {
  let depth = 0;
  let quote: string | null = null;
  let i = from;
  for (; i < src.length; i++) {
    const ch = src[i];
    if (quote) {
      if (ch === "\\") i++;
      else if (ch === quote) quote = null;
      continue;
    }
    if (ch === '"' || ch === "'" || ch === "`") quote = ch;
    else if ("([{".includes(ch)) depth++;
    else if (")]}".includes(ch)) depth--;
    else if (depth === 0 && (ch === ";" || ch === "\n")) break;
    else if (depth === 0 && ch === "/" && src[i + 1] === "/") break;
  }
  return { value: src.slice(from, i).trim(), end: i };
}

const TOKEN = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[A-Za-z_$][\w$.]*|\S/g;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const unquote = (token: string) => (/^["']/.test(token) ? token.slice(1, -1) : token);

/** Config key of a dotted key or a top-level alias, e.g. "latent" -> "model.codeSize". */
function configKeyOf(name: string, topLevel: boolean): string | null {
  if (FIELDS[name]) return name;
  if (!topLevel) return null;
  const hit = Object.entries(FIELDS).find(([, spec]) => spec.alias === name);
  return hit ? hit[0] : null;
}

/**
 * Variables the notebook passes to config keys in its `resolveConfig(...)` calls, dotted
 * (`"model.codeSize": codeSize ?? undefined`), nested (`data: { dataset: dataset }`) or by alias
 * (`{ epochs: epochs }`): config key -> variable names, in order of appearance.
 */
export function configBindings(nb: NotebookLike): Map<string, string[]> {
  const code = nb.cells
    .filter((c) => c.cell_type === "code")
    .map(cellSource)
    .join("\n");
  const out = new Map<string, string[]>();
  for (
    let at = code.indexOf("resolveConfig(");
    at >= 0;
    at = code.indexOf("resolveConfig(", at + 1)
  ) {
    let depth = 0;
    let end = at + "resolveConfig".length;
    for (; end < code.length; end++) {
      if (code[end] === "(") depth++;
      else if (code[end] === ")" && --depth === 0) break;
    }
    const tokens = code.slice(at + "resolveConfig(".length, end).match(TOKEN) ?? [];
    const stack: string[] = [];
    tokens.forEach((token, t) => {
      if (token === "{") {
        const keyToken = t >= 2 && tokens[t - 1] === ":" ? tokens[t - 2] : "";
        stack.push(/^["']/.test(keyToken) || IDENTIFIER.test(keyToken) ? unquote(keyToken) : "");
      } else if (token === "}") {
        stack.pop();
      } else if (token === ":" && t >= 1 && IDENTIFIER.test(tokens[t + 1] ?? "")) {
        const keyToken = tokens[t - 1];
        if (!/^["']/.test(keyToken) && !IDENTIFIER.test(keyToken)) return; // e.g. `cond ? {} : {...}`
        const path = [...stack.filter((k) => k !== ""), unquote(keyToken)].join(".");
        const key = configKeyOf(
          path,
          stack.every((k) => k === ""),
        );
        if (key) out.set(key, [...(out.get(key) ?? []), tokens[t + 1]]);
      }
    });
    at = end;
  }
  return out;
}

/**
 * The parameters declared in a notebook's parameters cell, with the flags that set them.
 * Throws NotebookParameterError when the notebook has no parameters cell.
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
  const decl = /(?:^|\n)[ \t]*(?:let|var|const)[ \t]+([A-Za-z_$][\w$]*)[ \t]*(?::([^=\n]+))?=/g;
  for (let m = decl.exec(src); m; m = decl.exec(src)) {
    const { value, end } = readValue(src, m.index + m[0].length);
    const rest = src.slice(end, src.indexOf("\n", end) < 0 ? src.length : src.indexOf("\n", end));
    const comment = /\/\/\s*(.*)$/.exec(rest);
    const annotation = m[2]?.trim() || null;
    let kinds: ParameterKind[];
    let elementKind: ParameterKind | null = null;
    if (annotation) {
      const typed = splitTopLevel(annotation, "|").map(kindOfType);
      kinds = [...new Set(typed.map((t) => t.kind))];
      elementKind = typed.find((t) => t.kind === "array")?.element ?? null;
    } else {
      const literal = parseLiteral(value);
      const k = kindOfValue(literal);
      kinds = literal === undefined ? ["any"] : [k.kind];
      elementKind = k.element;
    }
    params.push({
      name: m[1],
      annotation,
      defaultSource: value,
      kinds,
      elementKind,
      help: comment ? comment[1].trim() : "",
      configKey: null,
      flags: [flagName(m[1])],
    });
    decl.lastIndex = end;
  }
  // Config flags: a variable the notebook passes to a config key (resolveConfig) takes the key's
  // alias and dotted key, and its values are checked like the config checks them. A parameter
  // merely named like a key's last part(s) (runName ~ train.runName) only gets the alias.
  const byName = new Map(params.map((p) => [p.name, p]));
  const bindings = configBindings(nb);
  const taken = new Set(params.flatMap((p) => p.flags));
  const addFlag = (param: NotebookParameter, flag: string | undefined) => {
    if (flag && !taken.has(flag)) {
      param.flags.push(flag);
      taken.add(flag);
    }
  };
  for (const [key, spec] of Object.entries(FIELDS)) {
    const bound = (bindings.get(key) ?? []).map((v) => byName.get(v)).find((p) => p);
    if (bound) {
      bound.configKey ??= key;
      addFlag(bound, spec.alias);
      addFlag(bound, key);
      continue;
    }
    const parts = key.split(".");
    const guesses = [
      parts[parts.length - 1],
      parts.length > 1 ? parameterName(flagName(parts.slice(-2).join("-"))) : "",
    ];
    const named = guesses.map((g) => byName.get(g)).find((p) => p);
    if (named) addFlag(named, spec.alias);
  }
  return params;
}

function describeKinds(p: NotebookParameter): string {
  const kinds = p.kinds.map((k) =>
    k === "array"
      ? `array${p.elementKind && p.elementKind !== "any" ? ` of ${p.elementKind}s` : ""}`
      : k,
  );
  return p.annotation ? `${kinds.join(" or ")} (declared \`${p.annotation}\`)` : kinds.join(" or ");
}

const BOOLEANS: Record<string, boolean> = {
  true: true,
  false: false,
  yes: true,
  no: false,
  "1": true,
  "0": false,
};

function coerceScalar(raw: string, kind: ParameterKind): { ok: boolean; value?: unknown } {
  const text = raw.trim();
  switch (kind) {
    case "null":
      return text === "null" ? { ok: true, value: null } : { ok: false };
    case "number": {
      const n = Number(text);
      return text !== "" && Number.isFinite(n) ? { ok: true, value: n } : { ok: false };
    }
    case "boolean":
      return text.toLowerCase() in BOOLEANS
        ? { ok: true, value: BOOLEANS[text.toLowerCase()] }
        : { ok: false };
    case "string":
      return { ok: true, value: raw };
    case "object": {
      const v = parseLiteral(text);
      return v !== null && typeof v === "object" && !Array.isArray(v)
        ? { ok: true, value: v }
        : { ok: false };
    }
    case "any": {
      const v = parseLiteral(text);
      return { ok: true, value: v === undefined ? raw : v };
    }
    default:
      return { ok: false };
  }
}

/** A command-line value for a parameter, typed by its declaration; null when it does not fit. */
export function coerceParameter(
  p: NotebookParameter,
  raw: string,
): { ok: boolean; value?: unknown } {
  // Order: null first (so "null" is not the string "null"), then the others as declared.
  const order = [...p.kinds].sort((a, b) => (a === "null" ? -1 : b === "null" ? 1 : 0));
  for (const kind of order) {
    if (kind !== "array") {
      const r = coerceScalar(raw, kind);
      if (r.ok) return r;
      continue;
    }
    const text = raw.trim();
    let items: unknown[];
    if (text.startsWith("[")) {
      const v = parseLiteral(text);
      if (!Array.isArray(v)) continue;
      items = v;
    } else {
      items = text === "" ? [] : text.split(",").map((s) => s.trim());
    }
    const element = p.elementKind ?? "any";
    const values: unknown[] = [];
    let ok = true;
    for (const item of items) {
      if (typeof item !== "string") {
        const fits =
          element === "any" ||
          (element === "number" && typeof item === "number") ||
          (element === "boolean" && typeof item === "boolean");
        if (!fits) ok = false;
        values.push(item);
        continue;
      }
      const r = coerceScalar(item, element);
      if (!r.ok) ok = false;
      values.push(r.value);
    }
    if (ok) return { ok: true, value: values };
  }
  return { ok: false };
}

/** Known parameters and their flags, one per line, for errors and --help. */
export function describeParameters(params: readonly NotebookParameter[]): string {
  return params
    .map((p) => {
      const flags = p.flags.map((f) => `--${f}`).join(" | ");
      return `  ${flags}: ${describeKinds(p)}, default ${p.defaultSource}${p.help ? ` — ${p.help}` : ""}`;
    })
    .join("\n");
}

/**
 * Map `--flag value` pairs onto the notebook's parameters. A flag without a value (end of the
 * list or followed by another flag) means `true` for a boolean parameter. Throws
 * NotebookParameterError naming an unknown flag (with the known ones) or a value of the wrong
 * type (with the expected one).
 */
export function parseParameterFlags(
  params: readonly NotebookParameter[],
  argv: readonly string[],
  notebookName = "the notebook",
): Record<string, unknown> {
  const byFlag = new Map<string, NotebookParameter>();
  for (const p of params) for (const f of p.flags) byFlag.set(f, p);
  const values: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) {
      throw new NotebookParameterError(
        `Unexpected argument ${JSON.stringify(arg)}: parameters are given as --name value.`,
      );
    }
    let flag = arg.slice(2);
    let raw: string | undefined;
    const eq = flag.indexOf("=");
    if (eq >= 0) {
      raw = flag.slice(eq + 1);
      flag = flag.slice(0, eq);
    }
    const param =
      byFlag.get(flag) ?? byFlag.get(flagName(flag)) ?? byFlag.get(flagName(parameterName(flag)));
    if (!param) {
      const near = [...byFlag.keys()].filter(
        (f) => flag.length >= 3 && (f.startsWith(flag) || flag.startsWith(f)),
      );
      const hint = near.length ? ` Did you mean ${near.map((f) => `--${f}`).join(" or ")}?` : "";
      throw new NotebookParameterError(
        `Unknown parameter --${flag} for ${notebookName}.${hint} Its parameters:\n${describeParameters(params)}`,
      );
    }
    if (raw === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("--") && !/^--?\d/.test(next))) {
        if (!param.kinds.includes("boolean")) {
          throw new NotebookParameterError(`--${flag} needs a value: ${describeKinds(param)}.`);
        }
        raw = "true";
      } else {
        raw = next;
        i++;
      }
    }
    const r = coerceParameter(param, raw);
    if (!r.ok) {
      throw new NotebookParameterError(
        `--${flag} ${JSON.stringify(raw)}: parameter ${param.name} expects ${describeKinds(param)}.`,
      );
    }
    if (param.configKey && r.value !== null) {
      try {
        resolveConfig({ [param.configKey]: r.value });
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        throw new NotebookParameterError(`--${flag} ${JSON.stringify(raw)}: ${error.message}`);
      }
    }
    values[param.name] = r.value;
  }
  return values;
}
