/**
 * The notebook experience in a real browser: JupyterLab (from the project venv, with the tslab
 * kernel and the plotly extension registered there) serves throwaway copies of every notebook,
 * and headless Chromium runs each of them, in name order and in ONE JupyterLab, through the Run
 * menu with the quick preset (AE_QUICK=1 in the server's environment, which kernels inherit).
 * For each notebook: it opens unmodified once its kernel is idle (the committed metadata is what
 * the kernel writes), every cell runs, no cell shows an error or writes to stderr, and every
 * plotly figure is drawn (SVG), at least as many as the notebook is known to show. Notebook 02
 * trains the quick run the later ones analyse. Each kernel is shut down before the next notebook.
 *
 * Notebook 01 is also checked in depth: the danfojs summary as an HTML table; then it is saved
 * (Ctrl+S), closed (File menu), made untrusted (as a notebook from someone else is) and reopened
 * in a fresh page: without re-running, every figure must show again from the saved outputs, and
 * turn into the interactive plot when the mouse enters it.
 *
 * The committed notebooks are never touched: the server's root is a temporary folder holding a
 * copy of notebooks/ plus `dist` and `node_modules` symlinks to this checkout, so
 * `import * as ae from "../dist/lib"` and `import ... from "danfojs-node"` resolve as they do in
 * notebooks/ (node follows the symlinks to their real paths, so the library's own imports and its
 * data and runs paths are the checkout's: quick runs go to runs/quick, and the ones this test
 * creates are removed afterwards). Jupyter's config, runtime, settings and signature database live
 * in that folder too. Screenshots and the server log go to test-artifacts/browser/.
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { listNotebooks } from "../../lib/notebook/runner";
import { projectPath } from "../../lib/paths";
import { CHROMIUM, CHROMIUM_ARGS, freePort, jupyterTestEnv } from "../helpers/browser";

const NOTEBOOK = "01-data-exploration.ipynb";
const NOTEBOOK_IN_ROOT = `notebooks/${NOTEBOOK}`;
/** Every committed notebook, in name order (02 trains the run 03-10 read). */
const NOTEBOOKS = listNotebooks().map((f) => path.basename(f));
/**
 * The plotly figures each notebook shows with the quick preset (some come from loops over
 * parameters): a notebook drawing fewer has lost a figure.
 */
const FIGURES: Record<string, number> = {
  "01-data-exploration.ipynb": 5,
  "02-training.ipynb": 1,
  "03-loss-curves.ipynb": 3,
  "04-reconstructions.ipynb": 3,
  "05-latent-space.ipynb": 9,
  "06-clustering.ipynb": 4,
  "07-denoising.ipynb": 5,
  "08-anomaly-detection.ipynb": 6,
  "09-compression.ipynb": 3,
  "10-generation.ipynb": 6,
  "11-sweeps.ipynb": 3,
};
const JUPYTER = projectPath(".venv", "bin", "jupyter");
const TSLAB = projectPath("node_modules", ".bin", "tslab");
const ARTIFACTS = projectPath("test-artifacts", "browser");
const PLOTLY_MIME = "application/vnd.plotly.v1+json";
/** Figures notebook 01 shows with ae.showFigure. */
const FIGURES_IN_NOTEBOOK = 5;
const VIEWPORT = { width: 1400, height: 1000 };

// Browser globals, used only inside the callbacks that run in the page (page.waitForFunction,
// evaluate): the project's tsconfig has no DOM lib, so the little used here is declared, for
// this module only.
interface PageElement {
  textContent: string | null;
  classList: { contains(name: string): boolean };
  style: { display: string };
  querySelector(selector: string): PageElement | null;
  getAttribute(name: string): string | null;
}
interface PageImage extends PageElement {
  src: string;
  complete: boolean;
  naturalWidth: number;
}
/** JupyterLab's notebook model, as window.jupyterapp (--LabApp.expose_app_in_browser) shows it. */
interface PageCells {
  length: number;
  get(i: number): { type: string; trusted: boolean };
}
declare const document: {
  querySelectorAll(selector: string): Iterable<PageElement> & { length: number };
  getElementById(id: string): PageElement | null;
};
declare const window: {
  jupyterapp: { shell: { currentWidget: { content: { model: { cells: PageCells } } } } };
};

const OUTPUT = ".jp-OutputArea-output";
/** The plotly extension's output element is itself the plot div (and has no data-mime-type). */
const PLOTLY_OUTPUT = `${OUTPUT}.jp-RenderedPlotly`;
/** tslab reports a failing cell on stderr; JupyterLab renders `error` outputs with this type too. */
const STDERR_OUTPUT = `${OUTPUT}[data-mime-type="application/vnd.jupyter.stderr"]`;
/** An `error` output (tslab sends none, but a kernel or extension might). */
const ERROR_OUTPUT = `${OUTPUT}[data-mime-type="application/vnd.jupyter.error"]`;
const HTML_TABLE = `${OUTPUT}[data-mime-type="text/html"] table`;
const PROMPTS = ".jp-CodeCell .jp-InputPrompt";
const DIRTY_TAB = ".lm-TabBar-tab.jp-mod-dirty";

function log(message: string): void {
  console.log(`[browser] ${message}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Run one step with a deadline, printing how long it took. A step that does not finish in time,
 * or fails, fails the test with a message naming the step.
 */
async function step<T>(name: string, seconds: number, action: () => Promise<T>): Promise<T> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`browser test: step "${name}" hung: not done after ${seconds} s`)),
      seconds * 1000,
    );
  });
  try {
    return await Promise.race([action(), deadline]);
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    if (message.startsWith("browser test:")) throw error;
    throw new Error(`browser test: step "${name}" failed: ${message}`, { cause: error });
  } finally {
    clearTimeout(timer);
    log(`${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

/** The pids of every descendant of `pid`, read from /proc. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * Stop the server and everything it started. Kernels run in sessions of their own (jupyter_client
 * starts them with start_new_session), so killing the server's process group alone would leave
 * them behind: SIGTERM the group (the server then shuts its kernels down), and after 5 s SIGKILL
 * whatever is left of the group and of the descendants recorded beforehand.
 */
async function stopServer(server: ChildProcess): Promise<void> {
  const pid = server.pid;
  if (pid === undefined) return;
  const family = descendants(pid);
  signal(-pid, "SIGTERM");
  for (let i = 0; i < 50 && [pid, ...family].some(alive); i++) await sleep(100);
  signal(-pid, "SIGKILL");
  for (const p of family) if (alive(p)) signal(p, "SIGKILL");
}

/** The temporary server root: notebooks/<copies>, dist and node_modules symlinks. */
function makeRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "ae-jupyterlab-"));
  fs.mkdirSync(path.join(root, "notebooks"));
  for (const nb of NOTEBOOKS) {
    fs.copyFileSync(projectPath("notebooks", nb), path.join(root, "notebooks", nb));
  }
  fs.symlinkSync(projectPath("dist"), path.join(root, "dist"), "dir");
  fs.symlinkSync(projectPath("node_modules"), path.join(root, "node_modules"), "dir");
  for (const dir of ["config", "data", "runtime", "settings", "workspaces"]) {
    fs.mkdirSync(path.join(root, ".jupyter-test", dir), { recursive: true });
  }
  // No "Would you like to get notified about official Jupyter news?" toast over the notebook.
  const settings = path.join(root, ".jupyter-test", "settings", "@jupyterlab", "apputils-extension");
  fs.mkdirSync(settings, { recursive: true });
  fs.writeFileSync(
    path.join(settings, "notification.jupyterlab-settings"),
    JSON.stringify({ fetchNews: "false", checkForUpdates: false }),
  );
  return root;
}

interface Lab {
  server: ChildProcess;
  url: string;
  token: string;
}

/**
 * Start `jupyter lab` on a free port of 127.0.0.1 with a random token; resolves once it serves.
 * `started` gets the server as soon as it is spawned, so it is stopped even if it never serves.
 */
async function startLab(
  root: string,
  logPath: string,
  started: (lab: Lab) => void,
  seconds: number,
): Promise<Lab> {
  const port = await freePort();
  const token = crypto.randomBytes(24).toString("hex");
  const state = path.join(root, ".jupyter-test");
  const logFd = fs.openSync(logPath, "w");
  const server = spawn(
    JUPYTER,
    [
      "lab",
      "--no-browser",
      "--allow-root", // CI containers run as root
      "--ServerApp.ip=127.0.0.1",
      `--ServerApp.port=${port}`,
      "--ServerApp.port_retries=0",
      `--IdentityProvider.token=${token}`,
      `--ServerApp.root_dir=${root}`,
      "--ServerApp.terminals_enabled=False",
      "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
      "--LabApp.extension_manager=readonly", // no PyPI queries
      "--LabApp.expose_app_in_browser=True", // window.jupyterapp, to read cell trust
    ],
    {
      cwd: root,
      detached: true, // a process group of its own, stopped as a whole in stopServer
      stdio: ["ignore", logFd, logFd],
      env: jupyterTestEnv(state),
    },
  );
  fs.closeSync(logFd);
  const lab = { server, url: `http://127.0.0.1:${port}`, token };
  started(lab);
  // Last resort if this process exits without the after hook (it runs synchronously on exit).
  process.once("exit", () => {
    if (server.pid === undefined || !alive(server.pid)) return;
    const family = descendants(server.pid);
    signal(-server.pid, "SIGKILL");
    for (const p of family) signal(p, "SIGKILL");
  });
  for (const until = Date.now() + seconds * 1000; Date.now() < until; ) {
    if (server.exitCode !== null || server.signalCode !== null) {
      const tail = fs.readFileSync(logPath, "utf8").trim().split("\n").slice(-5).join("\n");
      throw new Error(`jupyter lab exited (${server.exitCode ?? server.signalCode}):\n${tail}`);
    }
    try {
      if ((await fetch(`${lab.url}/api/status`, { headers: auth(lab) })).ok) return lab;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`jupyter lab did not answer on ${lab.url} within ${seconds} s; see ${logPath}`);
}

function auth(lab: { token: string }): Record<string, string> {
  return { Authorization: `token ${lab.token}` };
}

/**
 * Wait until the open notebook's tslab kernel ("TypeScript" in the status bar) is idle and no cell
 * shows the running prompt `[*]`. (The toolbar's execution indicator says "idle" before a kernel
 * exists, and Run clicked then opens a "Select Kernel" dialog.) textContent, not innerText:
 * JupyterLab skips rendering off-screen cells (content-visibility), whose innerText is "".
 */
async function waitIdle(page: Page, seconds: number): Promise<void> {
  await page.waitForFunction(
    (prompts) => {
      const status = [...document.querySelectorAll(".jp-StatusBar-TextItem")];
      const idle = status.some((s) => s.textContent === "TypeScript | Idle");
      const running = [...document.querySelectorAll(prompts)].some((p) =>
        p.textContent?.includes("*"),
      );
      return idle && !running;
    },
    PROMPTS,
    { timeout: seconds * 1000, polling: 250 },
  );
}

/**
 * Wait until `count` plotly outputs show the live plot (the plot div holds plotly's SVG); on
 * timeout, say what the outputs show instead.
 */
async function waitForPlots(page: Page, count: number, seconds: number): Promise<void> {
  try {
    await page.waitForFunction(
      ([selector, n]) =>
        [...document.querySelectorAll(selector as string)].filter(
          (p) => p.classList.contains("js-plotly-plot") && p.querySelector(".main-svg") !== null,
        ).length >= (n as number),
      [PLOTLY_OUTPUT, count] as const,
      { timeout: seconds * 1000, polling: 250 },
    );
  } catch (error) {
    const states = await plotlyOutputStates(page);
    const others = await page.locator(`${OUTPUT}:not(.jp-RenderedPlotly)`).evaluateAll((els) =>
      (els as unknown as PageElement[]).map(
        (e) => `${e.getAttribute("data-mime-type")}: ${(e.textContent ?? "").slice(0, 120)}`,
      ),
    );
    // Without its renderer (the plotly extension, plugin @jupyterlab/plotly-extension, disabled
    // or missing) JupyterLab shows nothing at all for a plotly-only output.
    const hint =
      states.length === 0
        ? " (no plotly output at all: is the extension of the Python plotly package missing or " +
          "disabled? `.venv/bin/jupyter labextension list`)"
        : "";
    throw new Error(
      `expected ${count} plotly figures drawn within ${seconds} s; plotly outputs: ` +
        `[${states.join(", ")}]${hint}; other outputs:\n  ${others.join("\n  ")}`,
      { cause: error },
    );
  }
}

/** What each plotly output shows: "svg" (live plot), "png" (the saved snapshot) or "nothing". */
async function plotlyOutputStates(page: Page): Promise<string[]> {
  return page.locator(PLOTLY_OUTPUT).evaluateAll((elements) =>
    (elements as unknown as PageElement[]).map((o) => {
      const container = o.querySelector(".plot-container");
      if (container && container.style.display !== "none" && o.querySelector(".main-svg")) {
        return "svg";
      }
      const img = o.querySelector("img.plot-img") as PageImage | null;
      const shown = img && img.style.display !== "none" && img.src.startsWith("data:image/png");
      return shown && img.complete && img.naturalWidth > 0 ? "png" : "nothing";
    }),
  );
}

/** Plotly outputs in the notebook file, and how many carry the extension's PNG snapshot. */
function figuresOnDisk(file: string): { plotly: number; png: number } {
  const nb = JSON.parse(fs.readFileSync(file, "utf8")) as {
    cells: { outputs?: { data?: Record<string, unknown> }[] }[];
  };
  const plotly = nb.cells
    .flatMap((c) => c.outputs ?? [])
    .filter((o) => o.data?.[PLOTLY_MIME] !== undefined);
  return { plotly: plotly.length, png: plotly.filter((o) => o.data?.["image/png"]).length };
}

async function clickMenu(page: Page, menu: string, command: string): Promise<void> {
  await page.locator(".lm-MenuBar-item", { hasText: new RegExp(`^${menu}$`) }).click();
  await page.locator(`.lm-Menu-item[data-command="${command}"]`).click();
}

/** Open the notebook; resolves when all its cells are in the page and its kernel is idle. */
async function openNotebook(page: Page, lab: Lab, file: string): Promise<void> {
  const cells = (JSON.parse(fs.readFileSync(file, "utf8")) as { cells: unknown[] }).cells.length;
  // A workspace per notebook: JupyterLab would otherwise restore the tabs of the notebooks opened
  // before (their cells would count here, and their kernels would start again).
  const name = path.basename(file);
  const workspace = name.replace(/\.ipynb$/, "").replace(/[^a-z0-9-]/gi, "-");
  await page.goto(
    `${lab.url}/lab/workspaces/${workspace}/tree/notebooks/${name}?token=${lab.token}`,
  );
  // JupyterLab adds the cells of a large notebook to the page in batches after it opens.
  await page.waitForFunction((n) => document.querySelectorAll(".jp-Notebook .jp-Cell").length === n, cells, {
    timeout: 60_000,
    polling: 250,
  });
  await waitIdle(page, 60);
}

/** Shut down every kernel the server runs (their sessions end too). */
async function shutDownKernels(lab: Lab): Promise<void> {
  const res = await fetch(`${lab.url}/api/sessions`, { headers: auth(lab) });
  const sessions = (await res.json()) as { id: string }[];
  for (const s of sessions) {
    await fetch(`${lab.url}/api/sessions/${s.id}`, { method: "DELETE", headers: auth(lab) });
  }
}

/** The tab of the open notebook is not marked modified (its kernel is idle by then). */
async function assertOpensUnmodified(page: Page, name: string): Promise<void> {
  await sleep(500); // let JupyterLab apply the kernel's info to the notebook metadata
  assert.equal(
    await page.locator(DIRTY_TAB).count(),
    0,
    `${name} opened modified: its committed metadata differs from what the kernel writes ` +
      "(npm run clean-notebooks restores it)",
  );
}

/**
 * Run every cell of an open notebook through the Run menu; then no cell may show an error or
 * stderr, every code cell must have run, and every plotly figure must be drawn, at least
 * `minFigures` of them. Returns the prompts and the number of figures.
 */
async function runAllAndCheck(
  page: Page,
  name: string,
  seconds: number,
  minFigures: number,
): Promise<{ prompts: string[]; figures: number }> {
  await step(`${name}: run all cells (Run menu)`, seconds, async () => {
    await clickMenu(page, "Run", "runmenu:run-all");
    // Run All first marks the cells [*]; idle with no [*] left then means every cell ran.
    await page.locator(PROMPTS, { hasText: "*" }).first().waitFor({ state: "attached" });
    await waitIdle(page, seconds - 5);
  });
  const prompts = await page.locator(PROMPTS).allTextContents();
  const figures = await step(`${name}: check outputs and figures`, 90, async () => {
    const errors = await page.locator(`${STDERR_OUTPUT}, ${ERROR_OUTPUT}`).allTextContents();
    assert.deepEqual(errors, [], `${name}: cells wrote errors or stderr:\n${errors.join("\n---\n")}`);
    assert.ok(
      prompts.every((p) => /^\[\d+\]:$/.test(p)),
      `${name}: every code cell ran: ${prompts.join(" ")}`,
    );
    const count = await page.locator(PLOTLY_OUTPUT).count();
    assert.ok(count >= minFigures, `${name}: ${count} plotly figures, expected at least ${minFigures}`);
    await waitForPlots(page, count, 80);
    return count;
  });
  log(`${name}: ${prompts.length} code cells ran, ${figures} figures drawn`);
  return { prompts, figures };
}

describe("every notebook in one JupyterLab in headless Chromium (quick preset)", () => {
  let root = "";
  let lab: Lab | undefined;
  let browser: Browser | undefined;
  const pageErrors: string[] = [];
  const quickRuns = projectPath("runs", "quick");
  const listQuickRuns = () => (fs.existsSync(quickRuns) ? fs.readdirSync(quickRuns) : []);
  const runsBefore = new Set(listQuickRuns());
  const started = Date.now();

  const newPage = async (pages?: Page[]) => {
    const page = await (await browser!.newContext({ viewport: VIEWPORT })).newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
    pages?.push(page);
    return page;
  };

  before(async () => {
    assert.ok(fs.existsSync(JUPYTER), `no ${JUPYTER}: run \`bash scripts/setup.sh\` first`);
    assert.ok(fs.existsSync(CHROMIUM), `no ${CHROMIUM}: apt-get install chromium`);
    assert.ok(
      fs.existsSync(projectPath("dist", "lib", "index.js")),
      "dist/lib is not built: run `npm run build` first",
    );
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    root = makeRoot();
    const logPath = path.join(ARTIFACTS, "jupyterlab.log");
    const server = await step("start jupyter lab", 60, () =>
      startLab(root, logPath, (spawned) => (lab = spawned), 55),
    );
    await step("check the kernel JupyterLab uses", 10, async () => {
      const res = await fetch(`${server.url}/api/kernelspecs`, { headers: auth(server) });
      const specs = (await res.json()) as {
        kernelspecs: Record<string, { spec: { argv: string[] } }>;
      };
      const tslab = specs.kernelspecs.tslab;
      assert.ok(tslab, "no tslab kernel registered in .venv: run `bash scripts/setup.sh`");
      // The same file, also when node_modules is a symlink to a shared install.
      assert.equal(
        fs.realpathSync(tslab.spec.argv[0]),
        fs.realpathSync(TSLAB),
        "JupyterLab starts this checkout's tslab",
      );
    });
    browser = await step("launch chromium", 30, () =>
      chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }),
    );
  });

  after(async () => {
    if (browser) await Promise.race([browser.close().catch(() => undefined), sleep(10_000)]);
    if (lab) await stopServer(lab.server);
    if (root) fs.rmSync(root, { recursive: true, force: true });
    for (const name of listQuickRuns()) {
      if (!runsBefore.has(name)) fs.rmSync(path.join(quickRuns, name), { recursive: true, force: true });
    }
    fs.writeFileSync(path.join(ARTIFACTS, "page-errors.log"), pageErrors.join("\n"));
    log(`all notebooks: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it("01: runs every cell, shows figures and a table, and shows them again after a reopen", { timeout: 600_000 }, async () => {
    const started = Date.now();
    const file = path.join(root, NOTEBOOK_IN_ROOT);
    const pages: Page[] = [];
    try {
      const server = lab!;
      const page = await newPage(pages);

      await step("open the notebook, kernel idle", 90, async () => {
        await openNotebook(page, server, file);
        const extensions = await page.evaluate(() => {
          const config = JSON.parse(
            document.getElementById("jupyter-config-data")?.textContent ?? "{}",
          ) as { federated_extensions?: { name: string }[] };
          return (config.federated_extensions ?? []).map((e) => e.name);
        });
        assert.ok(
          extensions.includes("jupyterlab-plotly"),
          `the plotly lab extension is not loaded (loaded: ${extensions.join(", ")}); it ships ` +
            "with the Python plotly package in .venv: run `bash scripts/setup.sh`",
        );
      });

      await assertOpensUnmodified(page, NOTEBOOK);
      const { prompts } = await runAllAndCheck(page, NOTEBOOK, 180, FIGURES_IN_NOTEBOOK);

      await step("check the table and the first output", 60, async () => {
        const firstOutput = await page.locator(`${OUTPUT}[data-mime-type$="stdout"]`).first();
        assert.match((await firstOutput.textContent()) ?? "", /\(quick preset\)/);
        assert.equal(await page.locator(PLOTLY_OUTPUT).count(), FIGURES_IN_NOTEBOOK);
        const table = page.locator(HTML_TABLE).first();
        assert.match((await table.locator("caption").textContent()) ?? "", /one row per split/);
        assert.equal(await table.locator("tbody tr").count(), 3, "train, validation, test");
        await table.scrollIntoViewIfNeeded();
      });
      await page.screenshot({ path: path.join(ARTIFACTS, "01-after-run.png") });
      await page.locator(PLOTLY_OUTPUT).first().screenshot({
        path: path.join(ARTIFACTS, "01-after-run-figure1.png"),
      });

      await step("save (Ctrl+S)", 30, async () => {
        // The plotly extension stores a PNG snapshot in each figure's output after drawing it,
        // which marks the notebook dirty again: save until it stays clean.
        do {
          await page.keyboard.press("Control+s");
          await page.locator(DIRTY_TAB).waitFor({ state: "detached" });
          await sleep(1000);
        } while ((await page.locator(DIRTY_TAB).count()) > 0);
        const disk = figuresOnDisk(file);
        assert.equal(disk.plotly, FIGURES_IN_NOTEBOOK, "plotly outputs in the saved file");
        log(`saved ${disk.plotly} plotly outputs, ${disk.png} with the extension's PNG snapshot`);
      });

      await step("close the tab (File menu)", 30, async () => {
        await clickMenu(page, "File", "application:close");
        await page.locator(".jp-NotebookPanel").waitFor({ state: "detached" });
        await page.close();
      });

      // As a notebook received from someone else: its content no longer matches the signature
      // the server stored when saving, so JupyterLab opens it untrusted.
      const saved = JSON.parse(fs.readFileSync(file, "utf8"));
      saved.metadata.ae_browser_test = "edited after saving, so that it opens untrusted";
      fs.writeFileSync(file, JSON.stringify(saved, null, 1));

      const reopened = await newPage(pages);
      await step("reopen in a fresh page", 90, () => openNotebook(reopened, server, file));

      await step("check the reopened notebook", 60, async () => {
        const trusted = await reopened.evaluate(() => {
          const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
          const flags: boolean[] = [];
          for (let i = 0; i < cells.length; i++) {
            if (cells.get(i).type === "code") flags.push(cells.get(i).trusted);
          }
          return flags;
        });
        assert.ok(trusted.length > 0 && trusted.every((t) => !t), `cells trusted: ${trusted}`);
        assert.deepEqual(await reopened.locator(PROMPTS).allTextContents(), prompts, "not re-run");
        assert.deepEqual(await reopened.locator(STDERR_OUTPUT).allTextContents(), []);
        assert.match(
          (await reopened.locator(`${HTML_TABLE} caption`).first().textContent()) ?? "",
          /one row per split/,
        );
        // Each figure shows from the saved output: the snapshot PNG, or the plot when none.
        let states: string[] = [];
        for (let i = 0; i < 40; i++) {
          states = await plotlyOutputStates(reopened);
          if (states.length === FIGURES_IN_NOTEBOOK && !states.includes("nothing")) break;
          await sleep(250);
        }
        assert.deepEqual(
          states.map((s) => s !== "nothing"),
          new Array(FIGURES_IN_NOTEBOOK).fill(true),
          `every figure shows after reopening (${states.join(", ")})`,
        );
        log(`reopened figures show as: ${states.join(", ")}`);
        await reopened.locator(HTML_TABLE).first().scrollIntoViewIfNeeded();
      });
      await reopened.screenshot({ path: path.join(ARTIFACTS, "01-reopened.png") });
      await reopened.locator(PLOTLY_OUTPUT).first().screenshot({
        path: path.join(ARTIFACTS, "01-reopened-figure1-snapshot.png"),
      });

      await step("hover the figures: live plots from the saved outputs", 60, async () => {
        // The extension swaps its PNG for the interactive plot when the mouse enters the figure.
        const outputs = reopened.locator(PLOTLY_OUTPUT);
        for (let i = 0; i < FIGURES_IN_NOTEBOOK; i++) {
          const img = outputs.nth(i).locator("img.plot-img");
          if (await img.isVisible()) {
            // A plain mouse move (no actionability retries: the plot replaces the image at once).
            // (Scrolling can slide the figure under the resting mouse, which swaps it already.)
            await img.scrollIntoViewIfNeeded();
            const box = await img.boundingBox();
            if (box) await reopened.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
          }
          await outputs.nth(i).locator(".main-svg").first().waitFor({ state: "attached" });
        }
        await waitForPlots(reopened, FIGURES_IN_NOTEBOOK, 30);
        assert.deepEqual(await reopened.locator(PROMPTS).allTextContents(), prompts, "not re-run");
      });
      await reopened.locator(PLOTLY_OUTPUT).first().screenshot({
        path: path.join(ARTIFACTS, "01-reopened-figure1-interactive.png"),
      });
      await shutDownKernels(server);
      await reopened.context().close();
      log(`01: ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${ARTIFACTS}`);
    } catch (error) {
      for (const [i, page] of pages.entries()) {
        if (page.isClosed()) continue;
        const shot = path.join(ARTIFACTS, `failure-page${i + 1}.png`);
        await page.screenshot({ path: shot, timeout: 10_000 }).catch(() => undefined);
        log(`failure screenshot: ${shot}`);
      }
      throw error;
    }
  });
  for (const name of NOTEBOOKS.filter((n) => n !== NOTEBOOK)) {
    it(`${name.replace(/\.ipynb$/, "")}: opens unmodified, runs every cell without errors, draws its figures`, { timeout: 900_000 }, async () => {
      const nbStarted = Date.now();
      const page = await newPage();
      try {
        await step(`${name}: open, kernel idle`, 90, () =>
          openNotebook(page, lab!, path.join(root, "notebooks", name)),
        );
        await assertOpensUnmodified(page, name);
        assert.ok(FIGURES[name], `${name}: add its figure count to FIGURES`);
        const { figures } = await runAllAndCheck(page, name, 840, FIGURES[name]);
        await page.screenshot({ path: path.join(ARTIFACTS, `${name.slice(0, 2)}-after-run.png`) });
        log(`${name}: ${((Date.now() - nbStarted) / 1000).toFixed(1)} s, ${figures} figures`);
      } catch (error) {
        const shot = path.join(ARTIFACTS, `failure-${name.slice(0, 2)}.png`);
        await page.screenshot({ path: shot, timeout: 10_000 }).catch(() => undefined);
        log(`failure screenshot: ${shot}`);
        throw error;
      } finally {
        await shutDownKernels(lab!).catch(() => undefined);
        await page.context().close();
      }
    });
  }
});
