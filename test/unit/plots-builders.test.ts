// Spec contents of the scatter, confusion-matrix, ROC/PR and line builders, and the compact
// binary encoding of long typed arrays in the notebook payload.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CURVE_TOLERANCE,
  PlotInputError,
  confusionMatrixFigure,
  lineFigure,
  pointColumns,
  prFigure,
  rocFigure,
  scatter3dFigure,
  scatterFigure,
  THEME,
  thinCurve,
} from "../../lib/plots";
import { plotlyPayload, toJsonValue } from "../../lib/notebook/display";
import { createRng } from "../../lib/random";

type Obj = Record<string, unknown>;
const axis = (layout: Obj, name: string) => layout[name] as Obj;

test("scatterFigure: one trace per class in ascending order, points split by label, class names", () => {
  const fig = scatterFigure(
    { x: [0, 1, 2, 3, 4], y: [10, 11, 12, 13, 14], labels: Uint8Array.from([2, 0, 2, 0, 7]) },
    { classNames: ["zero", "one", "two"], xTitle: "t-SNE 1", yTitle: "t-SNE 2", equalAxes: true },
  );
  assert.deepEqual(
    fig.data.map((t) => t.name),
    ["zero", "two", "7"],
  );
  assert.ok(fig.data.every((t) => t.type === "scatter" && t.mode === "markers"));
  assert.deepEqual(Array.from(fig.data[0].x as Float32Array), [1, 3]);
  assert.deepEqual(Array.from(fig.data[1].y as Float32Array), [10, 12]);
  assert.equal((fig.data[1].marker as Obj).color, THEME.colorway[2]);
  assert.equal((fig.data[2].marker as Obj).color, THEME.colorway[7]);
  assert.equal((axis(fig.layout, "xaxis").title as Obj).text, "t-SNE 1");
  assert.equal(axis(fig.layout, "yaxis").scaleanchor, "x");
  assert.equal(fig.layout.showlegend, true);
  const alias = scatterFigure({ x: [0, 1], y: [0, 1], label: [1, 0] });
  assert.deepEqual(
    alias.data.map((t) => t.name),
    ["0", "1"],
  );
  assert.throws(() => scatterFigure({ x: [0], y: [0], label: [1], labels: [0] }), /both/);
  const plain = scatterFigure({ x: [1], y: [2] }, { webgl: true });
  assert.equal(plain.data.length, 1);
  assert.equal(plain.data[0].type, "scattergl");
  assert.equal(plain.layout.showlegend, false);
});

test("scatterFigure: 10,000 points stay compact (binary f4 arrays, < 150 KB of JSON)", () => {
  const rng = createRng(1);
  const n = 10_000;
  const x = Float32Array.from({ length: n }, () => rng.normal());
  const y = Float32Array.from({ length: n }, () => rng.normal());
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
  const fig = scatterFigure({ x, y, labels });
  assert.equal(fig.data.length, 10);
  assert.equal(
    fig.data.reduce((s, t) => s + (t.x as Float32Array).length, 0),
    n,
  );
  const payload = plotlyPayload(fig);
  const trace = payload.data[3] as { x: { dtype: string; bdata: string } };
  assert.equal(trace.x.dtype, "f4");
  const decoded = new Float32Array(Buffer.from(trace.x.bdata, "base64").buffer.slice(0));
  assert.deepEqual(Array.from(decoded), Array.from(fig.data[3].x as Float32Array));
  const bytes = JSON.stringify(payload).length;
  const plainBytes = JSON.stringify(toJsonValue(fig)).length;
  assert.ok(bytes < 150_000, `compact payload ${bytes} bytes`);
  assert.ok(plainBytes > 2 * bytes, `plain ${plainBytes} vs compact ${bytes}`);
});

test("scatterFigure rejects mismatched lengths, non-finite coordinates and fractional labels", () => {
  assert.throws(() => scatterFigure({ x: [1, 2], y: [1] }), PlotInputError);
  assert.throws(() => scatterFigure({ x: [1, NaN], y: [1, 2] }), /x of point 1 is NaN/);
  assert.throws(() => scatterFigure({ x: [1], y: [1], labels: [0.5] }), /integer class/);
});

test("pointColumns splits row-major points; scatter3dFigure has a scene and scatter3d traces", () => {
  const cols = pointColumns(Float32Array.from([1, 2, 3, 4, 5, 6]), 3);
  assert.deepEqual(Array.from(cols.x), [1, 4]);
  assert.deepEqual(Array.from(cols.z as Float32Array), [3, 6]);
  assert.deepEqual(Array.from(pointColumns([1, 2, 3, 4], 2).y), [2, 4]);
  assert.throws(() => pointColumns([1, 2, 3], 2), PlotInputError);
  const fig = scatter3dFigure(
    { x: cols.x, y: cols.y, z: cols.z as Float32Array, labels: [1, 0] },
    { zTitle: "PC 3" },
  );
  assert.deepEqual(
    fig.data.map((t) => [t.type, t.name]),
    [
      ["scatter3d", "0"],
      ["scatter3d", "1"],
    ],
  );
  assert.deepEqual(Array.from(fig.data[0].z as Float32Array), [6]);
  const scene = fig.layout.scene as Obj;
  assert.equal(((scene.zaxis as Obj).title as Obj).text, "PC 3");
  assert.equal(fig.layout.xaxis, undefined);
});

test("confusionMatrixFigure: counts as text, row shares when normalized, labels and titles", () => {
  const counts = [
    [8, 2],
    [1, 3],
  ];
  const fig = confusionMatrixFigure(counts, { rowLabels: ["a", "b"], colLabels: ["A", "B"] });
  const t = fig.data[0];
  assert.equal(t.type, "heatmap");
  assert.deepEqual(t.z, counts);
  assert.deepEqual(t.text, [
    ["8", "2"],
    ["1", "3"],
  ]);
  assert.equal(t.texttemplate, "%{text}");
  assert.deepEqual(t.x, ["A", "B"]);
  assert.deepEqual(t.y, ["a", "b"]);
  assert.equal((axis(fig.layout, "yaxis").title as Obj).text, "true class");
  assert.equal(axis(fig.layout, "yaxis").autorange, "reversed");
  const norm = confusionMatrixFigure(counts, { normalize: true, colTitle: "cluster" });
  assert.deepEqual(norm.data[0].z, [
    [0.8, 0.2],
    [0.25, 0.75],
  ]);
  assert.equal(norm.data[0].zmax, 1);
  assert.deepEqual(norm.data[0].text, t.text);
  assert.deepEqual(norm.data[0].y, ["0", "1"]);
  assert.equal((axis(norm.layout, "xaxis").title as Obj).text, "cluster");
  // A row of zeros normalizes to zeros, not NaN.
  assert.deepEqual(confusionMatrixFigure([[0, 0]], { normalize: true }).data[0].z, [[0, 0]]);
  assert.throws(() => confusionMatrixFigure([[1, 2], [3]]), /row 1 has 1 counts/);
  assert.throws(() => confusionMatrixFigure([[1]], { rowLabels: ["a", "b"] }), PlotInputError);
  assert.throws(() => confusionMatrixFigure([[-1]]), /≥ 0/);
});

test("rocFigure: a curve per detector with AUC in the legend, chance diagonal, unit square", () => {
  const fig = rocFigure([
    { name: "BCE", fpr: [0, 0.1, 1], tpr: [0, 0.8, 1], auc: 0.9123 },
    { name: "MSE", fpr: [0, 1], tpr: [0, 1] },
  ]);
  assert.deepEqual(
    fig.data.map((d) => d.name),
    ["BCE (AUC 0.912)", "MSE", "chance (AUC 0.5)"],
  );
  assert.deepEqual(Array.from(fig.data[0].y as Float32Array), [0, Math.fround(0.8), 1]);
  assert.deepEqual(fig.data[2].x, [0, 1]);
  assert.equal((fig.data[2].line as Obj).dash, "dash");
  assert.equal((axis(fig.layout, "xaxis").title as Obj).text, "false positive rate");
  assert.equal(axis(fig.layout, "yaxis").scaleanchor, "x");
  assert.equal(rocFigure([], { showChance: false }).data.length, 0);
  assert.throws(() => rocFigure([{ name: "x", fpr: [0, 2], tpr: [0, 1] }]), /fpr\[1\] is 2/);
  assert.throws(() => rocFigure([{ name: "x", fpr: [0], tpr: [0, 1] }]), PlotInputError);
});

test("rocFigure thins a long curve to within CURVE_TOLERANCE of every dropped point", () => {
  const rng = createRng(5);
  const n = 20000;
  const fpr = new Float64Array(n);
  const tpr = new Float64Array(n);
  for (let i = 1; i < n; i++) {
    const step = rng.next() < 0.5;
    fpr[i] = Math.min(1, fpr[i - 1] + (step ? 1 / 10000 : 0));
    tpr[i] = Math.min(1, tpr[i - 1] + (step ? 0 : 1 / 10000));
  }
  const trace = rocFigure([{ name: "long", fpr, tpr }]).data[0];
  const x = Array.from(trace.x as Float32Array);
  const y = Array.from(trace.y as Float32Array);
  assert.ok(x.length < n / 4 && x.length > 100, `${x.length} points kept`);
  assert.deepEqual(
    [x[0], y[0], x[x.length - 1], y[y.length - 1]],
    [0, 0, Math.fround(fpr[n - 1]), Math.fround(tpr[n - 1])],
  );
  const kept = thinCurve(fpr, tpr);
  for (let k = 1; k < kept.length; k++) {
    for (let i = kept[k - 1] + 1; i < kept[k]; i++) {
      const d = Math.max(Math.abs(fpr[i] - fpr[kept[k - 1]]), Math.abs(tpr[i] - tpr[kept[k - 1]]));
      assert.ok(d < CURVE_TOLERANCE, `point ${i} is ${d} from the kept point before it`);
    }
  }
  assert.deepEqual(thinCurve([0, 0.5, 1], [0, 0.5, 1]), [0, 1, 2]);
});

test("prFigure: AP in the legend, chance at the positive rate only when given", () => {
  const fig = prFigure([{ name: "d", recall: [0, 0.5, 1], precision: [1, 0.9, 0.2], ap: 0.7 }], {
    positiveRate: 0.1,
  });
  assert.deepEqual(
    fig.data.map((d) => d.name),
    ["d (AP 0.700)", "chance (AP 0.100)"],
  );
  assert.deepEqual(fig.data[1].y, [0.1, 0.1]);
  assert.equal((axis(fig.layout, "xaxis").title as Obj).text, "recall");
  assert.equal(prFigure([{ name: "d", recall: [1], precision: [1] }]).data.length, 1);
  assert.throws(() => prFigure([], { positiveRate: 3 }), /positiveRate 3/);
});

test("lineFigure: series, log axes, markers by default only for short series, gaps for NaN", () => {
  const fig = lineFigure(
    [
      { name: "k-NN", x: [10, 100, 1000], y: [0.5, 0.8, NaN] },
      { name: "linear", x: [10, 100, 1000], y: [0.4, 0.7, 0.9], dash: "dash" },
    ],
    { xTitle: "labels", yTitle: "accuracy", logX: true, title: "Label budget" },
  );
  assert.equal(fig.data.length, 2);
  assert.equal(fig.data[0].mode, "lines+markers");
  assert.deepEqual(fig.data[0].y, [0.5, 0.8, null]);
  assert.equal((fig.data[1].line as Obj).dash, "dash");
  assert.equal(axis(fig.layout, "xaxis").type, "log");
  assert.equal(axis(fig.layout, "yaxis").type, undefined);
  assert.equal((fig.layout.title as Obj).text, "Label budget");
  const long = Array.from({ length: 60 }, (_, i) => i + 1);
  assert.equal(lineFigure([{ name: "s", x: long, y: long }]).data[0].mode, "lines");
  assert.throws(
    () => lineFigure([{ name: "s", x: [0, 1], y: [1, 1] }], { logX: true }),
    /x\[0\] is 0, which a log x axis cannot show/,
  );
});

test("plotlyPayload: short typed arrays and layout stay plain JSON; every dtype is named", () => {
  const payload = plotlyPayload({
    data: [
      {
        type: "scatter",
        x: new Float64Array(64),
        y: Int32Array.from([1, 2]),
        z: new Uint8Array(100),
      },
    ],
    layout: { shapes: new Float32Array(100) },
  });
  const t = payload.data[0] as Obj;
  assert.equal((t.x as Obj).dtype, "f8");
  assert.deepEqual(t.y, [1, 2]);
  assert.equal((t.z as Obj).dtype, "u1");
  assert.ok(Array.isArray((payload.layout as Obj).shapes));
});
