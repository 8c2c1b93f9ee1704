/**
 * The offline HTML export (templates/nbconvert/offline-plotly via scripts/nbexport.py) on a small
 * generated, already executed notebook: plotly figures embedded safely and drawn by one inlined
 * plotly.min.js, nothing loaded from the internet, tables kept, absolute local paths rewritten —
 * and the page really renders offline in Chromium (network blocked), compact typed arrays included.
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { exportNotebookHtml, NotebookExportError } from "../../lib/notebook/runner";
import { PROJECT_ROOT } from "../../lib/paths";

// page.evaluate callbacks run in the browser; the test tsconfig has no DOM types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: any;

const PLOTLY_MIME = "application/vnd.plotly.v1+json";
const CHROMIUM = "/usr/bin/chromium";
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ae-html-export-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A hostile title and trace name: "</script>" must not end the embedded JSON. */
const lineFigure = {
  data: [
    { type: "scatter", mode: "lines+markers", x: [1, 2, 3], y: [3, 1, 2], name: "a</script><b>&" },
  ],
  layout: { title: { text: "probe </script><!-- figure" }, width: 500, height: 300 },
};
/** The compact typed-array encoding plotly.py writes: float32 [1, 4, 2] as base64. */
const bdata = Buffer.from(new Float32Array([1, 4, 2]).buffer).toString("base64");
const typedFigure = {
  data: [{ type: "bar", x: [0, 1, 2], y: { dtype: "f4", bdata: bdata } }],
  layout: { width: 400, height: 300 },
};

function executedNotebook(extraText: string): object {
  const output = (data: Record<string, unknown>) => ({
    output_type: "display_data",
    data,
    metadata: {},
  });
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" },
      language_info: { name: "typescript" },
      papermill: { input_path: path.join(PROJECT_ROOT, "notebooks", "probe.ipynb") },
    },
    cells: [
      { cell_type: "markdown", id: "md", metadata: {}, source: "# Probe export" },
      {
        cell_type: "code",
        id: "figs",
        metadata: {},
        execution_count: 1,
        source: "ae.showFigure(a); ae.showFigure(b);",
        outputs: [
          output({ [PLOTLY_MIME]: lineFigure, "text/plain": "<Figure>" }),
          output({ [PLOTLY_MIME]: typedFigure }),
          output({ "text/html": '<table class="probe-table"><tr><td>42</td></tr></table>' }),
          {
            output_type: "stream",
            name: "stdout",
            text:
              `run saved in ${path.join(PROJECT_ROOT, "runs", "quick", "x")}\n` +
              `cache ${path.join(os.homedir(), ".cache", "y")}\n` +
              `scratch ${path.join(os.tmpdir(), "z")}\n` +
              extraText,
          },
        ],
      },
    ],
  };
}

function writeNotebook(name: string, nb: object): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, JSON.stringify(nb, null, 1));
  return file;
}

/** The JSON of each embedded figure, as the page's script blocks hold it. */
function embeddedFigures(html: string): unknown[] {
  const re = /<script[^>]*class="ae-plotly-figure"[^>]*>([\s\S]*?)<\/script>/g;
  return [...html.matchAll(re)].map((m) => JSON.parse(m[1]));
}

describe("offline HTML export", () => {
  let html = "";
  before(async () => {
    const nb = writeNotebook("probe.ipynb", executedNotebook(""));
    const out = await exportNotebookHtml(nb);
    assert.equal(out, path.join(tmp, "probe.html"));
    html = fs.readFileSync(out, "utf8");
  });

  it("loads nothing from the internet (no script src, no require.js, MathJax or mermaid CDN)", () => {
    // The inlined library itself names URLs it would use for map traces; check the page around it.
    let page = html.replace(
      /<script[^>]*>\s*\/\*\*\s*\* plotly\.js v4\.1\.1[\s\S]*?<\/script>/,
      "",
    );
    assert.ok(page.length < html.length - 4_000_000, "plotly.min.js block not found");
    assert.doesNotMatch(page, /<script[^>]*\ssrc=/i);
    // URLs in the lab theme's CSS comments (credits) are not requests.
    page = page.replace(/\/\*[\s\S]*?\*\//g, "");
    assert.doesNotMatch(
      page,
      /require(\.min)?\.js|cdnjs|cdn\.jsdelivr|unpkg\.com|mathjax|mermaid|https?:\/\//i,
    );
    assert.doesNotMatch(page, /<link[^>]*href=/i);
  });

  it("inlines plotly.js 4.1.1 exactly once and embeds each figure's JSON with '<' escaped", () => {
    assert.equal(html.split("plotly.js v4.1.1").length - 1, 1);
    assert.deepEqual(embeddedFigures(html), [lineFigure, typedFigure]);
    assert.ok(!html.includes("a</script><b>&"), "raw </script> from the figure is in the page");
    assert.ok(html.includes("a\\u003c/script\\u003e\\u003cb\\u003e\\u0026"));
  });

  it("keeps HTML tables and text outputs", () => {
    assert.match(html, /<table class="probe-table"><tr><td>42<\/td><\/tr><\/table>/);
    assert.match(html, /run saved in runs\/quick\/x/);
  });

  it("contains no absolute local path (project root, home, temporary folder)", () => {
    for (const root of new Set([
      PROJECT_ROOT,
      os.homedir(),
      os.tmpdir(),
      fs.realpathSync(os.tmpdir()),
    ])) {
      assert.ok(!html.includes(root + "/"), `${root}/ found in the export`);
    }
    assert.match(html, /cache ~\/\.cache\/y/);
    assert.match(html, /scratch \$TMPDIR\/z/);
  });

  it("leaves a page without figures free of plotly.js", async () => {
    const nb = executedNotebook("");
    (nb as { cells: { outputs?: unknown[] }[] }).cells[1].outputs = [];
    const out = await exportNotebookHtml(writeNotebook("plain.ipynb", nb));
    assert.ok(!fs.readFileSync(out, "utf8").includes("plotly.js v4"));
  });

  it("refuses to write a page with a path the rewrite cannot reach (URL-encoded)", async () => {
    const encoded = encodeURIComponent(path.join(PROJECT_ROOT, "runs"));
    const nb = writeNotebook("leak.ipynb", executedNotebook(`link ?file=${encoded}\n`));
    await assert.rejects(exportNotebookHtml(nb), (e: unknown) => {
      assert.ok(e instanceof NotebookExportError, String(e));
      assert.match(e.message, /absolute local path/);
      return true;
    });
    assert.ok(!fs.existsSync(path.join(tmp, "leak.html")));
  });

  it("renders every figure offline in Chromium (.main-svg), typed arrays decoded by plotly.js", async (t) => {
    if (!fs.existsSync(CHROMIUM)) {
      t.skip(`${CHROMIUM} missing: install the Debian package chromium`);
      return;
    }
    let browser: Browser | null = null;
    try {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
      const page = await browser.newPage();
      const requests: string[] = [];
      await page.route("**/*", (route) => {
        const url = route.request().url();
        if (url.startsWith("file:")) return route.continue();
        requests.push(url);
        return route.abort();
      });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.goto(`file://${path.join(tmp, "probe.html")}`);
      await page.waitForFunction(
        () =>
          document.querySelectorAll(".ae-plotly .main-svg").length > 0 &&
          Array.from(document.querySelectorAll(".ae-plotly")).every(
            // eslint-disable-next-line @typescript-eslint/no-explicit-any
            (d: any) => d.querySelector(".main-svg") !== null,
          ),
        null,
        { timeout: 60_000 },
      );
      const drawn = (await page.evaluate(() =>
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        Array.from(document.querySelectorAll(".ae-plotly")).map((d: any) => ({
          type: d._fullData[0].type,
          y: Array.from(d._fullData[0].y as ArrayLike<number>),
          name: d._fullData[0].name,
        })),
      )) as { type: string; y: number[]; name: string }[];
      assert.deepEqual(drawn, [
        { type: "scatter", y: [3, 1, 2], name: "a</script><b>&" },
        { type: "bar", y: [1, 4, 2], name: "trace 0" },
      ]);
      assert.deepEqual(requests, [], "the page asked the network for something");
      assert.deepEqual(errors, []);
    } finally {
      await browser?.close();
    }
  });
});
