/** Text tables of evaluation results for terminals and logs. */
import type { ReconstructionMetrics, ReconstructionReport } from "../quality/metrics";

const ROWS: Array<[keyof ReconstructionMetrics, string, (v: number) => string]> = [
  ["bce", "BCE (lower is better)", (v) => v.toFixed(4)],
  ["mse", "MSE", (v) => v.toFixed(5)],
  ["psnr", "PSNR dB", (v) => v.toFixed(2)],
  ["binarizedAccuracy", "binarized pixel accuracy", (v) => `${(100 * v).toFixed(2)}%`],
  ["oneMinusMse", "1 - MSE ('pixel accuracy')", (v) => `${(100 * v).toFixed(2)}%`],
];

/** The model's test metrics next to the all-black and mean-image baselines, as an aligned table. */
export function formatReport(report: ReconstructionReport): string {
  const header = ["metric", "model", "all-black", "mean image"];
  const rows = ROWS.map(([key, label, fmt]) => [
    label,
    fmt(report.model[key]),
    fmt(report.allBlack[key]),
    fmt(report.meanImage[key]),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [
    `test set: ${report.count} images; BCE floor (pixel entropy) ${report.pixelEntropy.toFixed(4)}`,
    line(header),
    ...rows.map(line),
  ].join("\n");
}

/**
 * The same comparison as rows for a notebook table (showTable): one row per metric with the
 * model's value and the two baselines, formatted like formatReport.
 */
export function reportRows(report: ReconstructionReport): Record<string, string>[] {
  return ROWS.map(([key, label, fmt]) => ({
    metric: label,
    model: fmt(report.model[key]),
    "all-black": fmt(report.allBlack[key]),
    "mean image": fmt(report.meanImage[key]),
  }));
}
