/**
 * The live model panel end to end: a probe notebook calls ae.showLivePanel on a real quick-preset
 * run, the real tslab kernel executes it and the exporter writes the offline page; headless
 * Chromium (every request that is not the file itself aborted) opens the page, draws a stroke with
 * real mouse events, and the panel's code and reconstruction must equal what the library computes
 * in Node for the same 784 pixels (read back from the page). Then a random scribble must be
 * flagged as an anomaly where a test digit was not, and a slider must change the decoded image.
 * Screenshots go to test-artifacts/browser/.
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { projectPath } from "../../lib/paths";
import { runNotebook } from "../../lib/notebook-runner";
import { loadRun, loadRunModel } from "../../lib/runs/run-folder";
import { decodeCodes, encodeSet } from "../../lib/train/evaluate";
import { reconstructionScores } from "../../lib/apps/anomaly";
import type { Autoencoder } from "../../lib/model/autoencoder";
import { createRng } from "../../lib/random";
import { useTestBackend } from "../helpers/backend";
import { IMPORT_LIBRARY, removeAfterwards, writeProbeNotebook } from "../helpers/probe-notebook";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = projectPath("test-artifacts", "browser");
const PANEL = ".ae-live-panel";
const MAX_PAGE_BYTES = 12 * 1024 * 1024;
const TOLERANCE = 1e-4;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ae-live-"));
removeAfterwards(tmp);

interface PanelState {
  updates: number;
  source: string;
  backend: string;
  input: number[];
  code: number[];
  reconstruction: number[];
  sliderImage: number[];
  bce: number;
  score: number;
  flagged: boolean;
  threshold: number;
  scoreName: string;
}

/** The panel's state, read in the page (`root.aeLive`, see lib/live/page.ts). */
async function panelState(page: Page): Promise<PanelState> {
  return page.evaluate(`(() => {
    const root = document.querySelector(${JSON.stringify(PANEL)});
    const s = root.aeLive;
    return { updates: s.updates, source: s.source, backend: s.backend, input: Array.from(s.input),
      code: Array.from(s.code), reconstruction: Array.from(s.reconstruction),
      sliderImage: Array.from(s.sliderImage), bce: s.bce, score: s.score, flagged: s.flagged,
      threshold: s.threshold, scoreName: s.scoreName };
  })()`);
}

async function waitForUpdates(page: Page, after: number): Promise<void> {
  await page.waitForFunction(
    `Number(document.querySelector(${JSON.stringify(PANEL)}).dataset.updates) > ${after}`,
  );
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Press, move through `points` (canvas fractions) and release: real mouse events. */
async function stroke(page: Page, points: [number, number][]): Promise<void> {
  const canvas = page.locator(`${PANEL} canvas.ae-draw`);
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  assert.ok(box, "no drawing canvas");
  const at = ([fx, fy]: [number, number]) => [box.x + fx * box.width, box.y + fy * box.height];
  const [x0, y0] = at(points[0]);
  await page.mouse.move(x0, y0);
  await page.mouse.down();
  for (const p of points.slice(1)) {
    const [x, y] = at(p);
    await page.mouse.move(x, y, { steps: 4 });
  }
  await page.mouse.up();
}

describe("live model panel in an exported page", () => {
  let browser: Browser | undefined;
  let model: Autoencoder | undefined;
  let html = "";
  let htmlPath = "";
  let runFolder = "";

  before(async () => {
    const runFile = path.join(tmp, "run-folder.txt");
    const probe = writeProbeNotebook(path.join(tmp, "nb", "live-probe.ipynb"), "let seed = 1;", [
      [
        IMPORT_LIBRARY,
        "const config = ae.resolveConfig();",
        "await ae.initBackend(config.train.backend);",
        'const run = ae.findPlainRun(config.train.runsDir, null) ?? (await ae.ensureRun("live-panel-probe", {}, { base: config })).run;',
        `require("fs").writeFileSync(${JSON.stringify(runFile)}, run.folder);`,
        "const model = await ae.loadRunModel(run);",
        "const data = ae.prepareDataset(await ae.loadDataset(run.config.data), run.config.data, run.config.seed);",
      ].join("\n"),
      'await ae.showLivePanel(model, data, { title: "Live probe", seed: seed });',
    ]);
    const result = await runNotebook(probe, {
      outputDir: path.join(tmp, "out"),
      env: { AE_QUICK: "1" },
    });
    htmlPath = result.htmlPath as string;
    html = fs.readFileSync(htmlPath, "utf8");
    runFolder = fs.readFileSync(runFile, "utf8").trim();
    // Node computes on the engine the library uses (native TensorFlow by default), the page on
    // tfjs's cpu backend: equal within TOLERANCE, not bit for bit.
    await useTestBackend();
    model = await loadRunModel(loadRun(runFolder));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
  });

  after(async () => {
    await browser?.close();
    model?.dispose();
  });

  it("embeds tfjs and the page code once, under 12 MB", () => {
    const size = fs.statSync(htmlPath).size;
    console.log(`[live] exported page ${(size / 1e6).toFixed(2)} MB`);
    assert.ok(size < MAX_PAGE_BYTES, `page is ${size} bytes`);
    assert.equal(html.split("window.aeLivePanel = exports").length - 1, 1, "page code once");
    const tfjs = fs.readFileSync(projectPath("node_modules/@tensorflow/tfjs/dist/tf.min.js"), "utf8");
    assert.equal(html.split(tfjs.slice(-200)).length - 1, 1, "tf.min.js inlined once");
    assert.equal(html.split('class="ae-live-panel"').length - 1, 1);
  });

  it("draws with the mouse: code and reconstruction as Node computes them, a scribble is flagged, a slider decodes", async () => {
    assert.ok(browser && model);
    const context = await browser.newContext({ viewport: { width: 1200, height: 1000 } });
    const requests: string[] = [];
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith("file:") || url.startsWith("data:")) return route.continue();
      requests.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`file://${htmlPath}`);
    await page.waitForSelector(`${PANEL}[data-ready="1"]`, { timeout: 120_000 });
    const panel = page.locator(PANEL);
    await panel.scrollIntoViewIfNeeded();

    // A "7": across the top, then down to the left.
    const before = await panelState(page);
    assert.equal(before.backend, "cpu");
    await stroke(page, [
      [0.25, 0.2],
      [0.5, 0.2],
      [0.75, 0.2],
      [0.6, 0.5],
      [0.45, 0.85],
    ]);
    await waitForUpdates(page, before.updates);
    const drawn = await panelState(page);
    assert.equal(drawn.source, "drawing");
    const ink = drawn.input.filter((v) => v > 0).length;
    assert.ok(ink > 30 && ink < 400, `${ink} ink pixels`);

    const input = Float32Array.from(drawn.input);
    const code = encodeSet(model, { images: input, labels: new Uint8Array(1), count: 1 }, 784);
    const recon = decodeCodes(model, code);
    const codeDiff = maxAbsDiff(drawn.code, code);
    const reconDiff = maxAbsDiff(drawn.reconstruction, recon);
    const score = reconstructionScores(input, recon, 784);
    const scoreName = drawn.scoreName as keyof typeof score;
    const scoreDiff = Math.abs(drawn.score - score[scoreName][0]);
    const bceDiff = Math.abs(drawn.bce - score.bce[0]);
    console.log(
      `[live] drawn digit: max |code − Node| ${codeDiff.toExponential(2)}, ` +
        `max |reconstruction − Node| ${reconDiff.toExponential(2)}, |${scoreName} − Node| ` +
        `${scoreDiff.toExponential(2)}, |BCE − Node| ${bceDiff.toExponential(2)}; ` +
        `score ${drawn.score.toPrecision(4)} vs threshold ${drawn.threshold.toPrecision(4)} (flagged ${drawn.flagged})`,
    );
    assert.ok(codeDiff <= TOLERANCE, `code differs by ${codeDiff}`);
    assert.ok(reconDiff <= TOLERANCE, `reconstruction differs by ${reconDiff}`);
    assert.ok(scoreDiff <= TOLERANCE * Math.max(1, score[scoreName][0]), `score differs by ${scoreDiff}`);
    assert.ok(bceDiff <= TOLERANCE, `BCE differs by ${bceDiff}`);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await panel.screenshot({ path: path.join(ARTIFACTS, "live-panel-drawn.png") });

    // A test digit the model finds normal, then a random scribble: the flag must flip.
    const thumbs = page.locator(`${PANEL} section.ae-live-pick canvas.ae-thumb`);
    let normal: PanelState | null = null;
    for (let i = 0; i < (await thumbs.count()) && !normal; i++) {
      const seen = (await panelState(page)).updates;
      await thumbs.nth(i).click();
      await waitForUpdates(page, seen);
      const s = await panelState(page);
      if (!s.flagged) normal = s;
    }
    assert.ok(normal, "every test thumbnail was flagged");
    assert.match(normal.source, /^test #\d+$/);
    const rng = createRng(7);
    const scribble = Array.from({ length: 14 }, () => [0.1 + 0.8 * rng.next(), 0.1 + 0.8 * rng.next()] as [number, number]);
    await stroke(page, scribble);
    await waitForUpdates(page, normal.updates);
    const scribbled = await panelState(page);
    console.log(
      `[live] test digit ${normal.source}: ${scribbled.scoreName} ${normal.score.toPrecision(4)} (normal); ` +
        `scribble ${scribbled.score.toPrecision(4)} (flagged ${scribbled.flagged}); threshold ${scribbled.threshold.toPrecision(4)}`,
    );
    assert.equal(scribbled.flagged, true, "the scribble was not flagged");
    await panel.screenshot({ path: path.join(ARTIFACTS, "live-panel-scribble.png") });

    // The first slider, moved with the mouse, changes the decoded image.
    const slider = page.locator(`${PANEL} input.ae-slider-0`);
    const sbox = await slider.boundingBox();
    assert.ok(sbox);
    assert.ok(maxAbsDiff(scribbled.sliderImage, scribbled.reconstruction) < 1e-6, "slider image at 0 ≠ reconstruction");
    await page.mouse.click(sbox.x + sbox.width * 0.95, sbox.y + sbox.height / 2);
    await page.waitForFunction(
      `document.querySelector(${JSON.stringify(PANEL)}).aeLive.sliders[0] > 1`,
    );
    const moved = await panelState(page);
    const change = maxAbsDiff(moved.sliderImage, scribbled.sliderImage);
    console.log(`[live] slider PC 1 to +${(await slider.inputValue())}σ: decoded image changed by up to ${change.toFixed(3)}`);
    assert.ok(change > 0.05, `slider changed the image by only ${change}`);
    await panel.screenshot({ path: path.join(ARTIFACTS, "live-panel-slider.png") });

    assert.deepEqual(errors, [], "errors in the page");
    assert.deepEqual(requests, [], "the page asked for the network");
    await context.close();
  });
});
