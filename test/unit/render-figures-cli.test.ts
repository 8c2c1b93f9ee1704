// `npm run figures` as a user meets it, in child processes, on a tiny run trained here from an
// IDX folder in a temporary runs directory: files, sizes and the manifest; a run without a final
// model gets only the figures that apply; a missing Chromium stops with the fix named and leaves
// the output folder untouched.
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PNG } from "pngjs";
import { encodeIdx } from "../../lib/data/idx";
import { PROJECT_ROOT } from "../../lib/paths";
import { runExperiment } from "../../lib/train/experiment";
import {
  FigureRenderer,
  REPORT_FIGURES,
  openReportRun,
  renderReportFigures,
  type FiguresManifest,
  type ReportFigure,
} from "../../lib/render";
import { lineFigure } from "../../lib/plots/line";
import { useTestBackend } from "../helpers/backend";
import { tinyRunConfig } from "../helpers/run-config";
import { syntheticSet } from "../helpers/synthetic";

const SCRIPT = [
  "--require",
  "ts-node/register/transpile-only",
  path.join(PROJECT_ROOT, "scripts/figures.ts"),
];
let root: string;
let runsDir: string;

/** IDX files of 8×8 synthetic digits (4 classes) in `folder`, as data.dataset "folder" reads. */
function writeIdxFolder(folder: string): void {
  fs.mkdirSync(folder, { recursive: true });
  const shape = { height: 8, width: 8, channels: 1 };
  for (const [prefix, count, seed] of [
    ["train", 96, 1],
    ["t10k", 24, 2],
  ] as const) {
    const set = syntheticSet(count, shape, seed);
    const bytes = Uint8Array.from(set.images, (v) => Math.round(v * 255));
    fs.writeFileSync(
      path.join(folder, `${prefix}-images-idx3-ubyte`),
      encodeIdx("ubyte", [count, 8, 8], bytes),
    );
    fs.writeFileSync(
      path.join(folder, `${prefix}-labels-idx1-ubyte`),
      encodeIdx("ubyte", [count], set.labels),
    );
  }
}

before(async () => {
  await useTestBackend();
  root = fs.mkdtempSync(path.join(os.tmpdir(), "ae-figures-"));
  runsDir = path.join(root, "runs");
  const dataDir = path.join(root, "data");
  writeIdxFolder(dataDir);
  const config = tinyRunConfig("tiny", runsDir);
  const result = await runExperiment({
    ...config,
    data: { ...config.data, dataset: "folder", folder: dataDir },
  });
  result.model.dispose();
  // A run that stopped early: history but no final model.
  const partial = path.join(runsDir, "partial");
  fs.cpSync(result.folder, partial, { recursive: true });
  fs.rmSync(path.join(partial, "model"), { recursive: true });
  const record = JSON.parse(fs.readFileSync(path.join(partial, "run.json"), "utf8"));
  fs.writeFileSync(
    path.join(partial, "run.json"),
    JSON.stringify({ ...record, name: "partial", status: "interrupted" }),
  );
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

function figures(args: string[], env: Record<string, string | undefined> = {}) {
  const result = spawnSync(process.execPath, [...SCRIPT, ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "1", ...env },
    encoding: "utf8",
    timeout: 300_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function snapshot(folder: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out[path.relative(folder, file)] = createHash("sha256")
      .update(fs.readFileSync(file))
      .digest("hex");
  }
  return out;
}

test("npm run figures: every finished run's figures as PNG and SVG, sizes in the manifest", () => {
  const out = path.join(root, "figures");
  const { code, stdout, stderr } = figures(["--runs-dir", runsDir, "--out", out, "--scale", "2"]);
  assert.equal(code, 0, stdout + stderr);
  const folder = path.join(out, "tiny");
  // Only the finished run is picked by default.
  assert.deepEqual(fs.readdirSync(out), ["tiny"]);
  const names = REPORT_FIGURES.map((f) => f.name);
  assert.deepEqual(
    fs.readdirSync(folder).sort(),
    [...names.flatMap((n) => [`${n}.png`, `${n}.svg`]), "figures.json"].sort(),
  );
  const manifest = JSON.parse(
    fs.readFileSync(path.join(folder, "figures.json"), "utf8"),
  ) as FiguresManifest;
  assert.equal(manifest.run, "tiny");
  assert.equal(manifest.scale, 2);
  assert.deepEqual(manifest.skipped, []);
  assert.deepEqual(manifest.failed, []);
  assert.deepEqual(
    manifest.figures.map((f) => f.figure),
    names,
  );
  for (const entry of manifest.figures) {
    const [png, svg] = entry.files;
    const image = PNG.sync.read(fs.readFileSync(path.join(folder, png.file)));
    assert.deepEqual(
      [image.width, image.height],
      [entry.cssWidth * 2, entry.cssHeight * 2],
      png.file,
    );
    assert.deepEqual([png.width, png.height], [image.width, image.height]);
    const text = fs.readFileSync(path.join(folder, svg.file), "utf8");
    assert.match(
      text,
      new RegExp(`^<svg[^>]* width="${entry.cssWidth}" height="${entry.cssHeight}"`),
    );
    assert.match(text, /<\/svg>$/);
    assert.equal(svg.bytes, Buffer.byteLength(text));
  }
  // One line per figure (what, run, where) and a summary.
  for (const name of names)
    assert.match(stdout, new RegExp(`ok +${name} +tiny -> .*${name}\\.png`));
  assert.match(
    stdout,
    new RegExp(`${names.length} figures written \\(png\\+svg, scale 2\\) for 1 run`),
  );
  // The figures the notebooks show for one run are all there.
  for (const name of [
    "reconstructions",
    "best-worst",
    "pca-variance",
    "pca-scatter",
    "tsne",
    "umap",
    "kmeans-confusion",
  ]) {
    assert.ok(names.includes(name), name);
  }
  // Maps and line charts at their own size.
  const size = (n: string) => {
    const e = manifest.figures.find((f) => f.figure === n);
    assert.ok(e, n);
    return [e.cssWidth, e.cssHeight];
  };
  assert.deepEqual(size("tsne"), size("umap"));
  // Maps with equal axes in a square plot area: taller than the wide scatter frame.
  assert.ok(size("tsne")[1] > size("pca-scatter")[1], `map ${size("tsne")}`);
  // The gallery takes the size of its images (with a caption strip under each reconstruction row).
  const [gw, gh] = size("reconstructions");
  assert.notDeepEqual([gw, gh], size("loss-curves"), `gallery ${gw}×${gh}`);
  assert.ok(gh < 2 * gw, `gallery ${gw}×${gh}`);
});

test("a run without a final model: loss figures apply, model figures are skipped with the reason", async () => {
  const run = openReportRun("partial", runsDir);
  assert.equal(run.finished, false);
  const built = await Promise.all(REPORT_FIGURES.map((f) => f.build(run)));
  assert.deepEqual(
    REPORT_FIGURES.map((f, i) => [f.name, built[i] === null]),
    [
      ["loss-curves", false],
      ["epoch-times", false],
      ["reconstructions", true],
      ["best-worst", true],
      ["error-histogram", true],
      ["pca-variance", true],
      ["pca-scatter", true],
      ["tsne", true],
      ["umap", true],
      ["kmeans-confusion", true],
    ],
  );
  assert.match(REPORT_FIGURES[2].skipReason ?? "", /no final model/);
});

test("codes and t-SNE/UMAP maps are cached with the run: read back on reopening, recomputed when the encoder changes", async () => {
  const options = { tsneIterations: 60 };
  const first = openReportRun("tiny", runsDir, options);
  const [tsne, umap] = [await first.tsne(), await first.umap()];
  assert.equal(tsne.n, 24);
  assert.match(tsne.settings, /perplexity 7 \(lowered for 24 points\), 60 iterations/);
  first.dispose();
  const folder = path.join(runsDir, "tiny", "codes", "embeddings");
  assert.deepEqual(
    fs
      .readdirSync(folder)
      .map((f) => f.replace(/-[0-9a-f]{12}\./, "-*."))
      .sort(),
    // The CLI's run (1000 iterations) and this one (60) side by side.
    ["tsne-*.f32", "tsne-*.f32", "tsne-*.json", "tsne-*.json", "umap-*.f32", "umap-*.json"],
  );
  const reopened = openReportRun("tiny", runsDir, options);
  const [tsne2, umap2] = [await reopened.tsne(), await reopened.umap()];
  assert.equal((await reopened.codes()).source, "cache");
  assert.equal(tsne2.source, "cache");
  assert.equal(umap2.source, "cache");
  assert.deepEqual(tsne2.embedding, tsne.embedding);
  assert.deepEqual(umap2.embedding, umap.embedding);
  // Same run, one encoder weight changed (as after --resume): new codes, so new maps.
  const copy = path.join(root, "retrained");
  fs.cpSync(path.join(runsDir, "tiny"), copy, { recursive: true });
  const weights = path.join(copy, "model", "encoder", "weights.bin");
  const bytes = fs.readFileSync(weights);
  const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  values[0] += 0.5;
  fs.writeFileSync(weights, bytes);
  const retrained = openReportRun(copy, runsDir, options);
  const codes = await retrained.codes();
  assert.equal(codes.source, "encoded");
  assert.match(codes.reason ?? "", /stale/);
  const tsne3 = await retrained.tsne();
  assert.equal(tsne3.source, "computed");
  assert.match(tsne3.reason ?? "", /stale/);
  assert.notDeepEqual(tsne3.embedding, tsne.embedding);
  assert.equal((await openReportRun(copy, runsDir, options).tsne()).source, "cache");
  retrained.dispose();
  reopened.dispose();
});

test("a figure that fails is reported in the manifest; the others still render", async () => {
  const failing: ReportFigure = {
    name: "broken",
    describe: "throws",
    build: () => {
      throw new Error("no such data");
    },
  };
  const fine: ReportFigure = {
    name: "fine",
    describe: "a line",
    build: () => lineFigure([{ name: "a", x: [1, 2], y: [3, 4] }]),
  };
  const renderer = await FigureRenderer.launch();
  const run = openReportRun("tiny", runsDir);
  const outDir = path.join(root, "isolated");
  const seen: string[] = [];
  try {
    const manifest = await renderReportFigures(renderer, run, {
      outDir,
      formats: ["png"],
      figures: [failing, fine],
      onFigure: (o) => seen.push(`${o.figure} ${o.status}`),
    });
    assert.deepEqual(manifest.failed, [{ figure: "broken", error: "no such data" }]);
    assert.deepEqual(
      manifest.figures.map((f) => f.figure),
      ["fine"],
    );
    assert.deepEqual(seen, ["broken failed", "fine written"]);
    assert.deepEqual(fs.readdirSync(path.join(outDir, "tiny")).sort(), [
      "figures.json",
      "fine.png",
    ]);
  } finally {
    run.dispose();
    await renderer.close();
  }
});

test("Chromium missing: exit 1, the problem and the fix named, existing figures untouched", () => {
  const out = path.join(root, "kept");
  fs.mkdirSync(path.join(out, "tiny"), { recursive: true });
  fs.writeFileSync(path.join(out, "tiny", "loss-curves.png"), "an older figure");
  fs.writeFileSync(path.join(out, "tiny", "figures.json"), "{}");
  const before = snapshot(out);
  const missing = path.join(root, "no-such-chromium");
  const { code, stdout, stderr } = figures(["--runs-dir", runsDir, "--run", "tiny", "--out", out], {
    CHROMIUM_PATH: missing,
  });
  assert.equal(code, 1);
  assert.match(stderr, /^error: CHROMIUM_PATH .*no-such-chromium does not exist/m);
  assert.match(stderr, /apt-get install chromium/);
  assert.equal(stdout.trim(), "");
  assert.deepEqual(snapshot(out), before);
});

test("bad flags: exit 2 with the flag named", () => {
  const bad = figures(["--format", "gif"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--format takes png, svg or png,svg; got "gif"/);
  const unknown = figures(["--runs-dir", runsDir, "--run", "nope"]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /No run at .*nope/);
});
