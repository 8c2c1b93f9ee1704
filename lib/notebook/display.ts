/**
 * Showing figures and tables in a tslab notebook. Figures go out as the plotly MIME type
 * (application/vnd.plotly.v1+json), which the JupyterLab extension shipped with the Python
 * `plotly` package renders (also in untrusted notebooks); tables go out as HTML. tslab is
 * required lazily, so importing this module works outside a kernel too.
 */
import type { Figure } from "../plots/figure";
import { AutoencoderLabError } from "../errors";

/** The MIME type JupyterLab's plotly extension renders. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/** Where display calls go: tslab's `display`, or a recorder in tests. */
export interface DisplaySink {
  raw(contentType: string, data: string | Uint8Array): unknown;
  html(s: string): void;
}

/** Displaying was asked for outside a running tslab kernel. */
export class NotInNotebookError extends AutoencoderLabError {}

function tslabDisplay(): DisplaySink {
  let tslab: { display: DisplaySink };
  try {
    // Lazy: loading tslab pulls in its TypeScript compiler, and outside a kernel it cannot display.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    tslab = require("tslab");
  } catch (error) {
    throw new NotInNotebookError(
      `Cannot load tslab to display output (${(error as Error).message}). showFigure/showTable ` +
        `work inside a tslab notebook kernel; elsewhere use the figure spec directly.`,
    );
  }
  return tslab.display;
}

function send(sink: DisplaySink | undefined, action: (sink: DisplaySink) => void): void {
  const target = sink ?? tslabDisplay();
  try {
    action(target);
  } catch (error) {
    if (!sink && error instanceof Error && error.message === "Not ready") {
      throw new NotInNotebookError(
        "tslab is loaded but no notebook cell is running: showFigure/showTable only work inside " +
          "a tslab kernel (a notebook cell). Outside one, render the figure spec another way.",
      );
    }
    throw error;
  }
}

/** Plotly's name for each typed-array type in its binary array spec `{dtype, bdata}`. */
const PLOTLY_DTYPES: ReadonlyArray<[new (...args: never[]) => ArrayBufferView, string]> = [
  [Float64Array, "f8"],
  [Float32Array, "f4"],
  [Int32Array, "i4"],
  [Uint32Array, "u4"],
  [Int16Array, "i2"],
  [Uint16Array, "u2"],
  [Int8Array, "i1"],
  [Uint8ClampedArray, "u1c"],
  [Uint8Array, "u1"],
];

/**
 * Typed arrays at least this long go to plotly as base64 binary (`{dtype: "f4", bdata}`), which
 * plotly.js ≥ 2.28 (and the JupyterLab extension of Python plotly ≥ 6) decode: a 10,000-point
 * scatter shrinks from ~386 KB of JSON to ~107 KB. Shorter arrays stay plain JSON numbers.
 */
export const COMPACT_ARRAY_MIN_LENGTH = 64;

export interface JsonOptions {
  /**
   * Encode typed arrays of at least this many elements as plotly binary arrays
   * (`{dtype, bdata}`; NaN stays NaN inside them). Default: never (plain JSON arrays).
   */
  compactArraysFrom?: number;
}

/** A typed array as plotly's binary array spec, or null for types plotly cannot decode. */
export function plotlyTypedArray(value: ArrayBufferView): { dtype: string; bdata: string } | null {
  const entry = PLOTLY_DTYPES.find(([type]) => value instanceof type);
  if (!entry) return null;
  const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return { dtype: entry[1], bdata: bytes.toString("base64") };
}

/**
 * A JSON-safe deep copy: typed arrays become plain arrays (or, with `compactArraysFrom`, long ones
 * become plotly binary arrays), non-finite numbers become null (JSON has no NaN), undefined object
 * entries are dropped.
 */
export function toJsonValue(value: unknown, options: JsonOptions = {}): unknown {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (value === null || typeof value !== "object") return value;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const min = options.compactArraysFrom;
    if (min !== undefined && (value as unknown as ArrayLike<unknown>).length >= min) {
      const compact = plotlyTypedArray(value);
      if (compact) return compact;
    }
    return Array.from(value as unknown as ArrayLike<number | bigint>, (v) =>
      typeof v === "bigint" ? Number(v) : Number.isFinite(v) ? v : null,
    );
  }
  if (Array.isArray(value))
    return value.map((v) => (v === undefined ? null : toJsonValue(v, options)));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v !== undefined && typeof v !== "function") out[key] = toJsonValue(v, options);
  }
  return out;
}

/**
 * The payload `showFigure` sends (and the static renderer draws): the figure as plain JSON, long
 * typed arrays inside traces as plotly binary arrays (layout values always plain).
 */
export function plotlyPayload(
  fig: Figure,
  options: JsonOptions = { compactArraysFrom: COMPACT_ARRAY_MIN_LENGTH },
): { data: unknown[]; layout: unknown; config?: unknown } {
  return {
    data: fig.data.map((trace) => toJsonValue(trace, options)),
    layout: toJsonValue(fig.layout),
    ...(fig.config !== undefined ? { config: toJsonValue(fig.config) } : {}),
  };
}

/** Show a plotly figure in the notebook output of the current cell. */
export function showFigure(fig: Figure, sink?: DisplaySink): void {
  const payload = plotlyPayload(fig);
  // tslab passes a JSON object through as-is although its type says string | Uint8Array.
  send(sink, (target) => target.raw(PLOTLY_MIME, payload as unknown as string));
}

/** The parts of a danfojs DataFrame that a table needs (duck-typed: danfojs stays optional). */
export interface DataFrameLike {
  columns: string[];
  values: unknown[] | unknown[][];
  index: (string | number)[];
}

export interface TableOptions {
  /** Significant digits for non-integer numbers. Default 4. */
  digits?: number;
  /** A caption above the table. */
  caption?: string;
  /** Show the DataFrame index as the first column. Default false. */
  showIndex?: boolean;
}

function isDataFrameLike(table: unknown): table is DataFrameLike {
  return (
    typeof table === "object" &&
    table !== null &&
    !Array.isArray(table) &&
    Array.isArray((table as DataFrameLike).columns) &&
    Array.isArray((table as DataFrameLike).values)
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function formatCell(value: unknown, digits: number): string {
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "NaN";
    if (Number.isInteger(value)) return value.toLocaleString("en-US");
    return String(Number(value.toPrecision(digits)));
  }
  if (value === null || value === undefined) return "";
  return String(value);
}

/** An HTML table of a danfojs DataFrame or of an array of row objects (columns: union of keys). */
export function tableHtml(
  table: DataFrameLike | readonly Record<string, unknown>[],
  options: TableOptions = {},
): string {
  const digits = options.digits ?? 4;
  let columns: string[];
  let rows: unknown[][];
  let index: (string | number)[];
  if (isDataFrameLike(table)) {
    columns = [...table.columns];
    const values = table.values as unknown[];
    // A Series-shaped DataFrame of one column may hold a flat array.
    rows = values.map((row) => (Array.isArray(row) ? row : [row]));
    index = table.index ?? rows.map((_, i) => i);
  } else {
    const rowObjects = table as readonly Record<string, unknown>[];
    columns = [...new Set(rowObjects.flatMap((row) => Object.keys(row)))];
    rows = rowObjects.map((row) => columns.map((c) => row[c]));
    index = rows.map((_, i) => i);
  }
  const numeric = columns.map(
    (_, c) => rows.length > 0 && rows.every((r) => typeof r[c] === "number"),
  );
  const align = (c: number) =>
    numeric[c] ? ' style="text-align:right"' : ' style="text-align:left"';
  const head =
    (options.showIndex ? "<th></th>" : "") +
    columns.map((c, i) => `<th${align(i)}>${escapeHtml(c)}</th>`).join("");
  const body = rows
    .map(
      (row, r) =>
        "<tr>" +
        (options.showIndex ? `<th>${escapeHtml(String(index[r]))}</th>` : "") +
        row.map((v, c) => `<td${align(c)}>${escapeHtml(formatCell(v, digits))}</td>`).join("") +
        "</tr>",
    )
    .join("\n");
  const caption = options.caption ? `<caption>${escapeHtml(options.caption)}</caption>` : "";
  return `<table class="dataframe">${caption}\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/** Show a danfojs DataFrame or an array of row objects as an HTML table. */
export function showTable(
  table: DataFrameLike | readonly Record<string, unknown>[],
  options: TableOptions = {},
  sink?: DisplaySink,
): void {
  const html = tableHtml(table, options);
  send(sink, (target) => target.html(html));
}

/** Show an HTML fragment in the notebook output of the current cell. */
export function showHtml(html: string, sink?: DisplaySink): void {
  send(sink, (target) => target.html(html));
}
