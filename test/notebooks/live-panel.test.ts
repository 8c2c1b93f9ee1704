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
import { spawn, type ChildProcess } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, type Browser, type CDPSession, type Page } from "playwright-core";
import { projectPath } from "../../lib/paths";
import { runNotebook } from "../../lib/notebook/runner";
import { loadRun, loadRunModel } from "../../lib/runs/run-folder";
import { decodeCodes, encodeSet } from "../../lib/model/inference";
import { reconstructionScores } from "../../lib/apps/anomaly";
import type { Autoencoder } from "../../lib/model/autoencoder";
import { createRng } from "../../lib/random";
import { useTestBackend } from "../helpers/backend";
import { IMPORT_LIBRARY, removeAfterwards, writeProbeNotebook } from "../helpers/probe-notebook";
import { CHROMIUM, CHROMIUM_ARGS, freePort, jupyterTestEnv } from "../helpers/browser";

const JUPYTER = projectPath(".venv", "bin", "jupyter");
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

/** The page's code, reconstruction and scores for its own 784 input pixels, against Node's. */
function checkAgainstNode(model: Autoencoder, state: PanelState, what: string): void {
  const input = Float32Array.from(state.input);
  const code = encodeSet(model, { images: input, labels: new Uint8Array(1), count: 1 }, 784);
  const recon = decodeCodes(model, code);
  const codeDiff = maxAbsDiff(state.code, code);
  const reconDiff = maxAbsDiff(state.reconstruction, recon);
  const score = reconstructionScores(input, recon, 784);
  const scoreName = state.scoreName as keyof typeof score;
  const scoreDiff = Math.abs(state.score - score[scoreName][0]);
  const bceDiff = Math.abs(state.bce - score.bce[0]);
  console.log(
    `[live] ${what}: max |code − Node| ${codeDiff.toExponential(2)}, ` +
      `max |reconstruction − Node| ${reconDiff.toExponential(2)}, |${scoreName} − Node| ` +
      `${scoreDiff.toExponential(2)}, |BCE − Node| ${bceDiff.toExponential(2)}; ` +
      `score ${state.score.toPrecision(4)} vs threshold ${state.threshold.toPrecision(4)} (flagged ${state.flagged})`,
  );
  assert.ok(codeDiff <= TOLERANCE, `${what}: code differs by ${codeDiff}`);
  assert.ok(reconDiff <= TOLERANCE, `${what}: reconstruction differs by ${reconDiff}`);
  assert.ok(scoreDiff <= TOLERANCE * Math.max(1, score[scoreName][0]), `${what}: score differs by ${scoreDiff}`);
  assert.ok(bceDiff <= TOLERANCE, `${what}: BCE differs by ${bceDiff}`);
}

/** A finger stroke through `points` (canvas fractions): touch events through Chromium's input pipeline. */
async function touchStroke(page: Page, cdp: CDPSession, points: [number, number][]): Promise<void> {
  const canvas = page.locator(`${PANEL} canvas.ae-draw`);
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  assert.ok(box, "no drawing canvas");
  const at = ([fx, fy]: [number, number]) => ({ x: box.x + fx * box.width, y: box.y + fy * box.height });
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [at(points[0])] });
  for (const p of points.slice(1)) {
    await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: [at(p)] });
  }
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
}

/**
 * `jupyter lab` on 127.0.0.1 serving `root`, its state (and so its trust database) inside `root`:
 * a notebook executed elsewhere opens untrusted there. Resolves with the URL once it answers.
 * (A lean copy of jupyterlab-browser.test.ts's server start.)
 */
async function startLab(root: string, started: (server: ChildProcess) => void) {
  const port = await freePort();
  const token = crypto.randomBytes(24).toString("hex");
  const state = path.join(root, ".jupyter-test");
  for (const dir of ["config", "data", "runtime", "settings", "workspaces"]) {
    fs.mkdirSync(path.join(state, dir), { recursive: true });
  }
  const settings = path.join(state, "settings", "@jupyterlab", "apputils-extension");
  fs.mkdirSync(settings, { recursive: true });
  fs.writeFileSync(
    path.join(settings, "notification.jupyterlab-settings"),
    JSON.stringify({ fetchNews: "false", checkForUpdates: false }),
  );
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const logFd = fs.openSync(path.join(ARTIFACTS, "live-panel-jupyterlab.log"), "w");
  const server = spawn(
    JUPYTER,
    [
      "lab",
      "--no-browser",
      "--allow-root",
      "--ServerApp.ip=127.0.0.1",
      `--ServerApp.port=${port}`,
      "--ServerApp.port_retries=0",
      `--IdentityProvider.token=${token}`,
      `--ServerApp.root_dir=${root}`,
      "--ServerApp.terminals_enabled=False",
      "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
      "--LabApp.extension_manager=readonly",
    ],
    {
      cwd: root,
      detached: true,
      stdio: ["ignore", logFd, logFd],
      env: jupyterTestEnv(state),
    },
  );
  fs.closeSync(logFd);
  started(server);
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (server.exitCode !== null || server.signalCode !== null) {
      throw new Error(`jupyter lab exited (${server.exitCode ?? server.signalCode}); see test-artifacts/browser/live-panel-jupyterlab.log`);
    }
    try {
      const res = await fetch(`${url}/api/status`, { headers: { Authorization: `token ${token}` } });
      if (res.ok) return { url, token };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Stop the server's process group (its kernels run in sessions of their own: TERM lets it stop them). */
async function stopLab(server: ChildProcess): Promise<void> {
  if (server.pid === undefined || server.exitCode !== null) return;
  const exited = new Promise((resolve) => server.once("exit", resolve));
  process.kill(-server.pid, "SIGTERM");
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  try {
    process.kill(-server.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

describe("live model panel in an exported page", () => {
  let browser: Browser | undefined;
  let model: Autoencoder | undefined;
  let html = "";
  let htmlPath = "";
  let runFolder = "";
  let executed = "";
  let lab: ChildProcess | undefined;

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
    executed = result.executedPath;
    html = fs.readFileSync(htmlPath, "utf8");
    runFolder = fs.readFileSync(runFile, "utf8").trim();
    // Node computes on the engine the library uses (native TensorFlow by default), the page on
    // tfjs's cpu backend: equal within TOLERANCE, not bit for bit.
    await useTestBackend();
    model = await loadRunModel(loadRun(runFolder));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
    });
  });

  after(async () => {
    if (lab) await stopLab(lab);
    await browser?.close();
    model?.dispose();
  });

  it("embeds the tfjs bundles and the page code once, under 12 MB", () => {
    const size = fs.statSync(htmlPath).size;
    console.log(`[live] exported page ${(size / 1e6).toFixed(2)} MB`);
    assert.ok(size < MAX_PAGE_BYTES, `page is ${size} bytes`);
    assert.equal(html.split("window.aeLivePanel = exports").length - 1, 1, "page code once");
    for (const bundle of [
      "tfjs-core/dist/tf-core.es2017.min.js",
      "tfjs-backend-cpu/dist/tf-backend-cpu.es2017.min.js",
      "tfjs-layers/dist/tf-layers.es2017.min.js",
    ]) {
      const js = fs.readFileSync(projectPath("node_modules", "@tensorflow", bundle), "utf8");
      assert.equal(html.split(js.slice(-300)).length - 1, 1, `${bundle} inlined once`);
    }
    assert.equal(html.split('class="ae-live-panel"').length - 1, 1);
  });

  it("draws with mouse and touch: code and reconstruction as Node computes them, a scribble is flagged, a slider decodes", async () => {
    assert.ok(browser && model);
    const context = await browser.newContext({ viewport: { width: 1200, height: 1000 }, hasTouch: true });
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

    checkAgainstNode(model, drawn, "mouse stroke");
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
    const scribble = Array.from({ length: 24 }, () => [0.1 + 0.8 * rng.next(), 0.1 + 0.8 * rng.next()] as [number, number]);
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

    // A finger: Clear, then a "1" drawn with touch events.
    const cleared = (await panelState(page)).updates;
    await page.locator(`${PANEL} button`, { hasText: /^Clear$/ }).click();
    await waitForUpdates(page, cleared);
    const beforeTouch = await panelState(page);
    assert.equal(beforeTouch.input.filter((v) => v > 0).length, 0, "Clear left ink");
    const cdp = await context.newCDPSession(page);
    await touchStroke(page, cdp, [
      [0.55, 0.15],
      [0.53, 0.3],
      [0.5, 0.45],
      [0.48, 0.6],
      [0.45, 0.8],
    ]);
    await waitForUpdates(page, beforeTouch.updates);
    const touched = await panelState(page);
    assert.equal(touched.source, "drawing");
    assert.ok(touched.input.filter((v) => v > 0).length > 20, "the touch stroke left no ink");
    checkAgainstNode(model, touched, "touch stroke");

    assert.deepEqual(errors, [], "errors in the page");
    assert.deepEqual(requests, [], "the page asked for the network");
    await context.close();
  });

  it("shows a clear note, not a broken output, in JupyterLab after reopening the notebook untrusted", async () => {
    assert.ok(browser);
    // The executed notebook was signed by no one this server knows: it opens untrusted.
    const root = path.join(tmp, "lab");
    fs.mkdirSync(path.join(root, "notebooks"), { recursive: true });
    fs.copyFileSync(executed, path.join(root, "notebooks", "live-probe.ipynb"));
    const server = await startLab(root, (spawned) => (lab = spawned));
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${server.url}/lab/tree/notebooks/live-probe.ipynb?token=${server.token}`);
    const note = page.locator('.jp-OutputArea-output[data-mime-type="text/html"] .ae-live-note');
    await note.waitFor({ state: "visible", timeout: 90_000 });
    await note.scrollIntoViewIfNeeded();
    const text = (await note.textContent()) ?? "";
    assert.match(text, /Live model panel/);
    assert.match(text, /exported\s+HTML page/);
    const output = page.locator('.jp-OutputArea-output[data-mime-type="text/html"]', {
      has: page.locator(".ae-live-note"),
    });
    assert.equal(await output.count(), 1);
    assert.equal(await output.locator("script").count(), 0, "scripts of an untrusted output were kept");
    assert.equal(await page.locator(".ae-live").count(), 0, "the panel mounted in JupyterLab");
    const stderr = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]');
    assert.equal(await stderr.count(), 0);
    assert.equal((await output.innerText()).includes('"version"'), false, "the panel data shows as text");
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await output.screenshot({ path: path.join(ARTIFACTS, "live-panel-jupyterlab-untrusted.png") });
    await page.screenshot({ path: path.join(ARTIFACTS, "live-panel-jupyterlab-page.png") });
    assert.deepEqual(errors, [], "errors in JupyterLab's page");
    await context.close();
  });
});
