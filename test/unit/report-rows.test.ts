// reportRows: the test-metrics table of notebook 02, model next to the two baselines.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import type { ReconstructionMetrics, ReconstructionReport } from "../../lib/quality/metrics";
import { formatReport, reportRows } from "../../lib/train/report";

const metrics = (bce: number, mse: number, psnr: number, acc: number): ReconstructionMetrics => ({
  bce,
  mse,
  psnr,
  binarizedAccuracy: acc,
  oneMinusMse: 1 - mse,
});

const report: ReconstructionReport = {
  count: 500,
  pixels: 784,
  model: metrics(0.07123, 0.00345, 24.987, 0.99012),
  allBlack: metrics(1.6, 0.1031, 10.1, 0.87),
  meanImage: metrics(0.27, 0.0672, 11.9, 0.81),
  pixelEntropy: 0.0581,
};

test("reportRows: one row per metric, formatted like formatReport", () => {
  const rows = reportRows(report);
  assert.deepEqual(
    rows.map((r) => r.metric),
    [
      "BCE (lower is better)",
      "MSE",
      "PSNR dB",
      "binarized pixel accuracy",
      "1 - MSE ('pixel accuracy')",
    ],
  );
  assert.deepEqual(rows[0], {
    metric: "BCE (lower is better)",
    model: "0.0712",
    "all-black": "1.6000",
    "mean image": "0.2700",
  });
  assert.equal(rows[4]["all-black"], "89.69%");
  assert.equal(rows[4].model, "99.66%");
  const text = formatReport(report);
  for (const row of rows) assert.ok(text.includes(row.model), row.metric);
});
