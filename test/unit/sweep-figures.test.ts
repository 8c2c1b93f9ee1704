// What a finished sweep shows: rows, the sorted table, loss against each parameter, parallel
// coordinates, the best trial, and the live progress table (on hand-made results; no Ray here).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import {
  bestTrial,
  lossByParameterFigure,
  parallelCoordinatesFigure,
  sweepTableHtml,
  sweptParameters,
} from "../../lib/sweep/figures";
import { sweepProgressHtml, sweepRows, sweepTable } from "../../lib/sweep/progress";
import type { SweepTrial } from "../../lib/sweep/runner";

function trial(
  run: string,
  code: number,
  lr: number,
  best: number,
  status = "completed",
): SweepTrial {
  return {
    trialId: `x_${run}`,
    run,
    folder: `/tmp/${run}`,
    config: { params: { "model.codeSize": code, "train.learningRate": lr } },
    status,
    stoppedBy: status === "stopped" ? "scheduler" : null,
    epoch: status === "stopped" ? 1 : 3,
    valLoss: best,
    bestValLoss: best,
    firstEpoch: 1,
    nodeId: "abcdef123456",
    error: null,
  };
}

const result = {
  trials: [
    trial("trial-000", 8, 0.001, 0.2),
    trial("trial-001", 32, 0.001, 0.15),
    trial("trial-002", 8, 0.1, 0.6, "stopped"),
  ],
};

test("rows, best trial and swept parameters", () => {
  assert.deepEqual(sweptParameters(result), ["model.codeSize", "train.learningRate"]);
  assert.equal(bestTrial(result)?.run, "trial-001");
  assert.equal(bestTrial({ trials: [] }), null);
  const rows = sweepRows(result);
  assert.equal(rows[2].status, "stopped by scheduler");
  assert.equal(rows[0]["model.codeSize"], 8);
  assert.match(sweepTable(result), /trial-002\s+stopped by scheduler/);
});

test("the table starts sorted by the chosen column and can re-sort itself", () => {
  const html = sweepTableHtml(result, "bestValLoss");
  const order = [...html.matchAll(/>(trial-\d+)</g)].map((m) => m[1]);
  assert.deepEqual(order, ["trial-001", "trial-000", "trial-002"]);
  assert.match(html, /onclick="aeSortTable\(/);
});

test("loss against each parameter: one panel per parameter, log axis for a wide range", () => {
  const fig = lossByParameterFigure(result);
  assert.equal(fig.data.length, 2);
  assert.deepEqual(fig.data[1].x, [0.001, 0.001, 0.1]);
  assert.equal((fig.layout.xaxis2 as { type?: string }).type, "log");
  assert.equal((fig.layout.xaxis as { type?: string }).type, undefined);
});

test("parallel coordinates: a dimension per parameter plus the loss", () => {
  const fig = parallelCoordinatesFigure(result);
  const dims = fig.data[0].dimensions as Array<{ label: string; values: number[] }>;
  assert.deepEqual(
    dims.map((d) => d.label),
    ["model.codeSize", "log10 train.learningRate", "best validation loss"],
  );
  assert.deepEqual(dims[1].values, [-3, -3, -1]);
});

test("the live progress table lists every trial with its state and node", () => {
  const html = sweepProgressHtml(
    [
      {
        trialId: "a_0",
        run: "trial-000",
        params: { "model.codeSize": 8 },
        state: "running",
        epoch: 1,
        epochs: 3,
        valLoss: 0.3,
        bestValLoss: 0.3,
        nodeId: "abcdef99",
        attempts: 1,
      },
    ],
    "demo",
  );
  assert.match(html, /trial-000/);
  assert.match(html, /codeSize=8/);
  assert.match(html, /1\/3/);
  assert.match(html, /abcdef/);
});
