import { test } from "node:test";
import assert from "node:assert/strict";
import {
  THEME,
  barFigure,
  baseLayout,
  heatmapFigure,
  histogramFigure,
  imageGridFigure,
  matrixRows,
} from "../../lib/plots";

type Obj = Record<string, unknown>;
const axis = (layout: Obj, name: string) => layout[name] as Obj;

test("baseLayout applies the theme and returns fresh objects", () => {
  const a = baseLayout("T");
  const b = baseLayout();
  assert.deepEqual(a.colorway, [...THEME.colorway]);
  assert.equal((a.font as Obj).family, THEME.font.family);
  assert.equal((a.title as Obj).text, "T");
  assert.equal(b.title, undefined);
  (a.margin as Obj).l = 0;
  assert.equal((baseLayout().margin as Obj).l, THEME.margin.l);
});

test("barFigure: one bar trace per series over the categories, axis titles", () => {
  const fig = barFigure(
    ["0", "1", "2"],
    [
      { name: "train", values: Uint32Array.from([5, 3, 2]) },
      { name: "test", values: [1, 1, 2] },
    ],
    { title: "Class counts", xTitle: "class", yTitle: "images" },
  );
  assert.equal(fig.data.length, 2);
  assert.ok(fig.data.every((t) => t.type === "bar"));
  assert.deepEqual(fig.data[0].x, ["0", "1", "2"]);
  assert.deepEqual(fig.data[0].y, [5, 3, 2]);
  assert.equal(fig.data[1].name, "test");
  assert.equal((axis(fig.layout, "xaxis").title as Obj).text, "class");
  assert.equal((axis(fig.layout, "yaxis").title as Obj).text, "images");
  assert.equal(fig.layout.barmode, "group");
  assert.equal(fig.layout.showlegend, true);
});

test("barFigure: normalize gives shares; mismatched lengths throw", () => {
  const fig = barFigure(["a", "b"], [{ name: "s", values: [1, 3] }], { normalize: true });
  assert.deepEqual(fig.data[0].y, [0.25, 0.75]);
  assert.equal(axis(fig.layout, "yaxis").tickformat, ".0%");
  assert.throws(
    () => barFigure(["a"], [{ name: "s", values: [1, 2] }]),
    /2 values for 1 categories/,
  );
});

// A 2×3 grayscale image whose pixel value encodes its position: row*10 + col (scaled to [0,1]).
const h = 2;
const w = 3;
const shape = { height: h, width: w, channels: 1 };
const img = (k: number) => Float32Array.from({ length: h * w }, (_, p) => (k * 100 + p) / 1000);

test("imageGridFigure: one heatmap tiling all panels, row 0 at the top", () => {
  const rows = [
    [img(1), img(2), img(3)],
    [img(4), null, img(6)],
  ];
  const fig = imageGridFigure(rows, shape, { rowLabels: ["a", "b"], title: "Grid" });
  assert.equal(fig.data.length, 1);
  const trace = fig.data[0];
  assert.equal(trace.type, "heatmap");
  const z = trace.z as (number | null)[][];
  const gap = 1;
  assert.equal(z.length, 2 * h + gap);
  assert.equal(z[0].length, 3 * w + 2 * gap);
  // Count panels: top-left pixels of non-empty cells.
  let panels = 0;
  for (let i = 0; i < 2; i++)
    for (let j = 0; j < 3; j++) if (z[i * (h + gap)][j * (w + gap)] !== null) panels++;
  assert.equal(panels, 5);
  // Orientation: z row 0 is image row 0; pixel (y, x) of image (i, j).
  assert.deepEqual(z[0].slice(0, w), [0.1, 0.101, 0.102]);
  assert.deepEqual(z[1].slice(0, w), [0.103, 0.104, 0.105]);
  assert.equal(z[h + gap][2 * (w + gap) + 2], 0.602);
  // Gaps and empty cells are null (transparent).
  assert.equal(z[h][0], null);
  assert.equal(z[0][w], null);
  assert.equal(z[h + gap][w + gap], null);
  // The y axis is reversed so z row 0 is drawn at the top.
  const yaxis = axis(fig.layout, "yaxis");
  const [bottom, top] = yaxis.range as number[];
  assert.ok(bottom > top);
  assert.equal(yaxis.scaleanchor, "x");
  assert.deepEqual(yaxis.ticktext, ["a", "b"]);
  assert.deepEqual(yaxis.tickvals, [0.5, 3.5]);
  assert.equal(trace.zmin, 0);
  assert.equal(trace.zmax, 1);
});

test("imageGridFigure: RGB images become one image trace", () => {
  const rgb = Float32Array.from([1, 0, 0, 0, 1, 0]); // 1×2 image: red, green
  const fig = imageGridFigure([[rgb, rgb]], { height: 1, width: 2, channels: 3 });
  assert.equal(fig.data[0].type, "image");
  const z = fig.data[0].z as number[][][];
  assert.equal(z.length, 1);
  assert.equal(z[0].length, 5);
  assert.deepEqual(z[0][0], [255, 0, 0, 1]);
  assert.deepEqual(z[0][1], [0, 255, 0, 1]);
  assert.equal(z[0][2][3], 0); // transparent gap
});

test("imageGridFigure rejects wrong sizes and channel counts", () => {
  assert.throws(() => imageGridFigure([[new Float32Array(5)]], shape), /expected 6/);
  assert.throws(
    () => imageGridFigure([[new Float32Array(12)]], { height: 2, width: 3, channels: 2 }),
    /1 or 3/,
  );
});

test("histogramFigure: bars over bin centres, exact 0/1 split out, log y", () => {
  const fig = histogramFigure(
    { edges: [0, 0.5, 1], counts: [10, 4], exactZero: 8, exactOne: 3 },
    { logY: true, xTitle: "intensity", yTitle: "pixels", note: "81% exact" },
  );
  assert.equal(fig.data.length, 3);
  assert.deepEqual(fig.data[0].x, [0.25, 0.75]);
  assert.deepEqual(fig.data[0].y, [2, 1]);
  assert.deepEqual(fig.data[0].width, [0.5, 0.5]);
  assert.deepEqual(fig.data[1].y, [8]);
  assert.deepEqual(fig.data[2].y, [3]);
  assert.ok((fig.data[1].x as number[])[0] < 0 && (fig.data[2].x as number[])[0] > 1);
  assert.equal(axis(fig.layout, "yaxis").type, "log");
  assert.equal((axis(fig.layout, "xaxis").title as Obj).text, "intensity");
  assert.equal(((fig.layout.annotations as Obj[])[0] as Obj).text, "81% exact");
  const plain = histogramFigure({ edges: [0, 1, 2], counts: [1, 2] });
  assert.equal(plain.data.length, 1);
  assert.deepEqual(plain.data[0].y, [1, 2]);
  assert.equal(axis(plain.layout, "yaxis").type, undefined);
  assert.throws(() => histogramFigure({ edges: [0, 1], counts: [1, 2] }), /needs 3 edges/);
});

test("heatmapFigure: z rows, labels, row 0 on top by default", () => {
  const fig = heatmapFigure(matrixRows(Float32Array.from([1, 2, 3, 4, 5, NaN]), 2, 3), {
    xLabels: ["a", "b", "c"],
    yLabels: ["r0", "r1"],
    showValues: 1,
  });
  const trace = fig.data[0];
  assert.equal(trace.type, "heatmap");
  assert.deepEqual(trace.z, [
    [1, 2, 3],
    [4, 5, null],
  ]);
  assert.deepEqual(trace.x, ["a", "b", "c"]);
  assert.equal(axis(fig.layout, "yaxis").autorange, "reversed");
  assert.equal(trace.texttemplate, "%{z:.1f}");
  const up = heatmapFigure([[1]], { rowZeroAtTop: false });
  assert.equal(axis(up.layout, "yaxis").autorange, undefined);
  assert.throws(() => matrixRows([1, 2, 3], 2, 2), /needs 4 values/);
});
