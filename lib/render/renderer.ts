/**
 * Static rendering of plotly figures to PNG and SVG through one headless Chromium: the browser is
 * launched once and one page loads plotly.js once (seconds); each figure then takes 0.1–3 s.
 * Output is deterministic: plotly's random ids come from a generator re-seeded per figure.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Browser, Page } from "playwright-core";
import type { Figure } from "../plots/figure";
import { THEME } from "../plots/theme";
import { plotlyPayload } from "../notebook/display";
import { ChromiumMissingError, RenderError, findChromium, type ChromiumLookup } from "./chromium";

export type ImageFormat = "png" | "svg";

export interface RenderOptions {
  /** Default "png". */
  format?: ImageFormat;
  /** CSS pixels; default the figure's layout.width, else the theme's 760. */
  width?: number;
  /** CSS pixels; default the figure's layout.height, else the theme's 440. */
  height?: number;
  /** Device pixels per CSS pixel for PNG (2: a sharp image at the same layout). Default 1. */
  scale?: number;
}

/** What inspectSvg found. */
export interface SvgInfo {
  /** Local name of the root element ("svg" for an SVG document). */
  root: string;
  namespace: string | null;
  /** The root's width and height attributes (NaN/0 when absent). */
  width: number;
  height: number;
  /** The XML parser's error text, null when the document is well-formed. */
  parseError: string | null;
}

export interface RendererOptions extends ChromiumLookup {
  /** Milliseconds allowed per figure (and for loading plotly). Default 120,000. */
  timeoutMs?: number;
}

/** The CSS size a figure is drawn at. */
export function renderSize(
  fig: Figure,
  options: RenderOptions = {},
): { width: number; height: number } {
  const size = (given: number | undefined, layout: unknown, fallback: number, what: string) => {
    const value = given ?? (typeof layout === "number" ? layout : fallback);
    if (!(Number.isFinite(value) && value >= 10 && value <= 10_000)) {
      throw new RenderError(
        `Figure ${what} ${value} px is not usable: pass a ${what} between 10 and 10000.`,
      );
    }
    return Math.round(value);
  };
  return {
    width: size(options.width, fig.layout.width, THEME.width, "width"),
    height: size(options.height, fig.layout.height, THEME.height, "height"),
  };
}

function checkScale(scale: number): number {
  if (!(Number.isFinite(scale) && scale > 0 && scale <= 10)) {
    throw new RenderError(
      `Scale ${scale} is not usable: pass a scale between 0.1 and 10 (2 = double resolution).`,
    );
  }
  return scale;
}

/** plotly.js from node_modules/plotly.js-dist (the minified build when the package ships one). */
export function plotlyScriptPath(): string {
  const main = require.resolve("plotly.js-dist");
  const min = path.join(path.dirname(main), "plotly.min.js");
  return fs.existsSync(min) ? min : main;
}

// Runs inside the page: draw the figure off-screen and return the image (SVG text or PNG base64).
// Math.random is replaced by a seeded generator first, so plotly's clip-path ids (and with them
// the SVG bytes) are the same on every render.
const PAGE_RENDER = `async ({ json, format, width, height, scale }) => {
  let seed = 0x2545f491;
  Math.random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const fig = JSON.parse(json);
  fig.layout = Object.assign({}, fig.layout, { width, height });
  fig.config = Object.assign({}, fig.config, { staticPlot: true });
  const div = document.createElement("div");
  document.body.appendChild(div);
  try {
    await Plotly.newPlot(div, fig.data, fig.layout, fig.config);
    return await Plotly.toImage(div, { format, width, height, scale, imageDataOnly: true });
  } finally {
    Plotly.purge(div);
    div.remove();
  }
}`;

/** One headless Chromium with plotly loaded, rendering figures one after another. */
export class FigureRenderer {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly browser: Browser,
    private readonly page: Page,
    /** The Chromium executable in use. */
    readonly executablePath: string,
    /** Chromium's version string. */
    readonly browserVersion: string,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Launch Chromium and load plotly.js into a blank page. Throws ChromiumMissingError when no
   * Chromium is found, RenderError when it does not start or plotly does not load.
   */
  static async launch(options: RendererOptions = {}): Promise<FigureRenderer> {
    const executablePath = findChromium(options);
    const timeoutMs = options.timeoutMs ?? 120_000;
    // Lazy: importing lib/render does not load playwright.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { chromium } = require("playwright-core") as typeof import("playwright-core");
    let browser: Browser;
    try {
      browser = await chromium.launch({
        executablePath,
        headless: true,
        timeout: timeoutMs,
        args: ["--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage"],
      });
    } catch (error) {
      throw new ChromiumMissingError(
        `Chromium at ${executablePath} did not start: ${(error as Error).message.split("\n")[0]}. ` +
          "Check that it runs (`" +
          executablePath +
          " --version`), or set CHROMIUM_PATH to a working Chromium.",
        [executablePath],
      );
    }
    try {
      const page = await browser.newPage();
      page.setDefaultTimeout(timeoutMs);
      await page.setContent(
        "<!doctype html><html><head><meta charset='utf-8'></head><body></body></html>",
      );
      await page.addScriptTag({ path: plotlyScriptPath() });
      const ok = await page.evaluate(
        "typeof Plotly === 'object' && typeof Plotly.toImage === 'function'",
      );
      if (!ok) throw new Error("plotly.js loaded but defines no Plotly.toImage");
      return new FigureRenderer(browser, page, executablePath, browser.version(), timeoutMs);
    } catch (error) {
      await browser.close().catch(() => undefined);
      throw new RenderError(
        `Could not load plotly.js (${plotlyScriptPath()}) into Chromium: ${(error as Error).message}. ` +
          "Run `npm ci` to restore node_modules/plotly.js-dist.",
      );
    }
  }

  /** Render one figure: PNG bytes, or the SVG document as UTF-8 bytes. */
  async render(fig: Figure, options: RenderOptions = {}): Promise<Buffer> {
    const format = options.format ?? "png";
    if (format !== "png" && format !== "svg") {
      throw new RenderError(`Unknown image format "${String(format)}": use "png" or "svg".`);
    }
    const { width, height } = renderSize(fig, options);
    const scale = checkScale(options.scale ?? 1);
    const json = JSON.stringify(plotlyPayload(fig));
    // One figure at a time on the shared page.
    const job = this.queue.then(async () => {
      let out: string;
      try {
        out = await withTimeout(
          this.page.evaluate(
            `(${PAGE_RENDER})(${JSON.stringify({ json, format, width, height, scale })})`,
          ) as Promise<string>,
          this.timeoutMs,
        );
      } catch (error) {
        throw new RenderError(
          `Chromium could not render the figure "${figureTitle(fig)}" as ${format}: ${(error as Error).message.split("\n")[0]}`,
        );
      }
      return format === "png" ? Buffer.from(out, "base64") : Buffer.from(out, "utf8");
    });
    this.queue = job.catch(() => undefined);
    return job;
  }

  /**
   * Parse an SVG document with the browser's strict XML parser: the root element's name and
   * size, or the parser's complaint. For checking rendered or edited SVG files.
   */
  async inspectSvg(svg: string): Promise<SvgInfo> {
    const job = this.queue.then(
      () =>
        this.page.evaluate(`((text) => {
          const doc = new DOMParser().parseFromString(text, "image/svg+xml");
          const error = doc.getElementsByTagName("parsererror")[0];
          const root = doc.documentElement;
          return {
            root: root.localName,
            namespace: root.namespaceURI,
            width: Number(root.getAttribute("width")),
            height: Number(root.getAttribute("height")),
            parseError: error ? error.textContent : null,
          };
        })(${JSON.stringify(svg)})`) as Promise<SvgInfo>,
    );
    this.queue = job.catch(() => undefined);
    return job;
  }

  /** Close the browser (safe to call twice). */
  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
  }
}

/** `promise`, or a rejection after `ms` milliseconds (page.evaluate itself never times out). */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no result after ${ms / 1000} s (raise timeoutMs for huge figures)`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function figureTitle(fig: Figure): string {
  const title = fig.layout.title as { text?: string } | string | undefined;
  return (typeof title === "string" ? title : title?.text) ?? "untitled";
}

/** Launch a renderer, run `work` with it, and always close the browser. */
export async function withFigureRenderer<T>(
  work: (renderer: FigureRenderer) => Promise<T>,
  options: RendererOptions = {},
): Promise<T> {
  const renderer = await FigureRenderer.launch(options);
  try {
    return await work(renderer);
  } finally {
    await renderer.close();
  }
}

/**
 * Render one figure. With `renderer` it reuses that browser; without, it launches Chromium for
 * this figure alone (seconds: pass a renderer when rendering several).
 */
export async function renderFigure(
  fig: Figure,
  options: RenderOptions & RendererOptions & { renderer?: FigureRenderer } = {},
): Promise<Buffer> {
  if (options.renderer) return options.renderer.render(fig, options);
  return withFigureRenderer((renderer) => renderer.render(fig, options), options);
}
