// Static rendering through a real headless Chromium (one launch for this file): PNG sizes follow
// width × scale, SVG is well-formed, output is byte-identical across renders, WebGL traces
// render; and the Chromium lookup fails with ChromiumMissingError naming the fix.
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PNG } from "pngjs";
import {
  ChromiumMissingError,
  FigureRenderer,
  RenderError,
  findChromium,
  renderSize,
  saveFigure,
} from "../../lib/render";
import { lineFigure, scatter3dFigure, scatterFigure, confusionMatrixFigure } from "../../lib/plots";
import { createRng } from "../../lib/random";

let renderer: FigureRenderer;
before(async () => {
  renderer = await FigureRenderer.launch();
});
after(async () => {
  await renderer?.close();
});

const line = () =>
  lineFigure(
    [
      { name: "a", x: [1, 2, 3], y: [0.3, 0.2, 0.15] },
      { name: "b", x: [1, 2, 3], y: [0.4, 0.25, 0.2] },
    ],
    { title: "Two series", xTitle: "epoch", yTitle: "loss" },
  );

function pngSize(bytes: Buffer): { width: number; height: number } {
  const png = PNG.sync.read(bytes);
  return { width: png.width, height: png.height };
}

test("PNG: dimensions are width × scale by height × scale; default size is the figure's", async () => {
  const fig = line();
  assert.deepEqual(pngSize(await renderer.render(fig, { width: 400, height: 300, scale: 2 })), {
    width: 800,
    height: 600,
  });
  assert.deepEqual(
    pngSize(await renderer.render(fig, { format: "png", width: 333, height: 222, scale: 1 })),
    { width: 333, height: 222 },
  );
  assert.deepEqual(renderSize(fig), { width: 760, height: 440 });
  assert.deepEqual(pngSize(await renderer.render(fig)), { width: 760, height: 440 });
});

test("SVG: a well-formed SVG document of the requested size, with the figure's text", async () => {
  const svg = (
    await renderer.render(
      confusionMatrixFigure(
        [
          [5, 1],
          [2, 7],
        ],
        { title: "Confusion" },
      ),
      {
        format: "svg",
        width: 500,
        height: 420,
      },
    )
  ).toString("utf8");
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  const info = await renderer.inspectSvg(svg);
  assert.equal(info.parseError, null);
  assert.equal(info.root, "svg");
  assert.equal(info.namespace, "http://www.w3.org/2000/svg");
  assert.deepEqual([info.width, info.height], [500, 420]);
  assert.match(svg, />Confusion</);
  assert.match(svg, />7</);
  // The strict parser does reject a broken document.
  assert.notEqual((await renderer.inspectSvg(svg.slice(0, -20))).parseError, null);
});

test("output is deterministic: the same figure renders to identical bytes", async () => {
  const fig = line();
  const [a, b] = [
    await renderer.render(fig, { format: "svg" }),
    await renderer.render(fig, { format: "svg" }),
  ];
  assert.ok(a.equals(b), "SVG differs between two renders");
  const [p, q] = [await renderer.render(fig), await renderer.render(fig)];
  assert.ok(p.equals(q), "PNG differs between two renders");
});

test("a 10,000-point scatter (binary arrays) and a WebGL 3-D scatter render to PNG", async () => {
  const rng = createRng(3);
  const n = 10_000;
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
  const x = Float32Array.from(labels, (c) => c + rng.normal() * 0.3);
  const y = Float32Array.from(labels, (c) => Math.sin(c) + rng.normal() * 0.3);
  const png = PNG.sync.read(await renderer.render(scatterFigure({ x, y, labels })));
  assert.equal(png.width, 760);
  // Coloured (non-gray) pixels: the markers were drawn from the binary arrays, not an empty plot.
  const coloured = (image: PNG) => {
    let count = 0;
    for (let i = 0; i < image.data.length; i += 4) {
      const [r, g, b] = [image.data[i], image.data[i + 1], image.data[i + 2]];
      if (Math.max(r, g, b) - Math.min(r, g, b) > 40) count += 1;
    }
    return count;
  };
  const empty = PNG.sync.read(await renderer.render(scatterFigure({ x: [], y: [] })));
  assert.ok(coloured(png) > 20_000, `only ${coloured(png)} coloured pixels`);
  assert.ok(coloured(empty) < 100, `${coloured(empty)} coloured pixels in an empty plot`);
  const fig3d = scatter3dFigure({
    x: x.subarray(0, 500),
    y: y.subarray(0, 500),
    z: x.subarray(500, 1000),
    labels: labels.subarray(0, 500),
  });
  assert.deepEqual(pngSize(await renderer.render(fig3d, { width: 300, height: 300 })), {
    width: 300,
    height: 300,
  });
});

test("bad render options are RenderErrors naming the fix", async () => {
  await assert.rejects(renderer.render(line(), { scale: 0 }), RenderError);
  await assert.rejects(renderer.render(line(), { width: 3 }), /between 10 and 10000/);
  await assert.rejects(renderer.render(line(), { format: "gif" as "png" }), /"png" or "svg"/);
});

test("ChromiumMissingError: a missing CHROMIUM_PATH or executable, or no candidate, names the fix", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ae-chromium-"));
  try {
    const missing = path.join(dir, "no-chromium");
    const check = (error: unknown, what: RegExp) => {
      assert.ok(error instanceof ChromiumMissingError, String(error));
      assert.match(error.message, what);
      assert.match(error.message, /does not exist|No Chromium found|not an executable/);
      assert.match(error.message, /apt-get install chromium/);
      assert.match(error.message, /CHROMIUM_PATH/);
      return true;
    };
    assert.throws(
      () => findChromium({ env: { CHROMIUM_PATH: missing } }),
      (e) => check(e, new RegExp(`CHROMIUM_PATH ${missing} does not exist`)),
    );
    assert.throws(
      () => findChromium({ env: {}, candidates: [missing] }),
      (e) => check(e, /No Chromium found/) && (e as ChromiumMissingError).tried[0] === missing,
    );
    fs.writeFileSync(missing, "not a browser", { mode: 0o644 });
    assert.throws(
      () => findChromium({ executablePath: missing }),
      (e) => check(e, /not an executable file/),
    );
    await assert.rejects(
      FigureRenderer.launch({ executablePath: path.join(dir, "gone") }),
      ChromiumMissingError,
    );
    // The normal lookup finds the Debian Chromium when CHROMIUM_PATH is unset.
    assert.equal(findChromium({ env: {} }), renderer.executablePath);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("saveFigure: the format follows the extension, sizes are reported, other names refused", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ae-save-"));
  try {
    const png = await saveFigure(line(), path.join(dir, "a.png"), {
      renderer,
      scale: 2,
      width: 300,
      height: 200,
    });
    assert.deepEqual([png.format, png.width, png.height], ["png", 600, 400]);
    assert.deepEqual(pngSize(fs.readFileSync(png.file)), { width: 600, height: 400 });
    const svg = await saveFigure(line(), path.join(dir, "a.svg"), { renderer, scale: 2 });
    assert.deepEqual([svg.format, svg.width, svg.height], ["svg", 760, 440]);
    assert.equal((await renderer.inspectSvg(fs.readFileSync(svg.file, "utf8"))).width, 760);
    await assert.rejects(
      saveFigure(line(), path.join(dir, "a.jpg"), { renderer }),
      /name the file \.png or \.svg/,
    );
    assert.deepEqual(fs.readdirSync(dir).sort(), ["a.png", "a.svg"]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
