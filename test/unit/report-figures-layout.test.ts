// Figures for reports (issue #12 item 6), on their specs: t-SNE/UMAP maps in a square plot area
// without compute times in the title; titles below the strip of plotly's hover toolbar; the live
// training chart drawn like the final one (training dashed, validation solid, one colour) and no
// empty frame before the first epoch ends. (Gallery captions: test/unit/gallery.test.ts.)
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { lossCurvesFigure } from "../../lib/plots/loss-curves";
import { baseLayout, THEME } from "../../lib/plots/theme";
import { imageGridFigure } from "../../lib/plots/images";
import { mapScatterFigure } from "../../lib/render/report-figures";
import { lossCurvesSvg } from "../../lib/train/progress";
import type { EpochRecord } from "../../lib/train/trainer";

type Margin = { l: number; r: number; t: number; b: number };

test("t-SNE/UMAP report maps: square plot area, legend beside it, no compute time in the title", () => {
  const n = 40;
  const embedding = Float32Array.from({ length: 2 * n }, (_, i) => (i % 2 ? 0.1 : 3) * i);
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
  const names = Array.from({ length: 10 }, (_, i) => String(i));
  const fig = mapScatterFigure(
    "t-SNE",
    { embedding, components: 2, n, settings: "perplexity 30" },
    names,
    labels,
  );
  const { width, height } = fig.layout as { width: number; height: number };
  const m = fig.layout.margin as Margin;
  assert.equal(width - m.l - m.r, height - m.t - m.b, "square plot area");
  assert.equal((fig.layout.yaxis as { scaleanchor?: string }).scaleanchor, "x", "equal axes");
  assert.equal((fig.layout.legend as { orientation: string }).orientation, "v");
  const title = (fig.layout.title as { text: string }).text;
  assert.equal(title, "t-SNE of 40 test codes (perplexity 30)");
  assert.doesNotMatch(title, /\d s\b|seconds/);
});

test("titles sit below the hover toolbar's strip (plots and image grids)", () => {
  for (const layout of [
    baseLayout("A long title that would reach the right edge of a narrow figure"),
    imageGridFigure(
      [[new Float32Array(4)]],
      { height: 2, width: 2, channels: 1 },
      { title: "grid" },
    ).layout,
  ]) {
    const title = layout.title as { yref: string; y: number; yanchor: string; pad: { t: number } };
    assert.equal(title.yref, "container");
    assert.equal(title.yanchor, "top");
    assert.equal(title.y, 1);
    assert.ok(title.pad.t >= 25, `title ${title.pad.t} px from the top`);
    assert.ok((layout.margin as Margin).t >= title.pad.t + 20, "room for the title itself");
  }
});

const epochs = (values: number[]): EpochRecord[] =>
  values.map((v, i) => ({
    epoch: i + 1,
    trainLoss: v + 0.01,
    valLoss: v,
    valBce: v,
    valMse: v / 20,
    trainSeconds: 1,
    epochSeconds: 1.2,
    samplesPerSecond: 1000,
  }));

test("the live training chart: nothing drawn before epoch 1 ends, then training dashed like the final chart", () => {
  const empty = lossCurvesSvg([], 25);
  assert.doesNotMatch(empty, /<rect|<polyline|0\.0000|1\.0000/, "no empty 0–1 frame");
  assert.match(empty, /appear here when epoch 1 ends/);

  const svg = lossCurvesSvg(epochs([0.2, 0.15]), 25);
  const lines = [...svg.matchAll(/<polyline [^>]*>/g)].map((m) => m[0]);
  assert.equal(lines.length, 2);
  const [train, validation] = lines;
  assert.match(train, /stroke-dasharray/);
  assert.doesNotMatch(validation, /stroke-dasharray/);
  // The final chart of one run: the same colour, training dashed, validation solid.
  const final = lossCurvesFigure([{ name: "r", history: epochs([0.2, 0.15]), loss: "bce" }]);
  const traces = final.data as { name?: string; line?: { color: string; dash?: string } }[];
  const color = THEME.colorway[0];
  assert.ok(traces.some((t) => t.line?.color === color && t.line.dash === "dash"));
  assert.ok(traces.some((t) => t.line?.color === color && t.line.dash === undefined));
  for (const l of lines) assert.match(l, new RegExp(`stroke="${color}"`));
});
