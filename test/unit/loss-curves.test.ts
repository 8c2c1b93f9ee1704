// lossCurvesFigure and epochTimeFigure: the spec contents (traces, styles, axes, best-epoch marker).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { THEME, epochTimeFigure, lossCurvesFigure } from "../../lib/plots";
import type { EpochRecord } from "../../lib/train/trainer";

type Obj = Record<string, unknown>;

function history(val: number[], train: number[] = val.map((v) => v + 0.01)): EpochRecord[] {
  return val.map((valLoss, i) => ({
    epoch: i + 1,
    trainLoss: train[i],
    valLoss,
    valBce: valLoss + 1,
    valMse: valLoss / 100,
    trainSeconds: 3 + i,
    epochSeconds: 4 + i,
    samplesPerSecond: 1000,
  }));
}

test("one run: dashed train, solid validation, best epoch starred, plain legend names", () => {
  const fig = lossCurvesFigure([{ name: "r", history: history([0.3, 0.1, 0.2]) }]);
  assert.deepEqual(
    fig.data.map((t) => t.name),
    ["train", "validation", "best epoch"],
  );
  const [train, val, best] = fig.data;
  assert.equal((train.line as Obj).dash, "dash");
  assert.equal((val.line as Obj).dash, undefined);
  assert.equal((train.line as Obj).color, THEME.colorway[0]);
  assert.equal((val.line as Obj).color, THEME.colorway[0]);
  assert.deepEqual(train.x, [1, 2, 3]);
  assert.deepEqual(val.y, [0.3, 0.1, 0.2]);
  assert.ok(Math.abs((train.y as number[])[0] - 0.31) < 1e-12);
  assert.deepEqual(best.x, [2]);
  assert.deepEqual(best.y, [0.1]);
  assert.equal((best.marker as Obj).symbol, "star");
  assert.equal(((fig.layout.title as Obj).text as string).includes("loss"), true);
  const xaxis = fig.layout.xaxis as Obj;
  assert.equal((xaxis.title as Obj).text, "epoch");
  assert.equal(xaxis.dtick, 1);
  assert.equal((fig.layout.yaxis as Obj).type, undefined);
});

test("several runs: one colour per run, names prefixed, one legend entry for the star", () => {
  const fig = lossCurvesFigure([
    { name: "a", history: history([0.3, 0.2]) },
    { name: "b", history: history([0.25, 0.26, 0.24]) },
  ]);
  assert.deepEqual(
    fig.data.map((t) => t.name),
    ["a · train", "a · validation", "best epoch", "b · train", "b · validation", "best epoch"],
  );
  assert.equal((fig.data[3].line as Obj).color, THEME.colorway[1]);
  assert.equal((fig.data[4].line as Obj).color, THEME.colorway[1]);
  assert.equal((fig.data[5].marker as Obj).color, THEME.colorway[1]);
  assert.deepEqual(
    fig.data.filter((t) => t.name === "best epoch").map((t) => t.showlegend),
    [true, false],
  );
  assert.deepEqual(fig.data[5].x, [3]);
});

test("options: log axis, no train curves, metric bce/mse, custom title", () => {
  const runs = [
    { name: "bce-run", history: history([0.3, 0.2]), loss: "bce" as const },
    { name: "unknown", history: history([0.3, 0.2]) },
  ];
  const log = lossCurvesFigure(runs, { logY: true, showTrain: false, title: "T" });
  assert.equal((log.layout.yaxis as Obj).type, "log");
  assert.match(((log.layout.yaxis as Obj).title as Obj).text as string, /log scale/);
  assert.equal((log.layout.title as Obj).text, "T");
  assert.ok(log.data.every((t) => !String(t.name).includes("train")));

  // bce: validation BCE for both; a training curve only for the run that trained on BCE.
  const bce = lossCurvesFigure(runs, { metric: "bce" });
  assert.deepEqual(
    bce.data.map((t) => t.name),
    ["bce-run · train", "bce-run · validation", "best epoch", "unknown · validation", "best epoch"],
  );
  assert.deepEqual(bce.data[1].y, [1.3, 1.2]);
  const mse = lossCurvesFigure(runs, { metric: "mse" });
  assert.ok(mse.data.every((t) => !String(t.name).includes("train")));
  assert.ok(Math.abs((mse.data[0].y as number[])[0] - 0.003) < 1e-12);
  assert.match(((mse.layout.yaxis as Obj).title as Obj).text as string, /mean squared error/);
});

test("long runs get fewer epoch ticks; empty histories give an annotated empty figure", () => {
  const long = lossCurvesFigure([{ name: "r", history: history(Array(100).fill(0.1)) }]);
  assert.equal((long.layout.xaxis as Obj).dtick, 10);
  const mid = lossCurvesFigure([{ name: "r", history: history(Array(25).fill(0.1)) }]);
  assert.equal((mid.layout.xaxis as Obj).dtick, 5);
  const empty = lossCurvesFigure([{ name: "r", history: [] }]);
  assert.equal(empty.data.length, 0);
  assert.match(((empty.layout.annotations as Obj[])[0].text as string) ?? "", /no finished epoch/);
  assert.doesNotThrow(() => JSON.stringify(long));
});

test("epochTimeFigure: one run is stacked bars of training and validation time", () => {
  const fig = epochTimeFigure([{ name: "r", history: history([0.3, 0.2, 0.1]) }]);
  assert.equal(fig.layout.barmode, "stack");
  assert.deepEqual(
    fig.data.map((t) => [t.type, t.name]),
    [
      ["bar", "training pass"],
      ["bar", "validation"],
    ],
  );
  assert.deepEqual(fig.data[0].y, [3, 4, 5]);
  assert.deepEqual(fig.data[1].y, [1, 1, 1]);
  assert.equal(((fig.layout.yaxis as Obj).title as Obj).text, "seconds");
});

test("epochTimeFigure: several runs are lines of whole-epoch seconds", () => {
  const fig = epochTimeFigure(
    [
      { name: "a", history: history([0.3, 0.2]) },
      { name: "none", history: [] },
      { name: "b", history: history([0.3]) },
    ],
    { title: "Speed" },
  );
  assert.deepEqual(
    fig.data.map((t) => [t.type, t.name]),
    [
      ["scatter", "a"],
      ["scatter", "b"],
    ],
  );
  assert.deepEqual(fig.data[0].y, [4, 5]);
  assert.equal((fig.data[1].line as Obj).color, THEME.colorway[2]);
  assert.equal((fig.layout.title as Obj).text, "Speed");
});
